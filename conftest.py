"""Project-wide pytest configuration (library tests in tests/, notebooks under nbval)."""

import os
from pathlib import Path

# Kernels started by nbval inherit this environment: keep TensorFlow's start-up chatter out of the outputs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# oneDNN's start-up notice has a time stamp and ignores TF_CPP_MIN_LOG_LEVEL; turning oneDNN off also makes
# the notebooks' numbers repeatable. The course notebooks set the same in their Setup cell.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    # Learner copies of the exercises are stored blank (they raise NotImplementedError by design);
    # nbval runs their solutions in notebooks/exercises/solutions/ instead.
    if collection_path.suffix == ".ipynb" and collection_path.parent.name == "exercises":
        return True
    return None
