"""Bad input to the public functions, tried as a new user would: every case gets our own clear error.

Each row is one call with one bad argument. The test checks the exception type (TypeError for a wrong type,
ValueError for a wrong value, KeyError for an unknown name) and that the message has the one shape of
``rnncourse.arguments``: it names the argument (```name` expects ...``) and says what was given
(``..., got <given>``). The rows that come from issue 10's list of silent results and foreign errors have
ids ending in ``-issue``.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from rnncourse import arguments, baselines, datasets, metrics, plots, text, timeseries  # noqa: E402

SERIES = np.arange(20.0)
FRAME = pd.DataFrame({"riders": np.arange(20.0), "temp": np.arange(20.0) ** 0.5},
                     index=pd.date_range("2024-01-01", periods=20, freq="D"))
WINDOWS = np.arange(24.0).reshape(4, 3, 2)
TARGETS = np.arange(4.0)
TEXTS = ["a good film", "a bad film", "good fun", "bad plot", "so good", "so bad"]
LABELS = [1, 0, 1, 0, 1, 0]


def with_value(array, position, value):
    array = np.array(array, dtype=float)
    array.flat[position] = value
    return array


def scaler():
    return timeseries.fit_scaler(FRAME)


def vectorizer():
    return text.make_vectorizer(TEXTS, max_tokens=20, seq_len=4)


def case(case_id, call, error, name, given, issue=False):
    """One row: ``call()`` must raise ``error`` naming ``name`` and saying it got ``given``."""
    return pytest.param(call, error, name, given, id=f"{case_id}-issue" if issue else case_id)


CASES = [
    # ---------------------------------------------------------------------------------------- datasets
    case("adding-seed-negative", lambda: datasets.make_adding_problem(10, 10, seed=-1), ValueError, "seed",
         "-1", issue=True),
    case("adding-seed-str", lambda: datasets.make_adding_problem(10, 10, seed="abc"), TypeError, "seed",
         "'abc' (str)"),
    case("adding-n-str", lambda: datasets.make_adding_problem("10", 10), TypeError, "n_samples",
         "'10' (str)"),
    case("adding-seq-len-1", lambda: datasets.make_adding_problem(10, 1), ValueError, "seq_len", "1"),
    case("recall-noise-inf", lambda: datasets.make_delayed_recall(10, lag=3, noise=np.inf), ValueError,
         "noise", "inf"),
    case("recall-symbols-1", lambda: datasets.make_delayed_recall(10, lag=3, num_symbols=1), ValueError,
         "num_symbols", "1"),
    case("sine-seed-float", lambda: datasets.make_sine_waves(10, 5, seed=2.5), TypeError, "seed",
         "2.5 (float)"),
    case("sine-noise-negative", lambda: datasets.make_sine_waves(10, 5, noise=-1), ValueError, "noise", "-1"),
    case("load-dataset-unknown", lambda: datasets.load_dataset("nope"), KeyError, "name", "'nope'"),
    case("load-dataset-none", lambda: datasets.load_dataset(None), TypeError, "name", "None"),
    case("stock-unknown-ticker", lambda: datasets.load_stock_prices("XYZ"), KeyError, "tickers", "'XYZ'"),
    case("sentiment-unknown-source", lambda: datasets.load_sentiment("imdb"), KeyError, "source", "'imdb'"),
    case("imdb-num-words-0", lambda: datasets.load_imdb(num_words=0), ValueError, "num_words", "0"),
    case("imdb-seed-str", lambda: datasets.load_imdb(seed="x"), TypeError, "seed", "'x' (str)"),
    # -------------------------------------------------------------------------------------- timeseries
    case("split-list", lambda: timeseries.chronological_split([1, 2, 3]), TypeError, "data", "(list)"),
    case("split-train-1.5", lambda: timeseries.chronological_split(SERIES, train=1.5), ValueError, "train",
         "1.5"),
    case("split-train-str", lambda: timeseries.chronological_split(SERIES, train="0.7"), TypeError, "train",
         "'0.7' (str)"),
    case("split-sum", lambda: timeseries.chronological_split(SERIES, 0.7, 0.3), ValueError, "val",
         "train=0.7 + val=0.3"),
    case("scaler-inf", lambda: timeseries.fit_scaler(with_value(SERIES, 3, np.inf)), ValueError, "train",
         "inf in 1 row(s), the first at 3", issue=True),
    case("scaler-nan", lambda: timeseries.fit_scaler(with_value(SERIES, 5, np.nan)), ValueError, "train",
         "NaN in 1 row(s), the first at 5"),
    case("scaler-strings", lambda: timeseries.fit_scaler(np.array(["1", "2"])), TypeError, "train",
         "strings"),
    case("scaler-complex", lambda: timeseries.fit_scaler(SERIES + 1j), TypeError, "train", "complex numbers"),
    case("scaler-empty", lambda: timeseries.fit_scaler(np.zeros(0)), ValueError, "train", "0 rows"),
    case("scaler-3d", lambda: timeseries.fit_scaler(np.ones((2, 2, 2))), ValueError, "train",
         "shape (2, 2, 2)"),
    case("scaler-constant", lambda: timeseries.fit_scaler(np.ones(5)), ValueError, "train",
         "constant column"),
    case("scaler-unknown-column", lambda: scaler().inverse_transform([1.0], column="rain"), KeyError,
         "column", "'rain'"),
    case("window-inf", lambda: timeseries.window_arrays(with_value(SERIES, 2, np.inf), seq_len=2), ValueError,
         "data", "inf in 1 row(s)", issue=True),
    case("window-too-large-for-float32", lambda: timeseries.window_arrays(with_value(SERIES, 2, 1e300), 2),
         ValueError, "data", "inf in 1 row(s)"),
    case("window-complex", lambda: timeseries.window_arrays(SERIES + 1j, seq_len=2), TypeError, "data",
         "complex numbers", issue=True),
    case("window-strings", lambda: timeseries.window_arrays(np.array(list("abcdef")), 2), TypeError, "data",
         "strings"),
    case("window-series-of-str", lambda: timeseries.window_arrays(pd.Series(list("abcdef")), 2), TypeError,
         "data", "6 element(s) that are not, e.g. 'a' (str)"),
    case("window-seq-len-0", lambda: timeseries.window_arrays(SERIES, seq_len=0), ValueError, "seq_len", "0"),
    case("window-seq-len-float", lambda: timeseries.window_arrays(SERIES, seq_len=2.5), TypeError, "seq_len",
         "2.5 (float)"),
    case("window-horizon-negative", lambda: timeseries.window_arrays(SERIES, 3, horizon=-1), ValueError,
         "horizon", "-1"),
    case("window-too-short", lambda: timeseries.window_arrays(SERIES[:5], seq_len=5), ValueError, "data",
         "a series of 5 steps"),
    case("window-empty", lambda: timeseries.window_arrays(np.zeros(0), seq_len=1), ValueError, "data",
         "a series of 0 steps"),
    case("window-3d", lambda: timeseries.window_arrays(np.ones((10, 2, 2)), 3), ValueError, "data",
         "shape (10, 2, 2)"),
    case("window-unknown-target", lambda: timeseries.window_arrays(FRAME, 3, target="rain"), KeyError,
         "target", "'rain'"),
    case("window-no-target", lambda: timeseries.window_arrays(FRAME, 3), ValueError, "target", "None"),
    case("window-target-position", lambda: timeseries.window_arrays(FRAME.to_numpy(), 3, target=5),
         ValueError, "target", "5"),
    case("window-target-name-for-array", lambda: timeseries.window_arrays(FRAME.to_numpy(), 3, target="a"),
         TypeError, "target", "'a' (str)"),
    case("dataset-seed-str", lambda: timeseries.window_dataset(SERIES, 3, shuffle=True, seed="abc"),
         TypeError, "seed", "'abc' (str)", issue=True),
    case("dataset-batch-0", lambda: timeseries.window_dataset(SERIES, 3, batch_size=0), ValueError,
         "batch_size", "0"),
    case("dataset-shuffle-str", lambda: timeseries.window_dataset(SERIES, 3, shuffle="yes"), TypeError,
         "shuffle", "'yes' (str)"),
    case("dataset-list", lambda: timeseries.window_dataset([1.0, 2.0, 3.0], 1), TypeError, "data", "(list)"),
    case("dated-index-str", lambda: timeseries.to_dated_forecast(np.zeros(3), "dates", seq_len=2), TypeError,
         "index", "'dates' (str)"),
    case("dated-window-negative", lambda: timeseries.to_dated_forecast(np.zeros(3), FRAME, 2, window=-1),
         ValueError, "window", "-1"),
    case("dated-strings", lambda: timeseries.to_dated_forecast(np.array(["a"]), FRAME, 2), TypeError,
         "predictions", "strings"),
    case("dated-shape", lambda: timeseries.to_dated_forecast(np.zeros((2, 3)), FRAME, 2, horizon=2),
         ValueError, "predictions", "(2, 3)"),
    # -------------------------------------------------------------------------------------------- text
    case("split-none-label", lambda: text.stratified_split(TEXTS, [1, 0, None, 0, 1, 0]), TypeError, "labels",
         "None at position 2", issue=True),
    case("split-labels-int", lambda: text.stratified_split(TEXTS, 5), TypeError, "labels", "5 (int)",
         issue=True),
    case("split-seed-str", lambda: text.stratified_split(TEXTS * 2, LABELS * 2, seed="abc"), TypeError,
         "seed", "'abc' (str)", issue=True),
    case("split-seed-negative", lambda: text.stratified_split(TEXTS * 2, LABELS * 2, seed=-3), ValueError,
         "seed", "-3"),
    case("split-one-string", lambda: text.stratified_split("a film", [1]), TypeError, "texts",
         "a single string 'a film'"),
    case("split-no-texts", lambda: text.stratified_split([], []), ValueError, "texts", "an empty list"),
    case("split-lengths", lambda: text.stratified_split(TEXTS, LABELS[:-1]), ValueError, "labels", "5"),
    case("split-val-0", lambda: text.stratified_split(TEXTS * 2, LABELS * 2, val=0), ValueError, "val", "0"),
    case("split-mixed-labels", lambda: text.stratified_split(TEXTS, [0, "a", 1, 0, 1, 0]), TypeError,
         "labels", "a mix of ['number', 'str']"),
    case("split-nan-label", lambda: text.stratified_split(TEXTS, [0.0, np.nan, 1, 0, 1, 0]), ValueError,
         "labels", "nan"),
    case("vectorizer-empty-texts", lambda: text.make_vectorizer(["", "  "]), ValueError, "texts",
         "2 text(s) without any", issue=True),
    case("vectorizer-punctuation-only", lambda: text.make_vectorizer(["!!", "?"]), ValueError, "texts",
         "without any"),
    case("vectorizer-ints", lambda: text.make_vectorizer([1, 2]), TypeError, "texts", "position 0: 1 (int)"),
    case("vectorizer-none", lambda: text.make_vectorizer(None), TypeError, "texts", "None"),
    case("vectorizer-max-tokens-str", lambda: text.make_vectorizer(["a b"], max_tokens="10"), TypeError,
         "max_tokens", "'10' (str)"),
    case("dataset-labels-none", lambda: text.text_dataset(TEXTS, None), TypeError, "labels", "None",
         issue=True),
    case("dataset-string-labels", lambda: text.text_dataset(["a", "b"], ["pos", "neg"]), TypeError, "labels",
         "strings such as 'pos'", issue=True),
    case("dataset-vectorizer-str", lambda: text.text_dataset(TEXTS, LABELS, vectorizer="tfidf"), TypeError,
         "vectorizer", "'tfidf' (str)", issue=True),
    case("dataset-text-seed-str", lambda: text.text_dataset(TEXTS, LABELS, shuffle=True, seed="x"), TypeError,
         "seed", "'x' (str)"),
    case("dataset-text-batch-0", lambda: text.text_dataset(TEXTS, LABELS, batch_size=0), ValueError,
         "batch_size", "0"),
    case("decode-not-vectorizer", lambda: text.decode_tokens("vocab", [1, 2]), TypeError, "vectorizer",
         "'vocab' (str)"),
    case("decode-2d", lambda: text.decode_tokens(vectorizer(), np.zeros((2, 2), int)), ValueError, "ids",
         "shape (2, 2)"),
    case("decode-float-ids", lambda: text.decode_tokens(vectorizer(), [1.5, 2.0]), TypeError, "ids",
         "dtype float64"),
    # --------------------------------------------------------------------------------------- baselines
    case("naive-strings", lambda: baselines.naive_forecast(np.array([[["a"], ["b"]]])), TypeError, "X",
         "strings", issue=True),
    case("naive-2d", lambda: baselines.naive_forecast(np.zeros((2, 3))), ValueError, "X", "shape (2, 3)"),
    case("naive-none", lambda: baselines.naive_forecast(None), TypeError, "X", "None"),
    case("naive-inf", lambda: baselines.naive_forecast(with_value(WINDOWS, 5, np.inf)), ValueError, "X",
         "1 infinite value(s)"),
    case("naive-horizon-0", lambda: baselines.naive_forecast(WINDOWS, horizon=0), ValueError, "horizon", "0"),
    case("naive-target-3", lambda: baselines.naive_forecast(WINDOWS, target=3), ValueError, "target", "3"),
    case("seasonal-season-str", lambda: baselines.seasonal_naive_forecast(WINDOWS, season="7"), TypeError,
         "season", "'7' (str)"),
    case("seasonal-too-long", lambda: baselines.seasonal_naive_forecast(WINDOWS, season=7), ValueError,
         "season", "seq_len=3 < season=7"),
    case("moving-window-0", lambda: baselines.moving_average_forecast(WINDOWS, window=0), ValueError,
         "window", "0"),
    case("linear-nan", lambda: baselines.linear_window_forecast(with_value(WINDOWS, 0, np.nan), TARGETS,
                                                                WINDOWS), ValueError, "X_train",
         "1 NaN value(s)", issue=True),
    case("linear-y-nan", lambda: baselines.linear_window_forecast(WINDOWS, with_value(TARGETS, 1, np.nan),
                                                                  WINDOWS), ValueError, "y_train", "1 NaN"),
    case("linear-alpha-negative",
         lambda: baselines.linear_window_forecast(WINDOWS, TARGETS, WINDOWS, alpha=-1),
         ValueError, "alpha", "-1"),
    case("linear-alpha-str", lambda: baselines.linear_window_forecast(WINDOWS, TARGETS, WINDOWS, alpha="big"),
         TypeError, "alpha", "'big' (str)"),
    case("linear-lengths", lambda: baselines.linear_window_forecast(WINDOWS, TARGETS[:3], WINDOWS),
         ValueError, "y_train", "3 targets for 4 windows"),
    case("bow-empty-texts", lambda: baselines.bag_of_words_baseline(["", " "], [0, 1]), ValueError,
         "train_texts", "2 text(s) without any", issue=True),
    case("bow-labels-none", lambda: baselines.bag_of_words_baseline(TEXTS, None), TypeError, "train_labels",
         "None"),
    case("bow-c-0", lambda: baselines.bag_of_words_baseline(TEXTS, LABELS, C=0), ValueError, "C", "0"),
    case("majority-none", lambda: baselines.majority_class(None), TypeError, "labels", "None", issue=True),
    case("majority-empty", lambda: baselines.majority_class([]), ValueError, "labels", "an empty sequence"),
    case("majority-scalar", lambda: baselines.majority_class(5), TypeError, "labels", "5 (int)"),
    case("majority-none-label", lambda: baselines.majority_class([1, None, 1]), TypeError, "labels",
         "None at position 1"),
    # ----------------------------------------------------------------------------------------- metrics
    case("mae-inf", lambda: metrics.mae([1.0, np.inf], [1.0, 2.0]), ValueError, "y_true",
         "1 infinite value(s)", issue=True),
    case("mae-pred-inf", lambda: metrics.mae([1.0, 2.0], [1.0, -np.inf]), ValueError, "y_pred", "1 infinite"),
    case("mae-complex", lambda: metrics.mae([1 + 1j], [1.0]), TypeError, "y_true", "complex numbers"),
    case("mae-strings", lambda: metrics.mae(["1"], [1.0]), TypeError, "y_true", "strings"),
    case("rmse-empty", lambda: metrics.rmse([], []), ValueError, "y_true", "an empty array"),
    case("rmse-none", lambda: metrics.rmse(None, [1.0]), TypeError, "y_true", "None"),
    case("mape-shapes", lambda: metrics.mape([1.0, 2.0], [1.0]), ValueError, "y_pred", "(1,)"),
    case("mape-zero", lambda: metrics.mape([0.0, 1.0], [1.0, 1.0]), ValueError, "y_true", "1 zero(s)"),
    case("accuracy-threshold", lambda: metrics.accuracy([1, 0], [0.2, 0.7], threshold=2), ValueError,
         "threshold", "2"),
    case("accuracy-fractional-labels", lambda: metrics.accuracy([0.5, 1.0], [1, 0]), ValueError, "y_true",
         "0.5"),
    case("accuracy-nan", lambda: metrics.accuracy([1, 0], [np.nan, 1.0]), ValueError, "y_pred", "1 NaN"),
    # ------------------------------------------------------------------------------------------- plots
    case("plot-unknown-column", lambda: plots.plot_series(FRAME, columns=["rain"]), KeyError, "columns",
         "unknown ['rain']"),
    case("plot-ax-str", lambda: plots.plot_series(SERIES, ax="left"), TypeError, "ax", "'left' (str)"),
    case("plot-splits-int", lambda: plots.plot_series(SERIES, splits=5), TypeError, "splits", "5 (int)"),
    case("plot-forecast-empty", lambda: plots.plot_forecast(FRAME["riders"], {}), ValueError, "forecasts",
         "{} (dict)"),
    case("plot-context-negative", lambda: plots.plot_forecast(FRAME["riders"], FRAME["temp"], context=-1),
         ValueError, "context", "-1"),
    case("plot-history-list", lambda: plots.plot_history([1]), TypeError, "history", "[1] (list)"),
    case("plot-history-unknown", lambda: plots.plot_history({"loss": [1.0]}, metrics=["acc"]), KeyError,
         "metrics", "unknown ['acc']"),
    case("plot-states-3d", lambda: plots.plot_hidden_states(np.zeros((2, 2, 2))), ValueError, "states",
         "shape (2, 2, 2)"),
    case("plot-norms-negative", lambda: plots.plot_gradient_norms({"m": [-1.0]}), ValueError, "norms['m']",
         "negative values"),
    case("plot-comparison-list", lambda: plots.plot_comparison([1]), TypeError, "table", "[1] (list)"),
    case("plot-unrolled-11", lambda: plots.plot_unrolled(steps=11), ValueError, "steps", "11"),
    case("plot-unrolled-labels", lambda: plots.plot_unrolled(time_labels="sideways"), KeyError, "time_labels",
         "'sideways'"),
    case("plot-seeds-dict", lambda: plots.plot_over_seeds({"metric": []}), TypeError, "results",
         "{'metric': []} (dict)"),
    case("plot-seeds-unknown-metric", lambda: plots.plot_over_seeds(
        pd.DataFrame({"metric": ["a"], "seed": [0], "value": [1.0]}), metrics=["b"]), KeyError, "metrics",
         "['b']"),
    # ----------------------------------------------------------------------------------- forecast data
    case("forecast-data-array", lambda: timeseries.make_forecast_data(SERIES, seq_len=3), TypeError, "data",
         "an array of shape (20,)"),
    case("forecast-data-unknown-target", lambda: timeseries.make_forecast_data(FRAME, 3, target="bus"),
         KeyError, "target", "'bus'"),
    case("forecast-data-seq-len-str", lambda: timeseries.make_forecast_data(FRAME, "3", target="riders"),
         TypeError, "seq_len", "'3' (str)"),
    case("forecast-data-inf", lambda: timeseries.make_forecast_data(FRAME.assign(temp=np.inf), 3,
                                                                    target="riders"), ValueError, "train",
         "inf in 14 row(s)"),
    case("calendar-holidays-str", lambda: timeseries.calendar_features(FRAME.index, holidays="US"), TypeError,
         "holidays", "'US' (str)"),
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_table_is_large_enough():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("call", "error", "name", "given"), CASES)
def test_bad_input_is_named(call, error, name, given):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert f"`{name}` expects " in message, message
    assert ", got " in message and given in message.split(", got ", 1)[1], message
    if error is KeyError:  # unknown names are ValueErrors too, as they were before
        assert isinstance(info.value, ValueError) and isinstance(info.value, arguments.UnknownNameError)


# ------------------------------------------------------------------------------------------------------
# The same helpers still give the right result where the input is valid, including the edge cases next
# to the bad inputs above.
# ------------------------------------------------------------------------------------------------------
def test_valid_inputs_next_to_the_bad_ones():
    np.testing.assert_allclose(metrics.mae([1, 2, 3], [1.0, 2.0, 5.0]), 2 / 3)  # ints are numbers
    assert metrics.mae(np.array([True, False]), [1.0, 0.0]) == 0.0  # so are booleans
    assert metrics.mae(pd.Series([1.0, 2.0]), np.array([[1.0], [4.0]])) == 1.0  # Dense(1) shape
    X, y = timeseries.window_arrays(pd.Series(np.arange(6), dtype="int64"), seq_len=2)  # int series
    assert X.dtype == np.float32 and y.tolist() == [2.0, 3.0, 4.0, 5.0]
    X, y = timeseries.window_arrays(np.arange(6.0).astype(object), seq_len=2)  # object array of numbers
    assert y.tolist() == [2.0, 3.0, 4.0, 5.0]
    assert timeseries.window_arrays(SERIES, np.int64(3), horizon=np.int32(2))[1].shape == (16, 2)
    assert baselines.naive_forecast(np.array([[[1], [5]]])).tolist() == [5]  # int windows keep their dtype
    assert baselines.majority_class(["neg", "pos", "pos"]) == "pos"
    assert baselines.majority_class(pd.Series([2, 2, 1])) == 2
    (tr, tr_y), _, _ = text.stratified_split(TEXTS * 2, ["pos", "neg"] * 6, seed=np.int64(1))  # str labels
    assert len(tr) == len(tr_y) == 8 and set(tr_y) == {"pos", "neg"}
    ds = timeseries.window_dataset(SERIES, 3, shuffle=True, seed=None)
    assert sum(int(x.shape[0]) for x, _ in ds) == 17
    ds = text.text_dataset(TEXTS, np.array(LABELS, dtype=float), batch_size=3)  # whole-number float labels
    assert [y.numpy().tolist() for _, y in ds] == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    assert datasets.make_adding_problem(3, 4, seed=None)[0].shape == (3, 4, 2)
    with pytest.raises(ValueError):  # an unknown name is still a ValueError for code written before
        datasets.load_dataset("chicago")
