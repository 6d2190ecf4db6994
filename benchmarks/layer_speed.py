"""How fast does VanillaRNN train compared with Keras's own SimpleRNN?

Both layers are put in the same small model (RNN -> Dense(1)), given the same weights, compiled the same
way and trained on the same batch in one process. Training steps (`model.train_on_batch`) are timed in
interleaved repetitions -- SimpleRNN, VanillaRNN, SimpleRNN, ... -- so that a busy machine slows both
alike. The table reports the median wall-clock time per step and the ratio VanillaRNN / SimpleRNN, both
for wall-clock time and for the CPU time of the process (which waiting for a busy core does not inflate),
and the number of operations in each layer's forward + backward TensorFlow graph.

Run it from the repository root (it is not part of the test suite):

    .venv/bin/python benchmarks/layer_speed.py                  # the default shapes
    .venv/bin/python benchmarks/layer_speed.py --reps 15 --steps 10
    .venv/bin/python benchmarks/layer_speed.py --shape 64,100,16,64 --shape 64,500,16,64

A ratio near 1.0 is expected: both layers run the same time loop (`keras.layers.RNN`) and the same
operations per step (the graph-op column shows the counts are equal). On a shared machine single timings
wander, so run it a couple of times and trust the CPU-time ratio more than the wall-clock one.

A tempting speed-up was measured and rejected: computing x_t · W_x + b for all steps at once, as one big
matmul before the loop, and keeping only h_{t-1} · W_h inside it (that is what cuDNN does on a GPU). It
gives the same numbers, but the cell then no longer computes a whole step by itself, and on the CPU it
was *slower* (CPU-time ratio about 1.2 at 100 steps and 1.3 at 500 steps, Keras 3.15, TensorFlow 2.21):
with 16 features the per-step input matmul is tiny next to the loop's own bookkeeping, and the
precomputed inputs are 4x wider (64 units instead of 16 features), so the loop reads and the backward
pass accumulates 4x more data per step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from rnncourse.layers import VanillaRNN  # noqa: E402

DEFAULT_SHAPES = [(64, 100, 16, 64), (64, 500, 16, 64)]  # (batch, timesteps, features, units)


def parse_shape(text: str) -> tuple[int, int, int, int]:
    """Parse 'batch,timesteps,features,units' into four positive integers."""
    parts = text.split(",")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or min(values) <= 0:
        raise argparse.ArgumentTypeError(
            f"expected four positive integers 'batch,timesteps,features,units', got {text!r}"
        )
    return values  # type: ignore[return-value]


def make_model(layer: keras.layers.Layer, timesteps: int, features: int, batch: int) -> keras.Model:
    inputs = keras.Input(shape=(timesteps, features), batch_size=batch)
    outputs = keras.layers.Dense(1)(layer(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3), loss="mse")
    return model


def time_steps(model: keras.Model, x: np.ndarray, y: np.ndarray, steps: int) -> tuple[float, float]:
    """Seconds per training step over `steps` consecutive steps: (wall-clock, CPU time of this process).

    On a shared machine the wall-clock time also counts the time spent waiting for a core; the CPU time
    (all of TensorFlow's threads, summed) does not, so its ratio is the steadier of the two.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def count_graph_ops(layer: keras.layers.Layer, x: np.ndarray) -> int | None:
    """Operations in the TensorFlow graph of one forward + backward pass (loop bodies included).

    A noise-free complement to the timings: equal counts mean both layers ask TensorFlow for the same
    work, so a ratio away from 1.0 is the machine's noise. Returns None on other backends.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    @tf.function
    def forward_backward(inputs):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(inputs))
        return tape.gradient(loss, layer.trainable_weights)

    graph = forward_backward.get_concrete_function(tf.constant(x)).graph.as_graph_def()
    return len(graph.node) + sum(len(f.node_def) for f in graph.library.function)


def bench_shape(shape: tuple[int, int, int, int], reps: int, steps: int, seed: int) -> dict:
    batch, timesteps, features, units = shape
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    y = rng.normal(size=(batch, 1)).astype("float32")

    keras.utils.set_random_seed(seed)
    layers = {"SimpleRNN": keras.layers.SimpleRNN(units), "VanillaRNN": VanillaRNN(units)}
    models = {name: make_model(layer, timesteps, features, batch) for name, layer in layers.items()}
    models["VanillaRNN"].set_weights(models["SimpleRNN"].get_weights())

    for model in models.values():  # trace and warm up outside the timings
        time_steps(model, x, y, 3)

    walls: dict[str, list[float]] = {name: [] for name in models}
    cpus: dict[str, list[float]] = {name: [] for name in models}
    for rep in range(reps):
        order = list(models) if rep % 2 == 0 else list(reversed(models))  # alternate who goes first
        for name in order:
            wall, cpu = time_steps(models[name], x, y, steps)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall_median = {name: statistics.median(t) for name, t in walls.items()}
    cpu_median = {name: statistics.median(t) for name, t in cpus.items()}
    return {
        "shape": shape,
        "wall": wall_median,
        "cpu": cpu_median,
        "wall_ratio": wall_median["VanillaRNN"] / wall_median["SimpleRNN"],
        "cpu_ratio": cpu_median["VanillaRNN"] / cpu_median["SimpleRNN"],
        "graph_ops": {name: count_graph_ops(layer, x) for name, layer in layers.items()},
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shape",
        type=parse_shape,
        action="append",
        help="batch,timesteps,features,units (repeatable); default: 64,100,16,64 and 64,500,16,64",
    )
    parser.add_argument("--reps", type=int, default=9, help="interleaved repetitions per layer (default 9)")
    parser.add_argument("--steps", type=int, default=5, help="training steps per repetition (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.reps < 1 or args.steps < 1:
        parser.error(f"--reps and --steps must be positive, got {args.reps} and {args.steps}")

    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, "
        f"{args.reps} interleaved repetitions x {args.steps} train_on_batch steps, medians"
    )
    header = (
        f"{'batch':>5} {'steps':>5} {'feat':>4} {'units':>5} | {'SimpleRNN ms':>12} {'VanillaRNN ms':>13} | "
        f"ratio wall  ratio CPU | graph ops S/V"
    )
    print(header)
    print("-" * len(header))
    results = []
    for shape in args.shape or DEFAULT_SHAPES:
        r = bench_shape(shape, args.reps, args.steps, args.seed)
        results.append(r)
        print(
            f"{shape[0]:>5} {shape[1]:>5} {shape[2]:>4} {shape[3]:>5} | "
            f"{1e3 * r['wall']['SimpleRNN']:>12.2f} {1e3 * r['wall']['VanillaRNN']:>13.2f} | "
            f"{r['wall_ratio']:>10.3f} {r['cpu_ratio']:>10.3f} | "
            f"{r['graph_ops']['SimpleRNN']}/{r['graph_ops']['VanillaRNN']}",
            flush=True,
        )
    print("ms: median wall-clock time per training step. ratio = VanillaRNN / SimpleRNN (wall-clock, CPU).")
    return results


if __name__ == "__main__":
    main()
