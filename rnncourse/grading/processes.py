"""The processes of a kernel: its resource limits, and killing everything it started.

Each kernel gets resource limits (`limits`: address space, file size, CPU time, and processes for users other
than root) and a new process session; everything it started is killed afterwards (`kill_everything`: the
grader is the child subreaper on Linux, `become_subreaper`, so orphans come back to it). The sandbox levels
(`sandbox`) add their own walls around this.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable

__all__ = [
    "EXTRA_TASKS",
    "FILE_SIZE_MB",
    "become_subreaper",
    "is_running",
    "kill_and_reap",
    "kill_everything",
    "limits",
    "processes",
]

#: Largest file a kernel may write (MiB).
FILE_SIZE_MB = 64
#: Processes and threads a kernel may add to those the user already runs. Not set for root: root is often
#: exempt, and in a container the kernel counts root's tasks outside it too.
EXTRA_TASKS = 1024


def become_subreaper() -> bool:
    """Make orphaned descendants come back to this process (Linux), so they can be found and killed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def processes() -> dict[int, tuple[int, int, int]]:
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


def kill_and_reap(pids: Iterable[int]) -> None:
    """SIGKILL each of `pids`, then reap those that are our children (orphans adopted by the subreaper)."""
    pids = list(pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except (ChildProcessError, OSError):
            pass


def kill_everything(session: int, spared: set[int]) -> int:
    """Kill the kernel's session and every descendant that came back to us; returns how many were killed."""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(session, signal.SIGKILL)
        except OSError:
            pass
        return 0
    me, killed = os.getpid(), set()
    for _round in range(100):
        table = processes()
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
        alive = {pid for pid in targets if is_running(pid)}
        if not alive:
            break
        kill_and_reap(alive)
        killed |= alive
        time.sleep(0.02)
    return len(killed)


def is_running(pid: int) -> bool:
    """Whether process `pid` is alive and not a zombie (from /proc, Linux)."""
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


def limits(memory_mb: int, cpu_seconds: int) -> Callable[[], None]:
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
