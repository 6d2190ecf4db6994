"""Time series plumbing for forecasting with RNNs: split, scale, window, and put dates back on forecasts.

The order of the steps matters, and each function enforces its part:

1. ``chronological_split`` cuts the series into train / validation / test **in time order** (no shuffling:
   the model must never see the future it is asked to predict).
2. ``fit_scaler`` learns the mean and standard deviation **from the training part only**, and the same
   scaler is then applied to all three parts.
3. ``window_dataset`` / ``window_arrays`` turn a series into (inputs, targets) pairs: ``seq_len`` past steps
   in, the next value (``horizon=1``), the next ``horizon`` values (multi-step), or the next ``horizon``
   values at every step of the window (sequence-to-sequence) out.
4. ``to_dated_forecast`` puts the dates back on the model's predictions, so they can be plotted against the
   truth and compared with baselines.

Windows, for a series ``s`` of length ``N``, a window length ``seq_len = L`` and a ``horizon = H``
(``n = N - L - H + 1`` windows, window ``i`` starting at position ``i``)::

    X[i]                         = s[i : i + L]                      shape (L, features)
    y[i]   (horizon 1)           = s[i + L]                          shape ()
    y[i]   (multi-step)          = s[i + L : i + L + H]              shape (H,)
    y[i]   (sequence targets)    = [s[i + t + 1 : i + t + 1 + H] for t in range(L)]   shape (L, H)

Example:
    >>> import numpy as np
    >>> X, y = window_arrays(np.arange(10.0), seq_len=3, horizon=2)
    >>> X.shape, y.shape          # 10 - 3 - 2 + 1 = 6 windows
    ((6, 3, 1), (6, 2))
    >>> X[0, :, 0], y[0]
    (array([0., 1., 2.], dtype=float32), array([3., 4.], dtype=float32))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnncourse import arguments

__all__ = [
    "chronological_split",
    "Scaler",
    "fit_scaler",
    "window_arrays",
    "window_dataset",
    "to_dated_forecast",
    "calendar_features",
    "ForecastData",
    "make_forecast_data",
]


# ----------------------------------------------------------------------------------------------------------
# Argument checks shared by the functions below
# ----------------------------------------------------------------------------------------------------------
def _check_data_type(data, name: str = "data") -> None:
    if not isinstance(data, pd.DataFrame | pd.Series | np.ndarray):
        raise TypeError(arguments.message(name, "a pandas DataFrame, a pandas Series or a NumPy array",
                                          arguments.given(data)))


def _columns_of(data) -> list:
    """Column labels: names for a DataFrame, the name for a Series, positions for an array."""
    if isinstance(data, pd.DataFrame):
        return list(data.columns)
    if isinstance(data, pd.Series):
        return [data.name if data.name is not None else 0]
    return list(range(1 if data.ndim == 1 else data.shape[1]))


def _values_2d(data, name: str = "data") -> np.ndarray:
    """(N, features) float32 values of a DataFrame, Series or 1-D/2-D array, with type, NaN and inf checks."""
    _check_data_type(data, name)
    values = arguments.numeric_array(data, name, dtype=np.float32, ndim=(1, 2), allow_empty=True,
                                     finite=False)
    if values.ndim == 1:
        values = values[:, None]
    bad_rows = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if bad_rows.size:
        first = data.index[bad_rows[0]] if isinstance(data, pd.DataFrame | pd.Series) else int(bad_rows[0])
        n_nan = int(np.isnan(values[bad_rows]).any(axis=1).sum())
        what = "NaN" if n_nan == bad_rows.size else "inf" if n_nan == 0 else "NaN or inf"
        raise ValueError(arguments.message(
            name, "finite values (no missing or infinite values)",
            f"{what} in {bad_rows.size} row(s), the first at {first!r}; fill (e.g. .interpolate()) or drop "
            "them before windowing (values beyond the float32 range count as infinite)"))
    return values


def _target_position(data, target) -> int:
    """Column position of ``target`` (a column name for a DataFrame, a position for an array)."""
    columns = _columns_of(data)
    if target is None:
        if len(columns) == 1:
            return 0
        raise ValueError(arguments.message("target", f"the column to forecast, since data has {len(columns)} "
                                                     f"columns {columns}", "None"))
    if isinstance(data, pd.DataFrame | pd.Series):
        return columns.index(arguments.one_of(target, "target", columns))
    return arguments.integer(target, "target", minimum=0, maximum=len(columns) - 1)


def _check_window_fits(n_steps: int, seq_len: int, horizon: int) -> int:
    n_windows = n_steps - seq_len - horizon + 1
    if n_windows < 1:
        raise ValueError(arguments.message(
            "data", f"a series of at least seq_len + horizon = {seq_len} + {horizon} = {seq_len + horizon} "
            "steps to make one window", f"a series of {n_steps} steps"))
    return n_windows


# ----------------------------------------------------------------------------------------------------------
# 1. Chronological split
# ----------------------------------------------------------------------------------------------------------
def chronological_split(data, train: float = 0.7, val: float = 0.15):
    """Split a series into train / validation / test parts in time order (no shuffling).

    Taught in: none of the notebooks (library only; see docs/library.md).

    The first ``floor(train * N)`` steps are the training part, the next ``floor(val * N)`` the validation
    part, and the rest the test part. Shuffling before the split would let the model train on days that come
    after the ones it is tested on, which flatters it.

    Args:
        data: ``pd.DataFrame``, ``pd.Series`` or NumPy array with time along the first axis. A
            ``DatetimeIndex`` must be sorted in increasing order.
        train: fraction of the steps for training, strictly between 0 and 1. Default: ``0.7``.
        val: fraction for validation, strictly between 0 and 1; ``train + val`` must be below 1 so that
            something is left for the test part. Default: ``0.15``.

    Returns:
        ``(train_part, val_part, test_part)``, each of the same type as ``data`` (pandas parts keep their
        index, so the dates are still there).

    Raises:
        ValueError: for a fraction outside (0, 1), ``train + val >= 1``, an unsorted index, or a series too
            short to give every part at least one step.
        TypeError: if ``data`` is not a DataFrame, Series or array, or a fraction is not a number.

    Example:
        >>> import numpy as np
        >>> tr, va, te = chronological_split(np.arange(20), train=0.7, val=0.15)
        >>> len(tr), len(va), len(te)
        (14, 3, 3)
    """
    _check_data_type(data)
    train = arguments.fraction(train, "train")
    val = arguments.fraction(val, "val")
    if train + val >= 1.0:
        raise ValueError(arguments.message("val", "train + val < 1 so that a test part remains",
                                           f"train={train} + val={val} = {train + val:g}"))
    if isinstance(data, pd.DataFrame | pd.Series) and not data.index.is_monotonic_increasing:
        raise ValueError(arguments.message("data", "data sorted in time order (an increasing index)",
                                           "an index that is not increasing; call data.sort_index() first"))
    n = len(data)
    # floor, with a little slack so that 0.29 * 100 = 28.999999999999996 still gives 29 steps
    n_train, n_val = int(np.floor(train * n + 1e-9)), int(np.floor(val * n + 1e-9))
    n_test = n - n_train - n_val
    if min(n_train, n_val, n_test) < 1:
        raise ValueError(arguments.message("data", "a series long enough to give every part a step",
                                           f"{n_train} train / {n_val} validation / {n_test} test steps "
                                           f"from a series of {n} steps"))
    if isinstance(data, pd.DataFrame | pd.Series):
        parts = data.iloc[:n_train], data.iloc[n_train:n_train + n_val], data.iloc[n_train + n_val:]
    else:
        parts = data[:n_train], data[n_train:n_train + n_val], data[n_train + n_val:]
    return parts


# ----------------------------------------------------------------------------------------------------------
# 2. Scaling fitted on the training part only
# ----------------------------------------------------------------------------------------------------------
class Scaler:
    """Standardise columns with the mean and standard deviation of the training part.

    Taught in: none of the notebooks (library only; see docs/library.md).

    A thin wrapper around ``sklearn.preprocessing.StandardScaler`` that keeps what scikit-learn drops: the
    column names and the index of a DataFrame or Series, so scaled data can still be windowed by column name
    and plotted against dates. Create it with ``fit_scaler(train)``.

    Attributes:
        columns: column labels seen at fit time.
        mean_: ``pd.Series`` of training means, one per column.
        scale_: ``pd.Series`` of training standard deviations (population, ``ddof=0``), one per column.

    Example:
        >>> import pandas as pd
        >>> train = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0]})
        >>> scaler = fit_scaler(train)
        >>> scaler.transform(train)["a"].round(3).tolist()
        [-1.225, 0.0, 1.225]
        >>> scaler.inverse_transform([0.0, 1.0], column="b").round(3).tolist()   # one column back
        [20.0, 28.165]
    """

    def __init__(self, standard_scaler, columns: list, kind: str) -> None:
        self._scaler = standard_scaler
        self.columns = list(columns)
        self._kind = kind
        self.mean_ = pd.Series(standard_scaler.mean_, index=self.columns, name="mean")
        self.scale_ = pd.Series(standard_scaler.scale_, index=self.columns, name="scale")

    def __repr__(self) -> str:
        return f"Scaler(columns={self.columns})"

    def _check_same_columns(self, data) -> None:
        given = _columns_of(data)
        if isinstance(data, pd.DataFrame | pd.Series) and self._kind != "array":
            if given != self.columns:
                raise ValueError(arguments.message(
                    "data", f"the columns the scaler was fitted on, {self.columns}", f"{given}"))
        elif len(given) != len(self.columns):
            raise ValueError(arguments.message("data", f"{len(self.columns)} column(s), as at fit time",
                                               f"{len(given)}"))

    def _apply(self, data, forward: bool):
        _check_data_type(data)
        self._check_same_columns(data)
        values = arguments.numeric_array(data, "data", dtype=np.float64, allow_empty=True, finite=False)
        two_d = values.reshape(len(values), -1)
        out = self._scaler.transform(two_d) if forward else self._scaler.inverse_transform(two_d)
        if isinstance(data, pd.DataFrame):
            return pd.DataFrame(out, index=data.index, columns=data.columns)
        if isinstance(data, pd.Series):
            return pd.Series(out[:, 0], index=data.index, name=data.name)
        return out.reshape(values.shape)

    def transform(self, data):
        """Scale ``data`` with the training statistics: ``(data - mean_) / scale_``.

        Args:
            data: DataFrame / Series / array with the same columns as the training part.

        Returns:
            The scaled data, of the same type, index and columns as ``data``.

        Raises:
            ValueError: if the columns differ from those seen at fit time.
        """
        return self._apply(data, forward=True)

    def inverse_transform(self, data, column=None):
        """Undo the scaling: ``data * scale_ + mean_``.

        Args:
            data: with ``column=None``, data with all the fitted columns (as given to ``transform``). With a
                ``column``, values of that one column in **any shape**, such as model forecasts of shape
                ``(n,)``, ``(n, horizon)`` or ``(n, seq_len, horizon)``.
            column: the column the values belong to (its name, or its position for array data).
                Default: ``None`` (all columns).

        Returns:
            Unscaled values of the same type and shape (a Series/DataFrame keeps its index).

        Raises:
            ValueError: if the columns differ.
            KeyError: (an ``rnncourse.arguments.UnknownNameError``, also a ``ValueError``) if ``column`` is
                not one of the fitted columns.
            TypeError: if ``data`` is not numbers.
        """
        if column is None:
            return self._apply(data, forward=False)
        position = self.columns.index(arguments.one_of(column, "column", self.columns))
        mean, scale = float(self._scaler.mean_[position]), float(self._scaler.scale_[position])
        if isinstance(data, pd.DataFrame | pd.Series):
            return data * scale + mean
        values = arguments.numeric_array(data, "data", dtype=np.float64, allow_empty=True, finite=False)
        return values * scale + mean


def fit_scaler(train) -> Scaler:
    """Fit a standardising ``Scaler`` on the training part only.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Fitting on the whole series would leak the validation and test statistics (their level and spread) into
    training; fit on the training part, then ``transform`` all three parts with it.

    Args:
        train: the training part (``pd.DataFrame``, ``pd.Series`` or NumPy array, time along axis 0).

    Returns:
        A fitted ``Scaler`` with ``transform`` and ``inverse_transform``.

    Raises:
        ValueError: if ``train`` is empty, has NaN or infinite values, is not 1-D or 2-D, or a column is
            constant (its scale would be 0).
        TypeError: if ``train`` is not a DataFrame, Series or array of real numbers (strings, complex).

    Example:
        >>> import numpy as np
        >>> tr, va, te = chronological_split(np.arange(100.0))
        >>> scaler = fit_scaler(tr)
        >>> scaler.mean_.tolist(), scaler.scale_.round(2).tolist()    # from the first 70 steps only
        ([34.5], [20.21])
    """
    from sklearn.preprocessing import StandardScaler

    values = _values_2d(train, "train")
    if len(values) == 0:
        raise ValueError(arguments.message("train", "a non-empty training part to fit the scaler on",
                                           "0 rows"))
    columns = _columns_of(train)
    constant = [c for c, s in zip(columns, values.std(axis=0), strict=True) if s == 0]
    if constant:
        raise ValueError(arguments.message("train", "every column to vary over the training part",
                                           f"constant column(s) {constant}; drop them or scale them "
                                           "yourself"))
    kind = "array" if isinstance(train, np.ndarray) else "pandas"
    return Scaler(StandardScaler().fit(values.astype(np.float64)), columns, kind)


# ----------------------------------------------------------------------------------------------------------
# 3. Windowing
# ----------------------------------------------------------------------------------------------------------
def _prepare_windows(data, seq_len, horizon, target):
    seq_len = arguments.positive_int(seq_len, "seq_len")
    horizon = arguments.positive_int(horizon, "horizon")
    values = _values_2d(data)
    position = _target_position(data, target)
    n_windows = _check_window_fits(len(values), seq_len, horizon)
    return values, values[:, position], seq_len, horizon, n_windows


def window_arrays(data, seq_len: int, horizon: int = 1, target=None, sequence_targets: bool = False):
    """Cut a series into NumPy (inputs, targets) windows; the in-memory twin of ``window_dataset``.

    Taught in: notebooks/exercises/03_forecasting_exercises.ipynb, section "Q1 (2 points) -- windows".

    Uses ``numpy.lib.stride_tricks.sliding_window_view`` (no Python loop). The two functions are written
    independently on purpose, and the tests check that they give the same windows.

    Args:
        data: ``pd.DataFrame``, ``pd.Series`` or array of shape ``(time,)`` / ``(time, features)``, no NaN.
            Every column is an input feature.
        seq_len: number of past steps in each input window (positive int).
        horizon: number of future steps to predict (positive int). Default: ``1``.
        target: the column to forecast: a column name for a DataFrame, a position for a 2-D array. May be
            left ``None`` when there is a single column. Default: ``None``.
        sequence_targets: if ``True``, sequence-to-sequence targets: at every step ``t`` of the window the
            next ``horizon`` values. Default: ``False``.

    Returns:
        ``(X, y)`` as float32 arrays, with ``n = time - seq_len - horizon + 1`` windows:
        ``X`` of shape ``(n, seq_len, features)``; ``y`` of shape ``(n,)`` for ``horizon=1``,
        ``(n, horizon)`` for multi-step, ``(n, seq_len, horizon)`` with ``sequence_targets=True``.

    Raises:
        ValueError: window longer than the series, NaN or infinite values in the series, data not 1-D or
            2-D, ``seq_len``/``horizon`` below 1, ``target`` missing or out of range.
        TypeError: data that is not a DataFrame, Series or array of real numbers (strings, complex numbers),
            ``seq_len``/``horizon`` not integers.
        KeyError: an unknown ``target`` column (an ``UnknownNameError``, also a ``ValueError``).

    Example:
        >>> import numpy as np
        >>> X, y = window_arrays(np.arange(10.0), seq_len=3)
        >>> X.shape, y.shape          # (n, seq_len, features), (n,)
        ((7, 3, 1), (7,))
        >>> X[-1, :, 0], y[-1]
        (array([6., 7., 8.], dtype=float32), np.float32(9.0))
        >>> X, y = window_arrays(np.arange(10.0), seq_len=3, horizon=2, sequence_targets=True)
        >>> y[0]                      # at each of the 3 steps, the next 2 values
        array([[1., 2.],
               [2., 3.],
               [3., 4.]], dtype=float32)
    """
    from numpy.lib.stride_tricks import sliding_window_view

    values, series, seq_len, horizon, n = _prepare_windows(data, seq_len, horizon, target)
    # sliding_window_view puts the window axis last: (N - seq_len + 1, features, seq_len) -> swap.
    X = sliding_window_view(values, seq_len, axis=0)[:n].transpose(0, 2, 1)
    future = sliding_window_view(series[1:], horizon)  # future[j] = series[j + 1 : j + 1 + horizon]
    if sequence_targets:
        y = sliding_window_view(future, seq_len, axis=0)[:n].transpose(0, 2, 1)
    else:
        y = future[seq_len - 1:seq_len - 1 + n]
        if horizon == 1:
            y = y[:, 0]
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def window_dataset(
    data,
    seq_len: int,
    horizon: int = 1,
    target=None,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = 0,
    sequence_targets: bool = False,
):
    """Cut a series into a batched ``tf.data.Dataset`` of (inputs, targets) windows.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Built on ``keras.utils.timeseries_dataset_from_array``: the windows are made lazily, so long series do
    not have to be copied ``seq_len`` times into memory. Same windows as ``window_arrays``.

    Args:
        data: ``pd.DataFrame``, ``pd.Series`` or array of shape ``(time,)`` / ``(time, features)``, no NaN.
        seq_len: number of past steps in each input window (positive int).
        horizon: number of future steps to predict (positive int). Default: ``1``.
        target: the column to forecast (name for a DataFrame, position for an array); may be ``None`` when
            there is a single column. Default: ``None``.
        batch_size: windows per batch (positive int). Default: ``32``.
        shuffle: shuffle the order of the windows (for training sets only; each window keeps its own
            target). Default: ``False``.
        seed: seed for the shuffle. Default: ``0``.
        sequence_targets: sequence-to-sequence targets, as in ``window_arrays``. Default: ``False``.

    Returns:
        A ``tf.data.Dataset`` of ``(X, y)`` batches, float32, shaped as in ``window_arrays`` with a batch
        axis of up to ``batch_size`` first.

    Raises:
        ValueError: as ``window_arrays``, and for a ``batch_size`` below 1 or a negative ``seed``.
        TypeError: as ``window_arrays``, and for a ``batch_size`` or ``seed`` that is not an integer or a
            ``shuffle`` that is not a bool.
        KeyError: as ``window_arrays``.

    Example:
        >>> import numpy as np
        >>> ds = window_dataset(np.arange(10.0), seq_len=3, horizon=2, batch_size=4)
        >>> [tuple(x.shape) for x, y in ds]   # 6 windows: a batch of 4 and a batch of 2
        [(4, 3, 1), (2, 3, 1)]
    """
    import keras

    batch_size = arguments.positive_int(batch_size, "batch_size")
    shuffle = arguments.boolean(shuffle, "shuffle")
    seed = arguments.seed(seed)
    values, series, seq_len, horizon, n = _prepare_windows(data, seq_len, horizon, target)
    from numpy.lib.stride_tricks import sliding_window_view

    future = sliding_window_view(series[1:], horizon)  # future[j] = series[j + 1 : j + 1 + horizon]
    if not sequence_targets:
        # targets[i] belongs to the window starting at i: the `horizon` values after its last step.
        targets = future[seq_len - 1:]
        if horizon == 1:
            targets = targets[:, 0]
        return keras.utils.timeseries_dataset_from_array(
            values[: n + seq_len - 1], np.ascontiguousarray(targets), sequence_length=seq_len,
            batch_size=batch_size, shuffle=shuffle, seed=seed,
        )
    # Sequence-to-sequence: window the inputs and the per-step futures together, then split the features.
    num_features = values.shape[1]
    joined = np.concatenate([values[: len(future)], future], axis=1)
    windows = keras.utils.timeseries_dataset_from_array(
        joined, None, sequence_length=seq_len, batch_size=batch_size, shuffle=shuffle, seed=seed,
    )
    return windows.map(lambda w: (w[..., :num_features], w[..., num_features:]))


# ----------------------------------------------------------------------------------------------------------
# 4. Dates back on the forecasts
# ----------------------------------------------------------------------------------------------------------
def _dates_from(index, start: int, count: int) -> pd.Index:
    """``count`` consecutive labels of ``index`` from position ``start``, extended past its end if needed."""
    if start + count <= len(index):
        return index[start:start + count]
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(arguments.message(
            "index", f"the forecast dates to lie within the index (positions {start}..{start + count - 1} of "
            f"{len(index)}); only a DatetimeIndex with a regular frequency can be extended into the future",
            f"a {type(index).__name__}"))
    freq = index.freq or (pd.infer_freq(index) if len(index) >= 3 else None)
    if freq is None:
        raise ValueError(arguments.message("index", "a DatetimeIndex with a regular frequency to extend the "
                                           "dates past its end", "one whose frequency cannot be inferred"))
    future = pd.date_range(index[-1], periods=start + count - len(index) + 1, freq=freq)[1:]
    return index[start:].append(future)[:count]


def to_dated_forecast(predictions, index, seq_len: int, horizon: int = 1, window: int = 0, name=None):
    """Put dates back on forecasts made from the windows of ``window_arrays`` / ``window_dataset``.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Window ``i`` covers positions ``i .. i + seq_len - 1`` of ``index``, so its first forecast is for
    position ``i + seq_len``. Three shapes of ``predictions`` are understood:

    - ``(n,)`` with ``horizon=1``: one-step forecasts of ``n`` consecutive windows, the first being window
      number ``window``. Returns a Series indexed by the dates forecast.
    - ``(horizon,)`` with ``horizon > 1``: the multi-step forecast of the single window number ``window``.
      Returns a Series indexed by the ``horizon`` dates it covers. Dates past the end of a regular
      ``DatetimeIndex`` are extended, so the last window of the data can forecast the future.
    - ``(n, horizon)``: multi-step forecasts of ``n`` consecutive windows. Returns a DataFrame with one row
      per window, indexed by the date of its **first** forecast step, and columns ``"t+1" .. "t+H"`` (the
      value in row ``d``, column ``"t+k"`` is the forecast for ``k - 1`` steps after date ``d``).

    Args:
        predictions: forecasts as above (a ``(n, 1)`` output of ``Dense(1)`` counts as ``(n,)``). For
            sequence-to-sequence output ``(n, seq_len, horizon)``, pass the last step, ``pred[:, -1]``.
        index: the index of the data the windows were cut from (a ``pd.Index``; a Series or DataFrame may
            be passed for its ``.index``).
        seq_len: the window length used to cut the windows.
        horizon: the forecast horizon used to cut the windows. Default: ``1``.
        window: the position of the (first) window the predictions belong to. Default: ``0``.
        name: name of the returned Series. Default: ``None``.

    Returns:
        ``pd.Series`` or ``pd.DataFrame`` indexed by forecast dates, as above.

    Raises:
        ValueError: for a shape that does not match ``horizon``, forecasts beyond the end of an index that
            cannot be extended, or bad ``seq_len``/``horizon``/``window``.
        TypeError: ``index`` not a pandas Index, predictions that are not numbers, or non-integer
            ``seq_len``/``horizon``/``window``.

    Example:
        >>> import numpy as np, pandas as pd
        >>> s = pd.Series(np.arange(10.0), index=pd.date_range("2024-01-01", periods=10, freq="D"))
        >>> X, y = window_arrays(s, seq_len=3)
        >>> f = to_dated_forecast(y, s.index, seq_len=3)
        >>> str(f.index[0].date()), f.iloc[0]   # window 0 = Jan 1-3, forecast for Jan 4
        ('2024-01-04', np.float32(3.0))
    """
    seq_len = arguments.positive_int(seq_len, "seq_len")
    horizon = arguments.positive_int(horizon, "horizon")
    window = arguments.integer(window, "window", minimum=0)
    if isinstance(index, pd.DataFrame | pd.Series):
        index = index.index
    if not isinstance(index, pd.Index):
        raise TypeError(arguments.message("index", "a pandas Index (or a Series/DataFrame for its index)",
                                          arguments.given(index)))
    values = arguments.numeric_array(predictions, "predictions", allow_empty=True, finite=False)
    if values.ndim == 2 and values.shape[1] == 1 and horizon == 1:
        values = values[:, 0]
    first = int(window) + seq_len
    if values.ndim == 1 and horizon == 1:
        return pd.Series(values, index=_dates_from(index, first, len(values)), name=name)
    if values.ndim == 1:
        if len(values) != horizon:
            raise ValueError(arguments.message("predictions", f"a single multi-step forecast of length "
                                               f"horizon={horizon}", f"{len(values)} values; for several "
                                               "windows pass shape (n, horizon)"))
        return pd.Series(values, index=_dates_from(index, first, horizon), name=name)
    if values.ndim == 2:
        if values.shape[1] != horizon:
            raise ValueError(arguments.message("predictions", f"shape (n, horizon={horizon})",
                                               f"{values.shape}"))
        dates = _dates_from(index, first, len(values) + horizon - 1)[: len(values)]
        return pd.DataFrame(values, index=dates, columns=[f"t+{k}" for k in range(1, horizon + 1)])
    raise ValueError(arguments.message("predictions", "shape (n,), (horizon,) or (n, horizon)",
                                       f"{values.shape}; for sequence-to-sequence output "
                                       "(n, seq_len, horizon) pass predictions[:, -1]"))


# ----------------------------------------------------------------------------------------------------------
# 5. Inputs known in advance: the calendar
# ----------------------------------------------------------------------------------------------------------
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def calendar_features(dates, holidays: bool = True) -> pd.DataFrame:
    """Calendar inputs for each date: the day of the week (one-hot) and a public-holiday flag.

    Taught in: notebooks/03_forecasting.ipynb, section "7. What the model cannot know: tomorrow's calendar".

    The calendar is known in advance, so a forecaster may be told what *tomorrow* is even though it cannot
    know tomorrow's value: pass the dates of the days to be forecast (for a daily series, ``index + 1 day``)
    and join the result to the inputs of the day before. The holidays are the US federal holidays of
    ``pandas.tseries.holiday.USFederalHolidayCalendar`` (New Year, Martin Luther King Jr. Day, Presidents'
    Day, Memorial Day, Juneteenth from 2021, Independence Day, Labor Day, Columbus Day, Veterans Day,
    Thanksgiving, Christmas, observed on the nearest weekday).

    Args:
        dates: a ``pd.DatetimeIndex`` (a Series or DataFrame with one may be passed for its ``.index``).
        holidays: add a ``holiday`` column (1.0 on US federal holidays). Default: ``True``.

    Returns:
        ``pd.DataFrame`` indexed by ``dates``, float32 columns ``mon`` .. ``sun`` (exactly one is 1.0 per
        row) and, with ``holidays=True``, ``holiday``.

    Raises:
        TypeError: if ``dates`` is not a DatetimeIndex (or a pandas object indexed by one).
        ValueError: if ``dates`` is empty.

    Example:
        >>> import pandas as pd
        >>> cal = calendar_features(pd.date_range("2015-11-25", periods=3, freq="D"))
        >>> cal.loc["2015-11-26", ["thu", "holiday"]].tolist()      # Thanksgiving 2015 was a Thursday
        [1.0, 1.0]
        >>> cal.sum(axis=1).tolist()                                 # one weekday each, plus the flag
        [1.0, 2.0, 1.0]
    """
    if isinstance(dates, pd.DataFrame | pd.Series):
        dates = dates.index
    if not isinstance(dates, pd.DatetimeIndex):
        raise TypeError(arguments.message("dates", "a pandas DatetimeIndex", arguments.given(dates),
                                          "calendar_features"))
    if len(dates) == 0:
        raise ValueError(arguments.message("dates", "at least one date", "an empty index",
                                           "calendar_features"))
    holidays = arguments.boolean(holidays, "holidays", "calendar_features")
    weekday = np.asarray(dates.day_of_week)
    features = pd.DataFrame(
        (weekday[:, None] == np.arange(7)[None, :]).astype(np.float32), index=dates, columns=list(WEEKDAYS))
    if holidays:
        from pandas.tseries.holiday import USFederalHolidayCalendar

        days = dates.normalize()
        federal = USFederalHolidayCalendar().holidays(start=days.min(), end=days.max())
        features["holiday"] = days.isin(federal).astype(np.float32)
    return features


# ----------------------------------------------------------------------------------------------------------
# 6. The whole recipe in one call
# ----------------------------------------------------------------------------------------------------------
class ForecastData:
    """A series split in time order, scaled with the training part, and cut into windows for each part.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Made by ``make_forecast_data``. The validation and test inputs start with the last ``seq_len`` rows of
    the part before them (as inputs only, never as targets), so every day of every part is forecast once.
    The object keeps what the arrays lose: the target's name and column position, the dates, ``seq_len``
    and ``horizon``, so forecasts can be unscaled and dated without handing them back by hand.

    Attributes:
        X_train, y_train, X_val, y_val, X_test, y_test: the windows of each part (float32, scaled), shaped as
            by ``window_arrays``.
        train, val, test: the three parts of the original (unscaled) data.
        inputs: ``{"train": ..., "val": ..., "test": ...}``, the unscaled frames each part's windows were cut
            from (validation and test with their prepended history).
        target: the target column's name; ``target_index``: its position among the input features.
        seq_len, horizon, sequence_targets: as given to ``make_forecast_data``.
        scaler: the ``Scaler`` fitted on the training part's scaled columns (``scaler.columns``).
    """

    PARTS = ("train", "val", "test")

    def __init__(self, *, parts, inputs, arrays, scaler, target, seq_len, horizon, sequence_targets):
        self.train, self.val, self.test = parts
        self.inputs = dict(zip(self.PARTS, inputs, strict=True))
        (self.X_train, self.y_train), (self.X_val, self.y_val), (self.X_test, self.y_test) = arrays
        self.scaler = scaler
        self.target = target
        self.target_index = list(self.train.columns).index(target)
        self.seq_len, self.horizon, self.sequence_targets = seq_len, horizon, sequence_targets

    def __repr__(self) -> str:
        shapes = ", ".join(f"X_{p} {getattr(self, f'X_{p}').shape}" for p in self.PARTS)
        return (f"ForecastData(target={self.target!r}, seq_len={self.seq_len}, horizon={self.horizon}, "
                f"{shapes})")

    @property
    def num_features(self) -> int:
        """Number of input features per time step (the last axis of ``X_*``)."""
        return self.X_train.shape[-1]

    def _check_part(self, part: str) -> str:
        return arguments.one_of(part, "part", self.PARTS, where="ForecastData")

    def windows(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` of one part: ``"train"``, ``"val"`` or ``"test"``."""
        part = self._check_part(part)
        return getattr(self, f"X_{part}"), getattr(self, f"y_{part}")

    def unscale(self, values):
        """Scaled values of the target (any shape, e.g. model forecasts) back in the data's own units."""
        if self.target not in self.scaler.columns:
            return np.asarray(values, dtype=np.float64)
        return self.scaler.inverse_transform(values, column=self.target)

    def truth(self, part: str = "test") -> np.ndarray:
        """The targets of one part's windows, in the data's own units."""
        return self.unscale(self.windows(part)[1])

    def dated(self, predictions, part: str = "test", name=None):
        """Forecasts for one part's windows, unscaled and indexed by the dates they forecast.

        Args:
            predictions: scaled forecasts for every window of ``part``: shape ``(n,)`` or ``(n, 1)`` for
                ``horizon=1``, ``(n, horizon)`` otherwise (for sequence-to-sequence output pass
                ``pred[:, -1]``).
            part: ``"train"``, ``"val"`` or ``"test"``. Default: ``"test"``.
            name: name of the returned Series. Default: ``None``.

        Returns:
            A ``pd.Series`` (one-step) or ``pd.DataFrame`` (multi-step, columns ``t+1`` ..), as from
            ``to_dated_forecast``.

        Raises:
            ValueError: if the number of forecasts differs from the number of windows of ``part``.
        """
        n_windows = len(self.windows(part)[0])
        values = arguments.numeric_array(predictions, "predictions", allow_empty=True, finite=False,
                                         where="ForecastData.dated")
        if len(values) != n_windows:
            raise ValueError(arguments.message("predictions", f"one forecast per {part} window ({n_windows})",
                                               f"{len(values)}", "ForecastData.dated"))
        return to_dated_forecast(self.unscale(values), self.inputs[part].index, self.seq_len,
                                 horizon=self.horizon, name=name)


def make_forecast_data(data, seq_len: int, target=None, *, train: float = 0.7, val: float = 0.15,
                       horizon: int = 1, sequence_targets: bool = False, scale=None) -> ForecastData:
    """Split, scale and window a series in one call: the forecasting recipe of notebook 3.

    Taught in: notebooks/03_forecasting.ipynb, section "2. Split in time order, scale with the training part,
    cut windows".

    1. ``chronological_split(data, train, val)``;
    2. ``fit_scaler`` on the training part (only the ``scale`` columns; 0/1 inputs such as a calendar are
       better left as they are), applied to all three parts;
    3. the validation and test parts get the last ``seq_len`` rows of the part before them as history;
    4. ``window_arrays`` on each part.

    Args:
        data: ``pd.DataFrame`` (or ``pd.Series``) in time order; every column is an input feature.
        seq_len: steps of history in each input window (positive int).
        target: the column to forecast; may be left ``None`` when there is one column. Default: ``None``.
        train, val: fractions of the rows for training and validation; the rest is the test part.
            Default: ``0.7``, ``0.15``.
        horizon: number of future steps to predict. Default: ``1``.
        sequence_targets: sequence-to-sequence targets, as in ``window_arrays``. Default: ``False``.
        scale: the columns to standardise. Default: ``None`` (all of them).

    Returns:
        A ``ForecastData`` with the windows of each part and ``unscale``, ``truth`` and ``dated``.

    Raises:
        TypeError: if ``data`` is not a DataFrame or Series, or ``scale`` is not a list of columns.
        KeyError: for a ``target`` or ``scale`` column that is not in ``data``.
        ValueError: for the errors of the steps above (too short a series, NaN, bad fractions, ...).

    Example:
        >>> import numpy as np, pandas as pd
        >>> days = pd.date_range("2024-01-01", periods=100, freq="D")
        >>> series = pd.DataFrame({"y": np.sin(np.arange(100) / 3) + 2}, index=days)
        >>> data = make_forecast_data(series, seq_len=7)
        >>> data.X_train.shape, data.X_val.shape, data.X_test.shape   # 70 - 7 windows; 15 and 15 (history)
        ((63, 7, 1), (15, 7, 1), (15, 7, 1))
        >>> str(data.dated(data.y_test).index[0].date()) == str(data.test.index[0].date())
        True
        >>> bool(np.allclose(data.truth("test"), series["y"].iloc[85:]))
        True
    """
    where = "make_forecast_data"
    if isinstance(data, pd.Series):
        data = data.to_frame(data.name if data.name is not None else "value")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(arguments.message("data", "a pandas DataFrame or Series", arguments.given(data),
                                          where))
    columns = list(data.columns)
    if target is None:
        if len(columns) != 1:
            raise ValueError(arguments.message("target", f"the column to forecast, since data has "
                                                         f"{len(columns)} columns {columns}", "None", where))
        target = columns[0]
    arguments.one_of(target, "target", columns, where)
    if scale is None:
        scale = columns
    elif isinstance(scale, str) or not isinstance(scale, list | tuple):
        raise TypeError(arguments.message("scale", "a list of column names", arguments.given(scale), where))
    unknown = [c for c in scale if c not in columns]
    if unknown:
        raise arguments.UnknownNameError(arguments.message("scale", f"columns among {columns}",
                                                           f"unknown {unknown}", where))
    seq_len = arguments.positive_int(seq_len, "seq_len", where)

    parts = chronological_split(data, train=train, val=val)
    scaled_columns = [c for c in columns if c in scale]
    scaler = fit_scaler(parts[0][scaled_columns])
    inputs = (parts[0],
              pd.concat([parts[0].iloc[-seq_len:], parts[1]]),
              pd.concat([parts[1].iloc[-seq_len:], parts[2]]))

    def windows(frame):
        scaled = frame.copy()
        scaled[scaled_columns] = scaler.transform(frame[scaled_columns])
        return window_arrays(scaled, seq_len, horizon=horizon, target=target,
                             sequence_targets=sequence_targets)

    return ForecastData(parts=parts, inputs=inputs, arrays=[windows(frame) for frame in inputs],
                        scaler=scaler, target=target, seq_len=seq_len, horizon=horizon,
                        sequence_targets=sequence_targets)
