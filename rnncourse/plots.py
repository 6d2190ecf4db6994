"""Matplotlib figures for the course, so notebook cells stay on the story.

Every function takes an optional ``ax=`` to draw into (so figures can be combined with
``plt.subplots``) and returns what it drew on, so learners can restyle it afterwards:

- one-panel plots return the ``matplotlib.axes.Axes``: ``plot_series``, ``plot_forecast``,
  ``plot_hidden_states``, ``plot_gradient_norms``, ``plot_unrolled``;
- one-panel-per-metric plots return the ``matplotlib.figure.Figure`` (its panels are ``fig.axes``):
  ``plot_history``, ``plot_comparison``, ``plot_over_seeds``. Their ``ax=`` may be one Axes per panel.

Example:
    >>> import numpy as np, pandas as pd
    >>> s = pd.Series(np.sin(np.arange(100) / 5), index=pd.date_range("2024-01-01", periods=100))
    >>> ax = plot_series(s, splits=(0.7, 0.15), title="A sine wave")
    >>> ax.get_title()
    'A sine wave'
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnncourse import arguments
from rnncourse.experiments import format_spread

__all__ = [
    "plot_series",
    "plot_forecast",
    "plot_history",
    "plot_hidden_states",
    "plot_gradient_norms",
    "plot_comparison",
    "plot_over_seeds",
    "plot_unrolled",
]

SPLIT_COLORS = {"train": "#4C72B0", "validation": "#DD8452", "test": "#55A868"}
TRUTH_COLOR = "0.15"


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    elif not isinstance(ax, Axes):
        raise TypeError(arguments.message("ax", "a matplotlib Axes or None", arguments.given(ax)))
    return ax


def _panel_axes(ax, n_panels: int, figsize: tuple[float, float]) -> list[Axes]:
    """One Axes per panel: new ones side by side, or those given (one Axes is shared by all panels)."""
    if ax is None:
        _, axes = plt.subplots(1, n_panels, figsize=figsize, layout="constrained", squeeze=False)
        return list(axes[0])
    if isinstance(ax, Axes):
        return [ax] * n_panels
    axes = list(np.ravel(ax))
    if len(axes) != n_panels or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(arguments.message("ax", f"one Axes or {n_panels} Axes (one per panel)",
                                           f"{len(axes)} object(s)"))
    return axes


def _as_series(values, name: str) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        return values.iloc[:, 0]
    array = arguments.numeric_array(values, name, finite=False, allow_empty=True)
    if array.ndim != 1:
        raise ValueError(arguments.message(name, "a 1-D series", f"shape {array.shape}"))
    return pd.Series(array)


def _style(ax: Axes) -> None:
    ax.grid(True, alpha=0.3, linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# ------------------------------------------------------------------------------------------------ series
def plot_series(
    data,
    columns: Sequence | None = None,
    splits=None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Plot one or more series against time, with the train / validation / test parts shaded.

    Taught in: notebooks/03_forecasting.ipynb, section "1. Look at the data first".

    Args:
        data: ``pd.Series`` or ``pd.DataFrame`` (index = time, usually a ``DatetimeIndex``), or a 1-D array.
        columns: DataFrame columns to draw. Default: ``None`` (all).
        splits: where to shade the parts, either the ``(train, val, test)`` parts returned by
            ``rnncourse.timeseries.chronological_split`` or the ``(train, val)`` fractions passed to it.
            Default: ``None`` (no shading).
        ax: Axes to draw into. Default: a new figure.
        title: Axes title. Default: ``None``.
        ylabel: y-axis label. Default: the column name for a single series.

    Returns:
        The ``Axes``.

    Raises:
        ValueError: for unknown columns or splits that are neither three parts nor two fractions.

    Example:
        >>> import numpy as np
        >>> ax = plot_series(np.arange(50.0), splits=(0.6, 0.2))
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['series', 'train', 'validation', 'test']
    """
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    if not isinstance(frame, pd.DataFrame):
        frame = _as_series(frame, "data").rename("series").to_frame()
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise arguments.UnknownNameError(arguments.message(
                "columns", f"columns among {list(frame.columns)}", f"unknown {missing}"))
        frame = frame[list(columns)]
    ax = _new_axes(ax, (10, 3.5))
    many = frame.shape[1] > 1
    for i, (name, values) in enumerate(frame.items()):
        ax.plot(frame.index, values, lw=0.9, color=f"C{i}" if many else TRUTH_COLOR, label=str(name))
    if splits is not None:
        bounds = _split_bounds(frame.index, splits)
        for (label, color), (start, stop) in zip(SPLIT_COLORS.items(), bounds, strict=True):
            ax.axvspan(start, stop, color=color, alpha=0.13, lw=0, label=label)
    ax.set_xlim(frame.index[0], frame.index[-1])
    if title:
        ax.set_title(title)
    ax.set_ylabel(ylabel if ylabel is not None else ("" if many else str(frame.columns[0])))
    _style(ax)
    if many or splits is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False)
    return ax


def _split_bounds(index: pd.Index, splits) -> list[tuple]:
    """(start, stop) along the x axis of the three parts, so the shaded spans meet without gaps."""
    if isinstance(splits, str) or not hasattr(splits, "__len__"):
        raise TypeError(arguments.message("splits", "the (train, val, test) parts or the (train, val) "
                                          "fractions", arguments.given(splits)))
    if len(splits) == 3 and all(hasattr(p, "__len__") for p in splits):
        sizes = [len(p) for p in splits]
        if sum(sizes) != len(index):
            raise ValueError(arguments.message("splits", f"three parts that add up to the {len(index)} "
                                               "plotted steps", f"{sizes} (sum {sum(sizes)})"))
    elif len(splits) == 2 and all(isinstance(f, numbers.Real) and 0 < f < 1 for f in splits):
        train, val = (int(np.floor(f * len(index))) for f in splits)
        sizes = [train, val, len(index) - train - val]
    else:
        raise ValueError(arguments.message("splits", "the (train, val, test) parts or the (train, val) "
                                           "fractions", arguments.given(splits)))
    edges = np.cumsum([0, *sizes])
    # a boundary lies half-way between the last step of one part and the first of the next
    positions = list(index)

    def boundary(i):  # between step i - 1 and step i
        if i == 0:
            return positions[0]
        if i == len(positions):
            return positions[-1]
        return positions[i - 1] + (positions[i] - positions[i - 1]) / 2

    return [(boundary(lo), boundary(hi)) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]


# ------------------------------------------------------------------------------------------------ forecast
def plot_forecast(
    truth,
    forecasts,
    start=None,
    context: int | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Plot the truth against the forecasts of one or several models, with the forecast period marked.

    Taught in: notebooks/03_forecasting.ipynb, section "6. All the one-step forecasts side by side".

    Args:
        truth: ``pd.Series`` of true values indexed by date (e.g. the test part).
        forecasts: ``{model name: pd.Series}`` of dated forecasts (see
            ``rnncourse.timeseries.to_dated_forecast``), a DataFrame with one column per model, or a single
            Series.
        start: where the forecast starts (a date of the index). Default: the first forecast date.
        context: how many true values before ``start`` to show. Default: ``None`` (all of ``truth``).
        ax: Axes to draw into. Default: a new figure.
        title: Axes title. Default: ``None``.
        ylabel: y-axis label. Default: the name of ``truth``.

    Returns:
        The ``Axes``.

    Raises:
        ValueError: if there is no forecast, or a forecast is not 1-D.

    Example:
        >>> import numpy as np, pandas as pd
        >>> days = pd.date_range("2024-01-01", periods=30)
        >>> truth = pd.Series(np.arange(30.0), index=days, name="riders")
        >>> ax = plot_forecast(truth, {"naive": truth.shift(1).iloc[20:]}, context=10)
        >>> ax.get_legend().get_texts()[1].get_text()
        'naive'
    """
    truth = _as_series(truth, "truth")
    if isinstance(forecasts, pd.Series):
        forecasts = {forecasts.name if forecasts.name is not None else "forecast": forecasts}
    elif isinstance(forecasts, pd.DataFrame):
        forecasts = dict(forecasts.items())
    if not isinstance(forecasts, Mapping) or not forecasts:
        raise ValueError(arguments.message("forecasts", "a non-empty dict {model name: Series}",
                                           arguments.given(forecasts)))
    forecasts = {str(k): _as_series(v, f"forecasts[{k!r}]") for k, v in forecasts.items()}
    first = min(f.index.min() for f in forecasts.values())
    last = max(f.index.max() for f in forecasts.values())
    start = first if start is None else start
    if context is not None:
        context = arguments.integer(context, "context", minimum=0)
        before = truth.index[truth.index < start]
        first_shown = before[-context] if 0 < context <= len(before) else (start if context == 0 else None)
        shown = truth.index <= last
        if first_shown is not None:
            shown &= truth.index >= first_shown
        truth = truth[shown]
    ax = _new_axes(ax, (10, 3.8))
    few = len(truth) <= 120
    ax.plot(truth.index, truth.to_numpy(), color=TRUTH_COLOR, lw=1.6, label="truth",
            marker="o" if few else None, ms=3)
    markers = "sDv^P*X"
    for i, (name, series) in enumerate(forecasts.items()):
        ax.plot(series.index, series.to_numpy(), color=f"C{i}", lw=1.4, ls="--", label=name,
                marker=markers[i % len(markers)] if len(series) <= 60 else None, ms=4)
    ax.axvspan(start, last, color="0.5", alpha=0.1, lw=0)
    ax.axvline(start, color="0.35", lw=1, ls=":")
    ax.annotate("forecast", xy=(start, 1), xycoords=("data", "axes fraction"), xytext=(4, -4),
                textcoords="offset points", va="top", fontsize=9, color="0.3")
    if title:
        ax.set_title(title)
    ax.set_ylabel(ylabel if ylabel is not None else (str(truth.name) if truth.name is not None else ""))
    _style(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False)
    return ax


# ------------------------------------------------------------------------------------------------ history
def plot_history(history, metrics: Sequence[str] | None = None, ax=None, title: str | None = None,
                 log: bool = False) -> Figure:
    """Plot training curves from ``model.fit``: one panel per metric, training vs validation.

    Taught in: notebooks/02_training_rnns.ipynb, section "2. End-to-end training: from raw sequences to a
    forecast, with one loss".

    Args:
        history: the ``keras.callbacks.History`` returned by ``fit``, or its ``.history`` dict
            (``{"loss": [...], "val_loss": [...], ...}``).
        metrics: metric names to draw, without ``val_``. Default: ``None`` (all, loss first).
        ax: one Axes (all metrics on it) or one Axes per metric. Default: a new figure.
        title: figure title. Default: ``None``.
        log: logarithmic y axis (useful for losses that fall by orders of magnitude). Default: ``False``.

    Returns:
        The ``Figure``; its panels are ``fig.axes``.

    Raises:
        ValueError: for an empty history or unknown metric names.
        TypeError: if ``history`` is neither a History nor a dict.

    Example:
        >>> fig = plot_history({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6], "mae": [0.9, 0.6, 0.5]})
        >>> [a.get_title() for a in fig.axes]
        ['loss', 'mae']
    """
    record = getattr(history, "history", history)
    if not isinstance(record, Mapping):
        raise TypeError(arguments.message("history", "a keras History or its .history dict",
                                          arguments.given(history)))
    names = [k for k in record if not k.startswith("val_")]
    names += [k[4:] for k in record if k.startswith("val_") and k[4:] not in names]
    if not names:
        raise ValueError(arguments.message("history", "at least one metric", "an empty history"))
    names.sort(key=lambda k: k != "loss")
    if metrics is not None:
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise arguments.UnknownNameError(arguments.message("metrics", f"metrics among {names}",
                                                               f"unknown {unknown}"))
        names = list(metrics)
    axes = _panel_axes(ax, len(names), (4.2 * len(names), 3.2))
    shared = len(set(map(id, axes))) == 1 and len(names) > 1
    for i, name in enumerate(names):
        a = axes[i]
        color = f"C{i}" if shared else "C0"
        for key, style, label in ((name, "-", "train"), (f"val_{name}", "--", "validation")):
            if key in record:
                values = np.asarray(record[key], dtype=float)
                epochs = np.arange(1, len(values) + 1)
                a.plot(epochs, values, ls=style, color=color if shared else ("C0" if style == "-" else "C1"),
                       lw=1.6, marker="o" if len(values) <= 30 else None, ms=3,
                       label=f"{name} ({label})" if shared else label)
        if "val_loss" in record and name == "loss":
            val = np.asarray(record["val_loss"], dtype=float)
            best = int(np.nanargmin(val))
            a.plot(best + 1, val[best], marker="*", ms=12, color="C1" if not shared else color, zorder=5,
                   ls="none", label=f"best val epoch {best + 1}")
        a.set_xlabel("epoch")
        if not shared:
            a.set_title(name)
        if log:
            a.set_yscale("log")
        a.xaxis.get_major_locator().set_params(integer=True)
        _style(a)
        a.legend(fontsize=8, frameon=False)
    figure = axes[0].figure
    if title:
        figure.suptitle(title)
    return figure


# -------------------------------------------------------------------------------------------- hidden states
def plot_hidden_states(
    states,
    tokens: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    max_units: int | None = 32,
    cmap: str = "RdBu_r",
    colorbar: bool = True,
) -> Axes:
    """Heat map of hidden states over time: units down the side, time steps (or tokens) along the bottom.

    Taught in: notebooks/04_sentiment.ipynb, section "8. Inside the hidden state".

    The colour scale is symmetric around 0 (blue negative, red positive), from ``-m`` to ``m`` with
    ``m = max |h|`` (at most 1 for ``tanh`` units).

    Args:
        states: hidden states of one sequence, shape ``(time, units)`` (``(1, time, units)`` is accepted),
            e.g. from ``rnncourse.diagnostics.hidden_state_trajectory``.
        tokens: one label per time step (the words of a text), drawn along the time axis.
            Default: ``None`` (step numbers 1, 2, ...).
        ax: Axes to draw into. Default: a new figure.
        title: Axes title. Default: ``None``.
        max_units: draw only the first ``max_units`` units (``None``: all). Default: ``32``.
        cmap: a diverging colour map. Default: ``"RdBu_r"``.
        colorbar: add a colour bar. Default: ``True``.

    Returns:
        The ``Axes`` (the heat map is ``ax.images[0]``).

    Raises:
        ValueError: for states not of shape ``(time, units)`` or a number of tokens that differs from
            the number of time steps.

    Example:
        >>> import numpy as np
        >>> ax = plot_hidden_states(np.tanh(np.random.default_rng(0).normal(size=(4, 8))),
        ...                         tokens=["a", "fine", "film", "!"])
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['a', 'fine', 'film', '!']
    """
    array = arguments.numeric_array(states, "states", dtype=float, finite=False)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(arguments.message("states", "hidden states of shape (time, units)",
                                           f"shape {array.shape}"))
    steps, units = array.shape
    if tokens is not None and len(tokens) != steps:
        raise ValueError(arguments.message("tokens", f"one token per time step ({steps})",
                                           f"{len(tokens)} tokens"))
    if max_units is not None:
        array = array[:, :max_units]
    shown = array.shape[1]
    ax = _new_axes(ax, (float(np.clip(0.3 * steps + 2.5, 5, 11)), float(np.clip(0.18 * shown + 1.3, 2.5, 6))))
    limit = float(np.nanmax(np.abs(array))) or 1.0
    # time steps at x = 1 .. T (as in h_1 .. h_T), units at y = 0 .. units-1 (as in Keras's weight columns)
    image = ax.imshow(array.T, aspect="auto", cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest",
                      extent=(0.5, steps + 0.5, shown - 0.5, -0.5))
    if tokens is not None:
        ax.set_xticks(range(1, steps + 1), [str(t) for t in tokens], rotation=60 if steps > 8 else 0,
                      ha="right" if steps > 8 else "center", rotation_mode="anchor", fontsize=9)
        ax.set_xlabel("token")
    else:
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("time step t")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("hidden unit" + (f" (first {shown} of {units})" if shown < units else ""))
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="$h_t$", fraction=0.04, pad=0.02)
    return ax


# ------------------------------------------------------------------------------------------------ gradients
def plot_gradient_norms(
    norms,
    ax: Axes | None = None,
    title: str | None = "How far back the gradient reaches",
    normalize: bool = False,
) -> Axes:
    """Plot ``‖∂L/∂h_t‖`` against the time step on a log scale, one curve per model.

    Taught in: notebooks/02_training_rnns.ipynb, section "3. Vanishing and exploding gradients".

    With the loss read at the last step ``T``, the curve shows how much a step ``t`` can still learn from
    it: falling steeply to the left means vanishing gradients, rising means exploding ones.

    Args:
        norms: ``{name: norms}`` with one ``(time,)`` array per curve (e.g. from
            ``rnncourse.diagnostics.gradient_norms_through_time``), or a single array.
        ax: Axes to draw into. Default: a new figure.
        title: Axes title. Default: ``"How far back the gradient reaches"``.
        normalize: divide each curve by its value at the last step, so curves start at 1 and compare by
            shape. Default: ``False``.

    Returns:
        The ``Axes``.

    Raises:
        ValueError: for an empty dict, curves that are not 1-D, or negative norms. (Zeros are allowed but,
            on a log axis, not drawn.)

    Example:
        >>> import numpy as np
        >>> ax = plot_gradient_norms({"SimpleRNN": 0.5 ** np.arange(20)[::-1], "LSTM": np.ones(20)})
        >>> ax.get_yscale()
        'log'
    """
    if not isinstance(norms, Mapping):
        norms = {"": norms}
    if not norms:
        raise ValueError(arguments.message("norms", "at least one curve of gradient norms", "an empty dict"))
    ax = _new_axes(ax, (7, 3.8))
    for i, (name, values) in enumerate(norms.items()):
        curve = arguments.numeric_array(values, f"norms[{name!r}]", dtype=float, finite=False)
        if curve.ndim != 1:
            raise ValueError(arguments.message(f"norms[{name!r}]", "one norm per time step, shape (time,)",
                                               f"{curve.shape}"))
        if (curve < 0).any():
            raise ValueError(arguments.message(f"norms[{name!r}]", "norms >= 0", "negative values"))
        if normalize and curve[-1] > 0:
            curve = curve / curve[-1]
        curve = np.where(curve > 0, curve, np.nan)
        steps = np.arange(1, len(curve) + 1)
        ax.plot(steps, curve, color=f"C{i}", lw=1.8, marker="o" if len(curve) <= 40 else None, ms=3,
                label=str(name) or None)
    ax.set_yscale("log")
    ax.set_xlabel("time step t  (loss read at the last step)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$" + (" / value at T" if normalize else ""))
    ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        ax.set_title(title)
    _style(ax)
    ax.grid(True, which="minor", alpha=0.12, linewidth=0.5)
    if any(str(name) for name in norms):
        ax.legend(fontsize=9, frameon=False)
    return ax


# ------------------------------------------------------------------------------------------------ comparison
def plot_comparison(table: pd.DataFrame, metrics: Sequence[str] | None = None, ax=None,
                    title: str | None = None) -> Figure:
    """Compare models side by side: one bar panel per metric (error, accuracy, parameters, time, ...).

    Taught in: notebooks/03_forecasting.ipynb, section "6. All the one-step forecasts side by side".

    Args:
        table: ``pd.DataFrame`` with one row per model (the index gives the model names) and one numeric
            column per metric, e.g. ``pd.DataFrame({"val MAE": ..., "parameters": ..., "s / epoch": ...},
            index=["naive", "SimpleRNN", "LSTM"])``.
        metrics: the columns to draw. Default: ``None`` (all numeric columns).
        ax: one Axes per metric. Default: a new figure.
        title: figure title. Default: ``None``.

    Returns:
        The ``Figure``; one panel per metric in ``fig.axes``, each bar labelled with its value.

    Raises:
        ValueError: for an empty table, unknown or non-numeric metric columns.
        TypeError: if ``table`` is not a DataFrame.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"val MAE": [0.9, 0.5], "parameters": [0, 1153]}, index=["naive", "RNN"])
        >>> [a.get_title() for a in plot_comparison(table).axes]
        ['val MAE', 'parameters']
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(arguments.message("table", "a pandas DataFrame with one row per model",
                                          arguments.given(table)))
    if table.empty:
        raise ValueError(arguments.message("table", "at least one model (row) and one metric (column)",
                                           "an empty table"))
    if metrics is None:
        metrics = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
        if not metrics:
            raise ValueError(arguments.message("table", "numeric metric columns",
                                               f"none among {list(table.columns)}"))
    unknown = [m for m in metrics if m not in table.columns]
    if unknown:
        raise arguments.UnknownNameError(arguments.message(
            "metrics", f"metrics among the columns {list(table.columns)}", f"unknown {unknown}"))
    not_numeric = [m for m in metrics if not pd.api.types.is_numeric_dtype(table[m])]
    if not_numeric:
        raise ValueError(arguments.message("metrics", "numeric metric columns", f"non-numeric {not_numeric}"))
    names = [str(i) for i in table.index]
    axes = _panel_axes(ax, len(metrics), (3.6 * len(metrics), 0.45 * len(names) + 1.4))
    positions = np.arange(len(names))
    for a, metric in zip(axes, metrics, strict=True):
        values = table[metric].to_numpy(dtype=float)
        a.barh(positions, values, color=[f"C{i}" for i in range(len(names))], alpha=0.85, height=0.65)
        a.set_yticks(positions, names)
        a.invert_yaxis()
        a.set_title(str(metric))
        top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
        for y, v in zip(positions, values, strict=True):
            if np.isfinite(v):
                a.text(v + 0.02 * top, y, _format_value(v), va="center", fontsize=8.5)
        a.set_xlim(0, 1.25 * top if top > 0 else 1)
        a.grid(True, axis="x", alpha=0.3, linewidth=0.6)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
        if a is not axes[0]:
            a.tick_params(labelleft=False)
    figure = axes[0].figure
    if title:
        figure.suptitle(title)
    return figure


def plot_over_seeds(results: pd.DataFrame, metrics: Sequence[str] | None = None, ax=None,
                    title: str | None = None) -> Figure:
    """Each model's value for every seed, with the mean and the spread: one panel per metric.

    Taught in: notebooks/03_forecasting.ipynb, section "7. What the model cannot know: tomorrow's calendar".

    A comparison between trained models is only as good as its spread: draw every seed as a dot, the mean
    as a black diamond and the range from the smallest to the largest value as a line, labelled
    ``mean ± std``. Rows whose ranges overlap are not told apart by these seeds.

    Args:
        results: the tidy table returned by ``rnncourse.experiments.over_seeds`` (columns ``[model,] metric,
            seed, value``). Without a ``model`` column each panel has a single row.
        metrics: the metrics to draw, in order. Default: ``None`` (all, in the table's order).
        ax: one Axes per metric. Default: a new figure.
        title: figure title. Default: ``None``.

    Returns:
        The ``Figure``; one panel per metric in ``fig.axes``.

    Raises:
        TypeError: if ``results`` is not a DataFrame.
        ValueError: if it lacks the over_seeds columns, is empty, or a metric is unknown.

    Example:
        >>> from rnncourse.experiments import over_seeds
        >>> results = over_seeds(lambda seed: {"RNN": {"MAE": 1.0 + seed / 10}, "LSTM": {"MAE": 0.9}})
        >>> fig = plot_over_seeds(results)
        >>> [a.get_title() for a in fig.axes], [t.get_text() for t in fig.axes[0].get_yticklabels()]
        (['MAE'], ['RNN', 'LSTM'])
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(arguments.message("results", "the DataFrame returned by over_seeds",
                                          arguments.given(results), "plot_over_seeds"))
    missing = [c for c in ("metric", "seed", "value") if c not in results.columns]
    if missing or results.empty:
        raise ValueError(arguments.message(
            "results", "a non-empty over_seeds table with columns metric, seed, value",
            f"{len(results)} rows with columns {list(results.columns)}", "plot_over_seeds"))
    available = list(dict.fromkeys(results["metric"]))
    metrics = available if metrics is None else list(metrics)
    unknown = [m for m in metrics if m not in available]
    if unknown or not metrics:
        raise arguments.UnknownNameError(arguments.message("metrics", f"metrics among {available}",
                                                           f"{metrics}", "plot_over_seeds"))
    has_models = "model" in results.columns
    rows = list(dict.fromkeys(results["model"])) if has_models else None
    n_rows = len(rows) if has_models else 1
    axes = _panel_axes(ax, len(metrics), (3.8 * len(metrics), 0.5 * n_rows + 1.5))
    for a, metric in zip(axes, metrics, strict=True):
        part = results[results["metric"] == metric]
        labels = rows if has_models else [str(metric)]
        for y, label in enumerate(labels):
            values = (part[part["model"] == label] if has_models else part)["value"].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            color = f"C{y}"
            jitter = np.linspace(-0.12, 0.12, values.size) if values.size > 1 else np.zeros(1)
            a.plot([values.min(), values.max()], [y, y], color=color, lw=2, alpha=0.6, solid_capstyle="butt")
            a.scatter(values, y + jitter, color=color, s=22, alpha=0.85, zorder=3,
                      label="each seed" if y == 0 else None)
            mean = values.mean()
            a.scatter([mean], [y], marker="D", color="black", s=30, zorder=4,
                      label="mean" if y == 0 else None)
            spread = format_spread(values, digits=None, with_range=False)
            a.annotate(spread, (values.max(), y), xytext=(6, 0),
                       textcoords="offset points", va="center", fontsize=8.5)
        a.set_yticks(range(len(labels)), [str(label) for label in labels])
        a.set_ylim(len(labels) - 0.5, -0.5)
        a.set_title(str(metric))
        a.margins(x=0.25)
        a.grid(True, axis="x", alpha=0.3, linewidth=0.6)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
        if a is not axes[0] and has_models:
            a.tick_params(labelleft=False)
    n_seeds = results["seed"].nunique()
    axes[0].legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.02) if len(axes) == 1
                   else (0.0, -0.12 - 0.25 / max(n_rows, 1)), ncols=1 if len(axes) == 1 else 2,
                   title=f"{n_seeds} seed{'s' * (n_seeds != 1)}", title_fontsize=8)
    figure = axes[0].figure
    if title:
        figure.suptitle(title)
    return figure


def _format_value(value: float) -> str:
    if float(value).is_integer() and abs(value) >= 100:
        return f"{int(value):,}"
    return f"{value:.3g}"


# ------------------------------------------------------------------------------------------------ diagram
@dataclass(frozen=True)
class _UnrolledDiagram:
    """The geometry and the drawing pieces of ``plot_unrolled``, in data units (x to the right, y up).

    A column is one copy of the cell: the input node below it, the state node above it, arrows between them.
    States flow from left to right along y = 0.
    """

    width: float = 1.1  # the cell's box
    height: float = 0.75
    radius: float = 0.42  # the x and h nodes
    y_x: float = -1.55  # where the input nodes sit
    y_h: float = 1.55  # where the state nodes sit
    spacing: float = 2.3  # from one copy to the next
    equals_at: float = 2.55  # the "=" after the folded cell
    after_equals: float = 2.45  # from "=" to the first unrolled copy
    gap: float = 0.06  # between an arrow's tip and the box it points at
    cell_colors: tuple = ("#DCEBD5", "#3F7D3A")  # fill, edge and text
    x_color: str = "#D6E6F5"
    h_color: str = "#FBE3CF"
    weight_color: str = "#8B2E2E"

    @property
    def edge(self) -> float:
        """From a column's centre to where a horizontal arrow starts or ends."""
        return self.width / 2 + self.gap

    def arrow(self, ax: Axes, start, end, label: str | None = None, offset=(0.0, 0.0), path=None) -> None:
        from matplotlib.patches import FancyArrowPatch

        style = dict(arrowstyle="-|>", mutation_scale=14, lw=1.5, color="0.2", shrinkA=0, shrinkB=0)
        ax.add_patch(FancyArrowPatch(path=path, **style, zorder=2) if path is not None
                     else FancyArrowPatch(start, end, **style, zorder=2))  # fmt: skip
        if label:
            middle = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
            ax.text(*middle, label, ha="center", va="center", fontsize=11, color=self.weight_color, zorder=4)

    def state_arrow(self, ax: Axes, x_from: float, x_to: float) -> None:
        self.arrow(ax, (x_from, 0), (x_to, 0), "$W_h$", (0.0, 0.22))

    def node(self, ax: Axes, x: float, y: float, text: str, color: str) -> None:
        from matplotlib.patches import Circle

        ax.add_patch(Circle((x, y), self.radius, facecolor=color, edgecolor="0.3", lw=1.2, zorder=3))
        ax.text(x, y, text, ha="center", va="center", fontsize=12.5, zorder=4)

    def column(self, ax: Axes, x: float, sub: str) -> None:
        from matplotlib.patches import FancyBboxPatch

        fill, edge = self.cell_colors
        corner = (x - self.width / 2, -self.height / 2)
        ax.add_patch(FancyBboxPatch(corner, self.width, self.height, boxstyle="round,pad=0.06",
                                    facecolor=fill, edgecolor=edge, lw=1.6, zorder=3))  # fmt: skip
        ax.text(x, 0, "tanh", ha="center", va="center", fontsize=11, color=edge, zorder=4)
        self.node(ax, x, self.y_x, f"$x_{{{sub}}}$", self.x_color)
        self.node(ax, x, self.y_h, f"$h_{{{sub}}}$", self.h_color)
        self.arrow(ax, (x, self.y_x + self.radius), (x, -self.height / 2 - self.gap), "$W_x$", (0.3, 0.0))
        self.arrow(ax, (x, self.height / 2 + self.gap), (x, self.y_h - self.radius))

    def loop(self, ax: Axes, x: float) -> None:
        """The recurrence of the folded cell: out of its right side and back in."""
        from matplotlib.path import Path

        right = x + self.edge
        curve = Path([(right, 0.18), (right + 0.95, 0.75), (right + 0.95, -0.75), (right, -0.18)],
                     [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])  # fmt: skip
        self.arrow(ax, None, None, path=curve)
        ax.text(right + 0.88, 0, "$W_h$", ha="left", va="center", fontsize=11, color=self.weight_color)

    def captions(self, ax: Axes, xs: list[float], steps: int, folded: bool, centre: float) -> None:
        """The bracket under the copies, what it means, and the update rule on top."""
        ax.annotate("", xy=(xs[0] - self.width / 2, -2.15), xytext=(xs[-1] + self.width / 2, -2.15),
                    arrowprops=dict(arrowstyle="|-|", lw=1, color="0.45", mutation_scale=4))  # fmt: skip
        caption = (f"unrolled over {steps} time steps: the same $W_x$, $W_h$, $b$ in every copy" if steps > 2
                   else "unrolled: the same $W_x$, $W_h$, $b$\nat every step")  # fmt: skip
        ax.text((xs[0] + xs[-1]) / 2, -2.42, caption, ha="center", va="top", fontsize=10, color="0.3")
        if folded:
            ax.text(0.0, -2.42, "folded", ha="center", va="top", fontsize=10, color="0.3")
        rule = r"$h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$"
        ax.text(centre, 2.35, rule, ha="center", va="bottom", fontsize=13)


def plot_unrolled(steps: int = 3, ax: Axes | None = None, folded: bool = True, time_labels: str = "relative",
                  title: str | None = None) -> Axes:
    """Draw a recurrent cell folded (with its loop) and unrolled over ``steps`` time steps.

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "1. One update rule, applied at every step".

    Each copy of the cell reads the input ``x_t`` through ``W_x`` and the previous state ``h_{t-1}``
    through ``W_h``, and outputs ``h_t``, which goes both up (the output) and right (the next step's
    state). All copies share the same ``W_x``, ``W_h`` and ``b``: unrolling adds no parameters.

    Args:
        steps: how many unrolled copies to draw, 1 to 10. Default: ``3``.
        ax: Axes to draw into. Default: a new figure.
        folded: also draw the folded cell with its loop, then "=". Default: ``True``.
        time_labels: ``"relative"`` (``x_{t-1}, x_t, x_{t+1}``) or ``"absolute"`` (``x_1 .. x_T``, starting
            from ``h_0``). Default: ``"relative"``.
        title: Axes title. Default: ``None``.

    Returns:
        The ``Axes`` (axis lines hidden; the drawing is made of patches, arrows and text).

    Raises:
        ValueError: for ``steps`` outside 1..10 or an unknown ``time_labels``.

    Example:
        >>> ax = plot_unrolled(steps=4, time_labels="absolute")
        >>> "$x_{4}$" in [t.get_text() for t in ax.texts]
        True
    """
    steps = arguments.integer(steps, "steps", minimum=1, maximum=10)
    arguments.one_of(time_labels, "time_labels", ("relative", "absolute"))
    if time_labels == "absolute":
        subscripts, first_state = [str(k) for k in range(1, steps + 1)], "0"
    else:  # centred on t: t-1, t, t+1
        offsets = [k - (steps - 1) // 2 for k in range(steps)]
        subscripts = ["t" if o == 0 else f"t{o:+d}" for o in offsets]
        first_state = f"t{offsets[0] - 1:+d}" if offsets[0] != 1 else "t"

    d = _UnrolledDiagram()
    new_figure = ax is None
    ax = _new_axes(ax, (8, 4))
    x_start = 0.0
    if folded:  # the cell with its loop, then "="
        d.column(ax, 0.0, "t")
        d.loop(ax, 0.0)
        ax.text(d.equals_at, 0, "=", ha="center", va="center", fontsize=28, color="0.3")
        x_start = d.equals_at + d.after_equals
    xs = [x_start + k * d.spacing for k in range(steps)]
    ax.text(x_start - 1.65, 0, f"$h_{{{first_state}}}$", ha="center", va="center", fontsize=13)
    d.state_arrow(ax, x_start - 1.25, xs[0] - d.edge)  # the state from the step before the first copy
    for x, sub in zip(xs, subscripts, strict=True):
        d.column(ax, x, sub)
    for left, right in zip(xs[:-1], xs[1:], strict=True):
        d.state_arrow(ax, left + d.edge, right - d.edge)
    x_end = xs[-1] + d.edge
    if time_labels == "relative":  # and so on, to the right
        d.arrow(ax, (x_end, 0), (x_end + 0.75, 0))
        ax.text(x_end + 0.95, 0, r"$\cdots$", ha="left", va="center", fontsize=14)
    left_edge, right_edge = (-0.9 if folded else x_start - 2.1), x_end + 1.4
    d.captions(ax, xs, steps, folded, (left_edge + right_edge) / 2)
    ax.set_xlim(left_edge, right_edge)
    ax.set_ylim(-2.95, 2.95)
    ax.set_aspect("equal")
    ax.axis("off")
    if new_figure:  # size the figure to the drawing, about 0.72 inch per unit
        ax.figure.set_size_inches(max(0.72 * (right_edge - left_edge), 5.5), 0.72 * 5.9)
    if title:
        ax.set_title(title)
    return ax
