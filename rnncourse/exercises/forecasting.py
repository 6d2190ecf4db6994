"""Checks of exercise notebook 03, forecasting: windows, a chronological split, seasonal-naive, skill."""

from __future__ import annotations

import numpy as np

from rnncourse.exercises.checking import CheckFailed, as_number_array, case_rng, compare_arrays, one_number
from rnncourse.exercises.codec import DecodedPandas


def cases_make_windows(seed: int) -> list[dict]:
    rng = case_rng(seed, 301)
    return [
        dict(series=np.round(rng.normal(10, 3, n), 3), seq_len=seq_len, lead=lead)
        for n, seq_len, lead in [(20, 5, 1), (30, 7, 3), (12, 11, 1)]
    ]


def check_make_windows(answer, case):
    series, seq_len, lead = case["series"], case["seq_len"], case["lead"]
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise CheckFailed("return a pair (X, y)")
    n = len(series) - seq_len - lead + 1
    X = np.stack([series[i : i + seq_len] for i in range(n)])
    y = series[seq_len + lead - 1 : seq_len + lead - 1 + n]
    try:
        compare_arrays(answer[0], X, what="X", mistakes={"made one window too many or too few": X[:-1]})
        mistakes = {
            "made one window too many or too few": y[:-1],
            "took the value right after the window; the target is `lead` steps after its end": (
                series[seq_len : seq_len + n]
            ),
        }
        compare_arrays(answer[1], y, what="y", mistakes=mistakes)
    except CheckFailed as error:
        raise CheckFailed(f"{error} (case seq_len={seq_len}, lead={lead}, {len(series)} values)") from None


def cases_chronological_split(seed: int) -> list[dict]:
    import pandas as pd

    rng = case_rng(seed, 302)
    # The last two cases have fractional sizes of .5 and above, where round() and int() differ.
    shapes = [(100, 0.7, 0.15), (int(rng.integers(40, 90)), 0.6, 0.2), (10, 0.55, 0.3), (37, 0.5, 0.15)]
    cases = []
    for n, train, val in shapes:
        index = pd.date_range("2015-03-01", periods=n, freq="D")
        cases.append(dict(df=pd.DataFrame({"ridership": np.round(rng.normal(500, 50, n), 1)}, index=index)))
        cases[-1].update(train=train, val=val)
    return cases


def check_chronological_split(answer, case):
    df, train, val = case["df"], case["train"], case["val"]
    n = len(df)
    sizes = [int(n * train), int(n * val)]
    sizes.append(n - sum(sizes))
    if not isinstance(answer, tuple | list) or len(answer) != 3:
        raise CheckFailed("return three DataFrames (train, val, test)")
    start = 0
    for name, part, size in zip(("train", "val", "test"), answer, sizes, strict=True):
        if not isinstance(part, DecodedPandas) or part.kind != "DataFrame":
            raise CheckFailed(f"the {name} part should be a DataFrame, got {type(part).__name__}")
        if len(part.index) != size:
            raise CheckFailed(
                f"the {name} part has {len(part.index)} rows, which is wrong for {n} rows with "
                f"train={train}, val={val} (use int(len(df) * fraction), which rounds down)"
            )
        if part.columns != [str(c) for c in df.columns]:
            raise CheckFailed(f"the {name} part should keep the DataFrame's columns")
        rows = slice(start, start + size)
        same_dates = np.array_equal(part.index, np.asarray(df.index)[rows])
        values = as_number_array(part.values, f"the values of the {name} part")
        if (
            not same_dates
            or values.shape != (size, df.shape[1])
            or not np.allclose(values, df.to_numpy()[rows])
        ):
            what = "dates" if not same_dates else "values (the dates are right)"
            raise CheckFailed(
                f"the {name} part holds the wrong {what}: keep the rows in time order, each with its own "
                "values, without shuffling, train first"
            )
        start += size


def cases_seasonal_naive(seed: int) -> list[dict]:
    rng = case_rng(seed, 303)
    return [
        dict(X=np.round(rng.normal(0, 1, (n, seq_len)), 3), season=season)
        for n, seq_len, season in [(4, 14, 7), (3, 10, 1), (5, 24, 12)]
    ]


def check_seasonal_naive(answer, case):
    X, season = case["X"], case["season"]
    impossible = np.full(X.shape[0], np.inf)  # a mistake that cannot be told apart in this case
    mistakes = {
        "returned the last value of each window (the naive forecast), not the value one season back": (
            X[:, -1] if season != 1 else impossible
        ),
        "counted the season from the start of the window": X[:, season - 1],
        "are one step off: the target is one step after the window's end": (
            X[:, -season - 1] if season < X.shape[1] else impossible
        ),
    }
    compare_arrays(answer, X[:, -season], what=f"your forecast (season={season})", mistakes=mistakes)


def cases_forecast_skill(seed: int) -> list[dict]:
    rng = case_rng(seed, 304)
    cases = []
    for n in (8, 20, 50):
        y = rng.normal(100, 10, n)
        cases.append(dict(y_true=y, y_pred=y + rng.normal(0, 3, n), y_baseline=y + rng.normal(0, 6, n)))
    return cases


def check_forecast_skill(answer, case):
    from rnncourse import metrics

    y, p, base = case["y_true"], case["y_pred"], case["y_baseline"]
    mae_p, mae_b = metrics.mae(y, p), metrics.mae(y, base)
    mse_p, mse_b = np.mean((y - p) ** 2), np.mean((y - base) ** 2)
    mistakes = {
        "returned the ratio of the MAEs; skill is 1 minus that ratio": mae_p / mae_b,
        "swapped the model and the baseline": 1 - mae_b / mae_p,
        "used squared errors; use absolute errors (MAE)": 1 - mse_p / mse_b,
    }
    what = f"your skill for {len(y)} values"
    compare_arrays(one_number(answer), 1 - mae_p / mae_b, what=what, mistakes=mistakes)
