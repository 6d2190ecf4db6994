"""Look inside a recurrent network: gradient norms through time, hidden states, saliency, and cost.

- `gradient_norms_through_time` -- ||dL/dh_t|| for every step t: watch gradients vanish or explode.
- `hidden_state_trajectory`     -- the hidden state after every step (for text: after every token).
- `input_saliency`              -- ||d output / d x_t||: which steps (tokens) the prediction is sensitive to.
- `count_params`, `time_per_epoch` -- the two columns of every model-comparison table.
- `flops_per_step`, `latency`   -- the cost of one step (operations) and of one forward pass (seconds).
- `value_and_gradients`         -- f(inputs) and df/dinputs on whichever Keras backend is running.

The first three accept a recurrent cell or layer (`SimpleRNN`, `LSTM`, `GRU`, `rnncourse.layers.VanillaRNN`)
or a model whose layers form a single chain (a `keras.Sequential`, or a functional model with one input,
one output and no branches) with a recurrent layer somewhere in it, for instance
`TextVectorization -> Embedding(mask_zero=True) -> LSTM -> Dense`. In a model, the layers before the
recurrent layer are run to produce its inputs (and the padding mask), and the layers after it to produce
the prediction. Pick the recurrent layer with `layer=` (its name, its index in `model.layers`, or the layer
itself); by default the first recurrent layer is used.

Gradients are taken by the backend's own automatic differentiation (`tf.GradientTape`, `jax.grad` or
`torch.autograd`, through `value_and_gradients`), so they work on the TensorFlow, JAX and PyTorch backends
and give the same numbers; only `flops_per_step` needs TensorFlow (it counts with TensorFlow's profiler).
Everything runs in inference mode (dropout off).
"""

from __future__ import annotations

import inspect
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from rnncourse import arguments

__all__ = [
    "count_params",
    "flops_per_step",
    "gradient_norms_through_time",
    "hidden_state_trajectory",
    "input_saliency",
    "latency",
    "time_per_epoch",
    "value_and_gradients",
]

LayerRef = str | int | keras.layers.Layer | None


# --------------------------------------------------------------------------------------------------
# Helpers shared by the public functions
# --------------------------------------------------------------------------------------------------
def value_and_gradients(fn: Callable, inputs: Sequence) -> tuple[float, list[np.ndarray]]:
    """The value of a scalar function and its gradient with respect to each input, on any Keras backend.

    Taught in: none of the notebooks (library only; see docs/library.md).

    The gradient is taken by the running backend's own automatic differentiation: `tf.GradientTape` on
    TensorFlow, `jax.grad` (compiled with `jax.jit`) on JAX, `torch.autograd.grad` on PyTorch. `fn` must
    compute with `keras.ops` (or built Keras layers), and on JAX it must not change any state: to
    differentiate with respect to a layer's weights, pass them as inputs and call
    `layer.stateless_call(weights, ...)` inside `fn`.

    Args:
        fn: A function of `len(inputs)` tensors that returns a scalar tensor.
        inputs: The points at which to differentiate: arrays, tensors or Keras variables (their values are
            used), floating-point.

    Returns:
        A pair `(value, gradients)`: `value` is `fn(*inputs)` as a float, `gradients` a list of NumPy arrays,
        `gradients[i]` = d fn / d inputs[i], of the same shape as `inputs[i]` (zeros where `fn` does not
        depend on it).

    Raises:
        RuntimeError: on a backend other than TensorFlow, JAX and PyTorch.
        TypeError: if an input is not floating-point.

    Example:
        >>> value, (grad,) = value_and_gradients(lambda x: keras.ops.sum(x**3), [np.array([1.0, 2.0])])
        >>> value, grad                                       # 1 + 8, and 3 x**2
        (9.0, array([ 3., 12.]))
    """
    backend = keras.backend.backend()
    tensors = [ops.convert_to_tensor(x.value if isinstance(x, keras.Variable) else x) for x in inputs]
    for i, tensor in enumerate(tensors):
        dtype = keras.backend.standardize_dtype(tensor.dtype)
        if not keras.backend.is_float_dtype(dtype):
            raise TypeError(
                f"value_and_gradients expects floating-point inputs, got dtype {dtype} for input {i}"
            )
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            for tensor in tensors:
                tape.watch(tensor)
            value = fn(*tensors)
        grads = tape.gradient(value, tensors, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    elif backend == "jax":
        import jax

        value, grads = jax.jit(jax.value_and_grad(lambda args: fn(*args)))(tensors)
    elif backend == "torch":
        import torch

        tensors = [tensor.detach().clone().requires_grad_(True) for tensor in tensors]
        with torch.enable_grad():
            value = fn(*tensors)
            grads = torch.autograd.grad(value, tensors, allow_unused=True)
        grads = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, tensors, strict=True)]
    else:
        raise RuntimeError(
            f"value_and_gradients works on the tensorflow, jax and torch backends, got {backend!r}"
        )
    return float(ops.convert_to_numpy(value)), [ops.convert_to_numpy(g) for g in grads]


def _is_cell(obj: Any) -> bool:
    return isinstance(obj, keras.layers.Layer) and hasattr(obj, "state_size") and not _is_rnn(obj)


def _is_rnn(obj: Any) -> bool:
    return isinstance(obj, keras.layers.RNN)


def _describe(obj: Any) -> str:
    name = getattr(obj, "name", None)
    return f"{type(obj).__name__}" + (f" {name!r}" if name else "")


def _chain_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's layers in call order, after checking that they form a single chain."""
    layers = [lyr for lyr in model.layers if not isinstance(lyr, keras.layers.InputLayer)]
    if isinstance(model, keras.Sequential):
        return layers
    expected = "a model whose layers form a single chain (Sequential, or functional with one path)"
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"expected {expected}, got a model with {len(model.inputs)} inputs and {len(model.outputs)} "
            "outputs; pass the recurrent layer itself with its inputs instead"
        )
    previous = model.inputs[0]
    for lyr in layers:
        try:
            given = lyr.input
        except (AttributeError, ValueError) as error:  # e.g. a layer called more than once
            raise ValueError(f"expected {expected}; layer {lyr.name!r}: {error}") from error
        first = given[0] if isinstance(given, list | tuple) else given
        if first is not previous:
            raise ValueError(
                f"expected {expected}, but layer {lyr.name!r} does not read the output of the layer before "
                "it (the model branches or merges); pass the recurrent layer itself with its inputs instead"
            )
        previous = lyr.output
    if previous is not model.outputs[0]:
        raise ValueError(f"expected {expected}, but the last layer's output is not the model's output")
    return layers


def _resolve_layer(model: keras.Model, layers: list[keras.layers.Layer], layer: LayerRef) -> int:
    """Index into `layers` (the chain) of the recurrent layer to inspect."""
    names = [f"{lyr.name} ({type(lyr).__name__})" for lyr in layers]
    if layer is None:
        for i, lyr in enumerate(layers):
            if isinstance(lyr, keras.layers.Bidirectional):
                raise TypeError(
                    f"the first recurrent layer of the model, {lyr.name!r}, is Bidirectional, which these "
                    "diagnostics do not support; pass layer= to pick a SimpleRNN, LSTM, GRU or VanillaRNN"
                )
            if _is_rnn(lyr):
                return i
        raise ValueError(f"expected a model with a recurrent layer, found none among its layers {names}")
    if isinstance(layer, bool) or not isinstance(layer, str | int | keras.layers.Layer):
        raise TypeError(
            f"expected layer= to be a layer name (str), an index into model.layers (int) or a layer, "
            f"got {type(layer).__name__}"
        )
    if isinstance(layer, str):
        matches = [i for i, lyr in enumerate(layers) if lyr.name == layer]
        if not matches:
            raise ValueError(f"no layer named {layer!r} in the model; its layers are {names}")
        index = matches[0]
    elif isinstance(layer, int):
        all_layers = model.layers
        if not -len(all_layers) <= layer < len(all_layers):
            raise ValueError(f"layer index {layer} is out of range for a model with {len(all_layers)} layers")
        target = all_layers[layer]
        index = next(i for i, lyr in enumerate(layers) if lyr is target) if target in layers else -1
        if index < 0:
            raise ValueError(f"model.layers[{layer}] is an input layer, not a recurrent layer")
    else:
        matches = [i for i, lyr in enumerate(layers) if lyr is layer]
        if not matches:
            raise ValueError(f"layer {layer.name!r} is not one of the model's layers {names}")
        index = matches[0]
    if not _is_rnn(layers[index]):
        raise TypeError(
            f"expected a recurrent layer (SimpleRNN, LSTM, GRU, VanillaRNN or another keras.layers.RNN), "
            f"got {_describe(layers[index])}"
        )
    return index


def _call_chain(layers: Sequence[keras.layers.Layer], x, mask=None):
    """Call layers one after the other, passing the padding mask along explicitly. Returns (output, mask)."""
    for lyr in layers:
        takes_mask = "mask" in inspect.signature(lyr.call).parameters
        y = lyr(x, mask=mask) if (mask is not None and takes_mask) else lyr(x)
        mask = lyr.compute_mask(x, mask)
        x = y
    return x, mask


def _model_input_rank(model: keras.Model) -> int | None:
    try:
        return len(model.inputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError):
        return None  # a Sequential model that has not been built yet


def _batch_inputs(target, x, what: str):
    """Return (x with a batch axis, whether one was added). One sequence = one axis fewer than expected."""
    if isinstance(target, keras.Model):
        rank = _model_input_rank(target)
        if isinstance(x, str):
            return np.array([x]), True
        if rank is not None and np.ndim(x) == rank - 1:
            return np.asarray(x)[np.newaxis], True
        return x, False
    x = _float_sequences(x, what, allow_single=True)
    if x.ndim == 2:
        return x[np.newaxis], True
    return x, False


def _float_sequences(x, what: str, allow_single: bool = False) -> np.ndarray:
    array = np.asarray(x)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"expected floating-point inputs for {what}, got dtype {array.dtype}")
    ok = array.ndim == 3 or (allow_single and array.ndim == 2)
    if not ok:
        single = " (or (timesteps, features) for one sequence)" if allow_single else ""
        raise ValueError(
            f"expected inputs of shape (batch, timesteps, features){single} for {what}, "
            f"got shape {array.shape}"
        )
    return array


def _split_model(model: keras.Model, layer: LayerRef):
    layers = _chain_layers(model)
    index = _resolve_layer(model, layers, layer)
    return layers[:index], layers[index], layers[index + 1 :]


def _unroll(cell: keras.layers.Layer, inputs, mask=None, go_backwards: bool = False, perturbations=None):
    """Run `cell` one step at a time. Returns (outputs, hs): two lists of (batch, units) tensors, one per
    step in the order the steps are processed; hs[t] is the cell's first state (h_t; for an LSTM the
    hidden state h, not the carry c). Masked steps keep the previous state and output, as Keras does.

    `perturbations`, if given, is one (batch, units) tensor per step, added to h_t before anything reads it:
    with zeros the result is unchanged, and d loss / d perturbations[t] is the total gradient d loss / d h_t
    (JAX cannot differentiate with respect to an intermediate tensor, only with respect to an input)."""
    batch, timesteps = ops.shape(inputs)[0], inputs.shape[1]
    if not cell.built:
        cell.build((batch, inputs.shape[-1]))
    states = cell.get_initial_state(batch)
    states = list(states) if isinstance(states, list | tuple) else [states]
    output = ops.zeros_like(states[0])
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    outputs, hs = [], []
    for t in order:
        new_output, new_states = cell(inputs[:, t], states, training=False)
        new_states = list(new_states) if isinstance(new_states, list | tuple) else [new_states]
        if mask is not None:  # a padded step (mask False) leaves state and output unchanged
            output_is_h = new_output is new_states[0]  # true for SimpleRNN, LSTM, GRU, VanillaRNN cells
            keep = ops.expand_dims(ops.cast(mask[:, t], "bool"), -1)
            new_states = [ops.where(keep, new, old) for new, old in zip(new_states, states, strict=True)]
            # Keep output and h one tensor, so that dL/dh_t counts every path the loss takes through h_t.
            new_output = new_states[0] if output_is_h else ops.where(keep, new_output, output)
        if perturbations is not None:
            perturbed = ops.add(new_states[0], perturbations[len(hs)])
            new_output = perturbed if new_output is new_states[0] else new_output
            new_states = [perturbed, *new_states[1:]]
        states, output = new_states, new_output
        outputs.append(output)
        hs.append(states[0])
    return outputs, hs


def _state_units(cell: keras.layers.Layer) -> int:
    """The size of the cell's first state, h."""
    size = cell.state_size
    return int(size[0] if isinstance(size, list | tuple) else size)


def _loss_fn(loss, model: keras.Model | None) -> Callable:
    if loss is None and model is not None:
        loss = getattr(model, "loss", None)
    if loss is None:
        raise ValueError(
            "y was given but no loss: pass loss= (a Keras loss name such as 'mse' or a callable "
            "loss(y_true, y_pred)), or compile the model with a loss"
        )
    if isinstance(loss, str) or isinstance(loss, keras.losses.Loss):
        return keras.losses.get(loss)
    if callable(loss):
        return loss
    raise TypeError(f"expected loss to be a Keras loss name, a Loss or a callable, got {type(loss).__name__}")


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------
def gradient_norms_through_time(
    model_or_layer: keras.layers.Layer,
    x,
    y=None,
    loss: str | keras.losses.Loss | Callable | None = None,
    *,
    layer: LayerRef = None,
) -> np.ndarray:
    """||dL/dh_t|| for every time step t: how much the loss still feels each hidden state.

    Taught in: notebooks/02_training_rnns.ipynb, section "3. Vanishing and exploding gradients".

    The recurrent cell is stepped by hand, one time step at a time, and a zero ε_t is added to every hidden
    state h_t; the gradient dL/dε_t is then the *total* gradient dL/dh_t (through every later step, as in
    backpropagation through time), taken by the backend's automatic differentiation. The norm is taken
    over the batch and the units together (as `rnncourse.reference.RNNGradients.grad_norms`). For an LSTM
    the state is [h, c]; the norm is over h, the hidden state the cell outputs, not over the carry c. If
    the gradient shrinks as t goes back to 1, gradients vanish; if it grows, they explode.

    Args:
        model_or_layer: A recurrent cell (`SimpleRNNCell`, `LSTMCell`, `GRUCell`, `VanillaRNNCell`), a
            recurrent layer (`SimpleRNN`, `LSTM`, `GRU`, `VanillaRNN`), or a chain model containing one.
        x: A batch of inputs: `(batch, timesteps, features)` floats for a cell or layer; whatever the
            model takes for a model (e.g. token ids or strings).
        y: Targets. Default: None, and the loss is L = sum of the final hidden state h_T over batch and
            units (so dL/dh_T is all ones). With y, L = loss(y, prediction) averaged over the batch, where
            the prediction is the model's output, or the layer's output (h_T, or every h_t when the layer
            returns sequences), or h_T for a cell.
        loss: Used with y: a Keras loss name ("mse", "binary_crossentropy", ...), a `keras.losses.Loss`, or
            a callable `loss(y_true, y_pred)`. Default: the loss the model was compiled with.
        layer: For a model, the recurrent layer to watch: its name, its index in `model.layers`, or the
            layer. Default: the first recurrent layer.

    Returns:
        A float64 array of shape `(timesteps,)`, in the order the layer processes the steps (reversed
        input order for a layer with `go_backwards=True`). Masked (padded) steps are included.

    Raises:
        TypeError: if `model_or_layer` is not a cell, a recurrent layer or a model, or inputs are not floats.
        ValueError: for a wrong input shape, a loss without y (or y without a loss), or a model whose
            layers do not form a chain.

    Example:
        >>> rnn = keras.layers.SimpleRNN(8)
        >>> x = np.random.default_rng(0).normal(size=(16, 30, 1)).astype("float32")
        >>> norms = gradient_norms_through_time(rnn, x)       # shape (30,)
        >>> bool(norms[0] < norms[-1])                        # gradients vanish on the way back
        True
    """
    if loss is not None and y is None:
        raise ValueError("loss= was given without y; pass the targets y too (or neither, to read h_T)")

    model, before, after, mask, go_backwards = None, [], [], None, False
    if isinstance(model_or_layer, keras.Model):
        model = model_or_layer
        before, rnn, after = _split_model(model, layer)
        cell, go_backwards = rnn.cell, rnn.go_backwards
        if rnn.return_state:
            raise ValueError(f"layer {rnn.name!r} has return_state=True, which is not supported here")
        sequences, mask = _call_chain(before, x)
        sequences = _float_sequences(sequences, f"layer {rnn.name!r}") if before == [] else sequences
    else:
        if layer is not None:
            raise ValueError("layer= only applies to models; pass the recurrent layer itself instead")
        if _is_rnn(model_or_layer):
            rnn, cell, go_backwards = model_or_layer, model_or_layer.cell, model_or_layer.go_backwards
        elif _is_cell(model_or_layer):
            rnn, cell = None, model_or_layer
        else:
            raise TypeError(
                "expected a recurrent cell, a recurrent layer (SimpleRNN, LSTM, GRU, VanillaRNN) or a model, "
                f"got {_describe(model_or_layer)}"
            )
        sequences = _float_sequences(x, _describe(model_or_layer))
    if rnn is not None and not rnn.built:
        rnn.build(tuple(sequences.shape))
    sequences = ops.convert_to_tensor(sequences, dtype=cell.compute_dtype)

    loss_fn = None if y is None else _loss_fn(loss, model)
    # Whatever comes before the recurrent layer (an Embedding, say) is a constant here.
    sequences = ops.stop_gradient(sequences)
    if not cell.built:  # before differentiating: JAX cannot create weights inside its trace
        cell.build((None, sequences.shape[-1]))

    def total_loss(*perturbations):
        outputs, hs = _unroll(cell, sequences, mask, go_backwards, perturbations)
        if loss_fn is None:
            return ops.sum(hs[-1])  # L = sum of h_T: dL/dh_T is all ones
        returns_sequences = rnn is not None and rnn.return_sequences
        prediction = ops.stack(outputs, axis=1) if returns_sequences else outputs[-1]
        if after:
            out_mask = rnn.compute_mask(sequences, mask) if mask is not None else None
            prediction, _ = _call_chain(after, prediction, out_mask)
        return ops.mean(loss_fn(ops.convert_to_tensor(y), prediction))

    shape = (sequences.shape[0], _state_units(cell))
    zeros = [np.zeros(shape, dtype=cell.compute_dtype) for _ in range(sequences.shape[1])]
    _, grads = value_and_gradients(total_loss, zeros)
    return np.asarray([np.linalg.norm(g.astype(np.float64)) for g in grads], dtype=np.float64)


def hidden_state_trajectory(model_or_layer: keras.layers.Layer, x, *, layer: LayerRef = None) -> np.ndarray:
    """The hidden state after every time step (for text: after every token).

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "4. What the recurrence buys you — seven claims, each
    measured".

    For a recurrent layer the states come from a copy of the layer with `return_sequences=True` and the
    same weights, run by Keras itself (so masking and `go_backwards` behave exactly as in the layer). For a
    model, the layers before the recurrent layer are run first (e.g. TextVectorization and
    Embedding(mask_zero=True)), and the padding mask goes with them: at a padded step the state is
    carried over unchanged. For an LSTM this is h, not the carry c.

    Args:
        model_or_layer: A recurrent layer (`SimpleRNN`, `LSTM`, `GRU`, `VanillaRNN`), or a chain model
            containing one.
        x: A batch of inputs (`(batch, timesteps, features)` floats for a layer; what the model takes for a
            model), or one sequence without the batch axis (`(timesteps, features)`; for a model, one axis
            fewer than the model's input, e.g. a single string for a text model).
        layer: For a model, which recurrent layer: its name, its index in `model.layers`, or the layer.
            Default: the first recurrent layer.

    Returns:
        A float array `(batch, timesteps, units)`, or `(timesteps, units)` when one sequence was given.

    Raises:
        TypeError: if `model_or_layer` is not a recurrent layer or a model, or a layer gets non-float inputs.
        ValueError: for a wrong input shape or a model whose layers do not form a chain.

    Example:
        >>> rnn = keras.layers.GRU(4)                        # returns only the last state...
        >>> x = np.zeros((2, 7, 3), dtype="float32")
        >>> hidden_state_trajectory(rnn, x).shape            # ...but here are all 7 of them
        (2, 7, 4)
    """
    x, single = _batch_inputs(model_or_layer, x, "hidden_state_trajectory")
    mask = None
    if isinstance(model_or_layer, keras.Model):
        before, rnn, _ = _split_model(model_or_layer, layer)
        sequences, mask = _call_chain(before, x)
        if not before:
            sequences = _float_sequences(sequences, f"layer {rnn.name!r}")
    elif _is_rnn(model_or_layer):
        if layer is not None:
            raise ValueError("layer= only applies to models; pass the recurrent layer itself instead")
        rnn, sequences = model_or_layer, x
    else:
        raise TypeError(
            "expected a recurrent layer (SimpleRNN, LSTM, GRU, VanillaRNN) or a model, "
            f"got {_describe(model_or_layer)}"
        )
    if not rnn.built:
        rnn.build(tuple(sequences.shape))
    # A copy that returns every step's state, with the same weights. `stateful` is dropped so the copy
    # starts from zeros like a fresh call.
    config = rnn.get_config()
    config.update(return_sequences=True, return_state=False, stateful=False)
    copy = type(rnn).from_config(config)
    copy.build(tuple(sequences.shape))
    copy.set_weights(rnn.get_weights())
    states = copy(sequences, mask=mask) if mask is not None else copy(sequences)
    states = ops.convert_to_numpy(states)
    return states[0] if single else states


def input_saliency(
    model: keras.Model,
    x,
    *,
    output_index: int | None = None,
) -> np.ndarray:
    """How sensitive the prediction is to each input step: ||d output / d x_t||.

    Taught in: notebooks/02_training_rnns.ipynb, section "5. Bias toward recent inputs".

    The gradient is taken with respect to the model's input at each step, or, when the model has an
    `Embedding` layer, with respect to the embedded vectors (token ids are integers: they have no gradient);
    the norm is over the features (or the embedding dimensions). Each sample's saliency depends only on
    that sample. A step the output cannot depend on has saliency 0 (e.g. a padded token behind
    `mask_zero=True`).

    Args:
        model: A chain model (Sequential, or functional with one path) ending in a per-sample output of
            shape `(batch,)` or `(batch, units)`.
        x: A batch of inputs, or one sample without the batch axis (e.g. one string for a text model).
        output_index: Which output unit to explain. Default: the only unit if there is one, otherwise each
            sample's predicted (largest) unit.

    Returns:
        A float array `(batch, timesteps)`, or `(timesteps,)` when one sample was given.

    Raises:
        TypeError: if `model` is not a Keras model, or the inputs of a model without Embedding are not floats.
        ValueError: if the output shape is not `(batch,)`/`(batch, units)` or `output_index` is out of range.

    Example:
        >>> model = keras.Sequential([keras.Input((20, 1)), keras.layers.SimpleRNN(8), keras.layers.Dense(1)])
        >>> input_saliency(model, np.zeros((20, 1), dtype="float32")).shape    # one sequence in
        (20,)
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {_describe(model)}")
    x, single = _batch_inputs(model, x, "input_saliency")
    layers = _chain_layers(model)
    embedding = next((i for i, lyr in enumerate(layers) if isinstance(lyr, keras.layers.Embedding)), None)
    if embedding is None:
        before, after = [], layers
        watched, mask = _float_sequences(x, "input_saliency on a model without an Embedding layer"), None
        watched = ops.convert_to_tensor(watched, dtype=layers[0].compute_dtype if layers else "float32")
    else:  # differentiate with respect to the embedded vectors
        before, after = layers[: embedding + 1], layers[embedding + 1 :]
        watched, mask = _call_chain(before, x)
    if len(watched.shape) != 3:
        raise ValueError(
            "expected the watched inputs to have shape (batch, timesteps, features), "
            f"got {tuple(watched.shape)}"
        )

    if output_index is not None and (
        isinstance(output_index, bool) or not isinstance(output_index, int | np.integer)
    ):
        raise TypeError(f"expected an int for output_index, got {type(output_index).__name__}")

    def total_output(inputs):
        output, _ = _call_chain(after, inputs, mask)
        if len(output.shape) == 1:
            output = ops.expand_dims(output, -1)
        if len(output.shape) != 2:
            raise ValueError(
                f"expected a model output of shape (batch,) or (batch, units), got {tuple(output.shape)}"
            )
        units = output.shape[-1]
        if output_index is not None:
            if not -units <= output_index < units:
                raise ValueError(
                    f"output_index {output_index} is out of range for an output with {units} units"
                )
            selected = output[:, output_index]
        elif units == 1:
            selected = output[:, 0]
        else:  # each sample's predicted unit
            chosen = ops.one_hot(ops.argmax(output, axis=-1), units, dtype=output.dtype)
            selected = ops.sum(output * ops.stop_gradient(chosen), axis=-1)
        return ops.sum(selected)  # samples do not interact, so d total / d x[i] = d output[i] / d x[i]

    _, (grads,) = value_and_gradients(total_output, [ops.stop_gradient(watched)])
    saliency = np.sqrt(np.sum(np.square(grads), axis=-1))
    return saliency[0] if single else saliency


def count_params(model_or_layer: keras.layers.Layer) -> int:
    """Number of weights (trainable and not) of a built model, layer or cell.

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "4. What the recurrence buys you — seven claims, each
    measured".

    Args:
        model_or_layer: A Keras model, layer or cell that has been built (called once, or given an Input).

    Returns:
        The number of scalar weights, as an int.

    Raises:
        TypeError: if the argument is not a Keras layer or model.
        ValueError: if it has not been built yet, so it has no weights to count.

    Example:
        >>> count_params(keras.Sequential([keras.Input((None, 3)), keras.layers.SimpleRNN(4)]))
        32
    """
    if not isinstance(model_or_layer, keras.layers.Layer):
        raise TypeError(arguments.message("model_or_layer", "a Keras model or layer",
                                          arguments.given(model_or_layer)))
    if not model_or_layer.built:
        raise ValueError(
            f"{_describe(model_or_layer)} has not been built yet, so it has no weights to count; "
            "call it on a batch or start the model with keras.Input(shape)"
        )
    return int(sum(int(np.prod(w.shape)) for w in model_or_layer.weights))


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def time_per_epoch(
    model: keras.Model,
    x,
    y=None,
    batch_size: int | None = 32,
    epochs: int = 3,
    warmup_epochs: int = 1,
) -> float:
    """Median wall-clock seconds per training epoch of a compiled model.

    Taught in: notebooks/02_training_rnns.ipynb, section "6. Computational cost: the steps cannot run in
    parallel".

    The first epoch includes building and tracing the training graph, so `warmup_epochs` epochs are run
    first and not counted. Timing means training: the model's weights are restored afterwards, but the
    optimizer's state (step count, moments) has moved on. Timings depend on the machine and on what else
    runs on it; compare models timed on the same machine, one after the other.

    Args:
        model: A compiled Keras model.
        x: Training inputs (arrays), or a `tf.data.Dataset` of (inputs, targets) batches (then y=None and
            batch_size is ignored).
        y: Training targets. Default: None (only with a dataset).
        batch_size: Batch size for array inputs. Default: 32.
        epochs: Number of timed epochs; the median is returned. Default: 3.
        warmup_epochs: Untimed epochs run first. Default: 1.

    Returns:
        The median seconds per epoch over the timed epochs.

    Raises:
        TypeError: if `model` is not a Keras model.
        ValueError: if the model is not compiled, or epochs/warmup_epochs/batch_size are not valid.

    Example:
        >>> model = keras.Sequential([keras.Input((20, 1)), keras.layers.SimpleRNN(8), keras.layers.Dense(1)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> x, y = np.zeros((256, 20, 1), "float32"), np.zeros((256, 1), "float32")
        >>> seconds = time_per_epoch(model, x, y, batch_size=64)   # a float, e.g. 0.1
    """
    if not isinstance(model, keras.Model):
        raise TypeError(arguments.message("model", "a keras.Model", arguments.given(model)))
    if not model.compiled:
        raise ValueError(arguments.message("model", "a compiled model", "one that is not compiled; call "
                                           "model.compile(optimizer=..., loss=...) first"))
    epochs = arguments.positive_int(epochs, "epochs")
    warmup_epochs = arguments.integer(warmup_epochs, "warmup_epochs", minimum=0)
    is_dataset = not isinstance(x, np.ndarray | list | tuple | dict) and hasattr(x, "element_spec")
    if not is_dataset:
        batch_size = arguments.positive_int(batch_size, "batch_size")
    fit_kwargs = {"epochs": warmup_epochs + epochs, "verbose": 0, "shuffle": False}
    if not is_dataset:
        fit_kwargs["batch_size"] = batch_size

    weights = model.get_weights()
    timer = _EpochTimer()
    try:
        model.fit(x, y, callbacks=[timer], **fit_kwargs)
    finally:
        model.set_weights(weights)
    return float(statistics.median(timer.seconds[warmup_epochs:]))


# --------------------------------------------------------------------------------------------------
# Cost of one step: floating-point operations and wall-clock latency
# --------------------------------------------------------------------------------------------------
def flops_per_step(cell: keras.layers.Layer, features: int) -> int:
    """Floating-point operations of one time step of a recurrent cell, for one sequence.

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "4. What the recurrence buys you — seven claims, each
    measured".

    The step ``cell(x_t, states)`` is traced into a TensorFlow graph with the weights as inputs (through
    the public ``Layer.stateless_call``), and TensorFlow's own profiler (``tf.compat.v1.profiler``, float
    operation view) counts its operations: a matrix product of ``(1, n) @ (n, m)`` counts ``2 n m``, an
    element-wise add or multiply one per element; activations (tanh, sigmoid) count nothing. For
    ``SimpleRNN`` with ``units = U`` that is ``2 U (features + U)`` for the two products plus ``2 U`` for
    the adds: the cost grows with the square of the width, and LSTM and GRU pay about 4x and 3x as much.

    Args:
        cell: A Keras recurrent cell (``SimpleRNNCell``, ``GRUCell``, ``LSTMCell``,
            ``rnncourse.layers.VanillaRNNCell``) or a recurrent layer, whose ``.cell`` is then counted.
            Built cells must have been built for ``features`` inputs; unbuilt ones are built here.
        features: Number of input features per step (a positive int).

    Returns:
        The number of floating-point operations of one step for a batch of one sequence, as an int.

    Raises:
        TypeError: if ``cell`` is not a recurrent cell or layer, or ``features`` not an int.
        ValueError: if ``features`` is not positive or does not match a built cell.
        RuntimeError: if the Keras backend is not TensorFlow (the profiler is TensorFlow's).

    Example:
        >>> flops_per_step(keras.layers.SimpleRNNCell(32), features=8)   # 2*32*(8+32) + 2*32
        2624
        >>> flops_per_step(keras.layers.LSTM(32), features=8)            # 4.05x the SimpleRNN cell
        10624
    """
    if isinstance(cell, keras.layers.RNN):
        cell = cell.cell
    if not isinstance(cell, keras.layers.Layer) or not hasattr(cell, "state_size"):
        raise TypeError(arguments.message("cell", "a Keras recurrent cell or recurrent layer",
                                          arguments.given(cell)))
    features = arguments.positive_int(features, "features")
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("flops_per_step counts with TensorFlow's profiler, so it needs the TensorFlow "
                           f"backend; got KERAS_BACKEND={keras.backend.backend()!r}")
    import tensorflow as tf

    if not cell.built:
        cell.build((None, features))
    kernels = [w for w in cell.weights if len(w.shape) == 2]  # the input kernel comes first, as in Keras
    if kernels and int(kernels[0].shape[0]) != features:
        raise ValueError(arguments.message("features", f"the input size the cell was built for "
                                                       f"({int(kernels[0].shape[0])})", f"{features}"))

    def spec(variable):
        return tf.TensorSpec(variable.shape, variable.dtype)

    def step(x_t, states, trainable, non_trainable):
        output, _ = cell.stateless_call(trainable, non_trainable, x_t, states)
        return output[0] if isinstance(output, list | tuple) else output

    states = [tf.TensorSpec((1, int(size))) for size in tf.nest.flatten(cell.state_size)]
    graph = tf.function(step).get_concrete_function(
        tf.TensorSpec((1, features)), states, [spec(v) for v in cell.trainable_variables],
        [spec(v) for v in cell.non_trainable_variables]).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # the v1 profiler logs deprecation notes otherwise
    try:
        return int(tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops)
    finally:
        logger.setLevel(level)


def _forward(model: Callable) -> Callable:
    """The model as a compiled graph function on TensorFlow (what `predict` runs); a callable as it is."""
    if isinstance(model, keras.layers.Layer) and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(model)
    if isinstance(model, keras.layers.Layer):
        return lambda x: model(x, training=False)
    return model


def latency(
    models: Any,
    x: Any = None,
    *,
    repeats: int = 20,
    rounds: int = 3,
    quantile: float = 0.0,
) -> float | dict:
    """Wall-clock seconds of one forward pass, measured so that a busy machine does not change the answer.

    Taught in: notebooks/02_training_rnns.ipynb, section "6. Computational cost: the steps cannot run in
    parallel".

    Timing one call is noisy: other programs take the CPU for a while, and a call that runs then is slow.
    They can only make a call slower, never faster, so the fastest calls are the cost of the computation
    itself: this returns a low ``quantile`` (by default the minimum) of ``rounds * repeats`` calls. To
    compare several models (for instance the same network on sequences of increasing length), pass them all
    at once: their calls are interleaved one by one (a, b, c, a, b, c, ...), so that a busy moment hits all
    of them alike rather than the one that happened to be timed then. Each model is compiled (``tf.function``
    on TensorFlow) and called once before it is timed, so tracing is not counted. Timings depend on the
    machine; compare models timed in the same call, as ratios.

    Args:
        models: A Keras model (or any callable), or a dict ``{key: (model, x)}`` to time several models in
            interleaved calls.
        x: The input of one forward pass (e.g. one sequence, ``x[:1]``), for a single model; must be
            ``None`` with a dict.
        repeats: Calls per model per round. Default: 20.
        rounds: Rounds of interleaved calls. Default: 3.
        quantile: Which quantile of each model's ``rounds * repeats`` call times to return, from 0 (the
            fastest call) to 1 (the slowest); the default 0 is the least disturbed. Default: ``0.0``.

    Returns:
        Seconds per forward pass, as a float for a single model, or a dict ``{key: seconds}`` for a dict.

    Raises:
        TypeError: if a model is not callable, or ``x`` is given with a dict of models.
        ValueError: for an empty dict, ``repeats``/``rounds`` that are not positive integers, or a
            ``quantile`` outside [0, 1].

    Example:
        >>> model = keras.Sequential([keras.Input((None, 1)), keras.layers.SimpleRNN(8)])
        >>> seconds = latency(model, np.zeros((1, 50, 1), "float32"))          # a float, e.g. 0.0006
        >>> both = latency({T: (model, np.zeros((1, T, 1), "float32")) for T in (50, 100)}, rounds=2)
        >>> sorted(both)                                                      # {50: ..., 100: ...}
        [50, 100]
    """
    repeats = arguments.positive_int(repeats, "repeats")
    rounds = arguments.positive_int(rounds, "rounds")
    quantile = arguments.number(quantile, "quantile", low=0.0, high=1.0)
    single = not isinstance(models, dict)
    if single:
        cases = {None: (models, x)}
    elif x is not None:
        raise TypeError(arguments.message("x", "None when models is a dict {key: (model, x)}",
                                          arguments.given(x)))
    elif not models:
        raise ValueError(arguments.message("models", "at least one model", "an empty dict"))
    else:
        cases = models
    prepared = {}
    for key, pair in cases.items():
        name = "models" if single else f"models[{key!r}]"
        if not single and not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(arguments.message(name, "a (model, x) pair", arguments.given(pair)))
        model, inputs = pair
        if not callable(model):
            raise TypeError(arguments.message(name, "a Keras model or a callable", arguments.given(model)))
        forward = _forward(model)
        inputs = ops.convert_to_tensor(inputs) if isinstance(model, keras.layers.Layer) else inputs
        ops.convert_to_numpy(forward(inputs))  # compile and warm up, untimed
        prepared[key] = (forward, inputs)

    times: dict[Any, list[float]] = {key: [] for key in prepared}
    for _ in range(rounds * repeats):
        for key, (forward, inputs) in prepared.items():  # one call each, in turn
            start = time.perf_counter()
            ops.convert_to_numpy(forward(inputs))  # wait for the result
            times[key].append(time.perf_counter() - start)
    low = {key: float(np.quantile(values, quantile)) for key, values in times.items()}
    return low[None] if single else low
