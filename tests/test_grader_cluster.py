"""Grading on a Dask cluster (`rnncourse.grading.cluster`): the key over TLS only, no grade lost to a worker.

The quick tests check which scheduler addresses teacher mode refuses (nothing is sent: the address is refused
before a notebook is read). The slow ones grade real notebooks (a few kernels of exercise 01 each): on a
`distributed.LocalCluster` with temporary TLS certificates, and on a cluster of separate processes (``dask
scheduler`` and two ``dask worker``, with TLS certificate files) whose first worker is killed, with every
process it started, while it grades a notebook.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import make_exercises
import nbformat
import pytest

from rnncourse import exercises as ex
from rnncourse import grading as grader
from rnncourse.__main__ import main
from rnncourse.grading import cluster

SEED = int(os.environ["RNNCOURSE_TEST_SEED"])
ONE = "01_the_rnn_unit_exercises"
ROOT = Path(__file__).resolve().parents[1]


def _unused_address() -> str:
    """A tcp address on which nothing listens (so a client that tries it fails at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def _class(folder: Path, copies: int = 1) -> list[Path]:
    """Exercise 01 handed in as the solution, blank and with a wrong answer, by `copies` learners each."""
    variants = {
        "solution": make_exercises.build(ONE, learner=False),
        "blank": make_exercises.build(ONE, learner=True),
        "wrong": make_exercises.wrong_variant(ONE, "01.q3"),
    }
    paths = []
    for copy in range(copies):
        for kind, nb in variants.items():
            learner = folder / f"{kind}{copy}"
            learner.mkdir(parents=True)
            paths.append(learner / f"{ONE}.ipynb")
            nbformat.write(nb, paths[-1])
    return paths


def test_a_cluster_needs_a_scheduler_address():
    with pytest.raises(grader.GradingError, match="expected a Dask scheduler address"):
        grader.grade_notebooks([], seed=1, scheduler=3)
    with pytest.raises(ValueError, match="for grading on a cluster"):
        grader.grade_notebooks([], seed=1, insecure_cluster=True)


def test_teacher_mode_refuses_a_plain_tcp_scheduler_unless_told(tmp_path, capsys):
    pytest.importorskip("distributed")
    import dask

    key = tmp_path / "key"
    grader.write_key(key)
    notebook = str(tmp_path / "never_read.ipynb")
    for address in ("tcp://127.0.0.1:8786", "127.0.0.1:8786"):  # no scheme: Dask's default, tcp
        with pytest.raises(SystemExit) as refused:
            main(["grade", notebook, "--key", str(key), "--scheduler", address])
        err = capsys.readouterr().err
        assert refused.value.code == 2, err
        assert "teacher mode sends the key with every task, and tcp:// sends it in clear" in err, err
        assert "tls://" in err and "--tls-ca-file" in err and "--insecure-cluster" in err, err
    with pytest.raises(grader.GradingError, match="sends it in clear"):
        grader.grade_notebooks([notebook], key=key, scheduler="tcp://127.0.0.1:8786")
    # tls:// without certificates: said before any connection is tried
    with pytest.raises(grader.GradingError, match="tls:// scheduler needs a CA file and a client cert"):
        grader.grade_notebooks([notebook], key=key, scheduler="tls://127.0.0.1:8786")
    with pytest.raises(SystemExit):
        main(["grade", notebook, "--key", str(key), "--scheduler", "tls://h:1", "--tls-cert", "no.pem"])
    assert "--tls-cert no.pem: no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grade", notebook, "--key", str(key), "--tls-ca-file", "ca.pem"])
    assert "are for --scheduler" in capsys.readouterr().err

    # told so, teacher mode goes on (with a warning saying what is sent in clear), here to a port where no
    # scheduler listens; self-study sends no secret and goes on without a word
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        address = _unused_address()
        with pytest.warns(UserWarning, match=r"sending the teacher's key in clear over tcp:// .*--insecure"):
            with pytest.raises(SystemExit):
                main(["grade", notebook, "--key", str(key), "--scheduler", address, "--insecure-cluster"])
        assert f"could not reach the Dask scheduler at {address}" in capsys.readouterr().err
        with pytest.raises(grader.GradingError, match="could not reach the Dask scheduler"):
            grader.grade_notebooks([notebook], seed=1, scheduler=f"tcp://{address}")
    # with certificates (files are read only when connecting), teacher mode accepts nothing but TLS
    from distributed.security import Security

    given = Security(tls_ca_file="ca.pem", tls_client_cert="cert.pem", require_encryption=False)
    security, warning = cluster.connection("tls://h:1", security=given, teacher=True)
    assert security.require_encryption and warning is None and not given.require_encryption
    assert security.tls_ca_file == "ca.pem" and security.tls_client_cert == "cert.pem"
    with pytest.raises(TypeError, match="expects a distributed.security.Security, got dict"):
        grader.grade_notebooks([], seed=1, scheduler="tls://h:1", cluster_security={"tls_ca_file": "ca.pem"})


class _Future:
    """What `cluster.submit` needs of a `distributed.Future`: awaited, released."""

    def __init__(self, outcome):
        self.outcome, self.released = outcome, False

    def __await__(self):
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        if self.outcome == "cancelled":
            from distributed.client import FutureCancelledError

            raise FutureCancelledError("grade_task-1", "lost dependencies")  # (not asyncio's)
        return self.outcome
        yield  # (a generator, as __await__ must return)

    def release(self):
        self.released = True


class _Client:
    """What `cluster.submit` needs of an asynchronous `distributed.Client`, with the outcomes of its tasks."""

    def __init__(self, *outcomes, workers=("tls://a:1", "tls://b:1")):
        self.outcomes, self.futures, self.placements, self.workers = list(outcomes), [], [], workers

    def submit(self, function, *args, pure, **kwargs):
        assert function is cluster.grade_task and pure is False  # never one shared result
        self.placements.append({k: kwargs[k] for k in ("workers", "allow_other_workers") if k in kwargs})
        self.futures.append(_Future(self.outcomes.pop(0)))
        return self.futures[-1]

    async def nthreads(self):
        return {address: 1 for address in self.workers}


def _result(worker: str, fault: bool = False) -> dict:
    return {"grade": {"fault": fault}, "address": worker}


def test_a_lost_task_is_submitted_again_and_a_failed_one_is_not():
    import asyncio

    distributed = pytest.importorskip("distributed")
    from distributed.comm.core import CommClosedError

    last = types.SimpleNamespace(address="tls://10.0.0.9:40000")  # (a WorkerState, for the message)
    killed = distributed.KilledWorker("grade_task-1", last, 3)
    lost = _Client("cancelled", killed, _result("tls://b:1"))
    assert asyncio.run(cluster.submit(lost, "a.ipynb")) == _result("tls://b:1")
    assert len(lost.futures) == 3 and all(f.released for f in lost.futures)
    assert lost.placements == [{}, {}, {}]  # the scheduler places them (a dead worker is gone)
    gone = _Client(CommClosedError("worker gone"), "cancelled", "cancelled", _result("tls://b:1"))
    with pytest.raises(grader.GradingError, match="its task was lost 3 times .*CommClosedError"):
        asyncio.run(cluster.submit(gone, "a.ipynb"))
    assert len(gone.futures) == cluster.ATTEMPTS == 3
    # the task's own exception comes back at once: a worker without a sandbox refuses again elsewhere
    refused = _Client(grader.GradingError("teacher mode needs a sandbox"), _result("tls://b:1"))
    with pytest.raises(grader.GradingError, match="needs a sandbox"):
        asyncio.run(cluster.submit(refused, "a.ipynb"))
    assert len(refused.futures) == 1
    # and this coroutine's own cancellation is not taken for a lost task
    mine = _Client(asyncio.CancelledError(), _result("tls://b:1"))
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cluster.submit(mine, "a.ipynb"))
    assert len(mine.futures) == 1


def test_a_fault_of_a_workers_machine_is_graded_again_on_another_worker():
    import asyncio

    pytest.importorskip("distributed")
    broken = _Client(_result("tls://a:1", fault=True), _result("tls://b:1"))
    assert asyncio.run(cluster.submit(broken, "a.ipynb")) == _result("tls://b:1")
    assert broken.placements == [{}, {"workers": ["tls://b:1"], "allow_other_workers": True}]
    # a fault everywhere comes back as the last fault (an error of the notebook, exit status 3)
    everywhere = _Client(*[_result(w, fault=True) for w in ("tls://a:1", "tls://b:1", "tls://c:1")])
    everywhere.workers = ("tls://a:1", "tls://b:1", "tls://c:1")
    assert asyncio.run(cluster.submit(everywhere, "a.ipynb")) == _result("tls://c:1", fault=True)
    assert everywhere.placements[2] == {"workers": ["tls://c:1"], "allow_other_workers": True}
    # with no other worker left, the fault comes back at once
    alone = _Client(_result("tls://a:1", fault=True), _result("tls://a:1"), workers=("tls://a:1",))
    assert asyncio.run(cluster.submit(alone, "a.ipynb")) == _result("tls://a:1", fault=True)
    assert len(alone.futures) == 1


@pytest.mark.slow
def test_a_local_dask_cluster_with_tls_grades_like_the_jobs_path(tmp_path):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("cryptography")  # Security.temporary() makes its certificates with it
    paths = _class(tmp_path)
    options = dict(seed=SEED, cell_timeout=30)
    here = grader.grade_notebooks(paths, jobs=2, **options)
    key = grader.write_key(tmp_path / "key").parent
    teacher_here = grader.grade_notebooks(paths[2:], key=key, cell_timeout=30)
    seen = []
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, security=True
    ) as local:
        assert local.scheduler_address.startswith("tls://")
        there = grader.grade_notebooks(
            paths,
            scheduler=local.scheduler_address,
            cluster_security=local.security,
            progress=lambda done, total, grade: seen.append((done, total)),
            **options,
        )
        # teacher mode: the key goes with each task, over TLS; the grades are the key's
        teacher_there = grader.grade_notebooks(
            paths[2:],
            key=key,
            cell_timeout=30,
            scheduler=local.scheduler_address,
            cluster_security=local.security,
        )
    assert [(g.score, g.mode) for g in teacher_there] == [(g.score, "teacher") for g in teacher_here]
    assert [q.reason for q in teacher_there[0].questions] == [q.reason for q in teacher_here[0].questions]
    assert [g.score for g in here] == [6, 0, 6 - ex.get_question("01.q3").points]
    for a, b in zip(here, there, strict=True):
        assert (a.path, a.exercise, a.questions, a.notes, a.error, a.sandbox) == (
            b.path,
            b.exercise,
            b.questions,
            b.notes,
            b.error,
            b.sandbox,
        ), (grader.format_table(a), grader.format_table(b))
    assert seen == [(1, 3), (2, 3), (3, 3)]


# ---------------------------------------------------------------------------------------------------------
# A worker killed during a batch: every notebook graded all the same, with the grades of `--jobs 1`
# ---------------------------------------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    """`pid`'s processes, its children, their children... (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


def _kill_tree(pid: int) -> None:
    """SIGKILL `pid` and everything it started, at once (as a preempted node loses them)."""
    for each in _descendants(pid):
        try:
            os.kill(each, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _kill_tree(process.pid)
            process.wait(timeout=20)


def _certificates(folder: Path) -> dict[str, Path]:
    """A CA certificate, a certificate and its key, PEM files (one self-signed pair for every role)."""
    from distributed.security import Security

    temporary = Security.temporary()
    files = {"ca": temporary.tls_ca_file, "cert": temporary.tls_client_cert, "key": temporary.tls_client_key}
    paths = {}
    for name, text in files.items():
        paths[name] = folder / f"{name}.pem"
        paths[name].write_text(text)
        paths[name].chmod(0o600)
    return paths


def _grades(report: Path) -> list[tuple]:
    return [
        (g["path"], g["exercise"], g["questions"], g["notes"], g["error"], g["score"], g["mode"])
        for g in json.loads(report.read_text())
    ]


@pytest.mark.slow
def test_a_worker_killed_during_a_batch_costs_time_never_a_grade(tmp_path):
    pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    paths = _class(tmp_path / "class", copies=2)
    key = tmp_path / "key"
    grader.write_key(key)
    tls = _certificates(tmp_path)
    tls_options = ["--tls-ca-file", tls["ca"], "--tls-cert", tls["cert"], "--tls-key", tls["key"]]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    dask = [sys.executable, "-m", "dask"]
    grade = [
        sys.executable,
        "-m",
        "rnncourse",
        "grade",
        *paths,
        "--key",
        key,
        "--no-cache",
        "--cell-timeout",
        "30",
    ]
    started: list[subprocess.Popen] = []

    def start(*command, tmpdir: Path | None = None, log: str) -> subprocess.Popen:
        run_env = env if tmpdir is None else dict(env, TMPDIR=str(tmpdir))
        process = subprocess.Popen(
            [str(part) for part in command],
            env=run_env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / log, "wb"),  # noqa: SIM115 (closed with the process)
            start_new_session=True,
        )
        started.append(process)
        return process

    scheduler_file = tmp_path / "scheduler.json"
    try:
        listen = "--host 127.0.0.1 --port 0 --protocol tls --no-dashboard".split()
        start(
            *dask, "scheduler", *listen, "--scheduler-file", scheduler_file, *tls_options, log="scheduler.log"
        )
        deadline = time.monotonic() + 120
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler_file.is_file(), (tmp_path / "scheduler.log").read_text()
        time.sleep(0.5)  # (the file is written whole, but give the scheduler a moment to listen)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tls://"), address
        workers = []
        for name in ("doomed", "survivor"):
            (tmp_path / name).mkdir()
            one = [*dask, "worker", address, *"--nworkers 1 --nthreads 1 --no-dashboard --name".split(), name]
            one += ["--local-directory", tmp_path / name, *tls_options]
            workers.append(start(*one, tmpdir=tmp_path / name, log=f"{name}.log"))
        report = tmp_path / "cluster.json"
        batch = subprocess.Popen(
            [*grade, "--scheduler", address, *tls_options, "--json", report],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # the first worker is killed with all it started (its kernels too) 2 s into grading a notebook
        deadline = time.monotonic() + 300
        while not list((tmp_path / "doomed").glob("rnncourse-task-*")):
            assert batch.poll() is None, batch.communicate()
            assert time.monotonic() < deadline, "the first worker never got a notebook"
            time.sleep(0.1)
        time.sleep(2)
        assert list((tmp_path / "doomed").glob("rnncourse-task-*")), "the notebook was graded in 2 s"
        _kill_tree(workers[0].pid)
        out, err = batch.communicate(timeout=600)
    finally:
        for process in started:
            _stop(process)
    assert workers[0].returncode == -signal.SIGKILL
    assert batch.returncode == 0, out + err
    there = _grades(report)
    assert not [g for g in there if g[4]], out  # every notebook graded, none "not graded"

    here = subprocess.run(
        [*grade, "--jobs", "1", "--json", tmp_path / "here.json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert here.returncode == 0, here.stdout + here.stderr
    assert there == _grades(tmp_path / "here.json")
    assert [g[5] for g in there] == [6, 0, 6 - ex.get_question("01.q3").points] * 2
