"""What the studies share: one thread per run, and runs in worker processes that an interrupted study resumes.

A study trains many independent runs (a model, a seed); ``run_all`` trains them ``jobs`` at a time, each in
its own process, and appends each finished run to a JSON-lines file as it comes, so that a study stopped
half-way starts again where it stopped (``finished_runs``). The table itself is written by
``rnncourse.experiments.write_table``. The scripts beside this file import it: ``python3 tasks.py study x``
runs ``studies/x.py``, and Python puts the script's folder on the path.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
RESULTS = ROOT / "studies" / "results"  # every study's tables (the notebooks read them from here)

# One thread per run (set before TensorFlow is imported): small recurrent models gain little from more, and
# the seconds per epoch the studies record are measured so.
THREAD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}


def finished_runs(path: Path, key: Sequence[str], fresh: bool = False) -> dict[tuple, dict]:
    """The runs earlier invocations finished, read from the JSON-lines file ``path``, by their ``key`` fields.

    ``fresh`` deletes the file first (the study starts over).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if fresh and path.exists():
        path.unlink()
    done = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            run = json.loads(line)
            done[tuple(run[field] for field in key)] = run
    return done


def run_all(
    work: Callable[..., dict],
    todo: Iterable[tuple],
    done: dict[tuple, dict],
    *,
    path: Path,
    jobs: int,
    describe: Callable[[dict], str],
) -> float:
    """Call ``work(*key)`` for each key of ``todo``, ``jobs`` at a time in worker processes.

    Each finished run goes into ``done`` under its key and is appended to ``path`` at once; a line
    ``describe(run)`` is printed after the seconds since the start. Returns the wall time in seconds.
    """
    todo = list(todo)
    print(f"{len(done)} runs already done, {len(todo)} to go, {jobs} at a time", flush=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(work, *key): key for key in todo}
        for future in as_completed(futures):
            run = future.result()
            done[futures[future]] = run
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(run) + "\n")
            print(f"{time.perf_counter() - start:6.0f} s  {describe(run)}", flush=True)
    return time.perf_counter() - start
