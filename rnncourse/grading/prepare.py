"""The first step of a batch: the limits, the sandbox level, and everything read before a kernel starts.

Before the first learner kernel starts the grader reads every notebook (`read_submission`), chooses the
sandbox level of its kernels (`sandbox_level`), imports every check it needs, reads the package files and the
data files into memory and records a fingerprint of what a later kernel could load (`prepare`: a `Setup`
that every notebook of the batch shares).
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from rnncourse import arguments, exercises
from rnncourse.grading import package_copy, processes, sandbox
from rnncourse.grading.cases import CaseSource
from rnncourse.grading.kernel import DEFAULT_OUTPUT_LIMIT, Batch
from rnncourse.grading.report import GradingError

__all__ = [
    "CHECK_MODULES",
    "DEFAULT_CELL_TIMEOUT",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "Limits",
    "Setup",
    "Submission",
    "prepare",
    "read_submission",
    "sandbox_argument",
    "sandbox_level",
    "warn_open_folders",
]

#: Seconds one cell may run before it is interrupted.
DEFAULT_CELL_TIMEOUT = 60
#: Seconds all of the learner's cells together may run.
DEFAULT_TIMEOUT = 300
#: Address space of a kernel (MiB); TensorFlow reserves a few GiB of it at import.
DEFAULT_MEMORY_MB = 12_288
#: The exercise check modules (`rnncourse.exercises.<module>`): not in the kernels' copies in teacher mode.
CHECK_MODULES = sorted({q.module for q in exercises.QUESTIONS.values()})


@dataclass(frozen=True)
class Limits:
    """The limits of every kernel of a batch (checked by `grade_notebooks`)."""

    cell_timeout: int = DEFAULT_CELL_TIMEOUT
    timeout: int = DEFAULT_TIMEOUT
    output_limit: int = DEFAULT_OUTPUT_LIMIT
    memory_mb: int = DEFAULT_MEMORY_MB

    def as_dict(self) -> dict[str, int]:
        """The limits by name (for the results cache's context and a cluster task)."""
        return asdict(self)


@dataclass
class Submission:
    """One notebook of a batch as read: its file, the notebook (None when unreadable), its exercise's name
    (or, when unreadable, why), and its bytes."""

    path: Path
    notebook: nbformat.NotebookNode | None
    exercise: str
    content: bytes


def read_submission(path: str | os.PathLike) -> Submission:
    """The notebook at `path`; one that cannot be graded comes back with `notebook` None and the reason."""
    path = Path(path)
    try:
        return Submission(path, *_read(path))
    except GradingError as error:
        return Submission(path, None, str(error), b"")


def _read(path: Path) -> tuple[nbformat.NotebookNode, str, bytes]:
    """The notebook, its exercise's name and the file's bytes; raises GradingError saying what is wrong."""
    if path.is_dir():
        inside = [p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
        hint = (
            f"give the notebooks in it instead ({len(inside)} below it, e.g. {path}/*/*.ipynb)"
            if inside
            else "and there is no notebook below it"
        )
        raise GradingError(f"{path}: is a directory, not a notebook: {hint}")
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


def sandbox_argument(value: bool | str | None, where: str) -> bool | str | None:
    """`grade_notebooks`'s `sandbox`, checked: None, a boolean, or a level's name (`sandbox.LEVELS`).

    Raises:
        ValueError: an unknown level's name.
        TypeError: anything else.
    """
    if value is not None and not isinstance(value, str):
        return arguments.boolean(value, "sandbox", where)
    if isinstance(value, str):
        sandbox.level(value)  # a ValueError for an unknown name
    return value


def sandbox_level(
    wanted: bool | str | None, *, teacher: bool, key_folder: Path | None
) -> tuple[sandbox.Level, dict[str, str]]:
    """The sandbox level of the kernels (`sandbox.choose_level`) and why each stronger one is not used:
    `wanted` (a level's name, False for none, True for the strongest that works), or when it is None, the
    strongest level that works here (`RNNCOURSE_SANDBOX` may name one). Teacher mode refuses to grade
    without a sandbox unless told to, and refuses a container level whose kernels could read the key."""
    if wanted is False or wanted == "none":
        return sandbox.LEVELS["none"], {}
    chosen, reasons = sandbox.choose_level(wanted if isinstance(wanted, str) else None)
    if isinstance(chosen, sandbox.NoSandbox):
        why = "; ".join(f"{name}: {reason}" for name, reason in reasons.items())
        if wanted or teacher:
            mode = "teacher mode needs" if teacher else f"sandbox={wanted!r} needs"
            raise GradingError(
                f"{mode} a sandbox, and none works here ({why}); for bubblewrap, {sandbox.INSTALL_HINT}; "
                "the container level needs the grader to run as root; or grade without one with "
                "--no-sandbox (sandbox=False)"
            )
        warnings.warn(
            f"grading without a sandbox ({why}): the notebooks' code can read and change your files; "
            f"{sandbox.INSTALL_HINT}",
            stacklevel=3,
        )
        return chosen, reasons
    if key_folder is not None and isinstance(chosen, sandbox.Bubblewrap):
        shown = sandbox.exposes(key_folder)
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
    if key_folder is not None and isinstance(chosen, sandbox.Container):
        uid = sandbox.first_uid()
        for path in (key_folder / "key.json", key_folder):
            if path.exists() and sandbox.readable_by(path, uid):
                raise GradingError(
                    f"{path}: the key is readable by the kernels' unprivileged users (uid {uid} and up) at "
                    "the container sandbox level; make it and its folder readable by its owner alone "
                    f"(chmod 700 {key_folder}, or a folder above it)"
                )
    return chosen, reasons


def warn_open_folders(submissions: Sequence[Submission], level: sandbox.Level | None) -> None:
    """At the container level, warn when the kernels' uids could list the folders of a batch's notebooks
    (and so read each other's)."""
    if not isinstance(level, sandbox.Container) or len(submissions) < 2:
        return
    uid = sandbox.first_uid()
    open_folders = sorted(
        str(folder)
        for folder in {s.path.resolve().parent for s in submissions if s.path.exists()}
        if sandbox.readable_by(folder, uid)
    )
    if open_folders:
        warnings.warn(
            f"the kernels' unprivileged users can list {', '.join(open_folders[:3])}: a learner's code "
            "could read the other notebooks there; make the class folder readable by its owner alone "
            "(chmod 700)",
            stacklevel=3,
        )


@dataclass
class Setup:
    """What every notebook of one call shares, prepared before the first kernel starts."""

    cases: CaseSource
    limits: Limits
    package: dict[str, bytes]
    data: dict[str, bytes]
    hidden: set[str]  # package files left out of the kernels' copies (the checks, in teacher mode)
    package_root: Path
    fingerprint: dict[str, str]
    batch: Batch


def prepare(
    submissions: Sequence[Submission],
    *,
    cases: CaseSource,
    limits: Limits,
    level: sandbox.Level,
    package: dict[str, bytes],
) -> Setup:
    """Import every check, read the data files and fingerprint the package: the batch's `Setup`."""
    for module in CHECK_MODULES:
        importlib.import_module(f"rnncourse.exercises.{module}")
    importlib.import_module("rnncourse.metrics")
    importlib.import_module("rnncourse.baselines")
    if any(s.notebook is not None and s.exercise == exercises.NOTEBOOKS["04"] for s in submissions):
        exercises.sentiment_data()  # loads and caches the data in this process
    package_root = Path(exercises.__file__).resolve().parents[1]
    spared = (
        {pid for pid, (ppid, _, _) in processes.processes().items() if ppid == os.getpid()}
        if os.path.isdir("/proc")
        else set()
    )
    return Setup(
        cases=cases,
        limits=limits,
        package=package,
        data=package_copy.data_files(raw_sentiment=not cases.teacher),
        hidden={f"rnncourse/exercises/{m}.py" for m in CHECK_MODULES} if cases.teacher else set(),
        package_root=package_root,
        fingerprint=package_copy.fingerprint(package_root),
        batch=Batch(
            level=level,
            memory_mb=limits.memory_mb,
            subreaper=processes.become_subreaper(),
            spared=spared,
        ),
    )
