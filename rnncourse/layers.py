"""The vanilla recurrent unit as a Keras layer: `VanillaRNNCell` and `VanillaRNN`.

A vanilla (Elman) recurrent network reads a sequence x_1, ..., x_T one step at a time and keeps a hidden
state h_t that summarises everything it has read so far. Each step applies the same update:

    h_t = f(x_t · W_x + h_{t-1} · W_h + b)          with h_0 = 0 unless an initial state is given

- x_t has shape (batch, features), h_t has shape (batch, units);
- W_x, shape (features, units), mixes the new input into the state. Keras calls it `kernel`;
- W_h, shape (units, units), carries the previous state forward. Keras calls it `recurrent_kernel`;
- b, shape (units,), is the `bias`;
- f is the activation, `tanh` by default, which keeps every entry of h_t in (-1, 1).

The output at step t is the state itself, y_t = h_t. The layer returns either the last one, h_T, or the
whole sequence h_1, ..., h_T (`return_sequences=True`). The same three weights are used at every step, so
the number of trainable parameters is units · (features + units + 1), whatever the sequence length.

The code follows Keras's own split into two classes. The **cell** does one step (the formula above) and
owns the weights; the **layer** hands the cell to `keras.layers.RNN`, which runs the time loop, the
masking, the initial and stateful states and `go_backwards`. The weights are created in the same order
and with the same shapes as in `keras.layers.SimpleRNN`, so the two layers are interchangeable:

    vanilla.set_weights(simple_rnn.get_weights())   # now both compute the same function

Everything is written with `keras.ops`, so the layers run on the TensorFlow, JAX and PyTorch backends.
Both classes are registered with Keras (as "rnncourse>VanillaRNN" and "rnncourse>VanillaRNNCell"), so a
model saved to a `.keras` file loads back with `keras.saving.load_model(path)` and no `custom_objects`,
as long as this module has been imported first (`from rnncourse.layers import VanillaRNN`).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import activations, constraints, initializers, ops, regularizers

from rnncourse import _fused, arguments

__all__ = ["VanillaRNN", "VanillaRNNCell"]


# Keras's dropout-mask mixin. `keras.layers.RNN` draws one dropout mask per sequence before its time loop
# (and clears it after) for every cell that inherits it. Keras does not export it, but it is a direct base of
# the public `keras.layers.SimpleRNNCell` (Keras 3.3 to 3.15 at least). Brittle across Keras releases, so
# tests/test_layers.py::test_keras_dropout_mixin_is_a_base_of_simple_rnn_cell guards it (and `tasks.py test
# --latest` runs that test on the newest Keras): a release that moves the mixin fails there by name.
_DropoutRNNCell = {base.__name__: base for base in keras.layers.SimpleRNNCell.__bases__}["DropoutRNNCell"]


# ----------------------------------------------------------------------------------------------------
# Argument checks. Each one says what was expected and what was given.
# ----------------------------------------------------------------------------------------------------


def _check_rate(value: Any, name: str, owner: str) -> float:
    return arguments.number(value, name, low=0.0, high=1.0, include_high=False, where=owner)


def _get_activation(activation: Any, owner: str):
    try:
        return activations.get(activation)
    except ValueError:
        raise ValueError(arguments.message(
            "activation", "the name of a Keras activation (e.g. 'tanh', 'relu', 'sigmoid', 'linear'), a "
            "callable or None", repr(activation), where=owner)) from None


def _shape(shape: Any) -> tuple:
    return tuple(shape) if shape is not None else ()


# ----------------------------------------------------------------------------------------------------
# The cell: one time step.
# ----------------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="rnncourse")
class VanillaRNNCell(keras.layers.Layer, _DropoutRNNCell):
    """One step of a vanilla RNN: `h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias)`.

    Taught in: none of the notebooks (library only; see docs/library.md).

    The cell sees a single time step. To run it over a whole sequence wrap it in `keras.layers.RNN` (or use
    `VanillaRNN`, which does exactly that); it also works inside `keras.layers.StackedRNNCells` and, through
    `keras.layers.RNN`, inside `keras.layers.Bidirectional`. It is a drop-in replacement for
    `keras.layers.SimpleRNNCell`: same arguments, same weights in the same order.

    Args:
        units: Positive integer, the size of the hidden state h_t (and of the output).
        activation: The non-linearity f: a name such as `"tanh"`, `"relu"`, `"sigmoid"`, a callable, or
            `None` for none at all (`f(z) = z`). Default: `"tanh"`.
        use_bias: Boolean, whether to add the bias vector b. Default: `True`.
        kernel_initializer: Initializer for `kernel` (W_x, applied to the input). Default:
            `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel` (W_h, applied to the previous state).
            Default: `"orthogonal"`, which keeps h_{t-1} · W_h from shrinking or growing the state at first.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer applied to `kernel`. Default: `None`.
        recurrent_regularizer: Regularizer applied to `recurrent_kernel`. Default: `None`.
        bias_regularizer: Regularizer applied to `bias`. Default: `None`.
        kernel_constraint: Constraint applied to `kernel` after each update. Default: `None`.
        recurrent_constraint: Constraint applied to `recurrent_kernel`. Default: `None`.
        bias_constraint: Constraint applied to `bias`. Default: `None`.
        dropout: Float in [0, 1), fraction of the input features x_t to drop in training. One mask is drawn
            per sequence and reused at every step. Default: `0.0`.
        recurrent_dropout: Float in [0, 1), fraction of the state h_{t-1} to drop in training before it is
            multiplied by `recurrent_kernel` (again one mask per sequence). Default: `0.0`.
        seed: Integer seed for the dropout masks, or `None`. Default: `None`.
        **kwargs: Standard layer arguments such as `name` and `dtype`.

    Call arguments:
        inputs: The input at one step, shape `(batch, features)`.
        states: The previous state h_{t-1}, shape `(batch, units)`, or a one-element list holding it.
        training: Python boolean; dropout is applied only when `True`. Default: `False`.

    Returns:
        A pair `(output, new_states)`: `output` is h_t, shape `(batch, units)`, and `new_states` is h_t again,
        as a one-element list if `states` was a list.

    Raises:
        TypeError: if `units` is not an integer, or a rate or flag has the wrong type.
        ValueError: if `units <= 0`, a dropout rate is outside [0, 1), the activation is unknown, or an
            input or state does not have the shape the cell expects.

    Example:

    ```python
    import numpy as np
    import keras
    from rnncourse.layers import VanillaRNNCell

    x = np.random.random((32, 10, 8)).astype("float32")   # (batch, timesteps, features)
    rnn = keras.layers.RNN(VanillaRNNCell(4))
    rnn(x).shape                                           # (32, 4): the last state h_T

    cell = VanillaRNNCell(4)
    h0 = cell.get_initial_state(batch_size=32)[0]          # zeros, (32, 4)
    h1, _ = cell(x[:, 0], [h0])                            # one step by hand: (32, 4)
    ```
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        units = arguments.positive_int(units, "units", owner)
        activation_fn = _get_activation(activation, owner)
        use_bias = arguments.boolean(use_bias, "use_bias", owner)
        dropout = _check_rate(dropout, "dropout", owner)
        recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout", owner)
        super().__init__(**kwargs)

        self.units = units
        self.activation = activation_fn
        self.use_bias = use_bias

        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

        # Read by the dropout-mask mixin, which draws and caches the masks.
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

        # Read by keras.layers.RNN: one state vector of `units` numbers, and the output is that state.
        self.state_size = units
        self.output_size = units

    def build(self, input_shape: tuple) -> None:
        """Create `kernel` (features, units), `recurrent_kernel` (units, units) and `bias` (units,)."""
        shape = _shape(input_shape)
        owner = type(self).__name__
        if len(shape) != 2 or shape[-1] is None:
            raise ValueError(
                f"{owner} expects one time step of shape (batch, features) with a known number of features, "
                f"got shape {shape}"
            )
        self.kernel = self.add_weight(
            shape=(shape[-1], self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def call(self, inputs, states, training: bool = False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        # Static-shape checks: they run once when the step is traced, not at every step of a compiled loop.
        features = self.kernel.shape[0]
        if len(inputs.shape) != 2 or inputs.shape[-1] != features:
            raise ValueError(
                f"{type(self).__name__} was built for steps of shape (batch, {features}), "
                f"got shape {tuple(inputs.shape)}"
            )
        if len(h_prev.shape) != 2 or h_prev.shape[-1] != self.units:
            raise ValueError(
                f"{type(self).__name__} expects a state of shape (batch, {self.units}), "
                f"got shape {tuple(h_prev.shape)}"
            )

        # Dropout: one mask per sequence, drawn before the loop by keras.layers.RNN (here for a step by hand).
        input_mask = self.get_dropout_mask(inputs)
        state_mask = self.get_recurrent_dropout_mask(h_prev)
        if training and input_mask is not None:
            inputs = inputs * input_mask
        if training and state_mask is not None:
            h_prev = h_prev * state_mask

        # z = x_t · W_x + b + h_{t-1} · W_h, summed in the same order as SimpleRNNCell so that results
        # agree to the last bit.
        z = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            z = ops.add(z, self.bias)
        z = ops.add(z, ops.matmul(h_prev, self.recurrent_kernel))
        h = self.activation(z)

        new_states = [h] if isinstance(states, (list, tuple)) else h
        return h, new_states

    def get_initial_state(self, batch_size: int | None = None) -> list:
        """The state before the first step, h_0: zeros of shape `(batch_size, units)`, in a list."""
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def get_config(self) -> dict:
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


# ----------------------------------------------------------------------------------------------------
# The layer: the cell run over a whole sequence by keras.layers.RNN.
# ----------------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="rnncourse")
class VanillaRNN(keras.layers.RNN):
    """A vanilla RNN layer: `h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias)` for each t.

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "3. A whole sequence: NumPy, `VanillaRNN` and
    `SimpleRNN` agree".

    A drop-in replacement for `keras.layers.SimpleRNN`: the same arguments with the same defaults, the same
    weights in the same order (`kernel`, `recurrent_kernel`, `bias`), and the same outputs, states and
    gradients once `set_weights` has copied the weights across. It supports masking, initial states,
    stateful use, `go_backwards`, `unroll` and dropout like every Keras recurrent layer, because the time
    loop is Keras's own (`keras.layers.RNN`) and only the step, `VanillaRNNCell`, is ours.

    Two differences from `SimpleRNN` (which looks like Keras bugs): `activity_regularizer` is honoured
    (SimpleRNN accepts it but never applies it), and `seed` is kept in `get_config`.

    On the PyTorch backend the layer runs the whole sequence in PyTorch's fused vanilla-RNN kernel (cuDNN on
    a GPU) instead of Keras's step-by-step loop when the configuration allows it, as Keras's `LSTM` does with
    cuDNN: activation `"tanh"` or `"relu"`, `unroll=False`, no `recurrent_dropout` in training, a float32 or
    float64 input, and no mask or a mask that only pads the end of each sequence (`[True, True, False]`)
    with at least one real step. The weights are the same and the results agree to rounding. Otherwise,
    and on the other backends, the loop runs the cell as described above. On a GPU, PyTorch lets cuDNN
    compute in TF32 unless `torch.backends.cudnn.allow_tf32 = False` (as for `torch.nn.RNN` and Keras's
    `LSTM`): set it for float32 results (it did not change the speed measured on an H200). As in Keras,
    the kernel is kept out of the layer, in the private module `rnncourse._fused`, which also says why it
    cannot run a call (`use_fused=True` shows that sentence).

    Args:
        units: Positive integer, the size of the hidden state h_t (and of the output).
        activation: The non-linearity: a name such as `"tanh"`, `"relu"`, a callable, or `None` for none.
            Default: `"tanh"`.
        use_bias: Boolean, whether to add the bias vector. Default: `True`.
        kernel_initializer: Initializer for `kernel` (W_x). Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel` (W_h). Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer applied to `kernel`. Default: `None`.
        recurrent_regularizer: Regularizer applied to `recurrent_kernel`. Default: `None`.
        bias_regularizer: Regularizer applied to `bias`. Default: `None`.
        activity_regularizer: Regularizer applied to the layer's output. Default: `None`.
        kernel_constraint: Constraint applied to `kernel`. Default: `None`.
        recurrent_constraint: Constraint applied to `recurrent_kernel`. Default: `None`.
        bias_constraint: Constraint applied to `bias`. Default: `None`.
        dropout: Float in [0, 1), fraction of the input features to drop in training (one mask per
            sequence). Default: `0.0`.
        recurrent_dropout: Float in [0, 1), fraction of the previous state to drop in training (one mask
            per sequence). Default: `0.0`.
        return_sequences: If `True`, return every state h_1..h_T, shape `(batch, timesteps, units)`;
            if `False`, only the last one, shape `(batch, units)`. Default: `False`.
        return_state: If `True`, also return the final state h_T as a second output. Default: `False`.
        go_backwards: If `True`, read the sequence from the last step to the first (and return the
            sequence of states in that reversed order). Default: `False`.
        stateful: If `True`, the final state of each sample in a batch is the initial state of the same
            sample in the next batch, until `reset_state()` is called. Needs a fixed batch size.
            Default: `False`.
        unroll: If `True`, write the loop out step by step instead of using a symbolic loop: can be faster
            for short sequences, uses more memory, and needs a known number of timesteps. Default: `False`.
        seed: Integer seed for the dropout masks, or `None`. Default: `None`.
        use_fused: `"auto"` to use the fused kernel (PyTorch backend) whenever the configuration allows it,
            `False` to always run Keras's loop, `True` to insist on the fused kernel (a call that cannot use
            it raises `ValueError`). Default: `"auto"`.
        **kwargs: Standard layer arguments such as `name` and `dtype`.

    Call arguments:
        sequences: The input, shape `(batch, timesteps, features)`.
        initial_state: h_0, shape `(batch, units)` (or a one-element list of it). Default: zeros (or, when
            `stateful=True`, the state left by the previous batch).
        mask: Boolean tensor of shape `(batch, timesteps)`; `False` marks a padding step, at which the state
            is carried over unchanged. Passed on automatically from `Masking` or `Embedding(mask_zero=True)`.
        training: Python boolean; dropout is applied only when `True`. Default: `False`.

    Returns:
        `(batch, units)` with the last state, or `(batch, timesteps, units)` if `return_sequences=True`.
        With `return_state=True`, a list `[output, final_state]`, where `final_state` has shape
        `(batch, units)`.

    Raises:
        TypeError: if `units` is not an integer, or a rate or flag has the wrong type.
        ValueError: if `units <= 0`, a dropout rate is outside [0, 1), the activation is unknown, or the
            input, initial state or mask has the wrong shape.

    Example:

    ```python
    import numpy as np
    import keras
    from rnncourse.layers import VanillaRNN

    x = np.random.random((32, 10, 8)).astype("float32")   # (batch, timesteps, features)
    VanillaRNN(4)(x).shape                                 # (32, 4): the last state h_T

    seq, h_T = VanillaRNN(4, return_sequences=True, return_state=True)(x)
    seq.shape, h_T.shape                                   # (32, 10, 4) and (32, 4)

    # Same weights as SimpleRNN, so it computes the same function:
    simple, vanilla = keras.layers.SimpleRNN(4), VanillaRNN(4)
    simple(x), vanilla(x)                                  # build both
    vanilla.set_weights(simple.get_weights())
    to_numpy = keras.ops.convert_to_numpy                  # a NumPy array, on every backend
    np.allclose(to_numpy(simple(x)), to_numpy(vanilla(x)), atol=1e-6)   # True
    ```
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        use_fused: bool | str = "auto",
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if not (isinstance(use_fused, str) and use_fused == "auto"):
            if isinstance(use_fused, str):
                expected = "'auto', True or False"
                raise ValueError(arguments.message("use_fused", expected, repr(use_fused), owner))
            use_fused = arguments.boolean(use_fused, "use_fused", owner)
        # Check here too, so that errors name the layer the learner wrote rather than its cell.
        units = arguments.positive_int(units, "units", owner)
        _get_activation(activation, owner)
        arguments.boolean(use_bias, "use_bias", owner)
        _check_rate(dropout, "dropout", owner)
        _check_rate(recurrent_dropout, "recurrent_dropout", owner)
        cell = VanillaRNNCell(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="vanilla_rnn_cell",
        )
        super().__init__(
            cell,
            return_sequences=arguments.boolean(return_sequences, "return_sequences", owner),
            return_state=arguments.boolean(return_state, "return_state", owner),
            go_backwards=arguments.boolean(go_backwards, "go_backwards", owner),
            stateful=arguments.boolean(stateful, "stateful", owner),
            unroll=arguments.boolean(unroll, "unroll", owner),
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.use_fused = use_fused
        self.input_spec = keras.InputSpec(ndim=3)  # (batch, timesteps, features); the features fixed by build

    # -- checks that InputSpec cannot express, all on static shapes --------------------------------------

    def _check_initial_state(self, sequences_shape: tuple, state: Any) -> None:
        """`state`: a tensor, a list of tensors, or (from compute_output_shape) a shape or list of shapes."""
        if isinstance(state, (list, tuple)) and all(d is None or isinstance(d, int) for d in state):
            states = [state]  # a single shape tuple
        else:
            states = list(state) if isinstance(state, (list, tuple)) else [state]
        owner = type(self).__name__
        if len(states) != 1:
            expected = f"one state of shape (batch, {self.units})"
            raise ValueError(arguments.message("initial_state", expected, f"{len(states)} states", owner))
        first = states[0]
        shape = _shape(first if isinstance(first, (list, tuple)) else getattr(first, "shape", None))
        batch = sequences_shape[0]
        if (
            len(shape) != 2
            or shape[-1] != self.units
            or (batch is not None and shape[0] is not None and shape[0] != batch)
        ):
            expected = f"shape ({batch}, {self.units}) = (batch, units)"
            raise ValueError(arguments.message("initial_state", expected, f"shape {shape}", owner))

    def _check_mask(self, sequences_shape: tuple, mask: Any) -> None:
        shape = _shape(getattr(mask, "shape", None))
        expected = sequences_shape[:2]
        if len(shape) != 2 or any(
            e is not None and g is not None and e != g for e, g in zip(expected, shape, strict=True)
        ):
            expected = f"shape {expected} = (batch, timesteps) for input of shape {sequences_shape}"
            raise ValueError(arguments.message("mask", expected, f"shape {shape}", type(self).__name__))

    def build(self, sequences_shape: tuple, initial_state_shape: Any = None) -> None:
        super().build(sequences_shape, initial_state_shape)
        self.input_spec = keras.InputSpec(ndim=3, axes={-1: self.cell.kernel.shape[0]})

    def compute_output_shape(self, sequences_shape: tuple, initial_state_shape: Any = None):
        if initial_state_shape is not None:
            self._check_initial_state(_shape(sequences_shape), initial_state_shape)
        return super().compute_output_shape(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training: bool = False):
        shape = _shape(sequences.shape)
        dtype = keras.backend.standardize_dtype(sequences.dtype)
        if not keras.backend.is_float_dtype(dtype):
            owner = type(self).__name__
            raise TypeError(arguments.message("sequences", "floating-point input", f"dtype {dtype}", owner))
        if initial_state is not None:
            self._check_initial_state(shape, initial_state)
        if mask is not None:
            self._check_mask(shape, mask)
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def inner_loop(self, sequences, initial_state, mask, training: bool = False):
        """Keras's loop over the cell, or the backend's fused kernel (rnncourse._fused) where it can run."""
        if self.use_fused is not False:
            try:
                return _fused.vanilla_rnn(
                    self.cell, sequences, initial_state, mask,
                    go_backwards=self.go_backwards, unroll=self.unroll, training=training,
                )  # fmt: skip
            except NotImplementedError as refusal:
                if self.use_fused is True:  # clear the dropout masks, as keras.layers.RNN.call would after
                    self.cell.reset_dropout_mask()
                    self.cell.reset_recurrent_dropout_mask()
                    message = f"{self.name}: use_fused=True, but the fused kernel cannot run: {refusal}"
                    raise ValueError(message) from None
        return super().inner_loop(sequences, initial_state, mask, training=training)

    # -- the cell's settings, readable from the layer as on SimpleRNN -------------------------------------

    @property
    def units(self) -> int:
        return self.cell.units

    @property
    def activation(self):
        return self.cell.activation

    @property
    def use_bias(self) -> bool:
        return self.cell.use_bias

    @property
    def kernel_initializer(self):
        return self.cell.kernel_initializer

    @property
    def recurrent_initializer(self):
        return self.cell.recurrent_initializer

    @property
    def bias_initializer(self):
        return self.cell.bias_initializer

    @property
    def kernel_regularizer(self):
        return self.cell.kernel_regularizer

    @property
    def recurrent_regularizer(self):
        return self.cell.recurrent_regularizer

    @property
    def bias_regularizer(self):
        return self.cell.bias_regularizer

    @property
    def kernel_constraint(self):
        return self.cell.kernel_constraint

    @property
    def recurrent_constraint(self):
        return self.cell.recurrent_constraint

    @property
    def bias_constraint(self):
        return self.cell.bias_constraint

    @property
    def dropout(self) -> float:
        return self.cell.dropout

    @property
    def recurrent_dropout(self) -> float:
        return self.cell.recurrent_dropout

    @property
    def seed(self) -> int | None:
        return self.cell.seed

    def get_config(self) -> dict:
        config = super().get_config()
        del config["cell"]  # rebuilt from the arguments below by from_config
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config["use_fused"] = self.use_fused
        return config

    @classmethod
    def from_config(cls, config: dict) -> VanillaRNN:
        return cls(**config)
