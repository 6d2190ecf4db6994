"""Command line: `rnncourse grade ...` and `rnncourse key ...` (also `python -m rnncourse ...`), and
`rnncourse --version`.

Exit status of `grade`: 0 when every notebook was graded (and, with `--fail-under POINTS`, each scored at
least POINTS); 1 when a notebook scored below `--fail-under`; 2 on a usage error or when a notebook could
not be graded (not readable, not an exercise notebook, a directory; the others are still graded).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import rnncourse


def _at_least(minimum: int, what: str):
    """An argparse type: an integer of at least `minimum`, with an error that names `what` it expects."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return convert


_positive = _at_least(1, "a positive integer")
_points = _at_least(0, "a whole number of points (0 or more)")


def _parser() -> argparse.ArgumentParser:
    from rnncourse import grading

    parser = argparse.ArgumentParser(prog="rnncourse", description="Tools for the rnncourse notebooks.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {rnncourse.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser(
        "grade",
        help="grade exercise notebooks",
        description="Run each exercise notebook in a fresh, isolated kernel and grade its answers on fresh "
        "test cases (self-study), or on a teacher's hidden key (--key).",
    )
    grade.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="exercise notebook(s) (.ipynb)")
    grade.add_argument(
        "--key", metavar="KEY_DIR", help="teacher mode: grade against this key (`rnncourse key`)"
    )
    grade.add_argument(
        "--json", metavar="FILE", help="also write the grades as JSON to FILE ('-' for stdout)"
    )
    grade.add_argument("--csv", metavar="FILE", help="also write a gradebook (one row per notebook) to FILE")
    grade.add_argument(
        "--fail-under",
        type=_points,
        metavar="POINTS",
        help="exit with status 1 if a notebook scores below POINTS",
    )
    for flag, default, metavar, what in (
        (
            "--cell-timeout",
            grading.DEFAULT_CELL_TIMEOUT,
            "S",
            "seconds a cell may run before it is interrupted",
        ),
        ("--timeout", grading.DEFAULT_TIMEOUT, "S", "seconds a notebook's own cells may run in all"),
        ("--memory-mb", grading.DEFAULT_MEMORY_MB, "MB", "address-space limit of each kernel"),
    ):
        grade.add_argument(
            flag, type=_positive, default=default, metavar=metavar, help=f"{what} (default {default})"
        )
    grade.add_argument(
        "--seed", type=int, default=None, help="self-study: seed of the test cases (default: fresh per run)"
    )
    grade.add_argument("--jobs", type=_positive, default=1, help="notebooks graded at once (default 1)")
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the kernels without the bubblewrap sandbox (teacher mode refuses to grade without it "
        "unless given this; the grades say so)",
    )
    key = commands.add_parser(
        "key",
        help="write a teacher's key for `grade --key`",
        description="Write a key folder: a secret seed for the test cases and held-out sentiment sentences "
        "with their labels. Keep it away from the learners.",
    )
    key.add_argument("folder", metavar="KEY_DIR", help="a new or empty folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rnncourse` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    from rnncourse import grading

    if args.command == "key":
        try:
            path = grading.write_key(args.folder)
        except grading.GradingError as error:
            parser.error(str(error))
        print(f"wrote {path}; grade with: rnncourse grade --key {args.folder} NOTEBOOK...")
        return 0
    if args.key is not None and args.seed is not None:
        parser.error("--seed is for self-study grading; a key brings its own secret seed")
    try:
        grades = grading.grade_notebooks(
            args.notebooks,
            key=args.key,
            jobs=args.jobs,
            seed=args.seed,
            cell_timeout=args.cell_timeout,
            timeout=args.timeout,
            memory_mb=args.memory_mb,
            sandbox=False if args.no_sandbox else None,
        )
    except grading.GradingError as error:
        parser.error(str(error))
    for grade in grades:
        print(grading.format_table(grade), flush=True)
    if len(grades) > 1:
        print(f"== total: {sum(g.score for g in grades)}/{sum(g.total for g in grades)} points")
    if args.json == "-":
        print(grading.format_report(grades), end="")
    elif args.json:
        grading.write_report(args.json, grades, "json")
    if args.csv:
        grading.write_report(args.csv, grades, "csv")
    if any(g.error for g in grades):
        return 2
    if args.fail_under is not None and any(g.score < args.fail_under for g in grades):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
