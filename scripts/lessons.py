"""Where the notebooks teach each public name of rnncourse: the `Taught in:` lines of the docstrings.

Every public function and class (the names in the `__all__` of each module of `rnncourse._SUBMODULES`) has,
after its summary paragraph, a paragraph in one of two forms:

    Taught in: notebooks/06_language_model.ipynb, section "3. An RNN language model".
    Taught in: none of the notebooks (library only; see docs/teaching.md).

The section is a `#` or `##` heading of that notebook, as written there (a long one may wrap over lines);
the notebook is the first, in course order, that uses the name: in its code (through an import from
rnncourse, resolved, not a word that happens to match) or in its prose (`module.name` in backticks, or the
bare name in backticks where the notebook imports it by name). The second form names a page of docs/ that
describes the name. tests/test_docs.py checks every tag against the notebooks; this script prints what the
notebooks say now and writes the index of docs/library.md from the tags:

    python3 tasks.py lessons            # names whose tag is missing or disagrees, with the fix
    python3 tasks.py lessons --write    # rewrite the index in docs/library.md
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LIBRARY_PAGE = ROOT / "docs" / "library.md"
INDEX_START = "<!-- lessons index: written by scripts/lessons.py --write, do not edit by hand -->"
INDEX_END = "<!-- end of the lessons index -->"

TAG = re.compile(r"^Taught in: (?P<rest>.*)$", re.MULTILINE)
IN_NOTEBOOK = re.compile(r'^(?P<notebook>notebooks/\S+\.ipynb), section "(?P<section>[^"]+)"\.$')
NOT_IN_NOTEBOOK = re.compile(r"^none of the notebooks \(library only; see (?P<page>docs/[\w-]+\.md)\)\.$")
HEADING = re.compile(r"^(#{1,2}) (.+?)\s*$")  # the sections a tag may name: the title and `##` headings
CODE_SPAN = re.compile(r"`([^`\n]+)`")


def course_notebooks() -> list[Path]:
    """The lessons, then the exercises, in course order."""
    return sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("exercises/*.ipynb"))


def public_names() -> dict[str, object]:
    """`rnncourse.module.name` -> object, for every function and class a module's `__all__` exports.

    Constants (tuples, dicts, numbers) have no docstring of their own and are left out.
    """
    import rnncourse

    names = {}
    for module_name in rnncourse._SUBMODULES:
        module = importlib.import_module(f"rnncourse.{module_name}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                names[f"rnncourse.{module_name}.{name}"] = obj
    return names


# ----------------------------------------------------------------------------------------------------
# The notebooks: their sections, and where each rnncourse name is used.
# ----------------------------------------------------------------------------------------------------


@dataclass
class Section:
    heading: str
    uses: set[str]  # dotted names, `rnncourse.module.name` (and deeper attributes, which do no harm)


def _python(source: str) -> ast.Module | None:
    # IPython magics and shell escapes are not Python; the rest of the cell is.
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _imports(tree: ast.Module, aliases: dict[str, str]) -> None:
    """Adds what the imports of rnncourse bind: local name -> dotted name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "rnncourse":
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases["rnncourse"] = "rnncourse"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rnncourse":
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _resolve(name: str, aliases: dict[str, str]) -> str | None:
    head, _, rest = name.partition(".")
    if head not in aliases:
        return None
    full = aliases[head] + (f".{rest}" if rest else "")
    # `rnncourse.setup_notebook` is `rnncourse.experiments.setup_notebook`.
    return re.sub(r"^rnncourse\.setup_notebook\b", "rnncourse.experiments.setup_notebook", full)


def _code_uses(tree: ast.Module, aliases: dict[str, str]) -> set[str]:
    uses = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            dotted = _dotted(node)
            full = dotted and _resolve(dotted, aliases)
            if full:
                uses.add(full)
    return uses


def _prose_uses(line: str, aliases: dict[str, str]) -> set[str]:
    uses = set()
    for span in CODE_SPAN.findall(line):
        match = re.match(r"[A-Za-z_][\w.]*", span)
        if not match:
            continue
        dotted = match.group().rstrip(".")
        full = _resolve(dotted, aliases) or _resolve(dotted, {"rnncourse": "rnncourse"})
        if full is None and "." in dotted:  # `language.generate`, written without the package
            module = dotted.split(".")[0]
            if importlib.util.find_spec(f"rnncourse.{module}") if module.isidentifier() else None:
                full = f"rnncourse.{dotted}"
        if full:
            uses.add(full)
    return uses


def read_notebook(path: Path) -> list[Section]:
    """The notebook's sections (its title and `##` headings) in order, each with the names used in it.

    Text before the first heading belongs to a section with the heading "" (no notebook has any).
    """
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    aliases: dict[str, str] = {}
    for cell in cells:  # imports first: prose may name a function before the code that imports it
        if cell["cell_type"] == "code" and (tree := _python("".join(cell["source"]))):
            _imports(tree, aliases)
    sections = [Section("", set())]
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for line in source.splitlines():
                if heading := HEADING.match(line):
                    sections.append(Section(heading.group(2), set()))
                sections[-1].uses |= _prose_uses(line, aliases)
        elif cell["cell_type"] == "code" and (tree := _python(source)):
            sections[-1].uses |= _code_uses(tree, aliases)
    return sections


def _used(qualname: str, uses: set[str]) -> bool:
    return any(use == qualname or use.startswith(qualname + ".") for use in uses)


def first_use(qualname: str, notebooks: dict[Path, list[Section]]) -> tuple[Path, str] | None:
    """The first notebook, in course order, that uses the name, and the section where it first does."""
    for path, sections in notebooks.items():
        for section in sections:
            if _used(qualname, section.uses):
                return path, section.heading
    return None


def notebooks_using(qualname: str, notebooks: dict[Path, list[Section]]) -> list[Path]:
    return [path for path, sections in notebooks.items() if any(_used(qualname, s.uses) for s in sections)]


# ----------------------------------------------------------------------------------------------------
# The tags in the docstrings.
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    notebook: str | None  # "notebooks/06_language_model.ipynb", or None: used in no notebook
    section: str | None  # the heading as written in the notebook
    page: str | None  # for a name used in no notebook: the docs/ page that describes it


def read_tag(obj: object) -> Tag | str:
    """The object's `Taught in:` tag, or a message that says what is wrong with it."""
    doc = inspect.getdoc(obj) or ""
    # Only the object's own docstring: a class without one would inherit its base's.
    if obj.__doc__ is None:
        return "no docstring"
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc)]
    tags = [p for p in paragraphs if p.startswith("Taught in:")]
    if len(tags) != 1:
        return f"{len(tags)} `Taught in:` paragraphs in the docstring (expected 1)"
    rest = TAG.match(tags[0]).group("rest")
    if match := IN_NOTEBOOK.match(rest):
        return Tag(match.group("notebook"), match.group("section"), None)
    if match := NOT_IN_NOTEBOOK.match(rest):
        return Tag(None, None, match.group("page"))
    return f"unreadable `Taught in:` paragraph: {tags[0]!r}"


def suggested(qualname: str, notebooks: dict[Path, list[Section]]) -> str:
    """The tag the notebooks call for now."""
    found = first_use(qualname, notebooks)
    if found is None:
        return "Taught in: none of the notebooks (library only; see docs/library.md)."
    path, section = found
    return f'Taught in: {path.relative_to(ROOT).as_posix()}, section "{section}".'


def problems(tags: dict[str, Tag | str], notebooks: dict[Path, list[Section]]) -> dict[str, str]:
    """Name -> what is wrong with its tag and how to fix it, for every tag the notebooks do not bear out."""
    found = {}
    for qualname, tag in tags.items():
        fix = f"the notebooks call for: {suggested(qualname, notebooks)}"
        if isinstance(tag, str):
            found[qualname] = f"{tag}; {fix}"
        elif tag.notebook is None:
            if not (ROOT / tag.page).exists():
                found[qualname] = f"{tag.page} does not exist; {fix}"
            elif using := notebooks_using(qualname, notebooks):
                names = ", ".join(p.relative_to(ROOT).as_posix() for p in using)
                found[qualname] = f"tagged as used in no notebook, but {names} use it; {fix}"
        elif (path := ROOT / tag.notebook) not in notebooks:
            found[qualname] = f"{tag.notebook} is not a course notebook; {fix}"
        else:
            sections = {s.heading: s for s in notebooks[path]}
            if tag.section not in sections:
                found[qualname] = f'{tag.notebook} has no heading "{tag.section}" (renamed?); {fix}'
            elif not _used(qualname, sections[tag.section].uses):
                elsewhere = path in notebooks_using(qualname, notebooks)
                where = "the notebook uses it elsewhere" if elsewhere else "the notebook never uses it"
                found[qualname] = (
                    f'section "{tag.section}" of {tag.notebook} does not use it ({where}); {fix}'
                )
    return found


# ----------------------------------------------------------------------------------------------------
# The index on the library page: each name, linked to its lesson.
# ----------------------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """The anchor MyST gives a heading (`myst_heading_anchors`), the one GitHub gives it too."""
    text = heading.strip().lower().replace(" ", "-")
    return re.sub(r"[^\w\- ]", "", text)


def _notebook_title(path: Path) -> str:
    return path.stem.split("_", 1)[0]


def index(tags: dict[str, Tag | str]) -> str:
    """The Markdown of the index: one table, a row per name, in module order."""
    rows = ["| name | taught in |", "|---|---|"]
    for qualname, tag in tags.items():
        short = qualname.removeprefix("rnncourse.")
        if isinstance(tag, str):
            raise ValueError(f"{qualname}: {tag}")
        if tag.notebook is None:
            page = Path(tag.page)
            see = "" if page == LIBRARY_PAGE.relative_to(ROOT) else f"; see [{page.stem}]({page.name})"
            where = f"no notebook (library only{see})"
        else:
            path = Path(tag.notebook)
            kind = "exercises" if path.parent.name == "exercises" else "notebook"
            link = f"../{tag.notebook}#{slug(tag.section)}"
            where = f"{kind} {_notebook_title(path)}, [{tag.section.replace('|', '∣')}]({link})"
        rows.append(f"| `{short}` | {where} |")
    return "\n".join(rows)


def write_index(tags: dict[str, Tag | str]) -> bool:
    """Writes the index into docs/library.md between its markers; True if the page changed."""
    page = LIBRARY_PAGE.read_text(encoding="utf-8")
    start, end = page.index(INDEX_START) + len(INDEX_START), page.index(INDEX_END)
    new = page[:start] + "\n" + index(tags) + "\n" + page[end:]
    if new != page:
        LIBRARY_PAGE.write_text(new, encoding="utf-8")
    return new != page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the index in docs/library.md")
    parser.add_argument("--all", action="store_true", help="print the tag the notebooks call for, every name")
    args = parser.parse_args()
    notebooks = {path: read_notebook(path) for path in course_notebooks()}
    tags = {qualname: read_tag(obj) for qualname, obj in public_names().items()}
    if args.all:
        for qualname in tags:
            print(f"{qualname}: {suggested(qualname, notebooks)}")
        return
    found = problems(tags, notebooks)
    for qualname, problem in found.items():
        print(f"{qualname}: {problem}")
    if args.write:
        if found:
            sys.exit("fix the tags above first")
        print("docs/library.md:", "index rewritten" if write_index(tags) else "index up to date")


if __name__ == "__main__":
    main()
