"""Tests for rnncourse.experiments: over_seeds / summarize / format_spread, the early-stopped fit, setup, and
the study tables (write_table / load_table, and the committed tables of studies/results/)."""

import os
import re
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from rnncourse.experiments import (
    PROVENANCE,
    STUDY_RESULTS,
    fit_with_early_stopping,
    format_spread,
    load_table,
    machine,
    over_seeds,
    setup_notebook,
    summarize,
    versions,
    write_table,
)

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------------------------- over_seeds
def test_over_seeds_flat_values_and_statistics():
    draws = {0: 1.0, 1: 4.0, 2: 7.0}
    results = over_seeds(lambda seed: {"mae": draws[seed], "epochs": 10 + seed})
    assert list(results.columns) == ["metric", "seed", "value", "mean", "std", "min", "max"]
    assert len(results) == 6                                   # one row per seed and metric
    mae = results[results["metric"] == "mae"]
    assert mae["seed"].tolist() == [0, 1, 2] and mae["value"].tolist() == [1.0, 4.0, 7.0]
    assert set(mae["mean"]) == {4.0} and set(mae["min"]) == {1.0} and set(mae["max"]) == {7.0}
    assert mae["std"].iloc[0] == pytest.approx(np.std([1, 4, 7], ddof=1))
    epochs = results[results["metric"] == "epochs"]
    assert epochs["mean"].iloc[0] == 11.0


def test_over_seeds_per_model_and_summarize():
    def run(seed):
        rng = np.random.default_rng(seed)
        return {"RNN": {"acc": 0.7 + 0.01 * rng.standard_normal()}, "LSTM": {"acc": 0.75, "params": 4480}}

    results = over_seeds(run, seeds=(3, 5, 8, 13))
    assert list(results.columns[:4]) == ["model", "metric", "seed", "value"]
    summary = summarize(results)
    assert summary.index.tolist() == [("RNN", "acc"), ("LSTM", "acc"), ("LSTM", "params")]
    assert summary.columns.tolist() == ["seed 3", "seed 5", "seed 8", "seed 13",
                                        "n", "mean", "std", "min", "max"]
    rnn = [0.7 + 0.01 * np.random.default_rng(s).standard_normal() for s in (3, 5, 8, 13)]
    np.testing.assert_allclose(summary.loc[("RNN", "acc"), ["seed 3", "seed 5", "seed 8", "seed 13"]], rnn)
    assert summary.loc[("RNN", "acc"), "mean"] == pytest.approx(np.mean(rnn))
    assert summary.loc[("RNN", "acc"), "std"] == pytest.approx(np.std(rnn, ddof=1))
    assert summary.loc[("LSTM", "params"), "std"] == 0 and summary.loc[("LSTM", "params"), "n"] == 4


def test_over_seeds_calls_run_with_each_seed_once():
    seen = []
    over_seeds(lambda seed: seen.append(seed) or {"x": seed}, seeds=[2, 0, 7])
    assert seen == [2, 0, 7]


def test_over_seeds_accepts_numpy_and_backend_scalars():
    scalars = {"a": np.float32(0.5), "b": np.int64(3), "c": keras.ops.convert_to_tensor(2.0)}
    results = over_seeds(lambda seed: scalars, seeds=(0,))
    assert results["value"].tolist() == [0.5, 3.0, 2.0]
    assert results["std"].isna().all()                         # one seed: no spread


def test_over_seeds_verbose_prints_each_seed(capsys):
    over_seeds(lambda seed: {"mae": 1.5}, seeds=(0, 1), verbose=True)
    out = capsys.readouterr().out
    assert "seed 0" in out and "seed 1" in out and "mae 1.5" in out


@pytest.mark.parametrize(("run", "seeds", "error", "message"), [
    ("not callable", (0,), TypeError, "expects a function run"),
    (lambda seed: {"x": 1.0}, 3, TypeError, "got the single number 3"),
    (lambda seed: {"x": 1.0}, (), ValueError, "at least one seed"),
    (lambda seed: {"x": 1.0}, (0, 0), ValueError, "distinct seeds"),
    (lambda seed: {"x": 1.0}, (0, -1), ValueError, "got -1"),
    (lambda seed: {"x": 1.0}, (0, 1.5), TypeError, "got 1.5"),
    (lambda seed: {"x": 1.0}, (True,), TypeError, "got True"),
    (lambda seed: 0.5, (0,), TypeError, "return a non-empty dict"),
    (lambda seed: {}, (0,), TypeError, "return a non-empty dict"),
    (lambda seed: {"x": "high"}, (0,), TypeError, "'high' for 'x'"),
    (lambda seed: {"x": [1.0, 2.0]}, (0,), TypeError, "for 'x'"),
    (lambda seed: {"x": 1.0} if seed == 0 else {"y": 1.0}, (0, 1), ValueError, "the same metrics"),
])
def test_over_seeds_bad_input(run, seeds, error, message):
    with pytest.raises(error, match=message):
        over_seeds(run, seeds=seeds)


def test_summarize_and_format_spread_bad_input():
    with pytest.raises(TypeError, match="DataFrame returned by over_seeds"):
        summarize({"metric": [1]})
    with pytest.raises(ValueError, match="missing"):
        summarize(pd.DataFrame({"metric": ["a"], "value": [1.0]}))
    row = summarize(over_seeds(lambda seed: {"acc": 0.5}, seeds=(0,))).loc["acc"]
    assert format_spread(row) == "0.50 ± n/a (0.50–0.50)"
    row = summarize(over_seeds(lambda seed: {"mae": [1.0, 2.0, 3.0][seed]})).loc["mae"]
    assert format_spread(row, digits=1) == "2.0 ± 1.0 (1.0–3.0)"


# --------------------------------------------------------------------------------- fit_with_early_stopping
def _regression(seed=0, n=256):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6, 2)).astype("float32")
    return x, x[:, -1, 0] - 0.5 * x[:, 0, 1]


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((6, 2)), keras.layers.SimpleRNN(8), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-2), "mse", metrics=["mae"])
    return model


def test_fit_with_early_stopping_restores_the_best_epoch():
    x, y = _regression()
    x_val, y_val = x[:64] + 3.0, y[:64]           # a shifted validation set, so validation error turns up
    model = _model()
    history = fit_with_early_stopping(model, x[64:], y[64:], (x_val, y_val), monitor="val_mae", patience=2,
                                      max_epochs=15, batch_size=32)
    val_mae = history.history["val_mae"]
    best = int(np.argmin(val_mae))
    assert len(val_mae) <= 15 and (len(val_mae) == 15 or len(val_mae) == best + 1 + 2)
    restored = model.evaluate(x_val, y_val, verbose=0)[1]
    assert restored == pytest.approx(val_mae[best], rel=1e-4)  # the best weights, not the last ones


def test_fit_with_early_stopping_maximises_accuracy_and_prints(capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(128, 4, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4, 1)), keras.layers.SimpleRNN(4),
                              keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = fit_with_early_stopping(model, x, y, (x, y), monitor="val_accuracy", patience=1, max_epochs=4,
                                      verbose=True)
    assert 1 <= len(history.epoch) <= 4
    assert "best val_accuracy" in capsys.readouterr().out


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"patience": 0}, ValueError, "patience"),
    ({"max_epochs": 2.5}, TypeError, "max_epochs"),
    ({"batch_size": True}, TypeError, "batch_size"),
    ({"monitor": "val_nothing"}, ValueError, "val_nothing"),
])
def test_fit_with_early_stopping_bad_input(kwargs, error, message):
    x, y = _regression(n=32)
    with pytest.raises(error, match=message):
        fit_with_early_stopping(_model(), x, y, (x, y), max_epochs=kwargs.pop("max_epochs", 1), **kwargs)


def test_fit_with_early_stopping_needs_a_compiled_model():
    x, y = _regression(n=16)
    model = keras.Sequential([keras.Input((6, 2)), keras.layers.SimpleRNN(2), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled model"):
        fit_with_early_stopping(model, x, y, (x, y))


# ---------------------------------------------------------------------------------------------- setup
def test_setup_notebook_seeds_and_prints_versions(capsys):
    setup_notebook(3)
    out = capsys.readouterr().out
    assert f"keras {keras.__version__}" in out and "| seed 3" in out and "backend tensorflow" in out
    first = (np.random.rand(), keras.random.uniform((2,)).numpy().tolist())  # noqa: NPY002 (global RNG)
    setup_notebook(3, quiet=True)
    assert (np.random.rand(), keras.random.uniform((2,)).numpy().tolist()) == first  # noqa: NPY002
    assert capsys.readouterr().out == ""


def test_setup_notebook_keeps_the_users_environment(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    setup_notebook(0, quiet=True)
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "1" and os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), ("0", TypeError), (1.0, TypeError),
                                             (None, TypeError)])
def test_setup_notebook_bad_seed(seed, error):
    with pytest.raises(error, match="setup_notebook: `seed` expects an integer >= 0, got"):
        setup_notebook(seed, quiet=True)


@pytest.mark.parametrize(("values", "kwargs", "expected"), [
    ([0.912, 0.9135, 0.9141], {"digits": None, "with_range": False}, "0.9132 ± 0.0011"),  # std decides
    ([10.0, 30.0], {"digits": None}, "20.0 ± 14.1 (10.0–30.0)"),
    (pd.Series([1.0, 1.0, 1.0]), {"with_range": False}, "1.00 ± 0.00"),
    (np.array([0.5]), {}, "0.50 ± n/a (0.50–0.50)"),  # one seed: no spread
])
def test_format_spread_of_the_values_themselves(values, kwargs, expected):
    assert format_spread(values, **kwargs) == expected


@pytest.mark.parametrize(("values", "error", "message"), [
    ([], ValueError, "format_spread: `values` expects"),
    (["a", "b"], TypeError, "format_spread: `values`"),
    ([1.0, float("nan")], ValueError, "finite"),
])
def test_format_spread_bad_values(values, error, message):
    with pytest.raises(error, match=message):
        format_spread(values)


# ------------------------------------------------------------------------------------------- study tables
def test_write_table_round_trips_through_load_table(tmp_path):
    rows = [{"cell": "GRU", "seed": 0, "value": 2.6}, {"cell": "LSTM", "seed": 1, "value": 1 / 3}]
    path = write_table(tmp_path / "new" / "study.csv", rows, written_by="studies/example.py --seeds 0 1",
                       wall_time=12.4, recipe="GRU(8), 3 epochs", provenance={"seeds": "0 1", "threads": "1"})
    assert path == tmp_path / "new" / "study.csv"
    table, provenance = load_table(path, ["cell", "seed", "value"])
    assert table["cell"].tolist() == ["GRU", "LSTM"] and table["seed"].tolist() == [0, 1]
    assert table["value"].tolist() == [2.6, 0.333333]  # six significant digits, as every study writes
    assert list(provenance) == [*PROVENANCE, "recipe", "seeds", "threads"]
    assert provenance["written by"] == "studies/example.py --seeds 0 1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", provenance["date"])
    assert provenance["versions"] == versions() and f"keras {keras.__version__}" in provenance["versions"]
    assert provenance["cpu"] == machine() and provenance["cpu"].endswith(f"({os.cpu_count()} logical cores)")
    assert provenance["wall time"] == "12 s" and provenance["recipe"] == "GRU(8), 3 epochs"
    # a DataFrame goes in as it is, and a sentence for the wall time stays a sentence
    write_table(path, table, written_by="x.py", wall_time="3 s for 2 runs", columns=["cell", "seed", "value"])
    again, provenance = load_table(path, ["cell", "seed", "value"])
    pd.testing.assert_frame_equal(again, table)
    assert provenance["wall time"] == "3 s for 2 runs" and "recipe" not in provenance


def test_write_table_appends_to_an_earlier_table(tmp_path):
    path = tmp_path / "study.csv"
    earlier = {"script": "studies/x.py", "wall time": "10 s", "runs": "3 of 3 finished", "date": "then"}
    write_table(path, [{"a": 1}], written_by="studies/x.py --append", wall_time=2,
                provenance={"runs": "1 of 1 finished"}, earlier=earlier)
    _, provenance = load_table(path, ["a"])
    assert provenance["written by"] == "studies/x.py ; then studies/x.py --append"  # "script": an older table
    assert provenance["wall time"] == "10 s ; then 2 s"
    assert provenance["runs"] == "3 of 3 finished ; then 1 of 1 finished"
    assert provenance["date"] != "then"


@pytest.mark.parametrize("rows, kwargs, error, match", [
    ("a,b\n1,2", {}, TypeError, "rows as a DataFrame or a list of dicts"),
    ([{"a": 1}, 2], {}, TypeError, "rows as a DataFrame or a list of dicts"),
    ([], {}, ValueError, "some rows or the columns"),
    ([{"a": 1, "b": 2}], {"columns": ["b", "a", "c"]}, ValueError, r"expects the columns \['b', 'a', 'c'\]"),
    ([{"a": 1}], {"written_by": ""}, ValueError, "name the script"),
    ([{"a": 1}], {"written_by": "x.py\n# date: forged"}, ValueError, "written_by on one line"),
    ([{"a": 1}], {"wall_time": None}, TypeError, "wall_time to be text"),
    ([{"a": 1}], {"provenance": {"seeds": 3}}, TypeError, "provenance\\['seeds'\\] to be text"),
    ([{"a": 1}], {"provenance": {"key: value": "x"}}, ValueError, "have no ':'"),
    ([{"a": 1}], {"provenance": {"date": "yesterday"}}, ValueError, "not one of"),
])
def test_write_table_says_what_it_expected(tmp_path, rows, kwargs, error, match):
    kwargs = {"written_by": "studies/x.py", "wall_time": 1, **kwargs}
    with pytest.raises(error, match=match):
        write_table(tmp_path / "t.csv", rows, **kwargs)
    assert not (tmp_path / "t.csv").exists()  # nothing half-written


def test_write_table_of_no_rows_keeps_the_columns(tmp_path):
    path = write_table(tmp_path / "t.csv", [], written_by="x.py", wall_time=0, columns=["a", "b"])
    table, _ = load_table(path, ["a", "b"])
    assert table.empty


def test_load_table_says_what_it_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="written by studies/x.py, got no file"):
        load_table(tmp_path / "missing.csv", ["a"], written_by="studies/x.py")
    path = write_table(tmp_path / "t.csv", [{"a": 1}], written_by="x.py", wall_time=0)
    with pytest.raises(ValueError, match=r"expects the columns \['b'\], got \['a'\]"):
        load_table(path, ["b"])


# The tables of notebooks 06 and 07, written before write_table: `script` for `written by`, the versions one
# per line. Rerunning such a study writes the full header; take its table off this list then.
OLDER_HEADER = {"char_models.csv", "char_curves.csv", "char_long_run.csv", "seq2seq_study.csv"}
OLDER_KEYS = ["script", "date", "keras", "cpu", "wall time"]
TABLES = sorted(STUDY_RESULTS.glob("*.csv"))


def _read(path):
    return load_table(path, pd.read_csv(path, comment="#", nrows=0).columns)


def test_the_committed_study_tables_are_where_the_library_reads_them():
    assert STUDY_RESULTS == ROOT / "studies" / "results"
    assert {p.name for p in TABLES} >= OLDER_HEADER | {"compare_cells.csv", "regularisers.csv"}
    for path in (ROOT / "benchmarks" / "results").glob("*.csv"):  # the speed benchmarks' tables only
        written_by = _read(path)[1]["written by"]
        assert written_by.startswith("benchmarks/"), f"{path.name}: a study table belongs in studies/results/"


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.name)
def test_every_committed_study_table_has_its_provenance(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [line for line in lines if line.startswith("#")]
    assert lines[: len(header)] == header, "the provenance lines come first, all of them"
    _, provenance = _read(path)
    wanted = OLDER_KEYS if path.name in OLDER_HEADER else [*PROVENANCE]
    missing = [key for key in wanted if not provenance.get(key)]
    assert not missing, f"{path.name} lacks the provenance lines {missing} (write it with write_table)"
    script = Path((provenance.get("written by") or provenance["script"]).split()[0])
    assert (ROOT / "studies" / script.name).is_file(), f"{path.name}: no study {script.name} in studies/"
