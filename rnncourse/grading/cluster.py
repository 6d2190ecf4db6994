"""Grading on a Dask cluster: `rnncourse grade --scheduler ADDRESS` (`grade_notebooks(scheduler=...)`).

The teacher starts the cluster with Dask's own tools (``dask scheduler`` and ``dask worker``, dask-jobqueue,
dask-kubernetes: docs/teaching.md); every worker needs the same rnncourse (and bubblewrap) as the machine that
sends the batch. The grader reads the notebooks and the results cache where it runs, then sends one task per
notebook still to grade (`grade_task`: the notebook's bytes, the limits, and the key, sent to each worker
once with ``scatter(broadcast=True)``). A worker grades the notebook with `grade_notebooks` in a private
temporary folder, in its own sandbox with the same limits, one notebook at a time per worker process (the
grader kills every process its kernel left, so two gradings must not share a process); the key stays in the
worker's grading process and never reaches a kernel. Grades come back as they finish; a grade from a worker
whose rnncourse differs from the sender's carries an error (and is not cached).
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

from rnncourse.grading.key import Key
from rnncourse.grading.report import GradingError, NotebookGrade, QuestionGrade

__all__ = ["client", "grade_task", "package_digest"]

#: One grading at a time in a worker process (the grader is the subreaper of the processes it kills).
_ONE_AT_A_TIME = threading.Lock()
_INSTALL_HINT = "install the `cluster` extra: pip install 'rnncourse[cluster]'"


def package_digest(package: Mapping[str, bytes]) -> str:
    """A digest of the package's files (relative path -> bytes): equal on the sender and every worker."""
    digest = hashlib.sha256()
    for relative in sorted(package):
        digest.update(relative.encode() + b"\0" + hashlib.sha256(package[relative]).digest())
    return digest.hexdigest()


def client(address: str):
    """An asynchronous `distributed.Client` of the scheduler at `address` (use ``async with``).

    Raises:
        GradingError: `distributed` is not installed, or `address` is not a string.
    """
    if not isinstance(address, str) or not address.strip():
        raise GradingError(f"expected a Dask scheduler address such as tcp://host:8786, got {address!r}")
    try:
        import distributed
    except ImportError:
        raise GradingError(f"grading on a Dask cluster needs `distributed`: {_INSTALL_HINT}") from None
    return distributed.Client(address, asynchronous=True)


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
        ``{"grade": NotebookGrade.to_dict(), "package": package_digest(...), "worker": host name}``.
    """
    from rnncourse.grading import grade_notebooks
    from rnncourse.grading import sandbox as sandboxing

    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename).name) or "notebook.ipynb"
    with _ONE_AT_A_TIME:
        folder = Path(tempfile.mkdtemp(prefix="rnncourse-task-"))
        try:
            path = folder / name
            path.write_bytes(content)
            grade = grade_notebooks(
                [path],
                key=teacher_key,
                seed=None if teacher_key is not None else seed,
                sandbox=sandbox,
                **limits,
            )[0]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "grade": grade.to_dict(),
        "package": package_digest(sandboxing.package_files()),
        "worker": socket.gethostname(),
    }


def grade_from_task(result: dict, path: str) -> NotebookGrade:
    """The NotebookGrade of a `grade_task` result, with `path` (the sender's) as its file."""
    data = result["grade"]
    return NotebookGrade(
        path=path,
        exercise=data["exercise"],
        questions=[QuestionGrade(**q) for q in data["questions"]],
        notes=list(data["notes"]),
        check_output=dict(data["check_output"]),
        seconds=float(data["seconds"]),
        error=data["error"],
        mode=data["mode"],
        sandbox=bool(data["sandbox"]),
        sandbox_level=str(data.get("sandbox_level", "none")),
        fault=bool(data.get("fault", False)),
        timed_out=bool(data.get("timed_out", False)),
    )
