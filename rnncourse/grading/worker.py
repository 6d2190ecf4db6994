"""The worker's side of grading on a Dask cluster: the task `grade_task` that grades one notebook there.

`cluster` (the sender's side) submits `grade_task` with the notebook's bytes, the limits and, in teacher
mode, the key. The worker grades it as this machine would (`prepare`, then `local`), in a private temporary
folder, in its own sandbox with the same limits, one notebook at a time per worker process (the grader kills
every process its kernel left, so two gradings must not share a process); the key stays in the worker's
grading process and never reaches a kernel.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from rnncourse.grading import local
from rnncourse.grading.cases import CaseSource
from rnncourse.grading.key import Key
from rnncourse.grading.package_copy import package_files
from rnncourse.grading.prepare import Limits, prepare, read_submission, sandbox_level
from rnncourse.grading.report import NotebookGrade

__all__ = ["grade_task", "package_digest"]

#: One grading at a time in a worker process (the grader is the subreaper of the processes it kills).
_ONE_AT_A_TIME = threading.Lock()


def package_digest(package: Mapping[str, bytes]) -> str:
    """A digest of the package's files (relative path -> bytes): equal on the sender and every worker."""
    digest = hashlib.sha256()
    for relative in sorted(package):
        digest.update(relative.encode() + b"\0" + hashlib.sha256(package[relative]).digest())
    return digest.hexdigest()


def grade_task(
    filename: str,
    content: bytes,
    *,
    teacher_key: Key | None,
    seed: int,
    limits: Mapping[str, int],
    sandbox: bool | str | None,
) -> dict:
    """Grade one notebook on a worker (the task `grade_notebooks(scheduler=...)` sends).

    Args:
        filename: the notebook's file name (its exercise is found from it when its metadata lacks one).
        content: the notebook's bytes.
        teacher_key: the teacher's key, or None in self-study (then `seed` draws the test cases).
        seed: the self-study seed.
        limits: cell_timeout, timeout, output_limit, memory_mb.
        sandbox: as `grade_notebooks`'s `sandbox`.

    Returns:
        ``{"grade": NotebookGrade.to_dict(), "package": package_digest(...), "worker": host name,
        "address": the Dask worker's address}``.
    """
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name) or "notebook.ipynb"
    cases = CaseSource(key=teacher_key, seed=seed)
    with _ONE_AT_A_TIME:
        folder = Path(tempfile.mkdtemp(prefix="rnncourse-task-"))
        try:
            path = folder / name
            path.write_bytes(content)
            grade = _grade_here(path, cases, Limits(**limits), sandbox)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):  # (called outside a Dask worker)
        address = None
    return {
        "grade": grade.to_dict(),
        "package": package_digest(package_files()),
        "worker": socket.gethostname(),
        "address": address,
    }


def _grade_here(path: Path, cases: CaseSource, limits: Limits, sandbox: bool | str | None) -> NotebookGrade:
    """One notebook graded on this machine, as `grade_notebooks` grades it without a scheduler."""
    level, _reasons = sandbox_level(sandbox, teacher=cases.teacher, key_folder=None)
    submission = read_submission(path)
    package = package_files()
    setup = prepare([submission], cases=cases, limits=limits, level=level, package=package)
    if submission.notebook is None:
        return NotebookGrade(path=str(path), exercise=None, error=submission.exercise)
    return local.run(local.Here(setup).grade(submission))
