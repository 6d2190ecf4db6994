"""The results cache: re-running a batch skips the notebooks whose content, key and grader are unchanged.

A cache file (JSON, written by the grader beside the gradebook) maps an *entry name* to one notebook's grade.
The entry name is a SHA-256 over everything a grade depends on:

- the notebook's bytes (not its path: two identical files get the same grade, wherever they are) and the
  exercise it is graded as (a notebook without metadata is named by its file);
- the grading *context* (`context_digest`): the grader (its version and the bytes of every file of the
  package, checks included), the mode (the key, or the self-study seed), the limits and whether the sandbox
  was on. A changed check, key, limit or package version makes every old entry unreachable.

What keeps the cache from moving one learner's grade to another, or from leaking the key:

- an entry is found by the notebook's own bytes only, and holds the grade the grader computed for those bytes
  (never anything a kernel wrote: the file is read before the first kernel starts and written, whole, from
  memory after every kernel is dead, so a change made to it while kernels ran is overwritten);
- grades that depend on more than the notebook are not stored: one with an error (a changed package file,
  a batch stopped early, an unreadable file), one the machine failed (`NotebookGrade.fault`: a kernel that
  did not start, a sandbox that failed), or one where a cell or answer ran past its time limit
  (`NotebookGrade.timed_out`: the grader cannot tell a slow notebook from a loaded machine, so such a
  notebook is graded again on the next run);
- each entry carries a checksum, and a cached grade must match the questions of its exercise: a damaged or
  edited entry is ignored with a warning and the notebook graded again;
- the key enters the context only through a slow, salted hash (PBKDF2, `_KEY_ROUNDS` rounds), so the cache
  does not let anyone test guesses of the key's 31-bit seed quickly. Keep the cache with the gradebook,
  away from the learners, all the same.

Example:
    >>> cache = ResultsCache("/tmp/grades.csv.cache.json")  # doctest: +SKIP
    >>> name = cache.entry_name(notebook_bytes, exercise, context)  # doctest: +SKIP
    >>> cache.get(name, path)  # None, or the NotebookGrade graded before  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

from rnncourse import __version__, exercises
from rnncourse.grading.key import Key
from rnncourse.grading.report import GradingError, NotebookGrade, QuestionGrade, _write_atomically

__all__ = ["ResultsCache", "cacheable", "context_digest", "default_path"]

_FORMAT = 1
_KEY_ROUNDS = 200_000
_SALT = b"rnncourse results cache v1"


def default_path(gradebook: str | os.PathLike) -> Path:
    """The cache file that goes beside a gradebook: ``grades.csv`` -> ``grades.csv.cache.json``."""
    gradebook = Path(gradebook)
    return gradebook.with_name(gradebook.name + ".cache.json")


def _key_digest(key: Key) -> str:
    material = json.dumps([key.seed, list(key.sentiment_texts), list(key.sentiment_labels)]).encode()
    return hashlib.pbkdf2_hmac("sha256", material, _SALT, _KEY_ROUNDS).hex()


def context_digest(
    *, package: Mapping[str, bytes], key: Key | None, seed: int, limits: Mapping[str, object], sandbox: str
) -> str:
    """A digest of everything besides the notebook that a grade depends on (see the module docstring).

    Args:
        package: the package files the grader read (relative path -> bytes), checks included.
        key: the teacher's key, or None in self-study.
        seed: the self-study seed (ignored with a key).
        limits: the grading limits by name (cell_timeout, timeout, output_limit, memory_mb).
        sandbox: the sandbox level the kernels run in (`rnncourse.grading.sandbox.LEVELS`): a grade of one
            level is never reused under another.

    Returns:
        A hex SHA-256 digest.
    """
    files = hashlib.sha256()
    for relative in sorted(package):
        files.update(relative.encode() + b"\0" + hashlib.sha256(package[relative]).digest())
    context = {
        "format": _FORMAT,
        "version": __version__,
        "package": files.hexdigest(),
        "mode": {"key": _key_digest(key)} if key is not None else {"seed": int(seed)},
        "limits": {name: int(value) for name, value in sorted(limits.items())},
        "sandbox": str(sandbox),
    }
    return hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()


def _checksum(grade: dict) -> str:
    return hashlib.sha256(json.dumps(grade, sort_keys=True).encode()).hexdigest()


def _stored(grade: NotebookGrade) -> dict:
    """What is kept of a grade: everything but where the file was (the path comes from the run that asks)."""
    return {
        "exercise": grade.exercise,
        "questions": [vars(q).copy() for q in grade.questions],
        "notes": list(grade.notes),
        "check_output": dict(grade.check_output),
        "seconds": grade.seconds,
        "mode": grade.mode,
        "sandbox": grade.sandbox,
        "sandbox_level": grade.sandbox_level,
    }


def _rebuild(stored: dict, path: str) -> NotebookGrade:
    """A NotebookGrade from a stored entry; raises ValueError when the entry does not hold a sane grade."""
    if not isinstance(stored, dict) or set(stored) != set(_stored(NotebookGrade("", None))):
        raise ValueError("unexpected fields")
    exercise = stored["exercise"]
    if exercise not in exercises.NOTEBOOKS.values():
        raise ValueError(f"unknown exercise {exercise!r}")
    known = exercises.questions_for(exercise)
    names = [f.name for f in fields(QuestionGrade)]
    questions = stored["questions"]
    if not isinstance(questions, list) or len(questions) != len(known):
        raise ValueError("not the exercise's questions")
    rebuilt = []
    for question, item in zip(known, questions, strict=True):
        if not isinstance(item, dict) or sorted(item) != sorted(names):
            raise ValueError("a damaged question")
        grade = QuestionGrade(**item)
        if (
            (grade.qid, grade.number, grade.answer_name, grade.points)
            != (question.qid, question.number, question.answer_name, question.points)
            or not isinstance(grade.earned, int)
            or not 0 <= grade.earned <= grade.points
            or not isinstance(grade.passed, bool)
            or not isinstance(grade.reason, str)
        ):
            raise ValueError(f"a damaged grade of {question.qid}")
        rebuilt.append(grade)
    notes, output = stored["notes"], stored["check_output"]
    if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)):
        raise ValueError("damaged notes")
    if not (isinstance(output, dict) and all(isinstance(v, str) for v in output.values())):
        raise ValueError("damaged check output")
    return NotebookGrade(
        path=path,
        exercise=exercise,
        questions=rebuilt,
        notes=list(notes),
        check_output=dict(output),
        seconds=float(stored["seconds"]),
        mode=str(stored["mode"]),
        sandbox=bool(stored["sandbox"]),
        sandbox_level=str(stored["sandbox_level"]),
        cached=True,
    )


def cacheable(grade: NotebookGrade) -> bool:
    """Whether a grade depends on the notebook alone (see the module docstring): not one with an error or a
    fault of the machine, nor one where something ran past its time limit (a loaded machine may be why)."""
    return (
        grade.error is None
        and not grade.fault
        and not grade.timed_out
        and grade.exercise is not None
        and not grade.cached
        and not any(note.startswith("the kernel did not start") for note in grade.notes)
    )


class ResultsCache:
    """The results cache in the JSON file `path`: read when made, written by `save` (atomically, whole).

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Args:
        path: the cache file; a missing file is an empty cache.

    Raises:
        GradingError: `path` is a folder, or not a cache file this grader wrote.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._entries: dict[str, dict] = {}
        if self.path.is_dir():
            raise GradingError(f"{self.path}: expected a cache file, got a folder")
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            warnings.warn(
                f"{self.path}: not a readable results cache ({type(error).__name__}); grading every "
                "notebook again, and the file will be replaced",
                stacklevel=2,
            )
            return
        if (
            not isinstance(data, dict)
            or data.get("format") != _FORMAT
            or not isinstance(data.get("entries"), dict)
        ):
            warnings.warn(
                f"{self.path}: not a results cache of this grader; grading every notebook again, and the "
                "file will be replaced",
                stacklevel=2,
            )
            return
        self._entries = {k: v for k, v in data["entries"].items() if isinstance(v, dict)}

    @staticmethod
    @staticmethod
    def entry_name(notebook: bytes, exercise: str, context: str) -> str:
        """The entry of a notebook's bytes, graded as `exercise` (a notebook without metadata is named by
        its file), in a grading context (`context_digest`)."""
        material = json.dumps([context, exercise, hashlib.sha256(notebook).hexdigest()])
        return hashlib.sha256(material.encode()).hexdigest()

    def get(self, name: str, path: str) -> NotebookGrade | None:
        """The grade stored under `name` (with `path` as its file), or None; a damaged entry is dropped
        with a warning."""
        entry = self._entries.get(name)
        if entry is None:
            return None
        try:
            if entry.get("checksum") != _checksum(entry.get("grade")):
                raise ValueError("its checksum does not match")
            grade = _rebuild(entry["grade"], path)
        except (ValueError, TypeError, KeyError) as error:
            warnings.warn(
                f"{self.path}: ignored a damaged cache entry for {path} ({error}); grading it again",
                stacklevel=2,
            )
            del self._entries[name]
            return None
        return grade

    def put(self, name: str, grade: NotebookGrade) -> bool:
        """Store `grade` under `name` if it depends on the notebook alone (`cacheable`); returns whether."""
        if not cacheable(grade):
            return False
        stored = _stored(grade)
        self._entries[name] = {"grade": stored, "checksum": _checksum(stored)}
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def save(self) -> None:
        """Write the cache atomically, whole: the entries that were in the file (less the damaged ones) and
        the new ones."""
        text = json.dumps({"format": _FORMAT, "entries": self._entries}, sort_keys=True)
        _write_atomically(self.path, text + "\n")
