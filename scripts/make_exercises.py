"""Generate the exercise notebooks from their sources (one source, two outputs, as nbgrader does).

Each source in ``notebooks/exercises/source/NN_name_exercises.py`` is a notebook written in the "percent"
format: ``# %% [markdown]`` starts a markdown cell (its lines start with ``#``), ``# %%`` a code cell, and
``# %% answer=NN.qK`` / ``# %% check=NN.qK`` mark a graded answer cell and its check cell. Inside an answer
cell the reference solution sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``. From each source
this script writes

- the learner copy ``notebooks/exercises/NN_name_exercises.ipynb``: solutions replaced by
  ``# YOUR CODE HERE`` / ``raise NotImplementedError``, no outputs;
- the reference solution ``notebooks/exercises/solutions/NN_name_exercises.ipynb``: executed, with outputs
  (nbval tests it like the course notebooks).

The sources are ``.py`` files so that neither nbval nor pytest collects them.

    python3 tasks.py exercises            # regenerate all (executes the solutions)
    python3 tasks.py exercises 01 03      # only those notebooks
    python3 tasks.py exercises --check    # exit 1 if a generated copy is out of date (no execution)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "notebooks" / "exercises"
SOURCES = EXERCISES / "source"
SOLUTIONS = EXERCISES / "solutions"

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_HEADER = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?P<rest>.*)$")


def parse_source(text: str) -> list[dict]:
    """Split a percent-format source into cells: dicts with ``type``, ``source`` and ``meta``."""
    cells: list[dict] = []
    current: dict | None = None
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            meta = {}
            for pair in match.group("rest").split():
                key, _, value = pair.partition("=")
                if key not in {"answer", "check"} or not value:
                    raise ValueError(f"unknown cell option {pair!r} in header {line!r}")
                meta[key] = value
            current = {"type": "markdown" if match.group("markdown") else "code", "lines": [], "meta": meta}
            cells.append(current)
        elif current is None:
            if line.strip():
                raise ValueError(f"text before the first '# %%' header: {line!r}")
        elif current["type"] == "markdown":
            if line and not line.startswith("#"):
                raise ValueError(f"markdown line does not start with '#': {line!r}")
            current["lines"].append(line[2:] if line.startswith("# ") else line[1:])
        else:
            current["lines"].append(line)
    for cell in cells:
        lines = cell.pop("lines")
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        cell["source"] = "\n".join(lines)
    return cells


def strip_solution(source: str) -> str:
    """Replace each BEGIN/END SOLUTION block by the learner's placeholder, at the marker's indentation."""
    out, inside = [], False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError("nested BEGIN SOLUTION")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError"]
        elif stripped == END:
            if not inside:
                raise ValueError("END SOLUTION without BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def keep_solution(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if line.strip() not in {BEGIN, END})


def build(name: str, *, learner: bool, source_text: str | None = None) -> nbformat.NotebookNode:
    """The learner copy (``learner=True``) or the unexecuted solution copy of exercise notebook `name`."""
    text = source_text if source_text is not None else (SOURCES / f"{name}.py").read_text(encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "rnncourse": {"exercise": name},
    }
    for index, cell in enumerate(parse_source(text)):
        meta = {"rnncourse": cell["meta"]} if cell["meta"] else {}
        if cell["type"] == "markdown":
            new = nbformat.v4.new_markdown_cell(cell["source"], metadata=meta)
        else:
            if BEGIN in cell["source"] and "answer" not in cell["meta"]:
                raise ValueError(f"{name}: a solution block outside an answer cell (cell {index})")
            code = strip_solution(cell["source"]) if learner else keep_solution(cell["source"])
            new = nbformat.v4.new_code_cell(code, metadata=meta)
        new.id = f"cell-{index:02d}"
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run `nb` top to bottom in a fresh kernel (raising on the first error), as the solutions must pass."""
    from nbclient import NotebookClient

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN's start-up notice carries a time stamp and bypasses TF_CPP_MIN_LOG_LEVEL; nbval compares stderr.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("MPLBACKEND", "Agg")
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    ).execute()
    return nb


def wrong_variant(name: str, qid: str) -> nbformat.NotebookNode:
    """The solution copy of `name` with only the answer to `qid` made wrong (for the grader's tests).

    The answer cell keeps the reference solution and then wraps the function so that everything it returns
    is perturbed (numbers shifted, names changed, rows dropped), which no check accepts.
    """
    nb = build(name, learner=False)
    for cell in nb.cells:
        if cell.metadata.get("rnncourse", {}).get("answer") == qid:
            fn = re.search(r"^def (\w+)\(", cell.source, flags=re.M).group(1)
            cell.source += "\n\n" + _PERTURB.format(fn=fn)
            return nb
    raise KeyError(f"{name} has no answer cell for {qid}")


_PERTURB = """\
def _rc_perturb(value):
    import numpy
    if value is None:
        return "SimpleRNN-16"
    if isinstance(value, str):
        return value + "-x"
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, numpy.integer)):
        return int(value) + 1
    if isinstance(value, (float, numpy.floating)):
        return float(value) * 1.5 + 0.5
    if isinstance(value, numpy.ndarray):
        return value + 1 if value.dtype.kind in "iu" else value * 1.5 + 0.5
    if isinstance(value, (list, tuple)):
        return type(value)(_rc_perturb(v) for v in value)
    if hasattr(value, "iloc"):
        return value.iloc[1:]
    raise TypeError(f"cannot perturb {{type(value)}}")


_rc_right_{fn} = {fn}


def {fn}(*args, **kwargs):
    return _rc_perturb(_rc_right_{fn}(*args, **kwargs))
"""


def names() -> list[str]:
    return sorted(p.stem for p in SOURCES.glob("*_exercises.py"))


def _comparable(nb: nbformat.NotebookNode) -> list:
    # The kernel fills in language_info when a notebook runs, so compare only what the source decides.
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells] + [nb.metadata.get("rnncourse")]


def out_of_date(name: str) -> list[str]:
    """Which generated copies of `name` differ from what its source gives (solutions: cells, not outputs)."""
    stale = []
    learner_path, solution_path = EXERCISES / f"{name}.ipynb", SOLUTIONS / f"{name}.ipynb"
    if (
        not learner_path.exists()
        or learner_path.read_text(encoding="utf-8") != nbformat.writes(build(name, learner=True)) + "\n"
    ):
        stale.append(str(learner_path.relative_to(ROOT)))
    if not solution_path.exists() or _comparable(nbformat.read(solution_path, as_version=4)) != _comparable(
        build(name, learner=False)
    ):
        stale.append(str(solution_path.relative_to(ROOT)))
    elif any(
        c.cell_type == "code" and c.source.strip() and c.get("execution_count") is None
        for c in nbformat.read(solution_path, as_version=4).cells
    ):
        stale.append(str(solution_path.relative_to(ROOT)) + " (not executed)")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="notebook numbers or names to build (default: all)")
    parser.add_argument("--check", action="store_true", help="only report copies that are out of date")
    args = parser.parse_args(argv)
    selected = [n for n in names() if not args.only or any(n.startswith(o) for o in args.only)]
    if not selected:
        parser.error(f"no exercise source matches {args.only}; sources: {names()}")
    if args.check:
        stale = [path for name in selected for path in out_of_date(name)]
        for path in stale:
            print(f"out of date: {path}")
        return 1 if stale else 0
    SOLUTIONS.mkdir(parents=True, exist_ok=True)
    for name in selected:
        learner = build(name, learner=True)
        (EXERCISES / f"{name}.ipynb").write_text(nbformat.writes(learner) + "\n", encoding="utf-8")
        solution = execute(build(name, learner=False), cwd=SOLUTIONS)
        (SOLUTIONS / f"{name}.ipynb").write_text(nbformat.writes(solution) + "\n", encoding="utf-8")
        print(f"wrote {name}: learner copy and executed solution")
    return 0


if __name__ == "__main__":
    sys.exit(main())
