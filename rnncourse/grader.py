"""Grade exercise notebooks: `rnncourse grade NOTEBOOK... [--key KEY_DIR] [--json FILE] [--csv FILE]`.

Two modes:

- **self-study** (no key): the grader draws fresh test cases for every run from a random seed and computes
  the expected values with the same checks the notebook's check cells use. The reference solutions are in
  the repository, so this mode gives feedback; it cannot stop a learner who wants to cheat.
- **teacher** (`key=` / `--key KEY_DIR`, a folder written by `write_key` / `rnncourse key`): the test cases
  come from the key's secret seed, the sentiment question is tested on held-out sentences whose labels
  only the key holds, and the learner's kernel gets a copy of `rnncourse` *without* the exercise checks
  (`rnncourse.exercises.<notebook modules>`), so no code it can import produces the expected values of a
  check (the course library itself, e.g. `rnncourse.reference.rnn_step`, stays importable: a notebook that
  uses it gets a note for the teacher).

How one notebook is graded (both modes):

1. Before the first kernel starts, the grader reads every notebook and the key into memory, imports every
   check it needs, reads the package files and the data files into memory, and records a hash of the
   `rnncourse` package files, the top-level entries of the site-packages folders (where a .pth file would
   go) and the sentiment cache.
2. The notebook runs top to bottom in a fresh Jupyter kernel (nbclient), errors allowed, in a new process
   session, with resource limits (address space, file size, CPU time, and processes for users other than
   root), in a private working folder with an unpredictable name that holds the kernel's HOME, TMPDIR, a
   fresh copy of the package (first on PYTHONPATH), of the data files and of the sentiment cache, written
   from memory. A cell that runs past
   ``cell_timeout`` is interrupted, and killed with its kernel if it ignores the interrupt; the notebook is
   then re-run in a fresh kernel without that cell (at most ``_MAX_RESTARTS`` times).
3. After the learner's cells, one grader cell per question sends the test cases (inputs only) into the
   kernel, calls the learner's function and sends the outputs back as a Jupyter display message (never a
   file). The verdict is computed in the grader's process. ZeroMQ drops any kernel message over 8 MB before
   the grader reads it, and at most ``output_limit`` characters of output are kept per cell.
4. Every process the notebook started is killed (the kernel's session, and anything that left it: the
   grader is the child subreaper on Linux, so orphans come back to it) before the next notebook starts.
   If the package files, site-packages or the cache changed, the notebook's grade says so and the
   remaining notebooks are not graded (their kernels could have started from changed files).

Reports are written by the caller after every kernel is dead, atomically (`write_report`).

What hostile or broken notebooks get (tests/test_grader.py checks each): a cell that raises, loops, ignores
interrupts, calls `os._exit` or `sys.exit`, allocates past the memory limit, writes a file past the size
limit, starts detached processes or prints 50 MB costs only that cell (a note says what happened); an
answer that loops, exits or raises fails that question with that reason; redefining the checks in the
kernel, or answers hard-wired to the check cells' inputs, earn nothing.

The kernel still runs as you: the limits keep one notebook from changing another's grade, not from
reading or deleting your files. Grade untrusted classes under a separate user account or in a container.
"""

from __future__ import annotations

import asyncio
import csv
import ctypes
import hashlib
import importlib
import io
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from rnncourse import exercises
from rnncourse.grading import sandbox as sandboxing

__all__ = [
    "DEFAULT_CELL_TIMEOUT",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "GradingError",
    "Key",
    "NotebookGrade",
    "QuestionGrade",
    "format_gradebook",
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
#: Characters of output kept per cell, and bytes of one kernel message received.
DEFAULT_OUTPUT_LIMIT = 20_000
#: Address space of a kernel (MiB); TensorFlow reserves a few GiB of it at import.
DEFAULT_MEMORY_MB = 12_288
#: Largest file a kernel may write (MiB).
FILE_SIZE_MB = 64
#: Processes and threads a kernel may add to those the user already runs. Not set for root: root is often
#: exempt, and in a container the kernel counts root's tasks outside it too.
EXTRA_TASKS = 1024
_MAX_RESTARTS = 2
_MESSAGE_BYTES = 8_000_000
_KEY_FILE = "key.json"
_KEY_FORMAT = 1
_SENTIMENT_KEY_SIZE = 600


class GradingError(Exception):
    """A notebook or key that cannot be used: unreadable, not a notebook, or not an exercise notebook."""


@dataclass
class QuestionGrade:
    """The grade of one question."""

    qid: str
    number: int
    answer_name: str
    title: str
    points: int
    earned: int
    passed: bool
    reason: str


@dataclass
class NotebookGrade:
    """The grade of one notebook: per-question grades, score, notes on what happened while it ran."""

    path: str
    exercise: str | None
    questions: list[QuestionGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What each check cell of the notebook printed (question id -> text), as the learner would have seen it.
    check_output: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    mode: str = "self-study"
    #: Whether the kernel ran in the bubblewrap sandbox (`rnncourse.grading.sandbox`).
    sandbox: bool = False

    @property
    def learner(self) -> str:
        """Who handed it in: the name of the folder that holds the notebook."""
        return Path(self.path).resolve().parent.name

    @property
    def score(self) -> int:
        return sum(q.earned for q in self.questions)

    @property
    def total(self) -> int:
        return sum(q.points for q in self.questions)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(learner=self.learner, score=self.score, total=self.total, seconds=round(self.seconds, 2))
        return out


# ----------------------------------------------------------------------------------------------------------
# The teacher's key
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """A teacher's key: the secret seed of the test cases and held-out sentiment sentences with labels."""

    seed: int
    sentiment_texts: tuple[str, ...]
    sentiment_labels: tuple[int, ...]

    def cases(self, question: exercises.Question) -> list[dict]:
        if question.qid == "04.q4":
            return [dict(texts=list(self.sentiment_texts), _labels=list(self.sentiment_labels))]
        return question.make_cases(self.seed)


def write_key(
    folder: str | os.PathLike, *, seed: int | None = None, sentiment_size: int = _SENTIMENT_KEY_SIZE
) -> Path:
    """Write a teacher's key into `folder` (created; must not exist or be empty) and return its file.

    Keep the folder away from the learners and outside the installed package.

    Args:
        folder: where to write ``key.json``.
        seed: the secret seed of the test cases. Default: a fresh random one.
        sentiment_size: how many held-out sentences the sentiment question is tested on. Default: 600.

    Returns:
        The path of the key file.

    Example:
        >>> write_key("/tmp/course-key")  # doctest: +SKIP
        PosixPath('/tmp/course-key/key.json')
    """
    from rnncourse.exercises.data import held_out_sentiment

    folder = Path(folder)
    package = Path(exercises.__file__).resolve().parents[1]
    if folder.resolve().is_relative_to(package):
        raise GradingError(f"{folder}: a key must not live inside the rnncourse package ({package})")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise GradingError(f"{folder}: expected a new or empty folder for the key")
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    texts, labels = held_out_sentiment()
    chosen = sorted(secrets.SystemRandom(seed).sample(range(len(texts)), min(sentiment_size, len(texts))))
    data = {
        "format": _KEY_FORMAT,
        "seed": seed,
        "sentiment": {"texts": [texts[i] for i in chosen], "labels": [int(labels[i]) for i in chosen]},
    }
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / _KEY_FILE
    _write_atomically(path, json.dumps(data))
    return path


def read_key(folder: str | os.PathLike) -> Key:
    """Read a key written by `write_key`; raises `GradingError` saying what is wrong with it."""
    path = Path(folder) / _KEY_FILE
    if not path.is_file():
        raise GradingError(f"{folder}: not a key folder (no {_KEY_FILE}; write one with `rnncourse key DIR`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sentiment = data["sentiment"]
        key = Key(
            int(data["seed"]), tuple(map(str, sentiment["texts"])), tuple(int(v) for v in sentiment["labels"])
        )
        if data["format"] != _KEY_FORMAT or len(key.sentiment_texts) != len(key.sentiment_labels):
            raise ValueError("unexpected format")
    except (ValueError, KeyError, TypeError) as error:
        raise GradingError(f"{path}: a damaged key ({type(error).__name__}: {error})") from None
    return key


# ----------------------------------------------------------------------------------------------------------
# Reading the notebooks; what must not change while grading
# ----------------------------------------------------------------------------------------------------------


def _read(path: Path) -> tuple[nbformat.NotebookNode, str]:
    if path.is_dir():
        raise GradingError(f"{path}: is a directory, not a notebook")
    if not path.is_file():
        raise GradingError(f"{path}: no such file")
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
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
    return nb, name


_CHECK_MODULES = sorted({q.module for q in exercises.QUESTIONS.values()})


def _package_files() -> dict[str, bytes]:
    """Every file of the rnncourse package (relative path -> bytes), read once before grading."""
    root = Path(exercises.__file__).resolve().parents[1]
    return {
        str(p.relative_to(root.parent)): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _sentiment_cache() -> Path | None:
    from rnncourse import datasets

    folder = datasets.sentiment_cache_dir()
    return folder if folder.is_dir() else None


def _data_files() -> dict[str, bytes]:
    """The data a kernel may load, read once (relative path in the private folder -> bytes): the CSV files
    of `rnncourse.datasets` and the sentiment cache."""
    from rnncourse import datasets

    found = {}
    if datasets.data_dir().is_dir():
        for path in sorted(datasets.data_dir().iterdir()):
            if path.is_file():
                found[f"data/{path.name}"] = path.read_bytes()
    cache = _sentiment_cache()
    if cache is not None:
        target = datasets.sentiment_cache_dir(Path("cache"))
        for path in sorted(cache.rglob("*")):
            if path.is_file():
                found[str(target / path.relative_to(cache))] = path.read_bytes()
    return found


def _fingerprint(package_root: Path) -> dict[str, str]:
    """Hashes of what a kernel could change to affect the next one: the package, the top level of the
    site-packages folders (where a .pth file or a sitecustomize would go), the sentiment cache."""
    found: dict[str, str] = {}
    for path in sorted(package_root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    import site

    folders = [*site.getsitepackages(), site.getusersitepackages()]
    for entry in dict.fromkeys(folders):
        folder = Path(entry)
        if folder.is_dir():
            for item in folder.iterdir():  # a new .pth or module file, or a new package folder
                try:
                    stat = item.stat()
                except OSError:
                    continue
                found[str(item)] = "folder" if item.is_dir() else f"{stat.st_size}:{stat.st_mtime_ns}"
    cache = _sentiment_cache()
    if cache is not None:
        for path in sorted(cache.rglob("*")):
            if path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


# ----------------------------------------------------------------------------------------------------------
# Processes: limits, and killing everything a notebook started
# ----------------------------------------------------------------------------------------------------------


def _become_subreaper() -> bool:
    """Make orphaned descendants come back to this process (Linux), so they can be found and killed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _processes() -> dict[int, tuple[int, int, int]]:
    """pid -> (parent pid, process group, session) of every process, from /proc (Linux)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            table[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]))
        except (OSError, IndexError, ValueError):
            continue
    return table


def _kill_everything(session: int, spared: set[int]) -> int:
    """Kill the kernel's session and every descendant that came back to us; returns how many were killed."""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(session, signal.SIGKILL)
        except OSError:
            pass
        return 0
    me, killed = os.getpid(), set()
    for _round in range(100):
        table = _processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        targets = {pid for pid, (_, _, sid) in table.items() if sid == session and pid != me}
        targets |= {pid for pid in children.get(me, []) if pid not in spared}
        stack = list(targets)
        while stack:  # and all their descendants
            for child in children.get(stack.pop(), []):
                if child not in targets:
                    targets.add(child)
                    stack.append(child)
        targets.discard(me)
        alive = {pid for pid in targets if _is_running(pid)}
        if not alive:
            break
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        killed |= alive
        for pid in alive:  # reap our own children (orphans adopted by the subreaper)
            try:
                os.waitpid(pid, os.WNOHANG)
            except (ChildProcessError, OSError):
                pass
        time.sleep(0.02)
    return len(killed)


def _is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _user_task_count() -> int:
    """Processes and threads of this user now (what RLIMIT_NPROC counts), from /proc (Linux)."""
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                count += len(os.listdir(f"/proc/{entry}/task"))
        except OSError:
            pass
    return count


def _limits(memory_mb: int, cpu_seconds: int) -> Callable[[], None]:
    """A `preexec_fn` that sets the kernel's resource limits (inherited by everything it starts)."""
    import resource

    nproc = _user_task_count() + EXTRA_TASKS if os.getuid() != 0 else None

    def apply() -> None:
        for name, value in (
            ("RLIMIT_AS", memory_mb * 2**20),
            ("RLIMIT_FSIZE", FILE_SIZE_MB * 2**20),
            ("RLIMIT_CPU", cpu_seconds),
            ("RLIMIT_CORE", 0),
            ("RLIMIT_NPROC", nproc),
        ):
            limit = getattr(resource, name, None)
            if limit is None or value is None:
                continue
            soft, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, value if hard == resource.RLIM_INFINITY else hard))

    return apply


# ----------------------------------------------------------------------------------------------------------
# Running a notebook
# ----------------------------------------------------------------------------------------------------------


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("rnncourse")
    return meta if isinstance(meta, dict) else {}


class _CappedClient(NotebookClient):
    """A NotebookClient that keeps at most `output_limit` characters of output per cell and takes the
    grader's answer messages out of the outputs."""

    output_limit = DEFAULT_OUTPUT_LIMIT
    answers: dict[int, str]

    def output(self, outs, msg, display_id, cell_index):
        content = msg["content"]
        if msg["msg_type"] == "display_data" and exercises.ANSWER_MIME in content.get("data", {}):
            record = content["data"][exercises.ANSWER_MIME]
            if isinstance(record, dict) and isinstance(record.get("record"), str):
                self.answers[cell_index] = record["record"]
            return None
        if msg["msg_type"] == "error":
            outs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=str(content.get("ename", ""))[:200],
                    evalue=str(content.get("evalue", ""))[:500],
                    traceback=[],
                )
            )
            return None
        kept = sum(len(json.dumps(o)) for o in outs) if len(outs) < 50 else self.output_limit
        if kept >= self.output_limit:
            if not any(o.get("name") == "rnncourse-truncated" for o in outs):
                outs.append(
                    nbformat.v4.new_output("stream", name="rnncourse-truncated", text="[output truncated]")
                )
            return None
        for key in ("text", "data"):
            if key in content and len(json.dumps(content[key])) > self.output_limit:
                content[key] = "[output truncated]" if key == "text" else {"text/plain": "[output truncated]"}
        return super().output(outs, msg, display_id, cell_index)


class _SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts its kernel behind `sandbox_prefix` (the `bwrap` command line)."""

    sandbox_prefix: list[str] = []

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return [*self.sandbox_prefix, *super().format_kernel_cmd(extra_arguments)]


@dataclass
class _Cell:
    index: int  # position in the learner's notebook, or -1 for an injected answer cell
    source: str
    qid: str | None = None  # set for the grader's injected answer cells
    check: str | None = None  # set for the notebook's check cells


_ANSWER_CELL = (
    "import rnncourse.exercises as _rnncourse_grader\n"
    "_rnncourse_grader.send_answer_record({qid!r}, globals().get({name!r}, _rnncourse_grader.MISSING), "
    "{cases!r})"
)


@dataclass
class _Setup:
    """What every notebook of one call shares, prepared before the first kernel starts."""

    key: Key | None
    package: dict[str, bytes]
    data: dict[str, bytes]
    package_root: Path
    fingerprint: dict[str, str]
    subreaper: bool
    spared: set[int]  # children this process had before grading (not ours to kill)
    memory_mb: int
    sandbox: bool = False
    kernels: set[int] = field(default_factory=set)  # kernels running now (jobs > 1)
    start_lock: asyncio.Lock | None = None


def _private_folder(setup: _Setup) -> Path:
    """A private folder for one kernel: a fresh copy of the package (without the checks in teacher mode),
    of the data files and the sentiment cache, a HOME, a TMPDIR and the working folder."""
    base = Path(tempfile.mkdtemp(prefix=f"rnncourse-{secrets.token_hex(8)}-"))
    for sub in ("home", "tmp", "run", "cache", "data", "ipc"):
        (base / sub).mkdir(mode=0o700)
    _write_package(base, setup)
    for relative, data in setup.data.items():
        target = base / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return base


def _write_package(base: Path, setup: _Setup) -> None:
    """A fresh copy of the package in `base / "pkg"` (anything a previous kernel left there removed, bytecode
    included), without the checks in teacher mode."""
    if (base / "pkg").exists():
        _remove_tree(base / "pkg")
    (base / "pkg").mkdir(mode=0o700)
    hidden = {f"rnncourse/exercises/{m}.py" for m in _CHECK_MODULES} if setup.key else set()
    for relative, data in setup.package.items():
        if relative.replace(os.sep, "/") in hidden:
            continue
        target = base / "pkg" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


# What of the grader's environment a sandboxed kernel gets (the rest may name the teacher's files).
_SANDBOX_ENV = ("PATH", "LANG", "LANGUAGE", "LC_", "TZ", "OMP_", "MKL_", "OPENBLAS_", "KERAS_", "TF_", "JAX_")


def _kernel_env(base: Path, sandbox: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "IPYTHON"))}
    if sandbox:
        env = {k: v for k, v in env.items() if k.startswith(_SANDBOX_ENV)}
    env.update(
        PYTHONPATH=str(base / "pkg"),
        PYTHONNOUSERSITE="1",
        HOME=str(base / "home"),
        TMPDIR=str(base / "tmp"),
        RNNCOURSE_CACHE=str(base / "cache"),
        RNNCOURSE_DATA_DIR=str(base / "data"),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_ENABLE_ONEDNN_OPTS="0",
    )
    return env


async def _run_once(
    cells: list[_Cell],
    skip: set[int],
    *,
    base: Path,
    setup: _Setup,
    cell_timeout: int,
    deadline: float,
    output_limit: int,
    status: dict[int, str],
    answers: dict[int, str],
    check_output: dict[str, str],
) -> int | None:
    """Run `cells` (except `skip`) in a fresh kernel. Returns the position of a cell that killed or hung the
    kernel (to skip on the next attempt), or None when the run got to the end."""
    import zmq

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.source) for c in cells]
    client = _CappedClient(
        nb,
        timeout=cell_timeout,
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        record_timing=False,
        shutdown_kernel="immediate",
        iopub_timeout=5,
        resources={"metadata": {"path": str(base / "run")}},
    )
    client.output_limit = output_limit
    client.answers = answers
    if setup.sandbox:
        client.kernel_manager_class = _SandboxedKernelManager
    client.km = client.create_kernel_manager()
    if setup.sandbox:
        # No network inside: ZeroMQ over Unix sockets in a folder the kernel sees at the same path.
        client.km.transport = "ipc"
        client.km.ip = str(base / "ipc" / "kernel")
        client.km.connection_file = str(base / "ipc" / "kernel.json")
        client.km.sandbox_prefix = sandboxing.command(
            base, read_only=[base / "pkg", base / "data", base / "cache"], workdir=str(base / "run")
        )
        # The kernel's process group is inside the sandbox: interrupt it with a message, not a signal.
        client.km.kernel_spec.interrupt_mode = "message"
    client.km.context.setsockopt(zmq.MAXMSGSIZE, max(_MESSAGE_BYTES, output_limit))
    cpu = int(deadline - time.monotonic()) * 4 + 120
    session = None
    # No kernel may be half-started while another notebook's processes are being killed (it would look
    # like an orphan), so starting a kernel and killing run one at a time.
    await setup.start_lock.acquire()
    locked = True
    try:
        # The kernel's own stdout/stderr (C-level logs such as TensorFlow's) are not the notebook's output.
        async with client.async_setup_kernel(
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_kernel_env(base, setup.sandbox),
            preexec_fn=_limits(setup.memory_mb, cpu) if os.name == "posix" else None,
        ):
            session = client.km.provisioner.process.pid if client.km.provisioner else None
            setup.kernels.add(session)
            setup.start_lock.release()
            locked = False
            return await _run_cells(client, nb, cells, skip, cell_timeout, deadline, status, check_output)
    finally:
        if locked:
            setup.start_lock.release()
        if session is not None:
            async with setup.start_lock:
                setup.kernels.discard(session)
                _kill_everything(session, setup.spared | setup.kernels)


async def _run_cells(client, nb, cells, skip, cell_timeout, deadline, status, check_output) -> int | None:
    for position, (cell, nb_cell) in enumerate(zip(cells, nb.cells, strict=True)):
        if position in skip:
            continue
        # The learner's cells share `timeout`; the grader's answer cells get cell_timeout each after them.
        own_deadline = (
            deadline - cell_timeout * sum(c.qid is not None for c in cells) if cell.qid is None else deadline
        )
        limit = min(cell_timeout + 3, own_deadline - time.monotonic())
        if limit <= 0:
            status[position] = "deadline"
            continue
        started = time.monotonic()
        try:
            await asyncio.wait_for(client.async_execute_cell(nb_cell, position), timeout=limit)
        except (DeadKernelError, TimeoutError):
            hung = time.monotonic() - started >= limit - 0.5
            if hung:
                status[position] = "hung" if limit >= cell_timeout else "deadline"
            else:
                status[position] = "died"
            return position
        errors = [o for o in nb_cell.outputs if o.get("output_type") == "error"]
        if (
            errors
            and errors[-1].get("ename") == "KeyboardInterrupt"
            and time.monotonic() - started >= cell_timeout
        ):
            status[position] = "timeout"
        elif errors:
            ename, evalue = errors[-1].get("ename"), errors[-1].get("evalue")
            status[position] = (f"{ename}: {evalue}" if evalue else str(ename))[:200]
        else:
            status[position] = "ok"
        if cell.check:
            printed = "".join(o.get("text", "") for o in nb_cell.outputs if o.get("output_type") == "stream")
            check_output[cell.check] = printed[:2000]
    return None


_LIBRARY_ORACLE = re.compile(
    r"rnncourse\s*\.\s*reference|from\s+rnncourse\s+import[^\n]*\breference\b|_rnncourse_grader"
)


def _answer_reason(question: exercises.Question, state: str, cell_timeout: int) -> str:
    name = question.answer_name
    if state.startswith("SystemExit"):
        return f"not checked: the answer cell exited ({state}); do not call exit() in your function"
    if state.startswith("KeyboardInterrupt"):
        return f"not checked: your {name} was interrupted (KeyboardInterrupt)"
    return {
        "timeout": f"your {name} ran past {cell_timeout} s on the test cases and was interrupted",
        "hung": f"your {name} ran past {cell_timeout} s and ignored the interrupt; the kernel was killed",
        "died": f"calling your {name} killed the kernel (it exited or crashed)",
        "skipped": "not checked: the kernel failed while running it",
        "deadline": "not checked: the notebook ran past its time limit",
        "not run": "not checked: the notebook ran past its time limit",
        "no kernel": "not checked: the kernel did not start",
    }.get(state, f"no answer came back from the kernel ({state[:120]})")


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
        path=str(path), exercise=name, mode="teacher" if setup.key else "self-study", sandbox=setup.sandbox
    )
    questions = exercises.questions_for(name)
    # The grader's own test cases, built before the learner's code runs; the kernel gets only the inputs.
    cases = {q.qid: setup.key.cases(q) if setup.key else q.make_cases(seed) for q in questions}
    cells = [
        _Cell(i, c.source, check=_meta(c).get("check"))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and c.source.strip()
    ]
    if setup.key and any(_LIBRARY_ORACLE.search(c.source) for c in cells):
        grade.notes.append(
            "uses rnncourse.reference (the library's reference maths) or grader names: read it"
        )
    for question in questions:
        source = _ANSWER_CELL.format(
            qid=question.qid, name=question.answer_name, cases=exercises.encode_cases(cases[question.qid])
        )
        cells.append(_Cell(-1, source, question.qid))
    base = _private_folder(setup)
    try:
        skip: set[int] = set()
        failures: dict[int, str] = {}  # how a skipped cell failed when it ran
        deadline = started + timeout + cell_timeout * len(questions)
        status: dict[int, str] = {}
        answers: dict[int, str] = {}
        start_failures = 0
        unrun = "not run"  # the state of a cell no kernel got to
        for attempt in range(_MAX_RESTARTS + 2):
            status, answers = {}, {}
            grade.check_output = {}
            if attempt:  # what a previous kernel left in the package copy (bytecode...) goes
                _write_package(base, setup)
            try:
                bad = await _run_once(
                    cells,
                    skip,
                    base=base,
                    setup=setup,
                    cell_timeout=cell_timeout,
                    deadline=deadline,
                    output_limit=output_limit,
                    status=status,
                    answers=answers,
                    check_output=grade.check_output,
                )
            except (RuntimeError, OSError, TimeoutError) as error:
                start_failures += 1
                if start_failures == 1 and time.monotonic() < deadline:
                    continue  # once more, in a fresh kernel
                grade.notes.append(
                    f"the kernel did not start, twice ({type(error).__name__}: {str(error)[:200]})"
                )
                unrun = "no kernel"
                break
            if bad is None:
                break
            skip.add(bad)
            failures[bad] = status.get(bad, "died")
            what = "killed the kernel" if status.get(bad) == "died" else "ignored the interrupt"
            if status.get(bad) == "deadline":
                what = "ran past the notebook's time limit"
            label = f"cell {cells[bad].index + 1}" if cells[bad].qid is None else f"checking {cells[bad].qid}"
            grade.notes.append(f"{label} {what}; re-running the notebook in a fresh kernel without it")
            if time.monotonic() >= deadline:
                break
            if attempt - start_failures >= _MAX_RESTARTS:
                grade.notes.append("gave up re-running the notebook after repeated kernel failures")
                break

        for position, cell in enumerate(cells):
            state = status.get(position, "skipped" if position in skip else unrun)
            if cell.qid is not None or state in {"ok", "no kernel"}:
                continue
            label = f"cell {cell.index + 1}"
            if state == "timeout":
                grade.notes.append(f"{label} ran past {cell_timeout} s and was interrupted")
            elif state in {"deadline", "not run"}:
                grade.notes.append(f"{label} was not run: the notebook ran past its time limit")
            elif state not in {"skipped", "died", "hung"}:
                grade.notes.append(f"{label} raised {state}")

        for question, position in zip(questions, [i for i, c in enumerate(cells) if c.qid], strict=True):
            state = status.get(position, failures.get(position, "skipped" if position in skip else unrun))
            if position in answers and state in {"ok"}:
                result = exercises.verdict_from_record(question.qid, answers[position], cases[question.qid])
            else:
                reason = _answer_reason(question, state, cell_timeout)
                result = exercises.Result(question.qid, False, question.points, 0, reason)
            grade.questions.append(
                QuestionGrade(
                    question.qid,
                    question.number,
                    question.answer_name,
                    question.title,
                    question.points,
                    result.earned,
                    result.passed,
                    result.reason,
                )
            )
    finally:
        _remove_tree(base)
        grade.seconds = time.monotonic() - started
    return grade


def _remove_tree(folder: Path) -> None:
    import shutil

    def make_writable(function, path, _info):
        try:
            os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass

    shutil.rmtree(folder, onerror=make_writable)


# ----------------------------------------------------------------------------------------------------------
# The public entry points
# ----------------------------------------------------------------------------------------------------------


def grade_notebook(path: str | os.PathLike, **kwargs) -> NotebookGrade:
    """Grade one exercise notebook; the arguments are those of `grade_notebooks`.

    Example:
        >>> grade = grade_notebook("01_the_rnn_unit_exercises.ipynb")  # doctest: +SKIP
        >>> grade.score, grade.total  # doctest: +SKIP
        (6, 6)
    """
    return grade_notebooks([path], **kwargs)[0]


def _check_positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a positive integer for {name}, got {value!r}")


def _choose_sandbox(wanted: bool | None, *, teacher: bool, key_folder: Path | None) -> bool:
    """Whether kernels run in the sandbox: `wanted`, or when it is None, whenever bubblewrap works here
    (teacher mode refuses to grade without it)."""
    if wanted is False:
        return False
    reason = sandboxing.unavailable_reason()
    if reason is not None:
        if wanted or teacher:
            mode = "teacher mode needs" if teacher else "sandbox=True needs"
            raise GradingError(
                f"{mode} the bubblewrap sandbox, and {reason}: {sandboxing.INSTALL_HINT}, "
                "or grade without it with --no-sandbox (sandbox=False)"
            )
        warnings.warn(
            f"grading without a sandbox ({reason}): the notebooks' code can read and change your files; "
            f"{sandboxing.INSTALL_HINT}",
            stacklevel=3,
        )
        return False
    if key_folder is not None:
        shown = sandboxing.exposes(key_folder)
        if shown is not None:
            raise GradingError(
                f"{key_folder}: the key folder would be visible inside the sandbox (it is under {shown}, "
                "which kernels can read); move it, e.g. into your home folder"
            )
    return True


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
    sandbox: bool | None = None,
) -> list[NotebookGrade]:
    """Grade exercise notebooks, one fresh kernel each, `jobs` at a time; results in input order.

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
        sandbox: run each kernel in the bubblewrap sandbox (`rnncourse.grading.sandbox`). None: when
            bubblewrap works here; without it, teacher mode raises `GradingError` and self-study mode grades
            without the sandbox and warns. True: always (`GradingError` when it cannot). False: never (the
            grades say so). Default: None.

    Returns:
        One `NotebookGrade` per path; when a file cannot be graded its `error` says why.

    Raises:
        ValueError: a limit that is not a positive integer.
        GradingError: an unreadable key.
    """
    for name, value in (
        ("jobs", jobs),
        ("cell_timeout", cell_timeout),
        ("timeout", timeout),
        ("output_limit", output_limit),
        ("memory_mb", memory_mb),
    ):
        _check_positive(name, value)
    key_folder = None
    if key is not None and not isinstance(key, Key):
        key_folder = Path(key)
        key = read_key(key)
    use_sandbox = _choose_sandbox(sandbox, teacher=key is not None, key_folder=key_folder)
    if key is not None and seed is not None:
        raise ValueError("seed is for self-study grading; a key brings its own secret seed")
    seed = secrets.randbelow(2**31) if seed is None else int(seed)

    # 1. Everything read, imported and hashed before the first learner kernel starts.
    read: list[tuple[Path, nbformat.NotebookNode | None, str]] = []
    for p in paths:
        try:
            nb, name = _read(Path(p))
            read.append((Path(p), nb, name))
        except GradingError as error:
            read.append((Path(p), None, str(error)))
    for module in _CHECK_MODULES:
        importlib.import_module(f"rnncourse.exercises.{module}")
    importlib.import_module("rnncourse.metrics")
    importlib.import_module("rnncourse.baselines")
    if any(nb is not None and name == exercises.NOTEBOOKS["04"] for _, nb, name in read):
        exercises.sentiment_data()  # loads and caches the data in this process
    package_root = Path(exercises.__file__).resolve().parents[1]
    spared = (
        {pid for pid, (ppid, _, _) in _processes().items() if ppid == os.getpid()}
        if os.path.isdir("/proc")
        else set()
    )
    setup = _Setup(
        key=key,
        package=_package_files(),
        data=_data_files(),
        package_root=package_root,
        fingerprint=_fingerprint(package_root),
        subreaper=_become_subreaper(),
        spared=spared,
        memory_mb=memory_mb,
        sandbox=use_sandbox,
    )

    async def run_all() -> list[NotebookGrade]:
        gate = asyncio.Semaphore(jobs)
        setup.start_lock = asyncio.Lock()
        stop: list[str] = []

        async def one(path: Path, nb, name: str) -> NotebookGrade:
            if nb is None:
                return NotebookGrade(path=str(path), exercise=None, error=name)
            async with gate:
                if stop:
                    return NotebookGrade(path=str(path), exercise=name, error=f"not graded: {stop[0]}")
                grade = await _grade_async(
                    path,
                    nb,
                    name,
                    setup=setup,
                    seed=seed,
                    cell_timeout=cell_timeout,
                    timeout=timeout,
                    output_limit=output_limit,
                )
                changed = _changed(setup.fingerprint, _fingerprint(package_root))
                if changed:
                    shown = ", ".join(changed[:3]) + (
                        f" and {len(changed) - 3} more" if len(changed) > 3 else ""
                    )
                    stop.append(f"files the grader relies on changed while {path} was graded ({shown})")
                    grade.error = f"this notebook (or one graded at the same time) changed {shown}"
                if not setup.subreaper:
                    grade.notes.append("processes that left the kernel's session could not be tracked here")
                return grade

        return await asyncio.gather(*(one(p, nb, name) for p, nb, name in read))

    return asyncio.run(run_all())


# ----------------------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str, width: int) -> str:
    text = _CONTROL.sub("?", " ".join(str(text).split()))
    return text if len(text) <= width else text[: width - 3] + "..."


def format_table(grade: NotebookGrade) -> str:
    """The score table of one notebook, as printed by `rnncourse grade`."""
    lines = [f"== {grade.path}"]
    if grade.error and not grade.questions:
        lines.append(f"   ERROR: {_clean(grade.error, 300)}")
        return "\n".join(lines)
    lines.append(
        f"   {grade.exercise}: {grade.score}/{grade.total} points ({grade.seconds:.1f} s, {grade.mode}"
        f"{'' if grade.sandbox else ', no sandbox'})"
    )
    lines.append(f"   {'question':<28} {'points':>6}  {'result':<7} reason")
    for q in grade.questions:
        label = _clean(f"Q{q.number} {q.answer_name}", 28)
        result = "passed" if q.passed else "failed"
        reason = "" if q.passed else _clean(q.reason, 160)
        lines.append(f"   {label:<28} {f'{q.earned}/{q.points}':>6}  {result:<7} {reason}")
    for note in grade.notes:
        lines.append(f"   note: {_clean(note, 200)}")
    if grade.error:
        lines.append(f"   ERROR: {_clean(grade.error, 300)}")
    return "\n".join(lines)


def format_gradebook(grades: Sequence[NotebookGrade]) -> str:
    """A CSV gradebook: one row per learner and notebook, one column per question (points earned)."""
    qids = sorted({q.qid for g in grades for q in g.questions} or set())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["learner", "notebook", "file", *qids, "score", "total", "error"])
    for g in grades:
        earned = {q.qid: q.earned for q in g.questions}
        row = [g.learner, g.exercise or "", g.path, *[earned.get(q, "") for q in qids]]
        writer.writerow([*row, g.score, g.total, _clean(g.error or "", 300)])
    return out.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def format_report(grades: Sequence[NotebookGrade]) -> str:
    """The JSON report: a list with one object per notebook (`NotebookGrade.to_dict`)."""
    return json.dumps([g.to_dict() for g in grades], indent=2) + "\n"


def write_report(path: str | os.PathLike, grades: Sequence[NotebookGrade], kind: str = "json") -> None:
    """Write the JSON report (`kind="json"`) or the CSV gradebook (`kind="csv"`) atomically to `path`."""
    if kind == "json":
        text = format_report(grades)
    elif kind == "csv":
        text = format_gradebook(grades)
    else:
        raise ValueError(f"expected kind 'json' or 'csv', got {kind!r}")
    _write_atomically(Path(path), text)
