"""Tests for rnncourse.language: the character model, streaming, sampling, statistics, bad input."""

import os

import keras
import numpy as np
import pytest

from rnncourse import language
from rnncourse.text import CharVocabulary

VOCAB = CharVocabulary("abcdefgh \n")


def _model(cell="vanilla", num_layers=1, **kwargs):
    keras.utils.set_random_seed(0)
    return language.char_model(VOCAB.size, units=8, cell=cell, num_layers=num_layers, embedding_dim=4,
                               **kwargs)


@pytest.mark.parametrize(("cell", "num_layers"), [
    ("vanilla", 1), pytest.param("vanilla", 2, marks=pytest.mark.slow),
    pytest.param("lstm", 1, marks=pytest.mark.slow), pytest.param("gru", 2, marks=pytest.mark.slow)])
def test_streaming_one_char_at_a_time_equals_the_whole_sequence(cell, num_layers):
    model = _model(cell, num_layers)
    ids = np.random.default_rng(1).integers(0, VOCAB.size, (1, 30)).astype("int32")
    whole = keras.ops.convert_to_numpy(model(ids))[0]
    stream = language.stateful_copy(model)
    steps = np.concatenate([language._run(stream, ids[:, t:t + 1])[0] for t in range(30)])
    np.testing.assert_allclose(steps, whole, atol=1e-5)
    # and the state is what carries it: after a reset the second half alone differs from the stream
    language.reset_states(stream)
    cold = language._run(stream, ids[:, 15:])[0]
    assert np.abs(cold - whole[15:]).max() > 1e-3


def test_stateful_training_model_and_copy_shapes():
    model = _model(batch_size=4, stateful=True)
    assert model.inputs[0].shape[0] == 4 and model.output_shape == (4, None, VOCAB.size)
    copy = language.stateful_copy(model, batch_size=2)
    assert copy.inputs[0].shape[0] == 2
    for a, b in zip(model.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = np.zeros((4, 5), dtype="int32")
    model.fit(x, x, batch_size=4, epochs=1, verbose=0, shuffle=False,
              callbacks=[language.ResetStatesCallback()])


def test_model_bits_per_char_matches_a_direct_computation():
    from rnncourse.metrics import bits_per_char

    model = _model()
    ids = np.random.default_rng(2).integers(0, VOCAB.size, 101)
    # one stream, one window: exactly the stateless model on the whole text
    direct = bits_per_char(ids[1:], keras.ops.convert_to_numpy(model(ids[None, :-1].astype("int32")))[0],
                           from_logits=True)
    one_window = language.model_bits_per_char(model, ids, batch_size=1, seq_len=100)
    assert one_window == pytest.approx(direct, rel=1e-5)
    # windows of 10 with the state carried give the same number
    ten_windows = language.model_bits_per_char(model, ids, batch_size=1, seq_len=10)
    assert ten_windows == pytest.approx(direct, rel=1e-5)


def test_model_log2_probs_scores_every_character_but_the_first_of_each_stream():
    model = _model()
    ids = np.random.default_rng(3).integers(0, VOCAB.size, 103)
    log2_p = language.model_log2_probs(model, ids, batch_size=4, seq_len=7)   # streams of 26, 26, 26, 25
    assert np.isnan(log2_p).sum() == 4 and np.isnan(log2_p[[0, 26, 52, 78]]).all()
    assert (log2_p[~np.isnan(log2_p)] < 0).all()
    # each stream alone, from a zero state, gives the same numbers: the tail of the text is scored too
    for start, stop in [(0, 26), (78, 103)]:
        piece = ids[start:stop]
        logits = keras.ops.convert_to_numpy(model(piece[None, :-1].astype("int32")))[0].astype(np.float64)
        shifted = logits - logits.max(-1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
        expected = log_softmax[np.arange(len(piece) - 1), piece[1:]] / np.log(2.0)
        np.testing.assert_allclose(log2_p[start + 1:stop], expected, rtol=1e-5, atol=1e-6)
    assert language.model_bits_per_char(model, ids, 4, 7) == pytest.approx(-np.nanmean(log2_p))
    with pytest.raises(ValueError, match="at least 2 \\* batch_size = 200 ids"):
        language.model_log2_probs(model, ids, batch_size=100)
    with pytest.raises(TypeError, match="1-D sequence of integer ids"):
        language.model_log2_probs(model, ids.astype(float))


def test_sampling_temperature_zero_is_argmax_and_seeded_draws_repeat():
    rng = np.random.default_rng(int(os.environ["RNNCOURSE_TEST_SEED"]))
    logits = rng.normal(size=(50, 10))
    np.testing.assert_array_equal(language.sample_from_logits(logits, temperature=0), logits.argmax(axis=1))
    assert int(language.sample_from_logits(logits[0], temperature=0)) == logits[0].argmax()
    first = language.sample_from_logits(logits, temperature=1.0, rng=7)
    np.testing.assert_array_equal(language.sample_from_logits(logits, temperature=1.0, rng=7), first)
    assert not np.array_equal(language.sample_from_logits(logits, temperature=1.0, rng=8), first)
    # top_k=1 is greedy at any temperature; top_k=3 never leaves the three largest
    greedy = language.sample_from_logits(logits, 2.0, top_k=1, rng=0)
    np.testing.assert_array_equal(greedy, logits.argmax(axis=1))
    draws = language.sample_from_logits(np.repeat(logits[:1], 500, axis=0), 5.0, top_k=3, rng=0)
    assert set(draws) <= set(np.argsort(logits[0])[-3:])


def test_sampling_follows_the_tempered_distribution():
    logits = np.log([0.1, 0.2, 0.7])
    for temperature in (0.5, 1.0, 2.0):
        draws = language.sample_from_logits(np.tile(logits, (20_000, 1)), temperature, rng=0)
        expected = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
        np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20_000, expected, atol=0.015)


def test_generate_is_seeded_and_greedy_at_temperature_zero():
    stream = language.stateful_copy(_model())
    text, log2_probs = language.generate(stream, VOCAB, "abc", 40, temperature=1.0, seed=3)
    assert len(text) == 40 and set(text) <= set(VOCAB.chars) and log2_probs.shape == (40,)
    assert (log2_probs <= 0).all()
    assert language.generate(stream, VOCAB, "abc", 40, temperature=1.0, seed=3)[0] == text
    greedy, _ = language.generate(stream, VOCAB, "abc", 20, temperature=0)
    # greedy by hand: feed the whole text so far to the stateless model and take the argmax each time
    model = _model()
    ids = list(VOCAB.encode("abc"))
    for _ in range(20):
        logits = keras.ops.convert_to_numpy(model(np.array([ids], dtype="int32")))[0, -1]
        ids.append(int(logits.argmax()))
    assert greedy == VOCAB.decode(ids[3:])


def test_sample_statistics():
    stats = language.sample_statistics("the cat the cat the cat sat", {"the", "cat"}, log2_probs=[-1.0, -3.0])
    assert stats["words"] == 7 and stats["known_words"] == pytest.approx(6 / 7)
    assert stats["repeated_ngrams"] == pytest.approx(2 / 5)   # "the cat the", "cat the cat" come back once
    assert stats["bits_per_char"] == pytest.approx(2.0) and stats["distinct_chars"] == 7
    assert np.isnan(language.sample_statistics("", set())["known_words"])
    # short words do not count as known: random letters make them by chance
    stats = language.sample_statistics("a to he xq the ofo", {"a", "to", "he", "the"})
    assert stats["words"] == 6 and stats["known_words"] == pytest.approx(1 / 2)   # "the" of "the", "ofo"
    assert language.sample_statistics("a to he", {"a"}, min_letters=1)["known_words"] == pytest.approx(1 / 3)
    assert np.isnan(language.sample_statistics("a to he", {"a"})["known_words"])
    with pytest.raises(ValueError, match="min_letters"):
        language.sample_statistics("a", set(), min_letters=0)


def test_top_p_keeps_the_nucleus_only():
    logits = np.log(np.array([[0.5, 0.3, 0.15, 0.05], [0.05, 0.05, 0.05, 0.85]]))
    draws = language.sample_from_logits(np.tile(logits, (2000, 1)), top_p=0.75, rng=0).reshape(2000, 2)
    # row 0: 0.5 + 0.3 reach 0.75, so classes 0 and 1 only, in the ratio 5:3; row 1: class 3 alone
    assert set(draws[:, 0]) == {0, 1} and np.mean(draws[:, 0] == 0) == pytest.approx(5 / 8, abs=0.04)
    assert set(draws[:, 1]) == {3}
    # top_p=1 is plain sampling (the same draws for a seed); a tiny top_p is greedy
    np.testing.assert_array_equal(language.sample_from_logits(logits, top_p=1.0, rng=3),
                                  language.sample_from_logits(logits, rng=3))
    np.testing.assert_array_equal(language.sample_from_logits(logits, top_p=1e-6, rng=3), [0, 3])
    # after the temperature: at T = 0.5 class 0 alone holds 0.5**2 / (0.25 + 0.09 + ...) > 0.66
    assert set(language.sample_from_logits(np.repeat(logits[:1], 500, axis=0), 0.5, top_p=0.6, rng=1)) == {0}
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match="top_p"):
            language.sample_from_logits(logits, top_p=bad)


def test_mingru_char_model_modes_compute_the_same_model():
    from rnncourse.min_rnn import MinGRU

    ids = np.random.default_rng(2).integers(0, VOCAB.size, (3, 40)).astype("int32")
    models = {mode: _model("mingru", 2, mode=mode) for mode in ("parallel", "sequential")}
    layers = [layer for layer in models["sequential"].layers if isinstance(layer, MinGRU)]
    assert [layer.mode for layer in layers] == ["sequential", "sequential"]
    assert len(models["parallel"].layers) == 4
    assert models["parallel"].count_params() == models["sequential"].count_params()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(models["sequential"](ids)),
                               keras.ops.convert_to_numpy(models["parallel"](ids)), atol=1e-5)
    assert language.model_bits_per_char(models["parallel"], ids.ravel(), batch_size=2, seq_len=20) > 0


def test_time_per_char_is_positive():
    assert 0 < language.time_per_char(language.stateful_copy(_model()), length=5, rounds=2) < 5


def test_bad_input():
    with pytest.raises(ValueError, match=r"`cell` expects one of \['vanilla', 'lstm', 'gru', 'mingru'\]"):
        language.char_model(10, cell="rnn")
    with pytest.raises(ValueError, match="char_model: `batch_size` expects a positive integer when stateful"):
        language.char_model(10, stateful=True)
    with pytest.raises(ValueError, match="`units` expects a positive integer, got 0"):
        language.char_model(10, units=0)
    with pytest.raises(ValueError, match=r"`mode` expects one of \['parallel', 'log', 'sequential'\]"):
        language.char_model(10, cell="mingru", mode="fast")
    with pytest.raises(ValueError, match="char_model: `stateful` expects False for cell='mingru'"):
        language.char_model(10, cell="mingru", batch_size=2, stateful=True)
    with pytest.raises(ValueError, match=r"sample_from_logits: `temperature` expects a finite number >= 0"):
        language.sample_from_logits([1.0, 2.0], temperature=-1)
    with pytest.raises(ValueError, match=r"`top_k` expects an integer from 1 to 2, got 3"):
        language.sample_from_logits([1.0, 2.0], top_k=3)
    with pytest.raises(ValueError, match=r"`logits` expects shape"):
        language.sample_from_logits(np.zeros((2, 2, 2)))
    model = _model()
    with pytest.raises(ValueError, match=r"generate: `model` expects a stateful model with batch size 1"):
        language.generate(model, VOCAB, "a", 5)
    with pytest.raises(ValueError, match="unknown"):
        language.generate(language.stateful_copy(model), VOCAB, "xyz", 5)
    with pytest.raises(TypeError, match="`model` expects a keras.Sequential"):
        language.stateful_copy("model")


def test_influence_by_lag_sees_what_the_model_reads():
    # A model whose logits at step t read only the input at t - 3 (a fixed shift). Lag k = 1 is the last
    # character read, so the prediction after the window depends on lag 4 alone: exactly 0 at the others.
    vocab_size, window = 6, 12
    inputs = keras.Input((None,), dtype="int32")
    one_hot = keras.layers.Lambda(lambda ids: keras.ops.one_hot(ids, vocab_size))(inputs)
    shifted = keras.layers.ZeroPadding1D((3, 0))(one_hot)[:, :-3]            # position t sees t - 3
    logits = keras.layers.Dense(vocab_size, use_bias=False,
                                kernel_initializer=keras.initializers.Identity(gain=5.0))(shifted)
    model = keras.Model(inputs, logits)
    ids = np.arange(200) % vocab_size
    influence = language.influence_by_lag(model, ids, lags=(1, 2, 3, 4), window=window, samples=16)
    assert influence[4] > 0.5
    assert influence[1] == influence[2] == influence[3] == 0.0


def test_influence_by_lag_bad_arguments():
    model = language.char_model(5, units=4)
    with pytest.raises(ValueError, match="more than 10 integer ids"):
        language.influence_by_lag(model, np.arange(10) % 5, window=10)
    with pytest.raises(ValueError, match="more than 10 integer ids"):
        language.influence_by_lag(model, np.linspace(0, 4, 50), window=10)
    with pytest.raises(ValueError, match="lags"):
        language.influence_by_lag(model, np.arange(50) % 5, lags=(11,), window=10)


def test_the_committed_long_run_and_its_model(tmp_path):
    import hashlib
    import re

    from rnncourse.language import BEST_MODEL

    readme = (BEST_MODEL.parents[1] / "README.md").read_text(encoding="utf-8")  # studies/README.md
    assert hashlib.sha256(BEST_MODEL.read_bytes()).hexdigest() in re.findall(r"`([0-9a-f]{64})`", readme)
    model = language.load_best_model()
    assert model.count_params() == 640_303 and getattr(model, "optimizer", None) is None   # weights only
    table, provenance = language.load_curves("long run")
    assert "--long" in provenance["script"]
    test_bits = table.query("layers > 0 and metric == 'test bits/char'")["value"]
    assert test_bits.min() < table.query("layers == 0 and metric == 'test bits/char'")["value"].iloc[0]
    with pytest.raises(FileNotFoundError, match="char_models.py --long"):
        language.load_best_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="which"):
        language.load_curves("short run")


def test_load_study_reads_the_committed_table(tmp_path):
    table, provenance = language.load_study()
    assert {"vanilla", "lstm", "gru"} <= set(table["cell"])
    assert {"epochs", "date", "script"} <= set(provenance)
    bad = tmp_path / "bad.csv"
    bad.write_text("# date: today\ncell,value\nGRU,2.6\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expects the columns"):
        language.load_study(bad)
    with pytest.raises(FileNotFoundError, match="studies/char_models.py"):
        language.load_study(tmp_path / "missing.csv")
