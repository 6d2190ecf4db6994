"""Tests for rnncourse.baselines on series and corpora where the right answer is known."""

import numpy as np
import pytest

from rnncourse.baselines import (
    bag_of_words_baseline,
    linear_window_forecast,
    majority_class,
    moving_average_forecast,
    naive_forecast,
    seasonal_naive_forecast,
)
from rnncourse.metrics import accuracy, mae
from rnncourse.timeseries import window_arrays

WEEK = np.array([5.0, 9.0, 8.0, 7.0, 6.0, 2.0, 1.0])


def weekly_series(weeks=20):
    return np.tile(WEEK, weeks)


def test_hand_examples():
    X = np.array([[[1.0], [2.0], [3.0], [4.0], [6.0]]])  # one window of 5
    np.testing.assert_array_equal(naive_forecast(X), [6.0])
    np.testing.assert_array_equal(naive_forecast(X, horizon=3), [[6.0, 6.0, 6.0]])
    np.testing.assert_array_equal(seasonal_naive_forecast(X, season=2, horizon=5),
                                  [[4.0, 6.0, 4.0, 6.0, 4.0]])
    np.testing.assert_array_equal(seasonal_naive_forecast(X, season=5), [1.0])
    np.testing.assert_array_equal(moving_average_forecast(X, window=2), [5.0])
    np.testing.assert_array_equal(moving_average_forecast(X, window=4, horizon=2), [[3.75, 3.75]])


@pytest.mark.parametrize("horizon", [1, 3, 10])
def test_seasonal_naive_exact_on_weekly_pattern(horizon):
    X, y = window_arrays(weekly_series(), seq_len=14, horizon=horizon)
    assert mae(y, seasonal_naive_forecast(X, season=7, horizon=horizon)) == 0.0
    assert mae(y, naive_forecast(X, horizon=horizon)) > 1.0
    assert mae(y, moving_average_forecast(X, window=7, horizon=horizon)) > 1.0


def test_baselines_read_target_column():
    series = weekly_series()
    noise = np.random.default_rng(0).normal(size=series.shape)
    X, y = window_arrays(np.stack([noise, series], axis=1), seq_len=7, target=1)
    assert mae(y, seasonal_naive_forecast(X, season=7, target=1)) == 0.0
    assert mae(y, seasonal_naive_forecast(X, season=7, target=0)) > 1.0


@pytest.mark.parametrize("horizon", [1, 4])
def test_linear_model_exact_on_linear_trend(horizon):
    X, y = window_arrays(0.5 * np.arange(200.0) + 3.0, seq_len=10, horizon=horizon)
    forecast = linear_window_forecast(X[:100], y[:100], X[100:])
    assert forecast.shape == y[100:].shape
    assert mae(y[100:], forecast) < 1e-3
    assert mae(y[100:], naive_forecast(X[100:], horizon=horizon)) >= 0.5  # naive lags the trend


def test_linear_model_seq2seq_shape():
    X, y = window_arrays(np.sin(np.arange(120.0) / 5), seq_len=8, horizon=2, sequence_targets=True)
    forecast = linear_window_forecast(X[:80], y[:80], X[80:], alpha=1e-3)
    assert forecast.shape == (len(X) - 80, 8, 2)


def test_forecast_bad_input():
    X = np.zeros((4, 5, 2))
    with pytest.raises(ValueError, match=r"seq_len=5 < season=7"):
        seasonal_naive_forecast(X, season=7)
    with pytest.raises(ValueError, match="window=6 > seq_len=5"):
        moving_average_forecast(X, window=6)
    with pytest.raises(ValueError, match="`horizon` expects a positive integer, got 0"):
        naive_forecast(X, horizon=0)
    with pytest.raises(ValueError, match="`target` expects an integer from 0 to 1, got 2"):
        naive_forecast(X, target=2)
    with pytest.raises(ValueError, match=r"\(n, seq_len, features\), got shape \(4, 5\)"):
        naive_forecast(X[..., 0])
    with pytest.raises(ValueError, match="3 targets for 4 windows"):
        linear_window_forecast(X, np.zeros(3), X)
    with pytest.raises(ValueError, match=r"window shape of X_train \(5, 2\), got \(4, 2\)"):
        linear_window_forecast(X, np.zeros(4), np.zeros((4, 4, 2)))


POSITIVE = ["a wonderful moving film", "great acting and a lovely story", "i loved it, wonderful",
            "lovely, great fun", "a great and moving story", "loved the wonderful cast"]
NEGATIVE = ["a dull boring film", "terrible acting and an awful story", "i hated it, boring",
            "awful, dull mess", "a terrible and boring story", "hated the awful cast"]


def test_bag_of_words_beats_chance_on_separable_corpus():
    texts, labels = POSITIVE + NEGATIVE, [1] * 6 + [0] * 6
    held_out = ["what a wonderful lovely film", "boring and awful", "great story, loved it", "dull, terrible"]
    held_out_labels = [1, 0, 1, 0]
    for tfidf in (True, False):
        model = bag_of_words_baseline(texts, labels, tfidf=tfidf)
        assert accuracy(held_out_labels, model.predict(held_out)) == 1.0
    chance = accuracy(held_out_labels, [majority_class(labels)] * 4)
    assert chance == 0.5
    assert list(model.named_steps) == ["vectorizer", "classifier"]


def test_majority_class():
    assert majority_class([0, 1, 1, 2, 1]) == 1
    assert majority_class(np.array([3, 3, 0, 0])) == 0  # tie -> smallest
    assert majority_class(["neg", "pos", "pos"]) == "pos"
    with pytest.raises(ValueError, match="empty"):
        majority_class([])


def test_bag_of_words_bad_input():
    with pytest.raises(ValueError, match="`train_texts` expects at least one text, got an empty list"):
        bag_of_words_baseline([], [])
    with pytest.raises(ValueError, match=r"`train_labels` expects as many elements as `train_texts` \(3\), got 2"):  # noqa: E501
        bag_of_words_baseline(["a", "b", "c"], [0, 1])
    with pytest.raises(TypeError, match=r"`train_texts` expects a str in every.* position 1: 3 \(int\)"):
        bag_of_words_baseline(["a", 3], [0, 1])
    with pytest.raises(ValueError, match="two classes"):
        bag_of_words_baseline(["a", "b"], [1, 1])


# ---------------------------------------------------------------------------------------------------------
# CharNGramModel
# ---------------------------------------------------------------------------------------------------------


def _brute_force_probability(counts, vocab_size, discount, context, char):
    """Interpolated absolute discounting written out from its definition, one probability at a time."""
    low = 1.0 / vocab_size if not context else _brute_force_probability(counts, vocab_size, discount,
                                                                        context[1:], char)
    grams = {g: c for g, c in counts.items() if len(g) == len(context) + 1 and g[:-1] == context}
    total = sum(grams.values())
    if total == 0:
        return low
    return (max(grams.get(context + (char,), 0) - discount, 0) + discount * len(grams) * low) / total


def test_char_ngram_matches_its_definition():
    import collections
    import os

    from rnncourse.baselines import CharNGramModel

    rng = np.random.default_rng(int(os.environ["RNNCOURSE_TEST_SEED"]))
    V, order, D = 5, 3, 0.6
    train = rng.integers(0, V, 400)
    train[::5] = 1  # some structure
    counts = collections.Counter()
    for k in range(order):
        for t in range(k, len(train)):
            counts[tuple(train[t - k:t + 1].tolist())] += 1
    model = CharNGramModel(order, V, discount=D).fit(train)
    test = rng.integers(0, V, 60)
    probs = 2.0 ** model.log2_probs(test)
    for t in range(len(test)):
        context = tuple(test[max(0, t - order + 1):t].tolist())
        assert probs[t] == pytest.approx(_brute_force_probability(counts, V, D, context, int(test[t])))
    assert model.bits_per_char(test) == pytest.approx(-np.mean(np.log2(probs)))


def test_char_ngram_probabilities_sum_to_one_over_the_vocabulary():
    from rnncourse.baselines import CharNGramModel

    rng = np.random.default_rng(0)
    V = 7
    train = rng.integers(0, V - 1, 300)      # id 6 never occurs in training
    for order in (1, 2, 4):
        model = CharNGramModel(order, V).fit(train)
        for context in ([], [0], [3, 2, 1], [6, 6, 6], list(train[:10])):
            dist = model.predict_proba(context)
            assert dist.shape == (V,) and dist.sum() == pytest.approx(1.0, abs=1e-12)
            assert (dist > 0).all()                      # smoothing: an unseen character keeps some mass
        # predict_proba agrees with log2_probs for the same context
        text = train[:20]
        for t in range(order, 20):
            assert 2.0 ** model.log2_probs(text)[t] == pytest.approx(model.predict_proba(text[:t])[text[t]])


def test_char_ngram_longer_context_helps_on_a_periodic_text_and_coverage():
    from rnncourse.baselines import CharNGramModel

    text = np.array([0, 1, 2, 3, 1, 2, 0] * 100)
    # after "1 2" comes 3 or 0: only a 4-gram ("0 1 2" -> 3, "3 1 2" -> 0) resolves it
    bits = [CharNGramModel(order, 4).fit(text).bits_per_char(text) for order in (1, 2, 4)]
    assert bits[0] > bits[1] > bits[2] and bits[2] < 0.2
    model = CharNGramModel(3, 4).fit(text)
    assert model.context_coverage(text) == 1.0
    assert model.context_coverage(np.array([3, 3, 3, 3])) == 0.0   # "3 3" never occurred


def test_char_ngram_bad_input():
    from rnncourse.baselines import CharNGramModel

    with pytest.raises(ValueError, match=r"CharNGramModel: `order` expects an integer from 1 to 8, got 0"):
        CharNGramModel(0, 10)
    with pytest.raises(ValueError, match=r"`discount` expects a finite number > 0 and < 1, got 1.0"):
        CharNGramModel(3, 10, discount=1.0)
    with pytest.raises(ValueError, match=r"`ids` expects ids from 0 to 9, got ids from 0 to 10"):
        CharNGramModel(3, 10).fit([0, 10, 1])
    with pytest.raises(RuntimeError, match="call fit"):
        CharNGramModel(3, 10).bits_per_char([1, 2])
    with pytest.raises(ValueError, match="at least order=3 characters"):
        CharNGramModel(3, 10).fit([1, 2])
    with pytest.raises(TypeError, match="1-D sequence of integer ids"):
        CharNGramModel(3, 10).fit("abc")
