"""Tests for rnncourse.metrics on hand-computed examples, and their bad-input errors."""

import numpy as np
import pandas as pd
import pytest

from rnncourse.metrics import accuracy, mae, mape, rmse


def test_mae_rmse_hand_example():
    y, p = [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 1.0, 8.0]  # errors 1, 0, 2, 4
    assert mae(y, p) == pytest.approx(7 / 4)
    assert rmse(y, p) == pytest.approx(np.sqrt((1 + 0 + 4 + 16) / 4))
    assert rmse(y, p) > mae(y, p)  # large misses weigh more
    assert mae(y, y) == 0.0 and rmse(y, y) == 0.0


def test_metrics_agree_with_sklearn():
    from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, root_mean_squared_error

    rng = np.random.default_rng(0)
    y, p = rng.uniform(1, 10, size=(50, 3)), rng.uniform(1, 10, size=(50, 3))
    assert mae(y, p) == pytest.approx(mean_absolute_error(y.ravel(), p.ravel()))
    assert rmse(y, p) == pytest.approx(root_mean_squared_error(y.ravel(), p.ravel()))
    assert mape(y, p) == pytest.approx(100 * mean_absolute_percentage_error(y.ravel(), p.ravel()))


def test_mape_hand_example_and_zeros():
    assert mape([100.0, 200.0], [110.0, 180.0]) == pytest.approx(10.0)
    assert mape([-50.0], [-25.0]) == pytest.approx(50.0)
    with pytest.raises(ValueError, match=r"`y_true` expects no zeros .*, got 1 zero"):
        mape([0.0, 1.0], [1.0, 1.0])


def test_dense1_shape_accepted_but_other_mismatch_rejected():
    y = np.array([1.0, 2.0, 3.0])
    assert mae(y, y[:, None] + 1) == pytest.approx(1.0)  # (n,) vs (n, 1): element by element, not (n, n)
    assert mae(pd.Series(y), y[:, None]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"`y_pred` expects the shape of y_true \(3,\), got \(2,\)"):
        mae(y, y[:2])
    with pytest.raises(ValueError, match=r"`y_pred` expects the shape of y_true \(3,\), got \(3, 2\)"):
        rmse(y, np.ones((3, 2)))


def test_nan_and_empty_rejected():
    with pytest.raises(ValueError, match="1 NaN"):
        mae([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        rmse([], [])
    with pytest.raises(TypeError, match="`y_pred` expects real numbers, got strings"):
        mae([1.0], ["a"])


def test_accuracy_forms():
    assert accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    assert accuracy([1, 0, 1], [0.9, 0.4, 0.5]) == 1.0  # sigmoid, threshold 0.5 inclusive
    assert accuracy([1, 0, 1], np.array([[0.9], [0.6], [0.2]])) == pytest.approx(1 / 3)  # (n, 1)
    assert accuracy([2, 0, 1], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.5, 0.3, 0.2]]) == pytest.approx(2 / 3)
    assert accuracy([2, 3], [2.0, 3.0]) == 1.0


def test_accuracy_bad_input():
    with pytest.raises(ValueError, match="3 predictions for 2 labels"):
        accuracy([1, 0], [1, 0, 1])
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\], got values such as 1.5"):
        accuracy([1, 0], [1.5, 0.2])
    with pytest.raises(ValueError, match="whole-number class labels"):
        accuracy([0.5, 1.0], [1, 0])


# ---------------------------------------------------------------------------------------------------------
# Language models: bits per character and perplexity
# ---------------------------------------------------------------------------------------------------------


def test_bits_per_char_by_hand_and_from_logits():
    from rnncourse.metrics import bits_per_char, perplexity

    probs = np.array([[0.5, 0.25, 0.25], [0.125, 0.75, 0.125]])
    # -log2 0.5 = 1 bit, -log2 0.125 = 3 bits
    assert bits_per_char([0, 2], probs) == pytest.approx(2.0)
    assert perplexity([0, 2], probs) == pytest.approx(4.0)
    uniform = np.full((4, 8), 1 / 8)
    assert bits_per_char([1, 2, 3, 4], uniform) == pytest.approx(3.0)
    assert perplexity([1, 2, 3, 4], uniform) == pytest.approx(8.0)
    logits = np.log(probs) + 7.0  # a softmax does not see a constant shift
    assert bits_per_char([0, 2], logits, from_logits=True) == pytest.approx(2.0)
    # any leading shape: (batch, steps)
    assert bits_per_char([[0], [2]], probs[:, None, :]) == pytest.approx(2.0)
    assert bits_per_char([1], [[1.0, 0.0]]) == np.inf


def test_bits_per_char_bad_input():
    from rnncourse.metrics import bits_per_char

    with pytest.raises(ValueError, match=r"bits_per_char: `y_pred` expects probabilities >= 0 summing to 1"):
        bits_per_char([0], [[0.5, 0.6]])
    with pytest.raises(ValueError, match=r"`y_pred` expects one row of class scores per true class"):
        bits_per_char([0, 1], [[0.5, 0.5]])
    with pytest.raises(ValueError, match=r"`y_true` expects class ids from 0 to 1, got values from 0 to 2"):
        bits_per_char([0, 2], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(TypeError, match="from_logits"):
        bits_per_char([0], [[0.5, 0.5]], from_logits=1)
