"""Tests for rnncourse.timeseries: split, scaler, windows (arrays and tf.data agree), dated forecasts."""

import numpy as np
import pandas as pd
import pytest

from rnncourse.timeseries import (
    chronological_split,
    fit_scaler,
    to_dated_forecast,
    window_arrays,
    window_dataset,
)


def _dataset_to_arrays(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds], strict=True)
    return np.concatenate(xs), np.concatenate(ys)


@pytest.fixture
def daily():
    index = pd.date_range("2024-01-01", periods=30, freq="D")
    return pd.DataFrame({"riders": np.arange(30.0) * 10, "temp": np.arange(30.0) % 7}, index=index)


# ---------------------------------------------------------------------------------------------- split
def test_split_sizes_and_order(daily):
    train, val, test = chronological_split(daily, train=0.6, val=0.2)
    assert (len(train), len(val), len(test)) == (18, 6, 6)
    # in time order, contiguous, nothing lost or repeated
    assert train.index.max() < val.index.min() and val.index.max() < test.index.min()
    pd.testing.assert_frame_equal(pd.concat([train, val, test]), daily)


def test_split_numpy_and_series():
    tr, va, te = chronological_split(np.arange(20), train=0.7, val=0.15)
    np.testing.assert_array_equal(tr, np.arange(14))
    np.testing.assert_array_equal(va, [14, 15, 16])
    np.testing.assert_array_equal(te, [17, 18, 19])
    s = pd.Series(np.arange(10.0))
    assert [len(p) for p in chronological_split(s, 0.5, 0.3)] == [5, 3, 2]
    # floor of the fraction, robust to round-off (0.29 * 100 is 28.999999999999996 in floating point)
    assert [len(p) for p in chronological_split(np.arange(100), 0.29, 0.57)] == [29, 57, 14]
    assert [len(p) for p in chronological_split(np.arange(11), 0.65, 0.2)] == [7, 2, 2]


@pytest.mark.parametrize("train,val", [(0.0, 0.1), (1.0, 0.1), (-0.2, 0.1), (0.7, 0.0), (0.7, 1.2),
                                       (0.7, 0.3), (0.8, 0.25)])
def test_split_bad_fractions(train, val):
    with pytest.raises(ValueError, match=r"`(train|val)` expects .*, got "):
        chronological_split(np.arange(100), train=train, val=val)


def test_split_message_names_sum():
    with pytest.raises(ValueError, match=r"train \+ val < 1.*got train=0.8 \+ val=0.25"):
        chronological_split(np.arange(100), train=0.8, val=0.25)


def test_split_too_short_and_unsorted(daily):
    with pytest.raises(ValueError, match="`data` expects a series long enough to give every part a step"):
        chronological_split(np.arange(3), train=0.5, val=0.2)
    with pytest.raises(ValueError, match="sort_index"):
        chronological_split(daily.iloc[::-1])
    with pytest.raises(TypeError, match=r"`data` expects .*, got \[1, 2, 3\] \(list\)"):
        chronological_split([1, 2, 3])


# ---------------------------------------------------------------------------------------------- scaler
def test_scaler_fitted_on_train_only(daily):
    train, val, test = chronological_split(daily, train=0.6, val=0.2)
    scaler = fit_scaler(train)
    # statistics are those of the training rows only (population std, as StandardScaler)
    np.testing.assert_allclose(scaler.mean_["riders"], train["riders"].mean())
    np.testing.assert_allclose(scaler.scale_["riders"], train["riders"].std(ddof=0))
    assert scaler.mean_["riders"] != pytest.approx(daily["riders"].mean())
    scaled_val = scaler.transform(val)
    # the validation part is later in an upward trend, so it must NOT come out centred on 0
    assert scaled_val["riders"].mean() > 1.0
    expected = (val["riders"] - train["riders"].mean()) / train["riders"].std(ddof=0)
    np.testing.assert_allclose(scaled_val["riders"], expected)
    # keeps index and columns
    assert list(scaled_val.columns) == ["riders", "temp"] and scaled_val.index.equals(val.index)


def test_scaler_round_trip_and_single_column(daily):
    train, val, _ = chronological_split(daily, train=0.6, val=0.2)
    scaler = fit_scaler(train)
    pd.testing.assert_frame_equal(scaler.inverse_transform(scaler.transform(val)), val)
    scaled = scaler.transform(val)["riders"].to_numpy()
    forecasts = np.stack([scaled, scaled], axis=1)  # shape (n, horizon=2) as a model would give
    back = scaler.inverse_transform(forecasts, column="riders")
    assert back.shape == (len(val), 2)
    np.testing.assert_allclose(back[:, 1], val["riders"])


def test_scaler_numpy():
    train = np.arange(10.0)
    scaler = fit_scaler(train)
    out = scaler.transform(np.array([4.5, 14.5]))
    np.testing.assert_allclose(out, [0.0, 10.0 / np.std(train)])
    np.testing.assert_allclose(scaler.inverse_transform(out, column=0), [4.5, 14.5])


def test_scaler_bad_input(daily):
    scaler = fit_scaler(daily)
    with pytest.raises(ValueError, match=r"`column` expects one of \['riders', 'temp'\], got 'rain'"):
        scaler.inverse_transform([1.0], column="rain")
    with pytest.raises(ValueError, match=r"fitted on, \['riders', 'temp'\], got \['temp', 'riders'\]"):
        scaler.transform(daily[["temp", "riders"]])
    with pytest.raises(ValueError, match="constant"):
        fit_scaler(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 3.0]}))
    with pytest.raises(ValueError, match="NaN"):
        fit_scaler(pd.Series([1.0, np.nan, 3.0]))


# ---------------------------------------------------------------------------------------------- windows
def test_window_arrays_hand_example_multistep():
    X, y = window_arrays(np.arange(10.0), seq_len=3, horizon=2)
    expected_X = np.array([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7]], np.float32)
    expected_y = np.array([[3, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9]], dtype=np.float32)
    np.testing.assert_array_equal(X[..., 0], expected_X)
    np.testing.assert_array_equal(y, expected_y)
    assert X.shape == (6, 3, 1) and X.dtype == np.float32


def test_window_arrays_one_step():
    X, y = window_arrays(np.arange(10.0), seq_len=3)
    assert X.shape == (7, 3, 1) and y.shape == (7,)
    np.testing.assert_array_equal(X[:, -1, 0] + 1, y)
    np.testing.assert_array_equal(y, np.arange(3.0, 10.0))


def test_window_arrays_seq2seq_hand_example():
    X, y = window_arrays(np.arange(10.0), seq_len=3, horizon=2, sequence_targets=True)
    assert X.shape == (6, 3, 1) and y.shape == (6, 3, 2)
    np.testing.assert_array_equal(y[0], [[1, 2], [2, 3], [3, 4]])
    np.testing.assert_array_equal(y[-1], [[6, 7], [7, 8], [8, 9]])
    # the last step of the seq2seq target is the multi-step target
    _, y_multi = window_arrays(np.arange(10.0), seq_len=3, horizon=2)
    np.testing.assert_array_equal(y[:, -1], y_multi)


def test_window_arrays_multivariate_target(daily):
    X, y = window_arrays(daily, seq_len=4, horizon=1, target="temp")
    assert X.shape == (26, 4, 2)
    np.testing.assert_array_equal(y, daily["temp"].to_numpy()[4:])
    np.testing.assert_array_equal(X[0, :, 0], daily["riders"].to_numpy()[:4])
    X2, y2 = window_arrays(daily.to_numpy(), seq_len=4, target=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize("horizon,sequence_targets", [(1, False), (2, False), (3, True), (1, True)])
def test_dataset_and_arrays_agree(daily, horizon, sequence_targets):
    X, y = window_arrays(daily, seq_len=5, horizon=horizon, target="riders",
                         sequence_targets=sequence_targets)
    ds = window_dataset(daily, seq_len=5, horizon=horizon, target="riders", batch_size=4,
                        sequence_targets=sequence_targets)
    Xd, yd = _dataset_to_arrays(ds)
    np.testing.assert_array_equal(X, Xd)
    np.testing.assert_array_equal(y, yd)


def test_dataset_shuffle_keeps_pairs():
    series = np.arange(50.0)
    ds = window_dataset(series, seq_len=4, horizon=2, batch_size=8, shuffle=True, seed=1)
    X, y = _dataset_to_arrays(ds)
    assert len(X) == 45
    assert not np.array_equal(X[:, 0, 0], np.sort(X[:, 0, 0]))  # shuffled ...
    np.testing.assert_array_equal(y[:, 0], X[:, -1, 0] + 1)  # ... but each window keeps its own target
    again = window_dataset(series, seq_len=4, horizon=2, batch_size=8, shuffle=True, seed=1)
    X2, _ = _dataset_to_arrays(again)
    np.testing.assert_array_equal(X, X2)  # seeded


def test_window_bad_input(daily):
    with pytest.raises(ValueError, match=r"seq_len \+ horizon = 8 \+ 3 = 11 steps.*got a series of 10"):
        window_arrays(np.arange(10.0), seq_len=8, horizon=3)
    with pytest.raises(ValueError, match="seq_len"):
        window_dataset(np.arange(10.0), seq_len=11)
    with pytest.raises(ValueError, match="`horizon` expects a positive integer, got 0"):
        window_arrays(np.arange(10.0), seq_len=3, horizon=0)
    with pytest.raises(ValueError, match="`horizon` expects a positive integer, got -2"):
        window_dataset(np.arange(10.0), seq_len=3, horizon=-2)
    with pytest.raises(ValueError, match=r"`target` expects one of \['riders', 'temp'\], got 'rain'"):
        window_arrays(daily, seq_len=3, target="rain")
    with pytest.raises(ValueError, match="`target` expects the column to forecast, .* got None"):
        window_arrays(daily, seq_len=3)
    with_nan = daily.copy()
    with_nan.iloc[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN in 1 row.*2024-01-06"):
        window_dataset(with_nan, seq_len=3, target="riders")
    with pytest.raises(ValueError, match="`target` expects an integer from 0 to 1, got 2"):
        window_arrays(daily.to_numpy(), seq_len=3, target=2)
    with pytest.raises(ValueError, match="batch_size"):
        window_dataset(np.arange(10.0), seq_len=3, batch_size=0)


# ---------------------------------------------------------------------------------------------- dates
def test_dated_forecast_one_step(daily):
    X, y = window_arrays(daily, seq_len=3, target="riders")
    forecast = to_dated_forecast(y, daily.index, seq_len=3, name="naive")
    # window 0 covers Jan 1-3, so its forecast is for Jan 4; each dated forecast equals the truth on that date
    assert forecast.index[0] == pd.Timestamp("2024-01-04")
    assert forecast.index[-1] == pd.Timestamp("2024-01-30")
    np.testing.assert_array_equal(forecast.to_numpy(), daily["riders"].loc[forecast.index].to_numpy())
    assert forecast.name == "naive"
    # (n, 1) as returned by Dense(1)
    assert to_dated_forecast(y[:, None], daily, seq_len=3).index.equals(forecast.index)


def test_dated_forecast_multistep_rows(daily):
    X, y = window_arrays(daily, seq_len=3, horizon=4, target="riders")
    frame = to_dated_forecast(y, daily.index, seq_len=3, horizon=4)
    assert list(frame.columns) == ["t+1", "t+2", "t+3", "t+4"]
    assert frame.index[0] == pd.Timestamp("2024-01-04")
    # value at row d, column t+k is the truth k-1 days after d
    for k in range(1, 5):
        dates = frame.index + pd.Timedelta(days=k - 1)
        np.testing.assert_array_equal(frame[f"t+{k}"].to_numpy(), daily["riders"].loc[dates].to_numpy())


def test_dated_forecast_single_window_and_future(daily):
    X, y = window_arrays(daily, seq_len=3, horizon=4, target="riders")
    one = to_dated_forecast(y[10], daily.index, seq_len=3, horizon=4, window=10)
    assert list(one.index) == list(pd.date_range("2024-01-14", periods=4, freq="D"))
    np.testing.assert_array_equal(one.to_numpy(), daily["riders"].loc[one.index].to_numpy())
    # the last 3 days forecast the 4 days after the data ends: dates extended with the daily frequency
    future = to_dated_forecast(np.zeros(4), daily.index, seq_len=3, horizon=4, window=len(daily) - 3)
    assert list(future.index) == list(pd.date_range("2024-01-31", periods=4, freq="D"))


def test_dated_forecast_bad_input(daily):
    with pytest.raises(ValueError, match=r"shape \(n, horizon=3\), got \(5, 2\)"):
        to_dated_forecast(np.zeros((5, 2)), daily.index, seq_len=3, horizon=3)
    with pytest.raises(ValueError, match="length horizon=3, got 5"):
        to_dated_forecast(np.zeros(5), daily.index, seq_len=3, horizon=3)
    with pytest.raises(ValueError, match=r"predictions\[:, -1\]"):
        to_dated_forecast(np.zeros((5, 3, 2)), daily.index, seq_len=3, horizon=2)
    with pytest.raises(ValueError, match="DatetimeIndex"):
        to_dated_forecast(np.zeros(10), pd.RangeIndex(10), seq_len=3)
    with pytest.raises(TypeError, match="pandas Index"):
        to_dated_forecast(np.zeros(3), list(range(10)), seq_len=3)


# ------------------------------------------------------------------------------------------- calendar
def test_calendar_features_weekdays_and_us_holidays():
    from rnncourse.timeseries import calendar_features

    dates = pd.date_range("2015-12-20", "2016-01-05", freq="D")
    cal = calendar_features(dates)
    assert list(cal.columns) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"]
    np.testing.assert_array_equal(cal[list(cal.columns[:7])].to_numpy().argmax(axis=1), dates.day_of_week)
    assert (cal.iloc[:, :7].sum(axis=1) == 1).all()
    # Christmas (Fri 25 Dec 2015) and New Year (Fri 1 Jan 2016) and nothing else in these two weeks
    assert [d.strftime("%m-%d") for d in cal.index[cal["holiday"] == 1]] == ["12-25", "01-01"]
    # Observed holidays: 4 July 2015 was a Saturday, observed on Friday 3 July
    observed = calendar_features(pd.date_range("2015-07-02", periods=4, freq="D"))["holiday"]
    assert observed.tolist() == [0.0, 1.0, 0.0, 0.0]
    assert "holiday" not in calendar_features(dates, holidays=False).columns
    # hourly dates: the flag covers the whole holiday
    hourly = calendar_features(pd.date_range("2015-12-25", periods=48, freq="h"))
    assert hourly["holiday"].tolist() == [1.0] * 24 + [0.0] * 24


@pytest.mark.parametrize(("dates", "kwargs", "error", "message"), [
    (pd.RangeIndex(5), {}, TypeError, r"`dates` expects .*, got a RangeIndex of shape \(5,\)"),
    (["2015-01-01"], {}, TypeError, r"got \[.2015-01-01.\] \(list\)"),
    (pd.DatetimeIndex([]), {}, ValueError, "at least one date"),
    (pd.date_range("2015-01-01", periods=3), {"holidays": "US"}, TypeError, "`holidays` expects .* 'US'"),
])
def test_calendar_features_bad_input(dates, kwargs, error, message):
    from rnncourse.timeseries import calendar_features

    with pytest.raises(error, match=message):
        calendar_features(dates, **kwargs)


# ---------------------------------------------------------------------------------- make_forecast_data
@pytest.fixture
def two_columns():
    index = pd.date_range("2020-01-01", periods=200, freq="D")
    rng = np.random.default_rng(0)
    return pd.DataFrame({"riders": 100 + 10 * np.sin(np.arange(200) / 3) + rng.normal(size=200),
                         "flag": (np.arange(200) % 7 == 0).astype(float)}, index=index)


def test_make_forecast_data_matches_the_recipe_by_hand(two_columns):
    from rnncourse.timeseries import make_forecast_data

    data = make_forecast_data(two_columns, seq_len=14, target="riders")
    train, val, test = chronological_split(two_columns)
    scaler = fit_scaler(train)
    for part, frame in [("train", train), ("val", pd.concat([train.iloc[-14:], val])),
                        ("test", pd.concat([val.iloc[-14:], test]))]:
        X, y = window_arrays(scaler.transform(frame), 14, target="riders")
        np.testing.assert_array_equal(data.windows(part)[0], X)
        np.testing.assert_array_equal(data.windows(part)[1], y)
    # every validation and test day is forecast exactly once, and unscale/truth/dated give them back
    assert len(data.y_val) == len(val) and len(data.y_test) == len(test)
    np.testing.assert_allclose(data.truth("test"), test["riders"], rtol=1e-5)
    dated = data.dated(data.y_test)
    assert dated.index.equals(test.index)
    np.testing.assert_allclose(dated, test["riders"], rtol=1e-5)
    assert data.target_index == 0 and data.num_features == 2 and "seq_len=14" in repr(data)


def test_make_forecast_data_leaves_unscaled_columns_alone(two_columns):
    from rnncourse.timeseries import make_forecast_data

    data = make_forecast_data(two_columns, seq_len=7, target="riders", scale=["riders"])
    assert data.scaler.columns == ["riders"]
    np.testing.assert_array_equal(data.X_train[:, :, 1], np.lib.stride_tricks.sliding_window_view(
        two_columns["flag"].to_numpy()[:140], 7)[:133])          # the 0/1 flag is passed through unchanged
    # a target that is not scaled is returned as it is
    flagged = make_forecast_data(two_columns, seq_len=7, target="flag", scale=["riders"])
    np.testing.assert_array_equal(flagged.truth("val"), two_columns["flag"].iloc[140:170])


def test_make_forecast_data_multi_step_and_sequence_targets(two_columns):
    from rnncourse.timeseries import make_forecast_data

    week = make_forecast_data(two_columns["riders"], seq_len=14, horizon=7)
    assert week.X_test.shape == (30 - 7 + 1, 14, 1) and week.y_test.shape == (24, 7)
    dated = week.dated(week.y_test)
    assert list(dated.columns) == [f"t+{k}" for k in range(1, 8)]
    np.testing.assert_allclose(dated["t+1"], two_columns["riders"].iloc[170:194], rtol=1e-5)
    seq = make_forecast_data(two_columns["riders"], seq_len=14, horizon=7, sequence_targets=True)
    assert seq.y_train.shape == (140 - 14 - 7 + 1, 14, 7)


@pytest.mark.parametrize(("data", "kwargs", "error", "message"), [
    (np.arange(50.0), {"seq_len": 3}, TypeError, "`data` expects .*, got an array of shape"),
    ("two", {"seq_len": 3}, TypeError, r"`data` expects .*, got 'two' \(str\)"),
    (None, {"seq_len": 3}, ValueError, "`target` expects the column to forecast, .* got None"),
    (None, {"seq_len": 3, "target": "bus"}, KeyError, "'bus'"),
    (None, {"seq_len": 3, "target": "riders", "scale": "riders"}, TypeError, "`scale` expects .* 'riders'"),
    (None, {"seq_len": 3, "target": "riders", "scale": ["bus"]}, KeyError, "unknown \\['bus'\\]"),
    (None, {"seq_len": 0, "target": "riders"}, ValueError, "seq_len"),
    (None, {"seq_len": 150, "target": "riders"}, ValueError, "at least seq_len"),
])
def test_make_forecast_data_bad_input(two_columns, data, kwargs, error, message):
    from rnncourse.timeseries import make_forecast_data

    with pytest.raises(error, match=message):
        make_forecast_data(two_columns if data is None else data, **kwargs)


def test_forecast_data_bad_part_and_length(two_columns):
    from rnncourse.timeseries import make_forecast_data

    data = make_forecast_data(two_columns, seq_len=7, target="riders")
    with pytest.raises(KeyError, match="'validation'"):
        data.windows("validation")
    with pytest.raises(ValueError, match="`predictions` expects one forecast .*\\(30\\), got 29"):
        data.dated(data.y_test[:-1])
