"""Command line: `rnncourse grade NOTEBOOK... [--json FILE]` (also `python -m rnncourse grade ...`), and
`rnncourse --version`.

Exit status: 0 when every notebook was graded (whatever the score), 2 on a usage error or when a notebook
could not be read or is not an exercise notebook (the others are still graded).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import rnncourse


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    from rnncourse import grader

    parser = argparse.ArgumentParser(prog="rnncourse", description="Tools for the rnncourse notebooks.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {rnncourse.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser(
        "grade",
        help="grade exercise notebooks",
        description="Run each exercise notebook in a fresh kernel and grade its answers on fresh test cases.",
    )
    grade.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="exercise notebook(s) (.ipynb)")
    grade.add_argument(
        "--json", metavar="FILE", help="also write the grades as JSON to FILE ('-' for stdout)"
    )
    grade.add_argument(
        "--cell-timeout",
        type=_positive,
        default=grader.DEFAULT_CELL_TIMEOUT,
        metavar="S",
        help=f"seconds a cell may run before it is interrupted (default {grader.DEFAULT_CELL_TIMEOUT})",
    )
    grade.add_argument(
        "--timeout",
        type=_positive,
        default=grader.DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds a notebook's own cells may run in all (default {grader.DEFAULT_TIMEOUT})",
    )
    grade.add_argument(
        "--seed", type=int, default=None, help="seed of the test cases (default: a fresh random seed per run)"
    )
    grade.add_argument("--jobs", type=_positive, default=1, help="notebooks graded at once (default 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rnncourse` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    from rnncourse import grader

    grades = grader.grade_notebooks(
        args.notebooks, jobs=args.jobs, seed=args.seed, cell_timeout=args.cell_timeout, timeout=args.timeout
    )
    for grade in grades:
        print(grader.format_table(grade), flush=True)
    if len(grades) > 1:
        total = sum(g.total for g in grades)
        print(f"== total: {sum(g.score for g in grades)}/{total} points")
    if args.json:
        text = json.dumps([g.to_dict() for g in grades], indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
    return 2 if any(g.error for g in grades) else 0


if __name__ == "__main__":
    sys.exit(main())
