"""The second step of a batch: one notebook graded in fresh kernels, in its private folder.

`grade_submission` builds the cells (the learner's, then one grader cell per question that sends the test
cases' inputs into the kernel), gives the kernel a private folder (`package_copy.private_folder`), runs the
cells (`kernel.run_once`) and re-runs the notebook in a fresh kernel without a cell that killed its kernel
or ignored an interrupt (at most `MAX_RESTARTS` times; a kernel that does not start is started once more),
then turns what happened into a grade (`scoring`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import zmq

from rnncourse import exercises
from rnncourse.grading import package_copy, sandbox
from rnncourse.grading.kernel import ANSWER_CELL, Cell, CellResult, CellState, run_once
from rnncourse.grading.prepare import Setup, Submission
from rnncourse.grading.report import NotebookGrade
from rnncourse.grading.scoring import cell_note, oracle_note, question_grade, reference_note

__all__ = ["MAX_RESTARTS", "grade_submission"]

#: How many times a notebook is re-run in a fresh kernel without a cell that killed or hung its kernel.
MAX_RESTARTS = 2
# How a cell ends when it runs past a time limit (on a loaded machine, perhaps through no fault of its own).
_TIMED_OUT = {CellState.TIMEOUT, CellState.HUNG, CellState.DEADLINE, CellState.NOT_RUN}


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("rnncourse")
    return meta if isinstance(meta, dict) else {}


@dataclass
class _Runs:
    """What the kernels that ran one notebook left: each cell's result, the answers, the cells skipped."""

    status: dict[int, CellResult] = field(default_factory=dict)
    answers: dict[int, str] = field(default_factory=dict)
    skip: set[int] = field(default_factory=set)
    failures: dict[int, CellResult] = field(default_factory=dict)  # how a skipped cell failed when it ran
    unrun: CellResult = field(default_factory=lambda: CellResult(CellState.NOT_RUN))  # no kernel got there

    def result(self, position: int) -> CellResult:
        if position in self.status:
            return self.status[position]
        if position in self.failures:
            return self.failures[position]
        return CellResult(CellState.SKIPPED) if position in self.skip else self.unrun

    def timed_out(self, count: int) -> bool:
        return any(
            self.result(position).state in _TIMED_OUT
            for position in range(count)
            if position not in self.skip
        ) or any(failure.state in _TIMED_OUT for failure in self.failures.values())


async def grade_submission(submission: Submission, *, setup: Setup, seed: int) -> NotebookGrade:
    """Grade one readable notebook in fresh kernels, its test cases drawn from `seed`."""
    started = time.monotonic()
    grade = NotebookGrade(
        path=str(submission.path),
        exercise=submission.exercise,
        mode=setup.cases.mode,
        sandbox=not isinstance(setup.batch.level, sandbox.NoSandbox),
        sandbox_level=setup.batch.level.name,
    )
    questions = exercises.questions_for(submission.exercise)
    # The grader's own test cases, built before the learner's code runs; the kernel gets only the inputs.
    cases = {q.qid: setup.cases.cases(q, seed) for q in questions}
    cells = [
        Cell(i, c.source, check=_meta(c).get("check"))
        for i, c in enumerate(submission.notebook.cells)
        if c.cell_type == "code" and c.source.strip()
    ]
    note = oracle_note([c.source for c in cells]) if setup.cases.teacher else None
    if note:
        grade.notes.append(note)
    for question in questions:
        source = ANSWER_CELL.format(
            qid=question.qid, name=question.answer_name, cases=exercises.encode_cases(cases[question.qid])
        )
        cells.append(Cell(-1, source, question.qid))
    user = None
    try:
        if isinstance(setup.batch.level, sandbox.Container):
            user = sandbox.KernelUser.claim()
        base = package_copy.private_folder(
            setup.package, setup.data, setup.hidden, parent=sandbox.reachable_temp() if user else None
        )
        if user is not None:
            user.give(base)
    except OSError as error:  # the machine's fault (a full disk, no folder for the sockets): no traceback
        if user is not None:
            user.release()
        grade.error = (
            f"not graded: no private folder for its kernel ({type(error).__name__}: {str(error)[:300]}); "
            "a fault of the grading machine, not of the notebook"
        )
        grade.fault = True
        grade.seconds = time.monotonic() - started
        return grade
    limits = setup.limits
    try:
        deadline = started + limits.timeout + limits.cell_timeout * len(questions)
        runs = await _run(cells, grade, setup=setup, base=base, user=user, deadline=deadline)
        for position, cell in enumerate(cells):
            if cell.qid is None:
                text = cell_note(f"cell {cell.index + 1}", runs.result(position), limits.cell_timeout)
                if text:
                    grade.notes.append(text)
        grade.timed_out = runs.timed_out(len(cells))
        for question, position in zip(questions, [i for i, c in enumerate(cells) if c.qid], strict=True):
            grade.questions.append(
                question_grade(
                    question,
                    runs.result(position),
                    runs.answers.get(position),
                    cases[question.qid],
                    limits.cell_timeout,
                    hidden=setup.cases.teacher,
                )
            )
        if setup.cases.teacher:
            note = reference_note(grade.questions)
            if note:
                grade.notes.append(note)
    finally:
        try:
            package_copy.remove_private_folder(base)
        finally:
            if user is not None:
                user.release()
        grade.seconds = time.monotonic() - started
    return grade


async def _run(
    cells: list[Cell], grade: NotebookGrade, *, setup: Setup, base, user, deadline: float
) -> _Runs:
    """Run `cells` in fresh kernels until one runs them all (or gives up); notes and faults go to `grade`."""
    runs = _Runs()
    start_failures = 0
    for attempt in range(MAX_RESTARTS + 2):
        runs.status, runs.answers = {}, {}
        grade.check_output = {}
        if attempt:  # what a previous kernel left in the package copy goes
            package_copy.write_package(base, setup.package, setup.hidden)
            if user is not None:
                user.give(base)
        try:
            bad = await run_once(
                cells,
                runs.skip,
                base=base,
                batch=setup.batch,
                cell_timeout=setup.limits.cell_timeout,
                deadline=deadline,
                output_limit=setup.limits.output_limit,
                status=runs.status,
                answers=runs.answers,
                check_output=grade.check_output,
                user=user,
            )
        except (RuntimeError, OSError, TimeoutError, zmq.ZMQError) as error:
            start_failures += 1
            if start_failures == 1 and time.monotonic() < deadline:
                continue  # once more, in a fresh kernel
            why = f"the kernel did not start, twice ({type(error).__name__}: {str(error)[:200]})"
            grade.notes.append(why)
            if attempt + 1 == start_failures:  # no kernel ever ran the notebook's code in its folder
                # so the fault is the machine's: an error to grade again, never a zero to keep
                grade.error = f"not graded: {why}; a fault of the grading machine, not of the notebook"
                grade.fault = True
            runs.unrun = CellResult(CellState.NO_KERNEL)
            break
        if bad is None:
            break
        runs.skip.add(bad)
        runs.failures[bad] = runs.status.get(bad, CellResult(CellState.DIED))
        what = {
            CellState.DIED: "killed the kernel",
            CellState.DEADLINE: "ran past the notebook's time limit",
        }.get(runs.failures[bad].state, "ignored the interrupt")
        label = f"cell {cells[bad].index + 1}" if cells[bad].qid is None else f"checking {cells[bad].qid}"
        grade.notes.append(f"{label} {what}; re-running the notebook in a fresh kernel without it")
        if time.monotonic() >= deadline:
            break
        if attempt - start_failures >= MAX_RESTARTS:
            grade.notes.append("gave up re-running the notebook after repeated kernel failures")
            break
    return runs
