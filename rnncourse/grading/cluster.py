"""The sender's side of grading on a Dask cluster: `grade_notebooks(scheduler=...)`, `rnncourse grade`.

The teacher starts the cluster with Dask's own tools (``dask scheduler`` and ``dask worker``, dask-jobqueue,
dask-kubernetes: docs/teaching.md); every worker needs the same rnncourse (and bubblewrap) as the machine that
sends the batch. The grader reads the notebooks and the results cache where it runs, then sends one task per
notebook still to grade (`grade_task`, the worker's side, in `rnncourse.grading.worker`: the notebook's
bytes, the limits and, in teacher mode, the key). A worker grades the notebook as the sender would, in a
private temporary folder, in its own sandbox with the same limits, one notebook at a time per worker process;
the key stays in the worker's grading process and never reaches a kernel. Grades come back as they finish;
a grade from a worker whose rnncourse differs from the sender's carries an error (and is not cached).

The key travels only over TLS (`connection`): in teacher mode the scheduler's address must be ``tls://``, with
certificates given (`security`, ``--tls-ca-file/--tls-cert/--tls-key``, the options of ``dask scheduler`` and
``dask worker``) or in Dask's configuration (``distributed.comm.tls.*``), and the client then refuses any
connection that is not encrypted (``require_encryption``). A plain ``tcp://`` address is refused unless the
teacher says the network is theirs alone (`insecure`, ``--insecure-cluster``), and then with a warning.
Self-study grading sends no secret and may use ``tcp://``.

A worker that dies costs time, never a grade: each task carries everything it needs (nothing is scattered,
so the scheduler can run it again from its arguments on another worker when the one running it dies), a
task lost all the same (cancelled, or ``KilledWorker`` after Dask's own retries) is submitted again, and so is
a notebook whose grade is a fault of its worker's machine (to the other workers), up to `ATTEMPTS` times in
all (`submit`), before its notebook is reported as not graded, a fault of the machine.
"""

from __future__ import annotations

import concurrent.futures
import copy
from pathlib import Path

from rnncourse.grading.report import GradingError, NotebookGrade, QuestionGrade
from rnncourse.grading.worker import grade_task, package_digest

__all__ = ["ATTEMPTS", "client", "connection", "grade_task", "package_digest", "security", "submit"]

#: How many times a notebook's task is submitted before it is reported as lost (a fault of the machine).
ATTEMPTS = 3
_INSTALL_HINT = "install the `cluster` extra: pip install 'rnncourse[cluster]'"
#: Schemes on which nothing leaves this process (distributed's in-process transport).
_LOCAL_SCHEMES = {"inproc"}
_TLS_OPTIONS = (
    "--tls-ca-file, --tls-cert and --tls-key (as `dask scheduler` and `dask worker` take them) or in Dask's "
    "configuration (distributed.comm.tls.ca-file, .client.cert, .client.key)"
)


def _distributed():
    try:
        import distributed
    except ImportError:
        raise GradingError(f"grading on a Dask cluster needs `distributed`: {_INSTALL_HINT}") from None
    return distributed


def security(ca_file: str | None = None, cert: str | None = None, key: str | None = None):
    """The `distributed.security.Security` of this client: the files given, the rest from Dask's config.

    Args:
        ca_file: the cluster's CA certificate(s), PEM (``--tls-ca-file``). Default: Dask's
            ``distributed.comm.tls.ca-file``.
        cert: this client's certificate, PEM, perhaps with its private key (``--tls-cert``). Default: Dask's
            ``distributed.comm.tls.client.cert``.
        key: this client's private key, PEM (``--tls-key``; not the teacher's key). Default: Dask's
            ``distributed.comm.tls.client.key``.

    Raises:
        GradingError: a file given does not exist, or `distributed` is not installed.
    """
    _distributed()
    from distributed.security import Security

    given = {}
    for field, option, value in (
        ("tls_ca_file", "--tls-ca-file", ca_file),
        ("tls_client_cert", "--tls-cert", cert),
        ("tls_client_key", "--tls-key", key),
    ):
        if value is None:
            continue
        if not Path(value).is_file():
            raise GradingError(f"{option} {value}: no such file (expected a PEM file)")
        given[field] = str(value)
    return Security(**given)


def connection(address, *, security=None, teacher: bool, insecure: bool = False):
    """Check that `address` may carry this batch, and return the `Security` to connect with, and a warning.

    In teacher mode the key is sent with every task, so the address must be ``tls://`` with a CA file and a
    client certificate (then every connection of the client must be encrypted), or ``inproc://``; any other
    scheme (``tcp://``, or no scheme: Dask's default, tcp) is refused unless `insecure`, and then the warning
    says what is sent in clear. Self-study mode sends no secret: any scheme.

    Args:
        address: the scheduler's address.
        security: a `distributed.security.Security` (`security()`; ``Security.temporary()`` of a
            ``LocalCluster(security=True)``: ``cluster.security``). Default: Dask's configuration.
        teacher: whether the tasks carry the teacher's key.
        insecure: teacher mode only: send the key over a plain address all the same.

    Returns:
        ``(security, warning)``: the warning is None or a sentence to show the teacher.

    Raises:
        GradingError: a bad address, a refused scheme, ``tls://`` without certificates, no `distributed`.
        TypeError: `security` is not a `Security`.
    """
    if not isinstance(address, str) or not address.strip():
        raise GradingError(f"expected a Dask scheduler address such as tls://host:8786, got {address!r}")
    _distributed()
    from distributed.comm.addressing import parse_address
    from distributed.security import Security

    if security is None:
        security = Security()
    elif not isinstance(security, Security):
        raise TypeError(f"`security` expects a distributed.security.Security, got {type(security).__name__}")
    scheme, _ = parse_address(address.strip())
    warning = None
    if scheme == "tls":
        if not (security.tls_ca_file and security.tls_client_cert):
            raise GradingError(
                f"{address}: a tls:// scheduler needs a CA file and a client certificate, given as "
                f"{_TLS_OPTIONS}"
            )
        if teacher and not security.require_encryption:  # nothing of the batch on a plain connection, ever
            security = copy.copy(security)  # (the caller's stays as it was)
            security.require_encryption = True
    elif teacher and scheme not in _LOCAL_SCHEMES:
        if not insecure:
            raise GradingError(
                f"{address}: teacher mode sends the key with every task, and {scheme}:// sends it in clear "
                "to anyone on the network between here, the scheduler and the workers; give the tls:// "
                f"address of a cluster started with TLS (docs/teaching.md), with certificates given as "
                f"{_TLS_OPTIONS}; or, on a network that is yours alone, say so with --insecure-cluster "
                "(insecure_cluster=True)"
            )
        warning = (
            f"sending the teacher's key in clear over {scheme}:// to {address} (--insecure-cluster): anyone "
            "who can listen on that network can read it and the hidden test cases"
        )
    return security, warning


def client(address: str, security=None):
    """An asynchronous `distributed.Client` of the scheduler at `address` (use ``async with``).

    Check `address` and `security` with `connection` first.

    Raises:
        GradingError: `distributed` is not installed.
    """
    distributed = _distributed()
    return distributed.Client(address, asynchronous=True, security=security)


async def submit(dask, *args, **kwargs) -> dict:
    """Run `grade_task(*args, **kwargs)` on the cluster of the client `dask`; again when its worker failed.

    A task whose worker dies is run again by the scheduler on another worker (it has no scattered
    dependencies); one lost all the same (cancelled, `KilledWorker`, a closed connection) is submitted
    again. A grade that is a fault of its worker's machine (`NotebookGrade.fault`: no kernel started there,
    its sandbox failed, ...) is submitted again to the other workers. `ATTEMPTS` submissions in all, at most;
    a fault comes back as it is when no other worker is left. An exception the task raised itself (such as
    a worker without a sandbox in teacher mode) is raised at once: running it again would raise it again.

    Returns:
        `grade_task`'s result (the last fault, when every attempt gave one or was lost).

    Raises:
        GradingError: the task was lost `ATTEMPTS` times (its message says how).
        Exception: the task's own exception.
    """
    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    why: list[str] = []
    faulty: set[str] = set()  # workers whose machine failed this notebook
    result = None
    for _attempt in range(ATTEMPTS):
        placement = {}
        if faulty:
            others = [address for address in await dask.nthreads() if address not in faulty]
            if not others:
                break
            placement = dict(workers=others, allow_other_workers=True)
        future = dask.submit(grade_task, *args, pure=False, **placement, **kwargs)
        try:
            result = await future
        # (a cancelled Dask future raises concurrent.futures' CancelledError, an Exception: asyncio's, which
        # cancels this coroutine itself, is not caught)
        except (concurrent.futures.CancelledError, KilledWorker, CommClosedError) as error:
            why.append(f"{type(error).__name__}: {str(error)[:150]}")
            continue
        finally:
            future.release()
        if not result["grade"].get("fault") or not result.get("address"):
            return result
        faulty.add(result["address"])
    if result is not None:
        return result
    raise GradingError(f"its task was lost {ATTEMPTS} times ({'; '.join(why)})")


def grade_from_task(result: dict, path: str) -> NotebookGrade:
    """The NotebookGrade of a `grade_task` result, with `path` (the sender's) as its file."""
    data = result["grade"]
    return NotebookGrade(
        path=path,
        exercise=data["exercise"],
        questions=[QuestionGrade(**q) for q in data["questions"]],
        notes=list(data["notes"]),
        check_output=dict(data["check_output"]),
        seconds=float(data["seconds"]),
        error=data["error"],
        mode=data["mode"],
        sandbox=bool(data["sandbox"]),
        sandbox_level=str(data.get("sandbox_level", "none")),
        fault=bool(data.get("fault", False)),
        timed_out=bool(data.get("timed_out", False)),
    )
