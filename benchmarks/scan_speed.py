"""How fast does a MinGRU train, in each of its three modes, compared with Keras's GRU, as sequences grow?

One process, the TensorFlow backend. Four models of the same shape -- `keras.layers.GRU(units)` and
`rnncourse.min_rnn.MinGRU(units, mode=...)` for the modes "parallel" (associative scan), "log" (the paper's
log-space scan) and "sequential" (a loop of `keras.ops.scan`), each followed by Dense(1) -- are compiled
the same way and trained on the same batch. For each sequence length, training steps
(`model.train_on_batch`, forward and backward) are timed in interleaved repetitions -- GRU, parallel, log,
sequential, GRU, ... -- so that a busy machine slows them alike, after one untimed step that compiles. The
table gives the median wall-clock and process CPU time per step, and each model's ratio to the GRU's
(below 1: faster than the GRU).

Run it through tasks.py (it is not part of the test suite; about 70 s at the default sizes):

    python3 tasks.py benchmark scan_speed          # writes benchmarks/results/scan_speed.csv
    python3 tasks.py benchmark scan_speed --lengths 64,1024 --reps 3 --out /tmp/scan.csv

What to expect on a CPU: a scan does more arithmetic than a loop (about 2 T log2 T multiplications for an
associative scan against T), and a CPU has few cores to spread it over, so the parallel forms need not
beat a loop there; what they remove is the T steps one after another, which is what a GPU is short of.
The committed table records what this machine measured.

Measured on 2026-12-06 (Keras 3.15.1, TensorFlow 2.21 CPU build, 2 Xeon cores shared with other work, load
about 5; default sizes, 5 steps each, 70 s in all), time per training step / GRU's:

    T        64     256    1024   4096
    parallel 1.06   0.95   0.68   0.90
    log      1.06   1.07   0.87   1.01
    loop     0.71   0.80   1.26   3.09      (MinGRU sequential: keras.ops.scan, one step at a time)

So on this CPU the scans cost about what the GRU's fused loop costs and no more as T grows, while the
`keras.ops.scan` loop falls behind at long sequences (in its backward pass: `benchmarks/loop_backward.py`):
the minGRU's advantage is that its work can be spread, and a 2-core CPU has little to spread it over. One
run on a busy machine: rerun before reading much into differences of 10 %.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "results" / "scan_speed.csv"
MODELS = ("GRU", "MinGRU parallel", "MinGRU log", "MinGRU sequential")


def positive_ints(text: str) -> list[int]:
    """An argparse type: "64,256,1024" as [64, 256, 1024] (loop_backward.py uses it too)."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values


def build(name: str, timesteps: int, features: int, units: int):
    import keras

    from rnncourse.min_rnn import MinGRU

    recurrent = keras.layers.GRU(units) if name == "GRU" else MinGRU(units, mode=name.split()[1])
    model = keras.Sequential([keras.Input((timesteps, features)), recurrent, keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def time_lengths(lengths: list[int], batch: int, features: int, units: int, reps: int) -> list[dict]:
    import keras

    rows = []
    for timesteps in lengths:
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(batch, timesteps, features)).astype("float32")
        y = rng.normal(size=(batch, 1)).astype("float32")
        models = {name: build(name, timesteps, features, units) for name in MODELS}
        for model in models.values():
            model.train_on_batch(x, y)  # compiles
        wall: dict[str, list[float]] = {name: [] for name in MODELS}
        cpu: dict[str, list[float]] = {name: [] for name in MODELS}
        for _ in range(reps):
            for name, model in models.items():
                start, start_cpu = time.perf_counter(), time.process_time()
                model.train_on_batch(x, y)
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
        gru_wall, gru_cpu = statistics.median(wall["GRU"]), statistics.median(cpu["GRU"])
        for name in MODELS:
            row = {
                "timesteps": timesteps,
                "model": name,
                "ms per step": 1000 * statistics.median(wall[name]),
                "cpu ms per step": 1000 * statistics.median(cpu[name]),
                "ratio to GRU": statistics.median(wall[name]) / gru_wall,
                "cpu ratio to GRU": statistics.median(cpu[name]) / gru_cpu,
            }
            rows.append(row)
            ratios = f"ratio {row['ratio to GRU']:.2f} (cpu {row['cpu ratio to GRU']:.2f})"
            print(f"T={timesteps:5d}  {name:18s} {row['ms per step']:9.1f} ms  {ratios}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lengths", type=positive_ints, default=[64, 256, 1024, 4096], help="sequence lengths"
    )
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--reps", type=int, default=5, help="timed steps per model and length")
    parser.add_argument("--out", type=Path, default=TABLE, help="the CSV file to write")
    args = parser.parse_args(argv)

    from rnncourse.experiments import write_table

    start = time.perf_counter()
    rows = time_lengths(args.lengths, args.batch, args.features, args.units, args.reps)
    wall = time.perf_counter() - start
    write_table(
        args.out,
        rows,
        written_by=" ".join(["benchmarks/scan_speed.py", *(sys.argv[1:] if argv is None else argv)]),
        wall_time=wall,
        recipe=f"one train_on_batch step of Input -> GRU({args.units}) or MinGRU({args.units}, mode) -> "
        f"Dense(1), Adam, MSE, batch {args.batch}, {args.features} features; median of {args.reps} "
        "interleaved steps after one that compiles; ratio = time / GRU's time at the same length",
        float_format="%.4g",
    )
    print(f"wrote {args.out} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
