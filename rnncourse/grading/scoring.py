"""From what happened in the kernel to points: the test cases, each question's verdict and reason, the notes.

The verdict of an answer is computed here, in the grader's process, from the grader's own test cases and
the record the kernel sent back (`rnncourse.exercises.verdict_from_record`); nothing the kernel prints or
defines decides it.
"""

from __future__ import annotations

import re

from rnncourse import exercises
from rnncourse.grading.kernel import CellResult, CellState
from rnncourse.grading.report import QuestionGrade

__all__ = ["answer_reason", "cell_note", "oracle_note", "question_grade", "reference_note"]

# The grader's own names: a notebook that uses them is worth the teacher's reading.
_GRADER_NAMES = re.compile(r"_rnncourse_grader")
#: The start of the reason of an answer that is the library's own reference function (teacher mode).
_REFERENCE_REASON = re.compile(
    r"your \w+ is the library's reference function \((rnncourse\.reference[.\w]*)\)"
)


def oracle_note(sources: list[str]) -> str | None:
    """The teacher's note when a notebook uses the grader's own names."""
    if any(_GRADER_NAMES.search(source) for source in sources):
        return "uses the grader's own names (_rnncourse_grader): read it"
    return None


def reference_note(questions: list[QuestionGrade]) -> str | None:
    """The teacher's note when answers are the library's reference functions (found by identity in the
    kernel, however they were imported: `exercises.reference_name`); they earn nothing in teacher mode."""
    found = []
    for q in questions:
        match = _REFERENCE_REASON.match(q.reason)
        if match:
            found.append(f"Q{q.number} {q.answer_name} is {match.group(1)}")
    if not found:
        return None
    return f"answers that are the library's reference maths, not the learner's ({'; '.join(found)}): read it"


def answer_reason(
    question: exercises.Question, result: CellResult, cell_timeout: int, hidden: bool = False
) -> str:
    """Why a question earned nothing when its answer cell did not end normally; with `hidden` (a teacher's
    test cases) without the kernel's error message, which could hold the hidden inputs."""
    name = question.answer_name
    if result.state is CellState.RAISED:
        if result.error.startswith("SystemExit"):
            shown = "SystemExit" if hidden else result.error
            return f"not checked: the answer cell exited ({shown}); do not call exit() in your function"
        if result.error.startswith("KeyboardInterrupt"):
            return f"not checked: your {name} was interrupted (KeyboardInterrupt)"
        if hidden:
            return "no answer came back from the kernel (its error is not shown for hidden test cases)"
        return f"no answer came back from the kernel ({result.error[:120]})"
    ran_past = f"your {name} ran past {cell_timeout} s"
    return {
        CellState.TIMEOUT: f"{ran_past} on the test cases and was interrupted",
        CellState.HUNG: f"{ran_past} and ignored the interrupt; the kernel was killed",
        CellState.DIED: f"calling your {name} killed the kernel (it exited or crashed)",
        CellState.SKIPPED: "not checked: the kernel failed while running it",
        CellState.DEADLINE: "not checked: the notebook ran past its time limit",
        CellState.NOT_RUN: "not checked: the notebook ran past its time limit",
        CellState.NO_KERNEL: "not checked: the kernel did not start",
    }.get(result.state, f"no answer came back from the kernel ({result.state.value})")


def question_grade(
    question: exercises.Question,
    result: CellResult,
    record: str | None,
    cases: list[dict],
    cell_timeout: int,
    hidden: bool = False,
) -> QuestionGrade:
    """The grade of one question from its answer cell's result and the record the kernel sent back; with
    `hidden` (teacher mode) the reason repeats nothing the kernel said (`exercises.verdict_from_record`)."""
    if record is not None and result.state is CellState.OK:
        verdict = exercises.verdict_from_record(question.qid, record, cases, hidden=hidden)
    else:
        reason = answer_reason(question, result, cell_timeout, hidden)
        verdict = exercises.Result(question.qid, False, question.points, 0, reason)
    return QuestionGrade(
        question.qid,
        question.number,
        question.answer_name,
        question.title,
        question.points,
        verdict.earned,
        verdict.passed,
        verdict.reason,
    )


def cell_note(label: str, result: CellResult, cell_timeout: int) -> str | None:
    """What the teacher is told about one of the learner's cells that did not end normally (or None)."""
    if result.state is CellState.TIMEOUT:
        return f"{label} ran past {cell_timeout} s and was interrupted"
    if result.state in {CellState.DEADLINE, CellState.NOT_RUN}:
        return f"{label} was not run: the notebook ran past its time limit"
    if result.state is CellState.RAISED:
        return f"{label} raised {result.error}"
    return None  # ok; or it killed or hung the kernel, which has its own note
