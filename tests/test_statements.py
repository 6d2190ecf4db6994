"""What the prose says about the repository, the code bears out: each kind of statement that went stale once
is checked here, so a test notices the next time, not a reader.

- a link to a heading (`[x](docs/contributing.md#tests)`), or a section named in words
  (`docs/contributing.md, "Tests"`; `docs/contributing.md's `#tests``), finds that heading;
- a description of what `tasks.py backends` runs names all of `BACKEND_TESTS` or none of them;
- a description of what `datasets/` holds names every kind of file shipped there or none;
- a count of notebooks is either dated (a "Measured ..." paragraph) or not written at all, since notebooks
  keep coming;
- the `git clone` line of the README uses the repository's address once pyproject.toml has one, and says
  that there is none until then;
- a tool is run one way, `python3 tasks.py NAME`: no page or script says `python scripts/x.py` (or
  `studies/`, `benchmarks/`), and docs/contributing.md and tasks.py's docstring name every command;
- `tests/` mirrors the package, as docs/contributing.md, "Tests", says: each module of rnncourse has its test
  file, or the file that tests it is named here with the reason.
"""

import re
import tomllib
from pathlib import Path

import pytest

import tasks

ROOT = Path(__file__).resolve().parents[1]

PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "datasets" / "README.md",
    ROOT / "studies" / "README.md",
    ROOT / "benchmarks" / "README.md",
]
CODE = [
    ROOT / ".ci" / "run",
    ROOT / "site" / "conf.py",
    ROOT / "tasks.py",
    ROOT / "conftest.py",
    *sorted((ROOT / "benchmarks").glob("*.py")),
    *sorted((ROOT / "studies").glob("*.py")),
    *sorted((ROOT / "scripts").glob("*.py")),
    *sorted((ROOT / "rnncourse").rglob("*.py")),
]
ALL = PAGES + CODE


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _paragraphs(path: Path) -> list[str]:
    return re.split(r"\n\s*(?:#\s*)?\n", path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------------
# Links and section names
# ----------------------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """The anchor GitHub (and MyST, `myst_heading_anchors` in site/conf.py) gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(text: str) -> list[str]:
    """The headings of a Markdown page, outside fenced code blocks."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.findall(r"^#{1,6} +(.+?) *#*$", text, flags=re.MULTILINE)


def references(text: str, here: str) -> list[tuple[str, str, str]]:
    """(page, "heading"|"anchor", what) for each reference to a Markdown page's heading in `text`, the page
    relative to the repository root; `here` is the file the text is in (for relative links)."""
    found = []
    folder = Path(here).parent
    for target, anchor in re.findall(r"\]\(([^)\s#]*)#([^)\s]+)\)", text):  # [text](page.md#anchor)
        if target == "" and here.endswith(".md"):
            found.append((here, "anchor", anchor))
        elif target.endswith(".md"):
            page = (ROOT / folder / target).resolve()
            found.append((page.relative_to(ROOT).as_posix(), "anchor", anchor))
    for page, anchor in re.findall(r"([\w./-]+\.md|README)'s `#([\w-]+)`", text):  # docs/x.md's `#anchor`
        found.append(("README.md" if page == "README" else page, "anchor", anchor))
    for page, heading in re.findall(r'\b([\w./-]+\.md|README),? (?:section )?"([^"]+)"', text):
        found.append(("README.md" if page == "README" else page, "heading", heading))
    return found


def broken(refs: list[tuple[str, str, str]]) -> list[str]:
    problems = []
    for page, kind, what in refs:
        path = ROOT / page
        if not path.is_file():
            problems.append(f"{page} does not exist")
            continue
        titles = headings(path.read_text(encoding="utf-8"))
        if kind == "anchor" and what not in {slug(title) for title in titles}:
            problems.append(f"{page} has no heading with the anchor #{what}")
        if kind == "heading" and what not in titles:
            problems.append(f'{page} has no heading "{what}"')
    return problems


def test_every_link_to_a_heading_and_every_named_section_exists():
    problems = []
    for path in ALL:
        refs = references(path.read_text(encoding="utf-8"), _rel(path))
        problems += [f"{_rel(path)}: {problem}" for problem in broken(refs)]
    assert problems == [], "\n".join(problems)


def test_the_links_and_names_that_once_went_stale_are_checked():
    conf = references((ROOT / "site" / "conf.py").read_text(encoding="utf-8"), "site/conf.py")
    run = references((ROOT / ".ci" / "run").read_text(encoding="utf-8"), ".ci/run")
    assert ("docs/contributing.md", "anchor", "tests") in conf
    assert ("docs/contributing.md", "heading", "Tests") in run


@pytest.mark.parametrize(("text", "problem"), [
    ('see README, "Tests"', 'README.md has no heading "Tests"'),
    ("see [tests](README.md#tests)", "README.md has no heading with the anchor #tests"),
    ("README's `#exercises-and-grading`", "README.md has no heading with the anchor #exercises-and-grading"),
    ("docs/nowhere.md's `#x`", "docs/nowhere.md does not exist"),
    ("[x](#start) [y](docs/contributing.md#tests) docs/contributing.md's `#tests`", None),
])  # fmt: skip
def test_each_kind_of_stale_reference_is_caught(text, problem):
    found = broken(references(text, "README.md"))
    assert (problem in found) if problem else found == []


def test_headings_are_slugged_as_github_does():
    assert slug("Licences, and what the package declares") == "licences-and-what-the-package-declares"
    assert slug("`chicago_ridership.csv.gz` -- Chicago") == "chicago_ridershipcsvgz----chicago"
    assert headings("# A\n```\n# not a heading\n```\n## B ##\n") == ["A", "B"]


# ----------------------------------------------------------------------------------------------------
# Enumerations: all or nothing
# ----------------------------------------------------------------------------------------------------

# What each test file of BACKEND_TESTS is called in prose; a description of `tasks.py backends` names all of
# them (by file or by word) or none.
BACKEND_WORDS = {
    "tests/test_layers.py": r"\blayers?\b",
    "tests/test_min_rnn.py": r"\bminimal",
    "tests/test_diagnostics.py": r"\bdiagnostics\b",
    "tests/test_language.py": r"\blanguage[- ]model",
}
# The kind of each file shipped in datasets/; a description of what the folder holds names every kind or none.
DATA_KINDS = {
    "chicago_ridership.csv.gz": r"\btime[-\s]+series\b",
    "electricity_demand.csv.gz": r"\btime[-\s]+series\b",
    "stock_prices.csv.gz": r"\btime[-\s]+series\b",
    "shakespeare_plays.csv.gz": r"\bplays\b",
}


def partial(paragraph: str, trigger: str, words: dict[str, str]) -> list[str] | None:
    """The items of `words` a paragraph that matches `trigger` leaves out, if it names some but not all."""
    if not re.search(trigger, paragraph):
        return None
    named = {item for item, word in words.items() if item in paragraph or re.search(word, paragraph, re.I)}
    return sorted(set(words) - named) if named and named != set(words) else None


def test_the_lists_of_names_follow_the_code():
    assert set(BACKEND_WORDS) == set(tasks.BACKEND_TESTS), "BACKEND_TESTS changed: name the new files here"
    shipped = {path.name for path in (ROOT / "datasets").glob("*.csv.gz")}
    assert set(DATA_KINDS) == shipped, "datasets/ changed: give each file's kind here"


@pytest.mark.parametrize(("trigger", "words"), [
    (r"tasks\.py backends\b", BACKEND_WORDS),
    (r"datasets/`|\bdatasets/ ", DATA_KINDS),
])  # fmt: skip
def test_descriptions_name_every_item_or_none(trigger, words):
    problems = []
    for path in PAGES + CODE:
        for paragraph in _paragraphs(path):
            left_out = partial(paragraph, trigger, words)
            if left_out:
                problems.append(f"{_rel(path)}: leaves out {left_out}:\n{paragraph.strip()}")
    assert problems == [], "\n\n".join(problems)


def test_a_partial_description_is_caught():
    backends, data = "tasks.py backends", "datasets/`"
    stale = "`tasks.py backends` runs the layer and diagnostics tests again"
    assert partial(stale, backends, BACKEND_WORDS) == ["tests/test_language.py", "tests/test_min_rnn.py"]
    stale = "the time series ship with the repository (`datasets/`)"
    assert partial(stale, data, DATA_KINDS) == ["shakespeare_plays.csv.gz"]
    assert partial("`tasks.py backends`: the tests for every backend", backends, BACKEND_WORDS) is None
    assert partial("the language models run on every Keras backend", backends, BACKEND_WORDS) is None


# ----------------------------------------------------------------------------------------------------
# Counts of notebooks
# ----------------------------------------------------------------------------------------------------

COUNT = re.compile(r"\b\d+(?:[- ][a-z]+)?[- ]notebooks?\b")


def undated_counts(paragraph: str) -> list[str]:
    return [] if paragraph.lstrip().startswith("Measured") else COUNT.findall(paragraph)


def test_no_undated_count_of_notebooks():
    problems = [
        f"{_rel(path)}: {count!r} in: {paragraph.strip()[:200]}"
        for path in PAGES + CODE
        for paragraph in _paragraphs(path)
        for count in undated_counts(paragraph)
    ]
    assert problems == [], (
        "\n".join(problems) + "\n\nNotebooks keep coming: say it without the number (`every exercise"
        " notebook`), or date it in a paragraph that starts with `Measured`."
    )


def test_an_undated_count_is_caught():
    assert undated_counts("grades the 40-notebook class") == ["40-notebook"]
    assert undated_counts("which grade 36 notebooks in real kernels") == ["36 notebooks"]
    assert undated_counts("Measured on 2026-12-03: 48 notebooks in 142 s") == []


# ----------------------------------------------------------------------------------------------------
# One way to run a tool
# ----------------------------------------------------------------------------------------------------

DIRECT_RUN = re.compile(r"(?:\.venv/bin/)?\bpython3? (?:scripts|studies|benchmarks)/\w+\.py")


def test_tools_are_run_through_tasks_py():
    problems = [
        f"{_rel(path)}: {found!r}"
        for path in PAGES + CODE
        for found in DIRECT_RUN.findall(path.read_text(encoding="utf-8"))
    ]
    assert problems == [], (
        "\n".join(problems) + '\n\nSay `python3 tasks.py NAME` (docs/contributing.md, "Tools").'
    )
    assert DIRECT_RUN.findall("run `.venv/bin/python studies/x.py --seeds 0` or python3 benchmarks/y.py") == [
        ".venv/bin/python studies/x.py",
        "python3 benchmarks/y.py",
    ]


def test_every_command_of_tasks_py_is_documented():
    """In its docstring, and in the README (the learner's commands) or docs/contributing.md (the others)."""
    guides = "".join(
        (ROOT / page).read_text(encoding="utf-8") for page in ("README.md", "docs/contributing.md")
    )
    for name in tasks.COMMANDS:
        assert f"python3 tasks.py {name}" in tasks.__doc__, f"tasks.py's docstring leaves out {name!r}"
        assert f"python3 tasks.py {name}" in guides, f"no guide says `python3 tasks.py {name}`"


# ----------------------------------------------------------------------------------------------------
# tests/ mirrors the package
# ----------------------------------------------------------------------------------------------------

# The prefix of each package's test files: rnncourse/grading/cache.py -> tests/test_grader_cache.py (or
# tests/test_cache.py); a package's __init__.py -> tests/test_<prefix>.py (rnncourse's own: test_init.py).
TEST_PREFIX = {"rnncourse": None, "rnncourse/exercises": "exercises", "rnncourse/grading": "grader"}
# Packages whose modules are all tested in one file.
PACKAGE_TESTS = {
    # The checks of each exercise notebook, run against its generated solution and blank copy, with the
    # codec and the shared data and check machinery.
    "rnncourse/exercises": "tests/test_exercises.py",
}
# Modules tested in a file not named for them, and why.
_STEP = "a step of grade_notebooks, tested through it"
_RESHAPED = "in the grading package's reshaping (issue 30, point 1) its tests move with it"
TESTED_IN = {
    "rnncourse/__main__.py": ("tests/test_grader.py", "the command line (rnncourse grade, key, gradescope)"),
    "rnncourse/_fused.py": ("tests/test_layers.py", "private: tested through VanillaRNN(use_fused=...)"),
    "rnncourse/grading/feedback.py": ("tests/test_grader_exports.py", _RESHAPED),
    "rnncourse/grading/gradescope.py": ("tests/test_grader_exports.py", _RESHAPED),
    "rnncourse/grading/roster.py": ("tests/test_grader_gradebook.py", _RESHAPED),
    "rnncourse/grading/kernel.py": ("tests/test_grader.py", _RESHAPED),
    "rnncourse/grading/key.py": ("tests/test_grader.py", _RESHAPED),
    "rnncourse/grading/report.py": ("tests/test_grader.py", _RESHAPED),
    "rnncourse/grading/scoring.py": ("tests/test_grader.py", _RESHAPED),
    # The steps of a batch, split out of grade_notebooks: tested through it, end to end.
    "rnncourse/grading/batch.py": ("tests/test_grader.py", _STEP),
    "rnncourse/grading/prepare.py": ("tests/test_grader.py", _STEP),
    "rnncourse/grading/local.py": ("tests/test_grader.py", _STEP),
    "rnncourse/grading/notebook.py": ("tests/test_grader.py", _STEP),
    "rnncourse/grading/worker.py": ("tests/test_grader_cluster.py", "the Dask worker's side of a batch"),
    "rnncourse/grading/processes.py": ("tests/test_grader.py", "limits, and killing in hostile cases"),
    "rnncourse/grading/package_copy.py": ("tests/test_sandbox.py", "the package copy that kernels import"),
}


def own_test_files(module: str) -> list[str]:
    """The names a module's own test file may have (grading/cache.py: test_cache.py, test_grader_cache.py)."""
    package, stem = module.rsplit("/", 1)
    stem = stem.removesuffix(".py")
    if package not in TEST_PREFIX:
        raise AssertionError(f"{package} is a new package: give its test files' prefix in TEST_PREFIX")
    prefix = TEST_PREFIX[package]
    if stem == "__init__":
        names = ["init"] if prefix is None else [prefix]
    else:
        names = [stem] if prefix is None else [stem, f"{prefix}_{stem}"]
    return [f"tests/test_{name}.py" for name in names]


def missing_test_files(modules: list[str]) -> list[str]:
    problems = []
    for module in modules:
        own = [name for name in own_test_files(module) if (ROOT / name).is_file()]
        package_file = PACKAGE_TESTS.get(module.rsplit("/", 1)[0])
        elsewhere = TESTED_IN.get(module, (package_file, ""))[0]
        if module in TESTED_IN and own:
            problems.append(f"{module} has its own {own[0]}: take it off TESTED_IN")
        elif not own and elsewhere is None:
            problems.append(
                f"{module}: no {own_test_files(module)[-1]} (nor a TESTED_IN entry: which file tests it, why)"
            )
        elif not own and not (ROOT / elsewhere).is_file():
            problems.append(f"{module}: {elsewhere} does not exist")
    return problems


def test_every_module_has_its_test_file():
    modules = [_rel(path) for path in sorted((ROOT / "rnncourse").rglob("*.py"))]
    problems = missing_test_files(modules)
    problems += [
        f"TESTED_IN names {module}, which is gone" for module in sorted(set(TESTED_IN) - set(modules))
    ]
    assert problems == [], "\n".join(problems)


def test_a_module_without_its_test_file_is_caught():
    assert missing_test_files(["rnncourse/layers.py", "rnncourse/grading/cache.py"]) == []
    assert missing_test_files(["rnncourse/exercises/new_chapter.py"]) == []  # PACKAGE_TESTS
    problems = missing_test_files(["rnncourse/new_topic.py", "rnncourse/grading/new_step.py"])
    assert [problem.split(" (")[0] for problem in problems] == [
        "rnncourse/new_topic.py: no tests/test_new_topic.py",
        "rnncourse/grading/new_step.py: no tests/test_grader_new_step.py",
    ]
    with pytest.raises(AssertionError, match="rnncourse/studies is a new package"):
        own_test_files("rnncourse/studies/x.py")


# ----------------------------------------------------------------------------------------------------
# The repository's address
# ----------------------------------------------------------------------------------------------------


def test_the_clone_line_uses_the_address_or_says_there_is_none():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"].get("urls", {})
    address = re.search(r"git clone (\S+)", readme).group(1)
    if urls:
        assert address in urls.values(), f"README clones {address}; pyproject.toml's addresses: {urls}"
    else:
        assert address == "ADDRESS" and "no public address yet" in readme
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<[^<>\n]*\b(?:address|URL)>", text), f"{_rel(path)}: a placeholder address"
