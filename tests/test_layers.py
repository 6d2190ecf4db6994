"""Tests for rnncourse.layers: VanillaRNN / VanillaRNNCell against keras.layers.SimpleRNN / SimpleRNNCell.

The main check copies SimpleRNN's weights into VanillaRNN and compares outputs, final states and gradients
(w.r.t. the inputs, the initial state and every weight) over a seeded list of random configurations. A
NumPy loop written from the formula checks the maths independently of Keras. Then: dropout, weights and
parameter count, configs and `.keras` files, the cell inside RNN / Bidirectional / StackedRNNCells, and
every kind of bad input. On the PyTorch backend, the fused kernel against Keras's loop and SimpleRNN.

Backend-neutral: run with KERAS_BACKEND=tensorflow (the default), jax or torch. Gradients come from each
backend's own automatic differentiation (`value_and_gradients`, with the weights passed through
`stateless_call` so that JAX can differentiate with respect to them), values through
`keras.ops.convert_to_numpy`.
"""

from __future__ import annotations

import random
import re
import textwrap

import keras
import numpy as np
import pytest

from rnncourse import layers
from rnncourse.diagnostics import value_and_gradients
from rnncourse.layers import VanillaRNN, VanillaRNNCell

BACKEND = keras.backend.backend()
to_numpy = keras.ops.convert_to_numpy
tensor = keras.ops.convert_to_tensor

ATOL = 1e-5
RTOL = 1e-5

ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear", None, keras.activations.softsign]


def random_configs(n: int, seed: int = 20240611) -> list[dict]:
    """A seeded list of `n` random layer/input configurations (small shapes, every switch exercised)."""
    rng = random.Random(seed)
    configs = []
    for i in range(n):
        stateful = i % 5 == 4  # every fifth configuration runs stateful chunks
        configs.append(
            {
                "units": rng.choice([1, 3, 5]),
                "features": rng.choice([1, 2, 4]),
                "batch": rng.choice([1, 3, 4]),
                "timesteps": rng.choice([1, 4, 7]) if not stateful else 6,
                "activation": ACTIVATIONS[i % len(ACTIVATIONS)],
                "use_bias": rng.random() < 0.75,
                "return_sequences": rng.random() < 0.5,
                "return_state": rng.random() < 0.5,
                "go_backwards": rng.random() < 0.4,
                "unroll": rng.random() < 0.3,
                "mask": rng.choice([None, "post", "pre"]),
                "initial_state": (not stateful) and rng.random() < 0.5,
                "stateful": stateful,
                "seed": rng.randrange(10_000),
            }
        )
    return configs


CONFIGS = random_configs(20)


def _config_id(c: dict) -> str:
    act = c["activation"] if isinstance(c["activation"], str | None) else c["activation"].__name__
    flags = [k for k in ("return_sequences", "return_state", "go_backwards", "unroll", "stateful") if c[k]]
    return f"u{c['units']}f{c['features']}b{c['batch']}t{c['timesteps']}-{act}-mask{c['mask']}-" + "-".join(
        flags
    )


def _layer_kwargs(c: dict) -> dict:
    return {
        k: c[k]
        for k in (
            "activation",
            "use_bias",
            "return_sequences",
            "return_state",
            "go_backwards",
            "unroll",
            "stateful",
        )
    }


def _ragged_mask(rng: np.random.Generator, batch: int, timesteps: int, padding: str) -> np.ndarray:
    """Boolean (batch, timesteps) mask of sequences with random lengths 1..timesteps, padded post or pre."""
    lengths = rng.integers(1, timesteps + 1, size=batch)
    steps = np.arange(timesteps)[None, :]
    if padding == "post":
        return steps < lengths[:, None]
    return steps >= (timesteps - lengths)[:, None]


def _random_weights(layer: keras.layers.Layer, rng: np.random.Generator) -> list[np.ndarray]:
    """Weights of the right shapes with a non-zero bias and a recurrent kernel that matters."""
    return [rng.normal(scale=0.6, size=w.shape).astype("float32") for w in layer.get_weights()]


def _as_list(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _forward_and_grads(layer, x, h0, mask, probes, training=False):
    """Outputs of `layer` and gradients of sum(probe * output) w.r.t. x, the layer's weights and h0."""
    weights = [to_numpy(w) for w in layer.trainable_variables]
    others = [w.value for w in layer.non_trainable_variables]

    def loss(x, *rest):
        h = rest[len(weights)] if h0 is not None else None
        kwargs = {"initial_state": h, "mask": mask, "training": training}
        outputs, _ = layer.stateless_call(list(rest[: len(weights)]), others, x, **kwargs)
        return sum(
            keras.ops.sum(keras.ops.multiply(o, p)) for o, p in zip(_as_list(outputs), probes, strict=True)
        )

    _, grads = value_and_gradients(loss, [x, *weights] + ([h0] if h0 is not None else []))
    outputs = layer(x, initial_state=h0, mask=mask, training=training)
    return [to_numpy(o) for o in _as_list(outputs)], grads


def assert_close(actual, expected, what: str) -> None:
    np.testing.assert_allclose(actual, expected, atol=ATOL, rtol=RTOL, err_msg=what)


# ---------------------------------------------------------------------------------------------------------
# The maths, independently of Keras
# ---------------------------------------------------------------------------------------------------------


def test_matches_the_formula_written_in_numpy():
    rng = np.random.default_rng(0)
    batch, timesteps, features, units = 3, 5, 4, 6
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    layer = VanillaRNN(units, return_sequences=True)
    layer(x)
    w_x, w_h, b = _random_weights(layer, rng)
    layer.set_weights([w_x, w_h, b])

    h = np.zeros((batch, units), dtype="float64")
    expected = []
    for t in range(timesteps):
        h = np.tanh(x[:, t] @ w_x + h @ w_h + b)
        expected.append(h)
    np.testing.assert_allclose(to_numpy(layer(x)), np.stack(expected, axis=1), atol=1e-5)


# ---------------------------------------------------------------------------------------------------------
# Parity with SimpleRNN over random configurations
# ---------------------------------------------------------------------------------------------------------


def _keras_torch_unroll_bug(c: dict) -> bool:
    """Keras 3.15 on torch: unroll + go_backwards + a mask crash SimpleRNN too (it reads a tuple.shape)."""
    return BACKEND == "torch" and c["unroll"] and c["go_backwards"] and c["mask"] is not None


@pytest.mark.parametrize("c", CONFIGS, ids=[_config_id(c) for c in CONFIGS])
def test_parity_with_simple_rnn(c, request):
    if _keras_torch_unroll_bug(c):
        request.applymarker(
            pytest.mark.xfail(raises=AttributeError, strict=True, reason="Keras bug on torch")
        )
    rng = np.random.default_rng(c["seed"])
    batch, timesteps, features, units = c["batch"], c["timesteps"], c["features"], c["units"]
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    mask = None if c["mask"] is None else tensor(_ragged_mask(rng, batch, timesteps, c["mask"]))
    h0 = rng.normal(size=(batch, units)).astype("float32") if c["initial_state"] else None

    simple = keras.layers.SimpleRNN(units, **_layer_kwargs(c))
    vanilla = VanillaRNN(units, **_layer_kwargs(c))
    x_in = keras.Input(batch_shape=(batch, timesteps, features))  # stateful layers need a fixed batch
    simple.build(x_in.shape)
    vanilla.build(x_in.shape)
    weights = _random_weights(simple, rng)
    simple.set_weights(weights)
    vanilla.set_weights(simple.get_weights())

    if not c["stateful"]:
        out_shape = (batch, timesteps, units) if c["return_sequences"] else (batch, units)
        probes = [rng.normal(size=out_shape).astype("float32")]
        if c["return_state"]:
            probes.append(rng.normal(size=(batch, units)).astype("float32"))
        outs_s, grads_s = _forward_and_grads(simple, x, h0, mask, probes)
        outs_v, grads_v = _forward_and_grads(vanilla, x, h0, mask, probes)
        assert len(outs_v) == len(outs_s) == len(probes)
        for i, (a, b) in enumerate(zip(outs_v, outs_s, strict=True)):
            assert a.shape == b.shape
            assert_close(a, b, f"output {i}")
        names = ["x"] + [w.name for w in simple.trainable_weights] + (["h0"] if h0 is not None else [])
        assert len(grads_v) == len(grads_s) == len(names)
        for name, a, b in zip(names, grads_v, grads_s, strict=True):
            assert_close(a, b, f"gradient w.r.t. {name}")
        return

    # Stateful: feed the sequence in chunks, the state carries over, reset_states starts again from zero.
    chunks = [x[:, :2], x[:, 2:5], x[:, 5:]]
    masks = [None] * 3 if mask is None else [mask[:, :2], mask[:, 2:5], mask[:, 5:]]
    for layer in (simple, vanilla):
        layer.results = [_as_list(layer(ch, mask=m)) for ch, m in zip(chunks, masks, strict=True)]
        layer.reset_states()
        layer.results.append(_as_list(layer(chunks[0], mask=masks[0])))
    for i, (got, want) in enumerate(zip(vanilla.results, simple.results, strict=True)):
        for a, b in zip(got, want, strict=True):
            assert_close(to_numpy(a), to_numpy(b), f"stateful call {i}")
    assert_close(to_numpy(vanilla.results[3][0]), to_numpy(vanilla.results[0][0]), "after reset_states")


def test_stateful_chunks_equal_one_long_sequence():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 9, 3)).astype("float32")
    whole = VanillaRNN(4, return_sequences=True)
    chunked = VanillaRNN(4, return_sequences=True, stateful=True)
    whole(x)
    chunked.build((2, 9, 3))
    chunked.set_weights(whole.get_weights())
    pieces = [to_numpy(chunked(x[:, i : i + 3])) for i in range(0, 9, 3)]
    assert_close(np.concatenate(pieces, axis=1), to_numpy(whole(x)), "chunks vs whole")


def test_mask_from_masking_and_embedding_layers():
    rng = np.random.default_rng(2)
    tokens = np.array([[3, 7, 2, 0, 0], [5, 0, 0, 0, 0], [1, 2, 3, 4, 6]])
    values = rng.normal(size=(3, 5, 2)).astype("float32")
    values[tokens == 0] = 0.0
    for make_front, data in [
        (lambda: keras.layers.Embedding(10, 4, mask_zero=True), tokens),
        (lambda: keras.layers.Masking(0.0), values),
    ]:
        models = []
        for rnn in (keras.layers.SimpleRNN(3), VanillaRNN(3)):
            models.append(keras.Sequential([keras.Input(data.shape[1:]), make_front(), rnn]))
        models[1].set_weights(models[0].get_weights())
        got, want = to_numpy(models[1](data)), to_numpy(models[0](data))
        assert_close(got, want, "masked model")
        # The padding really is skipped: the second sequence gives the same output as its one real step.
        assert_close(got[1:2], to_numpy(models[1](data[1:2, :1])), "padding ignored")


# ---------------------------------------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------------------------------------


def test_dropout_only_in_training_and_identical_to_simple_rnn_with_the_same_seed():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 6, 5)).astype("float32")
    kwargs = {"dropout": 0.3, "recurrent_dropout": 0.4, "seed": 11, "return_sequences": True}
    simple, vanilla = keras.layers.SimpleRNN(7, **kwargs), VanillaRNN(7, **kwargs)
    plain = VanillaRNN(7, return_sequences=True)
    for layer in (simple, vanilla, plain):
        layer(x)
    vanilla.set_weights(simple.get_weights())
    plain.set_weights(simple.get_weights())

    # Every call draws masks from the layer's seed generator (used or not), so both layers are called
    # the same number of times to keep their generators in step.
    no_dropout = to_numpy(plain(x))
    for training in (None, False):
        call_kwargs = {} if training is None else {"training": training}
        simple(x, **call_kwargs)
        assert_close(to_numpy(vanilla(x, **call_kwargs)), no_dropout, f"dropout off with {call_kwargs}")
    trained = []
    for _ in range(2):
        a, b = to_numpy(simple(x, training=True)), to_numpy(vanilla(x, training=True))
        assert_close(b, a, "same seed, same masks as SimpleRNN")
        assert np.abs(b - no_dropout).max() > 0.1, "dropout changed nothing in training"
        trained.append(b)
    assert np.abs(trained[0] - trained[1]).max() > 0.1, "a new mask should be drawn for each batch"


def test_dropout_in_a_compiled_training_step_matches_simple_rnn():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(8, 6, 5)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    models = [
        keras.Sequential(
            [keras.Input((6, 5)), rnn(7, dropout=0.3, recurrent_dropout=0.2, seed=5), keras.layers.Dense(1)]
        )
        for rnn in (keras.layers.SimpleRNN, VanillaRNN)
    ]
    models[1].set_weights(models[0].get_weights())
    for m in models:
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    for _ in range(2):
        losses = [float(m.train_on_batch(x, y)) for m in models]
        assert losses[1] == pytest.approx(losses[0], rel=1e-5)
    for a, b in zip(models[1].get_weights(), models[0].get_weights(), strict=True):
        assert_close(a, b, "weights after two training steps")


# ---------------------------------------------------------------------------------------------------------
# Weights, parameter count, regularisers
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("features", "units", "use_bias"), [(4, 6, True), (1, 3, False), (7, 1, True)])
def test_weights_names_shapes_order_and_param_count(features, units, use_bias):
    simple, vanilla = keras.layers.SimpleRNN(units, use_bias=use_bias), VanillaRNN(units, use_bias=use_bias)
    for layer in (simple, vanilla):
        layer.build((None, 5, features))
    assert [w.name for w in vanilla.weights] == [w.name for w in simple.weights]
    assert [tuple(w.shape) for w in vanilla.weights] == [tuple(w.shape) for w in simple.weights]
    expected_shapes = [(features, units), (units, units)] + ([(units,)] if use_bias else [])
    assert [tuple(w.shape) for w in vanilla.weights] == expected_shapes
    assert vanilla.cell.kernel is vanilla.weights[0] and vanilla.cell.recurrent_kernel is vanilla.weights[1]
    assert vanilla.count_params() == units * (features + units + int(use_bias))


def test_regularizers_and_constraints_are_applied():
    x = np.ones((2, 3, 4), dtype="float32")
    kwargs = {"kernel_regularizer": "l2", "recurrent_regularizer": "l1", "bias_regularizer": "l2"}
    simple, vanilla = keras.layers.SimpleRNN(3, **kwargs), VanillaRNN(3, **kwargs)
    simple(x), vanilla(x)
    vanilla.set_weights(simple.get_weights())
    assert len(vanilla.losses) == 3
    assert_close(
        float(to_numpy(sum(vanilla.losses))), float(to_numpy(sum(simple.losses))), "weight penalties"
    )
    # SimpleRNN ignores activity_regularizer; VanillaRNN applies it to the output, as documented.
    act = VanillaRNN(3, activity_regularizer=keras.regularizers.L2(0.5))
    out = to_numpy(act(x))
    assert len(act.losses) == 1
    assert_close(
        float(to_numpy(act.losses[0])), 0.5 * float(np.sum(out**2)) / out.shape[0], "activity penalty"
    )
    constrained = VanillaRNN(3, kernel_constraint=keras.constraints.NonNeg())
    assert isinstance(constrained.cell.kernel_constraint, keras.constraints.NonNeg)
    constrained(x)
    assert constrained.cell.kernel.constraint is constrained.cell.kernel_constraint


# ---------------------------------------------------------------------------------------------------------
# Config and saving
# ---------------------------------------------------------------------------------------------------------

FULL_KWARGS = {
    "activation": "relu",
    "use_bias": False,
    "kernel_initializer": keras.initializers.RandomNormal(stddev=0.3, seed=1),
    "recurrent_initializer": "identity",
    "bias_initializer": "ones",
    "kernel_regularizer": keras.regularizers.L1L2(l1=0.01, l2=0.02),
    "recurrent_regularizer": "l2",
    "bias_regularizer": "l1",
    "kernel_constraint": keras.constraints.MaxNorm(2.0),
    "recurrent_constraint": "non_neg",
    "bias_constraint": keras.constraints.UnitNorm(),
    "dropout": 0.25,
    "recurrent_dropout": 0.125,
    "seed": 42,
}


def test_layer_config_round_trip():
    layer = VanillaRNN(
        5, **FULL_KWARGS, activity_regularizer="l2", return_sequences=True, return_state=True,
        go_backwards=True, unroll=True, name="my_rnn",
    )  # fmt: skip
    config = layer.get_config()
    assert config["seed"] == 42 and config["units"] == 5 and config["go_backwards"] is True
    clone = VanillaRNN.from_config(config)
    assert clone.get_config() == config
    assert clone.name == "my_rnn" and clone.activity_regularizer is not None
    # The keys are SimpleRNN's (plus `seed`, which SimpleRNN forgets).
    simple_keys = set(keras.layers.SimpleRNN(5).get_config())
    assert simple_keys <= set(config) and set(config) - simple_keys == {"seed", "use_fused"}
    assert (
        config["use_fused"] == "auto"
        and VanillaRNN.from_config({**config, "use_fused": False}).use_fused is False
    )

    x = np.random.default_rng(5).normal(size=(2, 4, 3)).astype("float32")
    layer(x), clone(x)
    clone.set_weights(layer.get_weights())
    for a, b in zip(clone(x), layer(x), strict=True):
        assert_close(to_numpy(a), to_numpy(b), "clone output")


def test_cell_config_round_trip():
    cell = VanillaRNNCell(4, **FULL_KWARGS, name="c")
    config = cell.get_config()
    assert config == VanillaRNNCell.from_config(config).get_config()
    assert set(config) == set(keras.layers.SimpleRNNCell(4).get_config())


def test_saved_model_loads_back_with_identical_predictions(tmp_path):
    rng = np.random.default_rng(6)
    tokens = rng.integers(0, 12, size=(4, 7))
    tokens[:, 5:] = 0
    inputs = keras.Input((7,))
    h = keras.layers.Embedding(12, 3, mask_zero=True)(inputs)
    h = VanillaRNN(4, return_sequences=True, dropout=0.1, seed=3)(h)
    h = keras.layers.Bidirectional(VanillaRNN(3, return_sequences=True, activation="relu"))(h)
    h = keras.layers.RNN(keras.layers.StackedRNNCells([VanillaRNNCell(3), VanillaRNNCell(2)]))(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    before = model.predict(tokens, verbose=0)

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects
    np.testing.assert_array_equal(loaded.predict(tokens, verbose=0), before)
    types = {type(layer).__name__ for layer in loaded.layers}
    assert {"VanillaRNN", "Bidirectional", "RNN"} <= types
    assert isinstance(loaded.layers[2], VanillaRNN) and loaded.layers[2].dropout == 0.1


# ---------------------------------------------------------------------------------------------------------
# The cell inside Keras's wrappers
# ---------------------------------------------------------------------------------------------------------


def _pair(build_simple, build_vanilla, x, **call_kwargs):
    simple, vanilla = build_simple(), build_vanilla()
    simple(x), vanilla(x)
    vanilla.set_weights(_random_weights(simple, np.random.default_rng(7)))
    simple.set_weights(vanilla.get_weights())
    return [to_numpy(o) for o in _as_list(vanilla(x, **call_kwargs))], [
        to_numpy(o) for o in _as_list(simple(x, **call_kwargs))
    ]


def test_cell_in_rnn_bidirectional_and_stacked_cells():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = tensor(_ragged_mask(rng, 3, 6, "post"))
    cases = {
        "RNN": (
            lambda: keras.layers.RNN(keras.layers.SimpleRNNCell(5), return_sequences=True, return_state=True),
            lambda: keras.layers.RNN(VanillaRNNCell(5), return_sequences=True, return_state=True),
        ),
        "Bidirectional(RNN(cell))": (
            lambda: keras.layers.Bidirectional(
                keras.layers.RNN(keras.layers.SimpleRNNCell(3), return_sequences=True)
            ),
            lambda: keras.layers.Bidirectional(keras.layers.RNN(VanillaRNNCell(3), return_sequences=True)),
        ),
        "Bidirectional(layer)": (
            lambda: keras.layers.Bidirectional(keras.layers.SimpleRNN(3), merge_mode="sum"),
            lambda: keras.layers.Bidirectional(VanillaRNN(3), merge_mode="sum"),
        ),
        "StackedRNNCells": (
            lambda: keras.layers.RNN(
                keras.layers.StackedRNNCells(
                    [keras.layers.SimpleRNNCell(4), keras.layers.SimpleRNNCell(2, activation="relu")]
                ),
                return_state=True,
            ),
            lambda: keras.layers.RNN(
                keras.layers.StackedRNNCells([VanillaRNNCell(4), VanillaRNNCell(2, activation="relu")]),
                return_state=True,
            ),
        ),
    }
    for name, (make_simple, make_vanilla) in cases.items():
        got, want = _pair(make_simple, make_vanilla, x, mask=mask)
        assert len(got) == len(want), name
        for a, b in zip(got, want, strict=True):
            assert a.shape == b.shape, name
            assert_close(a, b, name)


def test_cell_called_by_hand_is_one_step():
    rng = np.random.default_rng(9)
    cell = VanillaRNNCell(3, activation="sigmoid")
    x_t = rng.normal(size=(2, 4)).astype("float32")
    h0 = cell.get_initial_state(batch_size=2)[0]
    assert tuple(h0.shape) == (2, 3) and not np.any(to_numpy(h0))
    h1, states = cell(x_t, [h0])
    w_x, w_h, b = cell.get_weights()
    assert isinstance(states, list) and len(states) == 1
    assert_close(to_numpy(h1), 1 / (1 + np.exp(-(x_t @ w_x + b))), "one step")
    h2, state = cell(x_t, h1)  # a bare tensor state comes back as a bare tensor
    assert not isinstance(state, list)
    assert_close(to_numpy(h2), 1 / (1 + np.exp(-(x_t @ w_x + to_numpy(h1) @ w_h + b))), "two steps")


# ---------------------------------------------------------------------------------------------------------
# Bad input: each error names what was expected and what was given
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: VanillaRNN(0), ValueError, r"VanillaRNN: `units` expects a positive integer, got 0"),
        (lambda: VanillaRNN(-3), ValueError, r"`units` expects a positive integer, got -3"),
        (lambda: VanillaRNN(True), TypeError, r"`units` expects a positive integer, got True \(bool\)"),
        (lambda: VanillaRNN(2.0), TypeError, r"`units` expects a positive integer, got 2.0 \(float\)"),
        (lambda: VanillaRNN("4"), TypeError, r"`units` expects a positive integer, got '4' \(str\)"),
        (lambda: VanillaRNNCell(None), TypeError, r"VanillaRNNCell: `units` expects .*, got None"),
        (lambda: VanillaRNN(3, activation="tanhh"), ValueError, r"name of a Keras activation .* got 'tanhh'"),
        (lambda: VanillaRNNCell(3, activation="foo"), ValueError, r"Cell: `activation` .* got 'foo'"),
        (lambda: VanillaRNN(3, dropout=1.0), ValueError, r"`dropout` expects a finite number .*, got 1.0"),
        (lambda: VanillaRNN(3, dropout=-0.1), ValueError, r"`dropout` expects a finite number .*, got -0.1"),
        (lambda: VanillaRNN(3, recurrent_dropout=1.5), ValueError, r"`recurrent_dropout` .* got 1.5"),
        (lambda: VanillaRNNCell(3, dropout="0.2"), TypeError, r"`dropout` expects .* got '0.2' \(str\)"),
        (lambda: VanillaRNN(3, return_sequences="yes"), TypeError, r"`return_sequences` .* got 'yes'"),
        (lambda: VanillaRNN(3, use_bias=1), TypeError, r"`use_bias` expects True or False, got 1 \(int\)"),
        (
            lambda: VanillaRNN(3, use_fused="yes"),
            ValueError,
            r"`use_fused` expects 'auto', True or False, got 'yes'",
        ),
        (lambda: VanillaRNN(3, use_fused=1), TypeError, r"`use_fused` expects True or False, got 1 \(int\)"),
    ],
)
def test_bad_arguments(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


X = np.zeros((4, 7, 3), dtype="float32")


def _built_layer(**kwargs):
    layer = VanillaRNN(5, **kwargs)
    layer(X)
    return layer


@pytest.mark.parametrize(
    ("run", "error", "pattern"),
    [
        (
            lambda: VanillaRNN(5)(np.zeros((32, 10), "float32")),
            ValueError,
            r"layer 'vanilla_rnn\w*' is incompatible .* expected ndim=3, found ndim=2\. Full shape received: "
            r"\(32, 10\)",
        ),
        (
            lambda: VanillaRNN(5)(np.zeros((2, 3, 4, 5), "float32")),
            ValueError,
            r"expected ndim=3, found ndim=4\. Full shape received: \(2, 3, 4, 5\)",
        ),
        (
            lambda: _built_layer()(np.zeros((32, 10), "float32")),
            ValueError,
            r"expected ndim=3, found ndim=2\. Full shape received: \(32, 10\)",
        ),
        (
            lambda: _built_layer()(np.zeros((4, 7, 2), "float32")),
            ValueError,
            r"expected axis -1 of input shape to have value 3, but received input with shape \(4, 7, 2\)",
        ),
        (
            lambda: VanillaRNN(5)(keras.Input((10,))),
            ValueError,
            r"expected ndim=3, found ndim=2\. Full shape received: \(None, 10\)",
        ),
        (
            lambda: _built_layer()(X, initial_state=np.zeros((4, 6), "float32")),
            ValueError,
            r"VanillaRNN: `initial_state` expects shape \(4, 5\) = \(batch, units\), got shape \(4, 6\)",
        ),
        (
            lambda: _built_layer()(X, initial_state=np.zeros((5,), "float32")),
            ValueError,
            r"`initial_state` expects shape \(4, 5\) = \(batch, units\), got shape \(5,\)",
        ),
        (
            lambda: _built_layer()(X, initial_state=np.zeros((3, 5), "float32")),
            ValueError,
            r"`initial_state` expects shape \(4, 5\) = \(batch, units\), got shape \(3, 5\)",
        ),
        (
            lambda: _built_layer()(keras.Input((7, 3)), initial_state=keras.Input((4,))),
            ValueError,
            r"`initial_state` expects shape \(None, 5\) = \(batch, units\), got shape \(None, 4\)",
        ),
        (
            lambda: _built_layer()(X, initial_state=[np.zeros((4, 5), "float32")] * 2),
            ValueError,
            r"`initial_state` expects one state of shape \(batch, 5\), got 2 states",
        ),
        (
            lambda: _built_layer()(X, mask=np.ones((4, 6), bool)),
            ValueError,
            r"`mask` expects shape \(4, 7\) = \(batch, timesteps\) .* got shape \(4, 6\)",
        ),
        (
            lambda: _built_layer()(X, mask=np.ones((4, 7, 1), bool)),
            ValueError,
            r"`mask` expects shape \(4, 7\) = \(batch, timesteps\) .* got shape \(4, 7, 1\)",
        ),
        (
            lambda: _built_layer()(keras.ops.zeros((4, 7, 3), "int32")),
            TypeError,
            r"`sequences` expects floating-point input, got dtype int32",
        ),
        (
            lambda: keras.layers.RNN(VanillaRNNCell(3))(np.zeros((2, 3, 4, 5), "float32")),
            ValueError,
            r"VanillaRNNCell expects one time step of shape \(batch, features\).* got shape \(2, 4, 5\)",
        ),
        (
            lambda: _built_cell()(np.zeros((2, 3), "float32"), [np.zeros((2, 3), "float32")]),
            ValueError,
            r"VanillaRNNCell was built for steps of shape \(batch, 4\), got shape \(2, 3\)",
        ),
        (
            lambda: _built_cell()(np.zeros((2, 4), "float32"), [np.zeros((2, 2), "float32")]),
            ValueError,
            r"VanillaRNNCell expects a state of shape \(batch, 3\), got shape \(2, 2\)",
        ),
    ],
)
def test_bad_input(run, error, pattern):
    with pytest.raises(error, match=pattern):
        run()


def _built_cell():
    cell = VanillaRNNCell(3)
    cell.build((None, 4))
    return cell


def test_error_messages_do_not_fire_on_good_input():
    # Same calls as above with the right shapes: no error, right shapes out.
    layer = _built_layer(return_state=True)
    out, h = layer(X, initial_state=np.zeros((4, 5), "float32"), mask=np.ones((4, 7), bool))
    assert tuple(out.shape) == (4, 5) and tuple(h.shape) == (4, 5)
    assert re.search("VanillaRNN", VanillaRNN.__doc__) and "Example" in VanillaRNN.__doc__


def test_unknown_number_of_timesteps_is_fine():
    model = keras.Sequential([keras.Input((None, 3)), VanillaRNN(4, return_sequences=True), VanillaRNN(2)])
    for timesteps in (1, 5, 9):
        assert tuple(model(np.zeros((2, timesteps, 3), "float32")).shape) == (2, 2)


@pytest.mark.parametrize("cls", [VanillaRNNCell, VanillaRNN])
def test_docstring_examples_run_and_document_every_argument(cls):
    doc = cls.__doc__
    for section in ("Args:", "Call arguments:", "Returns:", "Raises:", "Example:"):
        assert section in doc, f"{cls.__name__} docstring lacks {section}"
    documented = set(re.findall(r"^        (\w+):", doc, flags=re.MULTILINE))
    arguments = set(cls.__init__.__code__.co_varnames[1 : cls.__init__.__code__.co_argcount])
    assert arguments <= documented, f"undocumented arguments: {arguments - documented}"
    (example,) = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    namespace: dict = {}
    exec(compile(textwrap.dedent(example), f"<{cls.__name__} example>", "exec"), namespace)  # noqa: S102
    # What the example's comments promise.
    if cls is VanillaRNN:
        assert tuple(namespace["seq"].shape) == (32, 10, 4) and tuple(namespace["h_T"].shape) == (32, 4)
        x, simple, vanilla = namespace["x"], namespace["simple"], namespace["vanilla"]
        assert_close(to_numpy(vanilla(x)), to_numpy(simple(x)), "docstring example")
    else:
        assert tuple(namespace["h1"].shape) == (32, 4)


@pytest.mark.skipif(
    BACKEND == "jax", reason="JAX computes in float32 unless its 64-bit mode is on, and Keras 3.15's RNN "
    "loop fails in that mode (its state is float64, the step returns float32)",
)  # fmt: skip
def test_float64_layer_matches_numpy_to_double_precision():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 6, 3))
    # On torch the fused kernel computes in float64; Keras's loop does not (keras.ops.matmul on two torch
    # float64 tensors rounds to float32 in Keras 3.15), so there only the fused kernel is checked here.
    layer = VanillaRNN(4, dtype="float64")
    layer(x)
    w_x, w_h, b = layer.get_weights()
    assert w_x.dtype == np.float64
    h = np.zeros((2, 4))
    for t in range(6):
        h = np.tanh(x[:, t] @ w_x + h @ w_h + b)
    np.testing.assert_allclose(to_numpy(layer(x)), h, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------
# Dropout masks: Keras's mixin, taken from SimpleRNNCell's bases without a private import
# ---------------------------------------------------------------------------------------------------------


def test_keras_dropout_mixin_is_a_base_of_simple_rnn_cell():
    """Fails loudly if a Keras 3 release moves the dropout-mask mixin away from SimpleRNNCell's bases (the
    import of rnncourse.layers then fails with KeyError: 'DropoutRNNCell')."""
    mixin = layers._DropoutRNNCell
    assert mixin.__name__ == "DropoutRNNCell", f"Keras {keras.__version__}: {mixin!r}"
    assert mixin in keras.layers.SimpleRNNCell.__bases__ and not issubclass(mixin, keras.layers.Layer)
    assert isinstance(VanillaRNNCell(2), mixin) and isinstance(keras.layers.LSTMCell(2), mixin)
    # keras.layers.RNN prepares one mask per sequence for a bare cell, exactly as for SimpleRNNCell.
    x = np.random.default_rng(11).normal(size=(4, 5, 3)).astype("float32")
    kwargs = {"dropout": 0.4, "recurrent_dropout": 0.3, "seed": 2}
    rnns = [
        keras.layers.RNN(cell(3, **kwargs), return_sequences=True)
        for cell in (keras.layers.SimpleRNNCell, VanillaRNNCell)
    ]
    for rnn in rnns:
        rnn(x)
    rnns[1].set_weights(rnns[0].get_weights())
    for _ in range(2):
        want, got = (to_numpy(rnn(x, training=True)) for rnn in rnns)
        assert_close(got, want, "bare cell with dropout in keras.layers.RNN")
    assert rnns[1].cell._dropout_mask is None  # cleared after the call, drawn afresh for the next one


# ---------------------------------------------------------------------------------------------------------
# The fused kernel (PyTorch backend): same results as Keras's loop and as SimpleRNN
# ---------------------------------------------------------------------------------------------------------

torch_only = pytest.mark.skipif(BACKEND != "torch", reason="the fused kernel runs on the torch backend")

FUSED_CASES = [
    {"activation": "tanh"},
    {"activation": "relu", "use_bias": False},
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True, "return_sequences": True},
    {"mask": "post", "return_sequences": True, "return_state": True},
    {"mask": "post", "go_backwards": True, "return_sequences": True, "return_state": True},
    {"mask": "post", "activation": "relu", "initial_state": True},
    {"initial_state": True, "go_backwards": True, "return_state": True},
    {"dropout": 0.3, "seed": 4, "training": True, "return_sequences": True},
]


@torch_only
@pytest.mark.parametrize("case", FUSED_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_fused_kernel_matches_the_loop_and_simple_rnn(case):
    case = dict(case)
    mask_kind, with_h0, training = (
        case.pop("mask", None),
        case.pop("initial_state", False),
        case.pop("training", False),
    )
    rng = np.random.default_rng(13)
    batch, timesteps, features, units = 4, 7, 3, 5
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    mask = None if mask_kind is None else tensor(_ragged_mask(rng, batch, timesteps, mask_kind))
    h0 = rng.normal(size=(batch, units)).astype("float32") if with_h0 else None
    built = {
        "simple": keras.layers.SimpleRNN(units, **case),
        "loop": VanillaRNN(units, use_fused=False, **case),
        "fused": VanillaRNN(units, use_fused=True, **case),  # raises if the fused kernel cannot run
    }
    for layer in built.values():
        layer.build((batch, timesteps, features))
    weights = _random_weights(built["simple"], rng)
    out_shape = (batch, timesteps, units) if case.get("return_sequences") else (batch, units)
    probes = [rng.normal(size=out_shape).astype("float32")]
    if case.get("return_state"):
        probes.append(rng.normal(size=(batch, units)).astype("float32"))
    results = {}
    for name, layer in built.items():
        layer.set_weights(weights)
        results[name] = _forward_and_grads(layer, x, h0, mask, probes, training=training)
    for other in ("loop", "simple"):
        for a, b in zip(
            results["fused"][0] + results["fused"][1], results[other][0] + results[other][1], strict=True
        ):
            assert a.shape == b.shape
            assert_close(a, b, f"fused vs {other}")


@torch_only
def test_fused_kernel_stateful_chunks_match_the_loop():
    rng = np.random.default_rng(14)
    x = rng.normal(size=(2, 9, 3)).astype("float32")
    fused = VanillaRNN(4, return_sequences=True, stateful=True, use_fused=True)
    loop = VanillaRNN(4, return_sequences=True, stateful=True, use_fused=False)
    fused.build((2, 9, 3))
    loop.build((2, 9, 3))
    loop.set_weights(fused.get_weights())
    for layer in (fused, loop):
        layer.pieces = [to_numpy(layer(x[:, i : i + 3])) for i in range(0, 9, 3)]
    assert_close(np.concatenate(fused.pieces, 1), np.concatenate(loop.pieces, 1), "stateful fused vs loop")


@torch_only
@pytest.mark.parametrize(
    ("kwargs", "call", "reason"),
    [
        ({"activation": "sigmoid"}, {}, "activation is 'sigmoid', not 'tanh' or 'relu'"),
        ({"unroll": True}, {}, "unroll=True"),
        ({"recurrent_dropout": 0.2}, {"training": True}, "recurrent_dropout is used in training"),
        ({}, {"mask": "pre"}, "the mask does not only pad the end of each sequence"),
        ({}, {"mask": "empty"}, "a sequence has no real step"),
    ],
)
def test_fused_kernel_refuses_what_it_cannot_do_and_auto_falls_back(kwargs, call, reason):
    rng = np.random.default_rng(15)
    x = rng.normal(size=(3, 6, 2)).astype("float32")
    if "mask" in call:
        mask = _ragged_mask(rng, 3, 6, "pre" if call["mask"] == "pre" else "post")
        mask[:, :] = True
        if call["mask"] == "pre":
            mask[0, 0] = False
        else:
            mask[1, :] = False
        call = {"mask": tensor(mask)}
    strict = VanillaRNN(4, use_fused=True, **kwargs)
    with pytest.raises(ValueError, match=re.escape(reason)):
        strict(x, **call)
    auto, simple = VanillaRNN(4, **kwargs), keras.layers.SimpleRNN(4, **kwargs)
    auto(x), simple(x)
    auto.set_weights(simple.get_weights())
    if call.get("training"):
        return  # dropout masks: compared elsewhere
    assert_close(to_numpy(auto(x, **call)), to_numpy(simple(x, **call)), "auto falls back to the loop")


def test_use_fused_true_refusal_leaves_no_dropout_mask_behind():
    # The masks keras.layers.RNN drew for the refused call must not be reused by the next one (batch of 2).
    layer = VanillaRNN(3, dropout=0.5, unroll=True, use_fused=True, seed=1)
    with pytest.raises(ValueError, match="use_fused=True, but the fused kernel cannot run"):
        layer(np.ones((4, 5, 2), "float32"), training=True)
    assert layer.cell._dropout_mask is None
    layer.use_fused = "auto"
    assert tuple(layer(np.ones((2, 5, 2), "float32"), training=True).shape) == (2, 3)


@pytest.mark.skipif(BACKEND == "torch", reason="the torch backend has the fused kernel")
def test_use_fused_true_raises_where_there_is_no_fused_kernel():
    with pytest.raises(ValueError, match=f"no fused kernel on the {BACKEND} backend"):
        VanillaRNN(3, use_fused=True)(np.zeros((2, 4, 1), "float32"))
