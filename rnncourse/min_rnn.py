"""Recurrences trained in parallel: `MinGRU` and `MinLSTM` ("Were RNNs All We Needed?", Feng et al., 2024).

A GRU's gates read the previous state h_{t-1}, so step t cannot start before step t - 1 has finished: training
on T steps takes T steps one after another, however many processors there are. The minimal GRU and LSTM
take h_{t-1} out of the gates and the candidate. What is left is *linear* in h_{t-1}:

    minGRU:   z_t  = sigmoid(x_t W_z + b_z)          the update gate, from x_t alone
              h~_t = x_t W_h + b_h                   the candidate, from x_t alone
              h_t  = (1 - z_t) * h_{t-1} + z_t * h~_t

    minLSTM:  f_t = sigmoid(x_t W_f + b_f),  i_t = sigmoid(x_t W_i + b_i)
              h_t = f_t / (f_t + i_t) * h_{t-1} + i_t / (f_t + i_t) * h~_t

Both are the linear recurrence h_t = a_t * h_{t-1} + b_t (elementwise), with every a_t and b_t known before
the first step. Two steps of it make one step of the same kind (`reference.recurrence_combine`), and that
combination is associative, so a prefix scan computes all of h_1..h_T in about log2(T) rounds
(`reference.prefix_scan` shows the rounds). `linear_recurrence` runs it three ways:

- `"parallel"`: `keras.ops.associative_scan` over the pairs (a_t, b_t);
- `"log"`: the paper's log-space form. With a*_t = log a_1 + ... + log a_t,
  log h_t = a*_t + log(h_0 + sum over k <= t of exp(log b_k - a*_k)), a cumulative log-sum-exp. It needs
  positive a_t, b_t and h_0, so the candidate goes through g(v) = v + 1/2 (v >= 0), sigmoid(v) (v < 0);
- `"sequential"`: one step after another with `keras.ops.scan`, the RNN's usual loop, as a reference.

The mode is how the recurrence is computed, not what it computes: with the same candidate all three give
the same h_t up to rounding (tests/test_min_rnn.py measures how far apart they are in float32).

There is no cell class here, unlike `rnncourse.layers`: a step-by-step cell is exactly what these layers
avoid, and the one time loop lives in `linear_recurrence`. Everything is written with `keras.ops`, so the
layers run on the TensorFlow, JAX and PyTorch backends, and both are registered with Keras, so a saved
`.keras` model loads back once this module has been imported.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import constraints, initializers, ops, regularizers

from rnncourse import arguments

__all__ = [
    "CANDIDATES",
    "MODES",
    "MinGRU",
    "MinLSTM",
    "g",
    "linear_recurrence",
    "log_g",
    "log_linear_recurrence",
]

MODES: tuple[str, ...] = ("parallel", "log", "sequential")
"""How `linear_recurrence` and the layers compute the recurrence: ("parallel", "log", "sequential")."""

CANDIDATES: tuple[str, ...] = ("linear", "positive")
"""The layers' candidates h~_t: x_t W_h + b_h ("linear") or g of it ("positive", what mode "log" needs)."""


# ----------------------------------------------------------------------------------------------------
# The positive candidate of the log-space form.
# ----------------------------------------------------------------------------------------------------


def g(x):
    """The paper's positive activation: g(x) = x + 1/2 for x >= 0, sigmoid(x) for x < 0.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Continuous (both pieces are 1/2 at 0), always positive, and linear for large x, so the candidate of the
    log-space form keeps a logarithm without squashing large values as tanh would.

    Args:
        x: A tensor or array, any shape.

    Returns:
        g(x), same shape.

    Example:
        >>> [round(float(v), 4) for v in g(np.array([-2.0, 0.0, 3.0]))]
        [0.1192, 0.5, 3.5]
    """
    x = ops.convert_to_tensor(x)
    return ops.where(x >= 0, ops.relu(x) + 0.5, ops.sigmoid(x))


def log_g(x):
    """log g(x), computed without forming g(x): log(x + 1/2) for x >= 0, -softplus(-x) for x < 0.

    Taught in: none of the notebooks (library only; see docs/library.md).

    log sigmoid(x) = -softplus(-x) stays accurate where sigmoid(x) would round to 0 (x < -90 in float32).

    Args:
        x: A tensor or array, any shape.

    Returns:
        log g(x), same shape.

    Example:
        >>> float(log_g(np.array(-200.0)))                 # log sigmoid(-200) = -200, not log 0
        -200.0
    """
    x = ops.convert_to_tensor(x)
    # relu inside the log: the branch that is not taken must stay finite, or its gradient is NaN.
    return ops.where(x >= 0, ops.log(ops.relu(x) + 0.5), -ops.softplus(-x))


# ----------------------------------------------------------------------------------------------------
# The recurrence h_t = a_t * h_{t-1} + b_t over axis 1, three ways.
# ----------------------------------------------------------------------------------------------------


def _shape(value: Any) -> tuple:
    return tuple(getattr(value, "shape", ()))


def _check_coefficients(a, b, h0, where: str, names: tuple[str, str, str]):
    a, b = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    if len(_shape(a)) != 3:
        expected = "a tensor of shape (batch, timesteps, units)"
        raise ValueError(arguments.message(names[0], expected, f"shape {_shape(a)}", where))
    if _shape(b) != _shape(a):
        expected = f"the shape of `{names[0]}`, {_shape(a)}"
        raise ValueError(arguments.message(names[1], expected, f"shape {_shape(b)}", where))
    if h0 is not None:
        h0 = ops.convert_to_tensor(h0)
        batch, _, units = _shape(a)
        shape = _shape(h0)
        if len(shape) != 2 or shape[1] != units or (None not in (batch, shape[0]) and shape[0] != batch):
            expected = f"shape ({batch}, {units}) = (batch, units)"
            raise ValueError(arguments.message(names[2], expected, f"shape {shape}", where))
    return a, b, h0


def _logcumsumexp(x, axis: int):
    """log(cumsum(exp(x))) along `axis`, without overflow: an associative scan of logaddexp."""
    # Subtracting one maximum for the whole axis would make the early prefixes underflow to log 0 when the
    # values grow along the axis, as log b_k - a*_k does; logaddexp rescales at every combination.
    return ops.reshape(ops.associative_scan(_logaddexp, x, axis=axis), ops.shape(x))  # as in _parallel


def _logaddexp(x, y):
    """log(exp(x) + exp(y)) for finite x and y, in their dtype (JAX's scan needs the dtype kept)."""
    return ops.maximum(x, y) + ops.log1p(ops.exp(-ops.abs(x - y)))


def log_linear_recurrence(log_a, log_b, log_h0=None):
    """The recurrence h_t = a_t * h_{t-1} + b_t for positive a, b, h_0, from their logarithms, in parallel.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Unrolled, h_t = a*_t (h_0 + sum over k <= t of b_k / a*_k) with a*_t = a_1 a_2 ... a_t. In that form
    a*_t underflows to 0 after a few hundred steps and b_k / a*_k overflows. In logarithms it is a cumulative
    sum and a cumulative log-sum-exp, both prefix scans:

        A_t = log a_1 + ... + log a_t
        log h_t = A_t + logcumsumexp(log h_0, log b_1 - A_1, ..., log b_t - A_t)

    The price is rounding: A_t and the log-sum-exp grow like t and nearly cancel, so float32 loses about
    t * 1e-7 of relative accuracy (measured in tests/test_min_rnn.py).

    Args:
        log_a: log a_1..log a_T, shape `(batch, timesteps, units)`.
        log_b: log b_1..log b_T, the same shape.
        log_h0: log h_0, shape `(batch, units)`, or `None` for h_0 = 0 (which has no logarithm).
            Default: `None`.

    Returns:
        h_1..h_T (not their logarithms), shape `(batch, timesteps, units)`.

    Raises:
        ValueError: if a shape does not match.

    Example:
        >>> a, b = np.full((1, 3, 1), 0.5), np.ones((1, 3, 1))
        >>> h = log_linear_recurrence(np.log(a), np.log(b))
        >>> [round(float(v), 5) for v in keras.ops.convert_to_numpy(h)[0, :, 0]]   # 1, 1.5, 1.75
        [1.0, 1.5, 1.75]
    """
    log_a, log_b, log_h0 = _check_coefficients(
        log_a, log_b, log_h0, "log_linear_recurrence", ("log_a", "log_b", "log_h0")
    )
    a_star = ops.cumsum(log_a, axis=1)
    terms = log_b - a_star
    if log_h0 is None:
        return ops.exp(a_star + _logcumsumexp(terms, axis=1))
    terms = ops.concatenate([ops.expand_dims(log_h0, 1), terms], axis=1)  # h_0 is the term k = 0
    return ops.exp(a_star + _logcumsumexp(terms, axis=1)[:, 1:])


def _combine(first, second):
    (a1, b1), (a2, b2) = first, second
    return a1 * a2, a2 * b1 + b2


def _parallel(a, b, h0):
    if h0 is not None:  # fold h_0 into the first step: h_1 = a_1 h_0 + b_1
        b = ops.concatenate([b[:, :1] + a[:, :1] * ops.expand_dims(h0, 1), b[:, 1:]], axis=1)
    h = ops.associative_scan(_combine, (a, b), axis=1)[1]
    return ops.reshape(h, ops.shape(b))  # TensorFlow's scan loses the static shape in a compiled function


def _sequential(a, b, h0):
    if h0 is None:
        h0 = ops.zeros_like(b[:, 0])

    def step(h, coefficients):
        a_t, b_t = coefficients
        h = a_t * h + b_t
        return h, h

    time_major = (ops.moveaxis(a, 1, 0), ops.moveaxis(b, 1, 0))
    return ops.moveaxis(ops.scan(step, h0, time_major)[1], 0, 1)


def linear_recurrence(a, b, h0=None, mode: str = "parallel"):
    """h_t = a_t * h_{t-1} + b_t (elementwise) for t = 1..T, over axis 1 of `(batch, timesteps, units)`.

    Taught in: none of the notebooks (library only; see docs/library.md).

    The recurrence of `MinGRU` and `MinLSTM`, computed three ways (`mode`):

    - `"parallel"`: `keras.ops.associative_scan` over the pairs (a_t, b_t), combined as
      (a1, b1), (a2, b2) -> (a1 a2, a2 b1 + b2): about log2(T) rounds of elementwise work;
    - `"log"`: `log_linear_recurrence` on log a, log b, log h_0; every a, b and h_0 must be positive;
    - `"sequential"`: one step after another (`keras.ops.scan`), T rounds.

    The reference loop in NumPy is `rnncourse.reference.linear_recurrence`.

    Args:
        a: The coefficients a_1..a_T, shape `(batch, timesteps, units)`.
        b: The inputs b_1..b_T, the same shape.
        h0: The state before the first step, shape `(batch, units)`, or `None` for zeros. Default: `None`.
        mode: One of `MODES`: `"parallel"`, `"log"` or `"sequential"`. Default: `"parallel"`.

    Returns:
        h_1..h_T, shape `(batch, timesteps, units)`.

    Raises:
        UnknownNameError: if `mode` is unknown.
        ValueError: if a shape does not match.

    Example:
        >>> a, b = np.full((1, 4, 1), 0.5), np.ones((1, 4, 1))
        >>> h = linear_recurrence(a, b, h0=np.full((1, 1), 2.0))   # 2, then 0.5 h + 1 four times
        >>> keras.ops.convert_to_numpy(h)[0, :, 0].tolist()
        [2.0, 2.0, 2.0, 2.0]
    """
    arguments.one_of(mode, "mode", MODES, "linear_recurrence")
    a, b, h0 = _check_coefficients(a, b, h0, "linear_recurrence", ("a", "b", "h0"))
    if mode == "log":
        return log_linear_recurrence(ops.log(a), ops.log(b), None if h0 is None else ops.log(h0))
    return _parallel(a, b, h0) if mode == "parallel" else _sequential(a, b, h0)


# ----------------------------------------------------------------------------------------------------
# The layers. Both compute a gate pre-activation u_t and a candidate h~_t from x_t, then
#     h_t = sigmoid(-u_t) * h_{t-1} + sigmoid(u_t) * h~_t        (a_t = 1 - z_t, z_t = sigmoid(u_t))
# minGRU: u_t = x_t W_z + b_z. minLSTM: f / (f + i) = sigmoid(-u) with u = softplus(-k_f) - softplus(-k_i)
# (k_f, k_i the pre-activations of f and i), so the normalised minLSTM is a minGRU with another gate.
# ----------------------------------------------------------------------------------------------------


class _MinimalRNN(keras.layers.Layer):
    """What MinGRU and MinLSTM share: `kernel` and `bias` in `blocks` blocks, the recurrence, the checks."""

    blocks = 2  # the candidate is the last block, the gates come before it

    def __init__(
        self,
        units: int,
        mode: str = "parallel",
        candidate: str | None = None,
        return_sequences: bool = False,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        units = arguments.positive_int(units, "units", owner)
        arguments.one_of(mode, "mode", MODES, owner)
        if candidate is None:
            candidate = "positive" if mode == "log" else "linear"
        arguments.one_of(candidate, "candidate", CANDIDATES, owner)
        if mode == "log" and candidate != "positive":
            expected = "'positive' (or None) with mode='log', whose scan takes the logarithm of the candidate"
            raise ValueError(arguments.message("candidate", expected, repr(candidate), owner))
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = units
        self.mode = mode
        self.candidate = candidate
        self.return_sequences = arguments.boolean(return_sequences, "return_sequences", owner)
        self.use_bias = arguments.boolean(use_bias, "use_bias", owner)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True
        self.input_spec = keras.InputSpec(ndim=3)

    def build(self, sequences_shape: tuple, initial_state_shape: Any = None) -> None:
        shape = tuple(sequences_shape)
        if len(shape) != 3 or shape[-1] is None:
            expected = "input of shape (batch, timesteps, features) with a known number of features"
            raise ValueError(arguments.message("sequences", expected, f"shape {shape}", type(self).__name__))
        self.kernel = self.add_weight(
            shape=(shape[-1], self.blocks * self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.blocks * self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = keras.InputSpec(ndim=3, axes={-1: shape[-1]})

    def _gate(self, pre_activations: list):
        """u_t from the gates' blocks of x_t W + b (all but the last block)."""
        raise NotImplementedError

    def compute_output_shape(self, sequences_shape: tuple, initial_state_shape: Any = None) -> tuple:
        shape = tuple(sequences_shape)
        return (*shape[:2], self.units) if self.return_sequences else (shape[0], self.units)

    def compute_mask(self, sequences, mask=None):
        return mask if self.return_sequences else None

    def _check_initial_state(self, shape: tuple, state: Any):
        if isinstance(state, (list, tuple)):
            if len(state) != 1:
                expected = f"one state of shape (batch, {self.units})"
                got = f"{len(state)} states"
                raise ValueError(arguments.message("initial_state", expected, got, type(self).__name__))
            state = state[0]
        got = _shape(state)
        if len(got) != 2 or got[1] != self.units or (None not in (shape[0], got[0]) and got[0] != shape[0]):
            expected = f"shape ({shape[0]}, {self.units}) = (batch, units)"
            raise ValueError(
                arguments.message("initial_state", expected, f"shape {got}", type(self).__name__)
            )
        return ops.cast(state, self.compute_dtype)

    def call(self, sequences, initial_state=None, mask=None):
        owner = type(self).__name__
        shape = _shape(sequences)
        dtype = keras.backend.standardize_dtype(sequences.dtype)
        if not keras.backend.is_float_dtype(dtype):
            raise TypeError(arguments.message("sequences", "floating-point input", f"dtype {dtype}", owner))
        h0 = None if initial_state is None else self._check_initial_state(shape, initial_state)
        mask_shape = _shape(mask)
        if mask is not None and (
            len(mask_shape) != 2 or (None not in (shape[1], mask_shape[1]) and mask_shape[1] != shape[1])
        ):
            expected = f"shape {shape[:2]} = (batch, timesteps)"
            raise ValueError(arguments.message("mask", expected, f"shape {mask_shape}", owner))

        k = ops.matmul(sequences, self.kernel)
        if self.bias is not None:
            k = k + self.bias
        blocks = ops.split(k, self.blocks, axis=-1)
        u, k_h = self._gate(blocks[:-1]), blocks[-1]
        keep = None if mask is None else ops.expand_dims(ops.cast(mask, "bool"), -1)

        if self.mode == "log":
            log_a = -ops.softplus(u)  # log(1 - z)
            log_b = -ops.softplus(-u) + log_g(k_h)  # log z + log g(h~)
            if keep is not None:  # a masked step keeps the state: a = 1, b = 0 (a very negative log b)
                very_small = -0.25 * float(np.finfo(keras.backend.standardize_dtype(log_b.dtype)).max)
                log_a = ops.where(keep, log_a, ops.zeros_like(log_a))
                log_b = ops.where(keep, log_b, ops.full_like(log_b, very_small))
            h = log_linear_recurrence(log_a, log_b, None if h0 is None else ops.log(h0))
        else:
            z = ops.sigmoid(u)
            a = ops.sigmoid(-u)  # 1 - z, without the rounding of 1 - z when z is close to 1
            b = z * (g(k_h) if self.candidate == "positive" else k_h)
            if keep is not None:
                a = ops.where(keep, a, ops.ones_like(a))
                b = ops.where(keep, b, ops.zeros_like(b))
            h = linear_recurrence(a, b, h0, mode=self.mode)
        return h if self.return_sequences else h[:, -1]

    def get_config(self) -> dict:
        config = {
            "units": self.units,
            "mode": self.mode,
            "candidate": self.candidate,
            "return_sequences": self.return_sequences,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="rnncourse")
class MinGRU(_MinimalRNN):
    """The minimal GRU: h_t = (1 - z_t) * h_{t-1} + z_t * h~_t, gate and candidate from x_t alone.

    Taught in: notebooks/08_parallel_recurrence.ipynb,
    section "8 · Recurrence in parallel: the minimal GRU and the scan".

    z_t = sigmoid(x_t W_z + b_z) and h~_t = x_t W_h + b_h (or g of it, `candidate="positive"`). Neither reads
    h_{t-1}, so all T steps are computed at once by a scan (`linear_recurrence`) instead of a loop. Weights:
    `kernel = [W_z | W_h]`, shape `(features, 2 * units)`, and `bias = [b_z | b_h]`, shape `(2 * units,)`:
    2 units (features + 1) parameters, against 3 units (features + units + 2) for `keras.layers.GRU`.
    `rnncourse.reference.min_gru_forward` is the same layer as a NumPy loop.

    Args:
        units: Positive integer, the size of the state h_t (and of the output).
        mode: How the recurrence is computed, one of `MODES`: `"parallel"` (an associative scan),
            `"log"` (the paper's log-space scan; needs the positive candidate and a positive initial
            state) or `"sequential"` (a loop over the steps). Default: `"parallel"`.
        candidate: `"linear"` (h~_t = x_t W_h + b_h) or `"positive"` (g of it, see `g`), or `None` for
            `"positive"` with `mode="log"` and `"linear"` otherwise. Default: `None`.
        return_sequences: If `True`, return h_1..h_T, shape `(batch, timesteps, units)`; if `False`, the
            last state h_T, shape `(batch, units)`. Default: `False`.
        use_bias: Boolean, whether the blocks have a bias. Default: `True`.
        kernel_initializer: Initializer for `kernel`. Default: `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer applied to `kernel`. Default: `None`.
        bias_regularizer: Regularizer applied to `bias`. Default: `None`.
        activity_regularizer: Regularizer applied to the layer's output. Default: `None`.
        kernel_constraint: Constraint applied to `kernel`. Default: `None`.
        bias_constraint: Constraint applied to `bias`. Default: `None`.
        **kwargs: Standard layer arguments such as `name` and `dtype`.

    Call arguments:
        sequences: The input, shape `(batch, timesteps, features)`, floating point.
        initial_state: h_0, shape `(batch, units)` (or a one-element list of it); positive in `"log"`
            mode. Default: zeros.
        mask: Boolean tensor of shape `(batch, timesteps)`; at a `False` step the state is carried over
            unchanged (a_t = 1, b_t = 0). Passed on automatically from `Masking` or
            `Embedding(mask_zero=True)`.

    Returns:
        `(batch, units)` with the last state, or `(batch, timesteps, units)` if `return_sequences=True`.

    Raises:
        TypeError: if `units` is not an integer, a flag is not a boolean or the input is not floating point.
        ValueError: if `units <= 0`, `candidate="linear"` with `mode="log"`, or the input, initial state or
            mask has the wrong shape.
        UnknownNameError: if `mode` or `candidate` is unknown.

    Example:

    ```python
    import numpy as np
    import keras
    from rnncourse.min_rnn import MinGRU

    x = np.random.random((32, 100, 8)).astype("float32")       # (batch, timesteps, features)
    h_T = MinGRU(16)(x)                                        # (32, 16): the last state h_T
    hs = MinGRU(16, return_sequences=True)(x)                  # (32, 100, 16): every h_t
    loop = MinGRU(16, mode="sequential")                       # the same function, step by step
    loop(x).shape, loop.count_params()                         # (32, 16), 2 * 16 * (8 + 1) = 288
    ```
    """

    blocks = 2

    def _gate(self, pre_activations: list):
        return pre_activations[0]  # u = x W_z + b_z, z = sigmoid(u)


@keras.saving.register_keras_serializable(package="rnncourse")
class MinLSTM(_MinimalRNN):
    """The minimal LSTM: h_t = f'_t * h_{t-1} + i'_t * h~_t, normalised gates from x_t alone.

    Taught in: notebooks/08_parallel_recurrence.ipynb,
    section "2. The minimal GRU: gates that read only the input".

    f_t = sigmoid(x_t W_f + b_f), i_t = sigmoid(x_t W_i + b_i), f'_t = f_t / (f_t + i_t),
    i'_t = i_t / (f_t + i_t), and the candidate h~_t = x_t W_h + b_h (or g of it). There is no separate
    cell state and no output gate: the normalised gates sum to one, so h_t stays a weighted average of the
    candidates whatever T is. Weights: `kernel = [W_f | W_i | W_h]`, shape `(features, 3 * units)`, and
    `bias` in the same order: 3 units (features + 1) parameters. `rnncourse.reference.min_lstm_forward` is
    the same layer as a NumPy loop.

    Args:
        units: Positive integer, the size of the state h_t (and of the output).
        mode: How the recurrence is computed, one of `MODES`: `"parallel"` (an associative scan),
            `"log"` (the paper's log-space scan; needs the positive candidate and a positive initial
            state) or `"sequential"` (a loop over the steps). Default: `"parallel"`.
        candidate: `"linear"` (h~_t = x_t W_h + b_h) or `"positive"` (g of it, see `g`), or `None` for
            `"positive"` with `mode="log"` and `"linear"` otherwise. Default: `None`.
        return_sequences: If `True`, return h_1..h_T, shape `(batch, timesteps, units)`; if `False`, the
            last state h_T, shape `(batch, units)`. Default: `False`.
        use_bias: Boolean, whether the blocks have a bias. Default: `True`.
        kernel_initializer: Initializer for `kernel`. Default: `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer applied to `kernel`. Default: `None`.
        bias_regularizer: Regularizer applied to `bias`. Default: `None`.
        activity_regularizer: Regularizer applied to the layer's output. Default: `None`.
        kernel_constraint: Constraint applied to `kernel`. Default: `None`.
        bias_constraint: Constraint applied to `bias`. Default: `None`.
        **kwargs: Standard layer arguments such as `name` and `dtype`.

    Call arguments:
        sequences: The input, shape `(batch, timesteps, features)`, floating point.
        initial_state: h_0, shape `(batch, units)` (or a one-element list of it); positive in `"log"`
            mode. Default: zeros.
        mask: Boolean tensor of shape `(batch, timesteps)`; at a `False` step the state is carried over
            unchanged (a_t = 1, b_t = 0). Passed on automatically from `Masking` or
            `Embedding(mask_zero=True)`.

    Returns:
        `(batch, units)` with the last state, or `(batch, timesteps, units)` if `return_sequences=True`.

    Raises:
        TypeError: if `units` is not an integer, a flag is not a boolean or the input is not floating point.
        ValueError: if `units <= 0`, `candidate="linear"` with `mode="log"`, or the input, initial state or
            mask has the wrong shape.
        UnknownNameError: if `mode` or `candidate` is unknown.

    Example:

    ```python
    import numpy as np
    import keras
    from rnncourse.min_rnn import MinLSTM

    x = np.random.random((32, 100, 8)).astype("float32")       # (batch, timesteps, features)
    h_T = MinLSTM(16)(x)                                       # (32, 16)
    hs = MinLSTM(16, mode="log", return_sequences=True)(x)     # (32, 100, 16), the paper's log-space scan
    ```
    """

    blocks = 3

    def _gate(self, pre_activations: list):
        k_f, k_i = pre_activations
        return ops.softplus(-k_f) - ops.softplus(-k_i)  # f / (f + i) = sigmoid(-u): log(i / f) = u
