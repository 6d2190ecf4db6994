"""Project-wide pytest configuration (library tests in tests/, notebooks under nbval)."""

import os
from pathlib import Path

from rnncourse.experiments import NOTEBOOK_ENVIRONMENT, ONE_THREAD_ENVIRONMENT

# Kernels started by nbval inherit this environment: the same defaults as the notebooks' own Setup cell
# (rnncourse.setup_notebook): TensorFlow's start-up chatter off, the TensorFlow backend, and oneDNN off (its
# start-up notice has a time stamp and ignores TF_CPP_MIN_LOG_LEVEL; without it the numbers repeat).
# And one thread for TensorFlow and BLAS: the stored outputs were made with the default threads, so the
# tests see another order of floating-point sums, as a learner's other CPU would (docs/contributing.md).
for _name, _value in {**NOTEBOOK_ENVIRONMENT, **ONE_THREAD_ENVIRONMENT}.items():
    os.environ.setdefault(_name, _value)


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    # Learner copies of the exercises are stored blank (they raise NotImplementedError by design);
    # nbval runs their solutions in notebooks/exercises/solutions/ instead.
    if collection_path.suffix == ".ipynb" and collection_path.parent.name == "exercises":
        return True
    return None


# ---------------------------------------------------------------------------------------------------------
# `slow`: the notebooks (nbval) and the slow library tests, so that `pytest -m "not slow"` is a quick inner
# loop. `python3 tasks.py test` (and CI) runs everything.
# ---------------------------------------------------------------------------------------------------------
def pytest_collection_modifyitems(config, items) -> None:
    import pytest

    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)


# ---------------------------------------------------------------------------------------------------------
# One random seed for the tests that draw random cases, printed and replayable: it is drawn fresh for each
# run unless RNNCOURSE_TEST_SEED is set, shown in pytest's header and under every failure, and tests read it
# from the environment (`int(os.environ["RNNCOURSE_TEST_SEED"])`).
# ---------------------------------------------------------------------------------------------------------
TEST_SEED_ENV = "RNNCOURSE_TEST_SEED"


def _test_seed() -> int:
    value = os.environ.get(TEST_SEED_ENV, "")
    if not value:
        import secrets

        value = str(secrets.randbelow(2**31))
        os.environ[TEST_SEED_ENV] = value
    if not value.isdigit():
        raise ValueError(f"`{TEST_SEED_ENV}` expects a non-negative integer, got {value!r}")
    return int(value)


_test_seed()  # now, before the test modules that read it are imported


def pytest_report_header(config) -> list[str]:
    seed = _test_seed()
    import keras  # which Keras (and backend) the tests ran against, in every test log

    return [
        f"random test cases: {TEST_SEED_ENV}={seed} (set it to replay this run's cases)",
        f"keras {keras.__version__}, backend {keras.backend.backend()}",
    ]


def pytest_runtest_logreport(report) -> None:
    if report.failed:
        report.sections.append(("random test cases", f"replay with {TEST_SEED_ENV}={_test_seed()}"))
