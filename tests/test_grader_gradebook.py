"""The gradebook an LMS imports (`rnncourse.grading.gradebook`) and the roster it is built on (`roster`).

Most tests build grades by hand and read the exported files back with `csv` and pandas; one grades a class
of three (one learner missing) through the command line (two kernels of notebook 01).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import make_exercises
import nbformat
import pandas as pd
import pytest

from rnncourse import exercises as ex
from rnncourse import grading as grader
from rnncourse.grading import gradebook, roster

ONE, TWO = "01_the_rnn_unit_exercises", "02_training_rnns_exercises"
SEED = int(os.environ["RNNCOURSE_TEST_SEED"])


def _grade(name: str, path, earned: list[int] | None = None, **fields) -> grader.NotebookGrade:
    questions = ex.questions_for(name)
    earned = [q.points for q in questions] if earned is None else earned
    graded = [
        grader.QuestionGrade(q.qid, q.number, q.answer_name, q.title, q.points, e, e == q.points, "why")
        for q, e in zip(questions, earned, strict=True)
    ]
    return grader.NotebookGrade(path=str(path), exercise=name, questions=graded, **fields)


def _roster(tmp_path, text: str | None = None):
    path = tmp_path / "roster.csv"
    path.write_text(
        text
        or "ID,Name,Email,SIS User ID,SIS Login ID,Section\n"
        "1234,Ann Smith,ann@uni.edu,S1234,ann,A\n"
        "1235,Bob Jones,bob@uni.edu,S1235,bob,A\n"
        "1236,Cy Young,cy@uni.edu,S1236,cy,B\n"
    )
    return roster.read_roster(path)


def _class(tmp_path):
    """Ann hands in 01 and 02 (all points), Bob only 01 (half), Cy nothing; Zed is not on the roster."""
    return [
        _grade(ONE, tmp_path / "1234" / f"{ONE}.ipynb"),
        _grade(TWO, tmp_path / "1234" / f"{TWO}.ipynb"),
        _grade(ONE, tmp_path / "bob@uni.edu" / f"{ONE}.ipynb", [2, 1, 0, 0]),
        _grade(ONE, tmp_path / "zed" / f"{ONE}.ipynb"),
    ]


def test_a_roster_reads_its_columns_and_says_what_is_wrong(tmp_path):
    learners = _roster(tmp_path)
    assert [(x.id, x.name, x.email, x.sis_user_id, x.section) for x in learners][0] == (
        "1234",
        "Ann Smith",
        "ann@uni.edu",
        "S1234",
        "A",
    )
    for text, message in (
        ("name,email\nAnn,a@b\n", "expected the columns id and name in the roster's header"),
        ("id,name\n1,Ann\n1,Bob\n", "the id '1' is on the roster twice"),
        ("id,name\n,Ann\n", "expected a learner id, got an empty one"),
        ("", "an empty roster"),
        ("id,name\n", "a roster without learners"),
    ):
        with pytest.raises(grader.GradingError, match=message):
            _roster(tmp_path, text or "\n")
    with pytest.raises(grader.GradingError, match="no such roster file"):
        roster.read_roster(tmp_path / "nowhere.csv")


def test_canvas_import_has_every_learner_the_points_possible_and_zeros_for_the_missing(tmp_path):
    book = gradebook.build_gradebook(_class(tmp_path), _roster(tmp_path), [ONE, TWO])
    out = gradebook.write_gradebook(tmp_path / "canvas.csv", book, "canvas", "RNN exercises", "4711")
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "RNN exercises (4711)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "12"]
    assert rows[2:] == [
        ["Ann Smith", "1234", "S1234", "ann", "A", "12"],
        ["Bob Jones", "1235", "S1235", "bob", "A", "3"],
        ["Cy Young", "1236", "S1236", "cy", "B", "0"],  # handed nothing in: a zero, not a blank
    ]
    frame = pd.read_csv(out)
    assert list(frame.columns)[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert frame["RNN exercises (4711)"].tolist() == [12, 12, 3, 0]
    assert [(g.exercise, w.label) for g, w in book.unknown] == [(ONE, f"zed/{ONE}.ipynb")]  # reported
    assert [r.status for r in book.rows] == ["graded", "incomplete", "missing"]


def test_moodle_import_has_an_identifier_column_and_one_column_per_grade_item(tmp_path):
    book = gradebook.build_gradebook(_class(tmp_path), _roster(tmp_path), [ONE, TWO])
    frame = pd.read_csv(io.StringIO(gradebook.format_gradebook_for(book, "moodle", "RNN exercises")))
    assert list(frame.columns) == ["ID number", "Email address", "Full name", ONE, TWO, "RNN exercises"]
    cy = frame[frame["ID number"] == 1236].iloc[0]
    assert (cy["Email address"], cy[ONE], cy[TWO], cy["RNN exercises"]) == ("cy@uni.edu", 0, 0, 0)
    assert frame["RNN exercises"].tolist() == [12, 3, 0]
    plain = pd.read_csv(io.StringIO(gradebook.format_gradebook_for(book, "csv")))
    assert plain["status"].tolist() == ["graded", "incomplete", "missing"]
    assert plain["possible"].tolist() == [12, 12, 12]
    with pytest.raises(ValueError, match=r"expected a gradebook layout of \['canvas', 'moodle', 'csv'\]"):
        gradebook.format_gradebook_for(book, "blackboard")


def test_a_flat_folder_is_split_by_file_name_or_refused(tmp_path):
    learners = _roster(tmp_path)
    flat = [
        _grade(ONE, tmp_path / "downloads" / f"smithann_1234_{ONE}.ipynb"),
        _grade(ONE, tmp_path / "downloads" / f"jonesbob_1235_{ONE}.ipynb", [0, 1, 0, 0]),
    ]
    book = gradebook.build_gradebook(flat, learners, [ONE])
    assert [(r.learner.id, r.total, r.status) for r in book.rows] == [
        ("1234", 6, "graded"),
        ("1235", 1, "graded"),
        ("1236", 0, "missing"),
    ]
    merged = [*flat, _grade(ONE, tmp_path / "downloads" / f"someone_{ONE}.ipynb")]
    with pytest.raises(grader.GradingError, match="one folder holds the notebooks of several learners"):
        gradebook.build_gradebook(merged, learners, [ONE])


def test_gradescope_metadata_names_the_learner_and_the_due_date(tmp_path):
    folder = tmp_path / "submission_8812"
    folder.mkdir()
    (folder / "submission_metadata.json").write_text(
        json.dumps(
            {
                "created_at": "2026-03-02T10:00:00.000000-07:00",
                "assignment": {"due_date": "2026-03-01T23:59:00.000000-07:00", "title": "RNNs"},
                "users": [{"email": "cy@uni.edu", "id": 99, "name": "Cy Young", "sid": ""}],
            }
        )
    )
    book = gradebook.build_gradebook([_grade(ONE, folder / f"{ONE}.ipynb")], _roster(tmp_path), [ONE])
    cy = book.rows[2]
    assert (cy.learner.id, cy.total, cy.status) == ("1236", 6, "graded, late"), cy
    assert "handed in after the due date" in cy.notes[0]


def test_an_exercise_not_asked_for_and_a_fault_count_for_nothing(tmp_path):
    grades = [
        _grade(ONE, tmp_path / "1234" / f"{ONE}.ipynb"),
        _grade("03_forecasting_exercises", tmp_path / "1234" / "03.ipynb"),
        _grade(
            ONE, tmp_path / "1235" / f"{ONE}.ipynb", error="not graded: the kernel did not start", fault=True
        ),
    ]
    book = gradebook.build_gradebook(grades, _roster(tmp_path), [ONE])
    ann, bob = book.rows[:2]
    assert ann.total == 6 and any("ignored (03_forecasting_exercises)" in n for n in ann.notes)
    assert (bob.total, bob.status) == (0, "error") and "did not start" in bob.notes[0]


@pytest.mark.slow
def test_cli_writes_a_canvas_gradebook_for_a_class_of_three_with_one_missing(tmp_path):
    for learner, learner_copy in (("1234", False), ("1235", True)):
        (tmp_path / learner).mkdir()
        nbformat.write(make_exercises.build(ONE, learner=learner_copy), tmp_path / learner / f"{ONE}.ipynb")
    _roster(tmp_path)
    out = tmp_path / "canvas.csv"
    notebooks = [tmp_path / n / f"{ONE}.ipynb" for n in ("1234", "1235")]
    run = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", *notebooks,
         "--seed", str(SEED), "--roster", tmp_path / "roster.csv", "--gradebook", "canvas", "--out", out,
         "--expect", "01", "--assignment", "RNN unit", "--no-sandbox", "--cell-timeout", "30"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 learners, 1 handed nothing in (1236)" in run.stdout, run.stdout
    print(out.read_text())
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0][-1] == "RNN unit" and rows[1] == ["Points Possible", "", "", "", "", "6"]
    assert [(r[1], r[-1]) for r in rows[2:]] == [("1234", "6"), ("1235", "0"), ("1236", "0")]
    usage = subprocess.run(
        [sys.executable, "-m", "rnncourse", "grade", "x.ipynb", "--gradebook", "canvas"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2 and "--gradebook, --roster and --out go together" in usage.stderr
