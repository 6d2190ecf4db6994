"""How fast does VanillaRNN train compared with Keras's own SimpleRNN, on every installed Keras backend?

Each backend (TensorFlow, JAX, PyTorch: those that are installed) runs in a process of its own. Both layers
are put in the same small model (RNN -> Dense(1)), given the same weights, compiled the same
way and trained on the same batch in one process. Training steps (`model.train_on_batch`) are timed in
interleaved repetitions -- SimpleRNN, VanillaRNN, SimpleRNN, ... -- so that a busy machine slows both
alike. The table reports the median wall-clock time per step and the ratio VanillaRNN / SimpleRNN, both
for wall-clock time and for the CPU time of the process (which waiting for a busy core does not inflate),
and the number of operations in each layer's forward + backward TensorFlow graph. On the PyTorch backend
VanillaRNN runs PyTorch's fused RNN kernel (cuDNN on a GPU), so the table also times it with
`use_fused=False` (Keras's loop, as SimpleRNN) and gives fused / loop. PyTorch and JAX use the GPU when
there is one (TensorFlow here is the CPU build).

Run it through tasks.py (it is not part of the test suite):

    python3 tasks.py benchmark layer_speed                  # the default shapes, every backend
    python3 tasks.py benchmark layer_speed --backend torch  # one backend
    python3 tasks.py benchmark layer_speed --reps 15 --steps 10
    python3 tasks.py benchmark layer_speed --shape 64,100,16,64 --shape 64,500,16,64

On TensorFlow and JAX a ratio near 1.0 is expected: both layers run the same time loop (`keras.layers.RNN`)
and the same operations per step (the graph-op column shows the counts are equal). On PyTorch the fused
kernel does the whole loop in one call, so the ratio is below 1.0 (far below on a GPU). On a shared machine
single timings wander, so run it a couple of times and trust the CPU-time ratio more than the wall-clock one.

Measured on an NVIDIA H200 (2026-11-26, Keras 3.15.1, PyTorch 2.11 + cuDNN, JAX 0.11.2; 7 x 5 steps), one
training step, VanillaRNN / SimpleRNN:

    shape B,T,F,U     torch: SimpleRNN  VanillaRNN (fused)  ratio   |  jax: SimpleRNN  VanillaRNN  ratio
    64,100,16,64            57.2 ms        4.42 ms          0.077   |        3.96 ms     3.94 ms   0.997
    256,200,64,256         118.5 ms        8.12 ms          0.069   |        9.58 ms     9.78 ms   1.021

With `torch.backends.cudnn.allow_tf32 = False` the torch ratios were 0.085 and 0.083 (4.34 and 8.24 ms).
On a shared 2-core CPU (torch 2.13 CPU build, 5 x 3 steps) the fused kernel took 10.6 ms a step at
64,100,16,64 against 35.9 ms for Keras's loop (0.30), and 232 ms against 694 ms at 64,500,16,64 (0.33).

A tempting speed-up for the loop was measured and rejected: computing x_t · W_x + b for all steps at once,
as one big matmul before the loop, and keeping only h_{t-1} · W_h inside it (that is what cuDNN does on a
GPU). It gives the same numbers, but the cell then no longer computes a whole step by itself, and on the CPU
it was *slower* (CPU-time ratio about 1.2 at 100 steps and 1.3 at 500 steps, Keras 3.15, TensorFlow 2.21):
with 16 features the per-step input matmul is tiny next to the loop's own bookkeeping, and the
precomputed inputs are 4x wider (64 units instead of 16 features), so the loop reads and the backward
pass accumulates 4x more data per step.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_SHAPES = [(64, 100, 16, 64), (64, 500, 16, 64)]  # (batch, timesteps, features, units)


def installed_backends() -> list[str]:
    """The Keras backends whose library is installed, in the order of BACKENDS."""
    return [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


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


def make_model(layer, timesteps: int, features: int, batch: int):
    import keras

    inputs = keras.Input(shape=(timesteps, features), batch_size=batch)
    outputs = keras.layers.Dense(1)(layer(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3), loss="mse")
    return model


def time_steps(model, x: np.ndarray, y: np.ndarray, steps: int) -> tuple[float, float]:
    """Seconds per training step over `steps` consecutive steps: (wall-clock, CPU time of this process).

    On a shared machine the wall-clock time also counts the time spent waiting for a core; the CPU time
    (all of the backend's threads, summed) does not, so on a CPU its ratio is the steadier of the two.
    `train_on_batch` returns the loss as a number, so a GPU has finished the step when it returns.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps


def count_graph_ops(layer, x: np.ndarray) -> int | None:
    """Operations in the TensorFlow graph of one forward + backward pass (loop bodies included).

    A noise-free complement to the timings: equal counts mean both layers ask TensorFlow for the same
    work, so a ratio away from 1.0 is the machine's noise. Returns None on other backends.
    """
    import keras

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


def device_name() -> str:
    """Where the backend computes: 'cpu', or the GPU's name."""
    import keras

    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return "cpu" if device.platform == "cpu" else device.device_kind
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return gpus[0].name if gpus else "cpu"


def bench_shape(shape: tuple[int, int, int, int], reps: int, steps: int, seed: int) -> dict:
    import keras

    from rnncourse.layers import VanillaRNN

    batch, timesteps, features, units = shape
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    y = rng.normal(size=(batch, 1)).astype("float32")

    keras.utils.set_random_seed(seed)
    layers = {"SimpleRNN": keras.layers.SimpleRNN(units), "VanillaRNN": VanillaRNN(units)}
    if keras.backend.backend() == "torch":  # VanillaRNN runs the fused kernel: time Keras's loop too
        layers["VanillaRNN loop"] = VanillaRNN(units, use_fused=False)
    models = {name: make_model(layer, timesteps, features, batch) for name, layer in layers.items()}
    for name in models:
        models[name].set_weights(models["SimpleRNN"].get_weights())

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
    result = {
        "shape": shape,
        "wall": wall_median,
        "cpu": cpu_median,
        "wall_ratio": wall_median["VanillaRNN"] / wall_median["SimpleRNN"],
        "cpu_ratio": cpu_median["VanillaRNN"] / cpu_median["SimpleRNN"],
        "graph_ops": {name: count_graph_ops(layer, x) for name, layer in layers.items()},
    }
    if "VanillaRNN loop" in models:
        result["fused_vs_loop"] = wall_median["VanillaRNN"] / wall_median["VanillaRNN loop"]
    return result


def run_backend(backend: str, shapes: list, reps: int, steps: int, seed: int) -> list[dict]:
    """Time every shape on one backend, in this process, and print its table."""
    os.environ["KERAS_BACKEND"] = backend
    import keras

    from rnncourse.experiments import machine

    if keras.backend.backend() != backend:
        sys.exit(
            f"asked for the {backend} backend, but Keras was already imported with {keras.backend.backend()}"
        )
    print(
        f"keras {keras.__version__}, backend {backend} on {device_name()} ({machine()}), "
        f"{reps} interleaved repetitions x {steps} train_on_batch steps, medians"
    )
    header = (
        f"{'batch':>5} {'steps':>5} {'feat':>4} {'units':>5} | {'SimpleRNN ms':>12} {'VanillaRNN ms':>13} | "
        f"ratio wall  ratio CPU | graph ops S/V | loop ms  fused/loop"
    )
    print(header)
    print("-" * len(header))
    results = []
    for shape in shapes:
        r = bench_shape(shape, reps, steps, seed)
        results.append(r)
        loop = (
            f"{1e3 * r['wall']['VanillaRNN loop']:>7.2f} {r['fused_vs_loop']:>11.3f}"
            if "fused_vs_loop" in r
            else f"{'-':>7} {'-':>11}"
        )
        print(
            f"{shape[0]:>5} {shape[1]:>5} {shape[2]:>4} {shape[3]:>5} | "
            f"{1e3 * r['wall']['SimpleRNN']:>12.2f} {1e3 * r['wall']['VanillaRNN']:>13.2f} | "
            f"{r['wall_ratio']:>10.3f} {r['cpu_ratio']:>10.3f} | "
            f"{str(r['graph_ops']['SimpleRNN']) + '/' + str(r['graph_ops']['VanillaRNN']):>13} | {loop}",
            flush=True,
        )
    print(
        "ms: median wall-clock time per training step. ratio = VanillaRNN / SimpleRNN (wall-clock, CPU); "
        "on torch VanillaRNN is the fused kernel, and loop is VanillaRNN(use_fused=False)."
    )
    return results


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
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="time one backend in this process; default: every installed backend, one process each",
    )
    args = parser.parse_args(argv)
    if args.reps < 1 or args.steps < 1:
        parser.error(f"--reps and --steps must be positive, got {args.reps} and {args.steps}")
    if args.backend is not None:
        return run_backend(args.backend, args.shape or DEFAULT_SHAPES, args.reps, args.steps, args.seed)

    argv = sys.argv[1:] if argv is None else list(argv)
    failed = []
    for backend in installed_backends():
        print(flush=True)
        child = subprocess.run(
            [sys.executable, os.path.abspath(__file__), *argv, "--backend", backend],
            env={**os.environ, "KERAS_BACKEND": backend},
            check=False,
        )
        if child.returncode != 0:
            failed.append(backend)
    if failed:
        sys.exit(f"the benchmark failed on: {', '.join(failed)}")
    return []


if __name__ == "__main__":
    main()
