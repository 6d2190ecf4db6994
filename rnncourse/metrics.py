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

__all__ = ["mae", "rmse", "mape", "accuracy", "bits_per_char", "perplexity"]


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

    Taught in: notebooks/03_forecasting.ipynb, section "3. Baselines: what a model has to beat".

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

    Taught in: none of the notebooks (library only; see docs/library.md).

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

    Taught in: none of the notebooks (library only; see docs/library.md).

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

    Taught in: notebooks/04_sentiment.ipynb, section "2. Baselines".

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


def _true_class_log2(y_true, y_pred, from_logits: bool, where: str) -> np.ndarray:
    """log2 of the probability given to each true class, after checking the shapes and the probabilities."""
    y = arguments.numeric_array(y_true, "y_true", dtype=np.float64)
    p = arguments.numeric_array(y_pred, "y_pred", dtype=np.float64)
    from_logits = arguments.boolean(from_logits, "from_logits", where)
    if p.ndim < 1 or p.shape[:-1] != y.shape or y.size == 0:
        raise ValueError(arguments.message(
            "y_pred", f"one row of class scores per true class, shape {y.shape + ('num_classes',)}",
            f"shape {p.shape}", where))
    if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= p.shape[-1]:
        raise ValueError(arguments.message("y_true", f"class ids from 0 to {p.shape[-1] - 1}",
                                           f"values from {y.min():g} to {y.max():g}", where))
    if from_logits:
        shifted = p - p.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    else:
        if p.min() < 0 or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-3):
            raise ValueError(arguments.message(
                "y_pred", "probabilities >= 0 summing to 1 over the last axis (or logits, from_logits=True)",
                f"values from {p.min():.3g} to {p.max():.3g}, row sums from {p.sum(axis=-1).min():.4g} to "
                f"{p.sum(axis=-1).max():.4g}", where))
        with np.errstate(divide="ignore"):
            log_p = np.log(p)
    chosen = np.take_along_axis(log_p, y.astype(np.int64)[..., None], axis=-1)[..., 0]
    return chosen / np.log(2.0)


def bits_per_char(y_true, y_pred, from_logits: bool = False) -> float:
    """Mean number of bits a model needs per character of held-out text: ``mean(-log2 p(true char))``.

    Taught in: notebooks/06_language_model.ipynb, section "2. The baseline: n-gram models, and where more
    context stops paying".

    The cross-entropy of a language model in base 2. A model that knew nothing but the alphabet of ``V``
    characters would need ``log2(V)`` bits (6.4 for 84 characters); good English text compressors reach
    about 2. A character given probability 0 costs infinitely many bits.

    Args:
        y_true: the true character ids, any shape ``S`` (e.g. ``(n,)`` or ``(batch, seq_len)``).
        y_pred: probabilities (or logits with ``from_logits=True``) of shape ``S + (num_classes,)``.
        from_logits: treat ``y_pred`` as logits and apply a softmax first. Default: ``False``.

    Returns:
        Bits per character as a float (``inf`` if a true character had probability 0).

    Raises:
        ValueError: shapes that do not match, ids outside ``[0, num_classes)``, rows that are not
            probabilities.

    Example:
        >>> round(bits_per_char([0, 1], [[0.5, 0.5], [0.25, 0.75]]), 4)   # (1 + 0.415) / 2
        0.7075
    """
    return float(-np.mean(_true_class_log2(y_true, y_pred, from_logits, "bits_per_char")))


def perplexity(y_true, y_pred, from_logits: bool = False) -> float:
    """Per-character perplexity: ``2 ** bits_per_char``, the number of equally likely choices it amounts to.

    Taught in: notebooks/06_language_model.ipynb, section "2. The baseline: n-gram models, and where more
    context stops paying".

    Args:
        y_true, y_pred, from_logits: as for ``bits_per_char``.

    Returns:
        The perplexity as a float (1 for a model that is always certain and right).

    Example:
        >>> perplexity([0, 1], [[0.5, 0.5], [0.5, 0.5]])   # a fair coin: 2 choices
        2.0
    """
    return float(2.0 ** -np.mean(_true_class_log2(y_true, y_pred, from_logits, "perplexity")))
