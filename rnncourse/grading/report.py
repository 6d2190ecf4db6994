"""What a grade is, and how grades are shown and written: the score table, the JSON report, the CSV gradebook.

Reports are written by the grader only, after every kernel is dead, atomically (`write_report`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "GradingError",
    "NotebookGrade",
    "QuestionGrade",
    "VISIBILITIES",
    "format_gradebook",
    "format_gradescope",
    "format_report",
    "format_table",
    "write_report",
]


class GradingError(Exception):
    """A notebook or key that cannot be used: unreadable, not a notebook, or not an exercise notebook.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """


@dataclass
class QuestionGrade:
    """The grade of one question.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """

    qid: str
    number: int
    answer_name: str
    title: str
    points: int
    earned: int
    passed: bool
    reason: str


@dataclass
class NotebookGrade:
    """The grade of one notebook: per-question grades, score, notes on what happened while it ran.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """

    path: str
    exercise: str | None
    questions: list[QuestionGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What each check cell of the notebook printed (question id -> text), as the learner would have seen it.
    check_output: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    mode: str = "self-study"
    #: Whether the kernel ran in a sandbox (`sandbox_level` is not ``"none"``).
    sandbox: bool = False
    #: The sandbox level the kernel ran in (`rnncourse.grading.sandbox.LEVELS`): ``"bubblewrap"``
    #: (namespaces), ``"container"`` (an unprivileged uid of its own; the network is not cut) or ``"none"``.
    sandbox_level: str = "none"
    #: Whether the grade came from the results cache (`rnncourse.grading.cache`): the same bytes, graded
    #: before in the same context; `seconds` is then the time it took that run.
    cached: bool = False
    #: Whether the notebook could not be graded through a fault of the machine, not of the notebook (no
    #: kernel would start, the sandbox failed, a cluster task was lost): `error` says which. Such a grade is
    #: no zero to keep: `rnncourse grade` exits with status 3 and the results cache never stores it.
    fault: bool = False
    #: Whether a cell or an answer ran past its time limit: on a loaded machine that may be the machine's
    #: doing, so the results cache does not keep the grade (the next run grades the notebook again).
    timed_out: bool = False

    @property
    def learner(self) -> str:
        """Who handed it in: the name of the folder that holds the notebook."""
        return Path(self.path).resolve().parent.name

    @property
    def score(self) -> int:
        return sum(q.earned for q in self.questions)

    @property
    def total(self) -> int:
        return sum(q.points for q in self.questions)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(learner=self.learner, score=self.score, total=self.total, seconds=round(self.seconds, 2))
        return out


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str, width: int) -> str:
    """`text` on one line, control characters (terminal escapes) replaced by ``?``, at most `width` long."""
    text = _CONTROL.sub("?", " ".join(str(text).split()))
    return text if len(text) <= width else text[: width - 3] + "..."


def format_table(grade: NotebookGrade) -> str:
    """The score table of one notebook, as printed by `rnncourse grade`.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    lines = [f"== {grade.path}"]
    if grade.error and not grade.questions:
        lines.append(f"   ERROR: {clean(grade.error, 300)}")
        return "\n".join(lines)
    lines.append(
        f"   {grade.exercise}: {grade.score}/{grade.total} points ({grade.seconds:.1f} s, {grade.mode}"
        f", sandbox: {grade.sandbox_level}{', cached' if grade.cached else ''})"
    )
    lines.append(f"   {'question':<28} {'points':>6}  {'result':<7} reason")
    for q in grade.questions:
        label = clean(f"Q{q.number} {q.answer_name}", 28)
        result = "passed" if q.passed else "failed"
        reason = "" if q.passed else clean(q.reason, 160)
        lines.append(f"   {label:<28} {f'{q.earned}/{q.points}':>6}  {result:<7} {reason}")
    for note in grade.notes:
        lines.append(f"   note: {clean(note, 200)}")
    if grade.error:
        lines.append(f"   ERROR: {clean(grade.error, 300)}")
    return "\n".join(lines)


def format_gradebook(grades: Sequence[NotebookGrade]) -> str:
    """A CSV gradebook: one row per learner and notebook, one column per question (points earned).

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    qids = sorted({q.qid for g in grades for q in g.questions} or set())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["learner", "notebook", "file", *qids, "score", "total", "error"])
    for g in grades:
        earned = {q.qid: q.earned for q in g.questions}
        row = [g.learner, g.exercise or "", g.path, *[earned.get(q, "") for q in qids]]
        writer.writerow([*row, g.score, g.total, clean(g.error or "", 300)])
    return out.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def format_report(grades: Sequence[NotebookGrade]) -> str:
    """The JSON report: a list with one object per notebook (`NotebookGrade.to_dict`).

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    return json.dumps([g.to_dict() for g in grades], indent=2) + "\n"


def _test_output(q: QuestionGrade) -> str:
    return "passed" if q.passed else clean(q.reason, 1000)


#: The values of a Gradescope test's ``visibility`` (its autograder specification): shown at once, never to
#: the learner, after the due date, or once the grades are published.
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def format_gradescope(
    grades: Sequence[NotebookGrade], expected: Sequence[str] = (), visibility: str | None = None
) -> dict:
    """One submission's grades in Gradescope's autograder format (the object to write as ``results.json``).

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    One test per question (``name``, ``number``, ``score``, ``max_score``, ``status``, ``output``: "passed" or
    the reason, which never holds an expected value); the submission's ``score`` is their sum, and its
    ``output`` the notes and errors, all shown as plain text (``output_format``). What the check cells
    printed is left out. An exercise handed in twice earns nothing (both notebooks would count), and with
    `expected` an exercise not handed in gets its questions at 0 points, so the maximum score is the same
    for every learner, and an exercise handed in that the assignment does not ask for counts for nothing:
    it is listed as ignored in ``output`` and in ``extra_data["ignored"]``.

    Args:
        grades: the grades of one learner's notebooks.
        expected: the exercises the assignment asks for (names such as ``01_the_rnn_unit_exercises``).
            Default: none (every exercise handed in counts).
        visibility: the ``visibility`` of every test graded in teacher mode (one of `VISIBILITIES`;
            ``"after_due_date"`` keeps the hidden test cases' results from the learner until the due date).
            Default: None (Gradescope's default, visible).

    Returns:
        A dict, ready for `json.dump`.

    Example:
        >>> format_gradescope([])["score"]
        0
    """
    from rnncourse import exercises

    if visibility is not None and visibility not in VISIBILITIES:
        raise ValueError(f"expected a visibility of {list(VISIBILITIES)}, got {visibility!r}")
    by_exercise: dict[str, list[NotebookGrade]] = {}
    lines, ignored = [], []
    wanted = sorted(set(expected))
    for grade in grades:
        if grade.exercise is None or (grade.error and not grade.questions):
            lines.append(f"{Path(grade.path).name}: not graded: {clean(grade.error or 'no exercise', 300)}")
        elif wanted and grade.exercise not in wanted:
            ignored.append(Path(grade.path).name)
            lines.append(
                f"{Path(grade.path).name}: ignored: {grade.exercise} is not part of this assignment (it asks "
                f"for {', '.join(wanted)}); it scores nothing"
            )
        else:
            by_exercise.setdefault(grade.exercise, []).append(grade)
    levels = sorted({g.sandbox_level for g in grades if g.exercise is not None})
    if levels:
        lines.append(f"graded in the sandbox level: {', '.join(levels)}")
    tests, score = [], 0
    for exercise in sorted({*wanted, *by_exercise}):
        handed_in = by_exercise.get(exercise, [])
        teacher = False
        if len(handed_in) == 1:
            grade = handed_in[0]
            teacher = grade.mode == "teacher"
            for note in grade.notes:
                lines.append(f"{Path(grade.path).name}: {clean(note, 300)}")
            if grade.error:
                lines.append(f"{Path(grade.path).name}: {clean(grade.error, 300)}")
            questions = [
                (q.qid, q.number, q.answer_name, q.title, q.earned, q.points, q.passed, _test_output(q))
                for q in grade.questions
            ]
        else:
            files = ", ".join(sorted(Path(g.path).name for g in handed_in))
            why = (
                f"handed in twice or more ({files}): hand in one notebook per exercise"
                if handed_in
                else f"not handed in (expected a notebook {exercise}.ipynb)"
            )
            questions = [
                (q.qid, q.number, q.answer_name, q.title, 0, q.points, False, why)
                for q in exercises.questions_for(exercise)
            ]
        for qid, number, answer_name, title, earned, points, passed, output in questions:
            test = {
                "name": f"{exercise} Q{number} {answer_name}: {clean(title, 200)}",
                "number": qid,
                "score": earned,
                "max_score": points,
                "status": "passed" if passed else "failed",
                "output": output,
            }
            if teacher and visibility is not None:
                test["visibility"] = visibility
            tests.append(test)
            score += earned
    return {
        "score": score,
        "execution_time": round(sum(g.seconds for g in grades)),
        "output": "\n".join(lines),
        # plain text: what came from a notebook (an error message) is shown as written, never as HTML
        "output_format": "text",
        "test_output_format": "text",
        "tests": tests,
        # the sandbox level(s) the notebooks were graded under (`rnncourse.grading.sandbox.LEVELS`)
        "extra_data": {
            "ignored": sorted(ignored),
            "sandbox": ", ".join(sorted({g.sandbox_level for g in grades if g.exercise is not None}))
            or "none",
        },
    }


def write_report(
    path: str | os.PathLike,
    grades: Sequence[NotebookGrade],
    kind: str = "json",
    expected: Sequence[str] = (),
    visibility: str | None = None,
) -> None:
    """Write the JSON report (`kind="json"`), the CSV gradebook (`kind="csv"`) or Gradescope's
    ``results.json`` (`kind="gradescope"`, see `format_gradescope` for `expected` and `visibility`)
    atomically to `path`.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    if kind == "json":
        text = format_report(grades)
    elif kind == "csv":
        text = format_gradebook(grades)
    elif kind == "gradescope":
        text = json.dumps(format_gradescope(grades, expected, visibility), indent=2) + "\n"
    else:
        raise ValueError(f"expected kind 'json', 'csv' or 'gradescope', got {kind!r}")
    _write_atomically(Path(path), text)
