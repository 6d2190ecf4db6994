"""Vanilla RNN, LSTM and GRU side by side: one recipe for every cell, four tasks, measured over seeds.

This is the experiment of notebook 5, written once so that the notebook's live runs and the full study in
``studies/compare_cells.py`` (which writes the committed table ``studies/results/compare_cells.csv``)
are the same code. Everything but the recurrent layer is fixed per task: one recurrent layer of
``UNITS`` units, the same inputs, Adam with ``clipnorm=1.0``, the same learning rate, batch size and epoch
budget, and early stopping on a validation set with the best weights restored
(``experiments.fit_with_early_stopping``).

The tasks (``TASKS``):

- ``recall``: ``datasets.make_delayed_recall`` at lag 30 without distractors; test accuracy (chance 1/8);
- ``adding``: ``datasets.make_adding_problem`` of length 100; test MAE (predicting the mean scores 1/3);
- ``ridership``: Chicago ridership one day ahead from 28-day windows, the recipe of notebook 3
  (``timeseries.make_forecast_data``, Huber loss); test MAE in thousands of riders, next to seasonal naive;
- ``sentiment``: the movie-review sentences of notebook 4 (``TextVectorization``, a masked ``Embedding``);
  test accuracy, next to the bag-of-words baseline.

Example:
    >>> result = run_task("recall", "GRU", seed=0, budget="smoke")
    >>> sorted(result)
    ['epochs', 'parameters', 's / epoch', 'test']
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import keras
import numpy as np
import pandas as pd

from rnncourse import arguments, baselines, datasets, experiments, metrics, text
from rnncourse.experiments import fit_with_early_stopping, format_spread
from rnncourse.layers import VanillaRNN
from rnncourse.min_rnn import MinGRU, MinLSTM
from rnncourse.timeseries import make_forecast_data

__all__ = ["CELLS", "MIN_CELLS", "TASKS", "UNITS", "Task", "make_cell", "run_task", "baseline",
           "load_results", "verdicts"]

UNITS = 32
CELLS = ("vanilla RNN", "LSTM", "GRU")
MIN_CELLS = ("minGRU", "minLSTM")  # notebook 8's minimal RNNs (rnncourse.min_rnn), also taken by run_task
BUDGETS = ("full", "smoke")
RESULT_COLUMNS = ("task", "cell", "seed", "metric", "value")  # the columns of compare_cells.csv


@dataclass(frozen=True)
class Task:
    """One task of the comparison: its training budget (the same for every cell), its data, head and score.

    Taught in: none of the notebooks (library only; see docs/library.md).

    The fields are the recipe shown in notebook 5; each task (a subclass) brings its own data (``data``),
    output layer and loss (``head``, ``loss``), test score (``score``) and baseline (``baseline_score``).
    """

    name: str
    metric: str  # what "test" means: "accuracy" (higher is better) or "MAE" (lower is better)
    learning_rate: float
    batch_size: int
    max_epochs: int
    patience: int
    monitor: str
    baseline: str  # the baseline to beat, named

    loss: ClassVar[str] = "huber"
    embedding: ClassVar[bool] = False  # integer token ids in, through a masked Embedding

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher test score is better (accuracy) or a lower one (MAE)."""
        return self.metric == "accuracy"

    @property
    def monitor_higher_is_better(self) -> bool:
        """Whether the monitored validation value improves upwards (accuracy) or downwards (loss, MAE)."""
        return self.monitor.endswith("accuracy")

    def data(self, seed: int) -> tuple[tuple, tuple, tuple]:
        """``((x, y), (x_val, y_val), (x_test, y_test))``; ``seed`` draws the synthetic tasks' sequences."""
        raise NotImplementedError

    def head(self) -> keras.layers.Layer:
        """The output layer after the recurrent one."""
        return keras.layers.Dense(1)

    def score(self, y_test, predictions: np.ndarray) -> float:
        """The test score, ``metric``, of the model's ``predictions`` on ``x_test``, in the data's units."""
        return metrics.mae(y_test, predictions[:, 0])

    def baseline_score(self) -> float:
        """The baseline's test score on the same test data."""
        raise NotImplementedError


class _Recall(Task):
    loss = "sparse_categorical_crossentropy"

    def data(self, seed):
        return _recall_data(seed)

    def head(self):
        return keras.layers.Dense(8, activation="softmax")

    def score(self, y_test, predictions):
        return metrics.accuracy(y_test, predictions.argmax(axis=-1))

    def baseline_score(self):
        return 1 / 8


class _Adding(Task):
    def data(self, seed):
        return _adding_data(seed)

    def baseline_score(self):
        (_, y_train), _, (_, y_test) = _adding_data(0)
        return metrics.mae(y_test, np.full_like(y_test, y_train.mean()))


class _Ridership(Task):
    def data(self, seed):
        data = _ridership_data()
        return tuple(data.windows(part) for part in data.PARTS)

    def score(self, y_test, predictions):  # in thousands of riders, not in the scaled units of y_test
        data = _ridership_data()
        return metrics.mae(data.truth("test"), data.unscale(predictions[:, 0]))

    def baseline_score(self):
        data = _ridership_data()
        seasonal = baselines.seasonal_naive_forecast(data.X_test, season=7)
        return metrics.mae(data.truth("test"), data.unscale(seasonal))


class _Sentiment(Task):
    loss = "binary_crossentropy"
    embedding = True

    def data(self, seed):
        data = _sentiment_data()
        return data["train"], data["val"], data["test"]

    def head(self):
        return keras.layers.Dense(1, activation="sigmoid")

    def score(self, y_test, predictions):
        return metrics.accuracy(y_test, (predictions[:, 0] > 0.5).astype(int))

    def baseline_score(self):
        data = _sentiment_data()
        (train_texts, test_texts), (_, y_train), (_, y_test) = data["texts"], data["train"], data["test"]
        bag_of_words = baselines.bag_of_words_baseline(train_texts, y_train)
        return metrics.accuracy(y_test, bag_of_words.predict(test_texts))


# The memory tasks start on a plateau (chance, or predicting the mean) that early stopping would mistake for
# convergence: they train for their whole budget (patience = max_epochs) and keep the best validation epoch.
TASKS: dict[str, Task] = {
    "recall": _Recall("recall", "accuracy", 1e-2, 32, 8, 8, "val_accuracy", "chance (1/8)"),
    "adding": _Adding("adding", "MAE", 2e-2, 32, 10, 10, "val_mae", "predict the mean"),
    "ridership": _Ridership("ridership", "MAE", 3e-3, 64, 30, 5, "val_mae", "seasonal naive"),
    "sentiment": _Sentiment("sentiment", "accuracy", 2e-3, 64, 8, 2, "val_loss", "bag of words"),
}

RECALL_LAG, RECALL_TRAIN = 30, 2000
ADD_LEN, ADD_TRAIN = 100, 4000
HELD_OUT = 1000  # validation and test sequences of the synthetic tasks
FORECAST_SEQ_LEN = 28  # four weeks, as in notebook 3
TEXT_LEN, VOCAB, EMBED_DIM = 32, 10_000, 32


def make_cell(kind: str, units: int = UNITS, **kwargs) -> keras.layers.Layer:
    """The recurrent layer under test: vanilla RNN, LSTM, GRU (``CELLS``) or a minimal RNN (``MIN_CELLS``).

    Taught in: notebooks/05_lstm_gru.ipynb, section "1. Inside the cells: gates and the additive path".

    Args:
        kind: one of ``CELLS`` or ``MIN_CELLS`` (``"minGRU"``: ``rnncourse.min_rnn.MinGRU``, ``"minLSTM"``:
            ``MinLSTM``).
        units: size of the hidden state. Default: ``UNITS`` (32).
        **kwargs: passed on to the layer (e.g. ``return_sequences=True``).

    Returns:
        A new, unbuilt Keras layer.

    Raises:
        KeyError: for an unknown ``kind`` (``rnncourse.arguments.UnknownNameError``).

    Example:
        >>> make_cell("LSTM").units
        32
    """
    layers = {"vanilla RNN": VanillaRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU,
              "minGRU": MinGRU, "minLSTM": MinLSTM}
    return layers[arguments.one_of(kind, "kind", layers, where="make_cell")](units, **kwargs)


# ------------------------------------------------------------------------------------------------ data
@cache
def _recall_data(seed: int):
    return tuple(
        datasets.make_delayed_recall(n, lag=RECALL_LAG, distractors=False, seed=1000 * k + seed)
        for k, n in enumerate((RECALL_TRAIN, HELD_OUT, HELD_OUT))
    )


@cache
def _adding_data(seed: int):
    return tuple(
        datasets.make_adding_problem(n, seq_len=ADD_LEN, seed=1000 * k + seed)
        for k, n in enumerate((ADD_TRAIN, HELD_OUT, HELD_OUT))
    )


@cache
def _ridership_data():
    rides = datasets.load_chicago_ridership()[["ridership"]]
    return make_forecast_data(rides, seq_len=FORECAST_SEQ_LEN)


@cache
def _sentiment_data():
    reviews = datasets.load_sentiment("movie_reviews")
    (tr_text, tr_y), (va_text, va_y), (te_text, te_y) = text.stratified_split(
        reviews["text"].tolist(), reviews["label"].to_numpy(), val=0.15, test=0.15, seed=0
    )
    vectorizer = text.make_vectorizer(tr_text, max_tokens=VOCAB, seq_len=TEXT_LEN)

    def ids(texts):
        return vectorizer(np.asarray(texts, dtype=object)).numpy()

    return {
        "train": (ids(tr_text), tr_y),
        "val": (ids(va_text), va_y),
        "test": (ids(te_text), te_y),
        "texts": (tr_text, te_text),
        "vocab_size": vectorizer.vocabulary_size(),
    }


def baseline(task: str) -> float:
    """The test score of the task's baseline (``Task.baseline``), on the same test data as the cells.

    Taught in: notebooks/08_parallel_recurrence.ipynb, section "5. What the simplification costs".

    Args:
        task: one of ``TASKS``.

    Returns:
        Accuracy or MAE, as the task's ``metric`` (ridership in thousands of riders).

    Raises:
        KeyError: for an unknown ``task`` (``rnncourse.arguments.UnknownNameError``).

    Example:
        >>> round(baseline("recall"), 3)
        0.125
    """
    return float(TASKS[arguments.one_of(task, "task", TASKS, where="baseline")].baseline_score())


# --------------------------------------------------------------------------------------------- training
def _model(task: Task, kind: str, x: np.ndarray, units: int = UNITS, layers_: int = 1,
           options: dict | None = None) -> keras.Model:
    layers: list = [keras.Input(x.shape[1:], dtype="int64" if task.embedding else "float32")]
    if task.embedding:
        layers.append(keras.layers.Embedding(_sentiment_data()["vocab_size"], EMBED_DIM, mask_zero=True))
    metric = "accuracy" if task.higher_is_better else "mae"
    name = f"{task.name}_{kind.replace(' ', '_')}"
    options = options or {}
    stack = [make_cell(kind, units, return_sequences=True, **options) for _ in range(layers_ - 1)]
    model = keras.Sequential([*layers, *stack, make_cell(kind, units, **options), task.head()], name=name)
    model.compile(keras.optimizers.Adam(task.learning_rate, clipnorm=1.0), loss=task.loss, metrics=[metric])
    return model


class _StopWhenSolved(keras.callbacks.Callback):
    """Stop once the task's monitored value passes a threshold: a solved task needs no more epochs."""

    def __init__(self, task: Task, threshold: float):
        super().__init__()
        self.task, self.threshold = task, threshold

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.task.monitor)
        if value is None:
            return
        if value >= self.threshold if self.task.monitor_higher_is_better else value <= self.threshold:
            self.model.stop_training = True


def run_task(
    task: str,
    cell: str,
    seed: int,
    budget: str = "full",
    return_model: bool = False,
    solved_at: float | None = None,
    units: int = UNITS,
    layers: int = 1,
    cell_options: dict | None = None,
    epochs: int | None = None,
):
    """Train one cell on one task with one seed, using the task's recipe, and measure it.

    Taught in: notebooks/05_lstm_gru.ipynb, section "2. One recipe for every cell".

    Args:
        task: one of ``TASKS`` (``"recall"``, ``"adding"``, ``"ridership"``, ``"sentiment"``).
        cell: one of ``CELLS`` or ``MIN_CELLS``.
        seed: seeds the weights, the batch order and (synthetic tasks) the data.
        budget: ``"full"`` (the task's epoch budget) or ``"smoke"`` (one epoch, a tenth of the data: for
            tests). Default: ``"full"``.
        return_model: also return the trained model. Default: ``False``.
        solved_at: stop as soon as the validation value that the task monitors (``Task.monitor``) reaches
            this value (at least it for an accuracy, at most for a loss or an error): notebook 5 uses it to
            keep its live runs short. Default: ``None`` (the task's whole budget, as in the committed table).
        units: units of each recurrent layer. Default: ``UNITS`` (32, as in the committed table).
        layers: recurrent layers stacked (all but the last return sequences). Default: ``1``.
        cell_options: more arguments for each recurrent layer, e.g. ``{"mode": "sequential"}`` for a
            minimal RNN. Default: ``None``.
        epochs: train this many epochs instead of the task's ``max_epochs`` (patience grows with it, so a
            memory task still trains for all of them). Default: ``None`` (the task's budget).

    Returns:
        ``{"test": score, "epochs": epochs run, "s / epoch": mean training seconds per epoch,
        "parameters": count}`` (and the model, as ``(result, model)``, with ``return_model=True``). The
        score is the task's ``metric`` on its test data, in the data's own units.

    Raises:
        KeyError: for an unknown task, cell or budget (``rnncourse.arguments.UnknownNameError``).

    Example:
        >>> result = run_task("adding", "vanilla RNN", seed=0, budget="smoke")
        >>> result["epochs"], result["parameters"]
        (1, 1153)
    """
    spec = TASKS[arguments.one_of(task, "task", TASKS, where="run_task")]
    arguments.one_of(cell, "cell", (*CELLS, *MIN_CELLS), where="run_task")
    units = arguments.positive_int(units, "units", "run_task")
    layers = arguments.positive_int(layers, "layers", "run_task")
    if cell_options is not None and not isinstance(cell_options, dict):
        raise TypeError(arguments.message("cell_options", "a dict of layer arguments or None",
                                          type(cell_options).__name__, "run_task"))
    max_epochs, patience = spec.max_epochs, spec.patience
    if epochs is not None:
        max_epochs = arguments.positive_int(epochs, "epochs", "run_task")
        if patience == spec.max_epochs:  # a task that trains its whole budget still does
            patience = max_epochs
    smoke = arguments.one_of(budget, "budget", BUDGETS, where="run_task") == "smoke"
    keras.utils.set_random_seed(seed)
    (x, y), (x_val, y_val), (x_test, y_test) = spec.data(seed)
    model = _model(spec, cell, x, units, layers, cell_options)
    if smoke:
        x, y = x[: len(x) // 10], y[: len(y) // 10]
    stop = [] if solved_at is None else [_StopWhenSolved(spec, solved_at)]
    start = time.perf_counter()
    history = fit_with_early_stopping(
        model, x, y, (x_val, y_val), monitor=spec.monitor, patience=patience,
        max_epochs=1 if smoke else max_epochs, batch_size=spec.batch_size, callbacks=stop,
    )  # fmt: skip
    seconds, epochs = time.perf_counter() - start, len(history.epoch)
    predictions = keras.ops.convert_to_numpy(model(x_test, training=False))  # (no retracing of predict)
    result = {
        "test": float(spec.score(y_test, predictions)),
        "epochs": epochs,
        "s / epoch": seconds / epochs,
        "parameters": int(model.count_params()),
    }
    return (result, model) if return_model else result


def load_results(path=None, columns: Sequence[str] = RESULT_COLUMNS) -> tuple[pd.DataFrame, dict]:
    """Read a results table written by ``studies/compare_cells.py``: the rows and the provenance.

    Taught in: none of the notebooks (library only; see docs/library.md).

    ``experiments.load_table`` with this table's path and columns filled in (notebook 05 calls
    ``load_table`` itself, as every notebook reads every study table). The other studies of ``studies/``
    write their tables in the same form (``#`` provenance lines, then one row per seed and metric).

    Args:
        path: the CSV file. Default: ``None``, the committed table ``studies/results/compare_cells.csv`` of
            the repository this package was installed from (a clone; the table is not part of the wheel).
        columns: the columns the table must have, in order. Default: ``RESULT_COLUMNS``, those of
            ``studies/compare_cells.py`` (``task, cell, seed, metric, value``).

    Returns:
        ``(results, provenance)``: a tidy DataFrame with ``columns`` and a
        dict of the ``# key: value`` lines at the top of the file (versions, CPU, date, wall time, seeds).

    Raises:
        FileNotFoundError: if the file does not exist (for the default: outside a clone of the course).
        ValueError: if its columns are not ``columns``.

    Example:
        >>> results, provenance = load_results()
        >>> list(results.columns), "seeds" in provenance
        (['task', 'cell', 'seed', 'metric', 'value'], True)
    """
    if path is None:
        path = experiments.STUDY_RESULTS / "compare_cells.csv"
        if not path.is_file():
            raise FileNotFoundError(
                f"load_results expects the committed table of a clone of the course at {path}, got no file "
                "there; pass path= to a table written by studies/compare_cells.py"
            )
    expected = arguments.texts(columns, "columns", where="load_results")  # column names: a list of str
    return experiments.load_table(path, expected, written_by="studies/compare_cells.py or another study")


def verdicts(results: pd.DataFrame, digits: int = 2) -> dict[str, str]:
    """One sentence per task, drawn from a comparison table: who is best, who is clearly behind, the baseline.

    Taught in: notebooks/05_lstm_gru.ipynb, section "7. The whole comparison, five seeds".

    "Clearly" means the ranges over the seeds do not overlap: every seed of the better cell beats every seed
    of the other. Cells whose ranges overlap are called level with each other. A cell beats the baseline "on
    every seed" or "on the mean only" (better by more than 5 % of the baseline), or not at all.

    Args:
        results: the table of ``load_results`` (columns ``task, cell, seed, metric, value``).
        digits: decimals in the numbers quoted. Default: ``2``.

    Returns:
        ``{task: sentence}`` in the order of ``TASKS``, for the tasks present in ``results``.

    Raises:
        ValueError: if ``results`` has no ``test`` rows.

    Example:
        >>> rows = [("recall", c, s, "test", v) for c, vals in
        ...         [("vanilla RNN", [1.0, 1.0]), ("LSTM", [0.99, 1.0]), ("GRU", [0.13, 0.12])]
        ...         for s, v in enumerate(vals)] + [("recall", "baseline", -1, "test", 0.125)]
        >>> table = pd.DataFrame(rows, columns=["task", "cell", "seed", "metric", "value"])
        >>> for part in verdicts(table)["recall"].split("; "):
        ...     print(part)
        recall (accuracy, 2 seeds): best vanilla RNN 1.00 ± 0.00
        level with it: LSTM 0.99 ± 0.01
        clearly behind: GRU 0.12 ± 0.01
        baseline chance (1/8) 0.12: beaten on every seed by vanilla RNN, LSTM.
    """
    tests = results[results["metric"] == "test"]
    if tests.empty:
        raise ValueError("verdicts expects a comparison table with 'test' rows, got none")
    sentences = {}
    for name, task in TASKS.items():
        rows = tests[tests["task"] == name]
        if rows.empty:
            continue
        sign = 1 if task.higher_is_better else -1
        cells = {c: rows[rows["cell"] == c]["value"] for c in CELLS if (rows["cell"] == c).any()}
        best = max(cells, key=lambda c: sign * cells[c].mean())
        worst_of_best = (cells[best] * sign).min()
        behind = [c for c in cells if c != best and (cells[c] * sign).max() < worst_of_best]
        level = [c for c in cells if c != best and c not in behind]
        n_seeds = len(cells[best])
        spread = {c: f"{c} {format_spread(cells[c], digits, with_range=False)}" for c in cells}
        parts = [f"{name} ({task.metric}, {n_seeds} seeds): best {spread[best]}"]
        if level:
            parts.append("level with it: " + ", ".join(spread[c] for c in level))
        if behind:
            parts.append("clearly behind: " + ", ".join(spread[c] for c in behind))
        sentence = "; ".join(parts)
        base = rows[rows["cell"] == "baseline"]["value"]
        if not base.empty:
            base_value = float(base.iloc[0])
            # "beaten" means better by more than 5 % of the baseline: a cell level with it has not beaten it
            margin = 0.05 * abs(base_value)
            every = [c for c in cells if (sign * (cells[c] - base_value)).min() > margin]
            on_mean = [c for c in cells if c not in every and sign * (cells[c].mean() - base_value) > margin]
            text = f"; baseline {task.baseline} {base_value:.{digits}f}: "
            if every:
                text += "beaten on every seed by " + ", ".join(every)
            if on_mean:
                text += (", " if every else "") + "beaten on the mean only by " + ", ".join(on_mean)
            if not every and not on_mean:
                text += "not beaten by any cell"
            sentence += text
        sentences[name] = sentence + "."
    return sentences
