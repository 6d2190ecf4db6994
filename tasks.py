"""The course's two set-up commands, written with the standard library only so they work on a fresh machine.

    python3 tasks.py lab     # create .venv, install the course, open it in JupyterLab
    python3 tasks.py test    # create .venv, install the course and its tests, run ruff, pytest and nbval
    python3 tasks.py seeds   # rerun every course notebook with SEED = 1 and SEED = 2; report failed claims

Both create (or reuse) a virtual environment in `.venv` beside this file, so nothing is installed system-wide.
Set RNNCOURSE_VENV to use another folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("RNNCOURSE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def install(extras: str) -> None:
    """Create the virtual environment if needed and install the package with `extras` into it."""
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as err:
            sys.exit(
                f"could not create a virtual environment in {VENV} ({err}). On Debian/Ubuntu the system "
                "Python needs the venv module first: apt install python3-venv"
            )
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")


def lab() -> None:
    install("course,test")
    run(BIN / "jupyter", "lab", "notebooks/")


def test() -> None:
    install("course,test")
    run(BIN / "ruff", "check", ".")
    # pytest exits with 5 when it collects no tests; run() treats every non-zero exit as a failure.
    run(PYTHON, "-m", "pytest", *sys.argv[2:])


def seeds() -> None:
    """Every claim about a trained model must hold for any seed: rerun the notebooks with other seeds."""
    install("course,test")
    run(PYTHON, "scripts/run_seeds.py", *sys.argv[2:])


def main() -> None:
    commands = {"lab": lab, "test": test, "seeds": seeds}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(commands)}}} [pytest arguments for test | "
                 f"scripts/run_seeds.py arguments for seeds]")
    try:
        commands[sys.argv[1]]()
    except subprocess.CalledProcessError as err:
        sys.exit(err.returncode or 1)


if __name__ == "__main__":
    main()
