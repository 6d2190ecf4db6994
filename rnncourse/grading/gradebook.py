"""A gradebook an LMS imports: one row per learner of the roster, zeros for what was not handed in.

`build_gradebook` maps the graded notebooks onto the roster (`roster.identify`) and gives each learner one
row: the points of each exercise of the assignment, the total, and a status (``graded``; ``incomplete``:
some exercises missing; ``missing``: nothing handed in, all zeros; ``error``: a notebook the grader could
not grade, to look at; ``late`` is added after the due date of Gradescope's metadata). Notebooks whose
learner is not on the roster are kept aside (`Gradebook.unknown`) to be reported, never dropped silently. An
exercise handed in twice by one learner counts once, at its best score, with a note.

Three layouts (`format_gradebook_for`):

- ``canvas``: Canvas's grade import: the columns ``Student, ID, SIS User ID, SIS Login ID, Section`` and one
  column for the assignment, named ``Name (assignment id)`` (or ``Name`` alone, which Canvas offers to
  create), then a ``Points Possible`` row. Canvas finds each learner by ID, SIS User ID or SIS Login ID:
  take the roster from Canvas's own gradebook export so these match;
- ``moodle``: Moodle's CSV grade import: an identifier column to map to the users (``ID number``, and
  ``Email address``), the learner's name, then one column per grade item (each exercise and the total),
  mapped to Moodle's grade items in its import form;
- ``csv``: the same rows with the status and one column per exercise, for the teacher.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rnncourse import exercises
from rnncourse.grading.report import GradingError, NotebookGrade, _write_atomically
from rnncourse.grading.roster import Identity, Learner, identify

__all__ = ["FORMATS", "Gradebook", "Row", "build_gradebook", "format_gradebook_for", "write_gradebook"]

#: The layouts `format_gradebook_for` writes.
FORMATS = ("canvas", "moodle", "csv")


@dataclass
class Row:
    """One learner's line of the gradebook.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """

    learner: Learner
    points: dict[str, int]  # exercise -> points earned (0 when not handed in)
    status: str
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.points.values())


@dataclass
class Gradebook:
    """The rows of every roster learner, the assignment's exercises and points, and the notebooks of
    learners not on the roster.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """

    rows: list[Row]
    exercises: list[str]
    possible: dict[str, int]  # exercise -> points possible
    unknown: list[tuple[NotebookGrade, Identity]]

    @property
    def points_possible(self) -> int:
        return sum(self.possible.values())


def build_gradebook(
    grades: Sequence[NotebookGrade], roster: Sequence[Learner], expected: Sequence[str] = ()
) -> Gradebook:
    """One row per roster learner (in roster order) from the grades of a batch.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Args:
        grades: the grades of every learner's notebooks (`grade_notebooks`).
        roster: the class (`roster.read_roster`).
        expected: the exercises of the assignment (names); others handed in count for nothing. Default:
            every exercise someone handed in.

    Returns:
        A `Gradebook`.

    Raises:
        GradingError: an empty roster, or a flat folder whose learners cannot be told apart
            (`roster.identify`).

    Example:
        >>> roster = read_roster("roster.csv")  # doctest: +SKIP
        >>> book = build_gradebook(grades, roster, ["01_the_rnn_unit_exercises"])  # doctest: +SKIP
        >>> [(row.learner.id, row.total, row.status) for row in book.rows]  # doctest: +SKIP
        [('1234', 6, 'graded'), ('1235', 0, 'missing')]
    """
    if not roster:
        raise GradingError("an empty roster: expected at least one learner (id and name)")
    wanted = sorted(set(expected) or {g.exercise for g in grades if g.exercise is not None})
    possible = {name: sum(q.points for q in exercises.questions_for(name)) for name in wanted}
    handed: dict[str, dict[str, list[NotebookGrade]]] = {}
    extra: dict[str, list[str]] = {}
    unknown = []
    for grade, who in zip(grades, identify(grades, roster), strict=True):
        if who.learner is None:
            unknown.append((grade, who))
            continue
        if who.late:
            late = f"{Path(grade.path).name} handed in after the due date"
            extra.setdefault(who.learner.id, []).append(late)
        if grade.exercise is None or grade.exercise not in possible:
            what = grade.exercise or "not an exercise notebook"
            extra.setdefault(who.learner.id, []).append(f"{Path(grade.path).name} ignored ({what})")
            continue
        handed.setdefault(who.learner.id, {}).setdefault(grade.exercise, []).append(grade)
    rows = []
    for learner in roster:
        mine = handed.get(learner.id, {})
        notes = list(extra.get(learner.id, []))
        points, errors = {}, False
        for name in wanted:
            notebooks = mine.get(name, [])
            if len(notebooks) > 1:
                notes.append(f"{name} handed in {len(notebooks)} times: the best score counts")
            if any(g.error for g in notebooks):
                errors = True
                notes.extend(f"{Path(g.path).name}: {g.error}" for g in notebooks if g.error)
            points[name] = max((g.score for g in notebooks if not g.fault), default=0)
        if errors:
            status = "error"
        elif not mine:
            status = "missing"
        elif len(mine) < len(wanted):
            status = "incomplete"
        else:
            status = "graded"
        if any("after the due date" in n for n in notes):
            status += ", late"
        rows.append(Row(learner, points, status, notes))
    return Gradebook(rows, wanted, possible, unknown)


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def format_gradebook_for(
    book: Gradebook, layout: str, assignment: str = "rnncourse exercises", assignment_id: str = ""
) -> str:
    """The gradebook as CSV text in an LMS's import layout (see the module docstring).

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Args:
        book: from `build_gradebook`.
        layout: one of `FORMATS`: ``"canvas"``, ``"moodle"`` or ``"csv"``.
        assignment: the assignment's name (its column). Default: "rnncourse exercises".
        assignment_id: Canvas's id of the assignment, to update an existing one. Default: none (Canvas
            offers to create the assignment).

    Returns:
        The CSV text.
    """
    if layout not in FORMATS:
        raise ValueError(f"expected a gradebook layout of {list(FORMATS)}, got {layout!r}")
    if layout == "canvas":
        column = f"{assignment} ({assignment_id})" if assignment_id else assignment
        table: list[list[object]] = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]]
        table.append(["Points Possible", "", "", "", "", book.points_possible])
        for row in book.rows:
            who = row.learner
            table.append([who.name, who.id, who.sis_user_id, who.sis_login_id, who.section, row.total])
        return _csv(table)
    if layout == "moodle":
        table = [["ID number", "Email address", "Full name", *book.exercises, assignment]]
        for row in book.rows:
            who = row.learner
            table.append([who.id, who.email, who.name, *(row.points[e] for e in book.exercises), row.total])
        return _csv(table)
    table = [["id", "name", "status", *book.exercises, "total", "possible", "notes"]]
    for row in book.rows:
        points = [row.points[e] for e in book.exercises]
        table.append([row.learner.id, row.learner.name, row.status, *points, row.total, book.points_possible])
        table[-1].append("; ".join(row.notes)[:1000])
    return _csv(table)


def write_gradebook(
    path: str | os.PathLike,
    book: Gradebook,
    layout: str,
    assignment: str = "rnncourse exercises",
    assignment_id: str = "",
) -> Path:
    """Write `format_gradebook_for` atomically to `path` and return it.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    path = Path(path)
    if path.is_dir():
        raise GradingError(f"{path}: expected a file for the gradebook, got a folder")
    _write_atomically(path, format_gradebook_for(book, layout, assignment, assignment_id))
    return path
