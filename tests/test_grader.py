"""Tests of `rnncourse grade`: real kernels, so the notebook variants run in a few combined grader calls."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest
from test_exercises import mk

from rnncourse import exercises as ex
from rnncourse import grader

# fresh test cases on every run, like the grader itself; conftest.py draws the seed and prints it
SEED = int(os.environ["RNNCOURSE_TEST_SEED"])
pytestmark = pytest.mark.slow  # 36 notebooks graded in real kernels


def _insert_after(nb, qid, code):
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("rnncourse", {}).get("answer") == qid)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return nb


HOSTILE = {
    # name: (code inserted after the answer to 01.q1, expected earned points, expected note fragment)
    "raises": ("raise RuntimeError('oops')", 6, "raised RuntimeError: oops"),
    "loop": ("while True:\n    pass", 6, "was interrupted"),
    "stubborn": (
        "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n"
        "        pass",
        6,
        "could not be interrupted",
    ),
    "os_exit": ("import os\nos._exit(3)", 6, "killed the kernel"),
    "sys_exit": ("import sys\nsys.exit(1)", 6, "raised SystemExit"),
    "spam": ("for _ in range(200):\n    print('x' * 100_000)", 6, None),
    "tamper": (
        "import rnncourse.exercises as E\n"
        "E.verdict_from_json = lambda qid, *a, **k: E.Result(qid, True, 2, 2, 'passed')\n"
        "E.check = lambda *a, **k: print('Q1 rnn_step: passed (2/2 points)')\n"
        "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return x_t @ W_x\n"
        "print('passed ' * 100)",
        4,
        None,
    ),
    "hardcoded": (
        "_cases = {}\nimport rnncourse.exercises as E\n_ref = rnn_step\n"
        "_known = {E._encode(c['x_t']).__repr__(): _ref(**c) for s in (0, 1) for c in E._cases_rnn_step(s)}\n"
        "def rnn_step(x_t, h_prev, W_x, W_h, b):\n"
        "    return _known.get(E._encode(x_t).__repr__(), x_t[:, :1])",
        4,
        None,
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    jobs: dict[str, tuple] = {}  # label -> (path, kind, qid)
    for name in mk.names():
        jobs[f"solution:{name}"] = (mk.SOLUTIONS / f"{name}.ipynb", "solution", None)
        jobs[f"blank:{name}"] = (mk.EXERCISES / f"{name}.ipynb", "blank", None)
        for q in ex.questions_for(name):
            path = root / f"wrong_{q.qid}.ipynb"
            nbformat.write(mk.wrong_variant(name, q.qid), path)
            jobs[f"wrong:{q.qid}"] = (path, "wrong", q.qid)
    for label, (code, _, _) in HOSTILE.items():
        path = root / f"hostile_{label}.ipynb"
        nbformat.write(
            _insert_after(mk.build("01_the_rnn_unit_exercises", learner=False), "01.q1", code), path
        )
        jobs[f"hostile:{label}"] = (path, "hostile", None)
    out = {}
    # Two calls: the hostile notebooks with a short cell time limit (their loops hit it), the rest with the
    # default one (importing TensorFlow in notebook 04 takes longer than the short limit on a busy machine).
    for hostile, cell_timeout in ((False, grader.DEFAULT_CELL_TIMEOUT), (True, 5)):
        labels = [k for k in jobs if (jobs[k][1] == "hostile") == hostile]
        grades = grader.grade_notebooks(
            [jobs[k][0] for k in labels], jobs=2, seed=SEED, cell_timeout=cell_timeout
        )
        out.update({label: (jobs[label], grade) for label, grade in zip(labels, grades, strict=True)})
    return out


def test_solutions_score_full_marks_and_blanks_zero(graded):
    for label, ((_, kind, _), grade) in graded.items():
        if kind == "solution":
            assert grade.error is None and grade.score == grade.total > 0, (
                label,
                SEED,
                grader.format_table(grade),
            )
            assert grade.notes == [], grade.notes
        elif kind == "blank":
            assert grade.score == 0 and len(grade.questions) == len(ex.questions_for(grade.exercise)), label


def test_each_wrong_answer_loses_exactly_its_points(graded):
    for label, ((_, kind, qid), grade) in graded.items():
        if kind != "wrong":
            continue
        lost = {q.qid for q in grade.questions if not q.passed}
        assert lost == {qid}, (label, SEED, grader.format_table(grade))
        assert grade.score == grade.total - ex.get_question(qid).points


def test_check_cells_and_grader_agree(graded):
    for label, ((_, kind, _), grade) in graded.items():
        if kind == "hostile":
            continue
        for q in grade.questions:
            printed = grade.check_output.get(q.qid, "")
            if kind == "blank" and not printed:
                continue  # the answer cell raised, so Jupyter users see the error instead
            assert (": passed (" in printed) == q.passed, (label, q.qid, printed, q.reason, SEED)


def test_hostile_notebooks_get_the_documented_result(graded):
    for label, (_code, earned, note) in HOSTILE.items():
        grade = graded[f"hostile:{label}"][1]
        assert grade.error is None and grade.score == earned, (label, grader.format_table(grade))
        if note:
            assert any(note in n for n in grade.notes), (label, grade.notes)
    for label in ("tamper", "hardcoded"):  # tampering or hard-wiring the check cells' inputs earns nothing
        q1 = graded[f"hostile:{label}"][1].questions[0]
        assert q1.qid == "01.q1" and not q1.passed


def test_grader_output_never_shows_expected_counts(graded):
    for qid in ("01.q2", "05.q1"):
        grade = graded[f"wrong:{qid}"][1]
        question = ex.get_question(qid)
        text = grader.format_table(grade) + json.dumps(grade.to_dict())
        for case in question.make_cases(SEED):
            if qid == "01.q2":
                expected = case["units"] * (case["features"] + case["units"] + 1)
            else:
                expected = ex._ref_params(case["kind"], case["features"], case["units"])
            if expected >= 100:
                assert not re.search(rf"\b{expected}\b", text), (qid, expected)


def test_cli_exit_codes_table_and_json(tmp_path):
    not_nb = tmp_path / "notes.ipynb"
    not_nb.write_text("{ this is not json")
    other = tmp_path / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), other)
    out_json = tmp_path / "grades.json"
    solution = mk.SOLUTIONS / "01_the_rnn_unit_exercises.ipynb"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnncourse",
            "grade",
            str(solution),
            str(not_nb),
            str(other),
            "--json",
            str(out_json),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2, run.stderr
    assert "6/6 points" in run.stdout and "not a readable Jupyter notebook" in run.stdout
    assert "not an rnncourse exercise notebook" in run.stdout
    data = json.loads(out_json.read_text())
    assert [d["score"] for d in data] == [6, 0, 0] and data[0]["questions"][0]["passed"] is True
    assert data[1]["error"] and data[2]["error"]

    ok = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", str(solution)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade"], capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2 and "usage" in usage.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", str(solution), "--cell-timeout", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "positive integer" in bad.stderr


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="positive integer for jobs"):
        grader.grade_notebooks([], jobs=0)
