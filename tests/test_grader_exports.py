"""Grades where teachers keep them: Gradescope's results.json, the autograder zip, feedback pages.

Most tests build grades by hand; one runs the autograder zip's `run_autograder` on a fake `/autograder`
layout in a temporary folder (one kernel in teacher mode).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import make_exercises
import nbformat
import pytest

from rnncourse import exercises as ex
from rnncourse import grading as grader
from rnncourse.grading import feedback, gradescope, sandbox

ONE, TWO = "01_the_rnn_unit_exercises", "02_training_rnns_exercises"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
# Gradescope's results.json, from its autograder specification (scripts/gradescope_e2e.py uses it too)
RESULTS_SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "gradescope_results.schema.json").read_text()
)


def _check_schema(results: dict) -> dict:
    """`results` after checking it against Gradescope's results.json schema (raises on the first error)."""
    jsonschema.Draft202012Validator.check_schema(RESULTS_SCHEMA)
    jsonschema.validate(results, RESULTS_SCHEMA, cls=jsonschema.Draft202012Validator)
    return results


def _grade(name: str, earned: list[int], path: str, **fields) -> grader.NotebookGrade:
    questions = [
        grader.QuestionGrade(
            q.qid,
            q.number,
            q.answer_name,
            q.title,
            q.points,
            e,
            e == q.points,
            "" if e else f"wrong {HOSTILE}",
        )
        for q, e in zip(ex.questions_for(name), earned, strict=True)
    ]
    return grader.NotebookGrade(path=path, exercise=name, questions=questions, **fields)


def _points(name: str) -> list[int]:
    return [q.points for q in ex.questions_for(name)]


def test_gradescope_results_have_one_test_per_question_and_the_summed_score():
    full = _points(ONE)
    half = [0] + _points(TWO)[1:]
    grades = [
        _grade(ONE, full, "sub/01.ipynb", notes=[f"cell 2 raised RuntimeError: {HOSTILE}"]),
        _grade(TWO, half, "sub/02.ipynb", seconds=3.4),
        grader.NotebookGrade(path="sub/notes.ipynb", exercise=None, error="sub/notes.ipynb: not an exercise"),
    ]
    results = _check_schema(grader.format_gradescope(grades, expected=[ONE, TWO, "03_forecasting_exercises"]))
    assert set(results) == {"score", "execution_time", "output", "output_format", "test_output_format"} | {
        "tests",
        "extra_data",
    }
    assert results["output_format"] == results["test_output_format"] == "text"  # a notebook's text is no HTML
    tests = results["tests"]
    names = [t["number"] for t in tests]
    assert names == [q.qid for n in (ONE, TWO, "03_forecasting_exercises") for q in ex.questions_for(n)]
    assert results["score"] == sum(full) + sum(half) == sum(t["score"] for t in tests)
    assert all(set(t) == {"name", "number", "score", "max_score", "status", "output"} for t in tests)
    missing = [t for t in tests if t["number"].startswith("03.")]
    assert all(t["score"] == 0 and "not handed in" in t["output"] for t in missing)
    assert sum(t["max_score"] for t in tests) == sum(
        sum(_points(n)) for n in (ONE, TWO, "03_forecasting_exercises")
    )
    assert "not graded" in results["output"] and "cell 2 raised" in results["output"]
    json.dumps(results)  # what Gradescope reads


def test_only_the_expected_exercises_count_the_others_are_listed_as_ignored():
    three = "03_forecasting_exercises"
    grades = [
        _grade(ONE, _points(ONE), "sub/01.ipynb"),
        _grade(TWO, _points(TWO), "sub/02.ipynb"),
        _grade(three, _points(three), "sub/03.ipynb"),  # the published solution, not asked for
    ]
    assert grader.format_gradescope(grades)["score"] == 17  # without `expected` every exercise counts
    results = _check_schema(grader.format_gradescope(grades, expected=[ONE, TWO]))
    tests = results["tests"]
    assert results["score"] == sum(t["max_score"] for t in tests) == 12, results
    assert not any(t["number"].startswith("03.") for t in tests)
    assert results["extra_data"] == {"ignored": ["03.ipynb"], "sandbox": "none"}
    assert f"03.ipynb: ignored: {three} is not part of this assignment" in results["output"]


def test_visibility_applies_to_the_teachers_hidden_test_cases_only():
    grades = [_grade(ONE, _points(ONE), "sub/01.ipynb", mode="teacher")]
    results = _check_schema(
        grader.format_gradescope(grades, expected=[ONE, TWO], visibility="after_due_date")
    )
    shown = {t["number"][:2]: t.get("visibility") for t in results["tests"]}
    assert shown == {"01": "after_due_date", "02": None}  # 02 was not handed in: nothing hidden to hide
    self_study = grader.format_gradescope([_grade(ONE, _points(ONE), "s/01.ipynb")], visibility="hidden")
    assert all("visibility" not in t for t in self_study["tests"])
    with pytest.raises(ValueError, match=r"expected a visibility of \['visible', 'hidden'"):
        grader.format_gradescope(grades, visibility="later")


def test_the_results_schema_refuses_what_gradescope_would_misread():
    """The schema itself: what format_gradescope writes passes, a misspelt field, an unknown visibility or
    status, a test without a score when the top level has none, and a string score fail."""
    good = _check_schema(grader.format_gradescope([_grade(ONE, _points(ONE), "s/01.ipynb")], expected=[ONE]))
    bad = [
        {**good, "visiblity": "hidden"},
        {**good, "visibility": "later"},
        {**good, "stdout_visibility": "never"},
        {**good, "score": "6"},
        {**good, "output_format": "rtf"},
        {**good, "tests": [{**good["tests"][0], "status": "ok"}]},
        {**good, "tests": [{**good["tests"][0], "tags": "a"}]},
        {"tests": [{k: v for k, v in good["tests"][0].items() if k != "score"}]},
    ]
    for results in bad:
        with pytest.raises(jsonschema.ValidationError):
            _check_schema(results)
    _check_schema({"tests": good["tests"]})  # a score on every test is enough


def test_an_exercise_handed_in_twice_earns_nothing():
    grades = [_grade(ONE, _points(ONE), "sub/a.ipynb"), _grade(ONE, _points(ONE), "sub/b.ipynb")]
    results = _check_schema(grader.format_gradescope(grades))
    assert results["score"] == 0 and len(results["tests"]) == len(_points(ONE))
    assert all(
        "handed in twice" in t["output"] and "a.ipynb, b.ipynb" in t["output"] for t in results["tests"]
    )


def test_feedback_pages_escape_everything_from_the_notebook(tmp_path):
    grades = [
        _grade(
            ONE,
            [0, 1, 2, 1],
            f"class/{HOSTILE.replace('/', '_')}/01.ipynb",
            notes=[f"cell 1 raised {HOSTILE}"],
        ),
        _grade(TWO, _points(TWO), "class/ann/02.ipynb", check_output={"02.q1": "SECRET-CHECK-OUTPUT"}),
        _grade(ONE, _points(ONE), "class/ann/01.ipynb"),
        grader.NotebookGrade(
            path=f"class/ann/{HOSTILE.replace('/', '_')}.ipynb", exercise=None, error=HOSTILE
        ),
    ]
    written = feedback.write_feedback(tmp_path / "pages", grades)
    assert len(written) == 2 and all(p.parent == tmp_path / "pages" for p in written)
    assert {p.name for p in written} >= {"ann.html"}
    for page in written:
        text = page.read_text()
        assert not re.search(r"<(script|img)\b", text, re.I), text
        assert "&lt;script&gt;" in text and "SECRET-CHECK-OUTPUT" not in text
    ann = (tmp_path / "pages" / "ann.html").read_text()
    total = sum(_points(ONE)) + sum(_points(TWO))
    assert f"{total}/{total} points in 3 notebooks" in ann and "Not graded" in ann
    with pytest.raises(grader.GradingError, match="expected a folder"):
        feedback.write_feedback(written[0], grades)


def test_autograder_zip_holds_the_scripts_the_package_and_the_key(tmp_path):
    key = grader.write_key(tmp_path / "key").parent
    path = gradescope.write_autograder(tmp_path / "ag.zip", exercises_wanted=["01"], key=key)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        run = archive.read("run_autograder").decode()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        requirements = archive.read("requirements.txt").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "key/key.json"} <= names
    assert "lib/rnncourse/grading/__init__.py" in names and any(
        n.startswith("lib/rnncourse/_data/") for n in names
    )
    assert modes["run_autograder"] == modes["setup.sh"] == 0o755
    assert f"--expect {ONE}" in run and "--expect 02" not in run
    assert 'chmod 700 "$root/source"' in run and 'chmod 700 "$root/submission"' in run
    assert re.search(r"^nbclient==\d", requirements, re.M) and "pytest" not in requirements
    for bad, message in (("autograder.tar", "expected a .zip"), ("x.zip", "unknown exercise")):
        with pytest.raises(grader.GradingError, match=message):
            gradescope.write_autograder(tmp_path / bad, exercises_wanted=["99"] if bad == "x.zip" else [])
    run = subprocess.run(
        [sys.executable, "-m", "rnncourse", "gradescope", tmp_path / "x.zip", "--exercises", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "unknown exercise 'nope'" in run.stderr


@pytest.mark.slow
def test_run_autograder_grades_a_submission_in_a_fake_autograder_layout(tmp_path):
    if sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    key = grader.write_key(tmp_path / "key").parent
    made = subprocess.run(
        [sys.executable, "-m", "rnncourse", "gradescope", tmp_path / "ag.zip", "--exercises", "01", "02",
         "--key", key, "--cell-timeout", "30"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(tmp_path / "ag.zip") as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    (root / "submission" / "work").mkdir(parents=True)
    nbformat.write(make_exercises.build(ONE, learner=False), root / "submission" / "work" / f"{ONE}.ipynb")
    (root / "submission" / "notes.ipynb").write_text("{ not a notebook")
    env = dict(os.environ, RNNCOURSE_AUTOGRADER_ROOT=str(root), RNNCOURSE_PYTHON=sys.executable)
    run = subprocess.run(
        ["bash", root / "source" / "run_autograder"], capture_output=True, text=True, env=env, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = _check_schema(json.loads((root / "results" / "results.json").read_text()))
    tests = {t["number"]: t for t in results["tests"]}
    assert set(tests) == {q.qid for n in (ONE, TWO) for q in ex.questions_for(n)}
    assert results["score"] == sum(_points(ONE)), results
    assert all(
        t["score"] == 0 and "not handed in" in t["output"] for q, t in tests.items() if q.startswith("02")
    )
    assert "notes.ipynb: not graded" in results["output"]
    # the key's held-out labels and seed are nowhere in what the learner sees
    secret = json.loads((key / "key.json").read_text())
    assert str(secret["seed"]) not in json.dumps(results)


@pytest.mark.slow
def test_a_submission_with_an_exercise_not_asked_for_scores_at_most_the_maximum(tmp_path):
    """Issue 29's case through the command line: 01, 02 and the published solution of 03 handed in for an
    assignment of 01 and 02 scored 17 of 12."""
    key = grader.write_key(tmp_path / "key").parent
    three = "03_forecasting_exercises"
    for name in (ONE, TWO, three):
        nbformat.write(make_exercises.build(name, learner=False), tmp_path / f"{name}.ipynb")
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", *(tmp_path / f"{n}.ipynb" for n in (ONE, TWO, three)),
         "--key", key, "--no-sandbox", "--expect", "01", "--expect", "02", "--gradescope-json", out,
         "--gradescope-visibility", "after_due_date", "--jobs", "2", "--cell-timeout", "30"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    results = _check_schema(json.loads(out.read_text()))
    print(json.dumps({k: results[k] for k in ("score", "output", "extra_data")}, indent=1))
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == 12, results
    assert results["extra_data"]["ignored"] == [f"{three}.ipynb"] and "ignored" in results["output"]
    assert {t["visibility"] for t in results["tests"]} == {"after_due_date"}
    assert "== total: 12/12 points" in run.stdout and f"== ignored: {tmp_path / three}.ipynb" in run.stdout


def test_the_autograder_zip_carries_the_visibility_of_the_hidden_cases(tmp_path):
    key = grader.write_key(tmp_path / "key").parent
    command = [sys.executable, "-m", "rnncourse", "gradescope", tmp_path / "ag.zip", "--exercises", "01"]
    made = subprocess.run(
        [*command, "--key", key, "--visibility", "after_due_date"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(tmp_path / "ag.zip") as archive:
        assert "--gradescope-visibility=after_due_date" in archive.read("run_autograder").decode()
    refused = subprocess.run(
        [*command, "--visibility", "hidden"], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "--visibility is for teacher mode" in refused.stderr


def test_bash_scripts_parse(tmp_path):
    path = gradescope.write_autograder(tmp_path / "ag.zip")
    with zipfile.ZipFile(path) as archive:
        for name in ("setup.sh", "run_autograder"):
            script = tmp_path / name
            script.write_bytes(archive.read(name))
            check = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
            assert check.returncode == 0, (name, check.stderr)


def test_cli_gradescope_json_without_notebooks_scores_every_expected_question_zero(tmp_path):
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnncourse",
            "grade",
            "--seed",
            "1",
            "--gradescope-json",
            out,
            "--expect",
            "01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    results = _check_schema(json.loads(out.read_text()))
    assert results["score"] == 0 and len(results["tests"]) == len(_points(ONE))
    bad = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", "x.ipynb", "--expect", "01"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--expect is for --gradescope-json" in bad.stderr
    assert Path(out).is_file()


def test_the_sandbox_level_is_in_the_table_results_json_and_the_feedback_page():
    grade = _grade(ONE, _points(ONE), "class/ann/01.ipynb", sandbox=True, sandbox_level="container")
    assert "sandbox: container" in grader.format_table(grade)
    results = _check_schema(grader.format_gradescope([grade], expected=[ONE]))
    assert results["extra_data"]["sandbox"] == "container"
    assert "graded in the sandbox level: container" in results["output"]
    assert json.loads(grader.format_report([grade]))[0]["sandbox_level"] == "container"
    assert "graded in the sandbox level container" in feedback.format_feedback("ann", [grade])


_FAKE_PYTHON = """#!/bin/bash
# a Python of version {version}: answers the version checks, and `-m venv DIR` writes a venv whose python logs
if [ "$1" = "--version" ]; then echo "Python {version}"; exit 0; fi
if [ "$1" = "-c" ]; then [ "{version}" != "3.10.12" ]; exit $?; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    printf '#!/bin/bash\\necho "$0 $*" >> "%s"\\n' "$LOG" > "$3/bin/python"
    chmod 755 "$3/bin/python"
    echo "venv by $0" >> "$LOG"
fi
"""


@pytest.mark.parametrize(
    "python3, apt_has_311, chosen",
    [("3.12.3", False, "python3"), ("3.10.12", True, "python3.11"), ("3.10.12", False, None)],
    ids=["ubuntu-24.04", "ubuntu-22.04", "no-python-3.11"],
)
def test_setup_sh_finds_a_python_of_3_11_or_newer(tmp_path, python3, apt_has_311, chosen):
    """setup.sh on base images whose python3 is 3.12 (Ubuntu 24.04) or 3.10 (Ubuntu 22.04, with and without
    a python3.11 package), with fake apt-get and Pythons: it builds the venv with the right one, or stops
    saying which base image to pick."""
    path = gradescope.write_autograder(tmp_path / "ag.zip", exercises_wanted=["01"])
    root = tmp_path / "autograder"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(root / "source")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("chmod", "mkdir", "printf"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    (bin_dir / "python3").write_text(_FAKE_PYTHON.format(version=python3))
    apt = '#!/bin/bash\necho "apt-get $*" >> "$LOG"\n'
    if apt_has_311:  # installing python3.11 puts one on PATH
        package = f'/bin/cp "{bin_dir}/python3.11.pkg" "{bin_dir}/python3.11"'
        apt += f'if [[ "$*" == *python3.11* ]]; then {package}; fi\n'
        (bin_dir / "python3.11.pkg").write_text(_FAKE_PYTHON.format(version="3.11.0"))
        (bin_dir / "python3.11.pkg").chmod(0o755)
    else:
        apt += 'if [[ "$*" == *python3.11* ]]; then exit 100; fi\n'
    (bin_dir / "apt-get").write_text(apt)
    for name in ("python3", "apt-get"):
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "log"
    env = dict(PATH=str(bin_dir), LOG=str(log), RNNCOURSE_AUTOGRADER_ROOT=str(root))
    run = subprocess.run(
        ["/bin/bash", root / "source" / "setup.sh"], capture_output=True, text=True, env=env, timeout=60
    )
    logged = log.read_text() if log.exists() else ""
    if chosen is None:
        assert run.returncode == 1 and "choose the Ubuntu 24.04 base image" in run.stderr, run.stderr
        assert not (root / "venv").exists()
        return
    assert run.returncode == 0, run.stdout + run.stderr + logged
    assert f"venv by {bin_dir / chosen}" in logged, logged
    assert f"{root}/venv/bin/python -m pip install -r {root}/source/requirements.txt" in logged
    assert ("python3.11" in logged.split("venv by")[0]) == (chosen == "python3.11"), logged
