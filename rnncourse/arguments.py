"""Argument checks shared by the library's public functions, with one message shape.

Every check returns the value it was given, normalised (``int``, ``float``, a NumPy array, a list of str),
or raises an error whose message reads ``"`name` expects <what>, got <what was given>"``, optionally after
the name of the function or layer that checked it (``"VanillaRNNCell: `units` expects ..."``):

- ``TypeError`` for a value of the wrong type (a string seed, ``None`` labels, complex numbers),
- ``ValueError`` for a value of the right type that is out of range (a negative seed, NaN, an empty list,
  an array of the wrong rank, mismatched lengths),
- ``UnknownNameError`` for a name that is not among the choices (an unknown column, data set or ticker);
  it is both a ``KeyError`` and a ``ValueError``, so either ``except`` catches it.

Example:
    >>> positive_int(3, "seq_len")
    3
    >>> positive_int(0, "seq_len")
    Traceback (most recent call last):
    ...
    ValueError: `seq_len` expects a positive integer, got 0
    >>> seed("abc")
    Traceback (most recent call last):
    ...
    TypeError: `seed` expects an integer >= 0 or None, got 'abc' (str)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = [
    "UnknownNameError",
    "message",
    "given",
    "integer",
    "positive_int",
    "seed",
    "number",
    "fraction",
    "boolean",
    "one_of",
    "id_sequence",
    "numeric_array",
    "texts",
    "labels",
    "same_length",
    "callable_or_none",
]


class UnknownNameError(KeyError, ValueError):
    """A name that is not among the choices: a ``KeyError`` and a ``ValueError`` at once.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Its message is printed as it is (a plain ``KeyError`` would print it in quotes).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def message(name: str, expected: str, got: str, where: str | None = None) -> str:
    """The one message shape: ``"[where: ]`name` expects <expected>, got <got>"``.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Example:
        >>> message("seq_len", "a positive integer", "0", where="window_arrays")
        'window_arrays: `seq_len` expects a positive integer, got 0'
    """
    prefix = f"{where}: " if where else ""
    return f"{prefix}`{name}` expects {expected}, got {got}"


def given(value: Any, with_type: bool = True) -> str:
    """A short description of what was given: its repr (cut at 60 characters), then its type.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Arrays, Series and DataFrames are described by their shape and dtype, not their values.

    Example:
        >>> given("abc"), given(None), given(2.5, with_type=False)
        ("'abc' (str)", 'None', '2.5')
        >>> given(np.zeros((2, 3)))
        'an array of shape (2, 3) and dtype float64'
    """
    if value is None:
        return "None"
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if isinstance(shape, tuple) and dtype is not None and shape != ():
        kind = "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
        return f"{kind} of shape {shape} and dtype {dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})" if with_type else text


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def integer(value: Any, name: str, minimum: int | None = None, maximum: int | None = None,
            where: str | None = None) -> int:
    """An integer (Python or NumPy, not ``bool``) within ``[minimum, maximum]``, returned as ``int``.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        value: what the caller was given.
        name: the argument's name, for the message.
        minimum: the smallest value allowed, or ``None``. Default: ``None``.
        maximum: the largest value allowed, or ``None``. Default: ``None``.
        where: the caller's name, put in front of the message. Default: ``None``.

    Returns:
        ``int(value)``.

    Raises:
        TypeError: if ``value`` is not an integer.
        ValueError: if it is outside the bounds.
    """
    if minimum is not None and maximum is not None:
        expected = f"an integer from {minimum} to {maximum}"
    elif minimum is not None:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    elif maximum is not None:
        expected = f"an integer <= {maximum}"
    else:
        expected = "an integer"
    if not _is_int(value):
        raise TypeError(message(name, expected, given(value), where))
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(message(name, expected, given(value, with_type=False), where))
    return int(value)


def positive_int(value: Any, name: str, where: str | None = None) -> int:
    """An integer >= 1 (see ``integer``).

    Taught in: none of the notebooks (library only; see docs/library.md).

    Example:
        >>> positive_int(np.int64(4), "horizon")
        4
    """
    return integer(value, name, minimum=1, where=where)


def seed(value: Any, name: str = "seed", where: str | None = None) -> int | None:
    """A random seed: ``None`` or an integer >= 0 (what ``np.random.default_rng`` and ``tf.data`` accept).

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        value: what the caller was given.
        name: the argument's name, for the message. Default: ``"seed"``.
        where: the caller's name, put in front of the message. Default: ``None``.

    Returns:
        ``None`` or ``int(value)``.

    Raises:
        TypeError: for anything but an integer or ``None``.
        ValueError: for a negative integer.
    """
    expected = "an integer >= 0 or None"
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(message(name, expected, given(value), where))
    if value < 0:
        raise ValueError(message(name, expected, given(value, with_type=False), where))
    return int(value)


def number(value: Any, name: str, low: float = -math.inf, high: float = math.inf,
           include_low: bool = True, include_high: bool = True, where: str | None = None) -> float:
    """A finite real number (not ``bool``) between ``low`` and ``high``, returned as ``float``.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        value: what the caller was given.
        name: the argument's name, for the message.
        low: the lower bound. Default: ``-inf`` (none).
        high: the upper bound. Default: ``inf`` (none).
        include_low: whether ``low`` itself is allowed. Default: ``True``.
        include_high: whether ``high`` itself is allowed. Default: ``True``.
        where: the caller's name, put in front of the message. Default: ``None``.

    Returns:
        ``float(value)``.

    Raises:
        TypeError: if ``value`` is not a real number.
        ValueError: if it is NaN, infinite or out of range.

    Example:
        >>> number(0.5, "alpha", low=0)
        0.5
    """
    parts = []
    if low > -math.inf:
        parts.append(f"{'>=' if include_low else '>'} {low:g}")
    if high < math.inf:
        parts.append(f"{'<=' if include_high else '<'} {high:g}")
    expected = "a finite number" + (" " + " and ".join(parts) if parts else "")
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(message(name, expected, given(value), where))
    ok = math.isfinite(value) and (value >= low if include_low else value > low) and (
        value <= high if include_high else value < high)
    if not ok:
        raise ValueError(message(name, expected, given(value, with_type=False), where))
    return float(value)


def fraction(value: Any, name: str, where: str | None = None) -> float:
    """A number strictly between 0 and 1.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Example:
        >>> fraction(0.15, "val")
        0.15
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(message(name, "a fraction strictly between 0 and 1", given(value), where))
    if not 0.0 < float(value) < 1.0:
        raise ValueError(message(name, "a fraction strictly between 0 and 1", given(value, False), where))
    return float(value)


def boolean(value: Any, name: str, where: str | None = None) -> bool:
    """``True`` or ``False`` (``np.bool_`` too; not 0/1, not strings).

    Taught in: none of the notebooks (library only; see docs/library.md).
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(message(name, "True or False", given(value), where))
    return bool(value)


def one_of(value: Any, name: str, choices: Iterable, where: str | None = None) -> Any:
    """One of ``choices`` (compared with ``in``); an ``UnknownNameError`` otherwise.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Example:
        >>> one_of("relative", "time_labels", ["relative", "absolute"])
        'relative'
    """
    choices = list(choices)
    try:
        known = value in choices
    except TypeError:  # an unhashable value against a dict's keys, for instance
        known = False
    if not known:
        raise UnknownNameError(message(name, f"one of {choices}", given(value, with_type=False), where))
    return value


_NUMERIC_KINDS = "biuf"


def numeric_array(
    values: Any,
    name: str,
    dtype: Any = None,
    ndim: int | tuple[int, ...] | None = None,
    allow_empty: bool = False,
    finite: bool = True,
    where: str | None = None,
) -> np.ndarray:
    """Real numbers as a NumPy array, with the type, rank, emptiness and finiteness checked.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        values: array-like (list, array, pandas object, tensor).
        name: the argument's name, for the message.
        dtype: convert to this dtype; ``None`` keeps a numeric dtype as it is (objects become float64).
        ndim: the allowed rank(s), or ``None`` for any.
        allow_empty: accept an array with no elements. Default: ``False``.
        finite: refuse NaN and infinite values. Default: ``True``.
        where: the caller's name, put in front of the message.

    Raises:
        TypeError: ``None``, a string, strings, complex numbers, dates or other non-numbers.
        ValueError: a wrong rank, no elements, or NaN / infinite values.

    Example:
        >>> numeric_array([1, 2], "y_true", dtype=np.float64)
        array([1., 2.])
        >>> numeric_array([1.0, np.inf], "y_true")
        Traceback (most recent call last):
        ...
        ValueError: `y_true` expects finite numbers, got 1 infinite value(s) (and 0 NaN)
    """
    expected = "real numbers"
    if values is None or isinstance(values, str | bytes):
        raise TypeError(message(name, expected, given(values), where))
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:  # ragged nested lists
        raise TypeError(message(name, expected, f"{given(values)} that NumPy cannot read ({error})",
                                where)) from None
    if array.dtype.kind == "O":
        bad = [v for v in array.ravel() if not isinstance(v, numbers.Real)]
        if bad:
            got = f"{len(bad)} element(s) that are not, e.g. {given(bad[0])}"
            raise TypeError(message(name, expected, got, where))
        array = array.astype(np.float64)
    elif array.dtype.kind not in _NUMERIC_KINDS:
        kind = {"c": "complex numbers", "U": "strings", "S": "bytes", "M": "dates", "m": "time spans"}
        what = kind.get(array.dtype.kind, f"dtype {array.dtype}")
        raise TypeError(message(name, expected, f"{what} ({given(values)})", where))
    if dtype is not None:
        with np.errstate(over="ignore"):  # a value beyond the new dtype's range becomes inf, refused below
            array = array.astype(dtype, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            ranks = " or ".join(str(d) for d in allowed)
            raise ValueError(message(name, f"an array with {ranks} dimension(s)",
                                     f"shape {array.shape}", where))
    if not allow_empty and array.size == 0:
        raise ValueError(message(name, "at least one value", f"an empty array of shape {array.shape}", where))
    if finite and array.dtype.kind in "fc":
        finite_mask = np.isfinite(array)
        if not finite_mask.all():
            n_nan = int(np.isnan(array).sum())
            n_inf = int(array.size - finite_mask.sum()) - n_nan
            got = f"{n_nan} NaN value(s)" if not n_inf else f"{n_inf} infinite value(s) (and {n_nan} NaN)"
            raise ValueError(message(name, "finite numbers", got, where))
    return array


def id_sequence(values: Any, name: str = "ids", where: str | None = None) -> np.ndarray:
    """A 1-D array of integer ids (a text encoded by ``CharVocabulary.encode``); empty is allowed.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        values: what the caller was given.
        name: the argument's name, for the message. Default: ``"ids"``.
        where: the caller's name, put in front of the message. Default: ``None``.

    Returns:
        ``np.asarray(values)``, unchanged.

    Raises:
        TypeError: not 1-D, or not of an integer dtype.
    """
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise TypeError(message(name, "a 1-D sequence of integer ids", given(values), where))
    return array


def texts(values: Any, name: str = "texts", where: str | None = None) -> list[str]:
    """A non-empty list of str (a list, tuple, array or Series of str; not one string).

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        values: what the caller was given.
        name: the argument's name, for the message. Default: ``"texts"``.
        where: the caller's name, put in front of the message. Default: ``None``.

    Returns:
        The texts as a new list.

    Raises:
        TypeError: a single string, something that is not a sequence, or an element that is not a str.
        ValueError: no texts at all.

    Example:
        >>> texts(("a film", "a plot"))
        ['a film', 'a plot']
    """
    expected = "a list of strings"
    if isinstance(values, str | bytes):
        raise TypeError(message(name, expected, f"a single string {given(values, with_type=False)}", where))
    try:
        items = list(values)
    except TypeError:
        raise TypeError(message(name, expected, given(values), where)) from None
    if not items:
        raise ValueError(message(name, "at least one text", "an empty list", where))
    bad = [(i, t) for i, t in enumerate(items) if not isinstance(t, str)]
    if bad:
        i, t = bad[0]
        raise TypeError(message(name, "a str in every element",
                                f"{len(bad)} that are not, the first at position {i}: {given(t)}", where))
    return items


def labels(values: Any, name: str = "labels", numeric: bool = False, where: str | None = None) -> np.ndarray:
    """Class labels as a non-empty array: integers or whole-number floats, or (unless ``numeric``) strings.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        values: what the caller was given (a list, array or Series).
        name: the argument's name, for the message. Default: ``"labels"``.
        numeric: refuse strings (for labels that go into a model). Default: ``False``.
        where: the caller's name, put in front of the message. Default: ``None``.

    Returns:
        The labels as a NumPy array.

    Raises:
        TypeError: ``None``, a single value, a missing (``None``) label, labels of mixed types, complex
            numbers, or strings where ``numeric=True``.
        ValueError: no labels, NaN or a fractional number.

    Example:
        >>> labels([0, 1, 1]).tolist(), labels(["neg", "pos"]).tolist()
        ([0, 1, 1], ['neg', 'pos'])
    """
    expected = "a sequence of class labels (numbers)" if numeric else "a sequence of class labels"
    if values is None or isinstance(values, str | bytes) or np.ndim(values) == 0:
        raise TypeError(message(name, expected, given(values), where))
    # a list of mixed types would become strings in np.asarray: look at the Python objects first
    array = np.asarray(values, dtype=object) if isinstance(values, list | tuple) else np.asarray(values)
    if array.size == 0:
        raise ValueError(message(name, "at least one label", "an empty sequence", where))
    if array.dtype.kind == "O":
        items = array.ravel().tolist()
        missing = next((i for i, v in enumerate(items) if v is None), None)
        if missing is not None:
            raise TypeError(message(name, expected, f"None at position {missing}", where))
        kinds = {"str" if isinstance(v, str) else "number" if isinstance(v, numbers.Real)
                 else type(v).__name__ for v in items}
        if kinds != {"str"} and kinds != {"number"}:
            raise TypeError(message(name, "labels all of one type (numbers or strings)",
                                    f"a mix of {sorted(kinds)}", where))
        array = np.asarray(items).reshape(array.shape)
    if array.dtype.kind in "US" and numeric:
        raise TypeError(message(name, expected, f"strings such as {array.ravel()[0].item()!r}; map them to "
                                                "integer class ids first", where))
    if array.dtype.kind not in "biufUS":
        raise TypeError(message(name, expected, given(values), where))
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            raise ValueError(message(name, "whole-number class labels",
                                     f"{array[bad].ravel()[0].item()!r}", where))
    return array


def same_length(first: Any, second: Any, names: tuple[str, str], where: str | None = None) -> int:
    """Check that two sequences have the same length (one label per text, one target per window).

    Taught in: none of the notebooks (library only; see docs/library.md).

    Example:
        >>> same_length([1, 2], ["a", "b"], ("labels", "texts"))
        2
    """
    n_first, n_second = len(first), len(second)
    if n_first != n_second:
        raise ValueError(message(names[0], f"as many elements as `{names[1]}` ({n_second})", f"{n_first}",
                                 where))
    return n_first


def callable_or_none(value: Any, name: str, expected: str, where: str | None = None) -> Callable | None:
    """``None`` or a callable (a layer, a function).

    Taught in: none of the notebooks (library only; see docs/library.md).
    """
    if value is not None and not callable(value):
        raise TypeError(message(name, expected, given(value), where))
    return value
