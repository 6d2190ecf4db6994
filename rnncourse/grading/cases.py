"""Where a batch's test cases come from: the teacher's key (teacher mode), or a seed (self-study).

`CaseSource` is the one place that knows the grading mode: the other steps ask it (`CaseSource.teacher`)
rather than looking for a key themselves. In teacher mode each submission's cases come from a seed of its
own (`Key.submission_seed`: an HMAC of the notebook's bytes keyed with the key); in self-study every
notebook of a batch gets the cases of the batch's seed, fresh for every call unless one is given.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from rnncourse import arguments, exercises
from rnncourse.grading.key import Key, read_key

__all__ = ["CaseSource"]


@dataclass(frozen=True)
class CaseSource:
    """The source of a batch's test cases: a teacher's `Key`, or self-study with a seed.

    Example:
        >>> source = CaseSource(key=None, seed=3)
        >>> source.teacher, source.mode, source.seed_for(b"any notebook")
        (False, 'self-study', 3)
        >>> len(source.cases(exercises.get_question("01.q1"), 3)) > 0
        True
    """

    #: The teacher's key, or None in self-study.
    key: Key | None
    #: The self-study seed (in teacher mode drawn at random and not used for any test case).
    seed: int
    #: The key's folder when the key was read from one (the sandbox must not show it), else None.
    folder: Path | None = None

    @classmethod
    def given(
        cls, key: str | os.PathLike | Key | None, seed: int | None, where: str = "grade_notebooks"
    ) -> CaseSource:
        """The source `grade_notebooks`'s `key` and `seed` name: a key folder is read (`read_key`), a seed
        checked, and a fresh random seed drawn when none is given.

        Raises:
            GradingError: an unreadable key folder.
            ValueError: both a key and a seed, or a seed that is not an integer >= 0.
        """
        folder = None
        if key is not None and not isinstance(key, Key):
            folder = Path(key)
            key = read_key(key)
        if key is not None and seed is not None:
            raise ValueError("seed is for self-study grading; a key brings its own secret seed")
        seed = secrets.randbelow(2**31) if seed is None else arguments.seed(seed, "seed", where)
        return cls(key=key, seed=seed, folder=folder)

    @property
    def teacher(self) -> bool:
        """True in teacher mode (hidden cases from the key), False in self-study."""
        return self.key is not None

    @property
    def mode(self) -> str:
        """``"teacher"`` or ``"self-study"``, as `NotebookGrade.mode` says it."""
        return "teacher" if self.teacher else "self-study"

    def seed_for(self, content: bytes) -> int:
        """The seed of one submission's test cases: the key's `submission_seed` of it, or the batch's."""
        return self.key.submission_seed(content) if self.teacher else self.seed

    def cases(self, question: exercises.Question, seed: int) -> list[dict]:
        """The grader's test cases of `question` from `seed` (`seed_for`): through the key in teacher mode
        (the held-out sentences for the sentiment question), else the question's own cases."""
        return self.key.cases(question, seed) if self.teacher else question.make_cases(seed)
