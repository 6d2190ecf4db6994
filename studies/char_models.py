"""The cell x depth study of notebook 6: character language models on Shakespeare, over several seeds.

Each (cell, layers, seed) is trained with notebook 6's recipe -- the opening 20,000 characters of each of
the 34 training plays, windows of 100 characters in batches of 64, stateless and shuffled, Adam 3e-3 with
clipnorm 1, `rnncourse.language.char_model` -- and scored in bits per character on the opening 50,000
characters of each validation play (`language.model_bits_per_char`). The cells get similar recurrent
parameter counts at one layer (vanilla 256 units, LSTM 120, GRU 140); two layers stack two such layers. The
best n-gram on the same text is written beside them. The table goes to ``studies/results/char_models.csv``
(one row per cell, layers, seed and metric) with its provenance in ``#`` lines at the top.

    python3 tasks.py study char_models                        # 3 seeds, 3 cells, 1 and 2 layers, 3 epochs
    python3 tasks.py study char_models --epochs 6 --seeds 0 1 --cells vanilla lstm

Runs are independent; ``--jobs N`` trains N at once, each in its own process with one TensorFlow thread.

**Learning curves** (``--curve``): the same runs, scored on the validation *and* test text after every epoch
(columns ``epoch`` and ``units`` added), written to ``studies/results/char_curves.csv``: where each cell
crosses the n-gram, in epochs and CPU seconds. ``--units 256`` overrides the cell's default width.

**The long run** (``--long``): one model trained on *all* the training plays (4.56 million characters,
batches of 128 windows of 100), scored on the validation and test plays after every epoch, Adam's learning
rate halved whenever validation improves by less than 0.01 bits, stopped after two halvings in a row without
a gain, at ``--epochs``, or when ``--budget`` minutes have passed; the weights of the epoch best on
validation go to ``studies/results/char_best.keras`` (notebook 6 loads them), the curve to
``studies/results/char_long_run.csv``. It runs in one process with TensorFlow's default threads.

    python3 tasks.py study char_models --curve --epochs 12 --cells gru --units 256 --layers 1
    python3 tasks.py study char_models --long --cells gru --units 256 --layers 2 --epochs 16 --budget 75
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from harness import RESULTS, ROOT, THREAD_ENV

TABLE = RESULTS / "char_models.csv"
CURVES = RESULTS / "char_curves.csv"
LONG_RUN = RESULTS / "char_long_run.csv"
BEST_MODEL = RESULTS / "char_best.keras"
LONG_BATCH_SIZE = 128

TRAIN_CHARS_PER_PLAY, HELD_OUT_CHARS_PER_PLAY = 20_000, 50_000  # as in notebook 6
BATCH_SIZE, SEQ_LEN = 64, 100
UNITS = {"vanilla": 256, "lstm": 120, "gru": 140}  # similar recurrent parameter counts at one layer


def texts():
    from rnncourse import datasets
    from rnncourse.text import CharVocabulary

    plays = datasets.load_shakespeare()
    vocab = CharVocabulary("".join(plays["text"]))

    def opening(split, n):
        return vocab.encode("\n".join(t[:n] for t in plays.loc[plays["split"] == split, "text"]))

    return vocab, opening("train", TRAIN_CHARS_PER_PLAY), opening("validation", HELD_OUT_CHARS_PER_PLAY)


def held_out(split: str):
    """The opening characters of each play of a held-out split, as notebook 6 scores them."""
    from rnncourse import datasets
    from rnncourse.text import CharVocabulary

    plays = datasets.load_shakespeare()
    vocab = CharVocabulary("".join(plays["text"]))
    texts = plays.loc[plays["split"] == split, "text"]
    return vocab.encode("\n".join(t[:HELD_OUT_CHARS_PER_PLAY] for t in texts))


def all_training_text():
    from rnncourse import datasets
    from rnncourse.text import CharVocabulary

    plays = datasets.load_shakespeare()
    vocab = CharVocabulary("".join(plays["text"]))
    return vocab.encode("\n".join(plays.loc[plays["split"] == "train", "text"]))


def curve(
    cell: str,
    layers: int,
    seed: int,
    epochs: int,
    units: int | None = None,
    long: bool = False,
    budget_minutes: float | None = None,
    save: Path | None = None,
    on_epoch=None,
) -> list[dict]:
    """Train one model epoch by epoch, scoring validation and test after each; rows of the curve table.

    ``on_epoch(rows)``, if given, is called with the rows so far after every epoch (the long run writes its
    table then, so an interrupted run keeps what it has).
    """
    if not long:
        for name, value in THREAD_ENV.items():
            os.environ.setdefault(name, value)
    import keras
    import numpy as np

    from rnncourse import language
    from rnncourse.text import tbptt_batches

    vocab, train_ids, val_ids = texts()
    test_ids = held_out("test")
    batch_size = BATCH_SIZE
    if long:
        train_ids, batch_size = all_training_text(), LONG_BATCH_SIZE
    units = units or UNITS[cell]
    x, y = tbptt_batches(train_ids, batch_size, SEQ_LEN)
    keras.utils.set_random_seed(seed)
    model = language.char_model(vocab.size, units=units, cell=cell, num_layers=layers, batch_size=batch_size)
    rows, seconds, best, stalls = [], 0.0, np.inf, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        history = model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)
        seconds += time.perf_counter() - start
        val = language.model_bits_per_char(model, val_ids, batch_size=50, seq_len=500)
        test = language.model_bits_per_char(model, test_ids, batch_size=50, seq_len=500)
        rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        values = {
            "validation bits/char": val,
            "test bits/char": test,
            "training bits/char": history.history["loss"][-1] / np.log(2),
            "training seconds": seconds,
            "learning rate": rate,
            "params": model.count_params(),
        }
        rows += [
            dict(cell=cell, units=units, layers=layers, seed=seed, epoch=epoch, metric=k, value=float(v))
            for k, v in values.items()
        ]
        print(
            f"{cell}({units}) x{layers} seed {seed} epoch {epoch}: validation {val:.3f}, test {test:.3f}, "
            f"{seconds:.0f} s",
            flush=True,
        )
        if on_epoch is not None:
            on_epoch(rows)
        if long:
            if val < best - 0.01:
                stalls = 0
            else:
                stalls += 1
                model.optimizer.learning_rate.assign(rate / 2)
            if val < best and save is not None:
                model.save(save)
            best = min(best, val)
            # stop after two stalls, or when another epoch would pass the budget
            if stalls >= 2 or (budget_minutes and seconds * (epoch + 1) / epoch / 60 > budget_minutes):
                break
    return rows


def run(cell: str, layers: int, seed: int, epochs: int) -> list[dict]:
    for name, value in THREAD_ENV.items():
        os.environ.setdefault(name, value)
    import keras
    import numpy as np

    from rnncourse import language
    from rnncourse.text import tbptt_batches

    vocab, train_ids, val_ids = texts()
    x, y = tbptt_batches(train_ids, BATCH_SIZE, SEQ_LEN)
    keras.utils.set_random_seed(seed)
    model = language.char_model(
        vocab.size, units=UNITS[cell], cell=cell, num_layers=layers, batch_size=BATCH_SIZE
    )
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    bits = language.model_bits_per_char(model, val_ids, batch_size=50, seq_len=500)
    values = {
        "validation bits/char": bits,
        "training bits/char": history.history["loss"][-1] / np.log(2),
        "seconds per epoch": seconds / epochs,
        "params": model.count_params(),
    }
    return [dict(cell=cell, layers=layers, seed=seed, metric=k, value=float(v)) for k, v in values.items()]


def strip_optimizer(path: Path) -> None:
    """Save the model at `path` again without its optimizer state (Adam's moments triple the file)."""
    import keras

    trained = keras.saving.load_model(path)
    bare = trained.__class__.from_config(trained.get_config())  # built, not compiled: no optimizer
    bare.set_weights(trained.get_weights())
    bare.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cells", nargs="+", default=list(UNITS), choices=list(UNITS))
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--units", type=int, default=None, help="units per layer (default: per cell)")
    parser.add_argument("--curve", action="store_true", help="score after every epoch (char_curves.csv)")
    parser.add_argument(
        "--long",
        action="store_true",
        help="the long run on all training plays (char_long_run.csv, char_best.keras)",
    )
    parser.add_argument("--budget", type=float, default=None, help="minutes of training for --long")
    parser.add_argument(
        "--append",
        action="store_true",
        help="--curve: keep the runs already in char_curves.csv (other cells or seeds)",
    )
    args = parser.parse_args(argv)
    if args.long:
        THREAD_ENV.clear()  # one run: TensorFlow's default threads
    for name, value in {
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        **THREAD_ENV,
    }.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from rnncourse.baselines import CharNGramModel
    from rnncourse.experiments import load_table, write_table

    started = time.perf_counter()
    vocab, train_ids, val_ids = texts()
    ngram = {
        order: CharNGramModel(order, vocab.size).fit(train_ids).bits_per_char(val_ids)
        for order in range(3, 8)
    }
    best = min(ngram, key=ngram.get)
    rows = [dict(cell=f"{best}-gram", layers=0, seed=-1, metric="validation bits/char", value=ngram[best])]
    jobs = [(c, n, s, args.epochs) for s in args.seeds for c in args.cells for n in args.layers]
    table_path, task, before = TABLE, run, {}
    if args.curve or args.long:
        test_ids = held_out("test")
        train_for_ngram = all_training_text() if args.long else train_ids
        counted = CharNGramModel(best, vocab.size).fit(train_for_ngram)
        rows = [
            dict(
                cell=f"{best}-gram",
                units=0,
                layers=0,
                seed=-1,
                epoch=0,
                metric=metric,
                value=counted.bits_per_char(ids),
            )
            for metric, ids in [("validation bits/char", val_ids), ("test bits/char", test_ids)]
        ]
        table_path = LONG_RUN if args.long else CURVES
        if args.append and CURVES.exists():
            earlier, earlier_provenance = load_table(
                CURVES,
                ["cell", "units", "layers", "seed", "epoch", "metric", "value"],
                written_by="studies/char_models.py --curve",
            )
            rows += earlier[earlier["layers"] > 0].to_dict("records")
            before = earlier_provenance
        jobs = [
            (c, n, s, args.epochs, args.units, args.long, args.budget, BEST_MODEL if args.long else None)
            for s in args.seeds
            for c in args.cells
            for n in args.layers
        ]
        task = curve
    threads = (
        "TensorFlow's default threads, one run"
        if args.long
        else f"1 TensorFlow thread per run, {args.jobs} runs at once"
    )
    command = " ".join(["studies/char_models.py", *(argv if argv is not None else sys.argv[1:])])

    def write(table: pd.DataFrame, done: int) -> None:
        # Rewritten after every finished run, so an interrupted study keeps what it has (and says so);
        # --append: the earlier invocations' runs are in the table too, and their lines come first.
        write_table(
            table_path,
            table,
            written_by=command,
            wall_time=time.perf_counter() - started,
            earlier=before,
            provenance={
                "epochs": str(args.epochs),
                "threads": threads,
                "runs": f"{done} of {len(jobs)} finished",
            },
        )

    if args.long:  # one run, in this process, its table written after every epoch
        first = list(rows)
        for job in jobs:
            rows = first + curve(*job, on_epoch=lambda so_far: write(pd.DataFrame(first + so_far), 0))
            write(pd.DataFrame(rows), 1)
        strip_optimizer(BEST_MODEL)
        jobs = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(task, *job) for job in jobs]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            rows += result
            last = [r for r in result if r["metric"] == "validation bits/char"][-1]
            print(last["cell"], last["layers"], last["seed"], f"{last['value']:.3f} bits/char", flush=True)
            write(pd.DataFrame(rows), done)
    table = pd.DataFrame(rows)
    if args.curve or args.long:
        print(
            table.query("metric == 'validation bits/char'")
            .pivot_table(index="epoch", columns=["cell", "units", "layers"], values="value")
            .round(3)
        )
        return 0
    summary = table.query("metric == 'validation bits/char'").groupby(["cell", "layers"])["value"]
    print(summary.agg(["mean", "std", "min", "max"]).round(3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
