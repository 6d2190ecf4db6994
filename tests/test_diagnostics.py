"""rnncourse.diagnostics against rnncourse.reference, Keras's own layers, and cases with a known answer.

Backend-neutral: run with KERAS_BACKEND=tensorflow (the default), jax or torch. Gradients for the checks come
from each backend's own automatic differentiation (`diag.value_and_gradients`), values through
`keras.ops.convert_to_numpy`.
"""

import keras
import numpy as np
import pytest

from rnncourse import diagnostics as diag
from rnncourse import reference as ref
from rnncourse.layers import VanillaRNN, VanillaRNNCell

to_numpy = keras.ops.convert_to_numpy
# The float64 checks hold to 1e-10 on TensorFlow. JAX computes in float32 unless its 64-bit mode is on (and
# Keras 3.15's SimpleRNN fails in that mode: its loop carries a float64 state but the step returns float32),
# and Keras 3.15's torch backend multiplies float64 matrices in float32 precision (keras.ops.matmul takes
# the result type of two torch float64 dtypes to be float32): there they get a float32 tolerance, 1e-5
# (eps 1.2e-7 compounded over a dozen steps of backpropagation: up to 1.4e-6 seen on torch, which failed 1e-6
# now and then; a wrong gradient is off by far more).
RTOL_64 = 1e-10 if keras.backend.backend() == "tensorflow" else 1e-5


def sequences(batch=4, timesteps=10, features=3, seed=0, dtype="float64"):
    return np.random.default_rng(seed).normal(size=(batch, timesteps, features)).astype(dtype)


def built(layer, x):
    layer.build(x.shape)
    return layer


def reference_norms(layer, x, dhs_last):
    W_x, W_h, b = layer.get_weights()
    hs = ref.rnn_forward(x, W_x, W_h, b, activation=layer.cell.activation.__name__)
    dhs = np.zeros_like(hs)
    dhs[:, -1] = dhs_last(hs[:, -1])
    return ref.rnn_backward(x, hs, dhs, W_x, W_h, b, activation=layer.cell.activation.__name__).grad_norms


# ------------------------------------------------------------------------------ gradient_norms_through_time
@pytest.mark.parametrize("layer_class", [keras.layers.SimpleRNN, VanillaRNN])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradient_norms_equal_the_reference(layer_class, activation):
    x = sequences()
    layer = built(layer_class(5, activation=activation, dtype="float64"), x)
    norms = diag.gradient_norms_through_time(layer, x)  # L = sum(h_T)
    np.testing.assert_allclose(norms, reference_norms(layer, x, np.ones_like), rtol=RTOL_64)
    assert norms.shape == (10,)
    # The same numbers from the cell alone, and from a model holding the layer.
    np.testing.assert_allclose(diag.gradient_norms_through_time(layer.cell, x), norms, rtol=RTOL_64)
    model = keras.Sequential([keras.Input((10, 3), dtype="float64"), layer])
    np.testing.assert_allclose(diag.gradient_norms_through_time(model, x), norms, rtol=RTOL_64)


def test_go_backwards_norms_are_in_processing_order():
    x = sequences(timesteps=12)
    layer = built(VanillaRNN(5, go_backwards=True, dtype="float64"), x)
    expected = reference_norms(layer, x[:, ::-1], np.ones_like)  # the layer reads x from the end
    np.testing.assert_allclose(diag.gradient_norms_through_time(layer, x), expected, rtol=RTOL_64)


def test_gradient_norms_with_targets_use_the_loss():
    x, y = sequences(), np.random.default_rng(1).normal(size=(4, 5))
    layer = built(keras.layers.SimpleRNN(5, dtype="float64"), x)
    # mean squared error averaged over batch and units: dL/dh_T = 2 (h_T - y) / (batch * units)
    expected = reference_norms(layer, x, lambda h_T: 2 * (h_T - y) / y.size)
    np.testing.assert_allclose(
        diag.gradient_norms_through_time(layer, x, y, loss="mse"), expected, rtol=RTOL_64
    )
    model = keras.Sequential([keras.Input((10, 3), dtype="float64"), layer])
    model.compile(loss="mse")
    np.testing.assert_allclose(diag.gradient_norms_through_time(model, x, y), expected, rtol=RTOL_64)
    fn = keras.losses.MeanSquaredError()  # a Loss object computes in float32, hence the looser tolerance
    np.testing.assert_allclose(diag.gradient_norms_through_time(layer, x, y, loss=fn), expected, rtol=1e-6)


@pytest.mark.parametrize("layer_class", [keras.layers.LSTM, keras.layers.GRU])
def test_gated_layers_norms_match_restarting_keras_from_h_t(layer_class):
    """dL/dh_t by Keras's own loop: run the layer from step t+1 on, starting from the states at step t, and
    differentiate sum(h_T) with respect to the initial h (for an LSTM the carry c is held fixed)."""
    x = sequences(batch=3, timesteps=8, seed=2, dtype="float32")
    layer = built(layer_class(4, return_state=True), x)
    norms = diag.gradient_norms_through_time(layer, x)
    for t in [0, 3, 6]:
        states = [to_numpy(s) for s in layer(x[:, : t + 1])[1:]]  # [h_t] or [h_t, c_t]

        def loss(h_t, t=t, states=states):
            h_T = layer(x[:, t + 1 :], initial_state=[h_t, *states[1:]])[0]
            return keras.ops.sum(h_T)

        _, (grad,) = diag.value_and_gradients(loss, [states[0]])
        assert norms[t] == pytest.approx(float(np.linalg.norm(grad)), rel=1e-4)
    assert norms[-1] == pytest.approx(np.sqrt(3 * 4))  # dL/dh_T is all ones


def recurrent_layer(alpha, activation, seed, units=6):
    """A SimpleRNN whose recurrent matrix is alpha times an orthogonal matrix (spectral radius alpha)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(units, units)))
    layer = keras.layers.SimpleRNN(units, activation=activation, dtype="float64")
    layer.build((None, None, 2))
    layer.set_weights([rng.normal(size=(2, units)), alpha * q, np.zeros(units)])
    return layer


def test_norms_vanish_for_small_and_explode_for_large_spectral_radius():
    timesteps = 25
    for seed in range(3):
        x = sequences(batch=4, timesteps=timesteps, features=2, seed=seed)
        small = diag.gradient_norms_through_time(recurrent_layer(0.5, "tanh", seed), x)
        assert small[0] < 1e-6 * small[-1]
        assert np.all(np.diff(small) > 0)
        large = diag.gradient_norms_through_time(recurrent_layer(1.3, "linear", seed), x)
        assert large[0] > 1e2 * large[-1]
        np.testing.assert_allclose(large, large[-1] * 1.3 ** np.arange(timesteps - 1, -1, -1), rtol=RTOL_64)


def text_model(rnn, vocab=12, timesteps=6, name="rnn"):
    inputs = keras.Input((timesteps,), dtype="int32")
    embedded = keras.layers.Embedding(vocab, 4, mask_zero=True, name="embedding")(inputs)
    states = rnn(embedded)
    outputs = keras.layers.Dense(1, name="head")(states)
    return keras.Model(inputs, outputs)


def test_gradient_norms_through_padding():
    keras.utils.set_random_seed(0)
    model = text_model(keras.layers.GRU(5, name="rnn"))
    padded = diag.gradient_norms_through_time(model, np.array([[3, 1, 4, 0, 0, 0]]))
    # Padded steps carry h_3 through unchanged, so L = sum(h_T) = sum(h_3): dL/dh_t = ones for t >= 3.
    np.testing.assert_allclose(padded[2:], np.sqrt(5), rtol=1e-6)
    # The same layers on the unpadded sequence of length 3.
    short = keras.Sequential([keras.Input((3,), dtype="int32"), *model.layers[1:]])
    unpadded = diag.gradient_norms_through_time(short, np.array([[3, 1, 4]]))
    np.testing.assert_allclose(padded[:3], unpadded, rtol=1e-5)
    # The same through the model's head and loss: padding changes nothing, and dL/dh_t is the same at the
    # last real step and at every padded step after it.
    y = np.array([[2.0]])
    padded = diag.gradient_norms_through_time(model, np.array([[3, 1, 4, 0, 0, 0]]), y, loss="mse")
    unpadded = diag.gradient_norms_through_time(short, np.array([[3, 1, 4]]), y, loss="mse")
    np.testing.assert_allclose(padded[:3], unpadded, rtol=1e-5)
    np.testing.assert_allclose(padded[2:], padded[2], rtol=1e-6)
    assert padded[2] > 0


# ------------------------------------------------------------------------------ hidden_state_trajectory
@pytest.mark.parametrize(
    "layer_class", [keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU, VanillaRNN]
)
def test_trajectory_equals_the_layer_returning_sequences(layer_class):
    x = sequences(batch=2, timesteps=7, dtype="float32")
    layer = built(layer_class(4), x)  # return_sequences=False: only the last state
    twin = built(layer_class(4, return_sequences=True), x)
    twin.set_weights(layer.get_weights())
    trajectory = diag.hidden_state_trajectory(layer, x)
    np.testing.assert_allclose(trajectory, to_numpy(twin(x)), atol=1e-6)
    np.testing.assert_allclose(trajectory[:, -1], to_numpy(layer(x)), atol=1e-6)
    np.testing.assert_allclose(diag.hidden_state_trajectory(layer, x[1]), trajectory[1], atol=1e-6)


def test_trajectory_inside_a_text_model_with_padding():
    keras.utils.set_random_seed(1)
    model = text_model(keras.layers.LSTM(3, name="rnn"))
    tokens = np.array([[5, 2, 7, 0, 0, 0], [9, 0, 0, 0, 0, 0]])
    trajectory = diag.hidden_state_trajectory(model, tokens, layer="rnn")
    # The same layers wired by hand, returning sequences.
    twin = keras.layers.LSTM(3, return_sequences=True)
    embedding = model.get_layer("embedding")
    embedded = embedding(tokens)
    twin.build(embedded.shape)
    twin.set_weights(model.get_layer("rnn").get_weights())
    expected = to_numpy(twin(embedded, mask=embedding.compute_mask(tokens)))
    np.testing.assert_allclose(trajectory, expected, atol=1e-6)
    np.testing.assert_allclose(trajectory[0, 3:], np.repeat(trajectory[0, 2:3], 3, axis=0))  # carried over
    # One sequence without its batch axis; layer given by index or object gives the same.
    np.testing.assert_allclose(
        diag.hidden_state_trajectory(model, tokens[0], layer=2), trajectory[0], atol=1e-7
    )
    by_object = diag.hidden_state_trajectory(model, tokens, layer=model.get_layer("rnn"))
    np.testing.assert_allclose(by_object, trajectory, atol=1e-7)


def test_trajectory_from_raw_text():
    vectorizer = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vectorizer.adapt(["a good film", "a bad film", "not good at all"])
    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input((1,), dtype="string"),
            vectorizer,
            keras.layers.Embedding(20, 4, mask_zero=True),
            keras.layers.SimpleRNN(3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    trajectory = diag.hidden_state_trajectory(model, np.array([["a good film"]]))
    assert trajectory.shape == (1, 5, 3)
    np.testing.assert_allclose(trajectory[0, 2], trajectory[0, 4])  # two padded tokens: state unchanged
    np.testing.assert_allclose(diag.hidden_state_trajectory(model, np.array(["a good film"])), trajectory[0])
    saliency = diag.input_saliency(model, np.array(["a good film"]))
    assert saliency.shape == (5,)
    assert np.all(saliency[:3] > 0) and np.all(saliency[3:] == 0)


# ------------------------------------------------------------------------------ input_saliency
def test_saliency_matches_autodiff_and_is_zero_where_the_output_cannot_look():
    """The output reads the RNN state at step 3, so steps 4.. cannot affect it."""
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [
            keras.Input((8, 2)),
            keras.layers.SimpleRNN(4, return_sequences=True),
            keras.layers.Lambda(lambda states: states[:, 3]),
            keras.layers.Dense(1),
        ]
    )
    x = sequences(batch=3, timesteps=8, features=2, dtype="float32")
    saliency = diag.input_saliency(model, x)
    assert saliency.shape == (3, 8)
    assert np.all(saliency[:, :4] > 0)
    np.testing.assert_array_equal(saliency[:, 4:], 0.0)
    _, (grad,) = diag.value_and_gradients(lambda x_t: keras.ops.sum(model(x_t)), [x])
    np.testing.assert_allclose(saliency, np.linalg.norm(grad, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(diag.input_saliency(model, x[0]), saliency[0], rtol=1e-6)


def test_saliency_of_a_text_model_is_zero_on_padding_and_per_class():
    keras.utils.set_random_seed(4)
    inputs = keras.Input((6,), dtype="int32")
    embedded = keras.layers.Embedding(12, 4, mask_zero=True)(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.GRU(5)(embedded))
    model = keras.Model(inputs, outputs)
    tokens = np.array([[5, 2, 7, 0, 0, 0], [9, 1, 0, 0, 0, 0]])
    saliency = diag.input_saliency(model, tokens)
    assert saliency.shape == (2, 6)
    assert np.all(saliency[0, :3] > 0) and np.all(saliency[1, :2] > 0)
    np.testing.assert_array_equal(saliency[0, 3:], 0.0)
    np.testing.assert_array_equal(saliency[1, 2:], 0.0)
    # Default: each sample's predicted class.
    predicted = np.argmax(to_numpy(model(tokens)), axis=-1)
    for i in range(2):
        chosen = diag.input_saliency(model, tokens[i], output_index=int(predicted[i]))
        np.testing.assert_allclose(chosen, saliency[i], rtol=1e-6)
    with pytest.raises(ValueError, match="output_index 3 is out of range for an output with 3 units"):
        diag.input_saliency(model, tokens, output_index=3)


# ------------------------------------------------------------------------------ value_and_gradients
def test_value_and_gradients_known_derivatives_and_unused_inputs():
    x = np.array([1.0, 2.0, -0.5], dtype="float32")
    value, (grad_x, grad_unused) = diag.value_and_gradients(
        lambda a, b: keras.ops.sum(a**3), [x, np.ones(2, dtype="float32")]
    )
    assert value == pytest.approx(1 + 8 - 0.125)
    np.testing.assert_allclose(grad_x, 3 * x**2, rtol=1e-6)
    np.testing.assert_array_equal(grad_unused, np.zeros(2))  # not None, whatever the backend
    with pytest.raises(TypeError, match="floating-point inputs, got dtype int.* for input 0"):
        diag.value_and_gradients(lambda a: keras.ops.sum(a), [np.arange(3)])


def test_value_and_gradients_of_layer_weights_equal_bptt_in_numpy():
    """Weights passed through stateless_call (the way every backend, JAX too, can differentiate them)."""
    x = sequences(batch=2, timesteps=6, features=3, seed=7, dtype="float32")
    layer = built(VanillaRNN(4, return_sequences=True), x)
    weights = layer.get_weights()
    dhs = np.random.default_rng(8).normal(size=(2, 6, 4)).astype("float32")

    def loss(*w):
        states, _ = layer.stateless_call(list(w), [v.value for v in layer.non_trainable_variables], x)
        return keras.ops.sum(keras.ops.multiply(states, dhs))

    value, grads = diag.value_and_gradients(loss, weights)
    w64 = [w.astype("float64") for w in weights]
    hs = ref.rnn_forward(x.astype("float64"), *w64)
    expected = ref.rnn_backward(x.astype("float64"), hs, dhs.astype("float64"), *w64)
    assert value == pytest.approx(float(np.sum(hs * dhs)), rel=1e-5)
    for got, want in zip(grads, [expected.dW_x, expected.dW_h, expected.db], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------ count_params, time_per_epoch
def test_count_params():
    x = sequences(features=3, dtype="float32")
    assert diag.count_params(built(keras.layers.SimpleRNN(4), x)) == 3 * 4 + 4 * 4 + 4
    assert diag.count_params(built(keras.layers.LSTM(4), x)) == 4 * (3 * 4 + 4 * 4 + 4)
    cell = VanillaRNNCell(4)
    cell.build((None, 3))
    assert diag.count_params(cell) == 32
    with pytest.raises(ValueError, match="has not been built yet"):
        diag.count_params(keras.layers.GRU(3))
    with pytest.raises(TypeError, match=r"`model_or_layer` expects a Keras model or layer, got 3 \(int\)"):
        diag.count_params(3)


def test_time_per_epoch_restores_weights():
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.SimpleRNN(3), keras.layers.Dense(1)])
    x, y = sequences(batch=64, timesteps=5, features=1, dtype="float32"), np.zeros((64, 1), "float32")
    with pytest.raises(ValueError, match="compiled model"):
        diag.time_per_epoch(model, x, y)
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    seconds = diag.time_per_epoch(model, x, y, batch_size=16, epochs=2)
    assert 0 < seconds < 60
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="`epochs` expects a positive integer, got 0"):
        diag.time_per_epoch(model, x, y, epochs=0)


# ------------------------------------------------------------------------------ bad input
def test_bad_input_errors():
    x = sequences(dtype="float32")
    layer = built(keras.layers.SimpleRNN(3), x)
    with pytest.raises(TypeError, match="floating-point inputs.*got dtype int64"):
        diag.gradient_norms_through_time(layer, x.astype("int64"))
    with pytest.raises(ValueError, match=r"shape \(batch, timesteps, features\).*got shape \(10, 3\)"):
        diag.gradient_norms_through_time(layer, x[0])
    with pytest.raises(TypeError, match="expected a recurrent cell, a recurrent layer .* got Dense"):
        diag.gradient_norms_through_time(keras.layers.Dense(3), x)
    with pytest.raises(ValueError, match="loss= was given without y"):
        diag.gradient_norms_through_time(layer, x, loss="mse")
    with pytest.raises(ValueError, match="no loss: pass loss="):
        diag.gradient_norms_through_time(layer, x, y=np.zeros((4, 3)))
    with pytest.raises(TypeError, match="expected a recurrent layer .* got Dense"):
        diag.hidden_state_trajectory(keras.layers.Dense(3), x)

    model = text_model(keras.layers.SimpleRNN(3, name="rnn"))
    tokens = np.array([[1, 2, 0, 0, 0, 0]])
    with pytest.raises(
        ValueError, match=r"no layer named 'lstm' in the model; its layers are .*'rnn \(SimpleRNN\)"
    ):
        diag.hidden_state_trajectory(model, tokens, layer="lstm")
    with pytest.raises(TypeError, match="expected a recurrent layer .* got Dense 'head'"):
        diag.hidden_state_trajectory(model, tokens, layer="head")
    with pytest.raises(ValueError, match="layer index 9 is out of range"):
        diag.gradient_norms_through_time(model, tokens, layer=9)
    with pytest.raises(ValueError, match="layer= only applies to models"):
        diag.hidden_state_trajectory(layer, x, layer="rnn")

    inputs = keras.Input((6, 2))
    branch = keras.layers.SimpleRNN(3)(inputs)
    merged = keras.layers.Concatenate()([branch, keras.layers.Flatten()(inputs)])
    with pytest.raises(ValueError, match="single chain.*branches or merges"):
        diag.input_saliency(keras.Model(inputs, merged), np.zeros((1, 6, 2), "float32"))
    bidirectional = keras.Sequential([keras.Input((6, 2)), keras.layers.Bidirectional(keras.layers.GRU(2))])
    with pytest.raises(TypeError, match="Bidirectional"):
        diag.hidden_state_trajectory(bidirectional, np.zeros((1, 6, 2), "float32"))
    no_rnn = keras.Sequential([keras.Input((6, 2)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="expected a model with a recurrent layer, found none"):
        diag.gradient_norms_through_time(no_rnn, np.zeros((1, 6, 2), "float32"))
    with pytest.raises(TypeError, match="floating-point inputs.*without an Embedding"):
        diag.input_saliency(no_rnn, np.zeros((1, 6, 2), "int32"))


# ------------------------------------------------------------------------------ flops_per_step, latency
# flops_per_step counts with TensorFlow's profiler: TensorFlow-only by nature.
tensorflow_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="flops_per_step counts with TensorFlow's profiler"
)


@pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="checks the error on the other backends")
def test_flops_per_step_says_it_needs_tensorflow():
    with pytest.raises(RuntimeError, match="flops_per_step counts with TensorFlow's profiler"):
        diag.flops_per_step(keras.layers.SimpleRNNCell(3), 2)


@tensorflow_only
@pytest.mark.parametrize("make_cell", [keras.layers.SimpleRNNCell, lambda units: VanillaRNN(units).cell])
@pytest.mark.parametrize(("units", "features"), [(32, 8), (5, 3)])
def test_flops_per_step_of_the_vanilla_cell_by_hand(make_cell, units, features):
    # two matrix products (2 multiply-adds per weight) plus the bias and the sum of the products
    assert diag.flops_per_step(make_cell(units), features) == 2 * units * (features + units) + 2 * units


@tensorflow_only
def test_flops_per_step_of_lstm_and_gru_by_hand():
    U, F = 32, 8
    vanilla = diag.flops_per_step(keras.layers.SimpleRNNCell(U), F)
    # LSTM: one product for the four gates, bias and sum, then f*c + i*g (3 U) and o*tanh(c) (U)
    lstm = diag.flops_per_step(keras.layers.LSTMCell(U), F)
    assert lstm == 2 * F * 4 * U + 2 * U * 4 * U + 4 * U + 4 * U + 4 * U
    # GRU (reset_after): two products, two biases, then z and r sums, r * (h W_h), the candidate sum and
    # the (1 - z), z * h, (1 - z) * candidate and final sum
    gru = diag.flops_per_step(keras.layers.GRUCell(U), F)
    assert gru == 2 * F * 3 * U + 2 * U * 3 * U + 3 * U + 3 * U + 8 * U
    # the ratios notebook 01 asserts
    assert round(lstm / vanilla, 2) == 4.05 and round(gru / vanilla, 2) == 3.10


@tensorflow_only
def test_flops_per_step_takes_a_layer_and_leaves_the_weights_alone():
    layer = keras.layers.LSTM(4)
    layer.build((None, 6, 3))
    before = layer.get_weights()
    assert diag.flops_per_step(layer, 3) == diag.flops_per_step(keras.layers.LSTMCell(4), 3)
    for a, b in zip(before, layer.weights, strict=True):
        np.testing.assert_array_equal(a, to_numpy(b))


@tensorflow_only
def test_flops_per_step_bad_input():
    with pytest.raises(TypeError, match=r"`cell` expects a Keras recurrent cell .*, got <Dense"):
        diag.flops_per_step(keras.layers.Dense(3), 2)
    with pytest.raises(ValueError, match="`features` expects a positive integer, got 0"):
        diag.flops_per_step(keras.layers.SimpleRNNCell(3), 0)
    cell = keras.layers.SimpleRNNCell(3)
    cell.build((None, 5))
    with pytest.raises(ValueError, match=r"`features` expects the input size .* \(5\), got 4"):
        diag.flops_per_step(cell, 4)


class FakeClock:
    """perf_counter that advances by the durations the fake model asks for."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_latency_interleaves_calls_and_keeps_a_low_quantile(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(diag.time, "perf_counter", clock)
    calls = []
    # durations per call, in order: the warm-up, then 3 rounds x 2 repeats = 6 timed calls per model
    durations = {"a": iter([9.0, 5, 4, 1, 2, 7, 3]), "b": iter([9.0, 10, 8, 30, 30, 6, 9])}

    def model(name):
        def forward(x):
            calls.append(name)
            clock.now += next(durations[name])
            return np.zeros(1)
        return forward

    result = diag.latency({"a": (model("a"), None), "b": (model("b"), None)}, repeats=2, rounds=3)
    assert calls == ["a", "b"] + ["a", "b"] * 6  # warm-up first, then one call of each model in turn
    assert result == {"a": 1.0, "b": 6.0}  # the fastest call: a busy moment only ever slows one down
    durations.update(a=iter([9.0, 5, 4, 1, 2, 7, 3]), b=iter([9.0, 10, 8, 30, 30, 6, 9]))
    both = {"a": (model("a"), None), "b": (model("b"), None)}
    median = diag.latency(both, repeats=3, rounds=2, quantile=0.5)
    assert median == {"a": 3.5, "b": 9.5}
    durations["a"] = iter([1.0, 2.0, 0.5])
    assert diag.latency(model("a"), None, repeats=2, rounds=1) == 0.5


def test_latency_of_a_keras_model_is_a_positive_float_and_leaves_it_alone():
    model = keras.Sequential([keras.Input((None, 1)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)])
    x = np.zeros((1, 30, 1), "float32")
    before = model.predict(x, verbose=0)
    seconds = diag.latency(model, x, repeats=3, rounds=2)
    assert isinstance(seconds, float) and seconds > 0
    np.testing.assert_array_equal(model.predict(x, verbose=0), before)


def test_latency_bad_input():
    model = keras.Sequential([keras.Input((3, 1)), keras.layers.Dense(1)])
    x = np.zeros((1, 3, 1), "float32")
    with pytest.raises(ValueError, match="`repeats` expects a positive integer, got 0"):
        diag.latency(model, x, repeats=0)
    with pytest.raises(TypeError, match=r"`rounds` expects a positive integer, got 2.5 \(float\)"):
        diag.latency(model, x, rounds=2.5)
    with pytest.raises(ValueError, match=r"`quantile` expects a finite number .*, got 1.5"):
        diag.latency(model, x, quantile=1.5)
    with pytest.raises(TypeError, match=r"`models` expects a Keras model or a callable, got 'model' \(str\)"):
        diag.latency("model", x)
    with pytest.raises(TypeError, match="`x` expects None when models is a dict"):
        diag.latency({"m": (model, x)}, x)
    with pytest.raises(ValueError, match="`models` expects at least one model, got an empty dict"):
        diag.latency({})
    with pytest.raises(TypeError, match=r"`models\['m'\]` expects a \(model, x\) pair"):
        diag.latency({"m": model})
