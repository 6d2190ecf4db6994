"""Feedback pages a teacher hands back: one HTML file per learner with each question, its points and why.

A page holds what the learner may see: per notebook, each question's points and the reason it passed or
failed (the grader's reasons never show an expected value), the notes on cells that raised, ran too long or
killed the kernel, and an error when a file could not be graded. Not on the page: what the check cells
printed, the key, the grader's test cases. Everything that came from the learner's notebook (error
messages, file names, the learner's folder name) is escaped: the page runs no script and loads nothing.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from pathlib import Path

from rnncourse.grading.report import GradingError, NotebookGrade, _write_atomically

__all__ = ["format_feedback", "write_feedback"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3em .6em; }
tr { border-bottom: 1px solid #ddd; } td.points { white-space: nowrap; text-align: right; }
.passed { color: #1a7f37; } .failed { color: #b42318; } .note { color: #555; } .error { color: #b42318; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def format_feedback(learner: str, grades: Sequence[NotebookGrade]) -> str:
    """The feedback page (HTML) of one learner's graded notebooks.

    Args:
        learner: the learner's name as the page shows it (escaped).
        grades: the learner's notebook grades.

    Returns:
        A complete HTML document.

    Example:
        >>> page = format_feedback("<ann>", [])
        >>> "&lt;ann&gt;" in page and "<ann>" not in page
        True
    """
    score, total = sum(g.score for g in grades), sum(g.total for g in grades)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # nothing on the page may run or load: no scripts, no remote content
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Feedback: {_e(learner)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Feedback for {_e(learner)}</h1>",
        f"<p>{score}/{total} points in {len(grades)} notebook{'s' if len(grades) != 1 else ''}.</p>",
    ]
    for grade in grades:
        title = grade.exercise or Path(grade.path).name
        parts.append(f"<h2>{_e(title)}: {grade.score}/{grade.total} points</h2>")
        parts.append(
            f'<p class="note">File: {_e(Path(grade.path).name)}; graded in the sandbox level '
            f"{_e(grade.sandbox_level)}</p>"
        )
        if grade.questions:
            parts.append("<table><tr><th>Question</th><th>Points</th><th>Result</th><th>Why</th></tr>")
            for q in grade.questions:
                result = "passed" if q.passed else "failed"
                parts.append(
                    f"<tr><td>Q{q.number} <code>{_e(q.answer_name)}</code>: {_e(q.title)}</td>"
                    f'<td class="points">{q.earned}/{q.points}</td>'
                    f'<td class="{result}">{result}</td><td>{"" if q.passed else _e(q.reason)}</td></tr>'
                )
            parts.append("</table>")
        if grade.notes:
            parts.append('<ul class="note">' + "".join(f"<li>{_e(n)}</li>" for n in grade.notes) + "</ul>")
        if grade.error:
            parts.append(f'<p class="error">Not graded: {_e(grade.error)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_feedback(folder: str | os.PathLike, grades: Sequence[NotebookGrade]) -> list[Path]:
    """Write one feedback page per learner (`NotebookGrade.learner`, the folder that holds the notebook)
    into `folder` (created), as ``<learner>.html``; returns the files written.

    Raises:
        GradingError: `folder` exists and is not a folder.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise GradingError(f"{folder}: expected a folder for the feedback pages, got a file")
    folder.mkdir(parents=True, exist_ok=True)
    by_learner: dict[str, list[NotebookGrade]] = {}
    for grade in grades:
        by_learner.setdefault(grade.learner, []).append(grade)
    written, used = [], set()
    for learner, own in by_learner.items():
        stem = _UNSAFE.sub("_", learner).strip("._") or "learner"
        name, n = stem, 1
        while name.lower() in used:  # two folder names that map to one file name
            n += 1
            name = f"{stem}-{n}"
        used.add(name.lower())
        path = folder / f"{name}.html"
        _write_atomically(path, format_feedback(learner, own))
        written.append(path)
    return written
