"""A Gradescope autograder for the exercise notebooks: `rnncourse gradescope OUT.zip` (`write_autograder`).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds the image and
``run_autograder`` for each submission, with the learner's files in ``/autograder/submission``; the
results go to ``/autograder/results/results.json`` (`report.format_gradescope`). The zip holds:

- ``setup.sh``: installs bubblewrap (the sandbox), a Python 3.11 or newer (the image's own when it is new
  enough, else Ubuntu 22.04's ``python3.11``; the Ubuntu 24.04 base image is the one to pick), and the
  course's dependencies at the versions of the machine that wrote the zip (``requirements.txt``) into
  ``/autograder/venv``, readable by every user (the container level's kernels run as other uids);
- ``lib/``: a copy of the ``rnncourse`` package (code and data) the grader runs from;
- ``run_autograder``: grades every ``.ipynb`` of the submission with ``rnncourse grade --gradescope-json``,
  expecting the exercises the zip was written for (one not handed in scores 0, one not asked for is listed
  as ignored and scores nothing), with ``--gradescope-visibility`` when the zip was written with
  ``visibility`` (``gradescope --visibility after_due_date``: the teacher's hidden cases' results are shown
  after the due date);
- ``key/`` when written with a key (teacher mode). Gradescope keeps the zip from the learners, but their
  code runs on the same machine: only the sandbox keeps it from reading the key. Gradescope runs the
  autograder as root in Docker, whose default seccomp profile refuses the namespaces bubblewrap needs, so
  there the grader falls back to the container level (`sandbox.Container`: each kernel an unprivileged uid
  of its own; ``run_autograder`` makes ``/autograder/source`` root's alone, mode 700, so that uid cannot
  read the key or the package's checks) and ``/autograder/submission`` too (the kernels need not list the
  notebooks). Teacher mode refuses to grade with neither (a zip written with
  ``--no-sandbox`` grades anyway, and its key can leak). ``run_autograder`` runs the grader with
  ``python -P``, so a folder called ``rnncourse`` in the working folder cannot shadow the package.

``RNNCOURSE_AUTOGRADER_ROOT`` (default ``/autograder``; both scripts) and ``RNNCOURSE_PYTHON`` (default the
venv's Python) let ``setup.sh`` and ``run_autograder`` run in a fake layout, as tests/test_grader_exports.py
does.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import re
import shlex
import zipfile
from collections.abc import Sequence
from pathlib import Path

from rnncourse import __version__, exercises
from rnncourse.grading import sandbox
from rnncourse.grading.report import GradingError

__all__ = ["exercise_names", "write_autograder"]

_SETUP = """#!/usr/bin/env bash
# Written by `rnncourse gradescope` (rnncourse {version}); Gradescope runs it once to build the image.
# The course needs Python 3.11 or newer: the base image's own python3 when it is new enough (Ubuntu 24.04:
# 3.12), else Ubuntu 22.04's python3.11 package (universe); pick the Ubuntu 24.04 base image if you can.
set -euo pipefail
root="${{RNNCOURSE_AUTOGRADER_ROOT:-/autograder}}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap python3 python3-venv
new_enough() {{ "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2> /dev/null; }}
python=""
for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" > /dev/null && new_enough "$candidate"; then
        python="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$python" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        python3.11 python3.11-venv || true
    if command -v python3.11 > /dev/null && new_enough python3.11; then
        python="$(command -v python3.11)"
    else
        echo "rnncourse needs Python 3.11 or newer, and this image has $(python3 --version 2>&1):" \\
            "choose the Ubuntu 24.04 base image in Gradescope's autograder settings" >&2
        exit 1
    fi
fi
echo "building $root/venv with $python ($("$python" --version 2>&1))"
"$python" -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --upgrade pip
"$root/venv/bin/python" -m pip install -r "$root/source/requirements.txt"
# the kernels of the container sandbox level run as other users: they need to read Python and the venv
chmod -R a+rX "$root/venv"
"""

_RUN = """#!/usr/bin/env bash
# Written by `rnncourse gradescope` (rnncourse {version}): grades a submission's exercise notebooks.
set -uo pipefail
root="${{RNNCOURSE_AUTOGRADER_ROOT:-/autograder}}"
python="${{RNNCOURSE_PYTHON:-$root/venv/bin/python}}"
results="$root/results/results.json"
# the key and the grader's copy of the package: for root alone (the container sandbox level runs each
# learner kernel as an unprivileged uid, which must not read them)
chmod 700 "$root/source"
# the learner's notebooks: the grader reads them and sends their cells, the kernels' uids need not list them
chmod 700 "$root/submission"
mkdir -p "$root/results"
chmod 700 "$root/results"  # the grader's standard error goes there while kernels run
rm -f "$results"
notebooks=()
while IFS= read -r -d '' found; do
    notebooks+=("$found")
done < <(find "$root/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z)
options=({options})
if [ -d "$root/source/key" ]; then
    options+=(--key "$root/source/key")
fi
# -P: a folder named rnncourse in the working folder (a learner's clone) never shadows the grader's package
PYTHONPATH="$root/source/lib" "$python" -P -m rnncourse grade --gradescope-json "$results" \\
    "${{options[@]}}" "${{notebooks[@]}}" 2> "$root/results/grader.err"
status=$?
if [ ! -f "$results" ]; then  # the grader could not start: say why, in Gradescope's format
    PYTHONPATH="$root/source/lib" "$python" -c 'import json, sys
why = open(sys.argv[1], errors="replace").read()[-2000:]
json.dump({{"score": 0, "output": "The autograder failed: " + why, "tests": []}}, open(sys.argv[2], "w"))' \\
        "$root/results/grader.err" "$results"
fi
# the grades are in results.json, whatever the grader's exit status (2: a file that is not an exercise)
echo "rnncourse grade exited with status $status" >> "$root/results/grader.err"
exit 0
"""


def exercise_names(wanted: Sequence[str]) -> list[str]:
    """Exercise notebook names from numbers (``01``) or names (``01_the_rnn_unit_exercises``); all when empty.

    Raises:
        GradingError: a name that is no exercise notebook.
    """
    known = exercises.NOTEBOOKS
    names = []
    for item in wanted or sorted(known):
        name = known.get(item, item)
        if name not in known.values():
            raise GradingError(
                f"unknown exercise {item!r}: expected a number of {sorted(known)} or a name of "
                f"{sorted(known.values())}"
            )
        names.append(name)
    return sorted(set(names))


def _requirements() -> str:
    """The package's dependencies (not the extras'), pinned to the versions installed here; each keeps its
    environment marker, so pip on Gradescope picks the ones for its platform."""
    lines = []
    for text in importlib.metadata.requires("rnncourse") or []:
        requirement, _, marker = text.partition(";")
        if "extra" in marker:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement.strip()).group(0)
        try:
            pinned = f"{name}=={importlib.metadata.version(name)}"
        except (
            importlib.metadata.PackageNotFoundError
        ):  # another platform's (tensorflow beside tensorflow-cpu)
            pinned = requirement.strip()
        lines.append(f"{pinned}; {marker.strip()}" if marker.strip() else pinned)
    return "\n".join(sorted(lines)) + "\n"


def _data_files() -> dict[str, bytes]:
    folder = importlib.resources.files("rnncourse._data")
    return {
        f"rnncourse/_data/{item.name}": item.read_bytes()
        for item in folder.iterdir()
        if item.is_file() and not item.name.endswith(".pyc")
    }


def write_autograder(
    path: str | os.PathLike,
    *,
    exercises_wanted: Sequence[str] = (),
    key: str | os.PathLike | None = None,
    options: Sequence[str] = (),
) -> Path:
    """Write a Gradescope autograder zip for the exercise notebooks.

    Args:
        path: the zip file to write (``.zip``).
        exercises_wanted: the exercises a submission holds (numbers or names); default all of them.
        key: a teacher's key folder (`rnncourse key`) to grade against; default self-study grading.
        options: more `rnncourse grade` options for each submission (limits, ``--no-sandbox``).

    Returns:
        The zip's path.

    Example:
        >>> write_autograder("autograder.zip", exercises_wanted=["01"], key="~/course-key")  # doctest: +SKIP
        PosixPath('autograder.zip')
    """
    from rnncourse.grading.key import read_key

    path = Path(path)
    if path.suffix != ".zip":
        raise GradingError(f"{path}: expected a .zip file for the autograder")
    names = exercise_names(exercises_wanted)
    key_file = None
    if key is not None:
        read_key(key)  # a damaged key fails here, not on Gradescope
        key_file = Path(key) / "key.json"
    grade_options = [*options]
    for name in names:
        grade_options += ["--expect", name]
    files: dict[str, tuple[bytes, int]] = {
        "setup.sh": (_SETUP.format(version=__version__).encode(), 0o755),
        "run_autograder": (
            _RUN.format(version=__version__, options=" ".join(map(shlex.quote, grade_options))).encode(),
            0o755,
        ),
        "requirements.txt": (_requirements().encode(), 0o644),
    }
    for relative, content in {**sandbox.package_files(), **_data_files()}.items():
        if re.search(r"(^|/)__pycache__/", relative):
            continue
        files[f"lib/{relative}"] = (content, 0o644)
    if key_file is not None:
        files["key/key.json"] = (key_file.read_bytes(), 0o600)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (content, mode) in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return path
