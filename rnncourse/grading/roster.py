"""The class list a gradebook is built on, and who handed in each notebook.

A roster is a CSV file with one row per learner and a header naming its columns: ``id`` and ``name`` (both
required), and where the LMS needs them ``email``, ``sis_user_id``, ``sis_login_id`` and ``section``
(`read_roster`). Column names are matched without regard to case, spaces or dashes (``SIS User ID`` works).

A graded notebook belongs to the learner found, in this order (`identify`):

1. Gradescope's ``submission_metadata.json`` in the notebook's folder or one of the two above it (its
   ``users``: ``sid``, ``email`` or ``id``), which also gives the due date and the time it was handed in;
2. the name of the folder that holds the notebook (``class/ann/01.ipynb`` is ann's), when it is a roster id
   or email;
3. a roster id that is a whole part of the file name (``ann_01_the_rnn_unit_exercises.ipynb``, or an LMS
   download's ``smithann_1234_01_the_rnn_unit_exercises.ipynb`` for id 1234).

A folder whose name is no learner's and that holds two notebooks of one exercise is a flat download of the
whole class: a learner found neither way there is an error (`Unmatched.flat`), never the folder's name for
all of them.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rnncourse.grading.report import GradingError, NotebookGrade

__all__ = ["Identity", "Learner", "identify", "read_roster", "submission_metadata"]

_COLUMNS = ("id", "name", "email", "sis_user_id", "sis_login_id", "section")
_METADATA = "submission_metadata.json"


@dataclass(frozen=True)
class Learner:
    """One row of the roster.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """

    id: str
    name: str
    email: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclass
class Identity:
    """Whose a graded notebook is: a roster learner (`learner`) or, when none matched, what was tried.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """

    learner: Learner | None
    #: How the learner was found: "metadata", "folder", "file name"; or why not.
    how: str
    #: What names the submission when no learner matched (a folder, a file, a Gradescope user).
    label: str = ""
    due: datetime | None = None
    handed_in: datetime | None = None

    @property
    def late(self) -> bool:
        """Whether Gradescope's metadata says it was handed in after the due date."""
        return self.due is not None and self.handed_in is not None and self.handed_in > self.due


def _column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def read_roster(path: str | os.PathLike) -> list[Learner]:
    """Read a roster CSV (see the module docstring); raises `GradingError` saying what is wrong with it.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Example:
        >>> learners = read_roster("roster.csv")  # doctest: +SKIP
        >>> learners[0].id, learners[0].name  # doctest: +SKIP
        ('1234', 'Ann Smith')
    """
    path = Path(path)
    if not path.is_file():
        raise GradingError(f"{path}: no such roster file (expected a CSV with the columns id and name)")
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise GradingError(f"{path}: not a readable CSV roster ({type(error).__name__}: {error})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise GradingError(f"{path}: an empty roster (expected a header with the columns id and name)")
    header = [_column(h) for h in rows[0]]
    missing = [c for c in ("id", "name") if c not in header]
    if missing:
        raise GradingError(
            f"{path}: expected the columns id and name in the roster's header, got {rows[0]} (missing "
            f"{', '.join(missing)})"
        )
    learners, seen = [], set()
    for number, row in enumerate(rows[1:], start=2):
        values = dict(zip(header, (cell.strip() for cell in row), strict=False))
        learner = Learner(**{c: values.get(c, "") for c in _COLUMNS})
        if not learner.id:
            raise GradingError(f"{path}, line {number}: expected a learner id, got an empty one")
        if learner.id in seen:
            raise GradingError(f"{path}, line {number}: the id {learner.id!r} is on the roster twice")
        seen.add(learner.id)
        learners.append(learner)
    if not learners:
        raise GradingError(f"{path}: a roster without learners (expected a row per learner after the header)")
    return learners


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def submission_metadata(notebook: str | os.PathLike) -> dict | None:
    """Gradescope's ``submission_metadata.json`` for a notebook: in its folder or one of the two above it
    (None when there is none, or it is not readable JSON)."""
    folder = Path(notebook).resolve().parent
    for candidate in [folder, *folder.parents][:3]:
        path = candidate / _METADATA
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                return None
            return data if isinstance(data, dict) else None
    return None


def identify(grades: Sequence[NotebookGrade], roster: Sequence[Learner]) -> list[Identity]:
    """Whose each graded notebook is (see the module docstring), in the order of `grades`.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Raises:
        GradingError: a flat folder of the whole class where a notebook's learner cannot be found from its
            file name (say how to name the files).
    """
    by_key: dict[str, Learner] = {}
    for learner in roster:
        for value in (learner.id, learner.email, learner.sis_user_id, learner.sis_login_id):
            if value:
                by_key.setdefault(value.lower(), learner)
    ids = sorted((learner.id for learner in roster), key=len, reverse=True)
    folders: dict[Path, list[str]] = {}
    for grade in grades:
        if grade.exercise is not None:
            folders.setdefault(Path(grade.path).resolve().parent, []).append(grade.exercise)
    flat = {
        folder
        for folder, names in folders.items()
        if len(names) != len(set(names)) and folder.name.lower() not in by_key
    }
    found = []
    for grade in grades:
        path = Path(grade.path).resolve()
        meta = submission_metadata(path)
        due = handed_in = None
        if meta is not None:
            assignment = meta.get("assignment") if isinstance(meta.get("assignment"), dict) else {}
            due, handed_in = _when(assignment.get("due_date")), _when(meta.get("created_at"))
            users = [u for u in meta.get("users", []) if isinstance(u, dict)]
            for user in users:
                for field_name in ("sid", "email", "id"):
                    learner = by_key.get(str(user.get(field_name, "")).lower())
                    if learner is not None:
                        break
                else:
                    continue
                found.append(Identity(learner, "metadata", due=due, handed_in=handed_in))
                break
            else:
                who = ", ".join(str(u.get("email") or u.get("sid") or u.get("name") or "?") for u in users)
                found.append(Identity(None, "Gradescope user not on the roster", who or path.parent.name))
            continue
        learner = by_key.get(path.parent.name.lower())
        if learner is not None:
            found.append(Identity(learner, "folder"))
            continue
        tokens = {t.lower() for t in re.split(r"[\s_.\-]+", path.stem) if t}
        match = next((i for i in ids if i.lower() in tokens), None)
        if match is not None:
            found.append(Identity(by_key[match.lower()], "file name"))
            continue
        if path.parent in flat:
            raise GradingError(
                f"{path.parent}: one folder holds the notebooks of several learners (two of one exercise), "
                f"and the learner of {path.name} is in neither its folder name nor its file name: put each "
                "learner's notebooks in a folder named after their roster id, or put the id in each file "
                "name (ID_01_the_rnn_unit_exercises.ipynb)"
            )
        label = f"{path.parent.name}/{path.name}"
        found.append(Identity(None, "no roster id in its folder or file name", label))
    return found
