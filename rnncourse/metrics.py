"""Error and accuracy metrics in one place, so every notebook scores models the same way.

All functions take the truth first and the prediction second (like scikit-learn), accept NumPy arrays,
lists, pandas objects or tensors, and return a plain Python ``float``.

Shapes must match. The one convenience allowed is the shape Keras gives back from ``Dense(1)``: a prediction
of shape ``(n, 1)`` against a truth of shape ``(n,)`` (or the other way round) is compared element by element.
Anything else that differs is an error, because NumPy would otherwise broadcast ``(n,) - (n, 1)`` to an
``(n, n)`` matrix and quietly return a meaningless number.

Example:
    >>> from rnncourse.metrics import mae, rmse, mape, accuracy
    >>> mae([1, 2, 3], [1, 2, 5])
    0.6666666666666666
    >>> accuracy([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])  # class probabilities: argmax is used
    0.6666666666666666
"""

from __future__ import annotations

import numpy as np

from rnncourse import arguments

__all__ = ["mae", "rmse", "mape", "accuracy"]


def _paired(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64 with the same shape, or a clear error."""
    y = arguments.numeric_array(y_true, "y_true", dtype=np.float64)
    p = arguments.numeric_array(y_pred, "y_pred", dtype=np.float64)
    if y.shape != p.shape:
        if y.shape == p.shape[:-1] and p.shape[-1:] == (1,):
            p = p[..., 0]
        elif p.shape == y.shape[:-1] and y.shape[-1:] == (1,):
            y = y[..., 0]
        else:
            raise ValueError(arguments.message("y_pred", f"the shape of y_true {y.shape}", f"{p.shape}"))
    return y, p


def mae(y_true, y_pred) -> float:
    """Mean absolute error, ``mean(|y - p|)``, in the units of the data.

    Args:
        y_true: array-like, the true values.
        y_pred: array-like of the same shape (``(n, 1)`` against ``(n,)`` is accepted).

    Returns:
        The mean absolute error as a float.

    Raises:
        ValueError: if the shapes differ, the arrays are empty or contain NaN or infinite values.
        TypeError: if the values are not real numbers (strings, complex numbers, ``None``).

    Example:
        >>> mae([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
        0.6666666666666666
    """
    y, p = _paired(y_true, y_pred)
    return float(np.mean(np.abs(y - p)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, ``sqrt(mean((y - p)**2))``; punishes large misses more than MAE does.

    Args:
        y_true: array-like, the true values.
        y_pred: array-like of the same shape (``(n, 1)`` against ``(n,)`` is accepted).

    Returns:
        The root mean squared error as a float.

    Raises:
        ValueError: if the shapes differ, the arrays are empty or contain NaN or infinite values.
        TypeError: if the values are not real numbers (strings, complex numbers, ``None``).

    Example:
        >>> rmse([0.0, 0.0], [3.0, 4.0])  # sqrt((9 + 16) / 2)
        3.5355339059327378
    """
    y, p = _paired(y_true, y_pred)
    return float(np.sqrt(np.mean((y - p) ** 2)))


def mape(y_true, y_pred) -> float:
    """Mean absolute percentage error, ``100 * mean(|y - p| / |y|)``, in percent.

    MAPE is undefined where the truth is zero (division by zero), and a truth near zero makes it explode.
    Rather than skip or clip such points silently, this function refuses them: use MAE or RMSE for series
    that touch zero.

    Args:
        y_true: array-like, the true values; none may be zero.
        y_pred: array-like of the same shape (``(n, 1)`` against ``(n,)`` is accepted).

    Returns:
        The mean absolute percentage error, in percent (``10.0`` means 10 %).

    Raises:
        ValueError: if ``y_true`` contains zeros, the shapes differ, the arrays are empty or contain NaN or
            infinite values.
        TypeError: if the values are not real numbers.

    Example:
        >>> mape([100.0, 200.0], [110.0, 180.0])  # (10 % + 10 %) / 2
        10.0
    """
    y, p = _paired(y_true, y_pred)
    zeros = int(np.sum(y == 0))
    if zeros:
        raise ValueError(arguments.message("y_true", "no zeros (MAPE divides by the true values)",
                                           f"{zeros} zero(s) out of {y.size} values; use mae or rmse for "
                                           "series that reach zero"))
    return float(100.0 * np.mean(np.abs((y - p) / y)))


def accuracy(y_true, y_pred, threshold: float = 0.5) -> float:
    """Fraction of predictions equal to the true class labels.

    ``y_pred`` may be given as

    - class labels (integers, or floats that are whole numbers), compared directly;
    - class probabilities of shape ``(n, num_classes)`` (softmax output), turned into labels by ``argmax``;
    - probabilities of the positive class in ``[0, 1]``, shape ``(n,)`` or ``(n, 1)`` (sigmoid output),
      turned into labels by ``p >= threshold``.

    Args:
        y_true: array-like of integer class labels, shape ``(n,)`` (or ``(n, 1)``).
        y_pred: labels or probabilities as above.
        threshold: cut-off for sigmoid probabilities. Default: ``0.5``.

    Returns:
        Accuracy as a float in ``[0, 1]``.

    Raises:
        ValueError: if the labels are not whole numbers, the probabilities are outside ``[0, 1]``, or the
            number of samples differs, or a value is NaN or infinite.
        TypeError: if the values are not real numbers.

    Example:
        >>> accuracy([1, 0, 1, 1], [1, 0, 0, 1])
        0.75
        >>> accuracy([1, 0], [0.7, 0.2])  # sigmoid outputs
        1.0
    """
    y = arguments.numeric_array(y_true, "y_true", dtype=np.float64)
    p = arguments.numeric_array(y_pred, "y_pred", dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(arguments.message("y_true", "a vector of class labels of shape (n,)",
                                           f"shape {y.shape}"))
    if np.any(y != np.round(y)):
        raise ValueError(arguments.message("y_true", "whole-number class labels",
                                           f"non-integer values such as {y[y != np.round(y)][0].item()!r}"))
    if p.ndim == 2 and p.shape[1] > 1:
        p = np.argmax(p, axis=1).astype(np.float64)
    elif p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim != 1:
        raise ValueError(arguments.message("y_pred", "labels (n,), sigmoid probabilities (n,) or (n, 1), or "
                                           "class probabilities (n, num_classes)", f"shape {p.shape}"))
    if p.shape[0] != y.shape[0]:
        raise ValueError(arguments.message("y_pred", f"as many predictions as labels ({y.shape[0]})",
                                           f"{p.shape[0]} predictions for {y.shape[0]} labels"))
    threshold = arguments.number(threshold, "threshold", low=0.0, high=1.0)
    if np.all(p == np.round(p)):
        labels = p
    elif np.all((p >= 0) & (p <= 1)):
        labels = (p >= threshold).astype(np.float64)
    else:
        outside = p[(p != np.round(p)) & ((p < 0) | (p > 1))][0].item()
        raise ValueError(arguments.message("y_pred", "whole-number labels or probabilities in [0, 1]",
                                           f"values such as {outside!r}"))
    return float(np.mean(labels == y))
