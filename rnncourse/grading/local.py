"""The third step of a batch, on this machine: readable notebooks graded here, `jobs` at a time.

`Here.grade` grades one notebook (`notebook.grade_submission`) when a place is free, then compares the
package's fingerprint with the one taken before the first kernel started: if a kernel changed the files the
grader relies on, that notebook's grade says so and the notebooks still waiting are not graded. `run` runs a
batch's coroutine with the grader writing no bytecode, so any new or changed file in the package is a
kernel's.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from rnncourse.grading import package_copy
from rnncourse.grading.notebook import grade_submission
from rnncourse.grading.prepare import Setup, Submission
from rnncourse.grading.report import NotebookGrade

__all__ = ["Here", "run"]

T = TypeVar("T")


class Here:
    """Grades a batch's readable notebooks in this process, `jobs` at a time, all sharing `setup`."""

    def __init__(self, setup: Setup, jobs: int = 1):
        self.setup = setup
        self.gate = asyncio.Semaphore(jobs)
        #: Why the notebooks still waiting are not graded (a kernel changed the grader's files), or None.
        self.stopped: str | None = None

    async def grade(self, submission: Submission) -> NotebookGrade:
        """The grade of one readable notebook (its test cases from its own seed in teacher mode)."""
        setup = self.setup
        if setup.batch.start_lock is None:  # (made in the running event loop)
            setup.batch.start_lock = asyncio.Lock()
        seed = setup.cases.seed_for(submission.content)
        async with self.gate:
            if self.stopped is not None:
                return NotebookGrade(
                    path=str(submission.path),
                    exercise=submission.exercise,
                    error=f"not graded: {self.stopped}",
                )
            grade = await grade_submission(submission, setup=setup, seed=seed)
            changed = package_copy.changed(setup.fingerprint, package_copy.fingerprint(setup.package_root))
            if changed:
                shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
                self.stopped = (
                    f"files the grader relies on changed while {submission.path} was graded ({shown})"
                )
                grade.error = f"this notebook (or one graded at the same time) changed {shown}"
            if not setup.batch.subreaper:
                grade.notes.append("processes that left the kernel's session could not be tracked here")
            return grade

    async def grade_all(self, submissions: list[Submission]) -> list[NotebookGrade]:
        """The grades of readable notebooks, in their order."""
        return await asyncio.gather(*(self.grade(s) for s in submissions))


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a batch's coroutine to its end, the grader writing no bytecode meanwhile."""
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        return asyncio.run(main)
    finally:
        sys.dont_write_bytecode = writes_bytecode
