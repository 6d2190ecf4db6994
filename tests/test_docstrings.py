"""Every docstring example in rnncourse runs and shows its true output (the style guide asks for a runnable
example). One case per module, found with pkgutil (subpackages included), so a new module is covered
without touching this file. Examples that need the internet are marked `# doctest: +SKIP` in place."""

import doctest
import importlib
import pkgutil

import pytest

import rnncourse
from rnncourse import datasets

MODULES = sorted(info.name for info in pkgutil.walk_packages(rnncourse.__path__, prefix="rnncourse."))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_discovery_reaches_the_subpackages():
    # walk_packages skips a subpackage it cannot import, silently: the cases below would then be too few.
    for name in ("rnncourse.datasets", "rnncourse.exercises.checking", "rnncourse.grading.scoring"):
        assert name in MODULES


@pytest.mark.parametrize("name", ["rnncourse", *MODULES])
def test_docstring_examples(name, monkeypatch):
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)  # the examples read the shipped data
    module = importlib.import_module(name)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    if runner.failures:
        pytest.fail(
            f"{runner.failures} of {runner.tries} docstring examples in {name} failed:\n" + "".join(report),
            pytrace=False,
        )
