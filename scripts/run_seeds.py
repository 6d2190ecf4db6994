"""Run every course notebook top to bottom with another seed, and report each claim that fails.

The course asserts what it demonstrates, and a claim about a trained model must hold for any seed, not only
the one the notebook is stored with: training on another CPU differs as much as a seed change does. This
script replaces the Setup cell's ``SEED = 0`` line (any integer) with ``SEED = <seed>``, executes the
notebook in a fresh kernel (nothing is written back), and lists every cell that raised, with its
``assert`` line.

    python3 tasks.py seeds                      # seeds 1 and 2, every course notebook, 2 at a time
    python3 tasks.py seeds notebooks/04_sentiment.ipynb --seeds 3 4 --jobs 1
    python3 tasks.py seeds notebooks/02_training_rnns.ipynb --load 2 --seeds 3   # on a busy machine

With ``--jobs N`` (default 2) N notebooks run at once, each kernel limited to one TensorFlow thread: the
course's small models gain little from more threads, so on a 2-core machine this halves the wall time.

With ``--load N`` the notebooks run while N busy processes (pure-Python loops, started and stopped by this
script, by PID) compete for the cores, as a browser, a video call and an indexer do on a learner's laptop:
every claim, the timing claims included, must hold there too.

Exit status: 0 when every notebook ran clean for every seed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from rnncourse.experiments import NOTEBOOK_ENVIRONMENT, ONE_THREAD_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
COURSE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SEED_LINE = re.compile(r"^SEED = \d+\s*(#.*)?$", re.MULTILINE)


def with_seed(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """A copy of `nb` whose Setup cell sets ``SEED = seed`` (it must have one ``SEED = <int>`` line)."""
    nb = nbformat.from_dict(nb)
    hits = [cell for cell in nb.cells if cell.cell_type == "code" and SEED_LINE.search(cell.source)]
    if len(hits) != 1:
        raise ValueError(f"expected exactly one code cell with a 'SEED = <integer>' line, found {len(hits)}")
    hits[0].source = SEED_LINE.sub(f"SEED = {seed}", hits[0].source, count=1)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    return nb


def failing_line(cell_source: str, traceback: str) -> str:
    """The source line that raised, read from the last ``----> N`` arrow of an IPython traceback."""
    arrows = re.findall(r"-+> ?(\d+)", traceback)
    lines = cell_source.splitlines()
    if arrows and 0 < int(arrows[-1]) <= len(lines):
        return lines[int(arrows[-1]) - 1].strip()
    return ""


def run_notebook(
    path: Path, seed: int, cell_timeout: int, threads: int | None = None
) -> tuple[list[str], float]:
    """Execute `path` with `seed`; return the failures (one line each) and the wall time in seconds."""
    nb = with_seed(nbformat.read(path, as_version=4), seed)
    env = {**os.environ, **NOTEBOOK_ENVIRONMENT}  # what nbval's kernels get from conftest.py
    if threads:
        env.update(dict.fromkeys(ONE_THREAD_ENVIRONMENT, str(threads)))
    failures: list[str] = []
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    old_env = os.environ.copy()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client.execute()
    except CellTimeoutError as err:
        failures.append(f"a cell ran past {cell_timeout} s: {err}")
    except CellExecutionError as err:  # pragma: no cover - allow_errors=True records errors instead
        failures.append(str(err).splitlines()[0])
    finally:
        os.environ.clear()
        os.environ.update(old_env)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                line = failing_line(cell.source, "\n".join(output.get("traceback", [])))
                message = f"{output.get('ename')}: {output.get('evalue')}".strip().rstrip(":")
                failures.append(f"cell {index}: {message}" + (f"  <- {line}" if line else ""))
    return failures, time.perf_counter() - start


@contextlib.contextmanager
def busy_processes(count: int) -> Iterator[list[int]]:
    """Start `count` processes that keep a core busy (a pure-Python loop each); kill them on the way out."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every course notebook")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2], help="default: 1 2")
    parser.add_argument("--cell-timeout", type=int, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="run while N busy processes compete for the cores (default 0)")
    args = parser.parse_args(argv)
    if args.load < 0:
        parser.error(f"--load expects a number of busy processes, 0 or more, got {args.load}")
    notebooks = args.notebooks or COURSE
    runs = [(path, seed) for seed in args.seeds for path in notebooks]
    # The longest notebooks first, so that the workers finish together.
    runs.sort(key=lambda run: -run[0].stat().st_size)
    total_failures = 0
    start = time.perf_counter()
    threads = 1 if args.jobs > 1 else None
    with busy_processes(args.load) as pids, ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        if pids:
            print(f"{len(pids)} busy process(es) compete for the cores: PIDs {', '.join(map(str, pids))}",
                  flush=True)
        futures = [
            (path, seed, pool.submit(run_notebook, path, seed, args.cell_timeout, threads))
            for path, seed in runs
        ]
        for path, seed, future in futures:
            failures, seconds = future.result()
            status = "ok" if not failures else f"{len(failures)} FAILED"
            print(f"seed {seed}  {path.name:32s} {seconds:6.0f} s  {status}", flush=True)
            for failure in failures:
                print(f"    {failure}", flush=True)
            total_failures += len(failures)
    under = f" under a load of {args.load} busy process(es)" if args.load else ""
    took = f"({time.perf_counter() - start:.0f} s)"
    print(
        f"{total_failures} failing cell(s) over seeds {args.seeds}{under} {took}"
        if total_failures
        else f"every claim held for seeds {args.seeds}{under} {took}"
    )
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
