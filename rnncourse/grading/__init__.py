"""Grade exercise notebooks: `rnncourse grade NOTEBOOK... [--key KEY_DIR] [--json FILE] [--csv FILE]`.

Two modes:

- **self-study** (no key): the grader draws fresh test cases for every run from a random seed and computes
  the expected values with the same checks the notebook's check cells use. The reference solutions are in
  the repository, so this mode gives feedback; it cannot stop a learner who wants to cheat.
- **teacher** (`key=` / `--key KEY_DIR`, a folder written by `write_key` / `rnncourse key`): the test cases
  come from a seed of each submission's own (`Key.submission_seed`: an HMAC of the notebook's bytes keyed
  with the key), the sentiment question is tested on held-out sentences whose labels
  only the key holds, and the learner's kernel gets a copy of `rnncourse` *without* the exercise checks
  (`rnncourse.exercises.<notebook modules>`), so no code it can import produces the expected values of a
  check (the course library itself, e.g. `rnncourse.reference.rnn_step`, stays importable: an answer that
  *is* one of its functions is found by identity in the kernel, `exercises.reference_name`, earns nothing and
  gets a note for the teacher). Reasons of failed hidden cases never repeat what the kernel said.

How one notebook is graded (both modes), one job per module:

1. Before the first kernel starts, the grader reads every notebook and the key (`key`; the source of the test
   cases, key or seed, is one `cases.CaseSource` that knows its mode) into memory, imports every check it
   needs, reads the package files and the data files into memory, and records a fingerprint of what a later
   kernel could load (`prepare`, `package_copy.fingerprint`).
2. The notebook runs top to bottom in a fresh Jupyter kernel (`notebook`, `kernel`), errors allowed, in the
   bubblewrap sandbox (`sandbox`: no network, its own PID namespace, nothing of the machine but the system and
   Python read-only and its private folder), with resource limits (`processes`), in a private folder
   (`package_copy`) with an unpredictable name that holds the kernel's HOME, TMPDIR, a fresh read-only copy of
   the package (first on PYTHONPATH), of the data files and of the sentiment cache, written from memory. A
   cell that runs past ``cell_timeout`` is interrupted, and killed with its kernel if it ignores the
   interrupt; the notebook is then re-run in a fresh kernel without that cell (at most
   ``notebook.MAX_RESTARTS`` times). A kernel that does not start is started once more, and otherwise reported
   as a fault of the machine (`NotebookGrade.fault`: an error, not a zero; never cached).
3. After the learner's cells, one grader cell per question sends the test cases (inputs only) into the
   kernel, calls the learner's function and sends the outputs back as a Jupyter display message (never a
   file). The verdict is computed in the grader's process (`scoring`).
4. Every process the notebook started is killed before the next notebook starts (`processes`). If the
   package files (bytecode included), site-packages or the cache changed, the notebook's grade says so and the
   remaining notebooks are not graded (`local`: their kernels could have started from changed files).

Reports are written by the caller after every kernel is dead, atomically (`report.write_report`: JSON,
the CSV gradebook, Gradescope's results.json; `feedback.write_feedback`: a page per learner). With a results
cache (`cache=`, `cache.ResultsCache`) a notebook whose bytes were graded before in the same context gets that
grade without a kernel; the cache is read before the first kernel starts and written after the last is dead.
With a Dask scheduler (`scheduler=`, `cluster`) each notebook still to grade is one task: a worker grades it
as above, in its own sandbox with the same limits, and the grade comes back to this process; in teacher mode
only over TLS (the key goes with each task), and a task lost with its worker is graded on another.

The sandbox (`sandbox`) has three levels, and the grader uses the strongest that works here (`sandbox=None`,
the default; ``RNNCOURSE_SANDBOX`` or ``--sandbox LEVEL`` names one): bubblewrap's namespaces, else, for a
grader run as root where namespaces are refused (Docker, so Gradescope), the container level (each kernel an
unprivileged uid of its own; it cannot cut the network), and it says why each stronger level is not used.
Teacher mode refuses to grade with neither unless told to (`sandbox=False`, `--no-sandbox`), and refuses a
container level whose kernels could read the key; self-study mode grades without a sandbox with a warning.
Each grade names its level (`NotebookGrade.sandbox_level`, in the table, the JSON report, results.json and
the feedback page), and the results cache never reuses a grade of one level under another. Without a
sandbox a kernel runs as you and can read your files (the key included); the limits and the fingerprint
still keep one notebook from changing another's grade.

What hostile or broken notebooks get (tests/test_grader.py and tests/test_sandbox.py check each): a cell
that raises, loops, ignores interrupts, calls `os._exit` or `sys.exit`, allocates past the memory limit,
writes a file past the size limit, starts detached processes or prints 50 MB costs only that cell (a note
says what happened); an answer that loops, exits or raises fails that question with that reason; redefining
the checks in the kernel, or answers hard-wired to the check cells' inputs, earn nothing. In the sandbox,
reading the key through the grader's `/proc` entries or a walk of the file system, connecting to the
network, writing to the teacher's files, signalling the kernel graded beside it, reading the grader's
memory and planting bytecode all fail.

The package, as a reader walks it (this face only re-exports; each step is a module, and imports point down):

- `batch`: `grade_notebooks`, the pipeline: arguments, cases and limits once, then the steps below, the cache.
- `cases`: `CaseSource`, the key (teacher mode) or self-study with a seed: the one place that knows the mode.
- `prepare`: the limits, the sandbox level, the notebooks read, the checks imported, the package hashed.
- `local`: readable notebooks graded here, `jobs` at a time, stopped when a kernel changed the grader's files.
- `notebook`: one notebook in fresh kernels (re-runs without a cell that killed its kernel), then its grade.
- `kernel` (the Jupyter protocol, the answer cells), `scoring` (verdicts and notes), `sandbox` (the levels:
  bubblewrap, container, none), `processes` (limits, killing), `package_copy` (private folder, fingerprint).
- `cluster` (the sender's side of a Dask batch) and `worker` (the task a worker runs: `prepare`, `local`).
- `key`, `cache`, `report`, `gradebook`, `roster`, `feedback`, `gradescope`: what is kept and written.
"""

from rnncourse.grading.batch import (
    DEFAULT_CELL_TIMEOUT,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    grade_notebook,
    grade_notebooks,
)
from rnncourse.grading.cache import ResultsCache
from rnncourse.grading.key import Key, read_key, write_key
from rnncourse.grading.report import (
    GradingError,
    NotebookGrade,
    QuestionGrade,
    format_gradebook,
    format_gradescope,
    format_report,
    format_table,
    write_report,
)

__all__ = [
    "DEFAULT_CELL_TIMEOUT",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "GradingError",
    "Key",
    "NotebookGrade",
    "QuestionGrade",
    "ResultsCache",
    "format_gradebook",
    "format_gradescope",
    "format_report",
    "format_table",
    "grade_notebook",
    "grade_notebooks",
    "read_key",
    "write_key",
    "write_report",
]
