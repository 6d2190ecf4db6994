"""Grade exercise notebooks: `rnncourse grade NOTEBOOK... [--json FILE]`.

How a notebook is graded:

1. It runs top to bottom in a fresh Jupyter kernel of its own (nbclient), with errors allowed, so a cell that
   raises does not stop the run. A cell that runs past ``cell_timeout`` seconds is interrupted and the run
   goes on; the learner's cells together get ``timeout`` seconds.
2. After the learner's cells, the grader adds one cell per question. It calls the learner's answer (looked up
   by name) on test cases drawn from a seed the grader picks for this run, and writes what comes back as
   JSON to a fresh temporary folder (`rnncourse.exercises.write_answer`).
3. The grader, in its own process, rebuilds the test cases and the reference answers from the seed and
   checks the JSON with the same functions the notebook's check cells use (`rnncourse.exercises`).

So the kernel only *produces* answers; the verdicts are computed outside it. Redefining the check functions,
patching `rnncourse.exercises` in the kernel or printing "passed" changes nothing, and an answer that is
hard-wired to the check cells' inputs fails on the grader's fresh inputs. Hints name what is wrong and never
print the expected answer.

Hostile or broken notebooks (documented results):

- a cell that raises: noted; the other questions are graded as usual;
- an infinite loop: the cell is interrupted after ``cell_timeout`` s (that question usually fails, the
  rest are graded); if the interrupt is ignored (code that swallows KeyboardInterrupt) or the kernel dies
  (``os._exit``, a crash), the grader starts a fresh kernel and re-runs the notebook without that cell, at
  most ``max_restarts`` times, within the notebook's time limit;
- ``sys.exit()`` / ``exit()`` / ``quit()``: IPython turns these into an error (or a no-op) in the cell;
  the kernel keeps running;
- huge outputs: each cell keeps at most ``output_limit`` characters of output; the rest is dropped as it
  arrives, so memory stays bounded;
- a file that is not a notebook, or not one of the exercise notebooks: a clear error and a non-zero exit.

The kernel runs as you, with your files: the grader protects the *grading*, it is not an operating-system
sandbox for untrusted code.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from rnncourse import exercises

__all__ = [
    "QuestionGrade",
    "NotebookGrade",
    "GradingError",
    "grade_notebook",
    "grade_notebooks",
    "format_table",
    "DEFAULT_CELL_TIMEOUT",
    "DEFAULT_TIMEOUT",
]

#: Seconds one cell may run before it is interrupted.
DEFAULT_CELL_TIMEOUT = 60
#: Seconds all of the learner's cells together may run.
DEFAULT_TIMEOUT = 300
#: Characters of output kept per cell.
DEFAULT_OUTPUT_LIMIT = 20_000
_MAX_RESTARTS = 2


class GradingError(Exception):
    """A notebook that cannot be graded: unreadable, not a notebook, or not an exercise notebook."""


@dataclass
class QuestionGrade:
    """The grade of one question."""

    qid: str
    number: int
    answer_name: str
    title: str
    points: int
    earned: int
    passed: bool
    reason: str


@dataclass
class NotebookGrade:
    """The grade of one notebook: per-question grades, score, notes on what happened while it ran."""

    path: str
    exercise: str | None
    questions: list[QuestionGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What each check cell of the notebook printed (question id -> text), as the learner would have seen it.
    check_output: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    @property
    def score(self) -> int:
        return sum(q.earned for q in self.questions)

    @property
    def total(self) -> int:
        return sum(q.points for q in self.questions)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(score=self.score, total=self.total, seconds=round(self.seconds, 2))
        return out


# ----------------------------------------------------------------------------------------------------------
# Reading the notebook
# ----------------------------------------------------------------------------------------------------------


def _read(path: Path) -> tuple[nbformat.NotebookNode, str]:
    if not path.is_file():
        raise GradingError(f"{path}: no such file")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        raise GradingError(
            f"{path}: not a readable Jupyter notebook ({type(error).__name__}: {str(error)[:200]})"
        ) from None
    known = sorted(exercises.NOTEBOOKS.values())
    name = (
        nb.metadata.get("rnncourse", {}).get("exercise")
        if isinstance(nb.metadata.get("rnncourse"), dict)
        else None
    )
    if name is None:  # a copy saved by hand may have lost its metadata: fall back on the file name
        name = next((k for k in known if path.stem.startswith(k)), None)
    if name not in known:
        raise GradingError(
            f"{path}: not an rnncourse exercise notebook (expected one of {known}, from the "
            "notebook's metadata or its file name)"
        )
    return nb, name


# ----------------------------------------------------------------------------------------------------------
# Running it
# ----------------------------------------------------------------------------------------------------------


def _meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("rnncourse")
    return meta if isinstance(meta, dict) else {}


class _CappedClient(NotebookClient):
    """A NotebookClient that keeps at most `output_limit` characters of output per cell."""

    output_limit = DEFAULT_OUTPUT_LIMIT

    def output(self, outs, msg, display_id, cell_index):
        kept = sum(len(json.dumps(o)) for o in outs) if len(outs) < 50 else self.output_limit
        if msg["msg_type"] == "error":
            content = msg["content"]
            outs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=str(content.get("ename", ""))[:200],
                    evalue=str(content.get("evalue", ""))[:500],
                    traceback=[],
                )
            )
            return None
        if kept >= self.output_limit:
            if not any(o.get("name") == "rnncourse-truncated" for o in outs):
                outs.append(
                    nbformat.v4.new_output(
                        "stream", name="rnncourse-truncated", text="[output truncated by rnncourse grade]"
                    )
                )
            return None
        return super().output(outs, msg, display_id, cell_index)


@dataclass
class _Cell:
    index: int  # position in the learner's notebook, or -1 for an injected answer cell
    source: str
    qid: str | None = None  # set for the grader's injected answer cells
    check: str | None = None  # set for the notebook's check cells


_ANSWER_CELL = (
    "import rnncourse.exercises as _rnncourse_grader_ex\n"
    "_rnncourse_grader_ex.write_answer({qid!r}, globals().get({name!r}, _rnncourse_grader_ex.MISSING), "
    "{seed}, {path!r})"
)


async def _run_once(
    cells: list[_Cell],
    skip: set[int],
    *,
    cwd: Path,
    cell_timeout: int,
    deadline: float,
    output_limit: int,
    status: dict[int, str],
    check_output: dict[str, str],
) -> int | None:
    """Run `cells` (except `skip`) in a fresh kernel. Returns the position of a cell that killed or hung the
    kernel (to skip on the next attempt), or None when the run got to the end."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.source) for c in cells]
    client = _CappedClient(
        nb,
        timeout=cell_timeout,
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        record_timing=False,
        shutdown_kernel="immediate",
        iopub_timeout=10,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.output_limit = output_limit
    # The kernel's own stdout/stderr (C-level logs such as TensorFlow's) are not the notebook's output.
    async with client.async_setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        for position, (cell, nb_cell) in enumerate(zip(cells, nb.cells, strict=True)):
            if position in skip:
                continue
            # Learner cells share the notebook's deadline; each answer cell has its own cell_timeout.
            limit = cell_timeout * 2 + 5
            if cell.qid is None:
                limit = min(limit, deadline - time.monotonic())
                if limit <= 0:
                    status[position] = "deadline"
                    continue
            started = time.monotonic()
            try:
                await asyncio.wait_for(client.async_execute_cell(nb_cell, position), timeout=limit)
            except DeadKernelError:  # nbclient also reports a cancelled (hung) cell this way
                hung = time.monotonic() - started >= limit - 0.5
                status[position] = (
                    ("hung" if cell.qid is None or limit >= cell_timeout else "deadline") if hung else "died"
                )
                return position
            except TimeoutError:
                status[position] = "hung" if cell.qid is None or limit >= cell_timeout else "deadline"
                return position
            errors = [o for o in nb_cell.outputs if o.get("output_type") == "error"]
            if (
                errors
                and errors[-1].get("ename") == "KeyboardInterrupt"
                and time.monotonic() - started >= cell_timeout
            ):
                status[position] = "timeout"
            elif errors:
                ename, evalue = errors[-1].get("ename"), errors[-1].get("evalue")
                status[position] = (f"{ename}: {evalue}" if evalue else str(ename))[:200]
            else:
                status[position] = "ok"
            if cell.check:
                printed = "".join(
                    o.get("text", "") for o in nb_cell.outputs if o.get("output_type") == "stream"
                )
                check_output[cell.check] = printed[:2000]
    return None


async def _grade_async(
    path: Path, *, seed: int | None, cell_timeout: int, timeout: int, output_limit: int
) -> NotebookGrade:
    started = time.monotonic()
    grade = NotebookGrade(path=str(path), exercise=None)
    try:
        nb, name = _read(path)
    except GradingError as error:
        grade.error = str(error)
        return grade
    grade.exercise = name
    questions = exercises.questions_for(name)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    # Build the grader's own test cases (and load any data they need) before the learner's code runs.
    for question in questions:
        question.make_cases(seed)

    workdir = Path(tempfile.mkdtemp(prefix="rnncourse-grade-"))
    try:
        cells = [
            _Cell(i, c.source, check=_meta(c).get("check"))
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.source.strip()
        ]
        answer_paths = {}
        for question in questions:
            answer_path = workdir / f"{question.qid}.json"
            answer_paths[question.qid] = answer_path
            cells.append(
                _Cell(
                    -1,
                    _ANSWER_CELL.format(
                        qid=question.qid, name=question.answer_name, seed=seed, path=str(answer_path)
                    ),
                    question.qid,
                )
            )
        skip: set[int] = set()
        deadline = started + timeout
        status: dict[int, str] = {}
        for _attempt in range(_MAX_RESTARTS + 1):
            for answer_path in answer_paths.values():
                answer_path.unlink(missing_ok=True)
            status = {}
            grade.check_output = {}
            bad = await _run_once(
                cells,
                skip,
                cwd=path.resolve().parent,
                cell_timeout=cell_timeout,
                deadline=deadline,
                output_limit=output_limit,
                status=status,
                check_output=grade.check_output,
            )
            if bad is None:
                break
            skip.add(bad)
            what = "killed the kernel" if status.get(bad) == "died" else "could not be interrupted"
            label = f"cell {cells[bad].index + 1}" if cells[bad].qid is None else f"checking {cells[bad].qid}"
            grade.notes.append(f"{label} {what}; re-running the notebook in a fresh kernel without it")
        else:
            grade.notes.append("gave up re-running the notebook after repeated kernel failures")

        for position, cell in enumerate(cells):
            state = status.get(position, "not run" if position not in skip else "skipped")
            if cell.qid is not None or state == "ok":
                continue
            label = f"cell {cell.index + 1}"
            if state == "timeout":
                grade.notes.append(f"{label} ran past {cell_timeout} s and was interrupted")
            elif state == "deadline":
                grade.notes.append(f"{label} was not run: the notebook ran past its {timeout} s limit")
            elif state not in {"skipped", "not run", "died", "hung"}:
                grade.notes.append(f"{label} raised {state}")

        for question, position in zip(questions, [i for i, c in enumerate(cells) if c.qid], strict=True):
            state = status.get(position, "skipped")
            answer_path = answer_paths[question.qid]
            if answer_path.is_file() and answer_path.stat().st_size <= exercises.MAX_ANSWER_BYTES:
                result = exercises.verdict_from_json(question.qid, answer_path.read_bytes(), seed)
            else:
                reason = {
                    "timeout": f"your {question.answer_name} ran past {cell_timeout} s on the test cases",
                    "hung": f"your {question.answer_name} ran past {cell_timeout} s and ignored interrupts",
                    "died": f"calling your {question.answer_name} killed the kernel",
                    "skipped": "not checked: the kernel failed while running it",
                    "deadline": "not checked: the notebook ran past its time limit",
                }.get(state, "no answer was recorded (the kernel was broken by the notebook's code)")
                if answer_path.is_file():
                    reason = "your answer is far too large"
                result = exercises.Result(question.qid, False, question.points, 0, reason)
            grade.questions.append(
                QuestionGrade(
                    question.qid,
                    question.number,
                    question.answer_name,
                    question.title,
                    question.points,
                    result.earned,
                    result.passed,
                    result.reason,
                )
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        grade.seconds = time.monotonic() - started
    return grade


def grade_notebook(
    path: str | os.PathLike,
    *,
    seed: int | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    timeout: int = DEFAULT_TIMEOUT,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
) -> NotebookGrade:
    """Grade one exercise notebook in a fresh kernel; see the module docstring for what happens.

    Args:
        path: the notebook file.
        seed: seed of the test cases; default: a fresh random one for each run.
        cell_timeout: seconds a cell may run before it is interrupted. Default: 60.
        timeout: seconds the learner's cells may run in all. Default: 300.
        output_limit: characters of output kept per cell. Default: 20,000.

    Returns:
        A `NotebookGrade`; when the file cannot be graded its `error` says why and `questions` is empty.

    Example:
        >>> grade = grade_notebook("01_the_rnn_unit_exercises.ipynb")  # doctest: +SKIP
        >>> grade.score, grade.total  # doctest: +SKIP
        (6, 6)
    """
    return grade_notebooks(
        [path], seed=seed, cell_timeout=cell_timeout, timeout=timeout, output_limit=output_limit
    )[0]


def grade_notebooks(
    paths: Sequence[str | os.PathLike],
    *,
    jobs: int = 1,
    seed: int | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    timeout: int = DEFAULT_TIMEOUT,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
) -> list[NotebookGrade]:
    """Grade several notebooks, `jobs` kernels at a time (one kernel per notebook); results in input order."""
    for name, value in (
        ("jobs", jobs),
        ("cell_timeout", cell_timeout),
        ("timeout", timeout),
        ("output_limit", output_limit),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"expected a positive integer for {name}, got {value!r}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")

    async def run_all() -> list[NotebookGrade]:
        gate = asyncio.Semaphore(jobs)

        async def one(path):
            async with gate:
                return await _grade_async(
                    Path(path),
                    seed=seed,
                    cell_timeout=cell_timeout,
                    timeout=timeout,
                    output_limit=output_limit,
                )

        return await asyncio.gather(*(one(p) for p in paths))

    return asyncio.run(run_all())


# ----------------------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str, width: int) -> str:
    text = _CONTROL.sub("?", " ".join(str(text).split()))
    return text if len(text) <= width else text[: width - 3] + "..."


def format_table(grade: NotebookGrade) -> str:
    """The score table of one notebook, as printed by `rnncourse grade`."""
    lines = [f"== {grade.path}"]
    if grade.error:
        lines.append(f"   ERROR: {grade.error}")
        return "\n".join(lines)
    lines.append(f"   {grade.exercise}: {grade.score}/{grade.total} points ({grade.seconds:.1f} s)")
    lines.append(f"   {'question':<28} {'points':>6}  {'result':<7} reason")
    for q in grade.questions:
        label = _clean(f"Q{q.number} {q.answer_name}", 28)
        result = "passed" if q.passed else "failed"
        reason = "" if q.passed else _clean(q.reason, 160)
        lines.append(f"   {label:<28} {f'{q.earned}/{q.points}':>6}  {result:<7} {reason}")
    for note in grade.notes:
        lines.append(f"   note: {_clean(note, 200)}")
    return "\n".join(lines)
