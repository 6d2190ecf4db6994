"""The library points back to the lessons: every public function and class of rnncourse has a `Taught in:`
paragraph in its docstring, the notebooks bear each one out (the notebook exists, the section is one of its
headings, and that section uses the name), and the index on docs/library.md, which links each name to its
lesson on the site, is written from them. scripts/lessons.py reads the notebooks and the tags."""

import json
from pathlib import Path

import lessons
import pytest

ROOT = Path(__file__).resolve().parents[1]

FIX = (
    "\n\nEach line is a name whose `Taught in:` paragraph the notebooks do not bear out, with the paragraph"
    " they call for now. A renamed or renumbered heading of a notebook needs the tags that name it changed"
    " too; `python3 tasks.py lessons` lists the same, and `--write` then rewrites the index of"
    " docs/library.md."
)


@pytest.fixture(scope="module")
def notebooks():
    return {path: lessons.read_notebook(path) for path in lessons.course_notebooks()}


@pytest.fixture(scope="module")
def tags():
    return {qualname: lessons.read_tag(obj) for qualname, obj in lessons.public_names().items()}


def test_every_public_function_and_class_says_where_it_is_taught(tags, notebooks):
    assert len(tags) > 100  # all of the modules' __all__, not a few of them
    found = lessons.problems(tags, notebooks)
    assert found == {}, "\n".join(f"{name}: {problem}" for name, problem in found.items()) + FIX


def test_the_library_page_index_is_written_from_the_tags(tags):
    page = lessons.LIBRARY_PAGE.read_text(encoding="utf-8")
    start, end = page.index(lessons.INDEX_START) + len(lessons.INDEX_START), page.index(lessons.INDEX_END)
    up_to_date = page[start:end].strip() == lessons.index(tags)
    assert up_to_date, "docs/library.md's index is out of date: run `python3 tasks.py lessons --write`"


def test_the_index_links_to_the_headings_on_the_site():
    # The anchors MyST gives the headings (myst_heading_anchors in site/conf.py); the site build (`-W`) fails
    # on a link to an anchor that does not exist, and tests/test_browser.py follows every link.
    slugify = pytest.importorskip("myst_parser.mdit_to_docutils.base").default_slugify
    headings = [
        "3. An RNN language model",
        "3. A whole sequence: NumPy, `VanillaRNN` and `SimpleRNN` agree",
        "Q1 (2 points) -- one RNN step",
        "7. What the model cannot know: tomorrow's calendar",
        "5 · LSTM and GRU side by side",
        "2. The baseline: n-gram models, and where more context stops paying",
    ]
    for heading in headings:
        assert lessons.slug(heading) == slugify(heading), heading
    assert lessons.slug("3. An RNN language model") == "3-an-rnn-language-model"


# ----------------------------------------------------------------------------------------------------
# The checks can fail: each kind of rot is caught, on a notebook written here.
# ----------------------------------------------------------------------------------------------------


def _notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    code = {"outputs": [], "execution_count": None}
    notebook = {
        "cells": [
            {"cell_type": kind, "source": source, "metadata": {}, **(code if kind == "code" else {})}
            for kind, source in cells
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.fixture
def lesson(tmp_path, monkeypatch):
    monkeypatch.setattr(lessons, "ROOT", tmp_path)
    (tmp_path / "notebooks" / "exercises").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "library.md").write_text("# The library\n", encoding="utf-8")
    path = _notebook(tmp_path / "notebooks" / "01_lesson.ipynb", [
        ("markdown", "# 01 — A lesson\n\n## Setup"),
        ("code", "%matplotlib inline\nfrom rnncourse import timeseries as ts\n"
                 "from rnncourse.metrics import mae"),
        ("markdown", "## 1. Windows\n\nWe cut windows with `ts.window_arrays`"
                     " (see also `rnncourse.text.tbptt_batches`)."),
        ("code", "X, y = ts.window_arrays(series, 4)"),
        ("markdown", "## 2. A split of your own\n\nWrite `chronological_split(df)` (yours)."),
        ("code", "def chronological_split(df):\n    return df\nprint(mae(y, y))"),
    ])  # fmt: skip
    return {path: lessons.read_notebook(path)}


def test_a_notebook_is_read_through_its_imports(lesson):
    sections = {s.heading: s.uses for s in next(iter(lesson.values()))}
    assert list(sections) == ["", "01 — A lesson", "Setup", "1. Windows", "2. A split of your own"]
    assert "rnncourse.timeseries.window_arrays" in sections["1. Windows"]  # in the code and in the prose
    assert "rnncourse.text.tbptt_batches" in sections["1. Windows"]  # named in full in the prose
    assert "rnncourse.metrics.mae" in sections["2. A split of your own"]  # imported by name, called later
    assert "rnncourse.metrics.mae" not in sections["Setup"]  # an import is not a use
    # A learner's function that shares a name with the library's is not the library's.
    assert not any("chronological_split" in use for uses in sections.values() for use in uses)


@pytest.mark.parametrize(("tag", "problem"), [
    ('notebooks/01_lesson.ipynb, section "1. Windows".', None),
    ('notebooks/01_lesson.ipynb, section "1. Windows, renamed".', 'has no heading "1. Windows, renamed"'),
    ('notebooks/01_lesson.ipynb, section "2. A split of your own".', "(the notebook uses it elsewhere)"),
    ('notebooks/02_lesson.ipynb, section "1. Windows".', "is not a course notebook"),
    ("none of the notebooks (library only; see docs/library.md).", "01_lesson.ipynb use it"),
    ("none of the notebooks (library only; see docs/nowhere.md).", "docs/nowhere.md does not exist"),
    ("notebook 01, section 1.", "unreadable `Taught in:` paragraph"),
])  # fmt: skip
def test_each_kind_of_stale_tag_is_caught(lesson, tag, problem):
    def window_arrays():
        pass

    window_arrays.__doc__ = f"Windows.\n\n    Taught in: {tag}\n\n    Args:\n        none.\n    "
    found = lessons.problems({"rnncourse.timeseries.window_arrays": lessons.read_tag(window_arrays)}, lesson)
    if problem is None:
        assert found == {}
    else:
        assert problem in found["rnncourse.timeseries.window_arrays"]
        assert (
            'call for: Taught in: notebooks/01_lesson.ipynb, section "1. Windows".'
            in found["rnncourse.timeseries.window_arrays"]
        )


def test_a_missing_or_doubled_tag_is_caught(lesson):
    def no_tag():
        """Windows."""

    def two_tags():
        """Windows.

        Taught in: notebooks/01_lesson.ipynb, section "1. Windows".

        Taught in: notebooks/01_lesson.ipynb, section "1. Windows".
        """

    found = lessons.problems({"a": lessons.read_tag(no_tag), "b": lessons.read_tag(two_tags)}, lesson)
    assert "0 `Taught in:` paragraphs" in found["a"] and "2 `Taught in:` paragraphs" in found["b"]


def test_a_tag_may_wrap_over_lines(lesson):
    def wrapped():
        """Windows.

        Taught in: notebooks/01_lesson.ipynb, section "1.
        Windows".
        """

    assert lessons.problems({"rnncourse.timeseries.window_arrays": lessons.read_tag(wrapped)}, lesson) == {}
