"""Command line: `rnncourse grade ...`, `rnncourse key ...` and `rnncourse gradescope ...` (also
`python -m rnncourse ...`), and `rnncourse --version`.

With `--roster CSV --gradebook canvas|moodle|csv --out FILE`, `grade` also writes a gradebook an LMS imports
(`rnncourse.grading.gradebook`): one row per learner of the roster, zeros for what was not handed in.

Exit status of `grade`: 0 when every notebook was graded (and, with `--fail-under POINTS`, each scored at
least POINTS); 1 when a notebook scored below `--fail-under`; 2 on a usage error or when a notebook could
not be graded (not readable, not an exercise notebook, a directory; the others are still graded); 3 when a
notebook could not be graded through a fault of the machine (a kernel that did not start, a sandbox that
failed, a task lost on a cluster): that is no grade of the notebook's, so grade it again.
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


def _add_limits(parser: argparse.ArgumentParser) -> None:
    from rnncourse import grading

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
        parser.add_argument(
            flag, type=_positive, default=default, metavar=metavar, help=f"{what} (default {default})"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnncourse", description="Tools for the rnncourse notebooks.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {rnncourse.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser(
        "grade",
        help="grade exercise notebooks",
        description="Run each exercise notebook in a fresh, isolated kernel and grade its answers on fresh "
        "test cases (self-study), or on a teacher's hidden key (--key).",
    )
    grade.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="exercise notebook(s) (.ipynb)")
    grade.add_argument(
        "--key", metavar="KEY_DIR", help="teacher mode: grade against this key (`rnncourse key`)"
    )
    grade.add_argument(
        "--json", metavar="FILE", help="also write the grades as JSON to FILE ('-' for stdout)"
    )
    grade.add_argument("--csv", metavar="FILE", help="also write a gradebook (one row per notebook) to FILE")
    grade.add_argument(
        "--gradescope-json",
        metavar="FILE",
        help="also write the grades as one submission in Gradescope's autograder format (results.json)",
    )
    grade.add_argument(
        "--expect",
        action="append",
        default=[],
        metavar="EXERCISE",
        help="with --gradescope-json or --gradebook: an exercise of the assignment (01 or its name; repeat "
        "it); one not handed in scores 0, one not asked for counts for nothing",
    )
    grade.add_argument(
        "--gradescope-visibility",
        choices=("visible", "hidden", "after_due_date", "after_published"),
        help="with --gradescope-json and --key: when learners see the results of the hidden test cases "
        "(after_due_date: after the due date; default visible)",
    )
    grade.add_argument(
        "--roster",
        metavar="CSV",
        help="the class list (columns id and name; email, sis_user_id, sis_login_id, section for the LMS) "
        "for --gradebook: one row per learner, zeros for what was not handed in",
    )
    grade.add_argument(
        "--gradebook",
        choices=("canvas", "moodle", "csv"),
        help="with --roster and --out: write the gradebook in Canvas's or Moodle's grade import layout, or "
        "as a plain CSV with each learner's status",
    )
    grade.add_argument("--out", metavar="FILE", help="the gradebook file --gradebook writes")
    grade.add_argument(
        "--assignment",
        default="rnncourse exercises",
        metavar="NAME",
        help="the assignment's name in the gradebook (default 'rnncourse exercises')",
    )
    grade.add_argument(
        "--assignment-id", default="", metavar="ID", help="Canvas's id of the assignment (to update it)"
    )
    grade.add_argument(
        "--feedback",
        metavar="DIR",
        help="also write a feedback page per learner (DIR/LEARNER.html: each question, points, why)",
    )
    grade.add_argument(
        "--cache",
        metavar="FILE",
        help="results cache: notebooks graded before with the same bytes, key and limits are not graded "
        "again (default with --key or --seed: beside the --csv or --json file, FILE.cache.json)",
    )
    grade.add_argument("--no-cache", action="store_true", help="grade every notebook, and keep no cache")
    grade.add_argument(
        "--fail-under",
        type=_points,
        metavar="POINTS",
        help="exit with status 1 if a notebook scores below POINTS",
    )
    _add_limits(grade)
    grade.add_argument(
        "--seed", type=int, default=None, help="self-study: seed of the test cases (default: fresh per run)"
    )
    grade.add_argument("--jobs", type=_positive, default=1, help="notebooks graded at once (default 1)")
    grade.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a Dask cluster: one task per notebook to the scheduler at ADDRESS "
        "(tls://host:8786; needs rnncourse[cluster] here and on the workers); with --key the address must "
        "be tls:// (the key goes with every task) unless --insecure-cluster; a task lost with its worker is "
        "graded on another",
    )
    for option, what in (
        ("--tls-ca-file", "the CA certificate(s) of the cluster"),
        ("--tls-cert", "this client's certificate (it may hold its private key too)"),
        ("--tls-key", "this client's private key (not the teacher's --key)"),
    ):
        grade.add_argument(
            option,
            metavar="PEM",
            help=f"with a tls:// --scheduler: {what}, as `dask scheduler` and `dask worker` take it "
            "(default: Dask's configuration, distributed.comm.tls.*)",
        )
    grade.add_argument(
        "--insecure-cluster",
        action="store_true",
        help="with --key and a --scheduler that is not tls://: send the key in clear all the same (only on "
        "a network that is yours alone; a warning says so); without it such an address is refused",
    )
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the kernels without a sandbox (teacher mode refuses to grade without one unless given "
        "this; the grades say so)",
    )
    grade.add_argument(
        "--sandbox",
        choices=["bubblewrap", "container", "none"],
        help="the sandbox level of the kernels (default: the strongest that works here: bubblewrap's "
        "namespaces, else, for a grader run as root where namespaces are refused, as in Docker, an "
        "unprivileged uid per kernel; the environment variable RNNCOURSE_SANDBOX may name one)",
    )
    scope = commands.add_parser(
        "gradescope",
        help="write a Gradescope autograder (zip) for the exercise notebooks",
        description="Write a Gradescope autograder zip (setup.sh, run_autograder, the package) that grades "
        "a submission's exercise notebooks with `rnncourse grade --gradescope-json`.",
    )
    scope.add_argument("zip", metavar="OUT.zip", help="the autograder zip to write")
    scope.add_argument(
        "--exercises",
        nargs="+",
        default=[],
        metavar="EXERCISE",
        help="the exercises of the assignment (01 or full names; default all)",
    )
    scope.add_argument("--key", metavar="KEY_DIR", help="grade against this key (teacher mode)")
    scope.add_argument(
        "--visibility",
        choices=("visible", "hidden", "after_due_date", "after_published"),
        help="with --key: when learners see each question's result (after_due_date: after the due date; "
        "default visible)",
    )
    _add_limits(scope)
    scope.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade even where bubblewrap cannot run (learners' code can then read the key)",
    )
    key = commands.add_parser(
        "key",
        help="write a teacher's key for `grade --key`",
        description="Write a key folder: a secret seed for the test cases and held-out sentiment sentences "
        "with their labels. Keep it away from the learners.",
    )
    key.add_argument("folder", metavar="KEY_DIR", help="a new or empty folder")
    return parser


def _cache_path(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str | None:
    """The results cache of a `grade` run: --cache, or beside the gradebook when test cases are fixed."""
    from rnncourse.grading import cache

    if args.no_cache:
        if args.cache:
            parser.error("--cache and --no-cache contradict each other: give one")
        return None
    fixed = args.key is not None or args.seed is not None
    if args.cache:
        if not fixed:
            parser.error(
                "--cache needs --key or --seed: self-study draws fresh test cases on every run, so nothing "
                "graded before could be reused"
            )
        return args.cache
    gradebook = args.csv or (args.json if args.json not in (None, "-") else None)
    return str(cache.default_path(gradebook)) if fixed and gradebook else None


def _show_progress(done: int, total: int, grade) -> None:
    """One line on stderr per notebook graded: how many are done, its score, its file."""
    from rnncourse.grading import report

    width = len(str(total))
    if grade.error and not grade.questions:
        result = "error"
    else:
        result = f"{grade.score}/{grade.total}" + (" cached" if grade.cached else f" {grade.seconds:.0f} s")
    path = report.clean(grade.path, 200)  # file names can hold terminal escapes
    print(f"[{done:>{width}}/{total}] {result:<12} {path}", file=sys.stderr, flush=True)


def _gradescope(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from rnncourse import grading
    from rnncourse.grading.gradescope import write_autograder

    options = [f"--cell-timeout={args.cell_timeout}", f"--timeout={args.timeout}"]
    options.append(f"--memory-mb={args.memory_mb}")
    if args.no_sandbox:
        options.append("--no-sandbox")
    if args.visibility:
        if not args.key:
            parser.error("--visibility is for teacher mode (--key): self-study test cases are no secret")
        options.append(f"--gradescope-visibility={args.visibility}")
    try:
        path = write_autograder(args.zip, exercises_wanted=args.exercises, key=args.key, options=options)
    except grading.GradingError as error:
        parser.error(str(error))
    print(f"wrote {path}: upload it as the assignment's autograder (Gradescope: Configure Autograder)")
    return 0


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
    if args.command == "gradescope":
        return _gradescope(args, parser)
    if args.key is not None and args.seed is not None:
        parser.error("--seed is for self-study grading; a key brings its own secret seed")
    if args.expect and not (args.gradescope_json or args.gradebook):
        parser.error("--expect is for --gradescope-json or --gradebook")
    if (args.gradebook is None) != (args.roster is None) or (args.gradebook is None) != (args.out is None):
        parser.error(
            "--gradebook, --roster and --out go together: a layout, the class list and the file to write "
            f"(got --gradebook {args.gradebook}, --roster {args.roster}, --out {args.out})"
        )
    roster = None
    if args.roster:
        from rnncourse.grading.roster import read_roster

        try:
            roster = read_roster(args.roster)
        except grading.GradingError as error:
            parser.error(str(error))
    if args.gradescope_visibility and not (args.gradescope_json and args.key):
        parser.error("--gradescope-visibility is for --gradescope-json with --key")
    if not args.notebooks and not args.expect:
        parser.error("expected at least one NOTEBOOK")
    try:
        from rnncourse.grading.gradescope import exercise_names

        expected = exercise_names(args.expect) if args.expect else []
    except grading.GradingError as error:
        parser.error(str(error))
    cache = _cache_path(args, parser)
    security = None
    tls = (args.tls_ca_file, args.tls_cert, args.tls_key)
    if args.scheduler is None and (any(tls) or args.insecure_cluster):
        parser.error("--tls-ca-file, --tls-cert, --tls-key and --insecure-cluster are for --scheduler")
    try:
        if any(tls):
            from rnncourse.grading import cluster

            security = cluster.security(*tls)
        grades = grading.grade_notebooks(
            args.notebooks,
            key=args.key,
            jobs=args.jobs,
            seed=args.seed,
            cell_timeout=args.cell_timeout,
            timeout=args.timeout,
            memory_mb=args.memory_mb,
            sandbox=False if args.no_sandbox else args.sandbox,
            cache=cache,
            scheduler=args.scheduler,
            cluster_security=security,
            insecure_cluster=args.insecure_cluster,
            progress=_show_progress if len(args.notebooks) > 1 else None,
        )
    except grading.GradingError as error:
        parser.error(str(error))
    for grade in grades:
        print(grading.format_table(grade), flush=True)
    counted = [g for g in grades if not expected or g.exercise in expected]
    if len(grades) > 1:
        print(f"== total: {sum(g.score for g in counted)}/{sum(g.total for g in counted)} points")
    for grade in grades:
        if grade not in counted and grade.exercise is not None:
            print(f"== ignored: {grading.report.clean(grade.path, 200)} ({grade.exercise} is not expected)")
    if args.json == "-":
        print(grading.format_report(grades), end="")
    elif args.json:
        grading.write_report(args.json, grades, "json")
    if args.csv:
        grading.write_report(args.csv, grades, "csv")
    if args.gradescope_json:
        shown = args.gradescope_visibility
        grading.write_report(args.gradescope_json, grades, "gradescope", expected=expected, visibility=shown)
    if roster is not None:
        from rnncourse.grading import gradebook

        try:
            book = gradebook.build_gradebook(grades, roster, expected)
        except grading.GradingError as error:
            parser.error(str(error))
        gradebook.write_gradebook(args.out, book, args.gradebook, args.assignment, args.assignment_id)
        missing = [row.learner.id for row in book.rows if row.status == "missing"]
        print(
            f"== gradebook ({args.gradebook}): {len(book.rows)} learners, {len(missing)} handed nothing in"
            + (f" ({', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''})" if missing else "")
            + f": {args.out}"
        )
        for grade, who in book.unknown:
            print(
                f"== not on the roster, not in the gradebook: {grading.report.clean(grade.path, 200)} "
                f"({who.how}: {grading.report.clean(who.label, 100)})"
            )
    if args.feedback:
        from rnncourse.grading.feedback import write_feedback

        try:
            write_feedback(args.feedback, grades)
        except grading.GradingError as error:
            parser.error(str(error))
    if any(g.fault for g in grades):
        faults = sum(g.fault for g in grades)
        print(
            f"== {faults} notebook(s) not graded through a fault of the machine: grade them again",
            file=sys.stderr,
        )
        return 3
    if any(g.error for g in grades):
        return 2
    if args.fail_under is not None and any(g.score < args.fail_under for g in grades):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
