"""nbval compares a stored output only where a cell says it is machine-independent, and checks that claim.

A number that comes out of training, sampling or a clock (a trained network, a fitted baseline, a sampled
text, a timing) depends on library versions, the CPU and the order of its floating-point sums: the last
digits differ from one machine to the next, and a trained model amplifies them. Such a number is never
compared digit for digit; the claim it supports is asserted with a margin instead.

The rule is kept the way that cannot miss a case: nbval runs in *lax* mode (``--nbval-lax`` in
pyproject.toml), where a cell's output is compared only if the cell says ``# NBVAL_CHECK_OUTPUT``. A new
training loop, however it is written, is therefore never compared unless someone marks its cell. This module
checks the marks: a marked cell must not read a name that holds something trained, sampled or timed,
followed through every notebook statement by statement (a name assigned from a fitting, sampling or timing
call, or from an expression that reads such a name, holds one too; so does every name bound in a cell that
runs a training loop). A marked cell whose numbers are exact although it reads such a name (an n-gram model
is counted, not optimised; a table whose printed rows are the naive forecasts) says why on a comment line
starting ``# exact:``. The tests also run every notebook's kernel with one thread for TensorFlow and BLAS
(``conftest.py``), another order of floating-point sums than the one the notebooks were stored with: a
marked output that depends on that order fails here, as it would on another CPU.
"""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "notebooks" / "exercises" / "solutions").glob("*.ipynb")
)

# Calls whose result is fitted, sampled or timed: the generic names of scikit-learn, Keras, NumPy and SciPy,
# the clocks, and the library's helpers that fit, train or sample inside.
TAINTING_CALLS = {
    # scikit-learn and Keras
    "fit", "fit_transform", "fit_predict", "train_on_batch",
    # NumPy and SciPy least squares and optimisers
    "polyfit", "lstsq", "curve_fit", "minimize", "least_squares",
    # clocks
    "perf_counter", "perf_counter_ns", "monotonic", "process_time", "time", "timeit",
    # rnncourse
    "linear_window_forecast", "bag_of_words_baseline", "fit_with_early_stopping", "over_seeds", "run_task",
}  # fmt: skip
# A call whose name starts so draws from a model (`sample_from_logits`, `sample_text`, `generate`).
SAMPLING_PREFIXES = ("sample", "generate")
# Inside a loop, a call of one of these (or of a name holding "grad" or "backward") makes the cell a training
# cell: every name it binds holds something trained.
TRAINING_CALLS = {"apply_gradients", "apply", "update", "minimize", "step", "assign_sub", "assign_add"}
CHECK_MARKER = "NBVAL_CHECK_OUTPUT"
EXACT_NOTE = re.compile(r"^\s*#\s*exact:\s*\S", re.MULTILINE)


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _taints(name: str | None) -> bool:
    return name is not None and (name in TAINTING_CALLS or name.startswith(SAMPLING_PREFIXES))


# Methods that change the object they are called on: `model.fit(x, y)` makes `model` fitted.
FITTING_METHODS = {"fit", "fit_transform", "fit_predict", "train_on_batch"}
# Methods that put their arguments into the object: `rows.append(fitted)` makes `rows` fitted.
FILLING_METHODS = {"append", "extend", "insert", "update", "add", "setdefault", "__setitem__"}


def _receiver(node: ast.Call) -> str | None:
    """`model` in `model.fit(...)` or `model.layers[0].fit(...)`: the name whose object the call changes."""
    target = node.func.value if isinstance(node.func, ast.Attribute) else None
    while isinstance(target, ast.Attribute | ast.Subscript):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _assigned_names(target: ast.expr) -> set[str]:
    """Names bound or changed by an assignment target (`a`, `a, b`, `a[k]`, `a.x`)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_assigned_names(t) for t in target.elts))
    if isinstance(target, ast.Subscript | ast.Attribute | ast.Starred):
        return _assigned_names(target.value)
    return set()


def trains(tree: ast.AST) -> bool:
    """Whether code runs a training loop: a loop that calls an update or a gradient, or subtracts in place."""
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.For | ast.AsyncFor | ast.While):
            continue
        for node in ast.walk(loop):
            if isinstance(node, ast.Call):
                name = _call_name(node) or ""
                if name in TRAINING_CALLS or "grad" in name.lower() or "backward" in name.lower():
                    return True
            if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Sub):
                return True
    return False


class TaintTracker:
    """Which names hold something trained, sampled or timed, followed statement by statement through cells.

    A name becomes tainted when it is assigned from an expression that calls a tainting function or reads a
    tainted name, when a fitting method is called on it, when a loop walks over something tainted, or when a
    cell that runs a training loop binds or changes it; it stops being tainted when it is bound again to
    something that is not. A function whose body reads a tainted name, or that trains, is a tainting call.
    """

    def __init__(self) -> None:
        self.tainted: set[str] = set()
        self.sources = set(TAINTING_CALLS)

    def reads_tainted(self, node: ast.AST) -> bool:
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in self.tainted:
                return True
            if isinstance(child, ast.Call) and (
                _taints(_call_name(child)) or _call_name(child) in self.sources
            ):
                return True
        return False

    def _bind(self, targets: list[ast.expr], tainted: bool) -> None:
        for target in targets:
            names = _assigned_names(target)
            if tainted:
                self.tainted |= names
            elif isinstance(target, ast.Name):  # `a[k] = 1` leaves a tainted `a` tainted
                self.tainted -= names

    def _statement(self, node: ast.stmt) -> None:
        for call in ast.walk(node):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            receiver = _receiver(call)
            arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
            if receiver is not None and (
                call.func.attr in FITTING_METHODS  # `model.fit(x, y)`
                or (call.func.attr in FILLING_METHODS and any(map(self.reads_tainted, arguments)))
            ):  # `rows.append({"slope": fitted_slope})`
                self.tainted.add(receiver)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if self.reads_tainted(node) or trains(node):
                self.sources.add(node.name)
            return
        if isinstance(node, ast.Assign):
            self._bind(node.targets, self.reads_tainted(node.value))
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            if self.reads_tainted(node.value):
                self._bind([node.target], True)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._bind([node.target], self.reads_tainted(node.iter))
        for comprehension in (n for n in ast.walk(node) if isinstance(n, ast.comprehension)):
            if self.reads_tainted(comprehension.iter):
                self.tainted |= _assigned_names(comprehension.target)
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, field, []):
                if isinstance(child, ast.ExceptHandler):
                    for statement in child.body:
                        self._statement(statement)
                else:
                    self._statement(child)

    def _train(self, tree: ast.Module) -> None:
        """A training cell: every name it binds or calls a method on holds something trained."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.tainted.add(node.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = _receiver(node)
                if receiver is not None:
                    self.tainted.add(receiver)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.sources.add(node.name)

    def run_cell(self, tree: ast.Module) -> None:
        for _ in range(2):  # twice, so that a loop's later statements reach its earlier ones
            for statement in tree.body:
                self._statement(statement)
        if trains(tree):
            self._train(tree)


def _markers(cell) -> set[str]:
    """A cell's nbval markers, read as nbval reads them: a comment line holding the marker alone, or a tag."""
    comments = {
        line.strip().lstrip("#").strip() for line in cell.source.splitlines() if line.strip().startswith("#")
    }
    tags = {tag.upper().replace("-", "_") for tag in cell.get("metadata", {}).get("tags", [])}
    return comments | tags


def _code(cell) -> str:
    """A cell's source as Python: IPython magics and shell lines dropped."""
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / "notebooks" / "nbval_sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def compared_text(cell) -> str:
    """The text nbval compares for a cell, after the project's sanitisers; figures' reprs left out."""
    texts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            data = output.get("data", {})
            if any(key.startswith("image/") for key in data):
                continue  # a figure: nbval compares its text repr only, "<Figure size ... with 1 Axes>"
            shown = ("text/plain", "text/html", "text/markdown")
            texts.extend(str(data[key]) for key in shown if key in data)
    text = "\n".join(texts)
    for pattern, replacement in _sanitizers():
        text = pattern.sub(replacement, text)
    return text


def depends_on_taint(tree: ast.Module, tracker: TaintTracker) -> bool:
    """Whether a cell (already run by `tracker`) can show something trained, sampled or timed.

    It can if it trains, reads a tainted name, or calls a tainting function anywhere but as the whole value of
    an assignment to plain names (`START = time.perf_counter()` in a Setup cell shows nothing timed; the
    name it binds is tainted for the cells that read it).
    """
    if trains(tree):
        return True
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if loads & tracker.tainted:
        return True
    plain = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets)
    }
    return any(
        isinstance(node, ast.Call)
        and (_taints(_call_name(node)) or _call_name(node) in tracker.sources)
        and id(node) not in plain
        for node in ast.walk(tree)
    )


def compared_cells_that_depend_on_training(nb) -> list[str]:
    """Cells marked for comparison that read something trained, sampled or timed, with no `# exact:` note."""
    tracker, problems = TaintTracker(), []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_code(cell))
        except SyntaxError:
            continue
        tracker.run_cell(tree)
        if CHECK_MARKER not in _markers(cell) or EXACT_NOTE.search(cell.source):
            continue
        if depends_on_taint(tree, tracker):
            first = (compared_text(cell).strip().splitlines() or [""])[0][:80]
            problems.append(f"cell {index}: prints {first!r}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_no_compared_output_depends_on_training(path):
    problems = compared_cells_that_depend_on_training(nbformat.read(path, as_version=4))
    assert not problems, (
        f"{path.name}: these cells are marked `# {CHECK_MARKER}` but read something trained, sampled or "
        "timed, whose digits differ from one CPU to the next; remove the marker and assert the claim with a "
        "margin (or, if every printed number is exact, say why on a line `# exact: ...`):\n  "
        + "\n  ".join(problems)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_no_cell_carries_the_markers_of_the_strict_mode(path):
    # In lax mode nothing is compared unless marked: `NBVAL_IGNORE_OUTPUT` would suggest that unmarked cells
    # are compared, the rule this project left (docs/contributing.md, "Tests").
    nb = nbformat.read(path, as_version=4)
    stale = [i for i, cell in enumerate(nb.cells) if "NBVAL_IGNORE_OUTPUT" in _markers(cell)]
    assert not stale, f"{path.name}: cells {stale} carry NBVAL_IGNORE_OUTPUT; unmarked cells are not compared"
    # Nor may the prose still teach the old rule (five Setup cells said "cells that print such numbers start
    # with NBVAL_IGNORE_OUTPUT" for two stops after the rule changed).
    prose = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "NBVAL_IGNORE" in c.source]
    assert not prose, f"{path.name}: markdown cells {prose} describe NBVAL_IGNORE_OUTPUT, a marker not used"


def test_nbval_compares_only_marked_cells():
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    options = addopts.split()
    assert "--nbval-lax" in options and "--nbval" not in options, addopts


def test_some_cells_are_compared():
    # Lax mode must not turn into "nothing is compared": the deterministic cells of every course notebook
    # (shapes, counts, NumPy checks, versions) keep their stored outputs under test.
    for path in NOTEBOOKS:
        if path.parent.name == "notebooks":
            nb = nbformat.read(path, as_version=4)
            assert any(CHECK_MARKER in _markers(c) for c in nb.cells if c.cell_type == "code"), path.name


def _notebook(*sources: str, output: str = "0.753") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for source in sources:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    return nb


MARK = "# NBVAL_CHECK_OUTPUT\n"


@pytest.mark.parametrize(
    "cells",
    [
        ("clf = LogisticRegression().fit(X, y)", MARK + "print(clf.score(X, y))"),
        ("model.fit(x, y)", "acc = model.evaluate(x, y)", MARK + "print(f'{acc:.3f}')"),
        (
            "bow = baselines.bag_of_words_baseline(t, y)",
            MARK + "accuracy = {'bow': metrics.accuracy(y, bow.predict(t))}\npd.Series(accuracy)",
        ),
        (
            "def train(seed):\n    m = build(seed)\n    m.fit(x, y)\n    return m",
            "runs = [train(s) for s in S]",
            MARK + "print(runs[0].evaluate(x, y))",
        ),
        ("r2 = {}\nfor k in K:\n    p = Ridge().fit(a, b)\n    r2[k] = p.score(a, b)", MARK + "print(r2)"),
        ("slope = np.polyfit(t, np.log(n), 1)[0]", MARK + "print(np.exp(-slope))"),
        (
            "rows = []\nfor n in norms:\n    rows.append({'f': np.polyfit(t, n, 1)[0]})",
            MARK + "print(pd.DataFrame(rows))",
        ),
        # notebook 06's NumPy language model, trained by a loop written in the notebook (issue 26)
        (
            "losses, val = [], {}\nfor step in range(500):\n    g = ref.rnn_backward(x, hs, d, W_x, W_h, b)\n"
            "    adam.update(g)\n    if step % 50 == 0:\n        val[step] = val_bits()",
            MARK + "pd.Series(val).round(3)",
        ),
        ("for epoch in range(3):\n    W -= lr * grad(W)", MARK + "print(W @ x)"),
        (
            "start = time.perf_counter()\nrun()\nseconds = time.perf_counter() - start",
            MARK + "print(f'{seconds:.0f} s')",
        ),
        ("text = language.sample_text(model, vocab, 'ROMEO:')", MARK + "print(len(set(text.split())))"),
        (
            "def f():\n    for _ in range(9):\n        opt.apply_gradients(zip(g, w))",
            MARK + "f()\nprint(w[0])",
        ),
    ],
    ids=[
        "fit-then-score",
        "fit-changes-its-receiver",
        "library-helper",
        "function-that-fits",
        "loop",
        "polyfit",
        "list-filled-with-fits",
        "hand-written-training-loop",
        "in-place-descent",
        "timing",
        "sampling",
        "function-that-trains",
    ],
)
def test_the_check_finds_compared_outputs_that_depend_on_training(cells):
    problems = compared_cells_that_depend_on_training(_notebook(*cells))
    assert problems == [f"cell {len(cells) - 1}: prints '0.753'"]


@pytest.mark.parametrize(
    "cells",
    [
        ("clf = LogisticRegression().fit(X, y)", "print(clf.score(X, y))"),  # not marked: not compared
        ("clf = LogisticRegression().fit(X, y)", MARK + "print(len(X))"),  # reads nothing fitted
        ("slope = np.polyfit(t, n, 1)[0]", "slope = 2.0", MARK + "print(slope)"),  # bound again: not fitted
        ("probe = Ridge().fit(a, b)", MARK + "print(np.mean(a))"),  # `np` is not changed by a fit
        (
            "h = np.zeros(4)\nfor x in xs:\n    h = np.tanh(W @ x + U @ h)",
            MARK + "print(h)",
        ),  # a forward loop
        (
            MARK + "START = time.perf_counter()\nprint(rnncourse.__version__)",
        ),  # the clock's value is not shown
        (
            "ngram = CharNGramModel(5, 79).fit(ids)",
            MARK + "# exact: an n-gram is counted, not optimised\nprint(ngram.bits_per_char(v))",
        ),
    ],
    ids=[
        "unmarked",
        "reads-nothing-fitted",
        "bound-again",
        "module-untouched",
        "forward-loop",
        "clock-started",
        "exact-note",
    ],
)
def test_the_check_lets_exact_outputs_through(cells):
    assert compared_cells_that_depend_on_training(_notebook(*cells)) == []


def test_a_marker_with_words_after_it_is_not_one():
    # nbval reads `# NBVAL_CHECK_OUTPUT (a note)` as an ordinary comment: the cell is not compared.
    cells = ("clf = LogisticRegression().fit(X, y)", "# NBVAL_CHECK_OUTPUT (fitted)\nprint(clf.score(X, y))")
    assert compared_cells_that_depend_on_training(_notebook(*cells)) == []


def test_a_metadata_tag_marks_a_cell_too():
    nb = _notebook("clf = LogisticRegression().fit(X, y)", "print(clf.score(X, y))")
    nb.cells[-1].metadata["tags"] = ["nbval-check-output"]
    assert compared_cells_that_depend_on_training(nb) == ["cell 1: prints '0.753'"]
