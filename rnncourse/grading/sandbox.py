"""The sandbox a learner's kernel runs in: Linux namespaces built with bubblewrap (`bwrap`).

Inside the sandbox a kernel has:

- no network: its own network namespace holds only a loopback interface, so the grader talks to it over
  jupyter_client's ``ipc`` transport (Unix sockets in a folder of the kernel's private folder, bound into
  the sandbox at the same path);
- its own PID namespace, with a ``/proc`` that shows only its own processes (not the grader, not the
  kernels graded beside it), and its own session;
- the system (``/usr`` and the few files of ``/etc`` a Python process reads) and the Python installation
  read-only; a fresh, empty ``/tmp``; nothing else of the machine: not the teacher's HOME, the key folder,
  the grader's temporary files, the repository or the raw data caches;
- one writable place, its private folder (HOME, TMPDIR and the working folder), where the copies of the
  package and of the data files are bound read-only;
- when the grader runs as root, the unprivileged uid and gid 65534 (``nobody``) and no capabilities.

`unavailable_reason` says why the sandbox cannot be used on this machine (None when it can); `command` is the
prefix that runs a command inside it.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["INSTALL_HINT", "UNPRIVILEGED_ID", "command", "unavailable_reason", "visible_folders"]

#: The uid and gid a kernel runs as when the grader runs as root.
UNPRIVILEGED_ID = 65534
#: How to get bubblewrap, for the message that says it is missing.
INSTALL_HINT = "install it with `apt-get install bubblewrap` (Debian, Ubuntu) or `dnf install bubblewrap`"

_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What of /etc a Python process and its libraries read; not the rest (it may hold the machine's secrets).
_ETC = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "nsswitch.conf",
    "passwd",
    "group",
    "hosts",
    "ssl",
    "ca-certificates",
    "fonts",
    "mime.types",
)


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """Why kernels cannot be sandboxed here (`bwrap` missing, or namespaces refused), or None if they can."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces and this is {sys.platform}"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap (bubblewrap) is not installed"
    try:
        probe = subprocess.run(
            [*_prefix(bwrap), "--ro-bind", "/", "/", "true"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not be run ({type(error).__name__}: {error})"
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"]
        return f"bwrap cannot create namespaces here ({lines[-1][:200]})"
    return None


def _prefix(bwrap: str) -> list[str]:
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if os.getuid() == 0:
        args += ["--uid", str(UNPRIVILEGED_ID), "--gid", str(UNPRIVILEGED_ID)]
    return args


def _python_folders() -> list[str]:
    """The folders of the Python installation the kernel runs from (prefixes and site-packages), without
    the paths an editable install adds (those lead to the repository)."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    folders |= {str(Path(sys.executable).resolve().parent.parent)}
    folders |= set(site.getsitepackages())
    found = sorted(f for f in folders if f and Path(f).is_dir())
    # a folder inside another one is bound with it
    return [f for f in found if not any(f != o and Path(f).is_relative_to(o) for o in found)]


def visible_folders() -> list[str]:
    """Every folder of this machine a sandboxed kernel can read (read-only), besides its private folder."""
    return [*(p for p in _SYSTEM if Path(p).is_dir() and not Path(p).is_symlink()), *_python_folders()] + [
        f"/etc/{name}" for name in _ETC if Path("/etc", name).exists()
    ]


def command(private: str | os.PathLike, *, read_only: Iterable[str | os.PathLike], workdir: str) -> list[str]:
    """The command-line prefix that runs a command in a fresh sandbox.

    Args:
        private: the kernel's private folder, writable inside (bound at the same path).
        read_only: folders inside `private` that are bound read-only on top of it (the package copy, data).
        workdir: the working folder inside the sandbox.

    Returns:
        The `bwrap` arguments, to be followed by the command.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap (bubblewrap) is not installed")
    args = _prefix(bwrap)
    for top in _SYSTEM:
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for name in _ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for folder in _python_folders():
        args += ["--ro-bind", folder, folder]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", str(private), str(private)]
    for folder in read_only:
        args += ["--ro-bind", str(folder), str(folder)]
    # jupyter_client tells a kernel its parent's pid, which does not exist in here; ipykernel does not watch
    # a parent of pid 1 (the sandbox's init, which dies with the grader's end of it: --die-with-parent).
    args += ["--setenv", "JPY_PARENT_PID", "1"]
    return [*args, "--chdir", workdir, "--"]


def exposes(folder: str | os.PathLike, extra: Sequence[str | os.PathLike] = ()) -> str | None:
    """The sandbox folder that makes `folder` visible to a kernel, or None when it stays hidden."""
    target = Path(folder).resolve()
    for visible in [*visible_folders(), *extra]:
        if target.is_relative_to(Path(visible).resolve()):
            return str(visible)
    return None
