"""Notebook 4's regularisers, one at a time: does any of them help its vanilla RNN on the movie reviews?

Notebook 4 trains a ``VanillaRNN(32)`` on a 32-dimensional masked ``Embedding`` of the movie-review sentences
(Adam 2e-3, batches of 64, the stratified 70/15/15 split with seed 0, 10,000 tokens, 32 ids per sentence).
This study trains that model once per variant and seed, each variant changing one thing -- dropout on the
embedded tokens, ``dropout=`` or ``recurrent_dropout=`` on the recurrent layer, weight decay (``AdamW``), the
early-stopping rule -- and then the best of them together. Every run stops early on the validation data and
restores its best weights; it records the test accuracy, the validation and training accuracy of the
restored weights, the epochs run and the epoch kept. The table goes to ``studies/results/regularisers.csv``
(one row per variant, seed and metric) with its provenance in ``#`` lines at the top; notebook 4 reads it
with ``rnncourse.experiments.load_table(path, COLUMNS)`` and draws its verdicts from it.

    python3 tasks.py study regularisers --jobs 1                         # every variant, seeds 0 1 2
    python3 tasks.py study regularisers --variants none "embedding dropout 0.5" --seeds 0

Runs are independent; ``--jobs N`` trains N at once, each in its own process with one TensorFlow thread.
Finished runs are kept in ``studies/results/.regularisers_runs.jsonl`` so an interrupted study resumes
where it stopped; ``--fresh`` starts over.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict, dataclass
from functools import cache

from harness import RESULTS, ROOT, THREAD_ENV, finished_runs, run_all

TABLE = RESULTS / "regularisers.csv"
RUNS = RESULTS / ".regularisers_runs.jsonl"
COLUMNS = ("variant", "seed", "metric", "value")

# Notebook 4's recipe (sections 3 and 4).
SPLIT_SEED, MAX_TOKENS, SEQ_LEN = 0, 10_000, 32
EMBED_DIM, UNITS, BATCH_SIZE, LEARNING_RATE = 32, 32, 64, 2e-3
MAX_EPOCHS = 20


@dataclass(frozen=True)
class Variant:
    """One way of training notebook 4's model: its regularisers and its early-stopping rule."""

    embedding_dropout: float = 0.0  # keras.layers.Dropout on the embedded tokens
    dropout: float = 0.0  # VanillaRNN(dropout=): the recurrent layer's inputs
    recurrent_dropout: float = 0.0  # VanillaRNN(recurrent_dropout=): its previous state
    weight_decay: float = 0.0  # AdamW's decoupled weight decay (0: Adam)
    monitor: str = "val_accuracy"
    patience: int = 4


LOSS_RULE = {"monitor": "val_loss", "patience": 2}  # notebook 4's section 5 rule
VARIANTS = {
    "none, stop on val_loss (patience 2)": Variant(**LOSS_RULE),
    "none": Variant(),
    "embedding dropout 0.2": Variant(embedding_dropout=0.2),
    "embedding dropout 0.5": Variant(embedding_dropout=0.5),
    "dropout 0.3": Variant(dropout=0.3),
    "recurrent dropout 0.3": Variant(recurrent_dropout=0.3),
    "weight decay 1e-3": Variant(weight_decay=1e-3),
    "weight decay 1e-2": Variant(weight_decay=1e-2),
    "embedding dropout 0.5 + dropout 0.3": Variant(embedding_dropout=0.5, dropout=0.3),
    "embedding dropout 0.5 + dropout 0.3, stop on val_loss (patience 2)": Variant(
        embedding_dropout=0.5, dropout=0.3, **LOSS_RULE
    ),
    # notebook 4's first try (section 5): all three at once, with its stopping rule and with the other one
    "dropout 0.2 + recurrent dropout 0.2 + weight decay 1e-2, stop on val_loss (patience 2)": Variant(
        dropout=0.2, recurrent_dropout=0.2, weight_decay=1e-2, **LOSS_RULE
    ),
    "dropout 0.2 + recurrent dropout 0.2 + weight decay 1e-2": Variant(
        dropout=0.2, recurrent_dropout=0.2, weight_decay=1e-2
    ),
}


@cache
def _data():
    import numpy as np

    from rnncourse import datasets, text

    reviews = datasets.load_sentiment("movie_reviews")
    (train_texts, y_train), (val_texts, y_val), (test_texts, y_test) = text.stratified_split(
        reviews["text"].tolist(), reviews["label"].to_numpy(), val=0.15, test=0.15, seed=SPLIT_SEED
    )
    vectorizer = text.make_vectorizer(train_texts, max_tokens=MAX_TOKENS, seq_len=SEQ_LEN)
    x_train, x_val, x_test = (
        vectorizer(np.asarray(t, dtype=object)).numpy() for t in (train_texts, val_texts, test_texts)
    )
    return {
        "train": (x_train, y_train),
        "val": (x_val, y_val),
        "test": (x_test, y_test),
        "texts": (train_texts, test_texts),
        "vocab_size": vectorizer.vocabulary_size(),
    }


def bag_of_words() -> float:
    """The bag-of-words baseline's test accuracy on the same split (notebook 4, section 2)."""
    from rnncourse import baselines, metrics

    data = _data()
    (train_texts, test_texts), (_, y_train), (_, y_test) = data["texts"], data["train"], data["test"]
    model = baselines.bag_of_words_baseline(train_texts, y_train)
    return float(metrics.accuracy(y_test, model.predict(test_texts)))


def run_variant(name: str, seed: int) -> dict:
    """Train notebook 4's model as variant `name` with `seed`; return its scores and epochs."""
    import keras
    import numpy as np

    from rnncourse.experiments import fit_with_early_stopping
    from rnncourse.layers import VanillaRNN

    spec = VARIANTS[name]
    data = _data()
    (x, y), (x_val, y_val), (x_test, y_test) = data["train"], data["val"], data["test"]
    keras.backend.clear_session()  # runs share a worker process: start each from a clean slate
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((SEQ_LEN,), dtype="int64"),
              keras.layers.Embedding(data["vocab_size"], EMBED_DIM, mask_zero=True)]  # fmt: skip
    if spec.embedding_dropout:
        layers.append(keras.layers.Dropout(spec.embedding_dropout, seed=seed))
    layers += [
        VanillaRNN(UNITS, dropout=spec.dropout, recurrent_dropout=spec.recurrent_dropout, seed=seed),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
    model = keras.Sequential(layers)
    optimizer = (keras.optimizers.AdamW(LEARNING_RATE, weight_decay=spec.weight_decay) if spec.weight_decay
                 else keras.optimizers.Adam(LEARNING_RATE))  # fmt: skip
    model.compile(optimizer, "binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = fit_with_early_stopping(
        model,
        x,
        y,
        (x_val, y_val),
        monitor=spec.monitor,
        patience=spec.patience,
        max_epochs=MAX_EPOCHS,
        batch_size=BATCH_SIZE,
    )
    seconds = time.perf_counter() - start
    values = history.history[spec.monitor]
    kept = int(np.argmax(values) if spec.monitor.endswith("accuracy") else np.argmin(values)) + 1

    def accuracy(x_part, y_part):
        return float(model.evaluate(x_part, y_part, verbose=0, batch_size=256)[1])

    return {
        "variant": name,
        "seed": seed,
        "test accuracy": accuracy(x_test, y_test),
        "validation accuracy": accuracy(x_val, y_val),
        "train accuracy": accuracy(x, y),
        "epochs run": len(history.epoch),
        "epoch kept": kept,
        "s / epoch": seconds / len(history.epoch),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=None, help="default: every variant, in order")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once, one process each (default 1)")
    parser.add_argument("--fresh", action="store_true", help="forget finished runs and start over")
    args = parser.parse_args(argv)
    variants = args.variants or list(VARIANTS)
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; expected some of {list(VARIANTS)}")
    from rnncourse.experiments import NOTEBOOK_ENVIRONMENT

    os.environ.update({**NOTEBOOK_ENVIRONMENT, **THREAD_ENV})  # before TensorFlow is imported anywhere
    done = finished_runs(RUNS, ("variant", "seed"), fresh=args.fresh)
    todo = [(v, s) for v in variants for s in args.seeds if (v, s) not in done]
    wall = run_all(run_variant, todo, done, path=RUNS, jobs=args.jobs, describe=lambda run: (
        f"{run['variant']:40s} seed {run['seed']}: test {run['test accuracy']:.4f}, validation "
        f"{run['validation accuracy']:.4f}, {run['epochs run']} epochs (kept {run['epoch kept']}), "
        f"{run['s / epoch']:.2f} s/epoch"))  # fmt: skip

    import pandas as pd

    from rnncourse.experiments import write_table

    metrics = ("test accuracy", "validation accuracy", "train accuracy", "epochs run", "epoch kept",
               "s / epoch")  # fmt: skip
    order = list(VARIANTS)
    rows = [
        {"variant": v, "seed": s, "metric": metric, "value": run[metric]}
        for (v, s), run in sorted(done.items(), key=lambda item: (order.index(item[0][0]), item[0][1]))
        for metric in metrics
    ]
    rows.append({"variant": "bag of words", "seed": -1, "metric": "test accuracy", "value": bag_of_words()})
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    seeds = sorted({s for (_, s) in done})
    write_table(
        TABLE,
        table,
        written_by=" ".join(["studies/regularisers.py", *(sys.argv[1:] if argv is None else argv)]),
        wall_time=f"{wall:.0f} s for the {len(todo)} runs of this invocation; training time of all "
        f"{len(done)} runs {sum(r['s / epoch'] * r['epochs run'] for r in done.values()):.0f} s",
        recipe=f"notebook 4's VanillaRNN sentiment model, one change per variant: split seed {SPLIT_SEED}, "
        f"{MAX_TOKENS} tokens, {SEQ_LEN} ids, Embedding({EMBED_DIM}, mask_zero) -> [Dropout] -> "
        f"VanillaRNN({UNITS}) -> Dense(1, sigmoid), Adam/AdamW {LEARNING_RATE}, batch {BATCH_SIZE}, at most "
        f"{MAX_EPOCHS} epochs, best weights restored",
        provenance={
            "seeds": " ".join(map(str, seeds)),
            "threads": f"{args.jobs} run(s) at once, 1 thread each",
            "variants": "; ".join(
                f"{name}: " + ", ".join(f"{k} {v}" for k, v in asdict(spec).items())
                for name, spec in VARIANTS.items()
                if name in {v for (v, _) in done}
            ),
            "baseline rows": "variant 'bag of words', seed -1: TF-IDF of words and word pairs + logistic "
            "regression",
        },
    )
    print(f"wrote {TABLE.relative_to(ROOT)}: {len(table)} rows, seeds {seeds}, {wall:.0f} s")
    summary = (
        table[table["metric"].isin(["test accuracy", "epochs run"])]
        .groupby(["variant", "metric"], sort=False)["value"]
        .agg(["mean", "std", "min", "max"])
    )
    print(summary.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
