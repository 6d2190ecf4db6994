"""The data the exercise notebooks hand to the learner: the sentiment split of 04 and the results table of 05.

The sentiment sentences come in three parts: a training part and a test part (both with labels, for the
learner) and a held-out part that `sentiment_data` never returns, from which a teacher's key draws the
sentences the grader tests on (`rnncourse key`). The held-out part is still in the raw data set
(`rnncourse.datasets.load_sentiment`), so it is unseen only by a learner who does not go looking for it.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np

from rnncourse import reference
from rnncourse.exercises.checking import case_rng

__all__ = ["RECURRENT_KINDS", "SENTIMENT_MIN_ACCURACY", "example_results_table", "sentiment_data"]

#: Test accuracy the sentiment model of notebook 04 must reach.
SENTIMENT_MIN_ACCURACY = 0.72
#: The recurrent layers compared in notebook 05.
RECURRENT_KINDS = ("SimpleRNN", "LSTM", "GRU")
_HELD_OUT_FRACTION = 0.1
_TEST_FRACTION = 0.2
_SPLIT_SEED = 0
#: A teacher's grader gives its kernels only the learner's part of the sentiment data (train and test, from
#: `sentiment_split_json`) in the file this variable names, not the raw data set with the held-out sentences.
SPLIT_ENV = "RNNCOURSE_SENTIMENT_SPLIT"


@functools.lru_cache(maxsize=1)
def _sentiment_parts() -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    split = os.environ.get(SPLIT_ENV)
    if split:  # in a teacher's grader: the learner's part only
        data = json.loads(Path(split).read_text(encoding="utf-8"))
        parts = {p: (tuple(data[p]["texts"]), np.asarray(data[p]["labels"], dtype=np.int64)) for p in data}
        return {"held_out": ((), np.zeros(0, dtype=np.int64)), **parts}
    from sklearn.model_selection import train_test_split

    from rnncourse import datasets

    df = datasets.load_sentiment()
    texts, labels = list(df["text"]), df["label"].to_numpy()
    rest_x, held_x, rest_y, held_y = train_test_split(
        texts, labels, stratify=labels, test_size=_HELD_OUT_FRACTION, random_state=_SPLIT_SEED
    )
    train_x, test_x, train_y, test_y = train_test_split(
        rest_x, rest_y, stratify=rest_y, test_size=_TEST_FRACTION, random_state=_SPLIT_SEED
    )
    return {
        "train": (tuple(train_x), np.asarray(train_y)),
        "test": (tuple(test_x), np.asarray(test_y)),
        "held_out": (tuple(held_x), np.asarray(held_y)),
    }


def sentiment_data() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """The sentences of exercise 04: ``(train_texts, train_labels, test_texts, test_labels)``.

    Taught in: notebooks/exercises/04_sentiment_exercises.ipynb, section "Q4 (3 points) -- a sentiment model".

    From `rnncourse.datasets.load_sentiment` (movie reviews): 10% is held out for teachers' keys and never
    returned here; the rest is split 80/20, stratified, seed 0.

    Example:
        >>> train_texts, train_labels, test_texts, test_labels = sentiment_data()  # doctest: +SKIP
    """
    parts = _sentiment_parts()  # loaded once per process, so the grader keeps its own copy
    (train_x, train_y), (test_x, test_y) = parts["train"], parts["test"]
    return list(train_x), train_y.copy(), list(test_x), test_y.copy()


def sentiment_split_json() -> str:
    """The learner's part of the sentiment data (what `sentiment_data` returns) as the JSON text of a file
    for `SPLIT_ENV`, without the held-out sentences."""
    parts = _sentiment_parts()
    return json.dumps(
        {p: {"texts": list(parts[p][0]), "labels": [int(v) for v in parts[p][1]]} for p in ("train", "test")}
    )


def held_out_sentiment() -> tuple[list[str], np.ndarray]:
    """The held-out sentences and their labels (for `rnncourse key`; learners are not meant to use them)."""
    texts, labels = _sentiment_parts()["held_out"]
    return list(texts), labels.copy()


def random_results_table(rng: np.random.Generator):
    """A results table drawn from `rng`: exact parameter counts, random times and errors."""
    import pandas as pd

    rows = []
    for kind in RECURRENT_KINDS:
        for units in (16, 32, 64):
            rows.append(
                dict(
                    model=f"{kind}-{units}",
                    params=reference.recurrent_param_count(kind, 8, units) + units + 1,
                    seconds_per_epoch=round(float(rng.uniform(0.5, 6.0)), 2),
                    val_mae=round(float(rng.uniform(0.8, 2.0)), 3),
                )
            )
    shuffle_seed = int(rng.integers(1 << 30))
    return pd.DataFrame(rows).sample(frac=1.0, random_state=shuffle_seed).reset_index(drop=True)


def example_results_table(seed: int = 0):
    """A results table in the shape exercise 05 uses: columns ``model``, ``params``, ``seconds_per_epoch``,
    ``val_mae``; one row per recurrent layer (SimpleRNN, LSTM, GRU with 16, 32, 64 units on 8 features, plus
    a Dense(1) head).

    Taught in: notebooks/exercises/05_lstm_gru_exercises.ipynb, section "Q3 (2 points) -- choosing a model".

    The parameter counts are exact; the times and errors are random draws for the exercise, not
    measurements (notebook 05 measures the real ones).

    Example:
        >>> example_results_table().columns.tolist()
        ['model', 'params', 'seconds_per_epoch', 'val_mae']
    """
    return random_results_table(case_rng(seed, 599))
