"""Running experiments that can be trusted: one set-up call, a quiet early-stopped fit, and seeds.

A number that comes out of training is one draw: another seed (or another CPU, whose floating-point sums
run in another order) gives another number. A claim such as "the LSTM beats the vanilla RNN" is only worth
making when it holds across draws, so the course measures trained models over several seeds and reports
each seed's value with the mean and the spread:

- ``setup_notebook(seed)`` -- the first call of every course notebook: quiet TensorFlow, seed everything,
  print one line of versions;
- ``fit_with_early_stopping`` -- compile-free ``model.fit`` on validation data that stops when the monitored
  metric stops improving and restores the best weights;
- ``over_seeds(run, seeds)`` -- call ``run(seed)`` for each seed and collect its metrics in a tidy table,
  with the mean, standard deviation, minimum and maximum of each metric; ``summarize`` turns it into one row
  per metric. ``rnncourse.plots.plot_over_seeds`` draws it;
- ``write_table`` and ``load_table`` -- the committed tables of the studies in ``studies/`` (too slow for a
  notebook, so run once and read back): rows in a CSV file whose ``#`` lines at the top say how, where and
  when it was made (``machine()`` and ``versions()`` describe the computer and the libraries).

Example:
    >>> import numpy as np
    >>> def run(seed):
    ...     rng = np.random.default_rng(seed)
    ...     return {"error": 1.0 + 0.1 * rng.standard_normal()}
    >>> results = over_seeds(run, seeds=(0, 1, 2))
    >>> results.columns.tolist()
    ['metric', 'seed', 'value', 'mean', 'std', 'min', 'max']
    >>> summarize(results).columns.tolist()
    ['seed 0', 'seed 1', 'seed 2', 'n', 'mean', 'std', 'min', 'max']
"""

from __future__ import annotations

import datetime
import numbers
import os
import platform
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rnncourse import arguments

__all__ = [
    "setup_notebook", "fit_with_early_stopping", "over_seeds", "summarize", "format_spread", "write_table",
    "load_table", "machine", "versions",
]

STATS = ("mean", "std", "min", "max")

# Environment defaults for a course notebook, applied with setdefault (a value the user set wins).
NOTEBOOK_ENVIRONMENT = {
    "KERAS_BACKEND": "tensorflow",
    "TF_CPP_MIN_LOG_LEVEL": "3",      # TensorFlow's C++ start-up messages
    "TF_ENABLE_ONEDNN_OPTS": "0",     # oneDNN's notice has a time stamp, and without it results repeat
}

# One thread for TensorFlow and for NumPy's BLAS: the tests run the notebooks' kernels so (conftest.py,
# scripts/run_seeds.py), an order of floating-point sums other than the one the notebooks were stored with
# (TensorFlow's and BLAS's default threads), as another CPU has. A stored output that is compared must not
# change here, and every asserted claim must still hold. (The BLAS core type is left to the machine.)
ONE_THREAD_ENVIRONMENT = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def setup_notebook(seed: int = 0, *, quiet: bool = False) -> None:
    """Prepare a notebook for the course: environment, matplotlib, seeds, and one line of versions.

    Taught in: notebooks/01_the_rnn_unit.ipynb, section "Setup".

    Call it in the Setup cell before importing Keras (TensorFlow reads its environment once, when it is
    first imported). It

    - sets ``KERAS_BACKEND=tensorflow``, ``TF_CPP_MIN_LOG_LEVEL=3`` and ``TF_ENABLE_ONEDNN_OPTS=0``
      unless they are already set (so TensorFlow's start-up messages stay out of the outputs and runs
      repeat exactly), and with the TensorFlow backend keeps TensorFlow's Python warnings (such as
      "triggered tf.function retracing", harmless here) out of the outputs too;
    - turns on inline figures when running under IPython/Jupyter;
    - seeds Python, NumPy and the Keras backend with ``keras.utils.set_random_seed(seed)``;
    - shows three decimals in pandas tables;
    - prints ``rnncourse 0.1.0 | keras 3.x | backend tensorflow 2.x | numpy 2.x | seed 0``.

    Args:
        seed: the notebook's random seed (non-negative int). Default: ``0``.
        quiet: print nothing. Default: ``False`` prints the version line. (Keyword only.)

    Raises:
        TypeError, ValueError: for a seed that is not a non-negative integer.

    Example:
        >>> setup_notebook(0, quiet=True)
        >>> import keras, numpy as np
        >>> first = np.random.rand()
        >>> setup_notebook(0, quiet=True)
        >>> bool(np.random.rand() == first)     # the same seed gives the same draws
        True
    """
    seed = arguments.integer(seed, "seed", minimum=0, where="setup_notebook")
    for name, value in NOTEBOOK_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython comes with the course's Jupyter
        shell = None
    if shell is not None and hasattr(shell, "kernel"):
        shell.run_line_magic("matplotlib", "inline")

    import keras

    import rnncourse

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    pd.set_option("display.precision", 3)
    if not quiet:
        backend = keras.backend.backend()
        backend_version = __import__(backend).__version__ if backend in {"tensorflow", "jax", "torch"} else ""
        print(f"rnncourse {rnncourse.__version__} | keras {keras.__version__} | backend {backend} "
              f"{backend_version} | numpy {np.__version__} | seed {seed}")


def fit_with_early_stopping(model, x, y, validation_data, *, monitor: str = "val_loss", patience: int = 5,
                            max_epochs: int = 30, batch_size: int = 64, verbose: bool = False, **fit_kwargs):
    """Fit a compiled model quietly until ``monitor`` stops improving, then restore its best weights.

    Taught in: notebooks/03_forecasting.ipynb, section "4. A one-step RNN forecaster".

    The recipe used for every trained model of the course: train on ``(x, y)``, evaluate on the validation
    data after each epoch, stop ``patience`` epochs after the best one (at most ``max_epochs``), and keep the
    weights of the best epoch. No progress bars.

    Args:
        model: a compiled ``keras.Model``.
        x, y: training inputs and targets (arrays, or ``x`` a ``tf.data.Dataset`` with ``y=None``).
        validation_data: ``(x_val, y_val)`` or a dataset.
        monitor: the validation metric to watch, e.g. ``"val_loss"``, ``"val_mae"``, ``"val_accuracy"``
            (accuracies are maximised, everything else minimised). Default: ``"val_loss"``.
        patience: epochs without improvement before stopping (positive int). Default: ``5``.
        max_epochs: upper bound on the epochs (positive int). Default: ``30``.
        batch_size: ignored for datasets (positive int). Default: ``64``.
        verbose: print one line, e.g. ``12 epochs, best val_mae 0.161 at epoch 7``. Default: ``False``.
        **fit_kwargs: passed on to ``model.fit`` (e.g. ``shuffle``, ``class_weight``).

    Returns:
        The ``keras.callbacks.History`` of the run; ``len(history.epoch)`` is the number of epochs run.

    Raises:
        TypeError, ValueError: for ``patience``/``max_epochs``/``batch_size`` that are not positive ints.
        ValueError: if the model is not compiled, or ``monitor`` is not among the logged metrics.

    Example:
        >>> import keras, numpy as np
        >>> keras.utils.set_random_seed(0)
        >>> x = np.random.rand(64, 5, 1).astype("float32"); y = x.sum(axis=(1, 2))
        >>> model = keras.Sequential([keras.Input((5, 1)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)])
        >>> model.compile("adam", "mse")
        >>> history = fit_with_early_stopping(model, x, y, (x, y), patience=2, max_epochs=3)
        >>> 1 <= len(history.epoch) <= 3
        True
    """
    import keras

    for name, value in (("patience", patience), ("max_epochs", max_epochs), ("batch_size", batch_size)):
        arguments.positive_int(value, name, where="fit_with_early_stopping")
    if not getattr(model, "compiled", False):
        raise ValueError("fit_with_early_stopping expects a compiled model (call model.compile(...) first), "
                         f"got {getattr(model, 'name', model)!r} uncompiled")
    mode = "max" if "acc" in monitor else "min"
    stop = keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=patience,
                                         restore_best_weights=True)
    history = model.fit(x, y, validation_data=validation_data, epochs=max_epochs, batch_size=batch_size,
                        callbacks=[stop, *fit_kwargs.pop("callbacks", [])], verbose=0, **fit_kwargs)
    if monitor not in history.history:
        raise ValueError(f"fit_with_early_stopping expects monitor to be one of the logged metrics "
                         f"{sorted(history.history)}, got {monitor!r}")
    if verbose:
        values = history.history[monitor]
        best = int(np.argmax(values) if mode == "max" else np.argmin(values))
        print(f"{model.name}: {len(values)} epochs, best {monitor} {values[best]:.3f} at epoch {best + 1}")
    return history


def _rows(result, seed: int) -> list[dict]:
    """Tidy rows from one run's result: ``{metric: value}`` or ``{model: {metric: value}}``."""
    if not isinstance(result, Mapping) or not result:
        raise TypeError(f"over_seeds expects run(seed) to return a non-empty dict of metrics, got "
                        f"{type(result).__name__} {result!r:.80} for seed {seed}")
    rows = []
    for key, value in result.items():
        if isinstance(value, Mapping):
            rows += [{"model": key, **row} for row in _rows(value, seed)]
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            try:
                value = float(np.asarray(value).item())   # a NumPy / backend scalar
            except (TypeError, ValueError):
                raise TypeError(f"over_seeds expects run(seed) to return numbers, got {value!r} for "
                                f"{key!r} with seed {seed}") from None
        rows.append({"metric": key, "seed": seed, "value": float(value)})
    return rows


def over_seeds(run: Callable[[int], Mapping], seeds: Iterable[int] = (0, 1, 2), *,
               verbose: bool = False) -> pd.DataFrame:
    """Run an experiment once per seed and collect its metrics in a tidy table with their spread.

    Taught in: notebooks/03_forecasting.ipynb, section "4. A one-step RNN forecaster".

    Args:
        run: ``run(seed)`` trains/evaluates whatever it likes with that seed and returns its metrics, either
            flat, ``{"test MAE": 1.02, "epochs": 17}``, or per model, ``{"LSTM": {"test MAE": 1.1}, ...}``.
            Every seed must return the same keys.
        seeds: the seeds to run, distinct non-negative integers. Default: ``(0, 1, 2)``.
        verbose: print each seed's metrics and time as it finishes. Default: ``False``.

    Returns:
        ``pd.DataFrame`` with one row per seed and metric (and model, if ``run`` returned them per model):
        columns ``[model,] metric, seed, value``, then the ``mean``, ``std`` (sample standard deviation,
        ``ddof=1``; NaN for one seed), ``min`` and ``max`` of that metric over the seeds, repeated on each of
        its rows. ``summarize`` gives one row per metric.

    Raises:
        TypeError: if ``run`` is not callable or returns something other than a dict of numbers.
        ValueError: for no seeds, repeated or negative seeds, or seeds that return different metrics.

    Example:
        >>> def run(seed):
        ...     return {"vanilla": {"acc": 0.70 + 0.01 * seed}, "LSTM": {"acc": 0.75 - 0.01 * seed}}
        >>> results = over_seeds(run, seeds=(0, 1, 2))
        >>> results[["model", "metric", "seed", "value"]].head(2).values.tolist()
        [['vanilla', 'acc', 0, 0.7], ['LSTM', 'acc', 0, 0.75]]
        >>> summarize(results)["mean"].round(3).to_dict()
        {('vanilla', 'acc'): 0.71, ('LSTM', 'acc'): 0.74}
    """
    if not callable(run):
        raise TypeError(f"over_seeds expects a function run(seed) -> dict of metrics, got "
                        f"{type(run).__name__}")
    if isinstance(seeds, numbers.Integral):
        raise TypeError(f"over_seeds expects a sequence of seeds such as (0, 1, 2), got the single number "
                        f"{seeds!r}")
    seeds = [arguments.integer(s, "each seed", minimum=0, where="over_seeds") for s in seeds]
    if not seeds:
        raise ValueError("over_seeds expects at least one seed, got none")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"over_seeds expects distinct seeds, got {seeds}")
    rows, keys = [], None
    for seed in seeds:
        start = time.perf_counter()
        seed_rows = _rows(run(seed), seed)
        seed_keys = [(r.get("model"), r["metric"]) for r in seed_rows]
        if keys is None:
            keys = seed_keys
        elif sorted(map(str, seed_keys)) != sorted(map(str, keys)):
            raise ValueError(f"over_seeds expects every seed to return the same metrics; seed {seeds[0]} "
                             f"returned {keys}, seed {seed} returned {seed_keys}")
        rows += seed_rows
        if verbose:
            shown = ", ".join(f"{'' if m is None else f'{m} '}{k} {r['value']:.4g}"
                              for (m, k), r in zip(seed_keys, seed_rows, strict=True))
            print(f"seed {seed} ({time.perf_counter() - start:.0f} s): {shown}", flush=True)
    frame = pd.DataFrame(rows)
    group = ["model", "metric"] if "model" in frame.columns else ["metric"]
    frame = frame[[*group, "seed", "value"]]
    stats = frame.groupby(group, sort=False)["value"]
    for stat in STATS:
        frame[stat] = stats.transform(stat)
    return frame


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """One row per metric (and model) of an ``over_seeds`` table: each seed's value, n, mean, std, min, max.

    Taught in: notebooks/03_forecasting.ipynb, section "4. A one-step RNN forecaster".

    Args:
        results: the table returned by ``over_seeds``.

    Returns:
        ``pd.DataFrame`` indexed by ``metric`` (or ``(model, metric)``), with columns ``seed 0``, ``seed 1``,
        ... then ``n``, ``mean``, ``std``, ``min``, ``max``.

    Raises:
        TypeError: if ``results`` is not a DataFrame.
        ValueError: if it lacks the ``metric``, ``seed`` and ``value`` columns.

    Example:
        >>> results = over_seeds(lambda seed: {"mae": 1.0 + seed}, seeds=(0, 1))
        >>> summarize(results).loc["mae", ["seed 0", "seed 1", "mean", "max"]].tolist()
        [1.0, 2.0, 1.5, 2.0]
    """
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"summarize expects the DataFrame returned by over_seeds, got "
                        f"{type(results).__name__}")
    missing = [c for c in ("metric", "seed", "value") if c not in results.columns]
    if missing:
        raise ValueError(f"summarize expects the columns of an over_seeds table (metric, seed, value), "
                         f"got {list(results.columns)} (missing {missing})")
    group = ["model", "metric"] if "model" in results.columns else ["metric"]
    wide = results.pivot_table(index=group, columns="seed", values="value", aggfunc="first", sort=False)
    order = list(dict.fromkeys(zip(*(results[c] for c in group), strict=True))) if len(group) > 1 else \
        list(dict.fromkeys(results["metric"]))
    wide = wide.loc[order]
    values = wide.to_numpy(dtype=float)
    wide.columns = [f"seed {s}" for s in wide.columns]
    wide["n"] = np.sum(np.isfinite(values), axis=1)
    wide["mean"] = np.nanmean(values, axis=1)
    wide["std"] = pd.DataFrame(values).std(axis=1, ddof=1).to_numpy()
    wide["min"] = np.nanmin(values, axis=1)
    wide["max"] = np.nanmax(values, axis=1)
    wide.columns.name = None
    return wide


def format_spread(values, digits: int | None = 2, with_range: bool = True) -> str:
    """``"0.74 ± 0.01 (0.73–0.75)"``: mean ± standard deviation over seeds (min–max), the course's one format.

    Taught in: notebooks/03_forecasting.ipynb, section "6. All the one-step forecasts side by side".

    Args:
        values: a row of ``summarize(...)`` (a Series with ``mean``, ``std``, ``min``, ``max``), or the
            values themselves, one per seed (a sequence, an array or a Series of numbers).
        digits: decimals to show; ``None`` for as many as the spread warrants (two significant digits of
            the standard deviation, 1 to 4 decimals). Default: ``2``.
        with_range: add ``(min–max)``. Default: ``True``.

    Returns:
        The formatted string; the standard deviation reads ``n/a`` for a single seed.

    Raises:
        TypeError: for values that are not numbers.
        ValueError: for no values, or values that are not finite.

    Example:
        >>> row = summarize(over_seeds(lambda s: {"acc": [0.73, 0.75, 0.74][s]}, seeds=(0, 1, 2))).loc["acc"]
        >>> format_spread(row)
        '0.74 ± 0.01 (0.73–0.75)'
        >>> format_spread([0.912, 0.9135, 0.9141], digits=None, with_range=False)
        '0.9132 ± 0.0011'
    """
    if isinstance(values, pd.Series) and set(STATS) <= set(values.index):
        mean, std, low, high = (float(values[k]) for k in STATS)
    else:
        array = arguments.numeric_array(values, "values", dtype=np.float64, ndim=1, where="format_spread")
        mean, low, high = float(array.mean()), float(array.min()), float(array.max())
        std = float(array.std(ddof=1)) if array.size > 1 else float("nan")
    if digits is None:
        digits = 2 if np.isnan(std) or std < 1e-12 else int(min(4, max(1, 1 - np.floor(np.log10(std)))))
    std_text = "n/a" if np.isnan(std) else f"{std:.{digits}f}"
    text = f"{mean:.{digits}f} ± {std_text}"
    return f"{text} ({low:.{digits}f}–{high:.{digits}f})" if with_range else text


# The lines every study table starts with, in this order (write_table); a study adds its own after them.
PROVENANCE = ("written by", "date", "versions", "cpu", "wall time")

# The committed tables of the studies, in the clone this package runs from (they are not part of the wheel).
STUDY_RESULTS = Path(__file__).resolve().parents[1] / "studies" / "results"


def machine() -> str:
    """The computer a measurement ran on, for a table's provenance: the CPU's model and its logical cores.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Returns:
        e.g. ``"AMD EPYC (2 logical cores)"``: the ``model name`` of ``/proc/cpuinfo`` on Linux, elsewhere
        ``platform.processor()`` (or the machine type, ``x86_64``, where that is empty).

    Example:
        >>> machine().endswith("logical cores)")
        True
    """
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    model = model or platform.processor() or platform.machine() or "unknown CPU"
    return f"{model} ({os.cpu_count()} logical cores)"


def versions() -> str:
    """The versions a measurement ran with, for a table's provenance: Python, rnncourse, Keras, its backend.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Imports Keras (so set ``KERAS_BACKEND`` first, as a study does before it trains anything).

    Returns:
        e.g. ``"python 3.11.7, rnncourse 0.1.0, keras 3.15.1, tensorflow 2.21.0, numpy 2.4.6, pandas 3.1.1"``.

    Example:
        >>> versions().startswith("python ")
        True
    """
    import keras

    import rnncourse

    backend = keras.backend.backend()
    parts = [f"python {platform.python_version()}", f"rnncourse {rnncourse.__version__}",
             f"keras {keras.__version__}"]
    if backend in {"tensorflow", "jax", "torch"}:
        parts.append(f"{backend} {__import__(backend).__version__}")
    return ", ".join([*parts, f"numpy {np.__version__}", f"pandas {pd.__version__}"])


def _line(text, name: str) -> str:
    """A provenance key or value: text on one line (a newline would end the ``#`` header)."""
    if not isinstance(text, str):
        raise TypeError(f"write_table expects {name} to be text, got {type(text).__name__} {text!r:.60}")
    if "\n" in text or "\r" in text:
        raise ValueError(f"write_table expects {name} on one line, got {text!r:.80}")
    return text.strip()


def write_table(path: str | os.PathLike, rows, *, written_by: str, wall_time: float | str,
                recipe: str | None = None, provenance: Mapping[str, str] | None = None,
                columns: Sequence[str] | None = None, earlier: Mapping[str, str] | None = None,
                float_format: str = "%.6g") -> Path:
    r"""Write a study's table with its provenance: the twin of ``load_table``.

    Taught in: none of the notebooks (library only; see docs/library.md).

    The file starts with ``# key: value`` lines -- ``written by`` (the script and its arguments), ``date``
    (UTC), ``versions`` (``versions()``), ``cpu`` (``machine()``), ``wall time``, then ``recipe`` and the
    study's own lines (seeds, threads, baselines, ...) -- followed by the rows as CSV, numbers with six
    significant digits. Every study in ``studies/`` writes its table with this, and the notebooks read it
    back with ``load_table``.

    Args:
        path: the CSV file to write (its folder is created).
        rows: the table: a ``pd.DataFrame``, or a list of dicts (one per row).
        written_by: the command that made the table, e.g. ``"studies/regularisers.py --seeds 0 1 2"``.
        wall_time: seconds (a number, written as ``"229 s"``) or a sentence (``"229 s for 6 runs"``).
        recipe: what was trained and how, in one line. Default: ``None`` writes no ``recipe`` line.
        provenance: more ``key: value`` lines, in order, after the standard ones. Default: ``None``.
        columns: the columns, in the order to write them; ``rows`` must have exactly these. Default:
            ``None``, those of ``rows`` (which must then have some).
        earlier: the provenance of the table this one extends (``--append``, read with ``load_table``): its
            ``written by``, ``wall time`` and ``runs`` come first, joined to this run's by ``" ; then "``.
            Default: ``None``.
        float_format: how to write floating-point numbers. Default: ``"%.6g"``.

    Returns:
        The ``Path`` written.

    Raises:
        TypeError: for rows that are not a DataFrame or a list of dicts, or provenance that is not text.
        ValueError: for no rows and no columns, rows whose columns are not ``columns``, an empty
            ``written_by``, a provenance line that would break the header (a newline, a ``:`` in a key) or
            that repeats a standard one.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "study.csv"
        >>> _ = write_table(path, [{"cell": "GRU", "value": 2.6}], written_by="studies/example.py",
        ...                 wall_time=12, recipe="one GRU, 3 epochs", provenance={"seeds": "0"})
        >>> table, provenance = load_table(path, ["cell", "value"])
        >>> table["value"].tolist(), list(provenance)
        ([2.6], ['written by', 'date', 'versions', 'cpu', 'wall time', 'recipe', 'seeds'])
    """
    if isinstance(rows, pd.DataFrame):
        table = rows
    elif isinstance(rows, (list, tuple)) and all(isinstance(row, Mapping) for row in rows):
        table = pd.DataFrame(list(rows)) if rows or columns is None else pd.DataFrame(columns=list(columns))
    else:
        raise TypeError(f"write_table expects rows as a DataFrame or a list of dicts, got "
                        f"{type(rows).__name__} {rows!r:.60}")
    if columns is None:
        if not len(table.columns):
            raise ValueError("write_table expects some rows or the columns of an empty table, got neither")
    elif sorted(map(str, table.columns)) != sorted(map(str, columns)):
        raise ValueError(f"write_table expects the columns {list(columns)}, got {list(table.columns)}")
    else:
        table = table[list(columns)]
    if isinstance(wall_time, numbers.Real) and not isinstance(wall_time, bool):
        wall_time = f"{wall_time:.0f} s"
    lines = {
        "written by": _line(written_by, "written_by"),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": versions(),
        "cpu": machine(),
        "wall time": _line(wall_time, "wall_time"),
    }
    if not lines["written by"]:
        raise ValueError("write_table expects written_by to name the script that wrote the table, got ''")
    if recipe is not None:
        lines["recipe"] = _line(recipe, "recipe")
    for key, value in (provenance or {}).items():
        key = _line(key, "each provenance key")
        if not key or ":" in key or key in lines:
            raise ValueError(f"write_table expects provenance keys that are not empty, have no ':' and are "
                             f"not one of {list(lines)}, got {key!r}")
        lines[key] = _line(value, f"provenance[{key!r}]")
    for key in ("written by", "wall time", "runs"):
        before = (earlier or {}).get(key) or (earlier or {}).get("script" if key == "written by" else key)
        if before and key in lines:  # "script": what the tables written before write_table call it
            lines[key] = f"{before} ; then {lines[key]}"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for key, value in lines.items():
            handle.write(f"# {key}: {value}\n")
        table.to_csv(handle, index=False, float_format=float_format, lineterminator="\n")
    return path


def load_table(path: str | os.PathLike, columns: Sequence[str], written_by: str = "a study in studies/"
               ) -> tuple[pd.DataFrame, dict]:
    r"""Read a study table of ``studies/results/``: the rows, and the provenance lines at its top.

    Taught in: notebooks/04_sentiment.ipynb, section "5. Closing the gap".

    The studies write tidy CSV files with ``write_table``: ``# key: value`` lines saying how, where and when
    they were made (``written by``, ``date``, ``versions``, ``cpu``, ``wall time``, then the study's own),
    then the rows; the notebooks read them with this and show both. (The tables of notebooks 06 and 07 were
    written before ``write_table``: they name the command ``script`` and give the versions one per line.)

    Args:
        path: the CSV file.
        columns: the columns the table must have, in order.
        written_by: what writes such a table, for the error messages. Default: ``"a study in studies/"``.

    Returns:
        ``(table, provenance)``: a DataFrame with ``columns`` and a dict of the ``#`` lines.

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        ValueError: if the file's columns are not ``columns``.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "study.csv"
        >>> _ = path.write_text("# date: 2026-12-03\ncell,value\nGRU,2.6\n", encoding="utf-8")
        >>> table, provenance = load_table(path, ["cell", "value"])
        >>> table["value"].tolist(), provenance
        ([2.6], {'date': '2026-12-03'})
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_table expects a table written by {written_by}, got no file at {path}")
    provenance = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].partition(":")
            provenance[key.strip()] = value.strip()
    table = pd.read_csv(path, comment="#")
    if list(table.columns) != list(columns):
        raise ValueError(
            f"load_table expects the columns {list(columns)}, got {list(table.columns)} in {path}"
        )
    return table, provenance
