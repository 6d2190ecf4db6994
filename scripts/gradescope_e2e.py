"""The Gradescope autograder end to end, in a fresh root file system that is not this machine's.

    sudo python3 tasks.py gradescope-e2e [--release noble|jammy|bookworm] [--cache DIR]
                                         [--rebuild-root] [--keep]

Builds (or reuses) a minimal root of Ubuntu 24.04 (``noble``, default: the base image docs/teaching.md tells
teachers to pick), Ubuntu 22.04 (``jammy``, whose python3 is 3.10) or Debian 12 (``bookworm``) with
``debootstrap`` from the distribution's own mirror; copies it; writes the zip of
``rnncourse gradescope --exercises 01 02 --key K`` (a fresh key); lays it out as Gradescope does
(``/autograder/source`` from the zip, ``/autograder/run_autograder``, the learner's notebooks in
``/autograder/submission``, working folder ``/autograder``); runs ``setup.sh`` once (it installs Python,
bubblewrap and the pinned packages from PyPI inside the root) and ``run_autograder`` once per submission:

- ``correct``: the published solutions of exercises 01 and 02
  (``notebooks/exercises/solutions/``): full marks;
- ``partial``: the learner's copy of 01 as handed out (every answer raises NotImplementedError) and the
  solution of 02: 02's points only;
- ``wrong``: 01's solution with a wrong ``rnn_step`` (ReLU for tanh), and no 02: 01's points but rnn_step's,
  02 reported as not handed in.

Every command runs as root in a chroot of the copy, in its own mount and PID namespaces, with Docker's
default capabilities and a seccomp filter that refuses what Docker's default profile refuses to a container
without CAP_SYS_ADMIN: ``unshare``, ``setns``, ``mount``, ``clone`` with a ``CLONE_NEW*`` flag (EPERM),
``clone3`` (ENOSYS, so glibc falls back to ``clone``). Bubblewrap inside then fails as it does on
Gradescope, and the grader must fall back to its ``container`` sandbox level: the script checks that
bubblewrap fails, that results.json says ``container``, that it validates against
``tests/fixtures/gradescope_results.schema.json`` (Gradescope's specification) and that the scores are
right. It prints timings and an excerpt of each results.json, and exits with 1 on any failure.

Needs root, Linux, ``debootstrap`` (``apt-get install debootstrap``) and network access to the mirror and to
PyPI. Slow (the root: minutes; setup.sh: TensorFlow and its friends, about 2 GB), so not in CI: run it
after changing the autograder (``rnncourse/grading/gradescope.py``, the sandbox, the Gradescope report) and
before a release (docs/contributing.md). The roots are kept in ``--cache`` (default
``/var/tmp/rnncourse-gradescope-e2e``): ``RELEASE/base`` is debootstrap's, reused unless ``--rebuild-root``;
``RELEASE/run`` is the copy graded in, replaced at every run (``--keep`` reuses it, and setup.sh's venv,
to rerun only the grading). ``RELEASE/logs/`` holds each step's output. Where this machine trusts
certificate authorities of its own (``/usr/local/share/ca-certificates``, say for a proxy that inspects
TLS), the root trusts them too and setup.sh's pip is pointed at them with ``PIP_CERT``; nothing else of
this machine goes in.
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "fixtures" / "gradescope_results.schema.json"
SOLUTIONS = ROOT / "notebooks" / "exercises" / "solutions"
HANDED_OUT = ROOT / "notebooks" / "exercises"
HOST_CAS = Path("/usr/local/share/ca-certificates")
ONE, TWO = "01_the_rnn_unit_exercises", "02_training_rnns_exercises"

# release -> (distribution, mirror, components, debootstrap script to fall back on when it has none)
RELEASES = {
    "noble": ("ubuntu", "http://archive.ubuntu.com/ubuntu", "main,universe", "gutsy"),
    "jammy": ("ubuntu", "http://archive.ubuntu.com/ubuntu", "main,universe", "gutsy"),
    "bookworm": ("debian", "http://deb.debian.org/debian", "main", "sid"),
}

# ---------------------------------------------------------------------------------------------------------
# Docker as Gradescope runs it: capabilities and seccomp
# ---------------------------------------------------------------------------------------------------------

# Docker's default capabilities (moby's oci/caps/defaults.go); every other one leaves the bounding set
DOCKER_CAPS = {0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31}
# chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service net_raw sys_chroot mknod
# audit_write setfcap
CLONE_NEW_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
AUDIT_ARCH_X86_64 = 0xC000003E
EPERM, ENOSYS = 1, 38
REFUSED = {  # x86_64 syscall numbers refused with EPERM without CAP_SYS_ADMIN in Docker's default profile
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "unshare": 272,
    "setns": 308,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
}
SYS_CLONE, SYS_CLONE3 = 56, 435


def _bpf(code: int, k: int, jt: int = 0, jf: int = 0) -> tuple[int, int, int, int]:
    return code, jt, jf, k


def seccomp_program() -> list[tuple[int, int, int, int]]:
    """A classic-BPF seccomp filter (x86_64) refusing what Docker's default profile refuses to namespaces."""
    ld_w_abs, jeq, jge, and_k, ret = 0x20, 0x15, 0x35, 0x54, 0x06
    allow, errno, kill = 0x7FFF0000, 0x00050000, 0x80000000
    program = [
        _bpf(ld_w_abs, 4),  # seccomp_data.arch
        _bpf(jeq, AUDIT_ARCH_X86_64, jt=1),
        _bpf(ret, kill),
        _bpf(ld_w_abs, 0),  # seccomp_data.nr
        _bpf(jge, 0x40000000, jf=1),  # x32 system calls
        _bpf(ret, errno | EPERM),
        _bpf(jeq, SYS_CLONE3, jf=1),
        _bpf(ret, errno | ENOSYS),
    ]
    for number in REFUSED.values():
        program += [_bpf(jeq, number, jf=1), _bpf(ret, errno | EPERM)]
    program += [
        _bpf(jeq, SYS_CLONE, jf=4),
        _bpf(ld_w_abs, 16),  # the low 32 bits of args[0], clone's flags
        _bpf(and_k, CLONE_NEW_FLAGS),
        _bpf(jeq, 0, jt=1),
        _bpf(ret, errno | EPERM),
        _bpf(ret, allow),
    ]
    return program


def install_seccomp() -> None:
    """Install `seccomp_program` on this process (kept across execve and by every child)."""

    class SockFilter(ctypes.Structure):
        _fields_ = [
            ("code", ctypes.c_uint16),
            ("jt", ctypes.c_uint8),
            ("jf", ctypes.c_uint8),
            ("k", ctypes.c_uint32),
        ]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    program = seccomp_program()
    filters = (SockFilter * len(program))(*(SockFilter(*item) for item in program))
    fprog = SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_seccomp, seccomp_mode_filter = 22, 2
    if libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def drop_capabilities() -> None:
    """Keep Docker's default capabilities only (the bounding set; root's exec then gets no others)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        if cap not in DOCKER_CAPS and libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {cap}) failed")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def enter(root: Path, command: list[str]) -> None:
    """In fresh mount and PID namespaces (made by `in_root`): mount /proc, a small /dev and /sys, chroot into
    `root`, take Docker's capabilities and seccomp filter, and exec `command` with a clean environment."""
    _mount("--make-rprivate", "/")
    _mount("-t", "proc", "proc", str(root / "proc"))
    _mount("-t", "sysfs", "-o", "ro,nosuid,nodev,noexec", "sysfs", str(root / "sys"))
    dev = root / "dev"
    _mount("-t", "tmpfs", "-o", "nosuid,mode=755,size=65536k", "tmpfs", str(dev))
    for name, major, minor in (
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ):
        os.mknod(dev / name, 0o20666, os.makedev(major, minor))
        os.chmod(dev / name, 0o666)
    for folder in ("pts", "shm", "mqueue"):
        (dev / folder).mkdir()
    _mount("-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=620", "devpts", str(dev / "pts"))
    (dev / "ptmx").symlink_to("pts/ptmx")
    _mount("-t", "tmpfs", "-o", "nosuid,nodev,mode=1777,size=1g", "shm", str(dev / "shm"))
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        (dev / name).symlink_to(target)
    os.chroot(root)
    os.chdir("/autograder" if Path("/autograder").is_dir() else "/")
    install_seccomp()  # as root with CAP_SYS_ADMIN still: no no_new_privs needed, as in Docker
    drop_capabilities()
    environment = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    os.execve(shutil.which(command[0], path=environment["PATH"]) or command[0], command, environment)


def in_root(root: Path, script: str, log: Path, echo: bool = True) -> tuple[int, float, str]:
    """Run the bash `script` in `root` (see `enter`); its output goes to `log` (and here when `echo`).

    Returns:
        ``(exit status, seconds, output)``.
    """
    started = time.monotonic()
    command = [
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "--propagation",
        "private",
        sys.executable,
        "-I",
        __file__,
        "--enter",
        str(root),
        "--",
        "/bin/bash",
        "-c",
        script,
    ]
    lines = []
    with (
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        ) as process,
        log.open("w") as out,
    ):
        for line in process.stdout:
            out.write(line)
            lines.append(line)
            if echo:
                print(f"    | {line}", end="", flush=True)
    return process.returncode, time.monotonic() - started, "".join(lines)


# ---------------------------------------------------------------------------------------------------------
# The root file system
# ---------------------------------------------------------------------------------------------------------


def ubuntu_keyring(release: str, mirror: str, folder: Path) -> Path:
    """Ubuntu's archive keyring, from the ubuntu-keyring package of `release` (Debian does not package it).
    The .deb's sha256 is checked against the release's Packages index (fetched over plain HTTP, as apt
    does before it checks signatures: this trusts the mirror once, for the keyring)."""
    keyring = folder / "usr/share/keyrings/ubuntu-archive-keyring.gpg"
    if keyring.is_file():
        return keyring
    url = f"{mirror}/dists/{release}/main/binary-amd64/Packages.gz"
    with urllib.request.urlopen(url, timeout=60) as response:
        index = gzip.decompress(response.read()).decode()
    stanza = re.search(r"^Package: ubuntu-keyring\n(?:.+\n)*", index, re.M).group(0)
    filename = re.search(r"^Filename: (.+)$", stanza, re.M).group(1)
    sha256 = re.search(r"^SHA256: (.+)$", stanza, re.M).group(1)
    with urllib.request.urlopen(f"{mirror}/{filename}", timeout=60) as response:
        package = response.read()
    if hashlib.sha256(package).hexdigest() != sha256:
        raise SystemExit(f"{filename}: sha256 differs from the Packages index")
    folder.mkdir(parents=True, exist_ok=True)
    deb = folder / "ubuntu-keyring.deb"
    deb.write_bytes(package)
    subprocess.run(["dpkg-deb", "-x", deb, folder], check=True)
    return keyring


def build_root(release: str, base: Path, logs: Path) -> float:
    """debootstrap a minimal `release` into `base`; returns the seconds it took."""
    distribution, mirror, components, fallback = RELEASES[release]
    if shutil.which("debootstrap") is None:
        raise SystemExit("debootstrap is not installed: apt-get install debootstrap")
    scripts = Path("/usr/share/debootstrap/scripts")
    script = scripts / (release if (scripts / release).exists() else fallback)
    if distribution == "ubuntu":
        keyring = ubuntu_keyring(release, mirror, base.parent / "keyring")
    else:
        keyring = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
    partial = base.with_name(base.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.monotonic()
    with (logs / "debootstrap.log").open("w") as log:
        built = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=ca-certificates",
                f"--components={components}",
                f"--keyring={keyring}",
                release,
                partial,
                mirror,
                script,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    seconds = time.monotonic() - started
    if built.returncode != 0:
        raise SystemExit(f"debootstrap failed (status {built.returncode}): see {logs / 'debootstrap.log'}")
    partial.rename(base)
    (base.parent / "base.json").write_text(json.dumps({"release": release, "seconds": round(seconds)}))
    return seconds


def write_sources(root: Path, release: str) -> None:
    """apt's sources as in the distribution's Docker image (Gradescope's base images start from those):
    the release with its updates, backports and security pockets (debootstrap writes the release alone;
    Ubuntu 22.04's python3.11 is in jammy-updates only)."""
    distribution, mirror, _, _ = RELEASES[release]
    if distribution == "ubuntu":
        components = "main restricted universe multiverse"
        lines = [f"deb {mirror} {release}{pocket} {components}" for pocket in ("", "-updates", "-backports")]
        lines.append(f"deb http://security.ubuntu.com/ubuntu {release}-security {components}")
    else:
        lines = [f"deb {mirror} {release} main", f"deb {mirror} {release}-updates main",
                 f"deb http://deb.debian.org/debian-security {release}-security main"]  # fmt: skip
    (root / "etc" / "apt" / "sources.list").write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------


def make_zip(folder: Path) -> Path:
    """A teacher's key and the zip of `rnncourse gradescope --exercises 01 02 --key K`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "rnncourse", "key", folder / "key"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rnncourse",
            "gradescope",
            folder / "autograder.zip",
            "--exercises",
            "01",
            "02",
            "--key",
            folder / "key",
        ],
        check=True,
        env=env,
    )
    return folder / "autograder.zip"


def install_zip(archive: Path, autograder: Path) -> None:
    """Lay the zip out as Gradescope's image build does."""
    source = autograder / "source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            path = opened.extract(info, source)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(path, mode)
    shutil.copy2(source / "run_autograder", autograder / "run_autograder")


def submissions() -> dict[str, tuple[str, dict[str, bytes]]]:
    """The submissions graded: name -> (what it is, {file name: content})."""
    one, two = f"{ONE}.ipynb", f"{TWO}.ipynb"
    solution = (SOLUTIONS / one).read_text()
    right = "return np.tanh(x_t @ W_x + h_prev @ W_h + b)"
    if right not in solution:
        raise SystemExit(f"{SOLUTIONS / one}: rnn_step's answer changed; update submissions()")
    wrong = solution.replace(right, "return np.maximum(0, x_t @ W_x + h_prev @ W_h + b)")  # ReLU, not tanh
    solved = {one: (SOLUTIONS / one).read_bytes(), two: (SOLUTIONS / two).read_bytes()}
    return {
        "correct": ("the published solutions of 01 and 02", solved),
        "partial": (
            "01 as handed out, unanswered; 02 solved",
            {**solved, one: (HANDED_OUT / one).read_bytes()},
        ),
        "wrong": ("01's solution with ReLU for tanh in rnn_step; no 02", {one: wrong.encode()}),
    }


def check_results(results: dict, name: str) -> list[str]:
    """What is wrong with one submission's results.json (empty when nothing is)."""
    import jsonschema

    problems = []
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    problems += [f"schema: {e.json_path}: {e.message}" for e in validator.iter_errors(results)]
    tests = results.get("tests", [])
    full = {p: sum(t["max_score"] for t in tests if t["number"].startswith(p)) for p in ("01.", "02.")}
    if not tests or full["01."] == 0 or full["02."] == 0:
        problems.append(f"expected tests for exercises 01 and 02, got {[t.get('number') for t in tests]}")
    if name == "correct":
        expected = full["01."] + full["02."]
    elif name == "partial":  # 01 unanswered
        expected = full["02."]
    else:  # rnn_step wrong, 02 missing
        expected = full["01."] - sum(t["max_score"] for t in tests if t["number"] == "01.q1")
        if not all("not handed in" in t["output"] for t in tests if t["number"].startswith("02.")):
            problems.append("exercise 02 is not reported as not handed in")
    if results.get("score") != expected:
        problems.append(f"score {results.get('score')}, expected {expected}")
    if results.get("score") != sum(t.get("score", 0) for t in tests):
        problems.append("the score is not the sum of the tests' scores")
    if results.get("extra_data", {}).get("sandbox") != "container":
        level = results.get("extra_data", {}).get("sandbox")
        problems.append(f"sandbox level {level!r}, expected 'container'")
    return problems


def excerpt(results: dict) -> str:
    shown = {k: v for k, v in results.items() if k != "tests"}
    tests = results.get("tests", [])
    shown["tests"] = [*tests[:2], f"... {len(tests) - 3} more ...", tests[-1]] if len(tests) > 3 else tests
    return json.dumps(shown, indent=1)


PROBE = r"""
echo "os: $(. /etc/os-release; echo "$PRETTY_NAME")"
echo "python3 before setup.sh: $(command -v python3 || echo none)"
grep -E '^(Seccomp|CapBnd|NoNewPrivs):' /proc/self/status
if unshare --user --map-root-user true 2> /tmp/unshare.err; then echo "unshare: allowed";
else echo "unshare: refused ($(tail -1 /tmp/unshare.err))"; fi
"""
PROBE_AFTER = r"""
venv=/autograder/venv/bin/python
echo "python in the venv: $("$venv" --version 2>&1) ($(readlink -f "$venv"))"
if bwrap --ro-bind / / true 2> /tmp/bwrap.err; then echo "bwrap: allowed";
else echo "bwrap: refused ($(tail -1 /tmp/bwrap.err))"; fi
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", choices=sorted(RELEASES), default="noble")
    parser.add_argument("--cache", type=Path, default=Path("/var/tmp/rnncourse-gradescope-e2e"))
    parser.add_argument("--rebuild-root", action="store_true", help="debootstrap again")
    parser.add_argument("--keep", action="store_true", help="reuse the last run's root and venv")
    parser.add_argument("--enter", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("command", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.enter is not None:
        enter(args.enter, args.command)  # does not return
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or os.uname().machine != "x86_64":
        raise SystemExit("run as root on x86_64 Linux (it builds a root file system and chroots into it)")
    folder = args.cache / args.release
    base, run, logs = folder / "base", folder / "run", folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    failures: list[str] = []

    if args.rebuild_root:
        shutil.rmtree(base, ignore_errors=True)
    if base.is_dir():
        built = json.loads((folder / "base.json").read_text()) if (folder / "base.json").is_file() else {}
        print(f"== root: reusing {base} (debootstrap took {built.get('seconds', '?')} s when built)")
    else:
        print(f"== root: debootstrap {args.release} into {base}")
        timings["debootstrap"] = build_root(args.release, base, logs)
    if not (args.keep and (run / "autograder" / "venv").is_dir()):
        shutil.rmtree(run, ignore_errors=True)
        started = time.monotonic()
        subprocess.run(["cp", "-a", "--reflink=auto", base, run], check=True)
        timings["copy root"] = time.monotonic() - started
    shutil.copy2("/etc/resolv.conf", run / "etc" / "resolv.conf")  # the network as Docker gives it
    write_sources(run, args.release)
    # this machine's own certificate authorities (a proxy that inspects TLS): the root trusts them too, and
    # setup.sh's pip is told to (Gradescope's network needs neither)
    local_cas = sorted(HOST_CAS.glob("*.crt"))
    pip_cert = ""
    if local_cas:
        print(
            f"== trusting this machine's CA certificates in the root: {', '.join(p.name for p in local_cas)}"
        )
        (run / HOST_CAS.relative_to("/")).mkdir(parents=True, exist_ok=True)
        for certificate in local_cas:
            shutil.copy(certificate, run / HOST_CAS.relative_to("/") / certificate.name)
        pip_cert = "export PIP_CERT=/etc/ssl/certs/ca-certificates.crt; update-ca-certificates > /dev/null; "
    with tempfile.TemporaryDirectory() as temporary:
        install_zip(make_zip(Path(temporary)), run / "autograder")

    print("== the container")
    status, _, probe = in_root(run, PROBE, logs / "probe.log")
    if "Seccomp:\t2" not in probe or "unshare: refused" not in probe:
        failures.append("the seccomp filter is not in place (see probe.log)")

    if not (args.keep and (run / "autograder" / "venv").is_dir()):
        print("== setup.sh (as Gradescope builds the image)")
        status, timings["setup.sh"], _ = in_root(
            run, pip_cert + "cd /autograder/source && bash ./setup.sh", logs / "setup.log", echo=False
        )
        if status != 0:
            tail = (logs / "setup.log").read_text().splitlines()[-30:]
            print("\n".join(tail))
            failures.append(f"setup.sh exited with {status}")
            return _finish(timings, failures, logs)
    status, _, after = in_root(run, PROBE_AFTER, logs / "probe-after.log")
    if "bwrap: refused" not in after:
        failures.append("bubblewrap could create namespaces: this is not Docker's seccomp")

    for name, (described, notebooks) in submissions().items():
        print(f"== run_autograder: {name} ({described})")
        autograder = run / "autograder"
        for fresh in ("submission", "results"):
            shutil.rmtree(autograder / fresh, ignore_errors=True)
        (autograder / "submission").mkdir()
        for filename, content in notebooks.items():
            (autograder / "submission" / filename).write_bytes(content)
        status, timings[f"run_autograder {name}"], _ = in_root(
            run, "cd /autograder && ./run_autograder", logs / f"run-{name}.log"
        )
        if status != 0:
            failures.append(f"run_autograder ({name}) exited with {status}")
        results_path = autograder / "results" / "results.json"
        if not results_path.is_file():
            failures.append(f"run_autograder ({name}) wrote no results.json")
            continue
        results = json.loads(results_path.read_text())
        shutil.copy(results_path, logs / f"results-{name}.json")
        print(excerpt(results))
        errors = autograder / "results" / "grader.err"
        if errors.is_file():
            shutil.copy(errors, logs / f"grader-{name}.err")
        failures += [f"{name}: {p}" for p in check_results(results, name)]
        print(
            f"   score {results.get('score')} of {sum(t['max_score'] for t in results.get('tests', []))}, "
            f"sandbox level {results.get('extra_data', {}).get('sandbox')}"
        )
    return _finish(timings, failures, logs)


def _finish(timings: dict[str, float], failures: list[str], logs: Path | None = None) -> int:
    print("== timings")
    for step, seconds in timings.items():
        print(f"   {step}: {seconds:.0f} s")
    if logs is not None:
        print(f"== logs and results.json files in {logs}")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("== PASSED" if not failures else f"== {len(failures)} FAILURE(S)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
