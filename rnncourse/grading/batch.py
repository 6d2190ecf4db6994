"""A batch, from the paths to the grades: the short pipeline that `grade_notebooks` runs.

1. Check the arguments; the source of the test cases (`cases.CaseSource`: the key, or self-study with a seed)
   and the limits (`prepare.Limits`) are made once.
2. Choose the sandbox level and read every notebook, then the package, the checks and the data
   (`prepare`), before the first kernel starts.
3. Each notebook: a grade from the results cache (`cache`), else graded here (`local`, one notebook in fresh
   kernels: `notebook`) or on a Dask cluster (`cluster`, whose workers run `worker`), and cached.
4. The cache is written after the last kernel is dead; the caller writes the reports (`report`).
"""

from __future__ import annotations

import asyncio
import functools
import os
import warnings
from collections.abc import Awaitable, Callable, Sequence

from rnncourse import arguments
from rnncourse.grading import cluster, local
from rnncourse.grading.cache import ResultsCache, context_digest
from rnncourse.grading.cases import CaseSource
from rnncourse.grading.kernel import DEFAULT_OUTPUT_LIMIT
from rnncourse.grading.key import Key
from rnncourse.grading.package_copy import package_files
from rnncourse.grading.prepare import (
    DEFAULT_CELL_TIMEOUT,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    Limits,
    Submission,
    prepare,
    read_submission,
    sandbox_argument,
    sandbox_level,
    warn_open_folders,
)
from rnncourse.grading.report import GradingError, NotebookGrade

__all__ = [
    "DEFAULT_CELL_TIMEOUT",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "grade_notebook",
    "grade_notebooks",
]


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
    sandbox = sandbox_argument(sandbox, where)
    if cache is not None and key is None and seed is None:
        raise ValueError(
            "a results cache needs a key or a fixed seed (self-study draws fresh test cases on every call, "
            "so nothing graded before could be reused)"
        )
    cases = CaseSource.given(key, seed, where)
    limits = Limits(
        cell_timeout=cell_timeout, timeout=timeout, output_limit=output_limit, memory_mb=memory_mb
    )
    progress = arguments.callable_or_none(progress, "progress", "a function (done, total, grade)", where)
    insecure_cluster = arguments.boolean(insecure_cluster, "insecure_cluster", where)
    if scheduler is not None:  # the key never goes in clear (refused before anything is read or sent)
        cluster_security, insecure = cluster.connection(
            scheduler, security=cluster_security, teacher=cases.teacher, insecure=insecure_cluster
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
        level, _reasons = sandbox_level(sandbox, teacher=cases.teacher, key_folder=cases.folder)
        level_name = level.name

    # Everything read, imported and hashed before the first learner kernel starts.
    submissions = [read_submission(p) for p in paths]
    warn_open_folders(submissions, level)  # the kernels' uids must not read each other's notebooks
    package = package_files()
    setup = None
    if level is not None:
        setup = prepare(submissions, cases=cases, limits=limits, level=level, package=package)

    # The cache is read before the first kernel starts and written after the last one is dead.
    results = ResultsCache(cache) if cache is not None else None
    context = context_digest(
        package=package, key=cases.key, seed=cases.seed, limits=limits.as_dict(), sandbox=level_name
    )
    batch = _Batch(submissions, results=results, context=context, level_name=level_name, progress=progress)
    if setup is not None:
        grades = local.run(batch.run(local.Here(setup, jobs).grade))
    else:
        grades = local.run(
            _on_cluster(
                batch,
                scheduler,
                cluster_security,
                cases=cases,
                limits=limits,
                sandbox=sandbox,
                package=package,
            )
        )
    if results is not None:
        results.save()
    return grades


def grade_notebook(path: str | os.PathLike, **kwargs) -> NotebookGrade:
    """Grade one exercise notebook; the arguments are those of `grade_notebooks`.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Example:
        >>> grade = grade_notebook("01_the_rnn_unit_exercises.ipynb")  # doctest: +SKIP
        >>> grade.score, grade.total  # doctest: +SKIP
        (6, 6)
    """
    return grade_notebooks([path], **kwargs)[0]


class _Batch:
    """The notebooks of one call and what is known of them: the results cache, the progress so far."""

    def __init__(
        self,
        submissions: list[Submission],
        *,
        results: ResultsCache | None,
        context: str,
        level_name: str,
        progress: Callable[[int, int, NotebookGrade], None] | None,
    ):
        self.submissions = submissions
        self.results = results
        self.context = context  # the cache's context digest (`cache.context_digest`)
        self.level_name = level_name  # the sandbox level asked for: grades of another are not cached
        self.progress = progress
        self.done = 0  # notebooks whose grade is ready

    async def run(self, grade: Callable[[Submission], Awaitable[NotebookGrade]]) -> list[NotebookGrade]:
        """Every notebook's grade, in input order; `grade` grades a readable notebook the cache lacks."""
        return await asyncio.gather(*(self._one(submission, grade) for submission in self.submissions))

    async def _one(self, submission: Submission, grade: Callable) -> NotebookGrade:
        result = await self._graded(submission, grade)
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, len(self.submissions), result)
        return result

    async def _graded(self, submission: Submission, grade: Callable) -> NotebookGrade:
        if submission.notebook is None:
            return NotebookGrade(path=str(submission.path), exercise=None, error=submission.exercise)
        entry = ResultsCache.entry_name(submission.content, submission.exercise, self.context)
        if self.results is not None:
            earlier = self.results.get(entry, str(submission.path))
            if earlier is not None:
                return earlier
        result = await grade(submission)
        # (a worker may have graded under another level than the one asked for)
        if self.results is not None and result.sandbox_level == self.level_name:
            self.results.put(entry, result)
        return result


async def _on_cluster(
    batch: _Batch,
    scheduler: str,
    security,
    *,
    cases: CaseSource,
    limits: Limits,
    sandbox: bool | str | None,
    package: dict[str, bytes],
) -> list[NotebookGrade]:
    """The batch's grades, each notebook the cache lacks graded by one task on the Dask cluster."""
    try:
        dask = await cluster.client(scheduler, security)
    except (OSError, TimeoutError) as error:
        raise GradingError(
            f"could not reach the Dask scheduler at {scheduler} ({type(error).__name__}: {str(error)[:300]})"
        ) from None
    async with dask:
        own = cluster.package_digest(package)
        task = functools.partial(
            _grade_task, dask, own=own, cases=cases, limits=limits.as_dict(), sandbox=sandbox
        )
        return await batch.run(task)


async def _grade_task(
    dask, submission: Submission, *, own: str, cases: CaseSource, limits: dict, sandbox
) -> NotebookGrade:
    """One notebook graded by a task on the cluster (a worker with another rnncourse gives a fault)."""
    # the key goes with each task (a scattered key has no lineage: lost with a worker, it would fail every
    # task that needs it); the scheduler reruns a task whose worker died
    path = submission.path
    try:
        result = await cluster.submit(
            dask,
            path.name,
            submission.content,
            teacher_key=cases.key,  # (submit's own `key` names the task)
            seed=cases.seed,
            limits=limits,
            sandbox=sandbox,
        )
    except Exception as error:  # the task raised, or was lost ATTEMPTS times
        return NotebookGrade(
            path=str(path),
            exercise=submission.exercise,
            error=f"not graded: its task failed on the cluster ({type(error).__name__}: {str(error)[:300]})",
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
