"""The grader's results cache and progress lines: a regrade after one change grades only that notebook.

The kernel test grades three notebooks twice through the command line (a few kernels of notebook 01); the
others build grades by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import make_exercises
import nbformat
import pytest

from rnncourse import exercises as ex
from rnncourse import grading as grader
from rnncourse.grading import cache as caching
from rnncourse.grading import notebook

SEED = int(os.environ["RNNCOURSE_TEST_SEED"])
ONE = "01_the_rnn_unit_exercises"


def _grade(earned: list[int], path: str = "class/alice/01.ipynb", **fields) -> grader.NotebookGrade:
    questions = [
        grader.QuestionGrade(q.qid, q.number, q.answer_name, q.title, q.points, e, e == q.points, "why")
        for q, e in zip(ex.questions_for(ONE), earned, strict=True)
    ]
    return grader.NotebookGrade(path=path, exercise=ONE, questions=questions, **fields)


def _context(seed: int = 1, **changes) -> str:
    options = dict(
        package={"rnncourse/a.py": b"x = 1"},
        key=None,
        seed=seed,
        limits={"cell_timeout": 60, "timeout": 300},
        sandbox="bubblewrap",
    )
    options.update(changes)
    return caching.context_digest(**options)


def test_a_cached_grade_comes_back_for_the_same_bytes_and_context_only(tmp_path):
    store = caching.ResultsCache(tmp_path / "c.json")
    name = store.entry_name(b"notebook", ONE, _context())
    assert store.put(name, _grade([2, 1, 0, 1], notes=["cell 3 raised <b>Error</b>"]))
    store.save()
    again = caching.ResultsCache(tmp_path / "c.json").get(name, "class/bob/01.ipynb")
    assert again.cached and again.path == "class/bob/01.ipynb" and again.learner == "bob"
    assert [q.earned for q in again.questions] == [2, 1, 0, 1] and again.notes == [
        "cell 3 raised <b>Error</b>"
    ]
    # anything else a grade depends on names another entry
    others = {
        store.entry_name(b"notebook ", ONE, _context()),
        store.entry_name(b"notebook", "02_training_rnns_exercises", _context()),
        store.entry_name(b"notebook", ONE, _context(seed=2)),
        store.entry_name(b"notebook", ONE, _context(package={"rnncourse/a.py": b"x = 2"})),
        store.entry_name(b"notebook", ONE, _context(limits={"cell_timeout": 61, "timeout": 300})),
        store.entry_name(b"notebook", ONE, _context(sandbox="none")),
        store.entry_name(b"notebook", ONE, _context(sandbox="container")),  # a level is never reused
        store.entry_name(b"notebook", ONE, _context(key=grader.Key(1, ("a",), (1,)))),
        store.entry_name(b"notebook", ONE, _context(key=grader.Key(2, ("a",), (1,)))),
    }
    assert name not in others and len(others) == 9


def test_grades_that_depend_on_more_than_the_notebook_are_not_stored(tmp_path):
    store = caching.ResultsCache(tmp_path / "c.json")
    assert not store.put("a", _grade([2, 1, 2, 1], error="this notebook (or one graded beside it) changed x"))
    assert not store.put("b", grader.NotebookGrade(path="x.ipynb", exercise=None, error="no such file"))
    assert not store.put("c", _grade([0, 0, 0, 0], notes=["the kernel did not start, twice (OSError: x)"]))
    assert not store.put("d", _grade([0, 0, 0, 0], fault=True))
    assert not store.put("e", _grade([2, 1, 2, 0], timed_out=True))  # a loaded machine may be why
    assert len(store) == 0


def test_each_submission_gets_cases_of_its_own_from_the_key():
    key, other = grader.Key(7, ("a film",), (1,)), grader.Key(8, ("a film",), (1,))
    seeds = {
        key.submission_seed(b"version 1"),
        key.submission_seed(b"version 2"),
        other.submission_seed(b"version 1"),
    }
    assert len(seeds) == 3 and all(0 <= s < 2**31 for s in seeds)
    assert key.submission_seed(b"version 1") == key.submission_seed(b"version 1")  # the same bytes, one grade
    question = ex.get_question("01.q2")
    first, second = (key.cases(question, key.submission_seed(v)) for v in (b"version 1", b"version 2"))
    assert first != second and key.cases(question) == question.make_cases(7)  # the key's own seed as before


def test_a_kernel_that_cannot_start_is_a_fault_of_the_machine_never_a_kept_zero(
    tmp_path, monkeypatch, capsys
):
    import errno

    import zmq

    from rnncourse.__main__ import main

    calls = []

    async def no_kernel(*args, **kwargs):
        calls.append(1)
        if len(calls) % 2:
            raise OSError("bwrap: No permissions to create new namespace")
        raise zmq.ZMQError(errno.ENAMETOOLONG, "File name too long")

    monkeypatch.setattr(notebook, "run_once", no_kernel)  # (the step that runs a notebook's kernels)
    path = tmp_path / "ann" / f"{ONE}.ipynb"
    path.parent.mkdir()
    nbformat.write(make_exercises.build(ONE, learner=False), path)
    grade = grader.grade_notebooks([path], seed=SEED, sandbox=False)[0]
    assert grade.fault and grade.score == 0 and "fault of the grading machine" in grade.error, grade
    assert "File name too long" in grade.error and len(calls) == 2  # started once more, then given up
    book = tmp_path / "book.csv"
    status = main(["grade", str(path), "--seed", str(SEED), "--csv", str(book), "--no-sandbox"])
    out = capsys.readouterr()
    assert status == 3 and "fault of the machine" in out.err and "ERROR: not graded" in out.out, out
    assert len(caching.ResultsCache(caching.default_path(book))) == 0  # nothing kept: graded again next time


@pytest.mark.parametrize(
    "damage",
    ["earned_too_high", "checksum", "other_exercise", "missing_question", "not_json", "wrong_format"],
)
def test_a_damaged_cache_is_ignored_with_a_warning(tmp_path, damage):
    path = tmp_path / "c.json"
    store = caching.ResultsCache(path)
    store.put("n", _grade([0, 0, 0, 0]))
    store.save()
    data = json.loads(path.read_text())
    entry = data["entries"]["n"]
    if damage == "earned_too_high":  # with a checksum that matches: still not a grade of this exercise
        entry["grade"]["questions"][0]["earned"] = 99
        entry["checksum"] = caching._checksum(entry["grade"])
    elif damage == "checksum":
        entry["grade"]["questions"][0]["earned"] = 2
    elif damage == "other_exercise":
        entry["grade"]["exercise"] = "05_lstm_gru_exercises"
        entry["checksum"] = caching._checksum(entry["grade"])
    elif damage == "missing_question":
        del entry["grade"]["questions"][1]
        entry["checksum"] = caching._checksum(entry["grade"])
    if damage == "wrong_format":
        data["format"] = 99
    path.write_text("{ nope" if damage == "not_json" else json.dumps(data))
    with pytest.warns(
        UserWarning, match="damaged cache entry|not a readable results cache|not a results cache"
    ):
        store = caching.ResultsCache(path)
        assert store.get("n", "x.ipynb") is None


def test_the_cache_needs_fixed_test_cases_and_a_file(tmp_path):
    with pytest.raises(ValueError, match="needs a key or a fixed seed"):
        grader.grade_notebooks([], cache=tmp_path / "c.json")
    with pytest.raises(grader.GradingError, match="expected a cache file, got a folder"):
        grader.grade_notebooks([], cache=tmp_path, seed=1)
    with pytest.raises(TypeError, match="`progress` expects a function"):
        grader.grade_notebooks([], seed=1, progress=3)
    run = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", "x.ipynb", "--cache", tmp_path / "c.json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "--cache needs --key or --seed" in run.stderr, run.stderr


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "rnncourse", *map(str, args)], capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_a_regrade_after_one_change_grades_only_that_notebook(tmp_path):
    solution = make_exercises.build(ONE, learner=False)
    blank = make_exercises.build(ONE, learner=True)
    paths = []
    for learner, nb in (("ann", solution), ("bob", blank), ("cy", solution)):
        (tmp_path / learner).mkdir()
        paths.append(tmp_path / learner / f"{ONE}.ipynb")
        nbformat.write(nb, paths[-1])
    book, report = tmp_path / "book.csv", tmp_path / "grades.json"
    options = ["--seed", SEED, "--jobs", 2, "--csv", book, "--json", report, "--cell-timeout", 30]
    first = _cli("grade", *paths, *options)
    assert first.returncode == 0, first.stdout + first.stderr
    assert caching.default_path(book).is_file()
    progress = [line for line in first.stderr.splitlines() if line.startswith("[")]
    assert [line[:5] for line in progress] == ["[1/3]", "[2/3]", "[3/3]"], first.stderr
    before, gradebook = json.loads(report.read_text()), book.read_text()
    assert [g["score"] for g in before] == [6, 0, 6] and not any(g["cached"] for g in before)

    # cy hands in again (an extra cell, same answers)
    changed = make_exercises.build(ONE, learner=False)
    changed.cells.append(nbformat.v4.new_code_cell("print('handed in late')"))
    nbformat.write(changed, paths[2])
    second = _cli("grade", *paths, *options)
    assert second.returncode == 0, second.stdout + second.stderr
    after = json.loads(report.read_text())
    assert [g["cached"] for g in after] == [True, True, False], second.stdout
    for old, new in zip(before, after, strict=True):
        assert (old["questions"], old["notes"], old["path"]) == (new["questions"], new["notes"], new["path"])
    assert "cached" in second.stdout and second.stderr.count(" cached ") == 2, second.stderr
    assert book.read_text() == gradebook  # the same gradebook, two notebooks without a kernel
