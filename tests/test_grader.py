"""Tests of `rnncourse grade`: real kernels, so the notebooks of each kind run in a few combined grader calls.

The seed of the self-study test cases is printed and can be replayed with RNNCOURSE_TEST_SEED=N.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import make_exercises
import nbformat
import pytest

from rnncourse import exercises as ex
from rnncourse import grading as grader
from rnncourse import reference
from rnncourse.grading import processes, sandbox

# fresh test cases on every run, like the grader itself; conftest.py draws the seed and prints it
SEED = int(os.environ["RNNCOURSE_TEST_SEED"])
ONE = "01_the_rnn_unit_exercises"


def _insert_after(nb, qid, code):
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("rnncourse", {}).get("answer") == qid)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return nb


def _alive(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and marker in Path(f"/proc/{entry}/cmdline").read_bytes().decode(
                errors="replace"
            ):
                found.append(int(entry))
        except OSError:
            pass
    return found


MARKER = f"rnncourse-test-{secrets.token_hex(4)}"

HOSTILE = {
    # name: (code inserted after the answer to 01.q1, expected points, expected note or reason fragment)
    "raises": ("raise RuntimeError('oops')", 6, "raised RuntimeError: oops"),
    "loop": ("while True:\n    pass", 6, "was interrupted"),
    "stubborn": (
        "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
        "    except KeyboardInterrupt:\n        pass",
        6,
        "ignored the interrupt",
    ),
    "os_exit": ("import os\nos._exit(3)", 6, "killed the kernel"),
    "sys_exit": ("import sys\nsys.exit(1)", 6, "raised SystemExit"),
    "memory_bomb": ("block = bytearray(6 * 2**30)", 6, "raised MemoryError"),
    "file_bomb": ("open('big.bin', 'wb').write(b'x' * 100 * 2**20)", 6, "File"),
    "process_bomb": (
        "import subprocess\n"
        f"kids = [subprocess.Popen(['sleep', '300', '{MARKER}'], start_new_session=True) for _ in range(30)]",
        6,
        None,
    ),
    "spam": ("print('x' * 50_000_000)\nfor _ in range(50):\n    print('y' * 100_000)", 6, None),
    "tamper": (
        "import rnncourse.exercises as E\n"
        "E.verdict_from_record = lambda qid, *a, **k: E.Result(qid, True, 2, 2, 'passed')\n"
        "E.check = lambda *a, **k: print('Q1 rnn_step: passed (2/2 points)')\n"
        "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return x_t @ W_x\n"
        "print('passed ' * 100)",
        4,
        None,
    ),
    "hardcoded": (
        "from rnncourse.exercises import rnn_unit\n_ref = rnn_step\n"
        "_known = {c['x_t'].tobytes(): _ref(**c) for s in (0, 1) for c in rnn_unit.cases_rnn_step(s)}\n"
        "def rnn_step(x_t, h_prev, W_x, W_h, b):\n"
        "    return _known.get(x_t.tobytes(), x_t[:, :1])",
        4,
        None,
    ),
    "slow_answer": (
        "# after:01.q4\ndef simple_rnn_params(features, units):\n    while True:\n        pass",
        5,
        "ran past 5 s",
    ),
    "stubborn_answer": (
        "# after:01.q4\nimport time\ndef simple_rnn_params(features, units):\n    while True:\n        try:\n"
        "            time.sleep(0.05)\n        except KeyboardInterrupt:\n            pass",
        5,
        "ignored the interrupt",
    ),
    "interrupt_in_answer": (
        "# after:01.q4\ndef simple_rnn_params(features, units):\n    raise KeyboardInterrupt",
        5,
        "KeyboardInterrupt",
    ),
    "exit_in_answer": (
        "# after:01.q4\ndef simple_rnn_params(features, units):\n    raise SystemExit(0)",
        5,
        "SystemExit",
    ),
}


def _after(code: str) -> str:
    """The answer a hostile cell goes after: 01.q1 unless its first line says otherwise."""
    return code[len("# after:") :].split("\n")[0] if code.startswith("# after:") else "01.q1"


def _write(nb, path: Path) -> Path:
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    paths = [
        _write(
            _insert_after(make_exercises.build(ONE, learner=False), _after(code), code),
            root / f"{label}.ipynb",
        )
        for label, (code, _, _) in HOSTILE.items()
    ]
    grades = grader.grade_notebooks(paths, jobs=2, seed=SEED, cell_timeout=5, timeout=60, memory_mb=3072)
    return dict(zip(HOSTILE, grades, strict=True))


@pytest.mark.slow
def test_hostile_notebooks_get_the_documented_result(hostile):
    for label, (_code, earned, fragment) in HOSTILE.items():
        grade = hostile[label]
        table = grader.format_table(grade)
        assert grade.error is None and grade.score == earned, (label, SEED, table)
        if fragment:
            assert fragment in table, (label, table)
        # the notebook's own cells get 60 s, each of the 4 answer cells 5 s; kernel starts come on top
        assert grade.seconds < 60 + 4 * 5 + 30, (label, grade.seconds)
    for label in ("tamper", "hardcoded"):  # tampering or hard-wiring the check cells' inputs earns nothing
        q1 = hostile[label].questions[0]
        assert q1.qid == "01.q1" and not q1.passed


@pytest.mark.slow
def test_no_process_outlives_its_notebook(hostile):
    assert _alive(MARKER) == []


@pytest.mark.slow
def test_blank_notebooks_score_zero_and_solutions_full_marks_in_both_modes(tmp_path):
    key = grader.write_key(tmp_path / "key").parent
    names = make_exercises.names()
    paths = [make_exercises.SOLUTIONS / f"{n}.ipynb" for n in names]
    paths += [make_exercises.EXERCISES / f"{n}.ipynb" for n in names]
    started = time.monotonic()
    for mode in ({"seed": SEED}, {"key": key}):
        grades = grader.grade_notebooks(paths, jobs=2, **mode)
        for path, grade in zip(paths, grades, strict=True):
            table = grader.format_table(grade)
            assert grade.error is None and len(grade.questions) == len(ex.questions_for(grade.exercise)), (
                table
            )
            if path.parent.name == "solutions":
                assert grade.score == grade.total > 0 and grade.notes == [], (mode, SEED, table)
                if "seed" in mode:  # the check cells and the grader agree
                    assert all(": passed (" in grade.check_output[q.qid] for q in grade.questions), table
            else:
                assert grade.score == 0, (mode, table)
        print(f"{mode}: {len(paths)} notebooks in {time.monotonic() - started:.0f} s")
        started = time.monotonic()


@pytest.mark.slow
def test_each_wrong_answer_loses_exactly_its_points(tmp_path):
    paths, qids = [], []
    for name in make_exercises.names():
        if name.startswith("04"):
            continue  # its wrong variants are covered by test_exercises; its kernel trains a model
        for q in ex.questions_for(name):
            paths.append(_write(make_exercises.wrong_variant(name, q.qid), tmp_path / f"wrong_{q.qid}.ipynb"))
            qids.append(q.qid)
    for qid, grade in zip(qids, grader.grade_notebooks(paths, jobs=2, seed=SEED), strict=True):
        assert {q.qid for q in grade.questions if not q.passed} == {qid}, (SEED, grader.format_table(grade))
        if qid in ("01.q2", "05.q1", "08.q3"):  # hints never show the expected count
            text = grader.format_table(grade) + json.dumps(grade.to_dict())
            for case in ex.get_question(qid).make_cases(SEED):
                kind = case.get("kind", "SimpleRNN")
                expected = reference.recurrent_param_count(kind, case["features"], case["units"])
                if expected >= 100:
                    assert not re.search(rf"\b{expected}\b", text), (qid, expected)


def _minimal(name: str, code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["rnncourse"] = {"exercise": name}
    return nb


@pytest.mark.slow
def test_teacher_mode_hides_the_checks_and_the_sentiment_labels(tmp_path):
    key = grader.write_key(tmp_path / "key").parent
    oracle = _minimal(
        ONE,
        "from rnncourse import reference\n"
        "from rnncourse.exercises import rnn_unit, checking\n"
        "def simple_rnn_params(features, units):\n    return 0\n",
    )
    lookup = _minimal(
        "04_sentiment_exercises",
        "from rnncourse import exercises as ex\n"
        "tr_x, tr_y, te_x, te_y = ex.sentiment_data()\n"
        "table = dict(zip(tr_x + te_x, list(tr_y) + list(te_y)))\n"
        "def predict_sentiment(texts):\n    return [float(table.get(t, 0.5)) for t in texts]\n",
    )
    raw = _minimal(  # the raw data set holds the held-out sentences the key tests on
        "04_sentiment_exercises",
        "from rnncourse import datasets\nfrom rnncourse.exercises import data\n"
        "print(len(data.held_out_sentiment()[0]), 'held-out sentences')\n"
        "df = datasets.load_sentiment()\n"
        "table = dict(zip(df.text, df.label))\n"
        "def predict_sentiment(texts):\n    return [float(table.get(t, 0.5)) for t in texts]\n",
    )
    paths = [_write(oracle, tmp_path / "oracle.ipynb"), _write(lookup, tmp_path / "lookup.ipynb")]
    teacher = grader.grade_notebooks([*paths, _write(raw, tmp_path / "raw.ipynb")], key=key, cell_timeout=30)
    # the kernel has no raw data set to read (nor a network or a writable cache to fetch one into)
    assert re.search(r"cell 1 raised (DatasetError|OSError)", grader.format_table(teacher[2])), teacher[2]
    assert teacher[2].score == 0
    assert "cannot import name 'rnn_unit'" in grader.format_table(teacher[0])
    assert teacher[0].score == 0  # (answers that are reference functions: test_teacher_mode_catches_...)
    q4 = [q for q in teacher[1].questions if q.qid == "04.q4"][0]
    assert not q4.passed and "below the required" in q4.reason, q4
    # the same lookup table passes in self-study, where the learner holds the test labels
    own = grader.grade_notebooks(paths[1:], seed=SEED, cell_timeout=30)[0]
    assert [q for q in own.questions if q.qid == "04.q4"][0].passed


@pytest.mark.slow
def test_teacher_mode_catches_reference_answers_and_hides_what_the_learner_raised(tmp_path):
    key = grader.write_key(tmp_path / "key").parent
    nb = make_exercises.build(ONE, learner=False)
    _insert_after(nb, "01.q1", "from rnncourse.exercises.data import reference as r\nrnn_step = r.rnn_step")
    _insert_after(
        nb,
        "01.q3",
        "import functools, rnncourse.reference as R\n"
        "rnn_forward = functools.wraps(R.rnn_forward)(lambda *a, **k: R.rnn_forward(*a, **k))",
    )
    _insert_after(nb, "01.q2", "def simple_rnn_params(**kwargs):\n    raise ValueError(repr(kwargs))")
    path = _write(nb, tmp_path / "reference.ipynb")
    grade = grader.grade_notebooks([path], key=key, sandbox=False, cell_timeout=30)[0]
    table = grader.format_table(grade)
    reasons = {q.qid: q.reason for q in grade.questions}
    assert grade.score == 1 and reasons["01.q4"] == "passed", table  # only Q4 is the learner's own
    assert "reference function (rnncourse.reference.rnn_step)" in reasons["01.q1"], table
    assert "reference function (rnncourse.reference.rnn_forward)" in reasons["01.q3"], table
    assert any("rnncourse.reference.rnn_step" in n and "Q3 rnn_forward" in n for n in grade.notes), table
    assert "raised ValueError" in reasons["01.q2"] and "features" not in json.dumps(grade.to_dict()), table


def _cli(*args, env=None, timeout=300, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "rnncourse", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
    )


@pytest.mark.slow
@pytest.mark.parametrize("sandboxed", [False, True], ids=["no-sandbox", "sandbox"])
def test_a_batch_cannot_be_taken_over_through_a_copy_of_the_package(tmp_path, sandboxed):
    if sandboxed and sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    copy = tmp_path / "site"
    shutil.copytree(
        Path(ex.__file__).resolve().parents[1],
        copy / "rnncourse",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    target = copy / "rnncourse" / "exercises" / "rnn_unit.py"
    attack = _insert_after(
        make_exercises.build(ONE, learner=False),
        "01.q1",
        f"p = {str(target)!r}\n"
        "open(p, 'a').write('\\ndef check_rnn_step(answer, case):\\n    return None\\n')\n"
        "open(p.replace('rnn_unit', '__init__'), 'a').write('\\nimport os\\n')",
    )
    blank = make_exercises.EXERCISES / f"{ONE}.ipynb"
    env = dict(os.environ, PYTHONPATH=str(copy))
    report = tmp_path / "grades.json"
    options = [] if sandboxed else ["--no-sandbox"]
    run = _cli(
        "grade",
        _write(attack, tmp_path / "attack.ipynb"),
        blank,
        "--json",
        report,
        *options,
        env=env,
        cwd=tmp_path,
    )
    if sandboxed:  # the kernel does not see the package it could have changed
        assert run.returncode == 0 and "raised FileNotFoundError" in run.stdout, run.stdout + run.stderr
        assert [g["score"] for g in json.loads(report.read_text())] == [6, 0]
        return
    assert run.returncode == 2, run.stdout + run.stderr
    data = json.loads(report.read_text())
    assert "changed" in data[0]["error"] and str(target) in run.stdout
    assert data[1]["score"] == 0 and "not graded" in data[1]["error"]


@pytest.mark.slow
def test_detached_processes_cannot_rewrite_the_report(tmp_path):
    report, mark = tmp_path / "grades.json", tmp_path / "late.txt"
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(4)\n"
        f"        open({str(report)!r}, 'w').write('[]')\n"
        f"        open({str(mark)!r}, 'w').write('late')\n"
        "    os._exit(0)\n"
        "os.wait()"
    )
    nb = _insert_after(make_exercises.build(ONE, learner=False), "01.q1", code)
    run = _cli("grade", _write(nb, tmp_path / "detach.ipynb"), "--json", report, "--fail-under", 7)
    assert run.returncode == 1, run.stdout + run.stderr  # 6 points < 7
    time.sleep(6)
    assert not mark.exists() and json.loads(report.read_text())[0]["score"] == 6


@pytest.mark.slow
def test_fifty_megabytes_of_output_stay_out_of_the_grader(tmp_path):
    measure = (
        "import resource, sys\nfrom rnncourse.__main__ import main\n"
        "main(sys.argv[1:])\nprint('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    peaks = []
    for code in ("x = 1", "print('x' * 50_000_000)"):
        nb = _insert_after(make_exercises.build(ONE, learner=False), "01.q1", code)
        run = subprocess.run(
            [sys.executable, "-c", measure, "grade", _write(nb, tmp_path / "out.ipynb")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "6/6 points" in run.stdout, run.stdout + run.stderr
        peaks.append(int(run.stdout.rsplit("maxrss", 1)[1]) / 1024)
    assert peaks[1] - peaks[0] < 40, peaks  # MiB


def test_cli_usage_errors_and_unreadable_files(tmp_path):
    not_nb = tmp_path / "notes.ipynb"
    not_nb.write_text("{ this is not json")
    other = _write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), tmp_path / "other.ipynb"
    )
    csv_path = tmp_path / "book.csv"
    run = _cli("grade", not_nb, other, tmp_path, "--csv", csv_path)
    assert run.returncode == 2, run.stderr
    assert (
        "not a readable Jupyter notebook" in run.stdout and "not an rnncourse exercise notebook" in run.stdout
    )
    directory = f"{tmp_path}: is a directory, not a notebook: give the notebooks in it instead (2 below it"
    assert directory in run.stdout
    assert csv_path.read_text().splitlines()[0].startswith("learner,notebook,file,")
    usage = _cli("grade", timeout=60)
    assert usage.returncode == 2 and "usage" in usage.stderr
    bad = _cli("grade", not_nb, "--cell-timeout", "0", timeout=60)
    assert bad.returncode == 2 and "positive integer" in bad.stderr
    no_key = _cli("grade", not_nb, "--key", tmp_path / "nowhere", timeout=60)
    assert no_key.returncode == 2 and "not a key folder" in no_key.stderr
    inside = _cli("key", Path(ex.__file__).parent / "key", timeout=60)
    assert inside.returncode == 2 and "inside the rnncourse package" in inside.stderr


def test_gradebook_has_one_row_per_notebook_and_one_column_per_question():
    questions = [
        grader.QuestionGrade(q.qid, q.number, q.answer_name, q.title, q.points, q.points, True, "")
        for q in ex.questions_for(ONE)
    ]
    grades = [
        grader.NotebookGrade(path="class/alice/01.ipynb", exercise=ONE, questions=questions),
        grader.NotebookGrade(path="class/bob/x.ipynb", exercise=None, error="no such file"),
    ]
    rows = grader.format_gradebook(grades).splitlines()
    assert rows[0] == "learner,notebook,file,01.q1,01.q2,01.q3,01.q4,score,total,error"
    assert rows[1].startswith("alice,01_the_rnn_unit_exercises,class/alice/01.ipynb,2,1,2,1,6,6,")
    assert rows[2].startswith("bob,,class/bob/x.ipynb,,,,,0,0,no such file")


def test_bad_arguments_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="`jobs` expects a positive integer"):
        grader.grade_notebooks([], jobs=0)
    with pytest.raises(grader.GradingError, match="not a key folder"):
        grader.grade_notebooks([], key=tmp_path)
    with pytest.raises(ValueError, match="a key brings its own"):
        grader.grade_notebooks([], key=grader.Key(1, (), ()), seed=3)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resource limits are applied on Linux")
def test_kernel_limits_are_applied_to_the_process_and_its_children():
    show = (
        "import resource, subprocess, sys\n"
        "names = ['RLIMIT_AS', 'RLIMIT_FSIZE', 'RLIMIT_CPU', 'RLIMIT_NPROC']\n"
        "print([resource.getrlimit(getattr(resource, n))[0] for n in names])\n"
        "sys.stdout.flush()\n"
        "child = 'import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])'\n"
        "subprocess.run([sys.executable, '-c', child])"
    )
    run = subprocess.run(
        [sys.executable, "-c", show], preexec_fn=processes.limits(2048, 77), capture_output=True, text=True
    )
    as_limit, fsize, cpu, nproc = json.loads(run.stdout.splitlines()[0])
    assert (as_limit, fsize, cpu) == (2048 * 2**20, processes.FILE_SIZE_MB * 2**20, 77), run.stdout
    assert int(run.stdout.splitlines()[1]) == as_limit  # inherited
    if os.getuid() != 0:
        tasks = processes._user_task_count()
        assert tasks < nproc <= tasks + processes.EXTRA_TASKS + 64
