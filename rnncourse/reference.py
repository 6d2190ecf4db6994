"""A vanilla RNN written from scratch in NumPy: the forward pass and backpropagation through time.

This is the version of the maths to read next to the notebooks. It uses the same weight layout as
`keras.layers.SimpleRNN` (and `rnncourse.layers.VanillaRNN`), so weights can be copied across with
`layer.get_weights()` and the results compared number for number:

    W_x = kernel            shape (features, units)
    W_h = recurrent_kernel  shape (units, units)
    b   = bias              shape (units,)

    a_t = x_t W_x + h_{t-1} W_h + b        (pre-activation, shape (batch, units))
    h_t = f(a_t)                           (hidden state,   shape (batch, units))

Sequences come in a batch, shaped `(batch, timesteps, features)` as in Keras. Nothing is reshaped
behind your back: a wrong shape or a non-float dtype raises an error that says what was expected.

Backpropagation through time (BPTT) runs the recursion backwards. With `dh_t = dL/dh_t` the *total*
gradient reaching h_t (from the loss at step t and from every later step through h_{t+1}):

    da_t      = dh_t * f'(a_t)                      (elementwise)
    dW_x     += x_t^T     da_t
    dW_h     += h_{t-1}^T da_t
    db       += sum over the batch of da_t
    dx_t      = da_t W_x^T
    dh_{t-1}  = dL/dh_{t-1} (direct) + da_t W_h^T  (the recursion: where gradients vanish or explode)

The norms ||dL/dh_t|| for t = 1..T are what the notebooks plot to show vanishing and exploding gradients.

The last section holds the loops that `rnncourse.min_rnn` is checked against: the linear recurrence
h_t = a_t h_{t-1} + b_t, minGRU and minLSTM, and `prefix_scan`, which records the rounds of a parallel scan.

Example:
    >>> import numpy as np
    >>> from rnncourse import reference as ref
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(4, 10, 3))                     # (batch, timesteps, features)
    >>> W_x, W_h, b = rng.normal(size=(3, 5)), 0.5 * np.eye(5), np.zeros(5)
    >>> hs = ref.rnn_forward(x, W_x, W_h, b)                # (4, 10, 5)
    >>> dhs = np.zeros_like(hs); dhs[:, -1] = 1.0           # loss L = sum of the last hidden state
    >>> grads = ref.rnn_backward(x, hs, dhs, W_x, W_h, b)
    >>> grads.dW_x.shape, grads.grad_norms.shape
    ((3, 5), (10,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from rnncourse import arguments

__all__ = [
    "ACTIVATIONS",
    "Adam",
    "RNNGradients",
    "ScanTrace",
    "activation_derivative",
    "apply_activation",
    "clip_by_global_norm",
    "linear_recurrence",
    "lstm_step",
    "min_gru_forward",
    "min_lstm_forward",
    "numerical_gradient",
    "prefix_scan",
    "recurrence_combine",
    "recurrent_param_count",
    "relative_error",
    "rnn_backward",
    "rnn_forward",
    "rnn_step",
    "softmax_cross_entropy",
]


# --------------------------------------------------------------------------------------------------
# Activations. Each derivative is written in terms of the *output* h = f(a), which is what the forward
# pass keeps, so the backward pass needs no extra storage:
#   tanh:    f'(a) = 1 - tanh(a)^2        = 1 - h^2
#   sigmoid: f'(a) = s(a) (1 - s(a))      = h (1 - h)
#   relu:    f'(a) = 1 if a > 0 else 0    = 1 where h > 0  (0 at a = 0, as TensorFlow does)
#   linear:  f'(a) = 1
# --------------------------------------------------------------------------------------------------
def _sigmoid(a: np.ndarray) -> np.ndarray:
    # Two branches so that exp() never overflows: for a >= 0 use 1/(1+e^-a), for a < 0 use e^a/(1+e^a).
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    exp_a = np.exp(a[~pos])
    out[~pos] = exp_a / (1.0 + exp_a)
    return out


_FORWARD: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": _sigmoid,
    "linear": lambda a: a,
}

_DERIVATIVE_FROM_OUTPUT: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": lambda h: 1.0 - h**2,
    "relu": lambda h: (h > 0).astype(h.dtype),
    "sigmoid": lambda h: h * (1.0 - h),
    "linear": lambda h: np.ones_like(h),
}

ACTIVATIONS: tuple[str, ...] = tuple(_FORWARD)
"""Names accepted by the `activation` argument: ("tanh", "relu", "sigmoid", "linear")."""


def _check_activation(activation: str) -> str:
    if not isinstance(activation, str) or activation not in _FORWARD:
        raise ValueError(f"unknown activation {activation!r}; expected one of {list(ACTIVATIONS)}")
    return activation


def apply_activation(a: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """Apply an activation function elementwise: h = f(a).

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        a: Pre-activations, any shape.
        activation: One of `ACTIVATIONS`. Default: "tanh".

    Returns:
        An array of the same shape and dtype as `a`.

    Raises:
        ValueError: if `activation` is not one of `ACTIVATIONS`.

    Example:
        >>> apply_activation(np.array([-1.0, 0.0, 2.0]), "relu")
        array([0., 0., 2.])
    """
    return _FORWARD[_check_activation(activation)](a)


def activation_derivative(h: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """The derivative f'(a), computed from the activation's output h = f(a).

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        h: Outputs of the activation (e.g. hidden states), any shape.
        activation: One of `ACTIVATIONS`. Default: "tanh".

    Returns:
        f'(a) elementwise, same shape as `h`.

    Raises:
        ValueError: if `activation` is not one of `ACTIVATIONS`.

    Example:
        >>> activation_derivative(np.array([0.0, 0.5]), "tanh")   # 1 - h^2
        array([1.  , 0.75])
    """
    return _DERIVATIVE_FROM_OUTPUT[_check_activation(activation)](h)


# --------------------------------------------------------------------------------------------------
# Input checks: say what was expected and what was given; never reshape or cast silently.
# --------------------------------------------------------------------------------------------------
def _as_float_array(value, name: str) -> np.ndarray:
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"expected a floating-point array for {name} (float32 or float64), got dtype {array.dtype}; "
            f"convert it explicitly, e.g. {name}.astype('float64')"
        )
    return array


def _check_shape(array: np.ndarray, expected: tuple, name: str, meaning: str) -> None:
    """`expected` holds ints (must match) or None (any size) for each axis."""
    ok = array.ndim == len(expected) and all(
        e is None or e == s for e, s in zip(expected, array.shape, strict=True)
    )
    if not ok:
        dims = ["?" if e is None else str(e) for e in expected]  # "?" = any size
        shown = f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"
        raise ValueError(f"expected {name} of shape {meaning} = {shown}, got shape {array.shape}")


def _check_weights(W_x, W_h, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W_x = _as_float_array(W_x, "W_x")
    W_h = _as_float_array(W_h, "W_h")
    b = _as_float_array(b, "b")
    _check_shape(W_x, (None, None), "W_x", "(features, units)")
    units = W_x.shape[1]
    _check_shape(W_h, (units, units), "W_h", "(units, units)")
    _check_shape(b, (units,), "b", "(units,)")
    return W_x, W_h, b


def _check_sequences(x, features: int) -> np.ndarray:
    x = _as_float_array(x, "x")
    if x.ndim == 2:
        raise ValueError(
            f"expected x of shape (batch, timesteps, features) = (?, ?, {features}), got shape {x.shape}; "
            "for a single sequence add the batch axis with x[np.newaxis]"
        )
    _check_shape(x, (None, None, features), "x", "(batch, timesteps, features)")
    if x.shape[1] == 0:
        raise ValueError(f"expected at least one time step in x, got shape {x.shape}")
    return x


def _initial_state(h0, batch: int, units: int, dtype) -> np.ndarray:
    if h0 is None:
        return np.zeros((batch, units), dtype=dtype)  # Keras's default initial state is all zeros
    h0 = _as_float_array(h0, "h0")
    _check_shape(h0, (batch, units), "h0", "(batch, units)")
    return h0


# --------------------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------------------
def rnn_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    activation: str = "tanh",
) -> np.ndarray:
    """One time step of a vanilla RNN: h_t = f(x_t W_x + h_{t-1} W_h + b).

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "2. One step by hand".

    Args:
        x_t: Inputs at this step, shape `(batch, features)`.
        h_prev: Previous hidden state h_{t-1}, shape `(batch, units)`.
        W_x: Input weights (Keras `kernel`), shape `(features, units)`.
        W_h: Recurrent weights (Keras `recurrent_kernel`), shape `(units, units)`.
        b: Bias, shape `(units,)`.
        activation: One of `ACTIVATIONS`. Default: "tanh".

    Returns:
        The new hidden state h_t, shape `(batch, units)`.

    Raises:
        TypeError: if an array is not floating point.
        ValueError: if a shape does not match or `activation` is unknown.

    Example:
        >>> h1 = rnn_step(np.ones((2, 3)), np.zeros((2, 4)), np.ones((3, 4)), np.eye(4), np.zeros(4))
        >>> h1.shape
        (2, 4)
    """
    _check_activation(activation)
    W_x, W_h, b = _check_weights(W_x, W_h, b)
    features, units = W_x.shape
    x_t = _as_float_array(x_t, "x_t")
    _check_shape(x_t, (None, features), "x_t", "(batch, features)")
    h_prev = _as_float_array(h_prev, "h_prev")
    _check_shape(h_prev, (x_t.shape[0], units), "h_prev", "(batch, units)")
    a_t = x_t @ W_x + h_prev @ W_h + b  # pre-activation a_t
    return apply_activation(a_t, activation)  # h_t = f(a_t)


def rnn_forward(
    x: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    h0: np.ndarray | None = None,
    activation: str = "tanh",
) -> np.ndarray:
    """Run a vanilla RNN over a batch of sequences and return every hidden state.

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "3. A whole sequence: NumPy, `VanillaRNN` and
    `SimpleRNN` agree".

    Equivalent to `keras.layers.SimpleRNN(units, activation, return_sequences=True)` with weights
    `[W_x, W_h, b]`, called with `initial_state=h0`.

    Args:
        x: Input sequences, shape `(batch, timesteps, features)`.
        W_x: Input weights (Keras `kernel`), shape `(features, units)`.
        W_h: Recurrent weights (Keras `recurrent_kernel`), shape `(units, units)`.
        b: Bias, shape `(units,)`.
        h0: Initial hidden state, shape `(batch, units)`. Default: zeros (as in Keras).
        activation: One of `ACTIVATIONS`. Default: "tanh".

    Returns:
        Hidden states h_1..h_T, shape `(batch, timesteps, units)`; `hs[:, -1]` is the final state.

    Raises:
        TypeError: if an array is not floating point.
        ValueError: if a shape does not match or `activation` is unknown.

    Example:
        >>> x = np.zeros((2, 6, 3))
        >>> hs = rnn_forward(x, np.ones((3, 4)), np.eye(4), np.full(4, 0.1))
        >>> hs.shape                                        # (batch, timesteps, units)
        (2, 6, 4)
    """
    _check_activation(activation)
    W_x, W_h, b = _check_weights(W_x, W_h, b)
    features, units = W_x.shape
    x = _check_sequences(x, features)
    batch, timesteps, _ = x.shape
    h = _initial_state(h0, batch, units, np.result_type(x, W_x))

    hs = np.empty((batch, timesteps, units), dtype=np.result_type(x, W_x, W_h, b, h))
    for t in range(timesteps):
        a_t = x[:, t] @ W_x + h @ W_h + b  # a_t = x_t W_x + h_{t-1} W_h + b
        h = apply_activation(a_t, activation)  # h_t = f(a_t)
        hs[:, t] = h
    return hs


# --------------------------------------------------------------------------------------------------
# Backward pass (backpropagation through time)
# --------------------------------------------------------------------------------------------------
@dataclass
class RNNGradients:
    """Gradients of a scalar loss L with respect to everything a vanilla RNN touches.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Attributes:
        dW_x: dL/dW_x, shape `(features, units)`.
        dW_h: dL/dW_h, shape `(units, units)`.
        db: dL/db, shape `(units,)`.
        dh0: dL/dh_0 (the initial state), shape `(batch, units)`.
        dx: dL/dx, shape `(batch, timesteps, features)`.
        dh: Total dL/dh_t after backpropagation through time, shape `(batch, timesteps, units)`:
            the gradient arriving directly from the loss at step t plus everything flowing back from
            later steps.
    """

    dW_x: np.ndarray
    dW_h: np.ndarray
    db: np.ndarray
    dh0: np.ndarray
    dx: np.ndarray
    dh: np.ndarray

    @property
    def grad_norms(self) -> np.ndarray:
        """||dL/dh_t|| for t = 1..T, shape `(timesteps,)`: the Euclidean norm over batch and units.

        Read it from right (late steps) to left (early steps): if it shrinks towards the start, gradients
        vanish; if it grows, they explode.
        """
        return np.sqrt(np.sum(self.dh**2, axis=(0, 2)))


def rnn_backward(
    x: np.ndarray,
    hs: np.ndarray,
    dhs: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    h0: np.ndarray | None = None,
    activation: str = "tanh",
) -> RNNGradients:
    """Backpropagation through time for `rnn_forward`.

    Taught in: notebooks/02_training_rnns.ipynb, section "1. Backpropagation through time".

    Args:
        x: The input sequences given to `rnn_forward`, shape `(batch, timesteps, features)`.
        hs: The hidden states `rnn_forward` returned, shape `(batch, timesteps, units)`.
        dhs: The gradient the loss sends *directly* to each hidden state, dL/dh_t holding the other
            hidden states fixed, shape `(batch, timesteps, units)`. For a loss that reads only the final
            state it is zero except at the last step: `dhs[:, -1] = dL/dh_T`.
        W_x: Input weights, shape `(features, units)`.
        W_h: Recurrent weights, shape `(units, units)`.
        b: Bias, shape `(units,)`. Only its shape is checked: the derivative f'(a_t) is computed from
            the stored h_t, so the backward pass does not need b itself.
        h0: The initial state given to `rnn_forward`, shape `(batch, units)`. Default: zeros.
        activation: The activation used in the forward pass, one of `ACTIVATIONS`. Default: "tanh".

    Returns:
        An `RNNGradients` with `dW_x, dW_h, db, dh0, dx, dh` and the per-step norms `grad_norms`.

    Raises:
        TypeError: if an array is not floating point.
        ValueError: if a shape does not match or `activation` is unknown.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x, W_x, W_h, b = rng.normal(size=(2, 5, 3)), rng.normal(size=(3, 4)), np.eye(4), np.zeros(4)
        >>> hs = rnn_forward(x, W_x, W_h, b)
        >>> dhs = np.zeros_like(hs); dhs[:, -1] = 1.0       # L = sum(h_T)
        >>> grads = rnn_backward(x, hs, dhs, W_x, W_h, b)
        >>> grads.dW_h.shape, grads.dh.shape
        ((4, 4), (2, 5, 4))
    """
    _check_activation(activation)
    W_x, W_h, b = _check_weights(W_x, W_h, b)
    features, units = W_x.shape
    x = _check_sequences(x, features)
    batch, timesteps, _ = x.shape
    hs = _as_float_array(hs, "hs")
    _check_shape(hs, (batch, timesteps, units), "hs", "(batch, timesteps, units)")
    dhs = _as_float_array(dhs, "dhs")
    _check_shape(dhs, (batch, timesteps, units), "dhs", "(batch, timesteps, units)")
    h0 = _initial_state(h0, batch, units, hs.dtype)

    dtype = np.result_type(x, hs, dhs, W_x, W_h)
    dW_x = np.zeros_like(W_x, dtype=dtype)
    dW_h = np.zeros_like(W_h, dtype=dtype)
    db = np.zeros_like(b, dtype=dtype)
    dx = np.zeros_like(x, dtype=dtype)
    dh = np.zeros((batch, timesteps, units), dtype=dtype)

    dh_next = np.zeros((batch, units), dtype=dtype)  # gradient flowing back from step t+1 into h_t
    for t in reversed(range(timesteps)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        dh[:, t] = dhs[:, t] + dh_next  # total dL/dh_t = direct part + part through h_{t+1}
        da = dh[:, t] * activation_derivative(hs[:, t], activation)  # da_t = dh_t * f'(a_t)
        dW_x += x[:, t].T @ da  # a_t = x_t W_x + ...      =>  dW_x += x_t^T da_t
        dW_h += h_prev.T @ da  # a_t = ... + h_{t-1} W_h  =>  dW_h += h_{t-1}^T da_t
        db += da.sum(axis=0)  # a_t = ... + b            =>  db += sum over batch of da_t
        dx[:, t] = da @ W_x.T  # dL/dx_t = da_t W_x^T
        dh_next = da @ W_h.T  # dL/dh_{t-1} through the recursion = da_t W_h^T
    dh0 = dh_next  # what is left after step 1 flows into the initial state

    return RNNGradients(dW_x=dW_x, dW_h=dW_h, db=db, dh0=dh0, dx=dx, dh=dh)


# --------------------------------------------------------------------------------------------------
# Checking gradients numerically
# --------------------------------------------------------------------------------------------------
def numerical_gradient(f: Callable[[], float], array: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central finite differences of a scalar function with respect to every entry of an array.

    Taught in: notebooks/02_training_rnns.ipynb, section "1. Backpropagation through time".

    For each entry i: dL/d array[i] ~ (f(array[i] + eps) - f(array[i] - eps)) / (2 eps).
    `array` is changed in place while f is evaluated and restored afterwards, so `f` should read `array`
    (typically a closure over the weights or inputs). The error of the estimate is O(eps^2) plus
    round-off of order 1e-16 / eps, which is why `array` must be float64: in float32 the round-off
    (~1e-7 / eps) swamps the answer.

    Args:
        f: A function of no arguments returning the scalar loss, computed from `array`.
        array: A float64 NumPy array (writable) that `f` depends on.
        eps: Step size. Default: 1e-5.

    Returns:
        The estimated gradient, same shape as `array`, float64.

    Raises:
        TypeError: if `array` is not a writable float64 ndarray or `f` does not return a scalar.
        ValueError: if `eps` is not a positive finite number.

    Example:
        >>> w = np.array([1.0, 2.0])
        >>> numerical_gradient(lambda: float(np.sum(w**2)), w)   # exact answer: 2 w
        array([2., 4.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"expected a NumPy ndarray for array (it is perturbed in place), got {type(array).__name__}"
        )
    if array.dtype != np.float64:
        raise TypeError(
            f"expected a float64 array for finite differences, got dtype {array.dtype}; "
            "build the arrays f reads with dtype=np.float64"
        )
    if not array.flags.writeable:
        raise TypeError("expected a writable array (it is perturbed in place), got a read-only one")
    if not (isinstance(eps, int | float) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"expected a positive finite eps, got {eps!r}")

    grad = np.zeros_like(array)
    it = np.nditer(array, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        original = array[i]
        array[i] = original + eps
        f_plus = f()
        array[i] = original - eps
        f_minus = f()
        array[i] = original  # restore before anything else can see the perturbed value
        if np.ndim(f_plus) != 0:
            raise TypeError(f"expected f() to return a scalar loss, got shape {np.shape(f_plus)}")
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference between two arrays: max |a - b| / max(|a| + |b|, 1e-12).

    Taught in: notebooks/02_training_rnns.ipynb, section "1. Backpropagation through time".

    Below ~1e-6 in float64 means an analytic gradient agrees with a numerical one.

    Args:
        a: An array.
        b: An array of the same shape.

    Returns:
        The largest elementwise relative error, as a float.

    Raises:
        ValueError: if the shapes differ.

    Example:
        >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) < 1e-9
        True
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"expected two arrays of the same shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12), initial=0.0))


# --------------------------------------------------------------------------------------------------
# Training a character model by hand (notebook 06): the loss on the logits, clipping and Adam
# --------------------------------------------------------------------------------------------------
def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of integer targets under softmax(logits), and its gradient with respect to them.

    Taught in: notebooks/06_language_model.ipynb, section "3. A language model in NumPy".

    With p = softmax(z) over the last axis and y the target class at each position,

        L = mean over positions of -log p_y        (in nats; divide by log 2 for bits)
        dL/dz = (p - onehot(y)) / number of positions

    the same loss as `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.

    Args:
        logits: Scores, shape `(..., classes)`, floating point.
        targets: Class ids in `[0, classes)`, integer array with the shape of `logits` minus its last axis.

    Returns:
        `(loss, dlogits)`: the mean loss as a float, and dL/dlogits with the shape of `logits`.

    Raises:
        TypeError: if `logits` is not floating point or `targets` not integer.
        ValueError: if the shapes do not match or a target is outside `[0, classes)`.

    Example:
        >>> loss, dz = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
        >>> round(loss, 4), round(float(np.log(4)), 4), dz.shape     # uniform over 4 classes: log 4 nats
        (1.3863, 1.3863, (2, 4))
    """
    logits = _as_float_array(logits, "logits")
    targets = np.asarray(targets)
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"expected integer class ids for targets, got dtype {targets.dtype}")
    if logits.ndim < 1 or targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"expected targets of shape {logits.shape[:-1]} (the logits' shape without its last axis), "
            f"got {targets.shape}"
        )
    classes = logits.shape[-1]
    if targets.size and (targets.min() < 0 or targets.max() >= classes):
        raise ValueError(
            f"expected targets in [0, {classes}), got values from {targets.min()} to {targets.max()}"
        )
    shifted = logits - logits.max(axis=-1, keepdims=True)  # softmax is unchanged; exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    dlogits = np.exp(log_probs)  # p
    np.put_along_axis(dlogits, targets[..., None], np.exp(picked)[..., None] - 1.0, axis=-1)  # p - onehot
    count = max(targets.size, 1)
    return float(-picked.sum() / count), dlogits / count


def clip_by_global_norm(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    """Scale a list of gradients so that their joint Euclidean norm is at most `max_norm`.

    Taught in: notebooks/06_language_model.ipynb, section "3. A language model in NumPy".

    The norm is taken over all arrays together, ||g|| = sqrt(sum of every squared entry); when it is above
    `max_norm`, every array is multiplied by `max_norm / ||g||`. The direction of the step is kept, only its
    length is capped: what Keras's optimizers do with `global_clipnorm=max_norm`, and the cure for the
    exploding gradients of notebook 02.

    Args:
        grads: The gradient arrays (any shapes).
        max_norm: The largest norm allowed, a positive number.

    Returns:
        `(clipped, norm)`: new arrays (the inputs are not changed) and the norm *before* clipping.

    Raises:
        ValueError: if `grads` is empty or `max_norm` is not a positive finite number.

    Example:
        >>> clipped, norm = clip_by_global_norm([np.array([3.0]), np.array([4.0])], max_norm=1.0)
        >>> norm, [round(float(g[0]), 6) for g in clipped]
        (5.0, [0.6, 0.8])
    """
    grads = [_as_float_array(g, f"grads[{i}]") for i, g in enumerate(grads)]
    if not grads:
        raise ValueError("expected at least one gradient array in grads, got none")
    if not (isinstance(max_norm, int | float) and np.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"expected a positive finite max_norm, got {max_norm!r}")
    norm = float(np.sqrt(sum(float(np.sum(g**2)) for g in grads)))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in grads], norm


class Adam:
    """The Adam optimizer in NumPy, written as `keras.optimizers.Adam` computes it.

    Taught in: notebooks/06_language_model.ipynb, section "3. A language model in NumPy".

    For each parameter p with gradient g at step t (counting from 1):

        m = beta_1 m + (1 - beta_1) g                      (running mean of the gradient)
        v = beta_2 v + (1 - beta_2) g^2                    (running mean of its square)
        p -= lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)

    Each parameter gets its own step size: large where its gradients have been small and steady, small where
    they have been large or noisy. The parameters are updated in place.

    Args:
        params: The parameter arrays to train (float, updated in place), in a fixed order.
        learning_rate: The step size, a positive number. Default: 1e-3 (Keras's).
        beta_1: Decay of the mean. Default: 0.9.
        beta_2: Decay of the mean square. Default: 0.999.
        epsilon: Added to sqrt(v). Default: 1e-7 (Keras's).

    Example:
        >>> w = np.array([1.0, -2.0])
        >>> adam = Adam([w], learning_rate=0.1)
        >>> adam.update([2 * w])             # gradient of sum(w**2): the first step moves each entry by lr
        >>> w.round(3)
        array([ 0.9, -1.9])
    """

    def __init__(self, params: list[np.ndarray], learning_rate: float = 1e-3, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7) -> None:
        for name, value in {"learning_rate": learning_rate, "epsilon": epsilon}.items():
            if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
                raise ValueError(f"expected a positive finite {name}, got {value!r}")
        for name, value in {"beta_1": beta_1, "beta_2": beta_2}.items():
            if not (isinstance(value, int | float) and 0 <= value < 1):
                raise ValueError(f"expected {name} in [0, 1), got {value!r}")
        self.params = [_as_float_array(p, f"params[{i}]") for i, p in enumerate(params)]
        if not self.params or any(p is not q for p, q in zip(self.params, params, strict=True)):
            raise ValueError("expected a non-empty list of float NumPy arrays to update in place")
        self.learning_rate, self.beta_1, self.beta_2, self.epsilon = learning_rate, beta_1, beta_2, epsilon
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.iterations = 0

    def update(self, grads: list[np.ndarray]) -> None:
        """Apply one step: `grads[i]` is the gradient of the loss with respect to `params[i]`.

        Raises:
            ValueError: if the number or shapes of the gradients do not match the parameters.
        """
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients (one per parameter), got {len(grads)}")
        self.iterations += 1
        t = self.iterations
        step = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        for i, (p, g, m, v) in enumerate(zip(self.params, grads, self.m, self.v, strict=True)):
            g = np.asarray(g)
            if g.shape != p.shape:
                raise ValueError(f"expected grads[{i}] of shape {p.shape} (its parameter's), got {g.shape}")
            m += (1 - self.beta_1) * (g - m)
            v += (1 - self.beta_2) * (g * g - v)
            p -= step * m / (np.sqrt(v) + self.epsilon)


# --------------------------------------------------------------------------------------------------
# Gated cells (notebook 05) and parameter counts
# --------------------------------------------------------------------------------------------------
def lstm_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    gate_order: str = "ifco",
) -> tuple[np.ndarray, np.ndarray]:
    """One step of an LSTM cell with Keras's weight layout; returns `(h_t, c_t)`.

    Taught in: none of the notebooks (library only; see docs/library.md).

    z = x_t kernel + h_{t-1} recurrent_kernel + bias is split into four blocks of `units` columns, in
    Keras's order input (i), forget (f), candidate (c), output (o):

        c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(c)
        h_t = sigmoid(o) * tanh(c_t)

    Args:
        x_t: Inputs, shape `(batch, features)`.
        h_prev: Previous hidden state, shape `(batch, units)`.
        c_prev: Previous cell state, shape `(batch, units)`.
        kernel: Input weights, shape `(features, 4 * units)`.
        recurrent_kernel: Recurrent weights, shape `(units, 4 * units)`.
        bias: Bias, shape `(4 * units,)`.
        gate_order: The order of the four blocks, a permutation of "ifco". Default: "ifco" (Keras's).

    Returns:
        `(h_t, c_t)`, each of shape `(batch, units)`.

    Raises:
        ValueError: if `gate_order` is not a permutation of "ifco".

    Example:
        >>> h, c = lstm_step(np.ones((2, 3)), np.zeros((2, 4)), np.zeros((2, 4)),
        ...                  np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(16))
        >>> h.shape, c.shape
        ((2, 4), (2, 4))
    """
    if not isinstance(gate_order, str) or sorted(gate_order) != sorted("ifco"):
        expected = "a permutation of 'ifco'"
        raise ValueError(arguments.message("gate_order", expected, arguments.given(gate_order)))
    z = np.asarray(x_t) @ kernel + np.asarray(h_prev) @ recurrent_kernel + bias
    blocks = dict(zip(gate_order, np.split(z, 4, axis=-1), strict=True))
    c_t = _sigmoid(blocks["f"]) * c_prev + _sigmoid(blocks["i"]) * np.tanh(blocks["c"])
    return _sigmoid(blocks["o"]) * np.tanh(c_t), c_t


def recurrent_param_count(kind: str, features: int, units: int) -> int:
    """Trainable parameters of `keras.layers.<kind>(units)` on inputs with `features` features.

    Taught in: notebooks/08_parallel_recurrence.ipynb,
    section "2. The minimal GRU: gates that read only the input".

    With Keras's defaults: SimpleRNN has units (features + units + 1); LSTM four times that (four gates);
    GRU (reset_after=True, so a second bias per gate) 3 (units (features + units + 1) + units). The minimal
    RNNs of `rnncourse.min_rnn` have no recurrent weights at all: MinGRU has 2 units (features + 1) (gate
    and candidate), MinLSTM 3 units (features + 1) (forget, input and candidate).

    Args:
        kind: "SimpleRNN", "LSTM", "GRU", "MinGRU" or "MinLSTM".
        features: Input features per time step.
        units: Units of the layer.

    Returns:
        The number of trainable parameters.

    Raises:
        UnknownNameError: if `kind` is unknown (a `KeyError` and a `ValueError`).
        TypeError, ValueError: if `features` or `units` is not a positive integer.

    Example:
        >>> recurrent_param_count("LSTM", 8, 16)
        1600
    """
    arguments.one_of(kind, "kind", ["SimpleRNN", "LSTM", "GRU", "MinGRU", "MinLSTM"])
    features = arguments.positive_int(features, "features")
    units = arguments.positive_int(units, "units")
    per_gate = units * (features + units + 1)
    per_block = units * (features + 1)  # a minimal RNN's block: input weights and a bias, no W_h
    return {
        "SimpleRNN": per_gate,
        "LSTM": 4 * per_gate,
        "GRU": 3 * (per_gate + units),
        "MinGRU": 2 * per_block,
        "MinLSTM": 3 * per_block,
    }[kind]


# --------------------------------------------------------------------------------------------------
# Minimal RNNs ("Were RNNs All We Needed?", Feng et al. 2024): a recurrence that is linear in h_{t-1},
#   h_t = a_t * h_{t-1} + b_t        (elementwise, a_t and b_t computed from x_t alone),
# so it can be computed as a prefix scan. rnncourse.min_rnn runs it in parallel; these loops are the
# reference it is checked against.
# --------------------------------------------------------------------------------------------------
def _check_coefficients(a, b, h0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = _as_float_array(a, "a")
    if a.ndim != 3 or a.shape[1] == 0:
        expected = "an array of shape (batch, timesteps, units) with at least one time step"
        raise ValueError(arguments.message("a", expected, f"shape {a.shape}", "linear_recurrence"))
    b = _as_float_array(b, "b")
    _check_shape(b, a.shape, "b", "(batch, timesteps, units), the shape of a")
    h = _initial_state(h0, a.shape[0], a.shape[2], np.result_type(a, b))
    return a, b, h


def linear_recurrence(a: np.ndarray, b: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    """The linear recurrence h_t = a_t * h_{t-1} + b_t (elementwise), one step after another.

    Taught in: notebooks/08_parallel_recurrence.ipynb, section "1. Why a tanh RNN cannot skip ahead".

    The loop every parallel form of `rnncourse.min_rnn.linear_recurrence` must agree with.

    Args:
        a: The coefficients a_1..a_T, shape `(batch, timesteps, units)`.
        b: The inputs b_1..b_T, the same shape.
        h0: The state before the first step, shape `(batch, units)`. Default: zeros.

    Returns:
        h_1..h_T, shape `(batch, timesteps, units)`.

    Raises:
        TypeError: if an array is not floating point.
        ValueError: if a shape does not match.

    Example:
        >>> a, b = np.full((1, 3, 1), 0.5), np.ones((1, 3, 1))
        >>> linear_recurrence(a, b)[0, :, 0]                 # 1, 0.5 + 1, 0.75 + 1
        array([1.  , 1.5 , 1.75])
    """
    a, b, h = _check_coefficients(a, b, h0)
    hs = np.empty(a.shape, dtype=np.result_type(a, b, h))
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        hs[:, t] = h
    return hs


def recurrence_combine(first: tuple[Any, Any], second: tuple[Any, Any]) -> tuple[Any, Any]:
    """Two steps of h -> a h + b made into one: `(a1, b1)` then `(a2, b2)` is `(a1 a2, a2 b1 + b2)`.

    Taught in: notebooks/08_parallel_recurrence.ipynb, section "1. Why a tanh RNN cannot skip ahead".

    Applying `(a1, b1)` and then `(a2, b2)` to h gives a2 (a1 h + b1) + b2 = (a1 a2) h + (a2 b1 + b2). The
    combination is associative (though not commutative), which is all a prefix scan needs: the steps can be
    grouped in any way, so a tree of combinations computes every h_t in about log2(T) rounds.

    Args:
        first: The earlier step `(a1, b1)` (numbers or arrays of one shape).
        second: The later step `(a2, b2)`.

    Returns:
        The pair `(a1 * a2, a2 * b1 + b2)`.

    Example:
        >>> recurrence_combine((0.5, 1.0), (2.0, 3.0))     # h -> 2 (0.5 h + 1) + 3 = h + 5
        (1.0, 5.0)
    """
    (a1, b1), (a2, b2) = first, second
    return a1 * a2, a2 * b1 + b2


class ScanTrace(NamedTuple):
    """What `prefix_scan` computed and how: the prefixes, and the combinations made in each round.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Attributes:
        result: The inclusive prefixes: `result[i]` combines `values[0]` to `values[i]`, in order.
        rounds: One list per round of `(target, source)` pairs: in that round, position `target` became
            `combine(x[source], x[target])`, reading the values left by the previous round. All the pairs
            of one round are independent, so a parallel machine does each round in one go.
    """

    result: list
    rounds: list[list[tuple[int, int]]]

    @property
    def depth(self) -> int:
        """The number of rounds: the time on a machine with a processor per element."""
        return len(self.rounds)

    @property
    def work(self) -> int:
        """The number of combinations in all: the time on one processor."""
        return sum(len(r) for r in self.rounds)


_SCAN_METHODS = ("hillis_steele", "blelloch", "sequential")


def prefix_scan(values: list, combine: Callable[[Any, Any], Any], method: str = "hillis_steele") -> ScanTrace:
    """Every prefix combine(values[0], ..., values[i]) of an associative `combine`, and how it was found.

    Taught in: notebooks/08_parallel_recurrence.ipynb, section "1. Why a tanh RNN cannot skip ahead".

    Three ways to the same result, for n values:

    - `"sequential"`: one combination after another, n - 1 rounds of one (the RNN's loop).
    - `"hillis_steele"` (Hillis and Steele, 1986): in round k = 0, 1, ... every position i >= 2^k takes
      combine(x[i - 2^k], x[i]). After round k each position holds the combination of up to 2^(k+1) values
      ending at it, so ceil(log2 n) rounds suffice, at the price of about n log2 n combinations.
    - `"blelloch"`: the work-efficient tree (Blelloch, 1990), in its inclusive form (Brent and Kung, 1982),
      which needs no identity element. An up-sweep combines neighbours into a tree of partial results, a
      down-sweep hands each partial result to the positions that still lack it: about 2 log2 n rounds and
      fewer than 2 n combinations.

    The rounds are run one after another here; what the record shows is that the pairs within a round
    do not depend on each other.

    Args:
        values: The elements, in order (numbers, arrays, or pairs such as `(a_t, b_t)`).
        combine: An associative function of two elements, `combine(earlier, later)`; for the linear
            recurrence, `recurrence_combine`.
        method: `"hillis_steele"`, `"blelloch"` or `"sequential"`. Default: `"hillis_steele"`.

    Returns:
        A `ScanTrace` with `result`, `rounds`, `depth` and `work`.

    Raises:
        UnknownNameError: if `method` is unknown.
        ValueError: if `values` is empty.

    Example:
        >>> trace = prefix_scan(list(range(1, 9)), lambda x, y: x + y)
        >>> trace.result, trace.depth, trace.work                 # 8 values: log2(8) = 3 rounds
        ([1, 3, 6, 10, 15, 21, 28, 36], 3, 17)
        >>> tree = prefix_scan(list(range(1, 9)), lambda x, y: x + y, method="blelloch")
        >>> tree.result == trace.result, tree.depth, tree.work   # more rounds, fewer combinations
        (True, 5, 11)
    """
    arguments.one_of(method, "method", _SCAN_METHODS, "prefix_scan")
    x = list(values)
    n = len(x)
    if n == 0:
        expected = "at least one element"
        raise ValueError(arguments.message("values", expected, "an empty sequence", "prefix_scan"))
    rounds: list[list[tuple[int, int]]] = []
    if method == "sequential":
        rounds = [[(i, i - 1)] for i in range(1, n)]
    elif method == "hillis_steele":
        step = 1
        while step < n:
            rounds.append([(i, i - step) for i in range(step, n)])
            step *= 2
    else:
        step = 1  # up-sweep: position (k+1) 2s - 1 takes in the block of s values just before its own
        while 2 * step <= n:
            rounds.append([(i, i - step) for i in range(2 * step - 1, n, 2 * step)])
            step *= 2
        step //= 2  # down-sweep: the first position after each finished block takes that block's result
        while step >= 1:
            pairs = [(i + step, i) for i in range(2 * step - 1, n - step, 2 * step)]
            if pairs:
                rounds.append(pairs)
            step //= 2
    for pairs in rounds:
        previous = list(x)  # every pair of a round reads the values the previous round left
        for target, source in pairs:
            x[target] = combine(previous[source], previous[target])
    return ScanTrace(result=x, rounds=rounds)


def _sigmoid_any(a: np.ndarray) -> np.ndarray:
    return _sigmoid(np.asarray(a, dtype=np.result_type(a, np.float32)))


def _positive(a: np.ndarray) -> np.ndarray:
    """g(a) = a + 1/2 for a >= 0, sigmoid(a) below: positive, continuous, growing linearly."""
    return np.where(a >= 0, a + 0.5, _sigmoid_any(a))


_CANDIDATES = ("linear", "positive")


def _check_min_rnn(x, kernel, bias, blocks: int, candidate: str, where: str):
    arguments.one_of(candidate, "candidate", _CANDIDATES, where)
    kernel = _as_float_array(kernel, "kernel")
    if kernel.ndim != 2 or kernel.shape[1] % blocks or kernel.shape[1] == 0:
        expected = f"shape (features, {blocks} * units)"
        raise ValueError(arguments.message("kernel", expected, f"shape {kernel.shape}", where))
    units = kernel.shape[1] // blocks
    bias = _as_float_array(bias, "bias")
    _check_shape(bias, (blocks * units,), "bias", f"({blocks} * units,)")
    x = _check_sequences(x, kernel.shape[0])
    return x, kernel, bias, units


def min_gru_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray,
    h0: np.ndarray | None = None,
    candidate: str = "linear",
) -> np.ndarray:
    """minGRU in a plain loop: z_t = sigmoid(x_t W_z + b_z), h_t = (1 - z_t) h_{t-1} + z_t h~_t.

    Taught in: notebooks/08_parallel_recurrence.ipynb,
    section "2. The minimal GRU: gates that read only the input".

    The candidate is h~_t = x_t W_h + b_h (`candidate="linear"`), or g(x_t W_h + b_h) with g(v) = v + 1/2
    for v >= 0 and sigmoid(v) below (`"positive"`, what the log-space scan needs). Neither the gate nor the
    candidate reads h_{t-1}: that is what lets `rnncourse.min_rnn.MinGRU` compute all steps at once. The
    weights are laid out as in `MinGRU`: `kernel = [W_z | W_h]`, `bias = [b_z | b_h]`.

    Args:
        x: Input sequences, shape `(batch, timesteps, features)`.
        kernel: Shape `(features, 2 * units)`: the gate's columns, then the candidate's.
        bias: Shape `(2 * units,)`, in the same order.
        h0: The initial state, shape `(batch, units)`. Default: zeros.
        candidate: `"linear"` or `"positive"`. Default: `"linear"`.

    Returns:
        h_1..h_T, shape `(batch, timesteps, units)`.

    Raises:
        TypeError: if an array is not floating point.
        ValueError: if a shape does not match.
        UnknownNameError: if `candidate` is unknown.

    Example:
        >>> hs = min_gru_forward(np.ones((2, 5, 3)), np.zeros((3, 8)), np.zeros(8))
        >>> hs.shape                                              # (batch, timesteps, units)
        (2, 5, 4)
    """
    x, kernel, bias, units = _check_min_rnn(x, kernel, bias, 2, candidate, "min_gru_forward")
    h = _initial_state(h0, x.shape[0], units, np.result_type(x, kernel))
    hs = np.empty((x.shape[0], x.shape[1], units), dtype=np.result_type(x, kernel, bias, h))
    for t in range(x.shape[1]):
        k_z, k_h = np.split(x[:, t] @ kernel + bias, 2, axis=-1)
        z = _sigmoid_any(k_z)
        h_tilde = _positive(k_h) if candidate == "positive" else k_h
        h = (1.0 - z) * h + z * h_tilde
        hs[:, t] = h
    return hs


def min_lstm_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray,
    h0: np.ndarray | None = None,
    candidate: str = "linear",
) -> np.ndarray:
    """minLSTM in a plain loop: h_t = f'_t h_{t-1} + i'_t h~_t with the gates normalised to sum to one.

    Taught in: none of the notebooks (library only; see docs/library.md).

    f_t = sigmoid(x_t W_f + b_f), i_t = sigmoid(x_t W_i + b_i), f'_t = f_t / (f_t + i_t),
    i'_t = i_t / (f_t + i_t), and the candidate h~_t as in `min_gru_forward`. The weights are laid out as in
    `rnncourse.min_rnn.MinLSTM`: `kernel = [W_f | W_i | W_h]`, `bias = [b_f | b_i | b_h]`.

    Args:
        x: Input sequences, shape `(batch, timesteps, features)`.
        kernel: Shape `(features, 3 * units)`: forget gate, input gate, candidate.
        bias: Shape `(3 * units,)`, in the same order.
        h0: The initial state, shape `(batch, units)`. Default: zeros.
        candidate: `"linear"` or `"positive"`. Default: `"linear"`.

    Returns:
        h_1..h_T, shape `(batch, timesteps, units)`.

    Raises:
        TypeError: if an array is not floating point.
        ValueError: if a shape does not match.
        UnknownNameError: if `candidate` is unknown.

    Example:
        >>> hs = min_lstm_forward(np.ones((2, 5, 3)), np.zeros((3, 12)), np.zeros(12))
        >>> hs.shape, float(hs[0, 0, 0])           # f' = i' = 1/2, h~ = 0
        ((2, 5, 4), 0.0)
    """
    x, kernel, bias, units = _check_min_rnn(x, kernel, bias, 3, candidate, "min_lstm_forward")
    h = _initial_state(h0, x.shape[0], units, np.result_type(x, kernel))
    hs = np.empty((x.shape[0], x.shape[1], units), dtype=np.result_type(x, kernel, bias, h))
    for t in range(x.shape[1]):
        k_f, k_i, k_h = np.split(x[:, t] @ kernel + bias, 3, axis=-1)
        f, i = _sigmoid_any(k_f), _sigmoid_any(k_i)
        h_tilde = _positive(k_h) if candidate == "positive" else k_h
        h = f / (f + i) * h + i / (f + i) * h_tilde
        hs[:, t] = h
    return hs
