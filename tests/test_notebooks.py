"""Stored notebook outputs that nbval compares exactly must not come from a fit.

A number that comes out of an optimiser (a trained network, a logistic regression, a least-squares fit)
depends on library versions, BLAS and the CPU: nbval must not compare it digit for digit. Such a cell is
marked ``# NBVAL_IGNORE_OUTPUT`` and keeps its claim in an ``assert`` with a margin. This module finds the
cells that break the rule by following, through every notebook, which names hold something fitted: a name
assigned from a fitting call (``.fit(...)``, ``np.polyfit``, the library's own fitting helpers, a function
whose body fits) or from an expression that reads a fitted name is fitted too.

A cell that reads a fitted name but prints only numbers that are not fitted (the naive forecasts from a
table that also holds a fitted one, say) says so with ``# NBVAL_CHECK_OUTPUT``.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "notebooks" / "exercises" / "solutions").glob("*.ipynb")
)

# Calls whose result is fitted: the generic names of scikit-learn, Keras, NumPy and SciPy, and the library's
# helpers that fit or train inside.
FITTING_CALLS = {
    # scikit-learn and Keras
    "fit", "fit_transform", "fit_predict", "train_on_batch",
    # NumPy and SciPy least squares and optimisers
    "polyfit", "lstsq", "curve_fit", "minimize", "least_squares",
    # rnncourse
    "linear_window_forecast", "bag_of_words_baseline", "fit_with_early_stopping", "over_seeds", "run_task",
}  # fmt: skip
EXEMPT_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION", "NBVAL_CHECK_OUTPUT")


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


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


class FitTracker:
    """Which names hold something fitted, followed statement by statement through a notebook's cells.

    A name becomes fitted when it is assigned from an expression that calls a fitting function or reads a
    fitted name, when a fitting method is called on it, or when a loop walks over something fitted; it stops
    being fitted when it is bound again to something that is not.
    A function whose body fits is a fitting call.
    """

    def __init__(self) -> None:
        self.fitted: set[str] = set()
        self.sources = set(FITTING_CALLS)

    def reads_fitted(self, node: ast.AST) -> bool:
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in self.fitted:
                return True
            if isinstance(child, ast.Call) and _call_name(child) in self.sources:
                return True
        return False

    def _bind(self, targets: list[ast.expr], fitted: bool) -> None:
        for target in targets:
            names = _assigned_names(target)
            if fitted:
                self.fitted |= names
            elif isinstance(target, ast.Name):  # `a[k] = 1` leaves a fitted `a` fitted
                self.fitted -= names

    def _statement(self, node: ast.stmt) -> None:
        for call in ast.walk(node):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            receiver = _receiver(call)
            arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
            if receiver is not None and (
                call.func.attr in FITTING_METHODS  # `model.fit(x, y)`
                or (call.func.attr in FILLING_METHODS and any(map(self.reads_fitted, arguments)))
            ):  # `rows.append({"slope": fitted_slope})`
                self.fitted.add(receiver)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if self.reads_fitted(node):
                self.sources.add(node.name)
            return
        if isinstance(node, ast.Assign):
            self._bind(node.targets, self.reads_fitted(node.value))
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            if self.reads_fitted(node.value):
                self._bind([node.target], True)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._bind([node.target], self.reads_fitted(node.iter))
        for comprehension in (n for n in ast.walk(node) if isinstance(n, ast.comprehension)):
            if self.reads_fitted(comprehension.iter):
                self.fitted |= _assigned_names(comprehension.target)
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, field, []):
                if isinstance(child, ast.ExceptHandler):
                    for statement in child.body:
                        self._statement(statement)
                else:
                    self._statement(child)

    def run_cell(self, tree: ast.Module) -> None:
        for _ in range(2):  # twice, so that a loop's later statements reach its earlier ones
            for statement in tree.body:
                self._statement(statement)


def _markers(source: str) -> set[str]:
    """The nbval markers of a cell, read as nbval reads them: a comment line holding the marker alone."""
    return {line.strip().lstrip("#").strip() for line in source.splitlines() if line.strip().startswith("#")}


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


def unmarked_fitted_outputs(nb) -> list[str]:
    """Cells that print digits, read a fitted name, and carry none of the markers: one line each."""
    tracker, problems = FitTracker(), []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_code(cell))
        except SyntaxError:
            continue
        tracker.run_cell(tree)
        if _markers(cell.source) & set(EXEMPT_MARKERS):
            continue
        text = compared_text(cell)
        if re.search(r"\d", text) and tracker.reads_fitted(tree):
            first = text.strip().splitlines()[0][:80]
            problems.append(f"cell {index}: prints {first!r}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_no_fitted_number_is_compared_exactly(path):
    problems = unmarked_fitted_outputs(nbformat.read(path, as_version=4))
    assert not problems, (
        f"{path.name}: these cells print numbers from a fit that nbval would compare exactly; mark each "
        "`# NBVAL_IGNORE_OUTPUT` and keep its claim in an assert (or `# NBVAL_CHECK_OUTPUT` if the printed "
        "numbers are not fitted):\n  " + "\n  ".join(problems)
    )


def _notebook(*sources: str, output: str = "0.753") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for source in sources:
        nb.cells.append(nbformat.v4.new_code_cell(source))
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    return nb


@pytest.mark.parametrize(
    "cells",
    [
        ("clf = LogisticRegression().fit(X, y)", "print(clf.score(X, y))"),
        ("model.fit(x, y)", "acc = model.evaluate(x, y)", "print(f'{acc:.3f}')"),
        ("bow = baselines.bag_of_words_baseline(t, y)",
         "accuracy = {'bow': metrics.accuracy(y, bow.predict(t))}\npd.Series(accuracy)"),
        ("def train(seed):\n    m = build(seed)\n    m.fit(x, y)\n    return m",
         "runs = [train(s) for s in S]", "print(runs[0].evaluate(x, y))"),
        ("r2 = {}\nfor k in K:\n    p = Ridge().fit(a, b)\n    r2[k] = p.score(a, b)", "print(r2)"),
        ("slope = np.polyfit(t, np.log(n), 1)[0]", "print(np.exp(-slope))"),
        ("rows = []\nfor n in norms:\n    rows.append({'f': np.polyfit(t, n, 1)[0]})",
         "print(pd.DataFrame(rows))"),
    ],
    ids=["fit-then-score", "fit-changes-its-receiver", "library-helper", "function-that-fits", "loop",
         "polyfit", "list-filled-with-fits"],
)
def test_the_check_finds_fitted_numbers(cells):
    assert unmarked_fitted_outputs(_notebook(*cells)) == [f"cell {len(cells) - 1}: prints '0.753'"]


@pytest.mark.parametrize(
    "cells, output",
    [
        (("clf = LogisticRegression().fit(X, y)", "# NBVAL_IGNORE_OUTPUT\nprint(clf.score(X, y))"), "0.753"),
        (("clf = Ridge().fit(X, y)", "#NBVAL_IGNORE_OUTPUT  \n# (fitted)\nprint(clf.score(X, y))"), "0.753"),
        (("clf = LogisticRegression().fit(X, y)", "print(len(X))"), "7396"),  # reads nothing fitted
        (("clf = LogisticRegression().fit(X, y)", "print(clf.score(X, y))"), "accuracy: good"),  # no digits
        (("print(f'{np.abs(a - b).max():.1e}')",), "8.0e-08"),  # not fitted, and sanitised as round-off
        (("slope = np.polyfit(t, n, 1)[0]", "slope = 2.0", "print(slope)"), "2.0"),  # bound again: not fitted
        (("probe = Ridge().fit(a, b)", "print(np.mean(a))"), "0.5"),  # `np` is not changed by a fit
    ],
)
def test_the_check_lets_marked_and_unfitted_outputs_through(cells, output):
    assert unmarked_fitted_outputs(_notebook(*cells, output=output)) == []


def test_a_marker_with_words_after_it_is_not_one():
    # nbval reads `# NBVAL_IGNORE_OUTPUT (a note)` as an ordinary comment, and compares the output.
    cells = ("clf = LogisticRegression().fit(X, y)", "# NBVAL_IGNORE_OUTPUT (fitted)\nprint(clf.score(X, y))")
    assert unmarked_fitted_outputs(_notebook(*cells)) == ["cell 1: prints '0.753'"]
