"""tasks.py: no reinstall when nothing changed, copies never overwrite a learner's work, lab as root."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tasks(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    originals = tmp_path / "notebooks"
    (originals / "exercises" / "solutions").mkdir(parents=True)
    for rel in ("01_a.ipynb", "02_b.ipynb", "exercises/01_a_exercises.ipynb",
                "exercises/solutions/01_a_exercises.ipynb"):  # fmt: skip
        (originals / rel).write_text(f'{{"original": "{rel}"}}')
    paths = {"VENV": venv, "BIN": venv / "bin", "PYTHON": venv / "bin" / "python",
             "STAMP": venv / "stamp.json", "PIP_LOG": venv / "pip.log", "NOTEBOOKS": originals,
             "WORK": tmp_path / "work",
             "COPIED": tmp_path / "work" / ".copies.json"}  # fmt: skip
    for name, value in paths.items():
        monkeypatch.setattr(module, name, value)
    module.pip_calls = []
    monkeypatch.setattr(module, "_pip", lambda *args, what: module.pip_calls.append(args))
    return module


def test_install_is_skipped_while_pyproject_is_unchanged(tasks):
    tasks.install({"course"})
    assert tasks.pip_calls[-1] == ("install", "-e", ".[course]")
    tasks.pip_calls.clear()
    tasks.install({"course"})
    tasks.install(set())
    assert tasks.pip_calls == []
    # A new extra installs again, keeping the one installed before.
    tasks.install({"test"})
    assert tasks.pip_calls[-1] == ("install", "-e", ".[course,test]")
    # So does a changed pyproject.toml.
    tasks.STAMP.write_text(json.dumps({"pyproject": "an older digest", "extras": ["course", "test"]}))
    tasks.pip_calls.clear()
    tasks.install({"course"})
    assert tasks.pip_calls[-1] == ("install", "-e", ".[course,test]")


def test_an_extra_pyproject_lacks_is_an_error(tasks):
    with pytest.raises(SystemExit, match="offers no extra"):
        tasks.install({"no-such-extra"})


def test_copies_are_made_once_and_never_overwritten(tasks, capsys):
    tasks.make_copies()
    work = tasks.WORK
    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("*.ipynb")) == [
        "01_a.ipynb", "02_b.ipynb", "exercises/01_a_exercises.ipynb"]  # fmt: skip  (no solutions)
    (work / "01_a.ipynb").write_text("my work")
    (tasks.NOTEBOOKS / "01_a.ipynb").write_text('{"original": "a course update"}')
    (work / "02_b.ipynb").unlink()  # a learner who deletes a copy gets the original again
    capsys.readouterr()
    tasks.make_copies()
    assert (work / "01_a.ipynb").read_text() == "my work"
    assert (work / "02_b.ipynb").read_text() == '{"original": "02_b.ipynb"}'
    out = capsys.readouterr().out
    assert "copied 1 notebook " in out and "changed 1 notebook since you copied them (01_a.ipynb)" in out


def test_fresh_keeps_the_learners_copy_beside_the_new_one(tasks, capsys):
    tasks.make_copies()
    (tasks.WORK / "exercises" / "01_a_exercises.ipynb").write_text("my answers")
    tasks.fresh(["01_a_exercises"])
    fresh = (tasks.WORK / "exercises" / "01_a_exercises.ipynb").read_text()
    assert fresh == '{"original": "exercises/01_a_exercises.ipynb"}'
    kept = list((tasks.WORK / "exercises").glob("01_a_exercises.mine-*.ipynb"))
    assert [p.read_text() for p in kept] == ["my answers"]
    with pytest.raises(SystemExit, match="no course notebook called 'nope'"):
        tasks.fresh(["nope"])


@pytest.mark.parametrize("uid", [0, 1000])
def test_lab_adds_allow_root_only_as_root_and_passes_arguments(tasks, monkeypatch, capsys, uid):
    calls = []
    monkeypatch.setattr(tasks, "install", lambda extras: None)
    monkeypatch.setattr(os, "geteuid", lambda: uid)
    monkeypatch.setattr(os, "chdir", lambda path: calls.append(("chdir", path)))
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append(("execv", argv)))
    tasks.lab(["--port", "9999", "--no-browser"])
    expected = [str(tasks.BIN / "jupyter"), "lab", "--port", "9999", "--no-browser"]
    expected += ["--allow-root"] * (uid == 0)
    assert calls == [("chdir", tasks.WORK), ("execv", expected)]
    assert ("adding --allow-root" in capsys.readouterr().out) == (uid == 0)
