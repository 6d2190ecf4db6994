"""scripts/gradescope_e2e.py, the parts that run in seconds: its seccomp filter refuses namespaces as Docker's
default profile does (in a forked child), its submissions come from the published notebooks, and its checks
of results.json catch a wrong score or sandbox level. The script itself (minutes, a root file system, PyPI)
is run by hand: docs/contributing.md."""

import ctypes
import errno
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import gradescope_e2e as e2e
import pytest

from rnncourse import grading as grader

ROOT = Path(__file__).resolve().parent.parent


def test_every_jump_of_the_filter_lands_inside_it_and_it_ends_in_a_return():
    program = e2e.seccomp_program()
    for index, (code, jt, jf, _) in enumerate(program):
        if code & 0x07 == 0x05:  # BPF_JMP
            assert index + 1 + max(jt, jf) < len(program), index
    assert program[-1][0] == 0x06  # BPF_RET


def _in_filtered_child() -> dict[str, int]:
    """Install the filter in a forked child (no_new_privs first, so that no capability is needed) and
    report what unshare, clone with a namespace flag, clone3 and a plain fork got: 0 or an errno."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        outcome = {}
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
            e2e.install_seccomp()
            libc.syscall.restype = ctypes.c_long
            for name, call in (
                ("unshare", lambda: libc.unshare(0x10000000)),  # CLONE_NEWUSER
                ("clone3", lambda: libc.syscall(435, None, 0)),
                ("clone NEWNET", lambda: libc.syscall(56, 0x40000000 | 17, None, None, None, 0)),
            ):
                outcome[name] = 0 if call() == 0 else ctypes.get_errno()
            outcome["fork"] = subprocess.run(["true"]).returncode
            if shutil.which("bwrap"):
                outcome["bwrap"] = subprocess.run(
                    ["bwrap", "--ro-bind", "/", "/", "true"], capture_output=True
                ).returncode
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            outcome["error"] = repr(error)
        os.write(write, repr(outcome).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return eval(text)  # noqa: S307 - our own child's repr of a dict of ints and strings


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.machine() != "x86_64", reason="an x86_64 Linux filter"
)
def test_the_filter_refuses_namespaces_as_dockers_profile_does():
    outcome = _in_filtered_child()
    assert "error" not in outcome, outcome
    assert outcome["unshare"] == outcome["clone NEWNET"] == errno.EPERM, outcome
    assert outcome["clone3"] == errno.ENOSYS, outcome  # glibc then falls back to clone, as in Docker
    assert outcome["fork"] == 0, outcome  # processes without new namespaces still start
    assert outcome.get("bwrap", 1) != 0, outcome  # bubblewrap fails as on Gradescope


def test_the_submissions_come_from_the_published_notebooks():
    submissions = e2e.submissions()
    assert set(submissions) == {"correct", "partial", "wrong"}
    correct, partial, wrong = (submissions[n][1] for n in ("correct", "partial", "wrong"))
    one, two = f"{e2e.ONE}.ipynb", f"{e2e.TWO}.ipynb"
    assert set(correct) == set(partial) == {one, two} and set(wrong) == {one}
    assert correct[one] == (e2e.SOLUTIONS / one).read_bytes() and partial[one] != correct[one]
    assert b"np.maximum(0, x_t @ W_x" in wrong[one] and wrong[one] != correct[one]


def test_the_checks_catch_a_wrong_score_or_level():
    from rnncourse import exercises as ex

    def graded(points: dict[str, list[int]]) -> dict:
        grades = []
        for name, earned in points.items():
            questions = [
                grader.QuestionGrade(q.qid, q.number, q.answer_name, q.title, q.points, e, e == q.points, "")
                for q, e in zip(ex.questions_for(name), earned, strict=True)
            ]
            grades.append(
                grader.NotebookGrade(path=f"s/{name}.ipynb", exercise=name, questions=questions,
                                     sandbox=True, sandbox_level="container")
            )  # fmt: skip
        return grader.format_gradescope(grades, expected=[e2e.ONE, e2e.TWO])

    full = {n: [q.points for q in ex.questions_for(n)] for n in (e2e.ONE, e2e.TWO)}
    assert e2e.check_results(graded(full), "correct") == []
    assert e2e.check_results(graded({**full, e2e.ONE: [0] * len(full[e2e.ONE])}), "partial") == []
    assert e2e.check_results(graded({e2e.ONE: [0, *full[e2e.ONE][1:]]}), "wrong") == []
    assert e2e.check_results(graded(full), "partial") == ["score 12, expected 6"]
    results = graded(full)
    results["extra_data"]["sandbox"] = "none"
    results["visibility"] = "soon"
    problems = e2e.check_results(results, "correct")
    assert any("sandbox level 'none'" in p for p in problems) and any("schema" in p for p in problems)
