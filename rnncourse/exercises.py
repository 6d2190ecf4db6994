"""The checks behind the graded exercise notebooks, shared by their check cells and `rnncourse grade`.

Every graded question is a `Question`: the name the learner defines (a function, e.g. ``rnn_step``), the
points it is worth, a generator of test cases drawn from a seed, and a check. A verdict always goes through
the same three steps, in the notebook and in the grader alike:

1. **produce** -- call the learner's answer on the test cases of a seed and encode what comes back as JSON
   (this runs in the learner's kernel);
2. **transport** -- the JSON text (the grader reads it from a file its own injected cell wrote);
3. **verdict** -- decode the JSON and compare it with the reference answer for the same seed (in the
   notebook this runs in the kernel, in the grader it runs in the grader's own process).

So a check cell and the grader cannot disagree, and nothing the learner's notebook does to this module
inside its kernel (redefining `check`, printing "passed") changes a grade: the grader recomputes the test
cases and the reference answers itself, from a seed it draws fresh for every run. Hints say what is wrong
(shape, dtype, which case, a typical mistake recognised) and never print the expected answer.

Example:
    >>> import numpy as np
    >>> from rnncourse import exercises as ex
    >>> def rnn_step(x_t, h_prev, W_x, W_h, b):
    ...     return np.tanh(x_t @ W_x + h_prev @ W_h + b)
    >>> ex.verdict("01.q1", rnn_step).passed
    True
    >>> ex.check("01.q1", rnn_step)  # what a check cell prints
    Q1 rnn_step: passed (2/2 points)
"""

from __future__ import annotations

import functools
import json
import math
import string
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "MISSING",
    "Question",
    "Result",
    "QUESTIONS",
    "NOTEBOOKS",
    "questions_for",
    "get_question",
    "produce",
    "verdict",
    "verdict_from_json",
    "check",
    "write_answer",
    "example_results_table",
    "sentiment_data",
]

#: Largest encoded answer accepted (bytes of JSON), in the kernel and in the grader.
MAX_ANSWER_BYTES = 5_000_000
#: Tolerance for floating-point answers.
RTOL, ATOL = 1e-5, 1e-7


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: Stands for "the learner's notebook does not define this name".
MISSING = _Missing()


@dataclass(frozen=True)
class Result:
    """The verdict on one question: `passed`, the points earned out of `points`, and a short `reason`."""

    qid: str
    passed: bool
    points: int
    earned: int
    reason: str

    def line(self) -> str:
        q = get_question(self.qid)
        status = "passed" if self.passed else "not yet"
        text = f"Q{q.number} {q.answer_name}: {status} ({self.earned}/{self.points} points)"
        return text if self.passed else f"{text} -- {self.reason}"


class _Fail(Exception):
    """Raised inside a check to fail with a learner-facing reason."""


@dataclass(frozen=True)
class Question:
    """One graded question of an exercise notebook.

    Attributes:
        qid: identifier ``"NN.qK"`` (notebook number, question number), used in cell metadata.
        notebook: the exercise notebook's name without ``.ipynb``.
        number: question number within the notebook (1-based).
        title: a few words saying what is asked.
        points: points the question is worth.
        answer_name: the name the learner's answer cell defines.
        make_cases: ``seed -> list of dict`` keyword arguments to call the answer with.
        check_case: ``(answer, case) -> None`` raising `_Fail` with a hint when the decoded answer for one
            case is wrong.
        call: ``(answer_fn, case) -> value``; default calls ``answer_fn(**copy_of_case)``.
    """

    qid: str
    notebook: str
    number: int
    title: str
    points: int
    answer_name: str
    make_cases: Callable[[int], list[dict]]
    check_case: Callable[[Any, dict], None]
    call: Callable[[Callable, dict], Any] | None = field(default=None)


# ----------------------------------------------------------------------------------------------------------
# JSON encoding of answers (NumPy arrays, pandas objects, scalars, containers)
# ----------------------------------------------------------------------------------------------------------


def _encode(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        raise ValueError("the answer is nested too deeply")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, np.generic):
        return {"__np__": _encode(np.asarray(value), depth + 1)["__np__"], "scalar": True}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufM":
            data = value.astype("int64") if value.dtype.kind == "M" else value
            flat = [None if isinstance(v, float) and math.isnan(v) else v for v in data.ravel().tolist()]
            return {"__np__": {"dtype": str(value.dtype), "shape": list(value.shape), "data": flat}}
        if value.dtype.kind in "OU":
            return {"__list__": [_encode(v, depth + 1) for v in value.tolist()], "from": "ndarray"}
        raise ValueError(f"cannot encode an array of dtype {value.dtype}")
    if isinstance(value, list | tuple):
        return {"__list__": [_encode(v, depth + 1) for v in value], "from": type(value).__name__}
    if isinstance(value, dict):
        return {"__dict__": [[str(k), _encode(v, depth + 1)] for k, v in value.items()]}
    module = type(value).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, pd.DataFrame | pd.Series):
            index = np.asarray(value.index)
            if index.dtype.kind not in "biufM":
                index = np.asarray([str(v) for v in index], dtype=object)
            out = {
                "__pandas__": type(value).__name__,
                "index": _encode(index, depth + 1),
                "values": _encode(value.to_numpy(), depth + 1),
            }
            if isinstance(value, pd.DataFrame):
                out["columns"] = [str(c) for c in value.columns]
            return out
    if hasattr(value, "numpy") and callable(value.numpy):  # a TensorFlow / Keras tensor
        return _encode(np.asarray(value.numpy()), depth + 1)
    raise ValueError(f"cannot encode a value of type {type(value).__name__}")


@dataclass
class _Pandas:
    """A decoded pandas object: what the checks need from it, without trusting pandas on untrusted input."""

    kind: str
    index: np.ndarray
    values: np.ndarray
    columns: list[str] | None


def _decode(obj: Any, depth: int = 0) -> Any:
    if depth > 25:
        raise ValueError("nested too deeply")
    if obj is None or isinstance(obj, bool | str | int | float):
        return obj
    if isinstance(obj, dict):
        if "__np__" in obj:
            spec = obj["__np__"]
            dtype = np.dtype(str(spec["dtype"]))
            if dtype.kind not in "biufM":
                raise ValueError(f"unexpected dtype {dtype}")
            shape = tuple(int(s) for s in spec["shape"])
            data = spec["data"]
            if not isinstance(data, list) or len(data) != int(np.prod(shape, dtype=np.int64)):
                raise ValueError("array data does not match its shape")
            if dtype.kind == "M":
                array = np.asarray(data, dtype="int64").astype(dtype).reshape(shape)
            elif dtype.kind == "f":
                array = np.asarray([np.nan if v is None else v for v in data], dtype=dtype).reshape(shape)
            else:
                array = np.asarray(data, dtype=dtype).reshape(shape)
            return array[()] if obj.get("scalar") else array
        if "__list__" in obj:
            items = [_decode(v, depth + 1) for v in obj["__list__"]]
            return tuple(items) if obj.get("from") == "tuple" else items
        if "__dict__" in obj:
            return {str(k): _decode(v, depth + 1) for k, v in obj["__dict__"]}
        if "__pandas__" in obj:
            columns = obj.get("columns")
            return _Pandas(
                kind=str(obj["__pandas__"]),
                index=np.asarray(_decode(obj["index"], depth + 1)),
                values=np.asarray(_decode(obj["values"], depth + 1)),
                columns=[str(c) for c in columns] if columns is not None else None,
            )
        if "__error__" in obj:
            return obj
    raise ValueError("unrecognised value in the answer")


# ----------------------------------------------------------------------------------------------------------
# Shared comparison helpers (hints never contain the expected values)
# ----------------------------------------------------------------------------------------------------------


def _describe(case: dict) -> str:
    parts = []
    for key, value in case.items():
        if isinstance(value, np.ndarray):
            parts.append(f"{key} of shape {value.shape}")
        elif isinstance(value, list | tuple) and value and isinstance(value[0], np.ndarray):
            parts.append(f"{key}: {len(value)} arrays")
        elif isinstance(value, list | tuple) and len(value) > 6:
            parts.append(f"{key}: {len(value)} items")
        elif isinstance(value, dict) and len(value) > 6:
            parts.append(f"{key}: {len(value)} entries")
        elif hasattr(value, "shape") and hasattr(value, "columns"):
            parts.append(f"{key}: a DataFrame of {len(value)} rows")
        else:
            parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def _as_array(answer: Any, what: str = "your answer") -> np.ndarray:
    if isinstance(answer, _Pandas):
        raise _Fail(f"{what} is a pandas {answer.kind}; return a NumPy array (use .to_numpy())")
    if isinstance(answer, dict) or answer is None or isinstance(answer, str):
        raise _Fail(f"{what} should be a NumPy array, got {type(answer).__name__}")
    try:
        array = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Fail(f"{what} should be a NumPy array of numbers") from None
    return array


def _compare(
    answer: Any,
    expected: np.ndarray,
    *,
    mistakes: dict[str, np.ndarray] | None = None,
    what: str = "your answer",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    got = _as_array(answer, what)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        hint = ""
        for hint_text, wrong in (mistakes or {}).items():
            if np.shape(wrong) == got.shape:
                hint = f" ({hint_text})"
                break
        raise _Fail(f"{what} has shape {got.shape}, expected shape {expected.shape}{hint}")
    if not np.all(np.isfinite(got)):
        raise _Fail(f"{what} contains NaN or infinite values")
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if close.all():
        return
    for hint_text, wrong in (mistakes or {}).items():
        if np.shape(wrong) == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol):
            raise _Fail(f"the values are wrong: it looks like you {hint_text}")
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0]) if got.ndim else ()
    where = f", first at index {first}" if got.ndim else ""
    raise _Fail(f"{len(bad)} of {max(got.size, 1)} values are wrong{where}")


def _exact_int(answer: Any, what: str = "your answer") -> int:
    if isinstance(answer, bool) or not isinstance(answer, int | np.integer):
        if isinstance(answer, float | np.floating) and float(answer).is_integer():
            raise _Fail(f"{what} should be an int, got a float ({answer!r}); use integer arithmetic")
        raise _Fail(f"{what} should be an int, got {type(answer).__name__}")
    return int(answer)


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) % (2**32), salt])


# ----------------------------------------------------------------------------------------------------------
# 01 -- the RNN unit
# ----------------------------------------------------------------------------------------------------------


def _ref_rnn_step(x_t, h_prev, W_x, W_h, b, activation=np.tanh):
    return activation(x_t @ W_x + h_prev @ W_h + b)


def _ref_rnn_forward(x, W_x, W_h, b, h0=None):
    batch, steps, _ = x.shape
    h = np.zeros((batch, W_h.shape[0])) if h0 is None else h0
    hs = []
    for t in range(steps):
        h = np.tanh(x[:, t] @ W_x + h @ W_h + b)
        hs.append(h)
    return np.stack(hs, axis=1)


def _rnn_weights(rng, features, units, scale=0.6):
    return (
        rng.normal(0, scale, (features, units)),
        rng.normal(0, scale, (units, units)),
        rng.normal(0, 0.3, (units,)),
    )


def _cases_rnn_step(seed: int) -> list[dict]:
    rng = _rng(seed, 101)
    cases = []
    for batch, features, units in [(1, 3, 4), (5, 2, 3), (4, 6, 2)]:
        W_x, W_h, b = _rnn_weights(rng, features, units)
        cases.append(
            dict(
                x_t=rng.normal(size=(batch, features)),
                h_prev=rng.uniform(-1, 1, (batch, units)),
                W_x=W_x,
                W_h=W_h,
                b=b,
            )
        )
    return cases


def _check_rnn_step(answer, case):
    x_t, h, W_x, W_h, b = (case[k] for k in ("x_t", "h_prev", "W_x", "W_h", "b"))
    pre = x_t @ W_x + h @ W_h + b
    mistakes = {
        "forgot the tanh": pre,
        "forgot the bias b": np.tanh(x_t @ W_x + h @ W_h),
        "left out the previous hidden state h_prev @ W_h": np.tanh(x_t @ W_x + b),
        "used a sigmoid instead of tanh": 1 / (1 + np.exp(-pre)),
        "used ReLU instead of tanh": np.maximum(pre, 0),
    }
    _compare(answer, np.tanh(pre), mistakes=mistakes)


def _cases_param_count(seed: int) -> list[dict]:
    rng = _rng(seed, 102)
    return [
        dict(features=int(f), units=int(u))
        for f, u in zip(rng.integers(1, 40, 4), rng.integers(1, 70, 4), strict=True)
    ] + [dict(features=1, units=1)]


def _check_param_count(answer, case):
    f, u = case["features"], case["units"]
    got = _exact_int(answer)
    if got == u * (f + u + 1):
        return
    for hint, wrong in [
        ("forgot the bias", u * (f + u)),
        ("forgot the recurrent kernel W_h", u * (f + 1)),
        ("counted W_h as features x units", u * (2 * f + 1)),
    ]:
        if got == wrong:
            raise _Fail(f"wrong count for features={f}, units={u}: it looks like you {hint}")
    raise _Fail(f"wrong count for features={f}, units={u} (got {got}); count W_x, W_h and b")


def _cases_rnn_forward(seed: int) -> list[dict]:
    rng = _rng(seed, 103)
    cases = []
    for batch, steps, features, units, with_h0 in [
        (2, 5, 3, 4, False),
        (3, 1, 2, 2, True),
        (1, 7, 1, 3, True),
    ]:
        W_x, W_h, b = _rnn_weights(rng, features, units)
        case = dict(x=rng.normal(size=(batch, steps, features)), W_x=W_x, W_h=W_h, b=b)
        case["h0"] = rng.uniform(-1, 1, (batch, units)) if with_h0 else None
        cases.append(case)
    return cases


def _check_rnn_forward(answer, case):
    x, W_x, W_h, b, h0 = (case[k] for k in ("x", "W_x", "W_h", "b", "h0"))
    expected = _ref_rnn_forward(x, W_x, W_h, b, h0)
    start = np.zeros((x.shape[0], W_h.shape[0])) if h0 is None else h0
    no_carry = np.stack([np.tanh(x[:, t] @ W_x + start @ W_h + b) for t in range(x.shape[1])], axis=1)
    shifted = np.concatenate([start[:, None], expected[:, :-1]], axis=1)
    mistakes = {
        "returned only the last hidden state; return all of them, shape (batch, timesteps, units)": expected[
            :, -1
        ],
        "did not carry the hidden state from one step to the next": no_carry,
        "returned the states before each step (starting with h0) instead of after it": shifted,
    }
    _compare(answer, expected, mistakes=mistakes)


def _cases_output_shape(seed: int) -> list[dict]:
    rng = _rng(seed, 104)
    out = []
    for flag in (True, False, True, False):
        b, t, f, u = (int(v) for v in rng.integers(1, 50, 4))
        out.append(dict(batch=b, timesteps=t, features=f, units=u, return_sequences=flag))
    return out


def _check_output_shape(answer, case):
    b, t, u = case["batch"], case["timesteps"], case["units"]
    expected = (b, t, u) if case["return_sequences"] else (b, u)
    if not isinstance(answer, tuple | list) or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in answer
    ):
        raise _Fail(f"return a tuple of ints, got {type(answer).__name__}")
    if tuple(int(v) for v in answer) != expected:
        flag = case["return_sequences"]
        raise _Fail(f"wrong shape for return_sequences={flag} (case {_describe(case)})")


# ----------------------------------------------------------------------------------------------------------
# 02 -- training RNNs
# ----------------------------------------------------------------------------------------------------------


def _ref_scalar_gradient(xs, w, u, h0):
    h, grad = h0, 1.0
    for x in xs:
        h = math.tanh(w * x + u * h)
        grad *= u * (1 - h * h)
    return grad


def _cases_scalar_gradient(seed: int) -> list[dict]:
    rng = _rng(seed, 201)
    cases = []
    for steps in (1, 3, 6, 10):
        cases.append(
            dict(
                xs=[float(v) for v in rng.normal(size=steps)],
                w=float(rng.normal()),
                u=float(rng.uniform(0.5, 1.5) * rng.choice([-1, 1])),
                h0=float(rng.uniform(-0.9, 0.9)),
            )
        )
    return cases


def _check_scalar_gradient(answer, case):
    xs, w, u, h0 = case["xs"], case["w"], case["u"], case["h0"]
    if isinstance(answer, bool) or not isinstance(answer, int | float | np.number):
        arr = _as_array(answer)
        if arr.shape != ():
            raise _Fail(f"return one number (a float), got an array of shape {arr.shape}")
        answer = float(arr)
    # forgot the tanh derivative; or used the derivative at the previous state
    h, off_by_one = h0, 1.0
    for x in xs:
        off_by_one *= u * (1 - h * h)
        h = math.tanh(w * x + u * h)
    mistakes = {
        "left out the derivative of tanh, (1 - h_t**2)": np.asarray(u ** len(xs)),
        "used (1 - h_{t-1}**2) instead of (1 - h_t**2)": np.asarray(off_by_one),
    }
    _compare(
        np.asarray(float(answer)),
        np.asarray(_ref_scalar_gradient(xs, w, u, h0)),
        mistakes=mistakes,
        what=f"your gradient for {len(xs)} step(s)",
    )


def _ref_bptt_grad_W_h(x, W_x, W_h, b, dh_T, last_only=False):
    hs = _ref_rnn_forward(x, W_x, W_h, b)
    batch, steps, units = hs.shape
    prev = np.concatenate([np.zeros((batch, 1, units)), hs[:, :-1]], axis=1)
    dW_h = np.zeros_like(W_h)
    dh = dh_T
    for t in range(steps - 1, -1, -1):
        da = dh * (1 - hs[:, t] ** 2)
        dW_h += prev[:, t].T @ da
        if last_only:
            break
        dh = da @ W_h.T
    return dW_h


def _cases_bptt(seed: int) -> list[dict]:
    rng = _rng(seed, 202)
    cases = []
    for batch, steps, features, units in [(2, 4, 3, 3), (1, 6, 2, 4), (3, 2, 1, 2)]:
        W_x, W_h, b = _rnn_weights(rng, features, units, scale=0.5)
        cases.append(
            dict(
                x=rng.normal(size=(batch, steps, features)),
                W_x=W_x,
                W_h=W_h,
                b=b,
                dh_T=rng.normal(size=(batch, units)),
            )
        )
    return cases


def _check_bptt(answer, case):
    x, W_x, W_h, b, dh_T = (case[k] for k in ("x", "W_x", "W_h", "b", "dh_T"))
    expected = _ref_bptt_grad_W_h(x, W_x, W_h, b, dh_T)
    mistakes = {
        "stopped after the last step: the gradient must flow back through every step": _ref_bptt_grad_W_h(
            x, W_x, W_h, b, dh_T, last_only=True
        ),
        "returned the transpose": expected.T,
    }
    _compare(answer, expected, mistakes=mistakes, rtol=1e-4, atol=1e-8)


def _cases_clip(seed: int) -> list[dict]:
    rng = _rng(seed, 203)
    cases = []
    for scale, max_norm in [(5.0, 1.0), (0.1, 1.0), (3.0, 2.5)]:
        grads = [rng.normal(0, scale, s) for s in [(3, 4), (4,), (2, 2)]]
        cases.append(dict(grads=grads, max_norm=max_norm))
    return cases


def _check_clip(answer, case):
    grads, max_norm = case["grads"], case["max_norm"]
    if not isinstance(answer, list | tuple) or len(answer) != len(grads):
        raise _Fail(f"return a list of {len(grads)} arrays, one per gradient (got {type(answer).__name__})")
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    factor = min(1.0, max_norm / norm)
    clipped_each = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
    for i, (got, g) in enumerate(zip(answer, grads, strict=True)):
        try:
            _compare(
                got,
                g * factor,
                what=f"clipped gradient {i}",
                mistakes={
                    "clipped each gradient by its own norm; use the global norm of all of them": clipped_each[
                        i
                    ],
                    "clipped element by element; scale all gradients by one factor": np.clip(
                        g, -max_norm, max_norm
                    ),
                },
            )
        except _Fail as error:
            state = "above" if norm > max_norm else "below"
            raise _Fail(f"{error} (a case where the global norm is {state} max_norm)") from None


# ----------------------------------------------------------------------------------------------------------
# 03 -- forecasting
# ----------------------------------------------------------------------------------------------------------


def _cases_windows(seed: int) -> list[dict]:
    rng = _rng(seed, 301)
    cases = []
    for n, seq_len, horizon in [(20, 5, 1), (30, 7, 3), (12, 11, 1)]:
        cases.append(dict(series=np.round(rng.normal(10, 3, n), 3), seq_len=seq_len, horizon=horizon))
    return cases


def _check_windows(answer, case):
    series, seq_len, horizon = case["series"], case["seq_len"], case["horizon"]
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise _Fail("return a pair (X, y)")
    n = len(series) - seq_len - horizon + 1
    X = np.stack([series[i : i + seq_len] for i in range(n)])
    y = series[seq_len + horizon - 1 : seq_len + horizon - 1 + n]
    tag = f" (case seq_len={seq_len}, horizon={horizon}, {len(series)} values)"
    try:
        _compare(answer[0], X, what="X", mistakes={"made one window too many or too few": X[:-1]})
        y_ignoring_horizon = series[seq_len : seq_len + n]
        _compare(
            answer[1],
            y,
            what="y",
            mistakes={
                "made one window too many or too few": y[:-1],
                "took the value right after the window; the target is `horizon` steps after its end": (
                    y_ignoring_horizon
                ),
            },
        )
    except _Fail as error:
        raise _Fail(f"{error}{tag}") from None


def _cases_split(seed: int) -> list[dict]:
    import pandas as pd

    rng = _rng(seed, 302)
    cases = []
    for n, train, val in [(100, 0.7, 0.15), (57, 0.6, 0.2), (10, 0.5, 0.3)]:
        index = pd.date_range("2015-03-01", periods=n, freq="D")
        df = pd.DataFrame({"ridership": np.round(rng.normal(500, 50, n), 1)}, index=index)
        cases.append(dict(df=df, train=train, val=val))
    return cases


def _check_split(answer, case):
    df, train, val = case["df"], case["train"], case["val"]
    n = len(df)
    sizes = [int(n * train), int(n * val)]
    sizes.append(n - sum(sizes))
    if not isinstance(answer, tuple | list) or len(answer) != 3:
        raise _Fail("return three DataFrames (train, val, test)")
    start = 0
    expected_index = np.asarray(df.index)
    for name, part, size in zip(("train", "val", "test"), answer, sizes, strict=True):
        if not isinstance(part, _Pandas) or part.kind != "DataFrame":
            raise _Fail(f"the {name} part should be a DataFrame, got {type(part).__name__}")
        if len(part.index) != size:
            raise _Fail(
                f"the {name} part has {len(part.index)} rows, which is wrong for {n} rows with "
                f"train={train}, val={val} (use int(len(df) * fraction))"
            )
        if part.columns != [str(c) for c in df.columns]:
            raise _Fail(f"the {name} part should keep the DataFrame's columns")
        if not np.array_equal(part.index, expected_index[start : start + size]):
            raise _Fail(
                f"the {name} part holds the wrong dates: keep the rows in time order, without "
                "shuffling, train first"
            )
        start += size


def _cases_seasonal(seed: int) -> list[dict]:
    rng = _rng(seed, 303)
    return [
        dict(X=np.round(rng.normal(0, 1, (n, seq_len)), 3), season=season)
        for n, seq_len, season in [(4, 14, 7), (3, 10, 1), (5, 24, 12)]
    ]


def _check_seasonal(answer, case):
    X, season = case["X"], case["season"]
    _compare(
        answer,
        X[:, -season],
        what=f"your forecast (season={season})",
        mistakes={
            "returned the last value of each window (the naive forecast), not the value one season back": X[
                :, -1
            ]
            if season != 1
            else np.full(X.shape[0], np.inf),
            "counted the season from the start of the window": X[:, season - 1],
            "are one step off: the target is one step after the window's end": X[:, -season - 1]
            if season < X.shape[1]
            else np.full(X.shape[0], np.inf),
        },
    )


def _cases_skill(seed: int) -> list[dict]:
    rng = _rng(seed, 304)
    cases = []
    for n in (8, 20, 50):
        y = rng.normal(100, 10, n)
        cases.append(dict(y_true=y, y_pred=y + rng.normal(0, 3, n), y_baseline=y + rng.normal(0, 6, n)))
    return cases


def _check_skill(answer, case):
    y, p, base = case["y_true"], case["y_pred"], case["y_baseline"]
    mae_p, mae_b = np.mean(np.abs(y - p)), np.mean(np.abs(y - base))
    expected = 1 - mae_p / mae_b
    mse = lambda a: np.mean((y - a) ** 2)  # noqa: E731
    arr = _as_array(answer)
    if arr.shape != ():
        raise _Fail(f"return one number (a float), got an array of shape {arr.shape}")
    _compare(
        arr,
        np.asarray(expected),
        what=f"your skill for {len(y)} values",
        mistakes={
            "returned the ratio of the MAEs; skill is 1 minus that ratio": np.asarray(mae_p / mae_b),
            "swapped the model and the baseline": np.asarray(1 - mae_b / mae_p),
            "used squared errors; use absolute errors (MAE)": np.asarray(1 - mse(p) / mse(base)),
        },
    )


# ----------------------------------------------------------------------------------------------------------
# 04 -- sentiment
# ----------------------------------------------------------------------------------------------------------

_WORDS = (
    "the movie was great awful boring fun a plot actor film not very good bad i loved hated it "
    "and but story ending music slow brilliant"
).split()


def _standardize(text: str) -> list[str]:
    return text.lower().translate(str.maketrans("", "", string.punctuation)).split()


def _cases_vectorize(seed: int) -> list[dict]:
    rng = _rng(seed, 401)
    cases = []
    for n_texts, seq_len, vocab_size in [(3, 6, 10), (4, 4, 15), (2, 12, 5)]:
        texts = []
        for _ in range(n_texts):
            words = list(rng.choice(_WORDS, size=int(rng.integers(1, 10))))
            words = [w.capitalize() if rng.random() < 0.3 else w for w in words]
            words = [w + str(rng.choice(list("!,.?"))) if rng.random() < 0.3 else w for w in words]
            texts.append(" ".join(words))
        chosen = [str(w) for w in rng.choice(_WORDS, size=vocab_size, replace=False)]
        vocab = {w: i + 2 for i, w in enumerate(chosen)}
        cases.append(dict(texts=texts, vocab=vocab, seq_len=seq_len))
    return cases


def _ref_vectorize(texts, vocab, seq_len):
    out = np.zeros((len(texts), seq_len), dtype=np.int64)
    for row, text in enumerate(texts):
        ids = [vocab.get(tok, 1) for tok in _standardize(text)][:seq_len]
        out[row, : len(ids)] = ids
    return out


def _check_vectorize(answer, case):
    texts, vocab, seq_len = case["texts"], case["vocab"], case["seq_len"]
    expected = _ref_vectorize(texts, vocab, seq_len)
    got = _as_array(answer)
    if got.shape == expected.shape and np.issubdtype(np.asarray(answer).dtype, np.floating):
        raise _Fail("token ids should be integers, got floats")
    no_strip = np.zeros_like(expected)
    for row, text in enumerate(texts):
        ids = [vocab.get(tok, 1) for tok in text.lower().split()][:seq_len]
        no_strip[row, : len(ids)] = ids
    _compare(
        got,
        expected,
        what=f"your ids (case seq_len={seq_len}, {len(texts)} texts)",
        mistakes={
            "did not strip punctuation (or did not lowercase)": no_strip,
            "padded at the start; pad with 0 at the end": np.stack(
                [np.roll(r, seq_len - int(np.count_nonzero(r))) for r in expected]
            ),
        },
    )


def _cases_masked_mean(seed: int) -> list[dict]:
    rng = _rng(seed, 402)
    cases = []
    for batch, steps, dim in [(2, 5, 3), (3, 4, 2), (1, 6, 4)]:
        ids = rng.integers(1, 9, (batch, steps))
        for row in range(batch):
            ids[row, int(rng.integers(1, steps)) :] = 0
        cases.append(dict(embeddings=rng.normal(size=(batch, steps, dim)), token_ids=ids))
    return cases


def _check_masked_mean(answer, case):
    emb, ids = case["embeddings"], case["token_ids"]
    mask = (ids != 0)[..., None]
    expected = (emb * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    _compare(
        answer,
        expected,
        mistakes={
            "averaged over every position; leave out the padding (token id 0)": emb.mean(axis=1),
            "summed the kept vectors without dividing by how many there are": (emb * mask).sum(axis=1),
            "divided by the full length instead of the number of real tokens": (emb * mask).mean(axis=1),
        },
    )


def _cases_majority(seed: int) -> list[dict]:
    rng = _rng(seed, 403)
    cases = []
    for n_train, n_test, p in [(50, 20, 0.7), (31, 9, 0.3), (40, 25, 0.55)]:
        cases.append(
            dict(
                train_labels=[int(v) for v in rng.random(n_train) < p],
                test_labels=[int(v) for v in rng.random(n_test) < 1 - p],
            )
        )
    return cases


def _check_majority(answer, case):
    train, test = np.asarray(case["train_labels"]), np.asarray(case["test_labels"])
    majority = int(np.bincount(train, minlength=2).argmax())
    arr = _as_array(answer)
    if arr.shape != ():
        raise _Fail(f"return one number (a float), got an array of shape {arr.shape}")
    _compare(
        arr,
        np.asarray(np.mean(test == majority)),
        what="your accuracy",
        mistakes={
            "took the majority class of the test labels; take it from the training labels": np.asarray(
                np.mean(test == int(np.bincount(test, minlength=2).argmax()))
            ),
            "returned a percentage; return a fraction between 0 and 1": np.asarray(
                100 * np.mean(test == majority)
            ),
        },
    )


#: Test accuracy the sentiment model of notebook 04 must reach on the held-out test split.
SENTIMENT_MIN_ACCURACY = 0.72
_SENTIMENT_TEST_SIZE = 0.2
_SENTIMENT_SEED = 0


@functools.lru_cache(maxsize=1)
def _sentiment_split() -> tuple[tuple[str, ...], np.ndarray, tuple[str, ...], np.ndarray]:
    from sklearn.model_selection import train_test_split

    from rnncourse import datasets

    df = datasets.load_sentiment()
    tr_x, te_x, tr_y, te_y = train_test_split(
        list(df["text"]),
        df["label"].to_numpy(),
        stratify=df["label"],
        test_size=_SENTIMENT_TEST_SIZE,
        random_state=_SENTIMENT_SEED,
    )
    return tuple(tr_x), np.asarray(tr_y), tuple(te_x), np.asarray(te_y)


def sentiment_data() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """The train/test split used by exercise 04 (and by the grader): ``(train_texts, train_labels,
    test_texts, test_labels)``, stratified, 20% test, seed 0, from `rnncourse.datasets.load_sentiment`.

    Example:
        >>> train_texts, train_labels, test_texts, test_labels = sentiment_data()  # doctest: +SKIP
    """
    tr_x, tr_y, te_x, te_y = _sentiment_split()  # loaded once per process, so the grader keeps its own copy
    return list(tr_x), tr_y.copy(), list(te_x), te_y.copy()


def _cases_sentiment(seed: int) -> list[dict]:
    _, _, test_texts, _ = sentiment_data()
    return [dict(texts=test_texts)]


def _check_sentiment(answer, case):
    _, _, test_texts, test_labels = sentiment_data()
    got = _as_array(answer, "your predictions")
    if got.shape not in {(len(test_texts),), (len(test_texts), 1)}:
        raise _Fail(
            f"predict_sentiment should return one number per text, shape ({len(test_texts)},); got "
            f"shape {got.shape}"
        )
    if not np.all(np.isfinite(got)) or got.min() < 0 or got.max() > 1:
        raise _Fail("return probabilities of the positive class (or 0/1 labels), between 0 and 1")
    accuracy = float(np.mean((got.ravel() >= 0.5).astype(int) == test_labels))
    if accuracy < SENTIMENT_MIN_ACCURACY:
        raise _Fail(f"test accuracy {accuracy:.3f} is below the required {SENTIMENT_MIN_ACCURACY:.2f}")


# ----------------------------------------------------------------------------------------------------------
# 05 -- LSTM and GRU
# ----------------------------------------------------------------------------------------------------------

_KINDS = ("SimpleRNN", "LSTM", "GRU")


def _ref_params(kind: str, features: int, units: int) -> int:
    """Keras defaults: SimpleRNN and LSTM have one bias per gate; GRU (reset_after=True) has two."""
    per_gate = units * (features + units + 1)
    return {"SimpleRNN": per_gate, "LSTM": 4 * per_gate, "GRU": 3 * (per_gate + units)}[kind]


def _cases_recurrent_params(seed: int) -> list[dict]:
    rng = _rng(seed, 501)
    return [
        dict(kind=kind, features=int(rng.integers(1, 30)), units=int(rng.integers(1, 60)))
        for kind in _KINDS + _KINDS
    ]


def _check_recurrent_params(answer, case):
    kind, f, u = case["kind"], case["features"], case["units"]
    got = _exact_int(answer)
    if got == _ref_params(kind, f, u):
        return
    if kind == "GRU" and got == 3 * u * (f + u + 1):
        raise _Fail(
            f"wrong count for a GRU (features={f}, units={u}): Keras's GRU uses reset_after=True, "
            "which gives each gate a second bias vector"
        )
    if kind != "SimpleRNN" and got == u * (f + u + 1):
        raise _Fail(f"wrong count for {kind}: it looks like you counted one gate; how many does {kind} have?")
    raise _Fail(f"wrong count for kind={kind!r}, features={f}, units={u} (got {got})")


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _ref_lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, order="ifco"):
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    parts = dict(zip(order, np.split(z, 4, axis=-1), strict=True))
    i, f, o = _sigmoid(parts["i"]), _sigmoid(parts["f"]), _sigmoid(parts["o"])
    c = f * c_prev + i * np.tanh(parts["c"])
    return o * np.tanh(c), c


def _cases_lstm(seed: int) -> list[dict]:
    rng = _rng(seed, 502)
    cases = []
    for batch, features, units in [(2, 3, 2), (1, 4, 3), (3, 1, 4)]:
        cases.append(
            dict(
                x_t=rng.normal(size=(batch, features)),
                h_prev=rng.uniform(-1, 1, (batch, units)),
                c_prev=rng.normal(size=(batch, units)),
                kernel=rng.normal(0, 0.5, (features, 4 * units)),
                recurrent_kernel=rng.normal(0, 0.5, (units, 4 * units)),
                bias=rng.normal(0, 0.5, 4 * units),
            )
        )
    return cases


def _check_lstm(answer, case):
    args = [case[k] for k in ("x_t", "h_prev", "c_prev", "kernel", "recurrent_kernel", "bias")]
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise _Fail("return a pair (h, c)")
    h, c = _ref_lstm_step(*args)
    x_t, h_prev, c_prev, kernel, rk, bias = args
    z = x_t @ kernel + h_prev @ rk + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c_no_tanh = _sigmoid(f) * c_prev + _sigmoid(i) * g
    for name, got, expected in (("c", answer[1], c), ("h", answer[0], h)):
        wrong_order = _ref_lstm_step(*args, order="ifoc")[1 if name == "c" else 0]
        mistakes = {"used the gate order i, f, o, c; Keras stores i, f, c, o": wrong_order}
        if name == "c":
            mistakes["forgot the tanh on the candidate cell state"] = c_no_tanh
        else:
            mistakes["returned o * c; h is o * tanh(c)"] = _sigmoid(o) * c
            mistakes["returned (c, h); return (h, c)"] = c
        _compare(got, expected, what=f"your {name}", mistakes=mistakes)


def _random_results_table(rng: np.random.Generator):
    import pandas as pd

    rows = []
    for kind in _KINDS:
        for units in (16, 32, 64):
            features = 8
            rows.append(
                dict(
                    model=f"{kind}-{units}",
                    params=_ref_params(kind, features, units) + units + 1,
                    seconds_per_epoch=round(float(rng.uniform(0.5, 6.0)), 2),
                    val_mae=round(float(rng.uniform(0.8, 2.0)), 3),
                )
            )
    table = (
        pd.DataFrame(rows).sample(frac=1.0, random_state=int(rng.integers(1 << 30))).reset_index(drop=True)
    )
    return table


def example_results_table(seed: int = 0):
    """A results table in the shape exercise 05 uses: columns ``model``, ``params``, ``seconds_per_epoch``,
    ``val_mae``; one row per recurrent layer (SimpleRNN, LSTM, GRU with 16, 32, 64 units on 8 features, plus
    a Dense(1) head).

    The parameter counts are exact; the times and errors are random draws for the exercise, not
    measurements (notebook 05 measures the real ones).

    Example:
        >>> example_results_table().columns.tolist()
        ['model', 'params', 'seconds_per_epoch', 'val_mae']
    """
    return _random_results_table(_rng(seed, 599))


def _cases_choose(seed: int) -> list[dict]:
    rng = _rng(seed, 503)
    cases = []
    for _ in range(4):
        table = _random_results_table(rng)
        cases.append(
            dict(
                results=table,
                max_params=int(rng.choice([1_000, 3_000, 8_000, 20_000])),
                max_seconds=round(float(rng.uniform(1.5, 5.0)), 1),
            )
        )
    cases.append(dict(results=cases[0]["results"], max_params=10, max_seconds=100.0))  # nothing qualifies
    return cases


def _check_choose(answer, case):
    table, max_params, max_seconds = case["results"], case["max_params"], case["max_seconds"]
    ok = table[(table["params"] <= max_params) & (table["seconds_per_epoch"] <= max_seconds)]
    expected = None if ok.empty else str(ok.loc[ok["val_mae"].idxmin(), "model"])
    if answer is not None and not isinstance(answer, str):
        raise _Fail(f"return a model name (a str) or None, got {type(answer).__name__}")
    if answer == expected:
        return
    cond = f"max_params={max_params}, max_seconds={max_seconds}"
    if expected is None:
        raise _Fail(f"no model meets {cond} in one case, so the answer there is None")
    if answer is None:
        raise _Fail(f"returned None, but some models meet {cond}")
    if answer not in set(table["model"]):
        raise _Fail(f"{answer!r} is not a model in the table")
    row = table[table["model"] == answer].iloc[0]
    if row["params"] > max_params or row["seconds_per_epoch"] > max_seconds:
        raise _Fail(f"{answer!r} breaks a constraint ({cond}); keep only the rows that meet both")
    if answer == str(table.loc[table["val_mae"].idxmin(), "model"]):
        raise _Fail("picked the lowest val_mae overall; pick it among the models that meet both constraints")
    raise _Fail(f"{answer!r} meets {cond} but does not have the lowest val_mae among those that do")


# ----------------------------------------------------------------------------------------------------------
# The catalogue
# ----------------------------------------------------------------------------------------------------------

NOTEBOOKS: dict[str, str] = {
    "01": "01_the_rnn_unit_exercises",
    "02": "02_training_rnns_exercises",
    "03": "03_forecasting_exercises",
    "04": "04_sentiment_exercises",
    "05": "05_lstm_gru_exercises",
}


def _q(qid, title, points, name, cases, check_case, call=None) -> Question:
    nb, number = qid.split(".q")
    return Question(qid, NOTEBOOKS[nb], int(number), title, points, name, cases, check_case, call)


QUESTIONS: dict[str, Question] = {
    q.qid: q
    for q in [
        _q("01.q1", "one RNN step in NumPy", 2, "rnn_step", _cases_rnn_step, _check_rnn_step),
        _q(
            "01.q2",
            "parameter count of a SimpleRNN layer",
            1,
            "simple_rnn_params",
            _cases_param_count,
            _check_param_count,
        ),
        _q("01.q3", "forward pass over a sequence", 2, "rnn_forward", _cases_rnn_forward, _check_rnn_forward),
        _q(
            "01.q4",
            "output shape with and without return_sequences",
            1,
            "rnn_output_shape",
            _cases_output_shape,
            _check_output_shape,
        ),
        _q(
            "02.q1",
            "gradient through time of a scalar RNN",
            2,
            "scalar_rnn_gradient",
            _cases_scalar_gradient,
            _check_scalar_gradient,
        ),
        _q("02.q2", "backpropagation through time for W_h", 3, "bptt_grad_W_h", _cases_bptt, _check_bptt),
        _q("02.q3", "gradient clipping by global norm", 1, "clip_by_global_norm", _cases_clip, _check_clip),
        _q("03.q1", "windowing a series", 2, "make_windows", _cases_windows, _check_windows),
        _q("03.q2", "chronological split", 1, "chronological_split", _cases_split, _check_split),
        _q("03.q3", "seasonal-naive forecast", 1, "seasonal_naive", _cases_seasonal, _check_seasonal),
        _q("03.q4", "forecast skill against a baseline", 1, "forecast_skill", _cases_skill, _check_skill),
        _q("04.q1", "text vectorization by hand", 2, "vectorize", _cases_vectorize, _check_vectorize),
        _q("04.q2", "masked mean of embeddings", 2, "masked_mean", _cases_masked_mean, _check_masked_mean),
        _q(
            "04.q3",
            "majority-class baseline accuracy",
            1,
            "majority_accuracy",
            _cases_majority,
            _check_majority,
        ),
        _q(
            "04.q4",
            f"a sentiment model with test accuracy >= {SENTIMENT_MIN_ACCURACY}",
            3,
            "predict_sentiment",
            _cases_sentiment,
            _check_sentiment,
        ),
        _q(
            "05.q1",
            "parameter counts of SimpleRNN, LSTM and GRU",
            2,
            "recurrent_params",
            _cases_recurrent_params,
            _check_recurrent_params,
        ),
        _q("05.q2", "one LSTM step in NumPy", 3, "lstm_step", _cases_lstm, _check_lstm),
        _q(
            "05.q3", "choosing a model from measured numbers", 2, "choose_model", _cases_choose, _check_choose
        ),
    ]
}


def get_question(qid: str) -> Question:
    """The `Question` with identifier `qid` (e.g. ``"01.q1"``); raises `KeyError` with the known ids."""
    if qid not in QUESTIONS:
        raise KeyError(f"unknown question {qid!r}; expected one of {sorted(QUESTIONS)}")
    return QUESTIONS[qid]


def questions_for(notebook: str) -> list[Question]:
    """The questions of one exercise notebook (its name without ``.ipynb``), in order."""
    found = [q for q in QUESTIONS.values() if q.notebook == notebook]
    if not found:
        raise KeyError(
            f"unknown exercise notebook {notebook!r}; expected one of {sorted(NOTEBOOKS.values())}"
        )
    return found


# ----------------------------------------------------------------------------------------------------------
# produce -> JSON -> verdict
# ----------------------------------------------------------------------------------------------------------


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if hasattr(value, "copy") and type(value).__module__.startswith("pandas"):
        return value.copy()
    return value


def _error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 300 else text[:297] + "..."


def produce(qid: str, answer: Any, seed: int = 0) -> str:
    """Call the learner's `answer` on the test cases of `seed` and return the results encoded as JSON.

    Never raises for a wrong answer: an exception in the learner's code, a missing name or an unencodable
    result is recorded in the JSON and becomes a failed check with a hint.
    """
    question = get_question(qid)
    record: dict[str, Any] = {"qid": qid, "seed": int(seed)}
    if answer is MISSING:
        record["error"] = f"your notebook does not define {question.answer_name!r}; run its answer cell"
    elif not callable(answer):
        record["error"] = f"{question.answer_name} should be a function, got {type(answer).__name__}"
    else:
        outputs = []
        for case in question.make_cases(seed):
            try:
                value = question.call(answer, case) if question.call else answer(**_copy(case))
                outputs.append(_encode(value))
            except NotImplementedError:
                record["error"] = f"{question.answer_name} is not written yet (it raises NotImplementedError)"
                break
            except Exception as error:  # the learner's code failed: report it, never crash the check
                frame = traceback.extract_tb(error.__traceback__)[-1:]
                where = f" (line {frame[0].lineno})" if frame else ""
                outputs.append({"__error__": _error_text(error) + where})
        record["outputs"] = outputs
    text = json.dumps(record)
    if len(text) > MAX_ANSWER_BYTES:
        text = json.dumps({"qid": qid, "seed": int(seed), "error": "your answer is far too large"})
    return text


def verdict_from_json(qid: str, text: str | bytes, seed: int) -> Result:
    """Check answers produced by `produce` for `seed`; `text` is untrusted (it comes from the kernel).

    The test cases and the reference answers are rebuilt here from `seed`, never read from `text`.
    """
    question = get_question(qid)

    def fail(reason: str) -> Result:
        return Result(qid, False, question.points, 0, reason)

    try:
        if len(text) > MAX_ANSWER_BYTES:
            return fail("the answer is far too large")
        record = json.loads(text)
        if not isinstance(record, dict) or record.get("qid") != qid:
            return fail("the answer record is malformed")
        if "error" in record:
            return fail(str(record["error"])[:400])
        outputs = record.get("outputs")
        cases = question.make_cases(seed)
        if not isinstance(outputs, list) or len(outputs) != len(cases):
            return fail("the answer record is malformed")
        for number, (raw, case) in enumerate(zip(outputs, cases, strict=True), start=1):
            if isinstance(raw, dict) and "__error__" in raw:
                return fail(f"test case {number} of {len(cases)} raised {str(raw['__error__'])[:300]}")
            try:
                value = _decode(raw)
            except (ValueError, TypeError, KeyError):
                return fail(f"test case {number}: could not read what your function returned")
            try:
                question.check_case(value, case)
            except _Fail as error:
                return fail(f"test case {number} of {len(cases)}: {error}")
    except Exception as error:  # malformed input must never crash grading
        return fail(f"could not check the answer ({type(error).__name__})")
    return Result(qid, True, question.points, question.points, "passed")


def verdict(qid: str, answer: Any, seed: int = 0) -> Result:
    """Produce and check in one go: the verdict on `answer` for the test cases of `seed`."""
    return verdict_from_json(qid, produce(qid, answer, seed), seed)


def check(qid: str, answer: Any, seeds: Sequence[int] = (0, 1)) -> None:
    """What a check cell calls: print whether `answer` passes question `qid`, with a hint when it does not.

    Runs the test cases of every seed in `seeds` (the grader uses fresh seeds of its own, so an answer that
    only works on these inputs does not earn the points).
    """
    result = None
    for seed in seeds:
        result = verdict(qid, answer, seed)
        if not result.passed:
            break
    print(result.line())


def write_answer(qid: str, answer: Any, seed: int, path: str) -> None:
    """Used by the grader's injected cells: `produce` the answer for `seed` and write the JSON to `path`."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(produce(qid, answer, seed))
