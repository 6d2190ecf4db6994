"""Importing rnncourse keeps TensorFlow's start-up messages out of a learner's notebook, unless told so."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VARIABLES = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
NOISE = ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard", "This TensorFlow binary")
USES_TENSORFLOW = (
    "from rnncourse.layers import VanillaRNN; import keras; VanillaRNN(2)(keras.ops.ones((1, 3, 1)))"
)


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    # A fresh interpreter without the TensorFlow settings that conftest.py gives the test session.
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          timeout=300, check=True)  # fmt: skip


@pytest.mark.slow  # TensorFlow's import
def test_importing_rnncourse_silences_tensorflow_start_up():
    result = _python(USES_TENSORFLOW)
    assert result.stderr == "", f"start-up noise on stderr:\n{result.stderr}"


@pytest.mark.slow  # TensorFlow's import
def test_without_the_defaults_tensorflow_is_noisy():
    # The same code with the defaults overridden prints the notices: the test above can fail.
    result = _python(USES_TENSORFLOW, TF_CPP_MIN_LOG_LEVEL="0", TF_ENABLE_ONEDNN_OPTS="1")
    assert any(notice in result.stderr for notice in NOISE), result.stderr


@pytest.mark.parametrize("module", ["rnncourse", "rnncourse.metrics"])
def test_a_value_the_user_set_is_kept(module):
    code = f"import {module}, os; print(*(os.environ[name] for name in {VARIABLES}))"
    assert _python(code, TF_CPP_MIN_LOG_LEVEL="1", TF_ENABLE_ONEDNN_OPTS="1").stdout.split() == ["1", "1"]
    assert _python(code).stdout.split() == ["3", "0"]


def _listed(text: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, text, flags=re.MULTILINE))


def test_one_list_of_modules_in_dir_the_docstring_and_the_library_page():
    import rnncourse

    def is_module(path: Path) -> bool:
        return path.suffix == ".py" or (path / "__init__.py").exists()

    package = Path(rnncourse.__file__).parent
    files = {p.stem for p in package.iterdir() if not p.name.startswith("_") and is_module(p)}
    exported = {name for name in dir(rnncourse) if not name.startswith("_")} - {"setup_notebook"}
    docstring = _listed(rnncourse.__doc__, r"^- `rnncourse\.(\w+)`")
    library_page = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    reference = _listed(library_page, r"^\| `rnncourse\.(\w+)` \|")
    assert files == exported == docstring == reference, {
        "module files": sorted(files), "dir(rnncourse)": sorted(exported),
        "the docstring": sorted(docstring), "docs/library.md": sorted(reference),
    }  # fmt: skip


def test_every_listed_module_is_an_attribute():
    import rnncourse

    for name in rnncourse._SUBMODULES:
        assert getattr(rnncourse, name).__name__ == f"rnncourse.{name}"
    assert rnncourse.comparison.run_task  # missing from the list before, tried as a new user would
    with pytest.raises(AttributeError, match="no attribute 'utils'"):
        getattr(rnncourse, "utils")  # noqa: B009 (the attribute access is what is tested)
