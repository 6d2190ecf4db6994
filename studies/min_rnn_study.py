"""Notebook 8's study: what the minimal GRU's simplification costs, on notebook 5's adding problem and on
notebook 6's character model, at a similar parameter count and at equal training time, over several seeds.

**Adding** (``--part adding``): `rnncourse.comparison.run_task("adding", ...)`, notebook 5's recipe (4,000
sequences of 100 steps, Adam 2e-2, batch 32, the best validation epoch kept), for `GRU(32)` (10 epochs, the
committed table's budget), `minGRU(32)` for the same 10 epochs, and `minGRU(32)` for 20 epochs (at
least the GRU's time on this CPU; the table records the seconds of every run). The minGRU trains in mode
"sequential", the fastest on a CPU (the mode changes how the recurrence is computed, not the model).

**Characters** (``--part chars``): `rnncourse.language.char_model` with notebook 6's recipe (the opening
20,000 characters of each training play, windows of 100 in batches of 64, Adam 3e-3, clipnorm 1), a
`GRU(140)` (86,747 parameters) against two stacked `MinGRU(180)` layers (93,867), trained epoch by epoch
*interleaved* -- a GRU epoch, then a minGRU epoch -- so that a busy machine slows both alike; after every
epoch both are scored in bits per character on the opening 50,000 characters of each validation and test
play, and the cumulative training wall-clock and process CPU seconds are recorded. Equal time is then read
off the curves.

    python3 tasks.py study min_rnn_study      # both parts, seeds 0 1 2 (about 25 minutes)
    python3 tasks.py study min_rnn_study --part chars --seeds 0 --epochs 2 --out /tmp/study.csv

The table goes to ``studies/results/min_rnn_study.csv`` (columns task, model, seed, epoch, metric, value;
epoch 0 for a whole run) with its provenance in ``#`` lines at the top (`experiments.write_table`); notebook 8
reads it with `rnncourse.experiments.load_table`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from harness import RESULTS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TABLE = RESULTS / "min_rnn_study.csv"
COLUMNS = ["task", "model", "seed", "epoch", "metric", "value"]
CHAR_MODELS = {
    "GRU(140)": dict(cell="gru", units=140, num_layers=1),
    "minGRU(180) x2": dict(cell="mingru", units=180, num_layers=2, mode="sequential"),
}
ADDING_RUNS = {"GRU(32)": ("GRU", 10), "minGRU(32)": ("minGRU", 10), "minGRU(32), 20 epochs": ("minGRU", 20)}


def adding(seed: int) -> list[dict]:
    from rnncourse import comparison

    rows = []
    for name, (cell, epochs) in ADDING_RUNS.items():
        options = {"mode": "sequential"} if cell.startswith("min") else None
        result = comparison.run_task("adding", cell, seed, cell_options=options, epochs=epochs)
        seconds = result["s / epoch"] * result["epochs"]
        values = {
            "test MAE": result["test"],
            "epochs": result["epochs"],
            "training seconds": seconds,
            "parameters": result["parameters"],
        }
        rows += [
            dict(task="adding", model=name, seed=seed, epoch=0, metric=k, value=float(v))
            for k, v in values.items()
        ]
        print(f"adding {name} seed {seed}: test MAE {result['test']:.4f}, {seconds:.0f} s", flush=True)
    return rows


def chars(seed: int, epochs: int) -> list[dict]:
    import keras
    from char_models import BATCH_SIZE, SEQ_LEN, held_out, texts  # notebook 6's text and windows

    from rnncourse import language
    from rnncourse.text import tbptt_batches

    vocab, train_ids, val_ids = texts()
    scored = {"validation": val_ids, "test": held_out("test")}
    x, y = tbptt_batches(train_ids, BATCH_SIZE, SEQ_LEN)
    models, clocks = {}, {}
    for name, recipe in CHAR_MODELS.items():
        keras.utils.set_random_seed(seed)
        models[name] = language.char_model(vocab.size, **recipe)
        clocks[name] = [0.0, 0.0]
    rows = []
    for epoch in range(1, epochs + 1):
        for name, model in models.items():
            keras.utils.set_random_seed(1000 * seed + epoch)  # the same batch order for both models
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
            clocks[name][0] += time.perf_counter() - wall
            clocks[name][1] += time.process_time() - cpu
            values = {
                f"{split} bits/char": language.model_bits_per_char(model, ids, batch_size=50, seq_len=500)
                for split, ids in scored.items()
            }
            values.update(
                {
                    "training seconds": clocks[name][0],
                    "training cpu seconds": clocks[name][1],
                    "parameters": model.count_params(),
                }
            )
            rows += [
                dict(task="chars", model=name, seed=seed, epoch=epoch, metric=k, value=float(v))
                for k, v in values.items()
            ]
            print(
                f"chars {name} seed {seed} epoch {epoch}: validation {values['validation bits/char']:.3f}, "
                f"{clocks[name][0]:.0f} s",
                flush=True,
            )
    return rows


def write(rows: list[dict], path: Path, argv: list[str], seconds: float) -> None:
    from rnncourse.experiments import write_table

    write_table(
        path,
        rows,
        columns=COLUMNS,
        written_by=" ".join(["studies/min_rnn_study.py", *argv]),
        wall_time=seconds,
        recipe="adding: comparison.run_task('adding', ...), minGRU mode 'sequential'; chars: "
        "language.char_model, notebook 6's data and recipe, GRU(140) and minGRU(180) x2 (mode 'sequential') "
        "trained epoch by epoch interleaved, seconds cumulative",
        provenance={"threads": "TensorFlow's default threads, one run at a time"},
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["adding", "chars", "both"], default="both")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=8, help="character-model epochs (default 8)")
    parser.add_argument("--out", type=Path, default=TABLE)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs expects a positive integer, got {args.epochs}")
    start, rows = time.perf_counter(), []
    for seed in args.seeds:
        if args.part in ("adding", "both"):
            rows += adding(seed)
        if args.part in ("chars", "both"):
            rows += chars(seed, args.epochs)
        write(rows, args.out, argv, time.perf_counter() - start)  # a partial table survives an interruption
    print(f"wrote {args.out} ({len(rows)} rows, {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
