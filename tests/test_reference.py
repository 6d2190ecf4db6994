"""rnncourse.reference against Keras's SimpleRNN, rnncourse.layers.VanillaRNN, TensorFlow autodiff and finite
differences."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnncourse import reference as ref
from rnncourse.layers import VanillaRNN

ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear"]


def random_problem(batch=3, timesteps=5, features=4, units=3, seed=0, scale=0.6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, timesteps, features))
    W_x = scale * rng.normal(size=(features, units))
    W_h = scale * rng.normal(size=(units, units))
    b = 0.1 * rng.normal(size=units)
    h0 = 0.5 * rng.normal(size=(batch, units))
    return x, W_x, W_h, b, h0


def keras_layer(layer_class, W_x, W_h, b, activation, dtype="float64"):
    layer = layer_class(W_x.shape[1], activation=activation, return_sequences=True, dtype=dtype)
    layer.build((None, None, W_x.shape[0]))
    layer.set_weights([W_x, W_h, b])
    return layer


# ------------------------------------------------------------------------------------------------ forward
@pytest.mark.parametrize("layer_class", [keras.layers.SimpleRNN, VanillaRNN])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    ("batch", "timesteps", "features", "units"), [(1, 1, 1, 1), (3, 7, 4, 5), (2, 12, 1, 8)]
)
def test_forward_matches_keras(layer_class, activation, batch, timesteps, features, units):
    x, W_x, W_h, b, h0 = random_problem(batch, timesteps, features, units, seed=units + timesteps)
    layer = keras_layer(layer_class, W_x, W_h, b, activation)
    expected = keras.ops.convert_to_numpy(layer(x, initial_state=[h0]))
    np.testing.assert_allclose(
        ref.rnn_forward(x, W_x, W_h, b, h0=h0, activation=activation), expected, atol=1e-12
    )
    expected_zero_h0 = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(
        ref.rnn_forward(x, W_x, W_h, b, activation=activation), expected_zero_h0, atol=1e-12
    )


def test_forward_float32_matches_keras_float32():
    x, W_x, W_h, b, _ = (a.astype(np.float32) for a in random_problem(4, 9, 3, 6))
    layer = keras_layer(keras.layers.SimpleRNN, W_x, W_h, b, "tanh", dtype="float32")
    hs = ref.rnn_forward(x, W_x, W_h, b)
    assert hs.dtype == np.float32
    np.testing.assert_allclose(hs, keras.ops.convert_to_numpy(layer(x)), atol=1e-5)


def test_rnn_step_is_one_step_of_rnn_forward():
    x, W_x, W_h, b, h0 = random_problem()
    hs = ref.rnn_forward(x, W_x, W_h, b, h0=h0)
    np.testing.assert_allclose(ref.rnn_step(x[:, 0], h0, W_x, W_h, b), hs[:, 0])
    np.testing.assert_allclose(ref.rnn_step(x[:, 3], hs[:, 2], W_x, W_h, b), hs[:, 3])


# ------------------------------------------------------------------------------------------------ backward
def loss_and_dhs(hs, seed=1):
    """L = sum_t <R_t, h_t> with random R: every step sends a gradient dL/dh_t = R_t to the loss."""
    R = np.random.default_rng(seed).normal(size=hs.shape)
    return float(np.sum(R * hs)), R


@pytest.mark.parametrize("layer_class", [keras.layers.SimpleRNN, VanillaRNN])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_matches_gradient_tape(layer_class, activation):
    x, W_x, W_h, b, h0 = random_problem(batch=3, timesteps=6, features=2, units=4)
    hs = ref.rnn_forward(x, W_x, W_h, b, h0=h0, activation=activation)
    _, R = loss_and_dhs(hs)
    grads = ref.rnn_backward(x, hs, R, W_x, W_h, b, h0=h0, activation=activation)

    layer = keras_layer(layer_class, W_x, W_h, b, activation)
    x_t, h0_t = tf.constant(x), tf.constant(h0)
    with tf.GradientTape() as tape:
        tape.watch([x_t, h0_t])
        loss = tf.reduce_sum(tf.constant(R) * layer(x_t, initial_state=[h0_t]))
    dW_x, dW_h, db, dx, dh0 = tape.gradient(loss, [*layer.trainable_weights, x_t, h0_t])
    for ours, theirs in [
        (grads.dW_x, dW_x),
        (grads.dW_h, dW_h),
        (grads.db, db),
        (grads.dx, dx),
        (grads.dh0, dh0),
    ]:
        np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_matches_finite_differences(activation):
    x, W_x, W_h, b, h0 = random_problem(batch=2, timesteps=4, features=3, units=3, seed=3)
    R = np.random.default_rng(4).normal(size=(2, 4, 3))

    def loss():
        return float(np.sum(R * ref.rnn_forward(x, W_x, W_h, b, h0=h0, activation=activation)))

    hs = ref.rnn_forward(x, W_x, W_h, b, h0=h0, activation=activation)
    grads = ref.rnn_backward(x, hs, R, W_x, W_h, b, h0=h0, activation=activation)
    for analytic, array in [
        (grads.dW_x, W_x),
        (grads.dW_h, W_h),
        (grads.db, b),
        (grads.dh0, h0),
        (grads.dx, x),
    ]:
        numeric = ref.numerical_gradient(loss, array)
        assert ref.relative_error(analytic, numeric) < 1e-6
    # numerical_gradient put every entry back where it was.
    np.testing.assert_array_equal(ref.rnn_forward(x, W_x, W_h, b, h0=h0, activation=activation), hs)


def test_dh_is_the_total_gradient_of_each_hidden_state():
    """dh[:, t] = dL/dh_t through all later steps: check it by restarting the RNN from a perturbed h_t."""
    x, W_x, W_h, b, h0 = random_problem(batch=2, timesteps=6, features=2, units=3, seed=5)
    hs = ref.rnn_forward(x, W_x, W_h, b, h0=h0)
    _, R = loss_and_dhs(hs, seed=6)
    grads = ref.rnn_backward(x, hs, R, W_x, W_h, b, h0=h0)
    for t in [0, 2, 5]:
        h_t = hs[:, t].copy()

        def loss_from_h_t(t=t, h_t=h_t):
            later = ref.rnn_forward(x[:, t + 1 :], W_x, W_h, b, h0=h_t) if t + 1 < x.shape[1] else 0.0
            return float(np.sum(R[:, t] * h_t) + np.sum(R[:, t + 1 :] * later))

        np.testing.assert_allclose(grads.dh[:, t], ref.numerical_gradient(loss_from_h_t, h_t), atol=1e-8)
    np.testing.assert_allclose(grads.grad_norms, [np.linalg.norm(grads.dh[:, t]) for t in range(6)])
    assert grads.grad_norms.shape == (6,)
    assert grads.grad_norms[-1] == pytest.approx(np.linalg.norm(R[:, -1]))


def test_gradients_vanish_for_small_and_explode_for_large_recurrent_weights():
    """With linear activation and W_h = alpha * Q (Q orthogonal), ||dL/dh_t|| = alpha^(T-t) ||dL/dh_T||."""
    timesteps, units = 20, 6
    for seed in range(3):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(4, timesteps, 2))
        W_x = rng.normal(size=(2, units))
        Q, _ = np.linalg.qr(rng.normal(size=(units, units)))
        for alpha in [0.5, 1.3]:
            hs = ref.rnn_forward(x, W_x, alpha * Q, np.zeros(units), activation="linear")
            dhs = np.zeros_like(hs)
            dhs[:, -1] = 1.0
            norms = ref.rnn_backward(
                x, hs, dhs, W_x, alpha * Q, np.zeros(units), activation="linear"
            ).grad_norms
            expected = np.sqrt(4 * units) * alpha ** np.arange(timesteps - 1, -1, -1)
            np.testing.assert_allclose(norms, expected, rtol=1e-9)
        # tanh' <= 1, so with alpha = 0.5 the gradient shrinks at least as fast as 0.5 per step.
        hs = ref.rnn_forward(x, W_x, 0.5 * Q, np.zeros(units))
        dhs = np.zeros_like(hs)
        dhs[:, -1] = 1.0
        norms = ref.rnn_backward(x, hs, dhs, W_x, 0.5 * Q, np.zeros(units)).grad_norms
        assert np.all(np.diff(norms) > 0)
        assert norms[0] <= 0.5 ** (timesteps - 1) * norms[-1] * (1 + 1e-9)


# ------------------------------------------------------------------------------------------------ errors
def test_unknown_activation_lists_the_known_ones():
    x, W_x, W_h, b, _ = random_problem()
    with pytest.raises(
        ValueError, match=r"unknown activation 'softmax'.*'tanh', 'relu', 'sigmoid', 'linear'"
    ):
        ref.rnn_forward(x, W_x, W_h, b, activation="softmax")
    with pytest.raises(ValueError, match="unknown activation"):
        ref.apply_activation(np.zeros(2), "Tanh")


def test_bad_shapes_and_dtypes_say_what_was_expected():
    x, W_x, W_h, b, h0 = random_problem(batch=3, timesteps=5, features=4, units=3)
    with pytest.raises(
        ValueError, match=r"x of shape \(batch, timesteps, features\).*got shape \(5, 4\).*np.newaxis"
    ):
        ref.rnn_forward(x[0], W_x, W_h, b)
    with pytest.raises(ValueError, match=r"expected x of shape .* = \(\?, \?, 4\), got shape \(3, 5, 2\)"):
        ref.rnn_forward(x[..., :2], W_x, W_h, b)
    with pytest.raises(ValueError, match=r"W_h of shape \(units, units\) = \(3, 3\), got shape \(3, 4\)"):
        ref.rnn_forward(x, W_x, np.zeros((3, 4)), b)
    with pytest.raises(ValueError, match=r"b of shape \(units,\) = \(3,\), got shape \(1, 3\)"):
        ref.rnn_forward(x, W_x, W_h, b[None])
    with pytest.raises(ValueError, match=r"h0 of shape \(batch, units\) = \(3, 3\), got shape \(3,\)"):
        ref.rnn_forward(x, W_x, W_h, b, h0=h0[0])
    with pytest.raises(TypeError, match="floating-point array for x.*got dtype int64"):
        ref.rnn_forward(x.astype(np.int64), W_x, W_h, b)
    hs = ref.rnn_forward(x, W_x, W_h, b)
    with pytest.raises(ValueError, match=r"dhs of shape .* = \(3, 5, 3\), got shape \(3, 3\)"):
        ref.rnn_backward(x, hs, hs[:, -1], W_x, W_h, b)
    with pytest.raises(ValueError, match=r"hs of shape .* = \(3, 5, 3\), got shape \(3, 4, 3\)"):
        ref.rnn_backward(x, hs[:, 1:], hs, W_x, W_h, b)
    with pytest.raises(ValueError, match="at least one time step"):
        ref.rnn_forward(x[:, :0], W_x, W_h, b)


def test_numerical_gradient_checks_its_inputs():
    w32 = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="float64 array.*got dtype float32"):
        ref.numerical_gradient(lambda: float(w32.sum()), w32)
    with pytest.raises(TypeError, match="NumPy ndarray.*got list"):
        ref.numerical_gradient(lambda: 0.0, [1.0, 2.0])
    w = np.ones(3)
    with pytest.raises(TypeError, match="scalar loss"):
        ref.numerical_gradient(lambda: w * 2, w)
    with pytest.raises(ValueError, match="positive finite eps"):
        ref.numerical_gradient(lambda: float(w.sum()), w, eps=0.0)
    np.testing.assert_allclose(
        ref.numerical_gradient(lambda: float(np.sum(np.sin(w))), w), np.cos(w), atol=1e-9
    )
    with pytest.raises(ValueError, match="same shape"):
        ref.relative_error(np.zeros(2), np.zeros(3))


# --------------------------------------------------------------------------------------------------
# The hand-written training pieces of notebook 06, each against Keras and finite differences
# --------------------------------------------------------------------------------------------------
def test_softmax_cross_entropy_matches_keras_and_finite_differences():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(2, 5, 7))
    targets = rng.integers(0, 7, size=(2, 5))
    loss, dlogits = ref.softmax_cross_entropy(logits, targets)
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(targets, logits)
    np.testing.assert_allclose(loss, float(expected), rtol=1e-6)
    numeric = ref.numerical_gradient(lambda: ref.softmax_cross_entropy(logits, targets)[0], logits)
    np.testing.assert_allclose(dlogits, numeric, rtol=1e-5, atol=1e-9)   # atol: round-off of tiny entries
    # Large logits do not overflow (the softmax is shifted by the row maximum).
    big_loss, big_grad = ref.softmax_cross_entropy(logits * 1e3, targets)
    assert np.isfinite(big_loss) and np.isfinite(big_grad).all()


def test_softmax_cross_entropy_checks_its_inputs():
    with pytest.raises(TypeError, match="integer class ids"):
        ref.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"targets of shape \(2,\)"):
        ref.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"in \[0, 3\), got values from 0 to 3"):
        ref.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="floating-point array for logits"):
        ref.softmax_cross_entropy(np.zeros((2, 3), dtype=int), np.array([0, 1]))


def test_clip_by_global_norm_is_keras_global_clipnorm():
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=(4,))]
    norm_before = np.sqrt(sum((g**2).sum() for g in grads))
    for max_norm in (0.5 * norm_before, 2.0 * norm_before):  # clipped, and left alone
        clipped, norm = ref.clip_by_global_norm(grads, max_norm)
        assert norm == pytest.approx(norm_before)
        # One SGD step with learning rate 1 moves each variable by minus its (clipped) gradient.
        variables = [keras.Variable(np.zeros_like(g)) for g in grads]
        keras.optimizers.SGD(learning_rate=1.0, global_clipnorm=max_norm).apply_gradients(
            zip([keras.ops.convert_to_tensor(g) for g in grads], variables, strict=True))
        for variable, mine in zip(variables, clipped, strict=True):
            np.testing.assert_allclose(-keras.ops.convert_to_numpy(variable), mine, rtol=1e-5, atol=1e-7)
    assert np.sqrt(sum((g**2).sum() for g in ref.clip_by_global_norm(grads, 1.0)[0])) == pytest.approx(1.0)
    assert grads[0] is not ref.clip_by_global_norm(grads, 1.0)[0][0]     # the inputs are not changed


def test_clip_by_global_norm_checks_its_inputs():
    with pytest.raises(ValueError, match="at least one gradient"):
        ref.clip_by_global_norm([], 1.0)
    with pytest.raises(ValueError, match="positive finite max_norm, got 0"):
        ref.clip_by_global_norm([np.ones(2)], 0)
    with pytest.raises(TypeError, match=r"grads\[0\]"):
        ref.clip_by_global_norm([np.ones(2, dtype=int)], 1.0)


def test_adam_matches_keras_adam_step_for_step():
    rng = np.random.default_rng(2)
    params = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    variables = [keras.Variable(p.astype("float32")) for p in params]
    mine = ref.Adam(params, learning_rate=0.05)
    theirs = keras.optimizers.Adam(learning_rate=0.05)
    for _ in range(5):
        grads = [rng.normal(size=p.shape) for p in params]
        mine.update(grads)
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g, "float32") for g in grads], variables,
                                   strict=True))
    for p, v in zip(params, variables, strict=True):
        np.testing.assert_allclose(p, keras.ops.convert_to_numpy(v), rtol=1e-4, atol=1e-5)
    assert mine.iterations == 5


def test_adam_checks_its_inputs():
    with pytest.raises(ValueError, match="positive finite learning_rate"):
        ref.Adam([np.ones(2)], learning_rate=-1.0)
    with pytest.raises(ValueError, match=r"beta_1 in \[0, 1\)"):
        ref.Adam([np.ones(2)], beta_1=1.0)
    with pytest.raises(ValueError, match="update in place"):
        ref.Adam([[1.0, 2.0]])                      # a list is copied by asarray: it could not be updated
    adam = ref.Adam([np.ones(2)])
    with pytest.raises(ValueError, match="expected 1 gradients"):
        adam.update([np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match=r"grads\[0\] of shape \(2,\)"):
        adam.update([np.ones(3)])


# ------------------------------------------------------------------------------- minimal RNNs and scans
def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


@pytest.mark.parametrize("method", ["hillis_steele", "blelloch", "sequential"])
def test_prefix_scan_gives_every_prefix_in_order_for_any_length(method):
    # String concatenation is associative but not commutative: a scan that combined out of order would show.
    for n in range(1, 40):
        letters = [chr(ord("a") + i % 26) for i in range(n)]
        trace = ref.prefix_scan(letters, lambda x, y: x + y, method=method)
        assert trace.result == ["".join(letters[: i + 1]) for i in range(n)], (method, n)
        for pairs in trace.rounds:  # one round never writes a position twice nor reads what it writes
            targets = [t for t, _ in pairs]
            assert len(set(targets)) == len(targets)
            assert all(s < t for t, s in pairs)


def test_prefix_scan_rounds_and_work():
    add = lambda x, y: x + y  # noqa: E731
    for n in [1, 2, 3, 7, 8, 9, 64, 100, 1024]:
        log_n = int(np.ceil(np.log2(n)))
        hillis, tree = ref.prefix_scan([1] * n, add), ref.prefix_scan([1] * n, add, method="blelloch")
        sequential = ref.prefix_scan([1] * n, add, method="sequential")
        assert hillis.depth == log_n
        assert hillis.work == sum(n - 2**k for k in range(log_n))
        assert tree.depth <= max(2 * log_n - 1, 0) and tree.work < 2 * n
        assert sequential.depth == sequential.work == n - 1


def test_linear_recurrence_loop_and_its_scan_agree():
    rng = np.random.default_rng(0)
    a, b, h0 = rng.uniform(0, 1, (2, 13, 3)), rng.normal(size=(2, 13, 3)), rng.normal(size=(2, 3))
    hs = ref.linear_recurrence(a, b, h0)
    h = h0
    for t in range(13):  # written out once more, without the function
        h = a[:, t] * h + b[:, t]
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12)
    np.testing.assert_allclose(ref.linear_recurrence(a, b)[:, 0], b[:, 0])  # h0 = 0 by default
    b_with_h0 = b.copy()
    b_with_h0[:, 0] += a[:, 0] * h0  # h0 folded into the first step
    for method in ["hillis_steele", "blelloch"]:
        steps = [(a[:, t], b_with_h0[:, t]) for t in range(13)]
        scanned = ref.prefix_scan(steps, ref.recurrence_combine, method=method).result
        np.testing.assert_allclose(np.stack([s[1] for s in scanned], axis=1), hs, rtol=1e-12)


def test_min_gru_and_min_lstm_forward_follow_their_formulas():
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(2, 6, 3)), rng.normal(size=(2, 4))
    kernel, bias = rng.normal(size=(3, 8)), rng.normal(size=8)
    k = x @ kernel + bias
    z, h_tilde = _sigmoid(k[..., :4]), k[..., 4:]
    np.testing.assert_allclose(ref.min_gru_forward(x, kernel, bias, h0),
                               ref.linear_recurrence(1 - z, z * h_tilde, h0), rtol=1e-12)
    positive = np.where(h_tilde >= 0, h_tilde + 0.5, _sigmoid(h_tilde))
    np.testing.assert_allclose(ref.min_gru_forward(x, kernel, bias, h0, candidate="positive"),
                               ref.linear_recurrence(1 - z, z * positive, h0), rtol=1e-12)
    kernel3, bias3 = rng.normal(size=(3, 12)), rng.normal(size=12)
    k = x @ kernel3 + bias3
    f, i, h_tilde = _sigmoid(k[..., :4]), _sigmoid(k[..., 4:8]), k[..., 8:]
    np.testing.assert_allclose(ref.min_lstm_forward(x, kernel3, bias3, h0),
                               ref.linear_recurrence(f / (f + i), i / (f + i) * h_tilde, h0), rtol=1e-12)


def test_min_rnn_param_counts():
    assert ref.recurrent_param_count("MinGRU", 3, 4) == 2 * 4 * (3 + 1)
    assert ref.recurrent_param_count("MinLSTM", 3, 4) == 3 * 4 * (3 + 1)


def test_min_rnn_references_check_their_inputs():
    with pytest.raises(ValueError, match=r"linear_recurrence: `a` expects an array of shape \(batch, "):
        ref.linear_recurrence(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected b of shape"):
        ref.linear_recurrence(np.ones((2, 3, 1)), np.ones((2, 3, 2)))
    with pytest.raises(KeyError, match=r"prefix_scan: `method` expects one of \['hillis_steele', 'blelloch'"):
        ref.prefix_scan([1, 2], lambda x, y: x + y, method="kogge_stone")
    with pytest.raises(ValueError, match="`values` expects at least one element, got an empty sequence"):
        ref.prefix_scan([], lambda x, y: x + y)
    with pytest.raises(ValueError, match=r"`kernel` expects shape \(features, 2 \* units\), got shape"):
        ref.min_gru_forward(np.ones((1, 2, 3)), np.ones((3, 5)), np.ones(5))
    with pytest.raises(KeyError, match=r"`candidate` expects one of \['linear', 'positive'\], got 'log'"):
        ref.min_lstm_forward(np.ones((1, 2, 3)), np.ones((3, 6)), np.ones(6), candidate="log")
