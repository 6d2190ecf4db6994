"""Tests of the grader's sandbox (`rnncourse.grading.sandbox`): hostile notebooks graded in teacher mode.

Each hostile notebook is the solution of exercise 01 with one attack cell after its first answer. The cell
is told where everything is (the key folder, the teacher's HOME, a listener's port, the installed package):
when an attack gets through, the cell raises ``LEAKED ...``; when it is stopped, ``BLOCKED ...`` with what it
got, so the grade's notes show both that the attack ran and what came of it. Every attack must be blocked
and every honest answer keep its points.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

import make_exercises
import nbformat
import pytest

from rnncourse import exercises as ex
from rnncourse.grading import package_copy, sandbox

ONE = "01_the_rnn_unit_exercises"
needs_sandbox = pytest.mark.skipif(
    sandbox.unavailable_reason() is not None, reason=f"no sandbox here: {sandbox.unavailable_reason()}"
)

# Each attack: the code of one cell. `found` collects what got through; the last lines raise LEAKED/BLOCKED.
_VERDICT = (
    "\nif found:\n    raise RuntimeError('LEAKED ' + repr(found)[:300])\n"
    "raise RuntimeError('BLOCKED ' + repr(tried)[:300])\n"
)
_PROCS = (
    "import os\n"
    "def procs():\n"
    "    for p in os.listdir('/proc'):\n"
    "        if p.isdigit() and int(p) not in (os.getpid(), os.getppid(), 1):\n"
    "            yield int(p)\n"
    "def read(path, n=200_000):\n"
    "    try:\n"
    "        with open(path, 'rb') as f:\n"
    "            return f.read(n)\n"
    "    except OSError as e:\n"
    "        return type(e).__name__.encode()\n"
)
ATTACKS = {
    # read the key folder from the grader's command line: the parent's and every visible process's
    "cmdline": _PROCS + "found, tried = [], {}\n"
    "for p in [os.getppid(), *procs()]:\n"
    "    text = read(f'/proc/{p}/cmdline')\n"
    "    tried[p] = text[:60]\n"
    "    if KEY.encode() in text:\n"
    "        found.append((p, text[:200]))\n",
    # find the teacher's HOME (and the key in it) through the environment of the processes it can see
    "environ": _PROCS + "found, tried = [], {'own HOME': os.environ.get('HOME')}\n"
    "for p in [os.getppid(), *procs()]:\n"
    "    text = read(f'/proc/{p}/environ')\n"
    "    tried[p] = text[:40]\n"
    "    if HOME.encode() in text:\n"
    "        found.append(p)\n"
    "for path in (HOME, KEY, KEY + '/key.json'):\n"
    "    tried[path] = os.path.exists(path)\n"
    "    if os.path.exists(path):\n"
    "        found.append(path)\n",
    # walk the whole file system for anything that looks like a key
    "walk": "import os, time\nfound, tried = [], {'folders': 0}\nstart = time.monotonic()\n"
    "for top, dirs, files in os.walk('/'):\n"
    "    dirs[:] = [d for d in dirs if os.path.join(top, d) not in ('/proc', '/sys', '/dev')]\n"
    "    tried['folders'] += 1\n"
    "    for name in files:\n"
    "        if 'key' in name.lower() and name.endswith('.json'):\n"
    "            try:\n"
    "                if SEED in open(os.path.join(top, name)).read():\n"
    "                    found.append(os.path.join(top, name))\n"
    "            except OSError:\n"
    "                pass\n"
    "    if time.monotonic() - start > 20:\n"
    "        break\n",
    # talk to a server on the grader's machine
    "network": "import socket\nfound, tried = [], {}\n"
    "for host in ('127.0.0.1', 'localhost'):\n"
    "    try:\n"
    "        socket.create_connection((host, PORT), timeout=3).sendall(b'hello')\n"
    "        found.append(host)\n"
    "    except OSError as e:\n"
    "        tried[host] = repr(e)[:80]\n",
    # change the teacher's files: HOME, the key folder, the key itself
    "write": "found, tried = [], {}\n"
    "for path in (HOME + '/planted.txt', KEY + '/planted.txt', KEY + '/key.json'):\n"
    "    try:\n"
    "        with open(path, 'a') as f:\n"
    "            f.write('planted')\n"
    "        found.append(path)\n"
    "    except OSError as e:\n"
    "        tried[path] = type(e).__name__\n",
    # kill every other grader kernel it can see (the notebook graded beside it), for 8 s
    "signal": _PROCS + "import signal, time\nfound, tried = [], {'seen': set()}\nstart = time.monotonic()\n"
    "while time.monotonic() - start < 8:\n"
    "    for p in procs():\n"
    "        tried['seen'].add(p)\n"
    "        if MARK.encode() in read(f'/proc/{p}/environ') and b'ipykernel' in read(f'/proc/{p}/cmdline'):\n"
    "            try:\n"
    "                os.kill(p, signal.SIGKILL)\n"
    "                found.append(p)\n"
    "            except OSError:\n"
    "                pass\n"
    "    time.sleep(0.2)\n",
    # read the grader's memory (where the seed and the held-out labels are)
    "memory": _PROCS + "found, tried = [], {}\n"
    "for p in [os.getppid(), *procs()]:\n"
    "    line = read(f'/proc/{p}/cmdline')\n"
    "    if b'rnncourse\\x00grade' in line:  # python -m rnncourse grade ...\n"
    "        maps = read(f'/proc/{p}/maps').decode(errors='replace').splitlines()\n"
    "        tried[p] = maps[:1]\n"
    "        try:\n"
    "            with open(f'/proc/{p}/mem', 'rb') as mem:\n"
    "                start = int(maps[0].split('-')[0], 16)\n"
    "                mem.seek(start)\n"
    "                found.append((p, mem.read(16)))\n"
    "        except (OSError, ValueError, IndexError) as e:\n"
    "            tried[p] = repr(e)[:80]\n"
    "tried['grader visible'] = bool(tried)\n",
    # plant bytecode in the package the next kernel imports: its own copy, and the installed package
    "bytecode": "import os, rnncourse, sys\nfound, tried = [], {}\n"
    "for root in (os.path.dirname(rnncourse.__file__), PACKAGE):\n"
    # a path the sandbox does not show may still be creatable in its own empty /tmp (when the clone lives
    # under /tmp): writing there plants nothing in a package, so only a visible package counts
    "    if not os.path.isfile(os.path.join(root, 'exercises', '__init__.py')):\n"
    "        tried[root] = 'no package there'\n"
    "        continue\n"
    "    folder = os.path.join(root, 'exercises', '__pycache__')\n"
    "    target = os.path.join(folder, f'planted.{sys.implementation.cache_tag}.pyc')\n"
    "    try:\n"
    "        os.makedirs(folder, exist_ok=True)\n"
    "        with open(target, 'wb') as f:\n"
    "            f.write(b'planted')\n"
    "        found.append(target)\n"
    "    except OSError as e:\n"
    "        tried[target] = type(e).__name__\n",
}


def _attack_notebook(code: str, constants: dict) -> nbformat.NotebookNode:
    nb = make_exercises.build(ONE, learner=False)
    header = "".join(f"{name} = {value!r}\n" for name, value in constants.items())
    index = next(
        i for i, c in enumerate(nb.cells) if c.metadata.get("rnncourse", {}).get("answer") == "01.q1"
    )
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(header + code + _VERDICT))
    return nb


@pytest.fixture(scope="module")
def teacher_batch(tmp_path_factory):
    """Every attack, a solution graded beside the signalling one and a blank notebook after all of them,
    graded in teacher mode by the command line with --jobs 2; the teacher's HOME holds the key."""
    root = tmp_path_factory.mktemp("sandbox")
    home = root / "teacher-home"
    key = home / "course-key"
    home.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "rnncourse", "key", str(key)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    key_text = (key / "key.json").read_text()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    connections: list[str] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            connections.append(conn.recv(100).decode(errors="replace"))

    threading.Thread(target=accept, daemon=True).start()
    mark = f"rnncourse-sandbox-{secrets.token_hex(4)}"
    constants = dict(
        KEY=str(key),
        HOME=str(home),
        PORT=listener.getsockname()[1],
        MARK=mark,
        SEED=str(json.loads(key_text)["seed"]),
        PACKAGE=str(Path(ex.__file__).resolve().parents[1]),
    )
    folder = root / "class"
    folder.mkdir()
    paths = {}
    for label in ["signal", "neighbour", *[a for a in ATTACKS if a != "signal"], "blank"]:
        if label == "neighbour":
            nb = make_exercises.build(ONE, learner=False)
        elif label == "blank":
            nb = make_exercises.build(ONE, learner=True)
        else:
            nb = _attack_notebook(ATTACKS[label], constants)
        paths[label] = folder / f"{label}.ipynb"
        nbformat.write(nb, paths[label])
    report = root / "grades.json"
    env = dict(os.environ, HOME=str(home), LC_RNNCOURSE_MARK=mark)  # the mark reaches the kernels
    command = [sys.executable, "-m", "rnncourse", "grade", "--key", str(key), "--jobs", "2", "--json"]
    run = subprocess.run(
        [*command, str(report), *map(str, paths.values()), "--cell-timeout", "40"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=root,
    )
    listener.close()
    grades = {label: g for label, g in zip(paths, json.loads(report.read_text()), strict=True)}
    return dict(
        run=run, grades=grades, home=home, key=key, key_text=key_text, connections=connections, paths=paths
    )


@needs_sandbox
@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_each_attack_is_blocked_and_costs_no_points(teacher_batch, attack):
    grade = teacher_batch["grades"][attack]
    notes = "\n".join(grade["notes"])
    print(f"{attack}: {grade['score']}/{grade['total']} points; {notes}")
    assert grade["sandbox_level"] == "bubblewrap" and grade["mode"] == "teacher", grade
    assert "LEAKED" not in notes and "BLOCKED" in notes, notes
    assert grade["error"] is None and grade["score"] == grade["total"] == 6, grade


@needs_sandbox
@pytest.mark.slow
def test_no_grade_changes_and_the_teachers_files_stay_as_they_were(teacher_batch):
    grades, run = teacher_batch["grades"], teacher_batch["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert grades["neighbour"]["score"] == 6 and grades["neighbour"]["notes"] == [], grades["neighbour"]
    assert grades["blank"]["score"] == 0, grades["blank"]  # graded after the bytecode was planted
    assert teacher_batch["connections"] == []
    assert not list(teacher_batch["home"].rglob("planted*")), "a kernel wrote into the teacher's HOME"
    assert sorted(p.name for p in teacher_batch["key"].iterdir()) == ["key.json"]
    assert (teacher_batch["key"] / "key.json").read_text() == teacher_batch["key_text"]
    package = Path(ex.__file__).resolve().parent
    assert not any(package.rglob("*planted*")), "bytecode planted in the installed package"


def _minimal() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["rnncourse"] = {"exercise": ONE}
    return nb


def test_teacher_mode_refuses_without_bubblewrap_unless_told(tmp_path):
    key = tmp_path / "key"
    assert subprocess.run([sys.executable, "-m", "rnncourse", "key", str(key)], timeout=300).returncode == 0
    nb = tmp_path / "nb.ipynb"
    nbformat.write(_minimal(), nb)
    bin_dir = tmp_path / "bin"  # a PATH without bwrap: python and nothing else
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    # and no container level either (wherever the tests run as root with a Python other users can read):
    # a first kernel uid below 1000 is refused, so neither level works
    env = dict(os.environ, PATH=str(bin_dir), RNNCOURSE_SANDBOX_UID="12")
    grade = [sys.executable, "-m", "rnncourse", "grade", str(nb), "--json", "-", "--cell-timeout", "20"]
    refused = subprocess.run(
        [*grade, "--key", str(key)], capture_output=True, text=True, env=env, timeout=300
    )
    assert refused.returncode == 2 and "bubblewrap" in refused.stderr and "--no-sandbox" in refused.stderr
    assert (
        len(refused.stderr.strip().splitlines()[-1]) > 40 and "apt-get install bubblewrap" in refused.stderr
    )
    forced = subprocess.run(
        [*grade, "--key", str(key), "--no-sandbox"], capture_output=True, text=True, env=env, timeout=300
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "teacher, sandbox: none" in forced.stdout
    report = json.loads(forced.stdout[forced.stdout.index("[\n") :])
    assert report[0]["sandbox"] is False and report[0]["sandbox_level"] == "none"
    own = subprocess.run(grade, capture_output=True, text=True, env=env, timeout=300)  # self-study: a warning
    assert own.returncode == 0 and "grading without a sandbox" in own.stderr, own.stdout + own.stderr
    assert "self-study, sandbox: none" in own.stdout


@needs_sandbox
def test_a_kernel_that_dies_before_it_starts_is_retried_once_then_reported(tmp_path, monkeypatch):
    from rnncourse import grading
    from rnncourse.grading import kernel

    starts = []

    def dying(*args, **kwargs):  # a sandbox whose kernel exits at once
        starts.append(1)
        return [sys.executable, "-c", "raise SystemExit(1)", "--"]

    monkeypatch.setattr(kernel.sandbox, "command", dying)
    nb = tmp_path / "nb.ipynb"
    nbformat.write(_minimal(), nb)
    grade = grading.grade_notebooks([nb], seed=1, sandbox=True, cell_timeout=20)[0]
    assert len(starts) == 2, grading.format_table(grade)
    assert any("the kernel did not start, twice" in n for n in grade.notes), grade.notes
    assert grade.fault and "fault of the grading machine" in grade.error  # an error, not a zero to keep
    assert all(q.reason == "not checked: the kernel did not start" for q in grade.questions), grade.questions
    assert not any("time limit" in n for n in grade.notes), grade.notes


def test_socket_paths_fit_whatever_tmpdir_is(tmp_path, monkeypatch):
    import stat
    import tempfile

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: f"/usr/bin/{name}")  # command() without bwrap
    for short in (False, True):
        folder = tmp_path / ("t" * 90) if short else Path(tempfile.mkdtemp(dir="/tmp", prefix="t"))
        folder.mkdir(exist_ok=True)
        monkeypatch.setattr(tempfile, "tempdir", str(folder))
        base = package_copy.private_folder({"rnncourse/x.py": b"x = 1"}, {}, set())
        sockets = package_copy.socket_folder(base)
        assert base.parent == folder and (sockets != base / "ipc") is short, (base, sockets)
        assert len(os.fsencode(sockets / "kernel-65535")) <= package_copy.SOCKET_PATH_MAX, sockets
        assert stat.S_IMODE(sockets.stat().st_mode) == 0o700
        args = sandbox.command(base, read_only=[base / "pkg"], workdir=str(base / "run"))
        bound = [args[i + 1] for i, a in enumerate(args) if a == "--bind"]
        assert bound == ([str(base), str(sockets)] if short else [str(base)]), args
        package_copy.remove_private_folder(base)
        assert not base.exists() and not sockets.exists()
        folder.rmdir()


@pytest.mark.slow
def test_a_long_tmpdir_grades_without_a_traceback(tmp_path, monkeypatch):
    """A TMPDIR of 90 characters puts the private folder's socket paths past the 107 bytes of a Unix
    socket (zmq: "File name too long"); the grader puts the sockets in a short folder instead."""
    import tempfile

    from rnncourse import grading
    from rnncourse.grading import kernel

    folder = tmp_path / ("t" * 90)
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    if sandbox.unavailable_reason() is not None:  # the sandbox's ipc sockets, with the kernel unsandboxed
        monkeypatch.setattr(sandbox, "unavailable_reason", lambda: None)
        monkeypatch.setattr(kernel.sandbox, "command", lambda *args, **kwargs: [])
    before = set(Path("/tmp").glob("rnc-*"))
    nb = tmp_path / f"{ONE}.ipynb"
    nbformat.write(make_exercises.build(ONE, learner=False), nb)
    grade = grading.grade_notebooks([nb], seed=1, sandbox=True, cell_timeout=30)[0]
    assert grade.error is None and grade.score == grade.total == 6, grading.format_table(grade)
    assert list(folder.iterdir()) == [] and set(Path("/tmp").glob("rnc-*")) == before  # all removed
