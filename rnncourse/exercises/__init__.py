"""The checks behind the graded exercise notebooks, shared by their check cells and `rnncourse grade`.

Every graded question is a `Question` of the catalogue `QUESTIONS`: the name the learner defines (a
function, e.g. ``rnn_step``), the points it is worth, and, in the notebook's module (`rnn_unit`,
`training`, `forecasting`, `sentiment`, `lstm_gru`, `language_model`, `translation`, `parallel_recurrence`),
a generator of test cases drawn from a seed and a check. A verdict always goes through the same three
steps, in a check cell and in the grader alike:

1. **cases** -- the test cases are drawn (in the grader: in the grader's own process, from a seed it
   draws for the run or from a teacher's key) and encoded as JSON (`codec`);
2. **answer record** -- in the learner's kernel, `answer_record` calls the learner's function on each
   decoded case and encodes what comes back (the grader receives it as a kernel message);
3. **verdict** -- `verdict_from_record` decodes the record and checks it against the cases it was given.

So nothing the learner's notebook does to this package inside its kernel (redefining `check`, printing
"passed") changes a grade: the grader keeps the cases, computes the expected values itself and never
lets the kernel see them. Hints say what is wrong (shape, dtype, which case, a typical mistake recognised)
and never print the expected answer. Keys of a case that start with ``_`` (the labels of the sentiment
sentences) stay with the checker and are not passed to the learner's function.

Example:
    >>> import numpy as np
    >>> from rnncourse import exercises as ex
    >>> def rnn_step(x_t, h_prev, W_x, W_h, b):
    ...     return np.tanh(x_t @ W_x + h_prev @ W_h + b)
    >>> ex.verdict("01.q1", rnn_step).passed
    True
    >>> ex.check("01.q1", rnn_step)  # what a check cell prints
    Q1 rnn_step: passed (2/2 points)
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Sequence
from typing import Any

from rnncourse.exercises.checking import CheckFailed, Question, Result
from rnncourse.exercises.codec import decode, encode
from rnncourse.exercises.data import SENTIMENT_MIN_ACCURACY, example_results_table, sentiment_data

__all__ = [
    "ANSWER_MIME",
    "MAX_ANSWER_BYTES",
    "MISSING",
    "NOTEBOOKS",
    "QUESTIONS",
    "SENTIMENT_MIN_ACCURACY",
    "Question",
    "Result",
    "answer_record",
    "check",
    "encode_cases",
    "example_results_table",
    "get_question",
    "questions_for",
    "reference_name",
    "send_answer_record",
    "sentiment_data",
    "verdict",
    "verdict_from_record",
]

#: Largest encoded answer record accepted (bytes of JSON), in the kernel and in the grader.
MAX_ANSWER_BYTES = 5_000_000
#: The MIME type of the display message that carries an answer record from the kernel to the grader.
ANSWER_MIME = "application/vnd.rnncourse.answer+json"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: Stands for "the learner's notebook does not define this name".
MISSING = _Missing()

NOTEBOOKS: dict[str, str] = {
    "01": "01_the_rnn_unit_exercises",
    "02": "02_training_rnns_exercises",
    "03": "03_forecasting_exercises",
    "04": "04_sentiment_exercises",
    "05": "05_lstm_gru_exercises",
    "06": "06_language_model_exercises",
    "07": "07_translation_exercises",
    "08": "08_parallel_recurrence_exercises",
}

_CATALOGUE = [
    # qid, title, points, answer name, module
    ("01.q1", "one RNN step in NumPy", 2, "rnn_step", "rnn_unit"),
    ("01.q2", "parameter count of a SimpleRNN layer", 1, "simple_rnn_params", "rnn_unit"),
    ("01.q3", "forward pass over a sequence", 2, "rnn_forward", "rnn_unit"),
    ("01.q4", "output shape with and without return_sequences", 1, "rnn_output_shape", "rnn_unit"),
    ("02.q1", "gradient through time of a scalar RNN", 2, "scalar_rnn_gradient", "training"),
    ("02.q2", "backpropagation through time for W_h", 3, "bptt_grad_W_h", "training"),
    ("02.q3", "gradient clipping by global norm", 1, "clip_by_global_norm", "training"),
    ("03.q1", "windowing a series", 2, "make_windows", "forecasting"),
    ("03.q2", "chronological split", 1, "chronological_split", "forecasting"),
    ("03.q3", "seasonal-naive forecast", 1, "seasonal_naive", "forecasting"),
    ("03.q4", "forecast skill against a baseline", 1, "forecast_skill", "forecasting"),
    ("04.q1", "text vectorization by hand", 2, "vectorize", "sentiment"),
    ("04.q2", "masked mean of embeddings", 2, "masked_mean", "sentiment"),
    ("04.q3", "majority-class baseline accuracy", 1, "majority_accuracy", "sentiment"),
    (
        "04.q4",
        f"a sentiment model with test accuracy >= {SENTIMENT_MIN_ACCURACY}",
        3,
        "predict_sentiment",
        "sentiment",
    ),
    ("05.q1", "parameter counts of SimpleRNN, LSTM and GRU", 2, "recurrent_params", "lstm_gru"),
    ("05.q2", "one LSTM step in NumPy", 3, "lstm_step", "lstm_gru"),
    ("05.q3", "choosing a model from measured numbers", 2, "choose_model", "lstm_gru"),
    ("06.q1", "sampling with a temperature", 2, "sample_with_temperature", "language_model"),
    ("06.q2", "bits per character", 1, "bits_per_char", "language_model"),
    ("06.q3", "the truncated-BPTT batch layout", 2, "tbptt_layout", "language_model"),
    ("06.q4", "one smoothed bigram probability", 2, "bigram_probability", "language_model"),
    ("07.q1", "the teacher-forcing shift", 1, "teacher_forcing_arrays", "translation"),
    ("07.q2", "additive attention weights", 2, "additive_attention", "translation"),
    ("07.q3", "one step of beam search", 2, "beam_step", "translation"),
    ("07.q4", "sentence BLEU on characters", 2, "char_bleu", "translation"),
    ("08.q1", "the combine operator of the scan", 2, "combine", "parallel_recurrence"),
    ("08.q2", "one minGRU step in NumPy", 2, "min_gru_step", "parallel_recurrence"),
    ("08.q3", "parameter counts of minGRU, GRU and minLSTM", 1, "min_rnn_params", "parallel_recurrence"),
    ("08.q4", "the log-space scan", 2, "log_recurrence", "parallel_recurrence"),
]

QUESTIONS: dict[str, Question] = {
    qid: Question(qid, NOTEBOOKS[qid[:2]], int(qid[4:]), title, points, name, module)
    for qid, title, points, name, module in _CATALOGUE
}


def get_question(qid: str) -> Question:
    """The `Question` with identifier `qid` (e.g. ``"01.q1"``); raises `KeyError` with the known ids.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    if qid not in QUESTIONS:
        raise KeyError(f"unknown question {qid!r}; expected one of {sorted(QUESTIONS)}")
    return QUESTIONS[qid]


def questions_for(notebook: str) -> list[Question]:
    """The questions of one exercise notebook (its name without ``.ipynb``), in order.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    found = [q for q in QUESTIONS.values() if q.notebook == notebook]
    if not found:
        raise KeyError(
            f"unknown exercise notebook {notebook!r}; expected one of {sorted(NOTEBOOKS.values())}"
        )
    return found


def encode_cases(cases: Sequence[dict]) -> str:
    """The JSON text of test cases as the learner's function receives them (keys starting with ``_``
    left out).

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    return json.dumps([encode({k: v for k, v in case.items() if not k.startswith("_")}) for case in cases])


def _error_text(error: BaseException) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1:]
    text = f"{type(error).__name__}: {error}"
    text = text if len(text) <= 300 else text[:297] + "..."
    return text + (f" (line {frame[0].lineno})" if frame else "")


def reference_name(answer: Any) -> str | None:
    """The name of the library's reference function that `answer` is (``"rnncourse.reference.rnn_step"``),
    however it was imported, aliased or wrapped (`functools.wraps`), or None. It compares objects, not text:
    `answer` itself, the function it wraps and their code with the functions of `rnncourse.reference`.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    import inspect

    from rnncourse import reference

    try:
        inner = inspect.unwrap(answer) if callable(answer) else answer
        codes = {id(getattr(f, "__code__", None)) for f in (answer, inner)} - {id(None)}
        for name, value in vars(reference).items():
            if not inspect.isfunction(value) or value.__module__ != reference.__name__:
                continue
            if value is answer or value is inner or id(value.__code__) in codes:
                return f"rnncourse.reference.{name}"
        code = getattr(inner, "__code__", None)
        reference_file = getattr(reference, "__file__", None)
        if code is not None and reference_file and code.co_filename == reference_file:
            return f"rnncourse.reference.{code.co_name}"  # a copy of one of its functions
    except Exception:  # an object that misbehaves when inspected is no reference function
        return None
    return None


def answer_record(qid: str, answer: Any, cases_json: str) -> str:
    """Call the learner's `answer` on each test case of `cases_json` (from `encode_cases`) and return what
    comes back, encoded as JSON text. This is the part that runs in the learner's kernel.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Never raises for a wrong answer: an exception in the learner's code (`SystemExit` from `exit()`
    included), a missing name or an unencodable result is recorded and becomes a failed check with a
    hint. A `KeyboardInterrupt` (the grader interrupting a function that runs too long) is not caught.
    """
    question = get_question(qid)
    record: dict[str, Any] = {"qid": qid}
    origin = reference_name(answer) if answer is not MISSING else None
    if origin is not None:
        record["reference"] = origin
    if answer is MISSING:
        record["error"] = f"your notebook does not define {question.answer_name!r}; run its answer cell"
    elif not callable(answer):
        record["error"] = f"{question.answer_name} should be a function, got {type(answer).__name__}"
    else:
        outputs = []
        for raw_case in json.loads(cases_json):
            try:
                outputs.append(encode(answer(**decode(raw_case, real_pandas=True))))
            except NotImplementedError:
                record["error"] = f"{question.answer_name} is not written yet (it raises NotImplementedError)"
                break
            except (Exception, SystemExit) as error:  # the learner's code failed: report it, never crash
                outputs.append({"__error__": _error_text(error)})
        record["outputs"] = outputs
    text = json.dumps(record)
    if len(text) > MAX_ANSWER_BYTES:
        text = json.dumps({"qid": qid, "error": "your answer is far too large"})
    return text


def send_answer_record(qid: str, answer: Any, cases_json: str) -> None:
    """What the grader's injected cells call in the kernel: `answer_record`, sent as a display message of
    type `ANSWER_MIME` (never written to a file).

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    from IPython.display import display

    display({ANSWER_MIME: {"record": answer_record(qid, answer, cases_json)}}, raw=True)


def _builtin_error_name(text: str) -> str | None:
    """The exception's name in an error text of `_error_text` when it is one of Python's own (a learner's
    own exception class could be named after what it saw), else None."""
    import builtins

    name = str(text).split(":", 1)[0].split(" (line", 1)[0].strip()
    found = getattr(builtins, name, None) if name.isidentifier() else None
    return name if isinstance(found, type) and issubclass(found, BaseException) else None


def _hidden_record_error(question: Question, error: str) -> str:
    """A record's error as a teacher's grader shows it: one of the texts `answer_record` writes, rebuilt
    from the question (the kernel's words could carry the hidden inputs), or a generic one."""
    name = question.answer_name
    if error.startswith("your notebook does not define"):
        return f"your notebook does not define {name!r}; run its answer cell"
    if error.startswith(f"{name} should be a function"):
        return f"{name} should be a function"
    if error.startswith(f"{name} is not written yet"):
        return f"{name} is not written yet (it raises NotImplementedError)"
    if error == "your answer is far too large":
        return error
    return "the answer could not be run on the test cases"


def verdict_from_record(qid: str, text: str | bytes, cases: Sequence[dict], hidden: bool = False) -> Result:
    """Check an answer record (untrusted: it comes from the kernel) against the test `cases` it answers.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    With `hidden` (a teacher's test cases), a reason never repeats text that came from the kernel: an
    exception raised by the learner's function is named (when it is one of Python's) without its message,
    which could hold the hidden inputs (``raise ValueError(repr(kwargs))``); the check's own reason (what was
    expected, described by the grader) is kept.
    """
    question = get_question(qid)

    def fail(reason: str) -> Result:
        return Result(qid, False, question.points, 0, reason)

    try:
        if len(text) > MAX_ANSWER_BYTES:
            return fail("the answer is far too large")
        record = json.loads(text)
        if not isinstance(record, dict) or record.get("qid") != qid:
            return fail("the answer record is malformed")
        if hidden and "reference" in record:  # the library's own function, not the learner's answer
            origin = str(record["reference"])
            if not re.fullmatch(r"rnncourse\.reference\.\w{1,60}", origin):
                origin = "rnncourse.reference"
            return fail(
                f"your {question.answer_name} is the library's reference function ({origin}), not an answer "
                "of your own"
            )
        if "error" in record:
            error = str(record["error"])
            return fail(_hidden_record_error(question, error) if hidden else error[:400])
        outputs = record.get("outputs")
        if not isinstance(outputs, list) or len(outputs) != len(cases):
            return fail("the answer record is malformed")
        for number, (raw, case) in enumerate(zip(outputs, cases, strict=True), start=1):
            if isinstance(raw, dict) and "__error__" in raw:
                if not hidden:
                    return fail(f"test case {number} of {len(cases)} raised {str(raw['__error__'])[:300]}")
                name = _builtin_error_name(str(raw["__error__"]))
                return fail(
                    f"test case {number} of {len(cases)} raised {name or 'an exception'} (the message is not "
                    "shown: the test case is one of the teacher's hidden ones)"
                )
            try:
                value = decode(raw)
            except (ValueError, TypeError, KeyError):
                return fail(f"test case {number}: could not read what your function returned")
            try:
                question.check_case(value, case)
            except CheckFailed as error:
                return fail(f"test case {number} of {len(cases)}: {error}")
    except Exception as error:  # malformed input must never crash grading
        return fail(f"could not check the answer ({type(error).__name__})")
    return Result(qid, True, question.points, question.points, "passed")


def verdict(qid: str, answer: Any, seed: int = 0) -> Result:
    """The verdict on `answer` for the test cases of `seed` (cases, answer record and check in one go).

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    cases = get_question(qid).make_cases(seed)
    return verdict_from_record(qid, answer_record(qid, answer, encode_cases(cases)), cases)


def check(qid: str, answer: Any, seeds: Sequence[int] = (0, 1)) -> None:
    """What a check cell calls: print whether `answer` passes question `qid`, with a hint when it does not.

    Taught in: notebooks/exercises/01_the_rnn_unit_exercises.ipynb, section "Q1 (2 points) -- one RNN step".

    Runs the test cases of every seed in `seeds` (the grader uses fresh cases of its own, so an answer that
    only works on these inputs does not earn the points).
    """
    question = get_question(qid)
    try:
        result = None
        for seed in seeds:
            result = verdict(qid, answer, seed)
            if not result.passed:
                break
    except ImportError:  # a teacher's grader runs the notebook without the checks
        print(f"Q{question.number} {question.answer_name}: the checks are not available here")
        return
    status = "passed" if result.passed else "not yet"
    line = f"Q{question.number} {question.answer_name}: {status} ({result.earned}/{result.points} points)"
    print(line if result.passed else f"{line} -- {result.reason}")
