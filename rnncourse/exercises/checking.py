"""What every exercise check is made of: the question record, the verdict, and the comparison helpers.

The helpers compare a decoded answer with an expected value and raise `CheckFailed` with a hint for the
learner. A hint names what is wrong (shape, dtype, which case, a typical mistake recognised) and never
contains the expected value.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncourse.exercises.codec import DecodedPandas

__all__ = [
    "ATOL",
    "RTOL",
    "CheckFailed",
    "Question",
    "Result",
    "as_number_array",
    "case_rng",
    "compare_arrays",
    "exact_int",
    "one_number",
    "summarize_case",
]

#: Tolerance for floating-point answers.
RTOL, ATOL = 1e-5, 1e-7


class CheckFailed(Exception):
    """Raised inside a check to fail with a learner-facing reason."""


@dataclass(frozen=True)
class Question:
    """One graded question of an exercise notebook.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    The test cases and the check live in the notebook's module `rnncourse.exercises.<module>`, as
    ``cases_<answer_name>(seed) -> list of dict`` (keyword arguments for the answer) and
    ``check_<answer_name>(answer, case)`` (raises `CheckFailed` with a hint when the decoded answer for one
    case is wrong). They are looked up when first needed, so the catalogue itself holds no checking code.

    Attributes:
        qid: identifier ``"NN.qK"`` (notebook number, question number), used in cell metadata.
        notebook: the exercise notebook's name without ``.ipynb``.
        number: question number within the notebook (1-based).
        title: a few words saying what is asked.
        points: points the question is worth.
        answer_name: the name the learner's answer cell defines.
        module: the module of `rnncourse.exercises` that holds its cases and its check.
    """

    qid: str
    notebook: str
    number: int
    title: str
    points: int
    answer_name: str
    module: str

    def _lookup(self, prefix: str) -> Callable:
        module = importlib.import_module(f"rnncourse.exercises.{self.module}")
        return getattr(module, f"{prefix}_{self.answer_name}")

    def make_cases(self, seed: int) -> list[dict]:
        """The test cases of `seed`: keyword arguments to call the answer with."""
        return self._lookup("cases")(seed)

    def check_case(self, answer: Any, case: dict) -> None:
        """Raise `CheckFailed` with a hint if the decoded `answer` to `case` is wrong."""
        self._lookup("check")(answer, case)


@dataclass(frozen=True)
class Result:
    """The verdict on one question: `passed`, the points earned out of `points`, and a short `reason`.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """

    qid: str
    passed: bool
    points: int
    earned: int
    reason: str


def case_rng(seed: int, salt: int) -> np.random.Generator:
    """The random generator of one question's cases (`salt` keeps questions independent)."""
    return np.random.default_rng([int(seed) % (2**32), salt])


def summarize_case(case: dict) -> str:
    """A short description of a test case for a hint: shapes and sizes, never long contents."""
    parts = []
    for key, value in case.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{key} of shape {value.shape}")
        elif isinstance(value, list | tuple) and value and isinstance(value[0], np.ndarray):
            parts.append(f"{key}: {len(value)} arrays")
        elif isinstance(value, list | tuple | dict) and len(value) > 6:
            parts.append(f"{key}: {len(value)} items")
        elif hasattr(value, "shape") and hasattr(value, "columns"):
            parts.append(f"{key}: a DataFrame of {len(value)} rows")
        else:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def as_number_array(answer: Any, what: str = "your answer") -> np.ndarray:
    """`answer` as a float64 array, or `CheckFailed` saying what it is instead."""
    if isinstance(answer, DecodedPandas):
        raise CheckFailed(f"{what} is a pandas {answer.kind}; return a NumPy array (use .to_numpy())")
    if isinstance(answer, dict) or answer is None or isinstance(answer, str):
        raise CheckFailed(f"{what} should be a NumPy array, got {type(answer).__name__}")
    try:
        return np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be a NumPy array of numbers") from None


def one_number(answer: Any, what: str = "your answer") -> np.ndarray:
    """`answer` as a 0-d float array, or `CheckFailed` when it is not a single number."""
    array = as_number_array(answer, what)
    if array.shape != ():
        raise CheckFailed(f"return one number (a float), got an array of shape {array.shape}")
    return array


def compare_arrays(
    answer: Any,
    expected: Any,
    *,
    mistakes: dict[str, Any] | None = None,
    what: str = "your answer",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Fail unless `answer` matches `expected` within tolerance; name a typical mistake when it matches one.

    Args:
        answer: the decoded answer.
        expected: the right values.
        mistakes: hint text -> the values that mistake gives (checked in order).
        what: how the hint names the answer. Default: "your answer".
        rtol, atol: tolerances of `numpy.isclose`. Default: `RTOL`, `ATOL`.
    """
    got = as_number_array(answer, what)
    expected = np.asarray(expected, dtype=np.float64)
    mistakes = mistakes or {}
    if got.shape != expected.shape:
        hint = next((f" ({text})" for text, wrong in mistakes.items() if np.shape(wrong) == got.shape), "")
        raise CheckFailed(f"{what} has shape {got.shape}, expected shape {expected.shape}{hint}")
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{what} contains NaN or infinite values")
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if close.all():
        return
    for text, wrong in mistakes.items():
        if np.shape(wrong) == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol):
            raise CheckFailed(f"the values are wrong: it looks like you {text}")
    bad = np.argwhere(~close)
    where = f", first at index {tuple(int(i) for i in bad[0])}" if got.ndim else ""
    raise CheckFailed(f"{len(bad)} of {max(got.size, 1)} values are wrong{where}")


def exact_int(answer: Any, what: str = "your answer") -> int:
    """`answer` as an int, or `CheckFailed` (a float with an integer value gets its own hint).

    The message never repeats the value: with a teacher's hidden test cases, a number the learner's function
    returned could carry the hidden inputs back out (the checks that call this describe what they expected).
    """
    if isinstance(answer, bool) or not isinstance(answer, int | np.integer):
        if isinstance(answer, float | np.floating) and float(answer).is_integer():
            raise CheckFailed(
                f"{what} should be an int, got a float with an integer value; use integer "
                "arithmetic (// rather than /) or int()"
            )
        raise CheckFailed(f"{what} should be an int, got {type(answer).__name__}")
    return int(answer)
