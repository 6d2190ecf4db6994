"""Sphinx configuration of the course site: `python3 tasks.py site` builds it into build/site/.

The source folder is the repository itself, narrowed by `include_patterns` to the README (the front page),
the pages in docs/, the notebooks (rendered with their stored outputs, never re-run), the data notes and the
READMEs of studies/ and benchmarks/, so every link between them works on the site as it does in the
repository. Formulas are typeset by MathJax shipped inside the site (sphinx-mathjax-offline), so the site
works without a network.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

project = "rnncourse"
author = "the rnncourse authors"
copyright = "the rnncourse authors, MIT licence"

extensions = ["myst_nb", "sphinx.ext.mathjax", "sphinx-mathjax-offline"]
root_doc = "README"
include_patterns = [
    "*.md",  # README.md, and the pages it links to (CHANGELOG.md)
    "docs/*.md",  # the library reference, teaching and grading, contributing
    "notebooks/*.ipynb",
    "notebooks/exercises/*.ipynb",
    "notebooks/exercises/solutions/*.ipynb",
    "datasets/README.md",
    "studies/README.md",
    "benchmarks/README.md",
]
exclude_patterns = [".*", "build", "my-work", "node_modules"]

nb_execution_mode = "off"  # outputs as stored (and tested by nbval)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # links to headings, like docs/contributing.md's `#tests`

html_theme = "sphinx_book_theme"
html_title = "rnncourse"
html_theme_options = {"show_toc_level": 2}

# Navigation, in course order: section caption -> globs of documents (relative to the repository root).
SECTIONS = {
    "Course": ["notebooks/*.ipynb"],
    "Exercises": ["notebooks/exercises/*.ipynb"],
    "Solutions": ["notebooks/exercises/solutions/*.ipynb"],
    "About": [
        "docs/library.md",
        "docs/teaching.md",
        "docs/contributing.md",
        "datasets/README.md",
        "studies/README.md",
        "benchmarks/README.md",
        "*.md",
    ],
}


def _toctree(caption: str, patterns: list[str]) -> str:
    paths = [path for pattern in patterns for path in sorted(ROOT.glob(pattern))]
    docs = [path.relative_to(ROOT).with_suffix("").as_posix() for path in paths]
    docs = [doc for doc in docs if doc != root_doc]
    return f"\n\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n" + "\n".join(docs) + "\n```\n"


def _add_navigation(app, docname: str, source: list[str]) -> None:
    # The README stays plain Markdown for the repository; the site's table of contents is added here.
    if docname == root_doc:
        source[0] += "".join(_toctree(caption, patterns) for caption, patterns in SECTIONS.items())


def _write_index(app, exception) -> None:
    # Static hosts and browsers look for index.html; the front page is README.html.
    if exception is None:
        (Path(app.outdir) / "index.html").write_text(
            '<!DOCTYPE html><meta charset="utf-8"><title>rnncourse</title>'
            '<meta http-equiv="refresh" content="0; url=README.html"><a href="README.html">rnncourse</a>\n',
            encoding="utf-8",
        )


def setup(app):
    app.connect("source-read", _add_navigation)
    app.connect("build-finished", _write_index)
