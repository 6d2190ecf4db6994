"""The sandbox a learner's kernel runs in, at one of three levels (`LEVELS`, strongest first; `choose_level`
picks the strongest that works here and says why each stronger one does not):

- `Bubblewrap`: Linux namespaces built with bubblewrap (`bwrap`), described below;
- `Container`: for a grader run as root where namespaces are refused (Docker's default seccomp profile, so
  Gradescope): each kernel runs as an unprivileged uid of its own (`KernelUser`: `FIRST_UID` + n, or from
  ``RNNCOURSE_SANDBOX_UID``; one lock file per uid in `LOCK_FOLDER`, so two graders never share one) with no
  supplementary groups, no capabilities (the bounding set dropped too) and ``no_new_privs``, the same limits
  plus a process limit, in a private folder whose writable parts only that uid can enter; the key must be
  unreadable by the uid (`readable_by`, checked before grading), and every process and file of the uid goes
  when its kernel ends. The network is not cut, and world-readable files and other processes' command lines
  stay visible: this level keeps the key and the other submissions, not the machine's public parts;
- `NoSandbox`: only when asked for (``--no-sandbox``), for a teacher's own trusted runs.

Inside the bubblewrap sandbox a kernel has:

- no network: its own network namespace holds only a loopback interface, so the grader talks to it over
  jupyter_client's ``ipc`` transport (Unix sockets in a folder of the kernel's private folder, bound into
  the sandbox at the same path);
- its own PID namespace, with a ``/proc`` that shows only its own processes (not the grader, not the
  kernels graded beside it), and its own session;
- the system (``/usr`` and the few files of ``/etc`` a Python process reads) and the Python installation
  read-only; a fresh, empty ``/tmp``; nothing else of the machine: not the teacher's HOME, the key folder,
  the grader's temporary files, the repository or the raw data caches;
- one writable place, its private folder (HOME, TMPDIR and the working folder), where the copies of the
  package and of the data files are bound read-only, and the folder of its sockets (in the private folder,
  or where a long TMPDIR leaves no room for a socket's name, a short private folder under ``/tmp``);
- when the grader runs as root, the unprivileged uid and gid 65534 (``nobody``) and no capabilities.

`unavailable_reason` says why the sandbox cannot be used on this machine (None when it can); `command` is the
prefix that runs a command inside it. With the sandbox or without it, each kernel also gets:

- its own private folder (`private_folder`) with copies of the package and the data, written from memory;
- resource limits (`limits`: address space, file size, CPU time, and processes for users other than root),
  and a new process session; everything it started is killed afterwards (`kill_everything`: the grader is
  the child subreaper on Linux, so orphans come back to it);
- a check that the files a later kernel could load did not change (`fingerprint`), which is what stands
  between kernels when there is no sandbox.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import secrets
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rnncourse import exercises

__all__ = [
    "FIRST_UID",
    "INSTALL_HINT",
    "LEVELS",
    "Bubblewrap",
    "Container",
    "KernelUser",
    "Level",
    "NoSandbox",
    "choose_level",
    "container_unavailable_reason",
    "readable_by",
    "UNPRIVILEGED_ID",
    "changed",
    "command",
    "data_files",
    "exposes",
    "fingerprint",
    "kill_everything",
    "limits",
    "package_files",
    "private_folder",
    "remove_private_folder",
    "remove_tree",
    "socket_folder",
    "unavailable_reason",
    "visible_folders",
    "write_package",
]

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
    # site-packages folders a .pth file added (an environment that reuses another's packages); not the
    # working folder or a source checkout on sys.path
    folders |= {p for p in sys.path if Path(p).name in {"site-packages", "dist-packages"}}
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
    # /tmp first: a Python installation or the private folder may live under it
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for folder in _python_folders():
        args += ["--ro-bind", folder, folder]
    args += ["--bind", str(private), str(private)]
    sockets = socket_folder(Path(private))
    if sockets != Path(private) / "ipc":  # a short folder of its own (a long TMPDIR): at the same path too
        args += ["--bind", str(sockets), str(sockets)]
    for folder in read_only:
        args += ["--ro-bind", str(folder), str(folder)]
    # jupyter_client tells a kernel its parent's pid, which does not exist in here; ipykernel does not watch
    # a parent of pid 1 (the sandbox's init, which dies with the grader's end of it: --die-with-parent).
    args += ["--setenv", "JPY_PARENT_PID", "1"]
    # the sandbox's own root (a tmpfs holding the mount points) read-only too
    args += ["--remount-ro", "/"]
    return [*args, "--chdir", workdir, "--"]


def exposes(folder: str | os.PathLike, extra: Sequence[str | os.PathLike] = ()) -> str | None:
    """The sandbox folder that makes `folder` visible to a kernel, or None when it stays hidden."""
    target = Path(folder).resolve()
    for visible in [*visible_folders(), *extra]:
        if target.is_relative_to(Path(visible).resolve()):
            return str(visible)
    return None


# ----------------------------------------------------------------------------------------------------------
# Processes: limits, and killing everything a kernel started
# ----------------------------------------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------------------------------------
# The kernel's private folder, and what must not change while grading
# ----------------------------------------------------------------------------------------------------------


def package_files() -> dict[str, bytes]:
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


#: Where a teacher's kernel finds the learner's part of the sentiment data (in its private folder).
SENTIMENT_SPLIT = "cache/sentiment_split.json"


def data_files(raw_sentiment: bool = True) -> dict[str, bytes]:
    """The data a kernel may load, read once (relative path in the private folder -> bytes): the CSV files
    of `rnncourse.datasets` and the sentiment cache, or when `raw_sentiment` is False (teacher mode), only the
    learner's part of the sentiment data (`SENTIMENT_SPLIT`): the raw data set holds the held-out sentences
    whose labels are the key's."""
    from rnncourse import datasets
    from rnncourse.exercises.data import sentiment_split_json

    found = {}
    if datasets.data_dir().is_dir():
        for path in sorted(datasets.data_dir().iterdir()):
            if path.is_file():
                found[f"data/{path.name}"] = path.read_bytes()
    cache = _sentiment_cache()
    if cache is not None and not raw_sentiment:
        found[SENTIMENT_SPLIT] = sentiment_split_json().encode()
    elif cache is not None:
        target = datasets.sentiment_cache_dir(Path("cache"))
        for path in sorted(cache.rglob("*")):
            if path.is_file():
                found[str(target / path.relative_to(cache))] = path.read_bytes()
    return found


def fingerprint(package_root: Path) -> dict[str, str]:
    """Hashes of what a kernel could change to affect the next one: every file of the package (bytecode
    included: the grader writes none while it grades), the top level of the site-packages folders (where a
    .pth file or a sitecustomize would go), the sentiment cache. A sandboxed kernel sees none of them."""
    found: dict[str, str] = {}
    for path in sorted(package_root.rglob("*")):
        if path.is_file():
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
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


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The paths whose fingerprint differs (changed, new or gone)."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


#: Longest path of a Unix socket on Linux (``sun_path`` holds 108 bytes, the last one a NUL).
SOCKET_PATH_MAX = 107
# jupyter_client names a kernel's ipc sockets "<ip>-<port>", the ip being "<socket folder>/kernel"
_SOCKET_NAME = "/kernel-65535"
# Where a short socket folder goes when the private folder's path is too long (a long TMPDIR).
_SHORT_ROOTS = ("/tmp", "/dev/shm", "/var/tmp")


def _fits(folder: str | os.PathLike) -> bool:
    return len(os.fsencode(folder)) + len(_SOCKET_NAME) <= SOCKET_PATH_MAX


def _short_socket_folder() -> Path:
    """A new private folder (mode 700, unpredictable name) whose path leaves room for a socket's name."""
    for root in _SHORT_ROOTS:
        if _fits(Path(root) / "rnc-12345678") and os.path.isdir(root) and os.access(root, os.W_OK | os.X_OK):
            try:
                return Path(tempfile.mkdtemp(prefix="rnc-", dir=root))
            except OSError:
                continue
    raise OSError(
        f"no folder for the kernel's sockets has a path short enough for a Unix socket ({SOCKET_PATH_MAX} "
        f"bytes; tried TMPDIR={tempfile.gettempdir()!r} and {', '.join(_SHORT_ROOTS)}): set TMPDIR to a "
        "shorter folder"
    )


def socket_folder(base: Path) -> Path:
    """The folder of the sockets of the kernel whose private folder is `base`: ``base/ipc``, or where the
    path of ``base`` is too long for a Unix socket (a long TMPDIR), the short folder it points to."""
    link = Path(base) / "ipc"
    return Path(os.readlink(link)) if link.is_symlink() else link


def private_folder(
    package: dict[str, bytes],
    data: dict[str, bytes],
    hidden: set[str],
    parent: str | os.PathLike | None = None,
) -> Path:
    """A private folder for one kernel, with an unpredictable name: a fresh copy of the package (without the
    `hidden` files), of the data files and the sentiment cache, a HOME, a TMPDIR, the working folder and the
    folder of the kernel's sockets (`socket_folder`: a short folder under ``/tmp`` when the private folder's
    path leaves no room for a socket's name), in `parent` (default: TMPDIR). Remove it with
    `remove_private_folder`.

    Raises:
        OSError: no folder could be made (then nothing is left behind).
    """
    base = Path(tempfile.mkdtemp(prefix=f"rnncourse-{secrets.token_hex(8)}-", dir=parent))
    try:
        for sub in ("home", "tmp", "run", "cache", "data"):
            (base / sub).mkdir(mode=0o700)
        if _fits(base / "ipc"):
            (base / "ipc").mkdir(mode=0o700)
        else:
            os.symlink(_short_socket_folder(), base / "ipc")
        write_package(base, package, hidden)
        for relative, content in data.items():
            target = base / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    except BaseException:
        remove_private_folder(base)
        raise
    return base


def remove_private_folder(base: Path) -> None:
    """Remove a kernel's private folder (`private_folder`) and its socket folder."""
    sockets = socket_folder(base)
    if sockets != Path(base) / "ipc":
        remove_tree(sockets)
    remove_tree(base)


def write_package(base: Path, package: dict[str, bytes], hidden: set[str]) -> None:
    """A fresh copy of the package in `base / "pkg"`: anything a previous kernel left there goes (bytecode
    included; in the sandbox the copy is read-only anyway)."""
    if (base / "pkg").exists():
        remove_tree(base / "pkg")
    (base / "pkg").mkdir(mode=0o700)
    for relative, content in package.items():
        if relative.replace(os.sep, "/") in hidden:
            continue
        target = base / "pkg" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def remove_tree(folder: Path) -> None:
    """Remove `folder`, whatever permissions a kernel left on it."""

    def make_writable(function, path, _info):
        try:
            os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass

    shutil.rmtree(folder, onerror=make_writable)


# ----------------------------------------------------------------------------------------------------------
# Sandbox levels: bubblewrap, the container fallback, none
# ----------------------------------------------------------------------------------------------------------

#: Environment variable that forces a level by name (``bubblewrap``, ``container``, ``none``).
LEVEL_ENV = "RNNCOURSE_SANDBOX"
#: Environment variable with the first uid the container level gives its kernels (default 65000).
UID_ENV = "RNNCOURSE_SANDBOX_UID"
#: The first uid (and gid) of the container level's kernels; kernel n of the machine gets FIRST_UID + n.
FIRST_UID = 65000
#: How many uids the container level may use at once (one per kernel running).
UID_COUNT = 1000
#: Where the container level's lock files are (one per uid in use).
LOCK_FOLDER = Path("/run/rnncourse-sandbox-ids")
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24


class Level:
    """A sandbox level: how strongly a kernel is kept from the grader's files and from other kernels."""

    #: The name reported in grades (`NotebookGrade.sandbox_level`) and accepted by ``--sandbox``.
    name = ""
    #: What the level keeps a kernel from, and what it does not (for reports and the docs).
    protects = ""
    gaps = ""

    def unavailable_reason(self) -> str | None:
        """Why this level cannot be used here, or None when it can."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Bubblewrap(Level):
    """Linux namespaces built with bubblewrap: no network, its own PID namespace, only the system, Python
    and its private folder visible (read-only but for that folder). The strongest level."""

    name = "bubblewrap"
    protects = "network cut; other processes, the key and the grader's files invisible; no capabilities"
    gaps = "shares the machine's kernel (a kernel exploit escapes)"

    def unavailable_reason(self) -> str | None:
        return unavailable_reason()


class Container(Level):
    """For a grader that runs as root where namespaces are refused (Docker's default seccomp profile, a
    Kubernetes pod, Gradescope): each kernel runs as an unprivileged uid of its own (`FIRST_UID` + n, no
    supplementary groups, no capabilities, ``no_new_privs``), with the same resource limits and a process
    limit, in a private folder only that uid can write; the key must be unreadable by that uid (checked
    before grading). It cannot cut the network, or hide the system's world-readable files and other
    processes' command lines, and a kernel can leave files in world-writable folders (``/tmp``, removed
    when it ends)."""

    name = "container"
    protects = (
        "an unprivileged uid of its own per kernel (no groups, no capabilities, no_new_privs); the key, the "
        "grader's files and other kernels' folders unreadable; limits on memory, CPU, processes, file size"
    )
    gaps = "network not cut; world-readable files and other processes' command lines visible"

    def unavailable_reason(self) -> str | None:
        return container_unavailable_reason()


class NoSandbox(Level):
    """No sandbox: the kernel runs as the grader's user and can read and change whatever it can (the key
    included). Only when asked for (``--no-sandbox``), for a teacher's own trusted runs."""

    name = "none"
    protects = "resource limits and the fingerprint of the package only"
    gaps = "the kernel runs as the grader: it can read the key and change the grader's files"


#: The levels by name, strongest first.
LEVELS: dict[str, Level] = {level.name: level for level in (Bubblewrap(), Container(), NoSandbox())}


def level(name: str) -> Level:
    """The level called `name` (``bubblewrap``, ``container``, ``none``)."""
    if name not in LEVELS:
        raise ValueError(f"expected a sandbox level of {sorted(LEVELS)}, got {name!r}")
    return LEVELS[name]


def choose_level(wanted: str | None = None) -> tuple[Level, dict[str, str]]:
    """The strongest level that works here (NoSandbox only when `wanted` names it), and why each stronger
    level cannot be used (name -> reason).

    Args:
        wanted: a level's name: that level or none (its reason then says why). Default: the environment's
            `LEVEL_ENV`, else the strongest of bubblewrap and container that works.

    Returns:
        ``(level, reasons)``: `level` is `NoSandbox` when nothing else works (the caller decides whether to
        grade so), `reasons` holds why each level stronger than it is unavailable.
    """
    wanted = wanted or os.environ.get(LEVEL_ENV) or None
    reasons: dict[str, str] = {}
    if wanted is not None:
        chosen = level(wanted)
        for stronger in LEVELS.values():
            if stronger is chosen:
                break
            reasons[stronger.name] = f"not asked for ({LEVEL_ENV} or --sandbox chose {chosen.name})"
        why = chosen.unavailable_reason()
        if why is not None:
            reasons[chosen.name] = why
            return LEVELS["none"], reasons
        return chosen, reasons
    for candidate in (LEVELS["bubblewrap"], LEVELS["container"]):
        why = candidate.unavailable_reason()
        if why is None:
            return candidate, reasons
        reasons[candidate.name] = why
    return LEVELS["none"], reasons


def first_uid() -> int:
    """The first uid of the container level: `UID_ENV` or `FIRST_UID`."""
    text = os.environ.get(UID_ENV, "")
    if not text:
        return FIRST_UID
    if not text.isdigit() or not 1000 <= int(text) < 2**31 - UID_COUNT:
        raise ValueError(f"expected {UID_ENV} to be a uid of 1000 or more, got {text!r}")
    return int(text)


def _others_can_reach(path: str | os.PathLike) -> str | None:
    """The first folder on the way to `path` (or the file itself) that other users cannot read or enter,
    or None when every one can be."""
    target = Path(path).resolve()
    for folder in [*reversed(target.parents), target]:
        mode = folder.stat().st_mode
        need = 0o005 if folder.is_dir() else 0o004
        if mode & need != need:
            return str(folder)
    return None


@functools.lru_cache(maxsize=1)
def container_unavailable_reason() -> str | None:
    """Why the container level cannot be used here (None when it can): it needs Linux, a grader running as
    root, a Python installation other users can read, and the folder of its lock files."""
    if not sys.platform.startswith("linux"):
        return f"the container level needs Linux and this is {sys.platform}"
    if os.geteuid() != 0:
        return "the container level needs the grader to run as root (to run each kernel as another uid)"
    try:
        first_uid()
    except ValueError as error:
        return str(error)
    packages = {
        p
        for p in (*site.getsitepackages(), *sys.path)
        if Path(p).name.endswith("-packages") and Path(p).is_dir()
    }
    for path in (sys.executable, os.__file__, *sorted(packages)):  # interpreter, standard library, packages
        closed = _others_can_reach(path)
        if closed is not None:
            return (
                f"the kernels' unprivileged users could not run Python: {closed} is closed to other users "
                f"(Python at {sys.executable}); use a Python and venv that other users can read"
            )
    try:
        LOCK_FOLDER.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        return f"no folder for the container level's lock files ({LOCK_FOLDER}: {error.strerror})"
    return None


def reachable_temp() -> str:
    """Where the container level's private folders go: TMPDIR when other users can enter it, else /tmp."""
    folder = tempfile.gettempdir()
    return folder if _others_can_reach(folder) is None else "/tmp"


def _in_child_as(uid: int, action: Callable[[], bool]) -> bool:
    """Run `action` in a forked child that has become `uid` (no groups); its result (False on any error)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        ok = False
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            ok = bool(action())
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def readable_by(path: str | os.PathLike, uid: int) -> bool:
    """Whether the user `uid` (no groups) can read the file `path`, or list the folder `path` (tried in a
    child process)."""

    def opens() -> bool:
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb"):
                    pass
            return True
        except OSError:
            return False

    return _in_child_as(uid, opens)


class KernelUser:
    """One uid of the container level, held (a lock file) from `claim` to `release`."""

    def __init__(self, uid: int, lock: int):
        self.uid = uid
        self._lock = lock

    @classmethod
    def claim(cls) -> KernelUser:
        """A uid no other kernel or grader on this machine uses now (its leftovers from a grader that
        died are killed and removed first).

        Raises:
            OSError: every uid is in use.
        """
        import fcntl
        import pwd

        LOCK_FOLDER.mkdir(mode=0o700, parents=True, exist_ok=True)
        first = first_uid()
        for uid in range(first, first + UID_COUNT):
            try:
                pwd.getpwuid(uid)
                continue  # a user of the machine: not ours to take
            except KeyError:
                pass
            handle = os.open(LOCK_FOLDER / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(handle)
                continue
            user = cls(uid, handle)
            user.clean()
            return user
        raise OSError(f"all {UID_COUNT} kernel uids from {first} are in use ({LOCK_FOLDER})")

    def clean(self) -> int:
        """Kill every process of this uid and remove its files in the world-writable folders; returns how
        many processes were killed."""
        killed = 0
        for _round in range(50):
            alive = [pid for pid in _pids_of(self.uid) if _is_running(pid)]
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                try:
                    os.waitpid(pid, os.WNOHANG)
                except (ChildProcessError, OSError):
                    pass
            killed += len(alive)
            time.sleep(0.02)
        for shared in _SHORT_ROOTS:
            try:
                entries = list(os.scandir(shared))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_uid != self.uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        remove_tree(Path(entry.path))
                    else:
                        os.unlink(entry.path)
                except OSError:
                    pass
        return killed

    def release(self) -> None:
        """Kill the uid's processes, remove its files, and let another kernel have the uid."""
        try:
            self.clean()
        finally:
            os.close(self._lock)

    def give(self, base: Path) -> None:
        """Make the private folder `base` (`private_folder`) the kernel's: the folder itself enterable but not
        listable (root's, mode 711), its HOME, TMPDIR, working and socket folders owned by the uid (mode
        700), the package, data and cache copies root's and read-only (files 644, folders 755)."""
        os.chmod(base, 0o711)
        for sub in ("home", "tmp", "run"):
            os.chown(base / sub, self.uid, self.uid)
            os.chmod(base / sub, 0o700)
        sockets = socket_folder(base)
        os.chown(sockets, self.uid, self.uid)
        os.chmod(sockets, 0o700)
        for sub in ("pkg", "data", "cache"):
            top = base / sub
            if not top.exists():
                continue
            os.chmod(top, 0o755)
            for path in top.rglob("*"):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def preexec(self, apply_limits: Callable[[], None]) -> Callable[[], None]:
        """A `preexec_fn` that sets the limits (`limits`, with a process limit for this uid), then drops to
        the uid: no supplementary groups, no capabilities in any set, ``no_new_privs``."""
        uid = self.uid

        def apply() -> None:
            import resource

            apply_limits()
            resource.setrlimit(resource.RLIMIT_NPROC, (EXTRA_TASKS, EXTRA_TASKS))
            libc = ctypes.CDLL(None, use_errno=True)
            for capability in range(64):  # the bounding set: no capability can come back through exec
                libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)  # all uids non-zero: the permitted and effective sets are emptied
            if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
            if os.getuid() != uid or os.geteuid() != uid or os.getgroups():
                raise OSError("the kernel did not become its unprivileged uid")

        return apply


def _pids_of(uid: int) -> list[int]:
    """The processes whose real or effective uid is `uid` (Linux, from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                for line in handle:
                    if line.startswith("Uid:"):
                        if str(uid) in line.split()[1:]:
                            found.append(int(entry))
                        break
        except OSError:
            continue
    return found
