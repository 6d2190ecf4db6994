"""The full side-by-side study of notebook 5: vanilla RNN vs LSTM vs GRU on four tasks, over several seeds.

Every (task, cell, seed) is trained with the recipe in ``rnncourse.comparison`` and measured: the test
score, the epochs early stopping let it run, the seconds per epoch and the parameter count. The table is
written to ``studies/results/compare_cells.csv`` (one row per task, cell, seed and metric) with its
provenance in ``#`` lines at the top: library versions, CPU, date, wall time, seeds and threads.
Notebook 5 loads it, draws its verdicts from it, and re-runs a live slice that must land inside its spread.

    python3 tasks.py study compare_cells                          # 5 seeds, every task, 2 worker processes
    python3 tasks.py study compare_cells --seeds 0 1 2 --tasks recall ridership --jobs 1

Runs are independent, so ``--jobs N`` trains N at once, each in its own process with one TensorFlow thread
(small recurrent models gain little from more threads; seconds per epoch are measured that way too).
Finished runs are kept in ``studies/results/.compare_cells_runs.jsonl`` so an interrupted study resumes
where it stopped; ``--fresh`` starts over.
"""

from __future__ import annotations

import argparse
import os
import sys

from harness import RESULTS, ROOT, THREAD_ENV, finished_runs, run_all

TABLE = RESULTS / "compare_cells.csv"
RUNS = RESULTS / ".compare_cells_runs.jsonl"
COLUMNS = ["task", "cell", "seed", "metric", "value"]


def _one_run(task: str, cell: str, seed: int) -> dict:
    from rnncourse.comparison import run_task

    return {"task": task, "cell": cell, "seed": seed, **run_task(task, cell, seed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--tasks", nargs="+", default=None, help="default: every task")
    parser.add_argument("--cells", nargs="+", default=None, help="default: every cell")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, one process each (default 2)")
    parser.add_argument("--fresh", action="store_true", help="forget finished runs and start over")
    args = parser.parse_args(argv)
    from rnncourse.experiments import NOTEBOOK_ENVIRONMENT

    os.environ.update({**NOTEBOOK_ENVIRONMENT, **THREAD_ENV})  # before TensorFlow is imported anywhere

    from rnncourse.comparison import CELLS, TASKS, baseline

    tasks = args.tasks or list(TASKS)
    cells = args.cells or list(CELLS)
    unknown = sorted(set(tasks) - set(TASKS)) + sorted(set(cells) - set(CELLS))
    if unknown:
        parser.error(f"unknown task or cell {unknown}; tasks: {list(TASKS)}, cells: {list(CELLS)}")
    done = finished_runs(RUNS, ("task", "cell", "seed"), fresh=args.fresh)
    # The slow synthetic tasks first, so that the workers stay busy to the end.
    todo = [(t, c, s) for s in args.seeds for t in tasks for c in cells if (t, c, s) not in done]
    wall = run_all(
        _one_run,
        todo,
        done,
        path=RUNS,
        jobs=args.jobs,
        describe=lambda run: (
            f"{run['task']:9s} {run['cell']:11s} seed {run['seed']}: test {run['test']:.4f}, "
            f"{run['epochs']} epochs, {run['s / epoch']:.2f} s/epoch"
        ),
    )

    from rnncourse.experiments import write_table

    rows = [
        {"task": t, "cell": c, "seed": s, "metric": metric, "value": run[metric]}
        for (t, c, s), run in sorted(
            done.items(),
            key=lambda item: (list(TASKS).index(item[0][0]), list(CELLS).index(item[0][1]), item[0][2]),
        )
        for metric in ("test", "epochs", "s / epoch", "parameters")
    ]
    rows += [
        {"task": t, "cell": "baseline", "seed": -1, "metric": "test", "value": baseline(t)}
        for t in TASKS
        if any(r["task"] == t for r in rows)
    ]
    seeds = sorted({s for (_, _, s) in done})
    write_table(
        TABLE,
        rows,
        columns=COLUMNS,
        written_by=" ".join(["studies/compare_cells.py", *(sys.argv[1:] if argv is None else argv)]),
        wall_time=f"{wall:.0f} s for the {len(todo)} runs of this invocation",
        recipe="rnncourse.comparison.run_task(task, cell, seed): the recipe of rnncourse.comparison.TASKS",
        provenance={
            "seeds": " ".join(map(str, seeds)),
            "threads": f"{args.jobs} runs at once, 1 thread each",
            "baseline rows": "cell 'baseline', seed -1: "
            + "; ".join(f"{t}: {spec.baseline}" for t, spec in TASKS.items()),
            "test metric": "; ".join(f"{t}: {spec.metric}" for t, spec in TASKS.items())
            + " (ridership MAE in thousands of riders)",
        },
    )
    import pandas as pd

    table = pd.DataFrame(rows, columns=COLUMNS)
    print(f"wrote {TABLE.relative_to(ROOT)}: {len(table)} rows, seeds {seeds}, {wall:.0f} s")
    summary = (
        table[table["metric"] == "test"]
        .groupby(["task", "cell"], sort=False)["value"]
        .agg(["mean", "std", "min", "max"])
    )
    print(summary.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
