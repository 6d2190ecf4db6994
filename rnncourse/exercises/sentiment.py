"""Checks of exercise notebook 04, sentiment: vectorizing by hand, a masked mean, the baseline, a model."""

from __future__ import annotations

import string

import numpy as np

from rnncourse.exercises.checking import CheckFailed, as_number_array, case_rng, compare_arrays, one_number
from rnncourse.exercises.data import SENTIMENT_MIN_ACCURACY, sentiment_data

_WORDS = (
    "the movie was great awful boring fun a plot actor film not very good bad i loved hated it "
    "and but story ending music slow brilliant"
).split()


def cases_vectorize(seed: int) -> list[dict]:
    rng = case_rng(seed, 401)
    cases = []
    for n_texts, seq_len, vocab_size in [(3, 6, 10), (4, 4, 15), (2, 12, 5)]:
        texts = []
        for _ in range(n_texts):
            words = list(rng.choice(_WORDS, size=int(rng.integers(1, 10))))
            words = [w.capitalize() if rng.random() < 0.3 else w for w in words]
            words = [w + str(rng.choice(list("!,.?"))) if rng.random() < 0.3 else w for w in words]
            texts.append(" ".join(words))
        chosen = [str(w) for w in rng.choice(_WORDS, size=vocab_size, replace=False)]
        cases.append(dict(texts=texts, vocab={w: i + 2 for i, w in enumerate(chosen)}, seq_len=seq_len))
    return cases


def token_ids(texts: list[str], vocab: dict[str, int], seq_len: int, strip: bool = True) -> np.ndarray:
    """What `TextVectorization(output_sequence_length=seq_len)` gives with vocabulary `vocab` (defaults:
    lowercase, strip punctuation, split on whitespace, 1 for unknown tokens, pad with 0 at the end)."""
    table = str.maketrans("", "", string.punctuation if strip else "")
    out = np.zeros((len(texts), seq_len), dtype=np.int64)
    for row, text in enumerate(texts):
        ids = [vocab.get(tok, 1) for tok in text.lower().translate(table).split()][:seq_len]
        out[row, : len(ids)] = ids
    return out


def check_vectorize(answer, case):
    texts, vocab, seq_len = case["texts"], case["vocab"], case["seq_len"]
    expected = token_ids(texts, vocab, seq_len)
    got = as_number_array(answer)
    if got.shape == expected.shape and np.issubdtype(np.asarray(answer).dtype, np.floating):
        raise CheckFailed("token ids should be integers, got floats")
    padded_at_start = np.stack([np.roll(r, seq_len - int(np.count_nonzero(r))) for r in expected])
    mistakes = {
        "did not strip punctuation (or did not lowercase)": token_ids(texts, vocab, seq_len, strip=False),
        "padded at the start; pad with 0 at the end": padded_at_start,
    }
    compare_arrays(
        got, expected, what=f"your ids (case seq_len={seq_len}, {len(texts)} texts)", mistakes=mistakes
    )


def cases_masked_mean(seed: int) -> list[dict]:
    rng = case_rng(seed, 402)
    cases = []
    for batch, steps, dim in [(2, 5, 3), (3, 4, 2), (1, 6, 4)]:
        ids = rng.integers(1, 9, (batch, steps))
        for row in range(batch):
            ids[row, int(rng.integers(1, steps)) :] = 0
        cases.append(dict(embeddings=rng.normal(size=(batch, steps, dim)), token_ids=ids))
    return cases


def check_masked_mean(answer, case):
    emb, ids = case["embeddings"], case["token_ids"]
    mask = (ids != 0)[..., None]
    mistakes = {
        "averaged over every position; leave out the padding (token id 0)": emb.mean(axis=1),
        "summed the kept vectors without dividing by how many there are": (emb * mask).sum(axis=1),
        "divided by the full length instead of the number of real tokens": (emb * mask).mean(axis=1),
    }
    compare_arrays(answer, (emb * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1), mistakes=mistakes)


def cases_majority_accuracy(seed: int) -> list[dict]:
    rng = case_rng(seed, 403)
    return [
        dict(
            train_labels=[int(v) for v in rng.random(n_train) < p],
            test_labels=[int(v) for v in rng.random(n_test) < 1 - p],
        )
        for n_train, n_test, p in [(50, 20, 0.7), (31, 9, 0.3), (40, 25, 0.55)]
    ]


def check_majority_accuracy(answer, case):
    from rnncourse import baselines

    train, test = np.asarray(case["train_labels"]), np.asarray(case["test_labels"])
    accuracy = float(np.mean(test == baselines.majority_class(train)))
    mistakes = {
        "took the majority class of the test labels; take it from the training labels": float(
            np.mean(test == baselines.majority_class(test))
        ),
        "returned a percentage; return a fraction between 0 and 1": 100 * accuracy,
    }
    compare_arrays(one_number(answer), accuracy, what="your accuracy", mistakes=mistakes)


def cases_predict_sentiment(seed: int) -> list[dict]:
    """The test part of `sentiment_data` (a teacher's key replaces it with held-out sentences); keys that
    start with ``_`` stay with the grader and are not passed to the learner's function."""
    _, _, test_texts, test_labels = sentiment_data()
    return [dict(texts=test_texts, _labels=test_labels)]


def check_predict_sentiment(answer, case):
    texts, labels = case["texts"], np.asarray(case["_labels"])
    got = as_number_array(answer, "your predictions")
    if got.shape not in {(len(texts),), (len(texts), 1)}:
        raise CheckFailed(
            f"predict_sentiment should return one number per text, shape ({len(texts)},); "
            f"got shape {got.shape}"
        )
    if not np.all(np.isfinite(got)) or got.min() < 0 or got.max() > 1:
        raise CheckFailed("return probabilities of the positive class (or 0/1 labels), between 0 and 1")
    accuracy = float(np.mean((got.ravel() >= 0.5).astype(int) == labels))
    if accuracy < SENTIMENT_MIN_ACCURACY:
        raise CheckFailed(f"test accuracy {accuracy:.3f} is below the required {SENTIMENT_MIN_ACCURACY:.2f}")
