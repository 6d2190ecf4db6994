"""Fused kernels for `VanillaRNN`: the whole sequence in one backend call instead of Keras's step loop.

Kept out of the layer the way Keras keeps cuDNN out of `LSTM`: `VanillaRNN.inner_loop` calls `vanilla_rnn`,
which runs the fused kernel of the current backend or raises `NotImplementedError` with a sentence saying
why it cannot (the layer then runs Keras's loop, or, with `use_fused=True`, shows that sentence). Each
backend that has a kernel has its own section below, with its own reasons. Only PyTorch has one here.

Private: learners use `VanillaRNN(use_fused=...)`, not this module.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import activations, ops

# The fused kernel of each backend that has one, by `keras.backend.backend()`: each backend section below adds
# its own entry after its kernel; `vanilla_rnn` raises for the others.
_KERNELS: dict[str, Callable] = {}


def vanilla_rnn(cell, sequences, initial_state, mask, *, go_backwards: bool, unroll: bool, training: bool):
    """`cell` run over `sequences` by the current backend's fused kernel, as `keras.layers.RNN.inner_loop`.

    Args:
        cell: The built `VanillaRNNCell` whose weights, activation and dropout masks (drawn for this call
            by `keras.layers.RNN.call`) are used.
        sequences: The input, shape `(batch, timesteps, features)`.
        initial_state: h_0 in a one-element list, shape `(batch, units)`.
        mask: `None`, or a boolean `(batch, timesteps)` mask (or a list holding it).
        go_backwards, unroll, training: The layer's settings and the call's training flag.

    Returns:
        `(last_output, outputs, [final_state])`, as `keras.layers.RNN.inner_loop` returns them.

    Raises:
        NotImplementedError: with a sentence saying why the fused kernel cannot run this call.
    """
    backend = keras.backend.backend()
    kernel = _KERNELS.get(backend)
    if kernel is None:
        raise NotImplementedError(f"there is no fused kernel on the {backend} backend (only on torch)")
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    return kernel(cell, sequences, initial_state, mask, go_backwards, unroll, training)


# ----------------------------------------------------------------------------------------------------
# PyTorch: the fused vanilla RNN that torch.nn.RNN runs (cuDNN on a GPU, ATen on the CPU).
# ----------------------------------------------------------------------------------------------------


def _torch_nonlinearity(activation) -> str | None:
    if activation in (activations.tanh, ops.tanh):
        return "tanh"
    if activation in (activations.relu, ops.relu):
        return "relu"
    return None


def _torch_refusal(cell, sequences, mask, unroll: bool, training: bool) -> str | None:
    """Why PyTorch's kernel cannot run this call (a sentence), or None if it can."""
    import torch

    if _torch_nonlinearity(cell.activation) is None:
        return f"the activation is {activations.serialize(cell.activation)!r}, not 'tanh' or 'relu'"
    if unroll:
        return "unroll=True"
    if training and cell.recurrent_dropout:
        return "recurrent_dropout is used in training"  # the kernel has no place for a mask on h_{t-1}
    dtype = keras.backend.standardize_dtype(sequences.dtype)
    if dtype not in ("float32", "float64"):
        return f"the input is {dtype}, not float32 or float64"
    if torch.jit.is_tracing() or torch.compiler.is_compiling():
        return "the layer is being traced or compiled"
    if mask is not None and not bool(_right_padded_with_a_real_step(mask)):
        return (
            "the mask does not only pad the end of each sequence (or a sequence has no real step), "
            "e.g. [[True, True, False]] is fine but [[False, True, True]] is not"
        )
    return None


def _right_padded_with_a_real_step(mask):
    """A scalar boolean: every row of the (batch, timesteps) mask is True..True False..False, with a True."""
    mask = ops.cast(mask, "bool")
    lengths = ops.sum(ops.cast(mask, "int32"), axis=1)
    steps = ops.arange(mask.shape[1], dtype="int32")
    right_padded = ops.all(ops.equal(mask, steps[None, :] < lengths[:, None]))
    return ops.logical_and(right_padded, ops.all(lengths > 0))


def _torch(cell, sequences, initial_state, mask, go_backwards: bool, unroll: bool, training: bool):
    refusal = _torch_refusal(cell, sequences, mask, unroll, training)
    if refusal is not None:
        raise NotImplementedError(refusal)
    sequences = ops.convert_to_tensor(sequences)  # stateless_call passes NumPy arrays on
    mask = None if mask is None else ops.convert_to_tensor(mask)
    if training and cell.dropout:  # the same input mask at every step, as in the loop
        sequences = sequences * ops.expand_dims(cell.get_dropout_mask(sequences[:, 0, :]), 1)
    state = initial_state[0] if isinstance(initial_state, (list, tuple)) else initial_state
    dtype = sequences.dtype
    return _torch_rnn(
        sequences,
        ops.cast(state, dtype),
        mask,
        ops.cast(cell.kernel, dtype),
        ops.cast(cell.recurrent_kernel, dtype),
        None if cell.bias is None else ops.cast(cell.bias, dtype),
        _torch_nonlinearity(cell.activation),
        go_backwards,
    )


_KERNELS["torch"] = _torch


def _torch_rnn(sequences, h0, mask, kernel, recurrent_kernel, bias, nonlinearity: str, go_backwards: bool):
    """The vanilla RNN over a whole batch in one PyTorch call, with Keras's conventions.

    Returns `(last_output, outputs, [final_state])` as `keras.layers.RNN.inner_loop` does: `outputs` is
    `(batch, timesteps, units)` in the order the steps are processed, and a masked step carries the previous
    output and state over (so for a sequence read backwards its padded steps come first, with output 0).
    Keras's weights are used as they are: `kernel` (features, units) is PyTorch's `weight_ih` transposed,
    `recurrent_kernel` is `weight_hh` transposed, `bias` is `bias_ih` (and `bias_hh` is zero).
    """
    import torch
    from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

    # The kernel `torch.nn.RNN.forward` itself calls (through `torch._VF`, torch/nn/modules/rnn.py), by its
    # public name: `torch.rnn_tanh` is in `torch.__all__` and is the very object `torch._VF.rnn_tanh` (the
    # same for relu), though PyTorch's docs do not describe it. The documented route, a `torch.nn.RNN` run
    # with Keras's variables as its parameters (`torch.func.functional_call`), runs the same kernel after a
    # module's bookkeeping. Measured on 2026-12-06 (torch 2.13.0 CPU build, one thread, 2 shared Xeon cores;
    # batch 64, 100 steps, 16 features, 64 units, forward + backward, median of 15): 7.9 ms for
    # `torch._VF.rnn_tanh`, 8.0 ms for `torch.rnn_tanh`, 8.4 ms through `functional_call`. If a PyTorch
    # release renames the op, tests/test_layers.py::test_fused_kernel_* fail on the torch backend.
    op = torch.rnn_tanh if nonlinearity == "tanh" else torch.rnn_relu
    params = [kernel.T.contiguous(), recurrent_kernel.T.contiguous()]
    if bias is not None:
        params += [bias, torch.zeros_like(bias)]
    # (layers * directions = 1, batch, units). A copy: with stateful=True, h0 is the state variable itself,
    # which keras.layers.RNN overwrites in place after the call, before the backward pass reads it.
    hx = h0.unsqueeze(0).clone()
    train = torch.is_grad_enabled()  # cuDNN keeps what the backward pass needs only in training mode

    if mask is None:
        x = torch.flip(sequences, [1]) if go_backwards else sequences
        outputs, h_n = op(x, hx, params, bias is not None, 1, 0.0, train, False, True)
        h_n = h_n[0]
        return h_n, outputs, [h_n]

    batch, timesteps, features = sequences.shape
    lengths = mask.to(torch.int64).sum(dim=1)
    steps = torch.arange(timesteps, device=sequences.device)[None, :]
    real = steps < lengths[:, None]
    x = sequences
    if go_backwards:  # read each sequence's real steps from its last to its first; padding stays behind
        order = torch.where(real, lengths[:, None] - 1 - steps, steps)
        x = torch.gather(sequences, 1, order[:, :, None].expand(-1, -1, features))
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    data, h_n = op(
        packed.data, packed.batch_sizes, hx.index_select(1, packed.sorted_indices), params,
        bias is not None, 1, 0.0, train, False,
    )  # fmt: skip
    h_n = h_n.index_select(1, packed.unsorted_indices)[0]
    per_step, _ = pad_packed_sequence(
        PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices),
        batch_first=True,
        total_length=timesteps,
    )
    units = h_n.shape[-1]
    if not go_backwards:  # after its last real step a sequence's output stays at its last state
        outputs = torch.where(real[:, :, None], per_step, h_n[:, None, :])
    else:  # the padded steps come first (output 0), then the real ones
        shift = timesteps - lengths[:, None]
        source = (steps - shift).clamp(min=0)
        moved = torch.gather(per_step, 1, source[:, :, None].expand(-1, -1, units))
        outputs = torch.where((steps >= shift)[:, :, None], moved, torch.zeros_like(moved))
    return h_n, outputs, [h_n]
