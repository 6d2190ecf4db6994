"""What does the grader's sandbox cost? A class graded in teacher mode with the sandbox on and off.

A class of learners (default 8) each hands in every exercise notebook: learner i hands in blank copies when
i % 3 == 0, the solutions when i % 3 == 1, and the solutions with one hostile
cell each when i % 3 == 2 (a cell that only *reads*: the grader's command lines through /proc, a walk of
/tmp for key files, a connection to 127.0.0.1 -- harmless without the sandbox too, so both runs grade the
same class). The class is graded twice with one key and `--jobs 2`: with the sandbox (`sandbox=True`) and
without (`sandbox=False`), in that order and then again in the other order when ``--rounds 2``. The script
prints each run's wall time, the sandbox's overhead per notebook, and whether every honest notebook (blank
and solution) got the same grade in both runs; it exits with status 1 if not.

Measured on this project's shared 2-core machine (2026-12-03, load average about 11 from other work, one
round, sandbox on first, when there were 5 exercise notebooks): 40 notebooks in 372 s with the sandbox and
276 s without, 2.4 s per notebook, every honest grade identical. The first run also pays for cold file
caches, so that figure is an upper bound; use ``--rounds 2`` for a fairer pair.

Run it through tasks.py (it is not part of the test suite; a class takes several minutes):

    python3 tasks.py benchmark grader_sandbox                 # 8 learners, one round
    python3 tasks.py benchmark grader_sandbox --learners 3    # 3 learners
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from rnncourse import exercises, grading
from rnncourse.experiments import machine

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "scripts" / "make_exercises.py")
make_exercises = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_exercises)

HOSTILE = (
    "import os\nseen = []\nfor p in os.listdir('/proc'):\n    try:\n"
    "        seen.append(open(f'/proc/{p}/cmdline', 'rb').read()[:100])\n    except OSError:\n        pass\n"
    "keys = [os.path.join(t, n) for t, _, ns in os.walk('/tmp') for n in ns if n == 'key.json']\n"
    "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=1)\n"
    "except OSError:\n    pass\n"
    "print(len(seen), keys)"
)


def _class(folder: Path, learners: int) -> list[tuple[str, Path]]:
    handed_in = []
    for i in range(learners):
        kind = ("blank", "solution", "hostile")[i % 3]
        learner = folder / f"learner{i:02d}"
        learner.mkdir(parents=True)
        for name in make_exercises.names():
            nb = make_exercises.build(name, learner=kind == "blank")
            if kind == "hostile":
                nb.cells.insert(len(nb.cells) // 2, nbformat.v4.new_code_cell(HOSTILE))
            path = learner / f"{name}.ipynb"
            nbformat.write(nb, path)
            handed_in.append((kind, path))
    return handed_in


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=8, help="learners in the class (default 8)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks graded at once (default 2)")
    parser.add_argument("--rounds", type=int, default=1, help="on/off pairs, alternating order (default 1)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grader-sandbox-bench-") as tmp:
        tmp = Path(tmp)
        key = tmp / "key"
        grading.write_key(key)
        handed_in = _class(tmp / "class", args.learners)
        paths = [p for _, p in handed_in]
        times: dict[bool, list[float]] = {True: [], False: []}
        scores: dict[bool, list[tuple[int, int]]] = {}
        for round_ in range(args.rounds):
            for on in (True, False) if round_ % 2 == 0 else (False, True):
                started = time.monotonic()
                grades = grading.grade_notebooks(paths, key=key, jobs=args.jobs, sandbox=on)
                times[on].append(time.monotonic() - started)
                scores[on] = [(g.score, g.total) for g in grades]
                errors = [g.error for g in grades if g.error]
                print(
                    f"sandbox {'on ' if on else 'off'}: {len(paths)} notebooks in {times[on][-1]:.0f} s"
                    + (f" ({len(errors)} errors: {errors[:2]})" if errors else ""),
                    flush=True,
                )
        honest = [i for i, (kind, _) in enumerate(handed_in) if kind != "hostile"]
        same = all(scores[True][i] == scores[False][i] for i in honest)
        on, off = min(times[True]), min(times[False])
        result = {
            "notebooks": len(paths),
            "jobs": args.jobs,
            "wall_s": {"sandbox_on": round(on, 1), "sandbox_off": round(off, 1)},
            "overhead_per_notebook_s": round((on - off) / len(paths), 2),
            "honest_grades_identical": same,
            "honest_scores": " ".join(
                f"{handed_in[i][0]}:{scores[True][i][0]}/{scores[True][i][1]}" for i in honest
            ),
            "hostile_scores_on": " ".join(
                f"{scores[True][i][0]}/{scores[True][i][1]}"
                for i, (k, _) in enumerate(handed_in)
                if k == "hostile"
            ),
            "hostile_scores_off": " ".join(
                f"{scores[False][i][0]}/{scores[False][i][1]}"
                for i, (k, _) in enumerate(handed_in)
                if k == "hostile"
            ),
            "python": platform.python_version(),
            "machine": machine(),
            "date": time.strftime("%Y-%m-%d"),
            "questions": len(exercises.QUESTIONS),
        }
        print(json.dumps(result, indent=2))
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
