"""Running a notebook's cells in a fresh Jupyter kernel (nbclient), at the batch's sandbox level: behind
bubblewrap's command line, as the unprivileged uid of the container level (`sandbox.KernelUser`: its
``preexec_fn`` drops to that uid, and the connection file is given to it), or without a sandbox.

A cell that runs past ``cell_timeout`` is interrupted, and killed with its kernel if it ignores the
interrupt. At most ``output_limit`` characters of output are kept per cell, ZeroMQ drops any kernel message
over 8 MB before the grader reads it, and the grader's answer messages are taken out of the outputs (they
never go through a file). When the cells are done or the kernel is dead, every process the kernel started
is killed.
"""

from __future__ import annotations

import asyncio
import atexit
import enum
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from rnncourse import exercises
from rnncourse.exercises.data import SPLIT_ENV
from rnncourse.grading import package_copy, processes, sandbox

__all__ = ["Batch", "Cell", "CellResult", "CellState", "run_once"]

#: Characters of output kept per cell, and bytes of one kernel message received.
DEFAULT_OUTPUT_LIMIT = 20_000
_MESSAGE_BYTES = 8_000_000


class CellState(enum.Enum):
    """How a cell ended."""

    OK = "ok"  # ran to the end
    RAISED = "raised"  # raised an exception (CellResult.error says which)
    TIMEOUT = "timeout"  # ran past cell_timeout and was interrupted
    HUNG = "hung"  # ran past cell_timeout and ignored the interrupt: the kernel was killed
    DIED = "died"  # the kernel died while it ran (os._exit, a crash, a signal)
    DEADLINE = "deadline"  # not run, or stopped: the notebook's time was up
    SKIPPED = "skipped"  # not run again after it killed or hung a kernel
    NOT_RUN = "not run"  # no kernel got to it
    NO_KERNEL = "no kernel"  # the kernel did not start


@dataclass(frozen=True)
class CellResult:
    state: CellState
    error: str = ""  # for RAISED: "Name: message"


@dataclass
class Cell:
    index: int  # position in the learner's notebook, or -1 for an injected answer cell
    source: str
    qid: str | None = None  # set for the grader's injected answer cells
    check: str | None = None  # set for the notebook's check cells


#: The cell the grader adds after the learner's cells for each question: it calls the learner's function on
#: the test cases' inputs and sends what came back as a display message.
ANSWER_CELL = (
    "import rnncourse.exercises as _rnncourse_grader\n"
    "_rnncourse_grader.send_answer_record({qid!r}, globals().get({name!r}, _rnncourse_grader.MISSING), "
    "{cases!r})"
)


@dataclass
class Batch:
    """What every kernel of one grading call shares."""

    level: sandbox.Level  # the sandbox level of every kernel (`sandbox.choose_level`)
    memory_mb: int
    subreaper: bool
    spared: set[int]  # children this process had before grading (not ours to kill)
    kernels: set[int] = field(default_factory=set)  # kernels running now (jobs > 1)
    start_lock: asyncio.Lock | None = None

    @property
    def sandbox(self) -> bool:
        """Whether the kernels run in bubblewrap's namespaces."""
        return isinstance(self.level, sandbox.Bubblewrap)


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


class _ContainerKernelManager(AsyncKernelManager):
    """A kernel manager for the container level: the connection file (written by the grader, mode 600) is
    given to the kernel's uid, the only one besides root that may read it."""

    kernel_uid: int = -1

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        os.chown(self.connection_file, self.kernel_uid, self.kernel_uid)


# What of the grader's environment a sandboxed kernel gets (the rest may name the teacher's files): these
# names, and the locale's LC_* variables.
_SANDBOX_ENV = {
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "KERAS_BACKEND",
    "JAX_PLATFORMS",
}


def kernel_env(base: Path, sandboxed: bool = False) -> dict[str, str]:
    """The environment of a kernel whose private folder is `base`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "IPYTHON"))}
    if sandboxed:
        env = {k: v for k, v in env.items() if k in _SANDBOX_ENV or k.startswith("LC_")}
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
    if (base / package_copy.SENTIMENT_SPLIT).is_file():  # teacher mode: no raw sentiment data in the kernel
        env[SPLIT_ENV] = str(base / package_copy.SENTIMENT_SPLIT)
    return env


async def run_once(
    cells: list[Cell],
    skip: set[int],
    *,
    base: Path,
    batch: Batch,
    cell_timeout: int,
    deadline: float,
    output_limit: int,
    status: dict[int, CellResult],
    answers: dict[int, str],
    check_output: dict[str, str],
    user: sandbox.KernelUser | None = None,
) -> int | None:
    """Run `cells` (except `skip`) in a fresh kernel whose private folder is `base` (at the container level,
    as `user`'s uid). Returns the position of a
    cell that killed or hung the kernel (to skip on the next attempt), or None when the run got to the end.

    Raises:
        RuntimeError, OSError, TimeoutError: the kernel did not start.
    """
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
    contained = user is not None
    if batch.sandbox:
        client.kernel_manager_class = _SandboxedKernelManager
    elif contained:
        client.kernel_manager_class = _ContainerKernelManager
    client.km = client.create_kernel_manager()
    if contained:  # Unix sockets in a folder only the kernel's uid (and root) can enter
        client.km.transport = "ipc"
        client.km.ip = str(package_copy.socket_folder(base) / "kernel")
        client.km.connection_file = str(base / "ipc" / "kernel.json")
        client.km.kernel_uid = user.uid
    if batch.sandbox:
        # No network inside: ZeroMQ over Unix sockets in a folder the kernel sees at the same path.
        client.km.transport = "ipc"
        client.km.ip = str(package_copy.socket_folder(base) / "kernel")  # short enough for a Unix socket
        client.km.connection_file = str(base / "ipc" / "kernel.json")
        client.km.sandbox_prefix = sandbox.command(
            base, read_only=[base / "pkg", base / "data", base / "cache"], workdir=str(base / "run")
        )
        # The kernel's process group is inside the sandbox: interrupt it with a message, not a signal.
        client.km.kernel_spec.interrupt_mode = "message"
    client.km.context.setsockopt(zmq.MAXMSGSIZE, max(_MESSAGE_BYTES, output_limit))
    cpu = int(deadline - time.monotonic()) * 4 + 120
    preexec = None
    if os.name == "posix":
        preexec = processes.limits(batch.memory_mb, cpu)
        if contained:
            preexec = user.preexec(preexec)
    session = None
    # No kernel may be half-started while another notebook's processes are being killed (it would look
    # like an orphan), so starting a kernel and killing run one at a time.
    await batch.start_lock.acquire()
    locked = True
    try:
        # The kernel's own stdout/stderr (C-level logs such as TensorFlow's) are not the notebook's output.
        async with client.async_setup_kernel(
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=kernel_env(base, batch.sandbox or contained),
            preexec_fn=preexec,
        ):
            session = client.km.provisioner.process.pid if client.km.provisioner else None
            batch.kernels.add(session)
            batch.start_lock.release()
            locked = False
            return await _run_cells(client, nb, cells, skip, cell_timeout, deadline, status, check_output)
    finally:
        # nbclient leaves an exit hook behind when a kernel fails to start (it would print a traceback)
        atexit.unregister(client._cleanup_kernel)
        if locked:
            batch.start_lock.release()
        if session is not None:
            async with batch.start_lock:
                batch.kernels.discard(session)
                processes.kill_everything(session, batch.spared | batch.kernels)
        if contained:  # whatever else the uid still runs (a process that left the session and us)
            user.clean()


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
            status[position] = CellResult(CellState.DEADLINE)
            continue
        started = time.monotonic()
        try:
            await asyncio.wait_for(client.async_execute_cell(nb_cell, position), timeout=limit)
        except (DeadKernelError, TimeoutError):
            if time.monotonic() - started >= limit - 0.5:
                status[position] = CellResult(CellState.HUNG if limit >= cell_timeout else CellState.DEADLINE)
            else:
                status[position] = CellResult(CellState.DIED)
            return position
        errors = [o for o in nb_cell.outputs if o.get("output_type") == "error"]
        if (
            errors
            and errors[-1].get("ename") == "KeyboardInterrupt"
            and time.monotonic() - started >= cell_timeout
        ):
            status[position] = CellResult(CellState.TIMEOUT)
        elif errors:
            ename, evalue = errors[-1].get("ename"), errors[-1].get("evalue")
            error = f"{ename}: {evalue}" if evalue else str(ename)
            status[position] = CellResult(CellState.RAISED, error[:200])
        else:
            status[position] = CellResult(CellState.OK)
        if cell.check:
            printed = "".join(o.get("text", "") for o in nb_cell.outputs if o.get("output_type") == "stream")
            check_output[cell.check] = printed[:2000]
    return None
