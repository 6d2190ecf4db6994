"""rnncourse.arguments: the shared checks return normalised values and fail in one message shape."""

import numpy as np
import pandas as pd
import pytest

from rnncourse import arguments as A


def test_message_shape_with_and_without_the_caller():
    assert A.message("seq_len", "a positive integer", "0") == "`seq_len` expects a positive integer, got 0"
    assert A.message("units", "a positive integer", "0", where="VanillaRNN").startswith("VanillaRNN: `units`")


def test_given_describes_values_types_and_arrays():
    assert A.given("abc") == "'abc' (str)"
    assert A.given(None) == "None"
    assert A.given(3, with_type=False) == "3"
    assert A.given(np.zeros((2, 3), "float32")) == "an array of shape (2, 3) and dtype float32"
    assert A.given(pd.Series([1, 2])) == "a Series of shape (2,) and dtype int64"
    long = A.given("x" * 100)
    assert len(long) < 80 and long.endswith("... (str)")


def test_unknown_name_error_is_a_key_error_and_a_value_error_and_prints_plainly():
    with pytest.raises(A.UnknownNameError) as info:
        A.one_of("tanhh", "activation", ["tanh", "relu"])
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    assert str(info.value) == "`activation` expects one of ['tanh', 'relu'], got 'tanhh'"  # no extra quotes
    assert A.one_of("relu", "activation", ("tanh", "relu")) == "relu"
    with pytest.raises(KeyError):
        A.one_of(["unhashable"], "part", {"train": 0})


@pytest.mark.parametrize(("value", "kwargs", "result"), [
    (3, {}, 3), (np.int64(3), {}, 3), (0, {"minimum": 0}, 0), (10, {"minimum": 1, "maximum": 10}, 10),
])
def test_integer_accepts(value, kwargs, result):
    out = A.integer(value, "n", **kwargs)
    assert out == result and type(out) is int


@pytest.mark.parametrize(("value", "kwargs", "error", "expected"), [
    (True, {}, TypeError, "`n` expects an integer, got True (bool)"),
    (np.bool_(True), {"minimum": 1}, TypeError, "`n` expects a positive integer, got np.True_ (bool)"),
    (2.0, {"minimum": 1}, TypeError, "`n` expects a positive integer, got 2.0 (float)"),
    ("2", {"minimum": 0}, TypeError, "`n` expects an integer >= 0, got '2' (str)"),
    (0, {"minimum": 1}, ValueError, "`n` expects a positive integer, got 0"),
    (11, {"minimum": 1, "maximum": 10}, ValueError, "`n` expects an integer from 1 to 10, got 11"),
    (5, {"maximum": 4}, ValueError, "`n` expects an integer <= 4, got 5"),
])
def test_integer_refuses(value, kwargs, error, expected):
    with pytest.raises(error) as info:
        A.integer(value, "n", **kwargs)
    assert str(info.value) == expected


def test_seed_number_fraction_boolean():
    assert A.seed(None) is None and A.seed(np.int32(7)) == 7
    with pytest.raises(ValueError, match="`seed` expects an integer >= 0 or None, got -1"):
        A.seed(-1)
    with pytest.raises(TypeError, match=r"`rng` expects an integer >= 0 or None, got 1.5 \(float\)"):
        A.seed(1.5, "rng")
    assert A.number(2, "alpha", low=0) == 2.0 and isinstance(A.number(2, "alpha"), float)
    assert A.number(0.0, "rate", low=0.0, high=1.0, include_high=False) == 0.0
    with pytest.raises(ValueError, match=r"`rate` expects a finite number >= 0 and < 1, got 1"):
        A.number(1, "rate", low=0.0, high=1.0, include_high=False)
    with pytest.raises(ValueError, match=r"`C` expects a finite number > 0, got 0"):
        A.number(0, "C", low=0.0, include_low=False)
    with pytest.raises(ValueError, match="got nan"):
        A.number(float("nan"), "x")
    with pytest.raises(TypeError, match=r"got False \(bool\)"):
        A.number(False, "x")
    assert A.fraction(0.5, "val") == 0.5
    for bad in (0, 1, 1.5):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            A.fraction(bad, "val")
    assert A.boolean(np.bool_(False), "flag") is False
    with pytest.raises(TypeError, match=r"`flag` expects True or False, got 1 \(int\)"):
        A.boolean(1, "flag")


def test_numeric_array_keeps_or_converts_the_dtype():
    assert A.numeric_array([1, 2], "x").dtype == np.int64  # kept
    assert A.numeric_array(np.float32([1.5]), "x").dtype == np.float32
    assert A.numeric_array([1, 2], "x", dtype=np.float64).dtype == np.float64
    assert A.numeric_array(np.array([1, 2.5], dtype=object), "x").tolist() == [1.0, 2.5]
    assert A.numeric_array([True, False], "x").dtype == bool
    assert A.numeric_array([], "x", allow_empty=True).size == 0
    assert np.isnan(A.numeric_array([np.nan], "x", finite=False)[0])
    with pytest.raises(ValueError, match=r"`x` expects finite numbers, got 1 infinite value\(s\)"):
        A.numeric_array([1e300], "x", dtype=np.float32)  # beyond float32: inf, refused, no overflow warning
    with pytest.raises(ValueError, match=r"`x` expects finite numbers, got 2 NaN value\(s\)"):
        A.numeric_array([np.nan, np.nan, 1.0], "x")
    with pytest.raises(ValueError, match=r"`x` expects an array with 1 or 2 dimension.*shape \(1, 1, 1\)"):
        A.numeric_array(np.zeros((1, 1, 1)), "x", ndim=(1, 2))


@pytest.mark.parametrize(("value", "given"), [
    (None, "None"), ("12", "'12' (str)"), (["1", "2"], "strings"), ([1j], "complex numbers"),
    (np.array(["2024-01-01"], dtype="datetime64[D]"), "dates"), (np.array([1, None], dtype=object), "None"),
    ([[1, 2], [3]], "that NumPy cannot read"),
])
def test_numeric_array_refuses_non_numbers(value, given):
    with pytest.raises(TypeError) as info:
        A.numeric_array(value, "x")
    assert str(info.value).startswith("`x` expects real numbers, got ") and given in str(info.value)


def test_texts_labels_and_lengths():
    assert A.texts(np.array(["a", "b"])) == ["a", "b"]
    assert A.texts(pd.Series(["a"])) == ["a"]
    with pytest.raises(TypeError, match=r"`texts` expects a list of strings, got 3 \(int\)"):
        A.texts(3)
    assert A.labels(pd.Series(["pos", "neg"], dtype="category")).tolist() == ["pos", "neg"]
    assert A.labels([1.0, 0.0]).dtype == np.float64
    assert A.labels(np.eye(2)).shape == (2, 2)  # one-hot rows are whole numbers too
    with pytest.raises(TypeError, match=r"`labels` expects labels all of one type .*, got a mix of"):
        A.labels([1, "a"])
    with pytest.raises(TypeError, match=r"`labels` expects .*\(numbers\), got strings such as 'a'"):
        A.labels(["a"], numeric=True)
    with pytest.raises(ValueError, match="`labels` expects whole-number class labels, got 0.5"):
        A.labels([0.5, 1.0])
    with pytest.raises(TypeError, match=r"got 1j \(complex\)"):
        A.labels(1j)
    assert A.same_length([1, 2], "ab", ("labels", "texts")) == 2
    with pytest.raises(ValueError, match=r"`labels` expects as many elements as `texts` \(2\), got 1"):
        A.same_length([1], "ab", ("labels", "texts"))
    assert A.callable_or_none(None, "f", "a function") is None
    with pytest.raises(TypeError, match=r"`f` expects a function, got 3 \(int\)"):
        A.callable_or_none(3, "f", "a function")
