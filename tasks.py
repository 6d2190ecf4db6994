"""The course's set-up commands, written with the standard library only so they work on a fresh machine.

    python3 tasks.py lab [ARGS]     # install into .venv, copy the notebooks to my-work/, open JupyterLab
    python3 tasks.py fresh NAME     # a fresh copy of one notebook in my-work/ (yours is kept beside it)
    python3 tasks.py site [--out DIR]   # build the course as a static HTML site in build/site/
    python3 tasks.py test [ARGS]    # install, then run ruff and pytest (ARGS go to pytest)
    python3 tasks.py seeds [ARGS]   # rerun the course notebooks with SEED = 1 and 2; report failed claims
    python3 tasks.py backends       # the layer and diagnostics tests again on the JAX and PyTorch backends

`lab` passes ARGS to `jupyter lab` (e.g. `--port 9999 --no-browser`) and adds `--allow-root` when run as
root. Installing is skipped when pyproject.toml has not changed since the last install into that venv.
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
# The installed state of the venv: pyproject.toml's digest and the extras installed with it.
STAMP = VENV / "rnncourse-install.json"
PIP_LOG = VENV / "rnncourse-pip.log"

NOTEBOOKS = ROOT / "notebooks"
# The learner's working copies (git-ignored); the originals in notebooks/ are what the tests run.
# my-work/ sits beside notebooks/, so paths relative to a notebook's folder (../benchmarks/) work from copies.
WORK = Path(os.environ.get("RNNCOURSE_WORK", ROOT / "my-work"))
COPIED = WORK / ".rnncourse-copies.json"  # original's sha256 at the time each copy was made
COPY_PATTERNS = ("*.ipynb", "exercises/*.ipynb")  # course and (blank) exercise notebooks, not solutions


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


def install(extras: set[str]) -> None:
    """Create the virtual environment if needed and install the package with `extras` into it.

    Skipped when the venv already holds this pyproject.toml's install with at least these extras (STAMP).
    """
    digest = _digest(ROOT / "pyproject.toml")
    state = _read_json(STAMP)
    installed = set(state.get("extras", [])) if PYTHON.exists() else set()
    if state.get("pyproject") == digest and extras <= installed:
        say(f"rnncourse[{','.join(sorted(installed))}] is installed in {VENV}; pyproject.toml unchanged")
        return
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as err:
            sys.exit(
                f"could not create a virtual environment in {VENV} ({err}). On Debian/Ubuntu the system "
                "Python needs the venv module first: apt install python3-venv"
            )
    # Keep the extras installed before (as long as pyproject.toml still offers them), so `site` after `lab`
    # does not make the next `lab` reinstall.
    import tomllib  # here, so that an older Python gets main()'s message rather than an ImportError

    offered = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"].get(
        "optional-dependencies", {}
    )
    if extras - set(offered):
        missing = sorted(extras - set(offered))
        sys.exit(f"pyproject.toml offers no extra {missing}; it offers {sorted(offered)}")
    wanted = sorted(extras | (installed & set(offered)))
    say(f"installing rnncourse[{','.join(wanted)}] into {VENV} (pip's full output: {PIP_LOG})")
    PIP_LOG.write_text("", encoding="utf-8")
    _pip("install", "--quiet", "--upgrade", "pip", what="upgrading pip")
    _pip("install", "-e", f".[{','.join(wanted)}]", what=f"installing rnncourse[{','.join(wanted)}]")
    STAMP.write_text(json.dumps({"pyproject": digest, "extras": wanted}) + "\n", encoding="utf-8")


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
    install({"course"})
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
    install({"site"})
    start = time.monotonic()
    # -W with --keep-going: every warning (a broken link between notebooks, say) fails the build, after
    # all of them have been reported. The notebooks are rendered with their stored outputs, not re-run.
    run(PYTHON, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-c", "site",
        "-d", out.parent / f"{out.name}-cache", ".", out)  # fmt: skip
    say(f"site built in {time.monotonic() - start:.0f} s: open {out / 'index.html'} in a browser")


def test(args: list[str]) -> None:
    install({"course", "test", "site"})
    run(BIN / "ruff", "check", ".")
    # pytest exits with 5 when it collects no tests; run() treats every non-zero exit as a failure.
    run(PYTHON, "-m", "pytest", *args)


def seeds(args: list[str]) -> None:
    """Every claim about a trained model must hold for any seed: rerun the notebooks with other seeds."""
    install({"course", "test"})
    run(PYTHON, "scripts/run_seeds.py", *args)


# ---------------------------------------------------------------------------------------------- backends
# The layer, diagnostics and language-model tests are written for every Keras backend; `test` runs them on
# TensorFlow.
BACKEND_TESTS = ["tests/test_layers.py", "tests/test_diagnostics.py", "tests/test_language.py"]
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
    """The layer and diagnostics tests on JAX and PyTorch (CPU builds); `test` runs them on TensorFlow."""
    if args:
        sys.exit(f"tasks.py backends takes no arguments, got {args}")
    install({"course", "test", "jax"})
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
