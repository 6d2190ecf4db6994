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

- its own private folder with copies of the package and the data, written from memory
  (`package_copy.private_folder`);
- resource limits and a new process session; everything it started is killed afterwards (`processes`);
- a check that the files a later kernel could load did not change (`package_copy.fingerprint`), which is
  what stands between kernels when there is no sandbox.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rnncourse.grading.package_copy import SHORT_ROOTS, package_files, remove_tree, socket_folder
from rnncourse.grading.processes import EXTRA_TASKS, is_running, kill_and_reap

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
    "command",
    "exposes",
    "package_files",  # (package_copy's: still here for gradescope.py until its import moves)
    "unavailable_reason",
    "visible_folders",
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
            alive = [pid for pid in _pids_of(self.uid) if is_running(pid)]
            if not alive:
                break
            kill_and_reap(alive)
            killed += len(alive)
            time.sleep(0.02)
        for shared in SHORT_ROOTS:
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
        import resource

        uid = self.uid
        libc = ctypes.CDLL(None, use_errno=True)  # loaded here: nothing is imported or loaded after the fork

        def apply() -> None:
            apply_limits()
            resource.setrlimit(resource.RLIMIT_NPROC, (EXTRA_TASKS, EXTRA_TASKS))
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
