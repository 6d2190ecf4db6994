"""Each plot renders without error on the Agg backend, returns what it drew on, and rejects bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnncourse import plots  # noqa: E402
from rnncourse.timeseries import chronological_split  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _render(figure):
    figure.canvas.draw()  # actually lay out and rasterise: catches errors that only appear when drawing


@pytest.fixture
def daily():
    index = pd.date_range("2024-01-01", periods=60, freq="D")
    return pd.Series(10 + np.sin(np.arange(60) * 2 * np.pi / 7), index=index, name="riders")


def test_plot_series_shades_parts(daily):
    parts = chronological_split(daily, 0.7, 0.15)
    ax = plots.plot_series(daily, splits=parts, title="riders")
    _render(ax.figure)
    assert isinstance(ax, Axes) and ax.get_title() == "riders"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["riders", "train", "validation", "test"]
    # the validation span starts half-way between the last training day and the first validation day
    val_span = ax.patches[1].get_x()
    boundary = matplotlib.dates.date2num(parts[1].index[0] - pd.Timedelta(hours=12))
    assert val_span == pytest.approx(boundary)
    frame = pd.DataFrame({"a": daily, "b": daily * 2})
    fig, own = plt.subplots()
    assert plots.plot_series(frame, columns=["b"], ax=own, splits=(0.5, 0.25)) is own
    with pytest.raises(ValueError, match=r"columns among \['a', 'b'\], got unknown \['c'\]"):
        plots.plot_series(frame, columns=["c"])
    with pytest.raises(ValueError, match="add up to the 60 plotted steps"):
        plots.plot_series(daily, splits=parts[:2] + (parts[2].iloc[:3],))
    with pytest.raises(ValueError, match=r"`splits` expects the \(train, .*, got \(0.7,\) \(tuple\)"):
        plots.plot_series(daily, splits=(0.7,))
    with pytest.raises(TypeError, match=r"`ax` expects a matplotlib Axes or None, got 'left' \(str\)"):
        plots.plot_series(daily, ax="left")


def test_plot_forecast(daily):
    naive = daily.shift(1).iloc[45:52]
    seasonal = daily.shift(7).iloc[45:52]
    ax = plots.plot_forecast(daily, {"naive": naive, "seasonal naive": seasonal}, context=14)
    _render(ax.figure)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["truth", "naive", "seasonal naive"]
    truth_line = ax.get_lines()[0]
    assert len(truth_line.get_xdata()) == 14 + 7  # 14 days of context, then the forecast days
    assert any(t.get_text() == "forecast" for t in ax.texts)
    ax2 = plots.plot_forecast(daily, pd.DataFrame({"m1": naive, "m2": seasonal}), start=naive.index[0])
    assert len(ax2.get_lines()) == 3 + 1  # truth, two models, the start line
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.plot_forecast(daily, {})
    with pytest.raises(ValueError, match="`context` expects an integer >= 0, got -1"):
        plots.plot_forecast(daily, naive, context=-1)


def test_plot_history_dict_and_keras_history():
    record = {"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, 0.9], "mae": [0.8, 0.5, 0.4],
              "val_mae": [0.9, 0.7, 0.7]}
    fig = plots.plot_history(record, title="fit")
    _render(fig)
    assert isinstance(fig, Figure) and [a.get_title() for a in fig.axes] == ["loss", "mae"]
    loss_ax = fig.axes[0]
    np.testing.assert_array_equal(loss_ax.get_lines()[1].get_ydata(), record["val_loss"])
    assert "best val epoch 2" in [t.get_text() for t in loss_ax.get_legend().get_texts()]

    class History:  # what keras.callbacks.History looks like to the plot
        history = record

    assert len(plots.plot_history(History(), metrics=["mae"]).axes) == 1
    _, one = plt.subplots()
    assert plots.plot_history(record, ax=one).axes == [one]
    with pytest.raises(ValueError, match=r"metrics among \['loss', 'mae'\], got unknown \['acc'\]"):
        plots.plot_history(record, metrics=["acc"])
    with pytest.raises(ValueError, match="2 Axes"):
        plots.plot_history(record, ax=[one, one, one])
    with pytest.raises(TypeError, match=r"`history` expects a keras History .*, got \[1, 2\] \(list\)"):
        plots.plot_history([1, 2])
    with pytest.raises(ValueError, match="empty history"):
        plots.plot_history({})


def test_plot_history_with_real_keras_history():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(16, 3))
    history = model.fit(x, x.sum(axis=1), validation_split=0.25, epochs=2, verbose=0)
    fig = plots.plot_history(history)
    _render(fig)
    assert [a.get_title() for a in fig.axes] == ["loss", "mae"]


def test_plot_hidden_states():
    states = np.tanh(np.random.default_rng(0).normal(size=(5, 40)))
    tokens = ["not", "a", "good", "film", "[UNK]"]
    ax = plots.plot_hidden_states(states[None], tokens=tokens, max_units=16)
    _render(ax.figure)
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens
    image = ax.images[0]
    assert image.get_array().shape == (16, 5)  # units x time
    low, high = image.get_clim()
    assert low == -high and high == pytest.approx(np.abs(states[:, :16]).max())
    assert "first 16 of 40" in ax.get_ylabel()
    assert plots.plot_hidden_states(states, colorbar=False).get_xlabel() == "time step t"
    with pytest.raises(ValueError, match=r"one token per time step \(5\), got 2 tokens"):
        plots.plot_hidden_states(states, tokens=["a", "b"])
    with pytest.raises(ValueError, match=r"\(time, units\), got shape \(2, 5, 40\)"):
        plots.plot_hidden_states(np.stack([states, states]))


def test_plot_gradient_norms():
    curves = {"SimpleRNN": 0.7 ** np.arange(20)[::-1], "LSTM": np.linspace(0.5, 1, 20)}
    ax = plots.plot_gradient_norms(curves)
    _render(ax.figure)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SimpleRNN", "LSTM"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.arange(1, 21))
    normalised = plots.plot_gradient_norms(np.array([0.0, 2.0, 4.0]), normalize=True)
    y = normalised.get_lines()[0].get_ydata()
    assert np.isnan(y[0]) and y[1:].tolist() == [0.5, 1.0]  # zero not drawn on a log axis
    with pytest.raises(ValueError, match="negative"):
        plots.plot_gradient_norms({"bad": [-1.0, 1.0]})
    with pytest.raises(ValueError, match="empty dict"):
        plots.plot_gradient_norms({})
    with pytest.raises(ValueError, match=r"`norms\['m'\]` expects one norm per .*, got \(2, 2\)"):
        plots.plot_gradient_norms({"m": np.ones((2, 2))})


def test_plot_comparison():
    table = pd.DataFrame({"val MAE": [0.9, 0.5, 0.4], "parameters": [0, 1153, 4481],
                          "s / epoch": [0.0, 1.2, 2.9], "note": ["x", "y", "z"]},
                         index=["naive", "SimpleRNN", "LSTM"])
    fig = plots.plot_comparison(table, title="compared")
    _render(fig)
    assert [a.get_title() for a in fig.axes] == ["val MAE", "parameters", "s / epoch"]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts == ["0", "1,153", "4,481"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["naive", "SimpleRNN", "LSTM"]
    with pytest.raises(ValueError, match=r"non-numeric \['note'\]"):
        plots.plot_comparison(table, metrics=["note"])
    with pytest.raises(ValueError, match="unknown"):
        plots.plot_comparison(table, metrics=["accuracy"])
    with pytest.raises(TypeError, match="DataFrame"):
        plots.plot_comparison({"a": [1]})


@pytest.mark.parametrize("steps,folded,labels", [(3, True, "relative"), (1, True, "relative"),
                                                 (5, False, "absolute")])
def test_plot_unrolled(steps, folded, labels):
    ax = plots.plot_unrolled(steps=steps, folded=folded, time_labels=labels)
    _render(ax.figure)
    texts = [t.get_text() for t in ax.texts]
    # one x_t and h_t per unrolled copy (plus the folded one), W_x on every input arrow
    assert texts.count("$W_x$") == steps + folded
    assert texts.count("$W_h$") == steps + folded  # incoming state, links between copies, the loop
    if labels == "absolute":
        assert "$x_{1}$" in texts and f"$h_{{{steps}}}$" in texts and "$h_{0}$" in texts
    else:
        assert "$x_{t}$" in texts and "$h_{t}$" in texts
    if steps == 3:
        assert {"$x_{t-1}$", "$x_{t+1}$", "$h_{t-2}$"} <= set(texts)


def test_plot_unrolled_bad_input():
    with pytest.raises(ValueError, match="`steps` expects an integer from 1 to 10, got 0"):
        plots.plot_unrolled(steps=0)
    with pytest.raises(ValueError, match="got 'sideways'"):
        plots.plot_unrolled(time_labels="sideways")


def test_plot_over_seeds_draws_every_seed_and_the_mean():
    from rnncourse.experiments import over_seeds

    results = over_seeds(lambda seed: {"RNN": {"MAE": 1.0 + seed, "s / epoch": 0.3},
                                       "LSTM": {"MAE": 0.9, "s / epoch": 0.5}}, seeds=(0, 1, 2))
    fig = plots.plot_over_seeds(results, title="three seeds")
    _render(fig)
    assert [a.get_title() for a in fig.axes] == ["MAE", "s / epoch"]
    first = fig.axes[0]
    assert [t.get_text() for t in first.get_yticklabels()] == ["RNN", "LSTM"]
    seeds_rnn = first.collections[0].get_offsets()[:, 0]
    assert sorted(seeds_rnn.tolist()) == [1.0, 2.0, 3.0]                 # every seed drawn
    assert first.collections[1].get_offsets()[0, 0] == 2.0                # the mean
    assert any("± 1" in t.get_text() for t in first.texts)                # the spread, labelled
    only_mae = plots.plot_over_seeds(results, metrics=["MAE"])
    assert len(only_mae.axes) == 1
    flat = plots.plot_over_seeds(over_seeds(lambda seed: {"accuracy": 0.7 + seed / 100}))
    assert [t.get_text() for t in flat.axes[0].get_yticklabels()] == ["accuracy"]


@pytest.mark.parametrize(("results", "kwargs", "error"), [
    ({"metric": []}, {}, TypeError),
    (pd.DataFrame({"metric": ["a"], "value": [1.0]}), {}, ValueError),
    (pd.DataFrame({"metric": [], "seed": [], "value": []}), {}, ValueError),
    (pd.DataFrame({"metric": ["a"], "seed": [0], "value": [1.0]}), {"metrics": ["b"]}, ValueError),
])
def test_plot_over_seeds_bad_input(results, kwargs, error):
    with pytest.raises(error):
        plots.plot_over_seeds(results, **kwargs)
