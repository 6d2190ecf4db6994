"""Grade exercise notebooks: `rnncourse grade NOTEBOOK... [--key KEY_DIR] [--json FILE] [--csv FILE]`.

Two modes:

- **self-study** (no key): the grader draws fresh test cases for every run from a random seed and computes
  the expected values with the same checks the notebook's check cells use. The reference solutions are in
  the repository, so this mode gives feedback; it cannot stop a learner who wants to cheat.
- **teacher** (`key=` / `--key KEY_DIR`, a folder written by `write_key` / `rnncourse key`): the test cases
  come from a seed of each submission's own (`Key.submission_seed`: an HMAC of the notebook's bytes keyed
  with the key), the sentiment question is tested on held-out sentences whose labels
  only the key holds, and the learner's kernel gets a copy of `rnncourse` *without* the exercise checks
  (`rnncourse.exercises.<notebook modules>`), so no code it can import produces the expected values of a
  check (the course library itself, e.g. `rnncourse.reference.rnn_step`, stays importable: an answer that
  *is* one of its functions is found by identity in the kernel, `exercises.reference_name`, earns nothing and
  gets a note for the teacher). Reasons of failed hidden cases never repeat what the kernel said.

How one notebook is graded (both modes), one job per module:

1. Before the first kernel starts, the grader reads every notebook and the key (`key`) into memory, imports
   every check it needs, reads the package files and the data files into memory, and records a fingerprint
   of what a later kernel could load (`sandbox.fingerprint`).
2. The notebook runs top to bottom in a fresh Jupyter kernel (`kernel`), errors allowed, in the bubblewrap
   sandbox (`sandbox`: no network, its own PID namespace, nothing of the machine but the system and Python
   read-only and its private folder), with resource limits, in a private folder with an unpredictable name
   that holds the kernel's HOME, TMPDIR, a fresh read-only copy of the package (first on PYTHONPATH), of
   the data files and of the sentiment cache, written from memory. A cell that runs past ``cell_timeout``
   is interrupted, and killed with its kernel if it ignores the interrupt; the notebook is then re-run in a
   fresh kernel without that cell (at most ``_MAX_RESTARTS`` times). A kernel that does not start is
   started once more, and otherwise reported as a fault of the machine (`NotebookGrade.fault`: an error, not
   a zero; never cached).
3. After the learner's cells, one grader cell per question sends the test cases (inputs only) into the
   kernel, calls the learner's function and sends the outputs back as a Jupyter display message (never a
   file). The verdict is computed in the grader's process (`scoring`).
4. Every process the notebook started is killed before the next notebook starts. If the package files
   (bytecode included), site-packages or the cache changed, the notebook's grade says so and the remaining
   notebooks are not graded (their kernels could have started from changed files).

Reports are written by the caller after every kernel is dead, atomically (`report.write_report`: JSON,
the CSV gradebook, Gradescope's results.json; `feedback.write_feedback`: a page per learner). With a results
cache (`cache=`, `cache.ResultsCache`) a notebook whose bytes were graded before in the same context gets that
grade without a kernel; the cache is read before the first kernel starts and written after the last is dead.
With a Dask scheduler (`scheduler=`, `cluster`) each notebook still to grade is one task: a worker grades it
as above, in its own sandbox with the same limits, and the grade comes back to this process; in teacher mode
only over TLS (the key goes with each task), and a task lost with its worker is graded on another.

The sandbox (`sandbox`) has three levels, and the grader uses the strongest that works here (`sandbox=None`,
the default; ``RNNCOURSE_SANDBOX`` or ``--sandbox LEVEL`` names one): bubblewrap's namespaces, else, for a
grader run as root where namespaces are refused (Docker, so Gradescope), the container level (each kernel an
unprivileged uid of its own; it cannot cut the network), and it says why each stronger level is not used.
Teacher mode refuses to grade with neither unless told to (`sandbox=False`, `--no-sandbox`), and refuses a
container level whose kernels could read the key; self-study mode grades without a sandbox with a warning.
Each grade names its level (`NotebookGrade.sandbox_level`, in the table, the JSON report, results.json and
the feedback page), and the results cache never reuses a grade of one level under another. Without a
sandbox a kernel runs as you and can read your files (the key included); the limits and the fingerprint
still keep one notebook from changing another's grade.

What hostile or broken notebooks get (tests/test_grader.py and tests/test_sandbox.py check each): a cell
that raises, loops, ignores interrupts, calls `os._exit` or `sys.exit`, allocates past the memory limit,
writes a file past the size limit, starts detached processes or prints 50 MB costs only that cell (a note
says what happened); an answer that loops, exits or raises fails that question with that reason; redefining
the checks in the kernel, or answers hard-wired to the check cells' inputs, earn nothing. In the sandbox,
reading the key through the grader's `/proc` entries or a walk of the file system, connecting to the
network, writing to the teacher's files, signalling the kernel graded beside it, reading the grader's
memory and planting bytecode all fail.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
import zmq

from rnncourse import arguments, exercises
from rnncourse.grading import cluster
from rnncourse.grading import sandbox as sandboxing
from rnncourse.grading.cache import ResultsCache, context_digest
from rnncourse.grading.kernel import (
    ANSWER_CELL,
    DEFAULT_OUTPUT_LIMIT,
    Batch,
    Cell,
    CellResult,
    CellState,
    run_once,
)
from rnncourse.grading.key import Key, read_key, write_key
from rnncourse.grading.report import (
    GradingError,
    NotebookGrade,
    QuestionGrade,
    format_gradebook,
    format_gradescope,
    format_report,
    format_table,
    write_report,
)
from rnncourse.grading.scoring import cases_for, cell_note, oracle_note, question_grade, reference_note

__all__ = [
    "DEFAULT_CELL_TIMEOUT",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "GradingError",
    "Key",
    "NotebookGrade",
    "QuestionGrade",
    "ResultsCache",
    "format_gradebook",
    "format_gradescope",
    "format_report",
    "format_table",
    "grade_notebook",
    "grade_notebooks",
    "read_key",
    "write_key",
    "write_report",
]

#: Seconds one cell may run before it is interrupted.
DEFAULT_CELL_TIMEOUT = 60
#: Seconds all of the learner's cells together may run.
DEFAULT_TIMEOUT = 300
#: Address space of a kernel (MiB); TensorFlow reserves a few GiB of it at import.
DEFAULT_MEMORY_MB = 12_288
_MAX_RESTARTS = 2
_CHECK_MODULES = sorted({q.module for q in exercises.QUESTIONS.values()})
# How a cell ends when it runs past a time limit (on a loaded machine, perhaps through no fault of its own).
_TIMED_OUT = {CellState.TIMEOUT, CellState.HUNG, CellState.DEADLINE, CellState.NOT_RUN}


def _read(path: Path) -> tuple[nbformat.NotebookNode, str, bytes]:
    """The notebook, its exercise's name and the file's bytes; raises GradingError saying what is wrong."""
    if path.is_dir():
        raise GradingError(f"{path}: is a directory, not a notebook")
    if not path.is_file():
        raise GradingError(f"{path}: no such file")
    try:
        content = path.read_bytes()
        nb = nbformat.reads(content.decode("utf-8"), as_version=4)
    except Exception as error:
        raise GradingError(
            f"{path}: not a readable Jupyter notebook ({type(error).__name__}: {str(error)[:200]})"
        ) from None
    known = sorted(exercises.NOTEBOOKS.values())
    meta = nb.metadata.get("rnncourse")
    name = meta.get("exercise") if isinstance(meta, dict) else None
    if name is None:  # a copy saved by hand may have lost its metadata: fall back on the file name
        name = next((k for k in known if path.stem.startswith(k)), None)
    if name not in known:
        raise GradingError(
            f"{path}: not an rnncourse exercise notebook (expected one of {known}, from the "
            "notebook's metadata or its file name)"
        )
    return nb, name, content


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("rnncourse")
    return meta if isinstance(meta, dict) else {}


@dataclass
class _Setup:
    """What every notebook of one call shares, prepared before the first kernel starts."""

    key: Key | None
    package: dict[str, bytes]
    data: dict[str, bytes]
    hidden: set[str]  # package files left out of the kernels' copies (the checks, in teacher mode)
    package_root: Path
    fingerprint: dict[str, str]
    batch: Batch


async def _grade_async(
    path: Path,
    nb: nbformat.NotebookNode,
    name: str,
    *,
    setup: _Setup,
    seed: int,
    cell_timeout: int,
    timeout: int,
    output_limit: int,
) -> NotebookGrade:
    started = time.monotonic()
    grade = NotebookGrade(
        path=str(path),
        exercise=name,
        mode="teacher" if setup.key else "self-study",
        sandbox=not isinstance(setup.batch.level, sandboxing.NoSandbox),
        sandbox_level=setup.batch.level.name,
    )
    questions = exercises.questions_for(name)
    # The grader's own test cases, built before the learner's code runs; the kernel gets only the inputs.
    cases = {q.qid: cases_for(q, setup.key, seed) for q in questions}
    cells = [
        Cell(i, c.source, check=_meta(c).get("check"))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and c.source.strip()
    ]
    note = oracle_note([c.source for c in cells]) if setup.key else None
    if note:
        grade.notes.append(note)
    for question in questions:
        source = ANSWER_CELL.format(
            qid=question.qid, name=question.answer_name, cases=exercises.encode_cases(cases[question.qid])
        )
        cells.append(Cell(-1, source, question.qid))
    user = None
    try:
        if isinstance(setup.batch.level, sandboxing.Container):
            user = sandboxing.KernelUser.claim()
        base = sandboxing.private_folder(
            setup.package, setup.data, setup.hidden, parent=sandboxing.reachable_temp() if user else None
        )
        if user is not None:
            user.give(base)
    except OSError as error:  # the machine's fault (a full disk, no folder for the sockets): no traceback
        if user is not None:
            user.release()
        grade.error = (
            f"not graded: no private folder for its kernel ({type(error).__name__}: {str(error)[:300]}); "
            "a fault of the grading machine, not of the notebook"
        )
        grade.fault = True
        grade.seconds = time.monotonic() - started
        return grade
    try:
        skip: set[int] = set()
        failures: dict[int, CellResult] = {}  # how a skipped cell failed when it ran
        deadline = started + timeout + cell_timeout * len(questions)
        status: dict[int, CellResult] = {}
        answers: dict[int, str] = {}
        start_failures = 0
        unrun = CellResult(CellState.NOT_RUN)  # the result of a cell no kernel got to
        for attempt in range(_MAX_RESTARTS + 2):
            status, answers = {}, {}
            grade.check_output = {}
            if attempt:  # what a previous kernel left in the package copy goes
                sandboxing.write_package(base, setup.package, setup.hidden)
                if user is not None:
                    user.give(base)
            try:
                bad = await run_once(
                    cells,
                    skip,
                    base=base,
                    batch=setup.batch,
                    cell_timeout=cell_timeout,
                    deadline=deadline,
                    output_limit=output_limit,
                    status=status,
                    answers=answers,
                    check_output=grade.check_output,
                    user=user,
                )
            except (RuntimeError, OSError, TimeoutError, zmq.ZMQError) as error:
                start_failures += 1
                if start_failures == 1 and time.monotonic() < deadline:
                    continue  # once more, in a fresh kernel
                why = f"the kernel did not start, twice ({type(error).__name__}: {str(error)[:200]})"
                grade.notes.append(why)
                if attempt + 1 == start_failures:  # no kernel ever ran the notebook's code in its folder
                    # so the fault is the machine's: an error to grade again, never a zero to keep
                    grade.error = f"not graded: {why}; a fault of the grading machine, not of the notebook"
                    grade.fault = True
                unrun = CellResult(CellState.NO_KERNEL)
                break
            if bad is None:
                break
            skip.add(bad)
            failures[bad] = status.get(bad, CellResult(CellState.DIED))
            what = {
                CellState.DIED: "killed the kernel",
                CellState.DEADLINE: "ran past the notebook's time limit",
            }.get(failures[bad].state, "ignored the interrupt")
            label = f"cell {cells[bad].index + 1}" if cells[bad].qid is None else f"checking {cells[bad].qid}"
            grade.notes.append(f"{label} {what}; re-running the notebook in a fresh kernel without it")
            if time.monotonic() >= deadline:
                break
            if attempt - start_failures >= _MAX_RESTARTS:
                grade.notes.append("gave up re-running the notebook after repeated kernel failures")
                break

        def result(position: int) -> CellResult:
            if position in status:
                return status[position]
            if position in failures:
                return failures[position]
            return CellResult(CellState.SKIPPED) if position in skip else unrun

        for position, cell in enumerate(cells):
            if cell.qid is None:
                text = cell_note(f"cell {cell.index + 1}", result(position), cell_timeout)
                if text:
                    grade.notes.append(text)
        grade.timed_out = any(
            result(position).state in _TIMED_OUT for position in range(len(cells)) if position not in skip
        ) or any(failure.state in _TIMED_OUT for failure in failures.values())
        for question, position in zip(questions, [i for i, c in enumerate(cells) if c.qid], strict=True):
            grade.questions.append(
                question_grade(
                    question,
                    result(position),
                    answers.get(position),
                    cases[question.qid],
                    cell_timeout,
                    hidden=setup.key is not None,
                )
            )
        if setup.key is not None:
            note = reference_note(grade.questions)
            if note:
                grade.notes.append(note)
    finally:
        try:
            sandboxing.remove_private_folder(base)
        finally:
            if user is not None:
                user.release()
        grade.seconds = time.monotonic() - started
    return grade


def grade_notebook(path: str | os.PathLike, **kwargs) -> NotebookGrade:
    """Grade one exercise notebook; the arguments are those of `grade_notebooks`.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Example:
        >>> grade = grade_notebook("01_the_rnn_unit_exercises.ipynb")  # doctest: +SKIP
        >>> grade.score, grade.total  # doctest: +SKIP
        (6, 6)
    """
    return grade_notebooks([path], **kwargs)[0]


def _choose_level(
    wanted: bool | str | None, *, teacher: bool, key_folder: Path | None
) -> tuple[sandboxing.Level, dict[str, str]]:
    """The sandbox level of the kernels (`sandboxing.choose_level`) and why each stronger one is not used:
    `wanted` (a level's name, False for none, True for the strongest that works), or when it is None, the
    strongest level that works here (`RNNCOURSE_SANDBOX` may name one). Teacher mode refuses to grade
    without a sandbox unless told to, and refuses a container level whose kernels could read the key."""
    if wanted is False or wanted == "none":
        return sandboxing.LEVELS["none"], {}
    chosen, reasons = sandboxing.choose_level(wanted if isinstance(wanted, str) else None)
    if isinstance(chosen, sandboxing.NoSandbox):
        why = "; ".join(f"{name}: {reason}" for name, reason in reasons.items())
        if wanted or teacher:
            mode = "teacher mode needs" if teacher else f"sandbox={wanted!r} needs"
            raise GradingError(
                f"{mode} a sandbox, and none works here ({why}); for bubblewrap, {sandboxing.INSTALL_HINT}; "
                "the container level needs the grader to run as root; or grade without one with "
                "--no-sandbox (sandbox=False)"
            )
        warnings.warn(
            f"grading without a sandbox ({why}): the notebooks' code can read and change your files; "
            f"{sandboxing.INSTALL_HINT}",
            stacklevel=3,
        )
        return chosen, reasons
    if key_folder is not None and isinstance(chosen, sandboxing.Bubblewrap):
        shown = sandboxing.exposes(key_folder)
        if shown is not None:
            raise GradingError(
                f"{key_folder}: the key folder would be visible inside the sandbox (it is under {shown}, "
                "which kernels can read); move it, e.g. into your home folder"
            )
    if reasons and wanted is None:  # a weaker level than bubblewrap, found on its own: say why
        why = "; ".join(f"{name}: {reason}" for name, reason in reasons.items())
        warnings.warn(
            f"grading at the {chosen.name} sandbox level ({why}); it does not protect: {chosen.gaps}",
            stacklevel=3,
        )
    if key_folder is not None and isinstance(chosen, sandboxing.Container):
        uid = sandboxing.first_uid()
        for path in (key_folder / "key.json", key_folder):
            if path.exists() and sandboxing.readable_by(path, uid):
                raise GradingError(
                    f"{path}: the key is readable by the kernels' unprivileged users (uid {uid} and up) at "
                    "the container sandbox level; make it and its folder readable by its owner alone "
                    f"(chmod 700 {key_folder}, or a folder above it)"
                )
    return chosen, reasons


def grade_notebooks(
    paths: Sequence[str | os.PathLike],
    *,
    key: str | os.PathLike | Key | None = None,
    jobs: int = 1,
    seed: int | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    timeout: int = DEFAULT_TIMEOUT,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    sandbox: bool | str | None = None,
    cache: str | os.PathLike | None = None,
    progress: Callable[[int, int, NotebookGrade], None] | None = None,
    scheduler: str | None = None,
    cluster_security=None,
    insecure_cluster: bool = False,
) -> list[NotebookGrade]:
    """Grade exercise notebooks, one fresh kernel each, `jobs` at a time; results in input order.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Args:
        paths: the notebook files.
        key: a teacher's key folder (`write_key`) or `Key`: teacher mode. Default: None (self-study).
        jobs: notebooks graded at once. Default: 1.
        seed: self-study only: the seed of the test cases. Default: a fresh random one per call.
        cell_timeout: seconds a cell may run before it is interrupted. Default: 60.
        timeout: seconds the learner's cells may run in all (each answer cell adds `cell_timeout`).
            Default: 300.
        output_limit: characters of output kept per cell. Default: 20,000.
        memory_mb: address-space limit of a kernel in MiB. Default: 12,288.
        sandbox: the sandbox level of the kernels (`rnncourse.grading.sandbox`): None for the strongest
            that works here (bubblewrap's namespaces, else the container level when the grader runs as root;
            the environment variable ``RNNCOURSE_SANDBOX`` may name one); without either, teacher mode raises
            `GradingError` and self-study mode grades without a sandbox and warns. True: the strongest that
            works (`GradingError` when none does). A level's name (``"bubblewrap"``, ``"container"``,
            ``"none"``): that one (`GradingError` when it cannot be used). False or ``"none"``: none (the
            grades say so). Each grade says its level (`NotebookGrade.sandbox_level`). Default: None.
        cache: a results cache file (`rnncourse.grading.cache`; created if missing): a notebook whose bytes
            were graded before in the same context (grader, key or seed, limits, sandbox) gets that grade
            (`NotebookGrade.cached`) without a kernel. Needs a key or a `seed`. Default: None (no cache).
        progress: called as ``progress(done, total, grade)`` each time a notebook's grade is ready (in the
            order they finish). Default: None.
        scheduler: the address of a Dask scheduler (``tls://host:8786``): grade one notebook per task on its
            workers (`rnncourse.grading.cluster`; `jobs` is then unused: the workers set the pace), each in
            its own sandbox with the same limits (`sandbox` is decided on each worker); a task lost with its
            worker is run again elsewhere. In teacher mode the address must be ``tls://`` (the key goes with
            every task), unless `insecure_cluster`. Needs the `cluster` extra. Default: None (grade here).
        cluster_security: the `distributed.security.Security` (TLS certificates) to reach `scheduler` with:
            `cluster.security(ca_file, cert, key)`, or ``cluster.security`` of a
            ``distributed.LocalCluster(security=True)``. Default: None (Dask's configuration,
            ``distributed.comm.tls.*``).
        insecure_cluster: teacher mode: send the key to a scheduler whose address is not ``tls://`` (plain
            ``tcp://``) all the same, with a warning; only on a network that is yours alone. Default: False
            (such an address raises `GradingError`).

    Returns:
        One `NotebookGrade` per path; when a file cannot be graded its `error` says why.

    Raises:
        ValueError: a limit that is not a positive integer.
        GradingError: an unreadable key, no sandbox where one is needed, a scheduler address refused in
            teacher mode (not ``tls://``), or a scheduler that cannot be reached.
        TypeError: `cluster_security` that is not a `distributed.security.Security`.
    """
    where = "grade_notebooks"
    for name, value in (
        ("jobs", jobs),
        ("cell_timeout", cell_timeout),
        ("timeout", timeout),
        ("output_limit", output_limit),
        ("memory_mb", memory_mb),
    ):
        arguments.positive_int(value, name, where)
    if sandbox is not None and not isinstance(sandbox, str):
        sandbox = arguments.boolean(sandbox, "sandbox", where)
    elif isinstance(sandbox, str):
        sandboxing.level(sandbox)  # a ValueError for an unknown name
    key_folder = None
    if key is not None and not isinstance(key, Key):
        key_folder = Path(key)
        key = read_key(key)
    if key is not None and seed is not None:
        raise ValueError("seed is for self-study grading; a key brings its own secret seed")
    if cache is not None and key is None and seed is None:
        raise ValueError(
            "a results cache needs a key or a fixed seed (self-study draws fresh test cases on every call, "
            "so nothing graded before could be reused)"
        )
    progress = arguments.callable_or_none(progress, "progress", "a function (done, total, grade)", where)
    insecure_cluster = arguments.boolean(insecure_cluster, "insecure_cluster", where)
    if scheduler is not None:  # the key never goes in clear (refused before anything is read or sent)
        cluster_security, insecure = cluster.connection(
            scheduler, security=cluster_security, teacher=key is not None, insecure=insecure_cluster
        )
        if insecure:
            warnings.warn(insecure, stacklevel=2)
    elif cluster_security is not None or insecure_cluster:
        raise ValueError("cluster_security and insecure_cluster are for grading on a cluster (scheduler=)")
    if scheduler is not None:  # the workers choose their sandbox (and refuse in teacher mode without one)
        # a worker's grade is cached only when it was graded under the level asked for (the strongest when
        # none is named), so a cached grade always names the level of the context it is filed under
        level_name = "none" if sandbox is False else sandbox if isinstance(sandbox, str) else "bubblewrap"
        level = None
    else:
        level, _reasons = _choose_level(sandbox, teacher=key is not None, key_folder=key_folder)
        level_name = level.name
    seed = secrets.randbelow(2**31) if seed is None else arguments.seed(seed, "seed", where)

    # 1. Everything read, imported and hashed before the first learner kernel starts.
    read: list[tuple[Path, nbformat.NotebookNode | None, str, bytes]] = []
    for p in paths:
        try:
            read.append((Path(p), *_read(Path(p))))
        except GradingError as error:
            read.append((Path(p), None, str(error), b""))
    if isinstance(level, sandboxing.Container) and len(read) > 1:
        # the kernels' uids must not read each other's notebooks where they lie
        uid = sandboxing.first_uid()
        open_folders = sorted(
            str(folder)
            for folder in {p.resolve().parent for p, *_ in read if p.exists()}
            if sandboxing.readable_by(folder, uid)
        )
        if open_folders:
            warnings.warn(
                f"the kernels' unprivileged users can list {', '.join(open_folders[:3])}: a learner's code "
                "could read the other notebooks there; make the class folder readable by its owner alone "
                "(chmod 700)",
                stacklevel=2,
            )
    package = sandboxing.package_files()
    setup = None
    if scheduler is None:
        for module in _CHECK_MODULES:
            importlib.import_module(f"rnncourse.exercises.{module}")
        importlib.import_module("rnncourse.metrics")
        importlib.import_module("rnncourse.baselines")
        if any(nb is not None and name == exercises.NOTEBOOKS["04"] for _, nb, name, _ in read):
            exercises.sentiment_data()  # loads and caches the data in this process
        package_root = Path(exercises.__file__).resolve().parents[1]
        spared = (
            {pid for pid, (ppid, _, _) in sandboxing.processes().items() if ppid == os.getpid()}
            if os.path.isdir("/proc")
            else set()
        )
        setup = _Setup(
            key=key,
            package=package,
            data=sandboxing.data_files(raw_sentiment=key is None),
            hidden={f"rnncourse/exercises/{m}.py" for m in _CHECK_MODULES} if key else set(),
            package_root=package_root,
            fingerprint=sandboxing.fingerprint(package_root),
            batch=Batch(
                level=level,
                memory_mb=memory_mb,
                subreaper=sandboxing.become_subreaper(),
                spared=spared,
            ),
        )

    # The cache is read before the first kernel starts and written after the last one is dead.
    results = ResultsCache(cache) if cache is not None else None
    context = context_digest(
        package=package,
        key=key,
        seed=seed,
        limits=dict(
            cell_timeout=cell_timeout, timeout=timeout, output_limit=output_limit, memory_mb=memory_mb
        ),
        sandbox=level_name,
    )

    limits = dict(cell_timeout=cell_timeout, timeout=timeout, output_limit=output_limit, memory_mb=memory_mb)
    gate = asyncio.Semaphore(jobs) if setup is not None else None
    stop: list[str] = []
    done = [0]
    remote: list[Callable] = []  # the cluster's grading function, once connected

    async def one(path: Path, nb, name: str, content: bytes) -> NotebookGrade:
        grade = await graded(path, nb, name, content)
        done[0] += 1
        if progress is not None:
            progress(done[0], len(read), grade)
        return grade

    async def graded(path: Path, nb, name: str, content: bytes) -> NotebookGrade:
        if nb is None:
            return NotebookGrade(path=str(path), exercise=None, error=name)
        entry = ResultsCache.entry_name(content, name, context)
        if results is not None:
            earlier = results.get(entry, str(path))
            if earlier is not None:
                return earlier
        if setup is None:
            grade = await remote[0](path, name, content)
        else:  # in teacher mode each submission's cases come from a seed of its own
            own_seed = key.submission_seed(content) if key is not None else seed
            grade = await here(path, nb, name, own_seed)
        # (a worker may have graded under another level than the one asked for)
        if results is not None and grade.sandbox_level == level_name:
            results.put(entry, grade)
        return grade

    async def here(path: Path, nb, name: str, own_seed: int) -> NotebookGrade:
        async with gate:
            if stop:
                return NotebookGrade(path=str(path), exercise=name, error=f"not graded: {stop[0]}")
            grade = await _grade_async(
                path,
                nb,
                name,
                setup=setup,
                seed=own_seed,
                cell_timeout=cell_timeout,
                timeout=timeout,
                output_limit=output_limit,
            )
            changed = sandboxing.changed(setup.fingerprint, sandboxing.fingerprint(setup.package_root))
            if changed:
                shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
                stop.append(f"files the grader relies on changed while {path} was graded ({shown})")
                grade.error = f"this notebook (or one graded at the same time) changed {shown}"
            if not setup.batch.subreaper:
                grade.notes.append("processes that left the kernel's session could not be tracked here")
            return grade

    async def run_all() -> list[NotebookGrade]:
        if setup is not None:
            setup.batch.start_lock = asyncio.Lock()
            return await asyncio.gather(*(one(*item) for item in read))
        try:
            dask = await cluster.client(scheduler, cluster_security)
        except (OSError, TimeoutError) as error:
            raise GradingError(
                f"could not reach the Dask scheduler at {scheduler} "
                f"({type(error).__name__}: {str(error)[:300]})"
            ) from None
        async with dask:
            own = cluster.package_digest(package)

            async def on_cluster(path: Path, name: str, content: bytes) -> NotebookGrade:
                # the key goes with each task (a scattered key has no lineage: lost with a worker, it would
                # fail every task that needs it); the scheduler reruns a task whose worker died
                try:
                    result = await cluster.submit(
                        dask,
                        path.name,
                        content,
                        teacher_key=key,  # (submit's own `key` names the task)
                        seed=seed,
                        limits=limits,
                        sandbox=sandbox,
                    )
                except Exception as error:  # the task raised, or was lost ATTEMPTS times
                    return NotebookGrade(
                        path=str(path),
                        exercise=name,
                        error=f"not graded: its task failed on the cluster ({type(error).__name__}: "
                        f"{str(error)[:300]})",
                        fault=True,
                    )
                grade = cluster.grade_from_task(result, str(path))
                if result["package"] != own:
                    grade.error = (
                        f"graded by a worker ({result['worker']}) whose rnncourse differs from this one's: "
                        "install the same version on every worker"
                    )
                    grade.fault = True
                return grade

            remote.append(on_cluster)
            return await asyncio.gather(*(one(*item) for item in read))

    # The grader writes no bytecode while it grades, so any new or changed file in the package is a kernel's.
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        grades = asyncio.run(run_all())
    finally:
        sys.dont_write_bytecode = writes_bytecode
    if results is not None:
        results.save()
    return grades
