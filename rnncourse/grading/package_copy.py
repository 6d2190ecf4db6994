"""What a kernel gets to load, and what must not change while grading: the package copy and its fingerprint.

Before the first kernel starts the grader reads the package (`package_files`) and the data (`data_files`) into
memory. Each kernel gets its own private folder (`private_folder`) with copies of the package and the data,
written from memory, and the folder of its sockets (`socket_folder`); between notebooks the grader checks that
the files a later kernel could load did not change (`fingerprint`, `changed`), which is what stands between
kernels when there is no sandbox.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import site
import tempfile
from pathlib import Path

from rnncourse import exercises

__all__ = [
    "SENTIMENT_SPLIT",
    "SHORT_ROOTS",
    "SOCKET_PATH_MAX",
    "changed",
    "data_files",
    "fingerprint",
    "package_files",
    "private_folder",
    "remove_private_folder",
    "remove_tree",
    "socket_folder",
    "write_package",
]


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
#: Where a short socket folder goes when the private folder's path is too long (a long TMPDIR).
SHORT_ROOTS = ("/tmp", "/dev/shm", "/var/tmp")


def _fits(folder: str | os.PathLike) -> bool:
    return len(os.fsencode(folder)) + len(_SOCKET_NAME) <= SOCKET_PATH_MAX


def _short_socket_folder() -> Path:
    """A new private folder (mode 700, unpredictable name) whose path leaves room for a socket's name."""
    for root in SHORT_ROOTS:
        if _fits(Path(root) / "rnc-12345678") and os.path.isdir(root) and os.access(root, os.W_OK | os.X_OK):
            try:
                return Path(tempfile.mkdtemp(prefix="rnc-", dir=root))
            except OSError:
                continue
    raise OSError(
        f"no folder for the kernel's sockets has a path short enough for a Unix socket ({SOCKET_PATH_MAX} "
        f"bytes; tried TMPDIR={tempfile.gettempdir()!r} and {', '.join(SHORT_ROOTS)}): set TMPDIR to a "
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
