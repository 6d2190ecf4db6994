"""Why does the MinGRU's loop cost more per step as sequences grow? The forward pass against the backward.

`benchmarks/scan_speed.py` found the sequential MinGRU (a loop of `keras.ops.scan`) slower per step at 4,096
steps than at 256, which a loop doing the same work at every step should not be. This script splits the
time: for the linear recurrence h_t = a_t * h_{t-1} + b_t (`rnncourse.min_rnn.linear_recurrence`, the
MinGRU's core, on given a_t and b_t), computed by the loop ("sequential") and by the associative scan
("parallel"), and for `keras.layers.GRU` on inputs of the same width, it times

- the forward pass alone, and
- the forward and backward pass (`tf.GradientTape`): for the recurrence, the gradient with respect to every
  a_t and b_t; for the GRU, with respect to its inputs and weights ("GRU"), and to its weights alone ("GRU,
  weights only": a GRU that reads the data, as the first layer of a model does, needs no more),

each compiled with `tf.function`, at several lengths and state widths. The table gives microseconds per time
step (the median of `--reps` calls after one that compiles): a loop that does the same work at every step
costs the same per step at every length.

Run it through tasks.py (it is not part of the test suite; about 90 s at the default sizes):

    python3 tasks.py benchmark loop_backward      # writes benchmarks/results/loop_backward.csv
    python3 tasks.py benchmark loop_backward --lengths 256,1024 --units 8 --out /tmp/loop.csv

TensorFlow only: the question is about TensorFlow's loop (`tf.while_loop`, which `keras.ops.scan` and
Keras's recurrent layers use on this backend).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np  # noqa: E402
from scan_speed import positive_ints  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "results" / "loop_backward.csv"
MODELS = ("loop", "scan", "GRU", "GRU, weights only")


def _passes(model: str, units: int):
    """The forward pass and the forward-and-backward pass of `model`, as compiled functions of (a, b)."""
    import keras
    import tensorflow as tf

    from rnncourse.min_rnn import linear_recurrence

    if model.startswith("GRU"):
        gru = keras.layers.GRU(units, return_sequences=True)
        gru.build((None, None, units))

        def forward(a, b):
            return gru(b)

        weights = gru.trainable_variables
        watched = [] if model == "GRU, weights only" else ["b"]
    else:
        mode = "sequential" if model == "loop" else "parallel"

        def forward(a, b):
            return linear_recurrence(a, b, mode=mode)

        weights = []
        watched = ["a", "b"]

    @tf.function
    def forward_only(a, b):
        return tf.reduce_sum(forward(a, b))

    @tf.function
    def forward_backward(a, b):
        inputs = [{"a": a, "b": b}[name] for name in watched]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(forward(a, b) ** 2)
        return tape.gradient(loss, [*inputs, *weights])

    return forward_only, forward_backward


def _seconds(function, a, b, reps: int) -> float:
    times = []
    for _ in range(reps + 1):  # the first call compiles
        start = time.perf_counter()
        result = function(a, b)
        for value in result if isinstance(result, list) else [result]:
            if value is not None:
                value.numpy()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def time_passes(lengths: list[int], widths: list[int], batch: int, reps: int) -> list[dict]:
    import tensorflow as tf

    rows = []
    for units in widths:
        for timesteps in lengths:
            rng = np.random.default_rng(0)
            a = tf.constant(rng.uniform(0.5, 1.0, (batch, timesteps, units)).astype("float32"))
            b = tf.constant(rng.normal(size=(batch, timesteps, units)).astype("float32"))
            for model in MODELS:
                forward_only, forward_backward = _passes(model, units)
                forward_us = 1e6 * _seconds(forward_only, a, b, reps) / timesteps
                both_us = 1e6 * _seconds(forward_backward, a, b, reps) / timesteps
                rows.append(
                    {
                        "units": units,
                        "timesteps": timesteps,
                        "model": model,
                        "forward us per step": forward_us,
                        "forward+backward us per step": both_us,
                    }
                )
                print(
                    f"units {units:4d}  T={timesteps:5d}  {model:17s} forward {forward_us:7.1f} us/step, "
                    f"forward+backward {both_us:7.1f} us/step",
                    flush=True,
                )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=positive_ints, default=[256, 1024, 4096], help="sequence lengths")
    parser.add_argument("--units", type=positive_ints, default=[8, 64], help="state widths")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--reps", type=int, default=5, help="timed calls per pass, model, width and length")
    parser.add_argument("--out", type=Path, default=TABLE, help="the CSV file to write")
    args = parser.parse_args(argv)

    from rnncourse.experiments import write_table

    start = time.perf_counter()
    rows = time_passes(args.lengths, args.units, args.batch, args.reps)
    wall = time.perf_counter() - start
    write_table(
        args.out,
        rows,
        written_by=" ".join(["benchmarks/loop_backward.py", *(sys.argv[1:] if argv is None else argv)]),
        wall_time=wall,
        recipe=f"h_t = a_t h_(t-1) + b_t by linear_recurrence (loop: mode='sequential', scan: 'parallel') "
        f"and keras.layers.GRU(units) on inputs of that width; batch {args.batch}; tf.function, forward "
        f"alone and with tf.GradientTape's gradient (GRU: inputs and weights; GRU, weights only); median of "
        f"{args.reps} calls after one that compiles",
        float_format="%.4g",
    )
    print(f"wrote {args.out} ({wall:.0f} s)")


if __name__ == "__main__":
    main()
