"""Tests of the container sandbox level (`rnncourse.grading.sandbox.Container`): the fallback for a grader run
as root where namespaces are refused (Docker's default seccomp profile, as on Gradescope).

The level is forced (``--sandbox container``, or a ``bwrap`` on PATH that fails as Docker's does) even where
bubblewrap works. Its kernels run as other uids, which must be able to read Python and the installed
packages: the tests run the grader with a venv built on a world-readable Python of the same minor version
(``/usr/bin/python3.X``) that reuses this environment's site-packages, and skip, saying why, where there is
none (a Python under a private HOME such as /root/.pyenv) or where they do not run as root.

Each hostile notebook is the solution of exercise 01 with one attack cell after its first answer (as in
tests/test_sandbox.py): ``LEAKED ...`` when an attack got through, ``BLOCKED ...`` with what it got when not.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import make_exercises
import nbformat
import pytest
from test_sandbox import _VERDICT, ATTACKS

from rnncourse import exercises as ex
from rnncourse.grading import package_copy, sandbox

ONE = "01_the_rnn_unit_exercises"


def _shared_python() -> tuple[Path | None, str]:
    """A Python of this minor version that other users can run, or None and why there is none."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return None, "the container level runs kernels as other uids: needs Linux and root"
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in ("/usr/bin", "/usr/local/bin", "/opt/python/bin"):
        candidate = Path(folder, name)
        if candidate.is_file() and sandbox._others_can_reach(candidate.resolve()) is None:
            probe = subprocess.run(
                [candidate, "-c", "import venv, os; print(os.__file__)"], capture_output=True, text=True
            )
            if probe.returncode == 0 and sandbox._others_can_reach(probe.stdout.strip()) is None:
                break
    else:
        return None, f"no {name} that other users can read (in /usr/bin, /usr/local/bin, /opt/python/bin)"
    import site

    packages = [p for p in site.getsitepackages() if Path(p).is_dir()]
    closed = [p for p in packages if sandbox._others_can_reach(p) is not None]
    if closed:
        return None, f"this environment's packages ({closed[0]}) are closed to other users"
    return candidate, ""


@pytest.fixture(scope="module")
def shared_python():
    """A venv on a world-readable Python that loads this environment's packages (compiled for the same
    minor version), in a folder other users can enter; removed afterwards."""
    python, why = _shared_python()
    if python is None:
        pytest.skip(why)
    import site

    folder = Path(tempfile.mkdtemp(prefix="rnc-python-", dir="/tmp"))
    folder.chmod(0o755)
    subprocess.run([python, "-m", "venv", "--without-pip", folder / "venv"], check=True, timeout=120)
    own = next((folder / "venv" / "lib").glob("python3.*")) / "site-packages"
    lines = [f"import site; site.addsitedir({p!r})" for p in site.getsitepackages() if Path(p).is_dir()]
    (own / "rnncourse-tests.pth").write_text("\n".join(lines) + "\n")
    venv_python = folder / "venv" / "bin" / "python"
    check = subprocess.run(
        [
            venv_python,
            "-c",
            "from rnncourse.grading import sandbox; print(sandbox.container_unavailable_reason())",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check.returncode != 0 or check.stdout.strip() != "None":
        shutil.rmtree(folder)
        pytest.skip(f"the shared Python cannot run the container level: {check.stdout}{check.stderr[-500:]}")
    yield venv_python
    shutil.rmtree(folder)


# Attacks of the container level's own (the network and other processes' command lines are not hidden at
# this level, so tests/test_sandbox.py's "network" and "cmdline" attacks are left out: see docs/teaching.md).
CONTAINER_ATTACKS = {
    name: ATTACKS[name] for name in ("environ", "walk", "write", "memory", "bytecode", "signal")
} | {
    # read the key itself, and list its folder
    "key": "import os\nfound, tried = [], {}\n"
    "for path in (KEY + '/key.json', KEY):\n"
    "    try:\n"
    "        found.append((path, open(path).read(50) if path.endswith('.json') else os.listdir(path)))\n"
    "    except OSError as e:\n"
    "        tried[path] = type(e).__name__\n",
    # read the other kernels' private folders (their HOME, working folder, sockets) and the notebooks
    "neighbours": "import glob, os\nfound, tried = [], {'uid': os.getuid()}\n"
    "own = os.path.dirname(os.environ['HOME'])\n"
    "for base in glob.glob('/tmp/rnncourse-*') + glob.glob(os.path.dirname(own) + '/rnncourse-*'):\n"
    "    if base == own:\n"
    "        continue\n"
    "    for sub in ('', '/home', '/run', '/tmp', '/ipc'):\n"
    "        try:\n"
    "            found.append((base + sub, os.listdir(base + sub)[:3]))\n"
    "        except OSError as e:\n"
    "            tried[base + sub] = type(e).__name__\n"
    "for path in (NEIGHBOUR,):\n"
    "    try:\n"
    "        found.append((path, open(path).read(20)))\n"
    "    except OSError as e:\n"
    "        tried[path] = type(e).__name__\n",
    # change the package: its files, its own copy, add a module
    "package": "import os, rnncourse\nfound, tried = [], {}\n"
    "for root in (PACKAGE, os.path.dirname(rnncourse.__file__)):\n"
    "    for name in ('exercises/__init__.py', 'planted_module.py'):\n"
    "        path = os.path.join(root, name)\n"
    "        try:\n"
    "            with open(path, 'a') as f:\n"
    "                f.write('\\n# planted\\n')\n"
    "            found.append(path)\n"
    "        except OSError as e:\n"
    "            tried[path] = type(e).__name__\n",
    # fork until the process limit stops it, then clean up
    "fork_bomb": "import os, time\nfound, tried = [], {}\nchildren = []\n"
    "try:\n"
    "    while len(children) < 5000:\n"
    "        pid = os.fork()\n"
    "        if pid == 0:\n"
    "            time.sleep(60)\n"
    "            os._exit(0)\n"
    "        children.append(pid)\n"
    "    found.append(len(children))\n"
    "except OSError as e:\n"
    "    tried['forked'] = (len(children), type(e).__name__)\n"
    "for pid in children:\n"
    "    os.kill(pid, 9)\n"
    "    os.waitpid(pid, 0)\n",
    # take all the memory
    "fill_memory": "found, tried = [], {}\n"
    "try:\n"
    "    block = bytearray(64 * 2**30)\n"
    "    found.append(len(block))\n"
    "except MemoryError as e:\n"
    "    tried['64 GiB'] = type(e).__name__\n",
    # fill the disk: one file past the file size limit
    "fill_disk": "import os\nfound, tried = [], {}\n"
    "path = os.path.join(os.environ['TMPDIR'], 'big')\n"
    "try:\n"
    "    with open(path, 'wb') as f:\n"
    "        for _ in range(200):\n"
    "            f.write(b'x' * 2**20)\n"
    "    found.append(os.path.getsize(path))\n"
    "except OSError as e:\n"
    "    tried[path] = (type(e).__name__, os.path.getsize(path))\n"
    "os.remove(path)\n",
    # kill the grader (its pid is the kernel's parent; any `rnncourse grade` process it can see)
    "kill_grader": "import os, signal\nfound, tried = [], {}\n"
    "targets = {os.getppid()}\n"
    "for p in os.listdir('/proc'):\n"
    "    try:\n"
    "        if p.isdigit() and b'rnncourse\\x00grade' in open(f'/proc/{p}/cmdline', 'rb').read():\n"
    "            targets.add(int(p))\n"
    "    except OSError:\n"
    "        pass\n"
    "for pid in targets:\n"
    "    try:\n"
    "        os.kill(pid, signal.SIGKILL)\n"
    "        found.append(pid)\n"
    "    except OSError as e:\n"
    "        tried[pid] = type(e).__name__\n",
    # become root again: setuid, setresuid, a set-uid program; any capability left, no_new_privs unset
    "setuid": "import os, subprocess\nfound, tried = [], {'uid': os.getuid(), 'groups': os.getgroups()}\n"
    "for name, call in (('setuid', lambda: os.setuid(0)), ('setresuid', lambda: os.setresuid(0, 0, 0)),\n"
    "                   ('setgid', lambda: os.setgid(0))):\n"
    "    try:\n"
    "        call()\n"
    "        found.append(name)\n"
    "    except OSError as e:\n"
    "        tried[name] = type(e).__name__\n"
    "status = dict(line.split(':', 1) for line in open('/proc/self/status') if ':' in line)\n"
    "for field in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'):\n"
    "    if int(status.get(field, '0').strip() or '0', 16):\n"
    "        found.append((field, status[field].strip()))\n"
    "tried['NoNewPrivs'] = status['NoNewPrivs'].strip()\n"
    "if status['NoNewPrivs'].strip() != '1' or os.getuid() < 1000 or os.getgroups():\n"
    "    found.append(('privileges', os.getuid(), os.getgroups()))\n"
    "for program in ('/usr/bin/su', '/usr/bin/sudo'):\n"
    "    if os.path.exists(program):\n"
    "        args = [program, '-c', 'id -u'] if program.endswith('su') else [program, 'id', '-u']\n"
    "        run = subprocess.run(args, capture_output=True, text=True, stdin=-3, timeout=10)\n"
    "        tried[program] = run.stdout.strip()[:20]\n"
    "        if run.stdout.strip() == '0':\n"
    "            found.append(program)\n",
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
def container_batch(shared_python, tmp_path_factory):
    """Every attack, a solution graded beside them and a blank notebook after all of them, graded in teacher
    mode at the container level (forced, even where bubblewrap works) with --jobs 2."""
    root = tmp_path_factory.mktemp("container")
    home = root / "teacher-home"
    key = home / "course-key"
    home.mkdir()
    run = subprocess.run(
        [shared_python, "-m", "rnncourse", "key", str(key)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    key_text = (key / "key.json").read_text()
    folder = root / "class"
    folder.mkdir()
    constants = dict(
        KEY=str(key),
        HOME=str(home),
        PORT=1,
        MARK="rnncourse-container",
        SEED=str(json.loads(key_text)["seed"]),
        PACKAGE=str(Path(ex.__file__).resolve().parents[1]),
        NEIGHBOUR=str(folder / "neighbour.ipynb"),
    )
    paths = {}
    for label in ["neighbour", *CONTAINER_ATTACKS, "blank"]:
        if label == "neighbour":
            nb = make_exercises.build(ONE, learner=False)
        elif label == "blank":
            nb = make_exercises.build(ONE, learner=True)
        else:
            nb = _attack_notebook(CONTAINER_ATTACKS[label], constants)
        paths[label] = folder / f"{label}.ipynb"
        nbformat.write(nb, paths[label])
    package_before = package_copy.fingerprint(Path(ex.__file__).resolve().parent)
    report = root / "grades.json"
    env = dict(os.environ, HOME=str(home))
    command = [shared_python, "-m", "rnncourse", "grade", "--key", str(key), "--sandbox", "container"]
    run = subprocess.run(
        [*command, "--jobs", "2", "--json", str(report), *map(str, paths.values()), "--cell-timeout", "40"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=root,
    )
    assert report.is_file(), run.stdout + run.stderr
    grades = {label: g for label, g in zip(paths, json.loads(report.read_text()), strict=True)}
    return dict(run=run, grades=grades, home=home, key=key, key_text=key_text, package_before=package_before)


@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(CONTAINER_ATTACKS))
def test_each_attack_is_blocked_at_the_container_level(container_batch, attack):
    grade = container_batch["grades"][attack]
    notes = "\n".join(grade["notes"])
    print(f"{attack}: {grade['score']}/{grade['total']} points; {notes}")
    assert grade["sandbox_level"] == "container" and grade["mode"] == "teacher", grade
    assert "LEAKED" not in notes and "BLOCKED" in notes, notes
    assert grade["error"] is None and grade["score"] == grade["total"] == 6, grade


@pytest.mark.slow
def test_the_honest_notebook_and_the_teachers_files_are_untouched(container_batch):
    grades, run = container_batch["grades"], container_batch["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sandbox: container" in run.stdout
    assert grades["neighbour"]["score"] == 6 and grades["neighbour"]["notes"] == [], grades["neighbour"]
    assert grades["blank"]["score"] == 0 and grades["blank"]["error"] is None, grades["blank"]
    assert not list(container_batch["home"].rglob("planted*"))
    assert sorted(p.name for p in container_batch["key"].iterdir()) == ["key.json"]
    assert (container_batch["key"] / "key.json").read_text() == container_batch["key_text"]
    after = package_copy.fingerprint(Path(ex.__file__).resolve().parent)
    assert package_copy.changed(container_batch["package_before"], after) == []
    # nothing of the kernels' uids is left: no process, no lock held, no file in /tmp
    first = sandbox.first_uid()
    assert not [p for uid in range(first, first + 4) for p in sandbox._pids_of(uid)]
    assert not [p for p in Path("/tmp").iterdir() if p.lstat().st_uid in range(first, first + 4)]


def test_a_key_the_kernels_could_read_is_refused(shared_python):
    folder = Path(tempfile.mkdtemp(prefix="rnc-open-key-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        key = folder / "key"
        made = subprocess.run(
            [shared_python, "-m", "rnncourse", "key", str(key)], capture_output=True, timeout=300
        )
        assert made.returncode == 0, made.stderr
        key.chmod(0o755)
        (key / "key.json").chmod(0o644)
        nb = folder / "nb.ipynb"
        nbformat.write(make_exercises.build(ONE, learner=True), nb)
        run = subprocess.run(
            [shared_python, "-m", "rnncourse", "grade", "--key", str(key), "--sandbox", "container", str(nb)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 2, run.stdout + run.stderr
        assert "readable by the kernels' unprivileged users" in run.stderr and "chmod 700" in run.stderr
    finally:
        shutil.rmtree(folder)


def _failing_bwrap(folder: Path) -> Path:
    """A folder holding a `bwrap` that fails as it does in Docker (namespaces refused)."""
    folder.mkdir(parents=True, exist_ok=True)
    fake = folder / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    return folder


def test_the_strongest_level_is_chosen_and_the_reasons_given(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", f"{_failing_bwrap(tmp_path / 'bin')}:{os.environ['PATH']}")
    sandbox.unavailable_reason.cache_clear()
    sandbox.container_unavailable_reason.cache_clear()
    try:
        level, reasons = sandbox.choose_level()
        assert "No permissions to create new namespace" in reasons["bubblewrap"]
        container_reason = sandbox.container_unavailable_reason()
        if container_reason is None:
            assert isinstance(level, sandbox.Container) and list(reasons) == ["bubblewrap"]
        else:
            assert isinstance(level, sandbox.NoSandbox) and reasons["container"] == container_reason
        level, reasons = sandbox.choose_level("none")
        assert isinstance(level, sandbox.NoSandbox) and set(reasons) == {"bubblewrap", "container"}
        with pytest.raises(ValueError, match="expected a sandbox level"):
            sandbox.choose_level("docker")
    finally:
        sandbox.unavailable_reason.cache_clear()
        sandbox.container_unavailable_reason.cache_clear()


def test_kernel_uids_are_locked_one_grader_at_a_time(monkeypatch, tmp_path):
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        pytest.skip("the container level runs kernels as other uids: needs Linux and root")
    monkeypatch.setattr(sandbox, "LOCK_FOLDER", tmp_path / "locks")
    monkeypatch.setenv(sandbox.UID_ENV, "66000")
    first = sandbox.KernelUser.claim()
    second = sandbox.KernelUser.claim()
    try:
        assert (first.uid, second.uid) == (66000, 66001)
        base = package_copy.private_folder(
            {"rnncourse/x.py": b"x = 1"}, {}, set(), parent=sandbox.reachable_temp()
        )
        try:
            first.give(base)
            assert stat.S_IMODE(base.stat().st_mode) == 0o711
            for sub in ("home", "tmp", "run"):
                assert (base / sub).stat().st_uid == 66000 and stat.S_IMODE(
                    (base / sub).stat().st_mode
                ) == 0o700
            assert (base / "pkg" / "rnncourse" / "x.py").stat().st_uid == 0
            assert sandbox.readable_by(base / "pkg" / "rnncourse" / "x.py", 66000)
            (base / "home" / "mine").write_text("x")
            assert not sandbox.readable_by(base / "home" / "mine", 66001)  # another kernel's uid
        finally:
            package_copy.remove_private_folder(base)
    finally:
        first.release()
        second.release()
    third = sandbox.KernelUser.claim()
    assert third.uid == 66000  # released uids are used again
    third.release()
    monkeypatch.setenv(sandbox.UID_ENV, "12")
    with pytest.raises(ValueError, match="RNNCOURSE_SANDBOX_UID"):
        sandbox.first_uid()


@pytest.mark.slow
def test_run_autograder_falls_back_to_the_container_level_where_bwrap_fails(shared_python, tmp_path):
    """Gradescope as it runs: root, a `bwrap` that fails as in Docker; results.json says the level and
    gives the correct score."""
    key = tmp_path / "key"
    assert subprocess.run([shared_python, "-m", "rnncourse", "key", str(key)], timeout=300).returncode == 0
    made = subprocess.run(
        [shared_python, "-m", "rnncourse", "gradescope", tmp_path / "ag.zip", "--exercises", "01",
         "--key", key, "--cell-timeout", "30"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(tmp_path / "ag.zip") as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir(parents=True)
    nbformat.write(make_exercises.build(ONE, learner=False), root / "submission" / f"{ONE}.ipynb")
    (root / "submission" / "notes.ipynb").write_text("{ not a notebook")  # two files: the folder is checked
    # a learner-facing clone in the working folder must not shadow the grader's package (python -P)
    (tmp_path / "rnncourse").mkdir()
    (tmp_path / "rnncourse" / "__init__.py").write_text("raise SystemExit('the clone was imported')\n")
    bin_dir = _failing_bwrap(tmp_path / "bin")
    env = dict(
        os.environ,
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        RNNCOURSE_AUTOGRADER_ROOT=str(root),
        RNNCOURSE_PYTHON=str(shared_python),
    )
    run = subprocess.run(
        ["bash", root / "source" / "run_autograder"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    errors = (root / "results" / "grader.err").read_text()
    assert results["extra_data"]["sandbox"] == "container", (results, errors)
    assert results["score"] == sum(q.points for q in ex.questions_for(ONE)) == 6, results
    assert "graded in the sandbox level: container" in results["output"]
    assert stat.S_IMODE((root / "source").stat().st_mode) == 0o700
    # the submission is closed too, so the grader has no reason to warn that the kernels can list it
    assert stat.S_IMODE((root / "submission").stat().st_mode) == 0o700
    assert "can list" not in errors, errors
