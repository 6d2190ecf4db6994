"""A class graded with `--jobs 2` and on a Dask cluster of 2 workers, then regraded after one late change.

The class is the one benchmarks/grader_sandbox.py builds (default 8 learners, each handing in every exercise
notebook: blank, solution and solution-with-a-hostile-cell copies), graded in teacher mode with one key:

1. here, ``jobs=2``, with a results cache (a fresh one);
2. on a ``distributed.LocalCluster`` of 2 worker processes (1 thread each) with TLS (temporary
   certificates: teacher mode sends the key only over TLS), without a cache;
3. one learner's notebook changed (a cell added), the class regraded here with the cache of run 1.

It prints each run's wall time, whether the grades of runs 1 and 2 are identical (every question's points
and reason, the notes, the errors), and what run 3 graded (not from the cache); it exits with status 1 if
the grades differ or run 3 graded anything but the changed notebook.

Measured on this project's shared 2-core machine (2026-12-03, load average about 4 from other work, one
run, when there were 6 exercise notebooks): 48 notebooks in 142 s with ``jobs=2`` and 209 s on the local
cluster, every grade identical; after one notebook changed, the regrade took 2.1 s and graded only that
notebook. The cluster pays, per notebook, for a fresh `grade_notebooks` call on its worker (imports, package
and data read, fingerprint) and for its own processes on the same 2 cores; its gain is in more machines, not
on one.

Run it through tasks.py (not part of the test suite; it takes several minutes):

    python3 tasks.py benchmark grader_cluster                  # 8 learners
    python3 tasks.py benchmark grader_cluster --learners 2     # 2 learners, a quicker run
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grader_sandbox import _class  # noqa: E402  (the same class as the sandbox benchmark)

from rnncourse import grading  # noqa: E402
from rnncourse.experiments import machine  # noqa: E402


def _same(a: grading.NotebookGrade, b: grading.NotebookGrade) -> bool:
    return (a.questions, a.notes, a.error, a.score) == (b.questions, b.notes, b.error, b.score)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=8, help="learners in the class (default 8)")
    args = parser.parse_args(argv)
    import distributed

    with tempfile.TemporaryDirectory(prefix="grader-cluster-bench-") as tmp:
        tmp = Path(tmp)
        key = tmp / "key"
        grading.write_key(key)
        handed_in = _class(tmp / "class", args.learners)
        paths = [p for _, p in handed_in]
        cache = tmp / "grades.csv.cache.json"
        times = {}

        started = time.monotonic()
        local = grading.grade_notebooks(paths, key=key, jobs=2, cache=cache)
        times["jobs_2"] = time.monotonic() - started
        print(f"jobs=2: {len(paths)} notebooks in {times['jobs_2']:.0f} s", flush=True)

        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, security=True
        ) as cluster:
            started = time.monotonic()
            remote = grading.grade_notebooks(
                paths, key=key, scheduler=cluster.scheduler_address, cluster_security=cluster.security
            )
            times["cluster_2_workers"] = time.monotonic() - started
        print(f"cluster: {len(paths)} notebooks in {times['cluster_2_workers']:.0f} s", flush=True)
        differ = [str(a.path) for a, b in zip(local, remote, strict=True) if not _same(a, b)]

        late = paths[len(paths) // 2]
        nb = nbformat.read(late, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("print('handed in late')"))
        nbformat.write(nb, late)
        started = time.monotonic()
        again = grading.grade_notebooks(paths, key=key, jobs=2, cache=cache)
        times["regrade_after_one_change"] = time.monotonic() - started
        regraded = [str(Path(g.path).relative_to(tmp / "class")) for g in again if not g.cached]
        print(f"regrade: {times['regrade_after_one_change']:.1f} s, graded again: {regraded}", flush=True)

        result = {
            "notebooks": len(paths),
            "wall_s": {name: round(value, 1) for name, value in times.items()},
            "cluster_grades_identical": not differ,
            "differ": differ[:5],
            "regraded": regraded,
            "regrade_changed_grades": [
                str(a.path)
                for a, b in zip(local, again, strict=True)
                if a.path != str(late) and not _same(a, b)
            ],
            "scores": " ".join(
                f"{kind}:{g.score}/{g.total}" for (kind, _), g in zip(handed_in, local, strict=True)
            ),
            "python": platform.python_version(),
            "machine": machine(),
            "date": time.strftime("%Y-%m-%d"),
        }
        print(json.dumps(result, indent=2))
        late_name = str(late.relative_to(tmp / "class"))
        return 0 if not differ and regraded == [late_name] and not result["regrade_changed_grades"] else 1


if __name__ == "__main__":
    sys.exit(main())
