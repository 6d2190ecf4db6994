"""Tests for rnncourse.comparison and the committed five-seed table behind notebook 5's verdicts."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncourse.comparison import CELLS, MIN_CELLS, TASKS, load_results, make_cell, run_task, verdicts

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "studies" / "results" / "compare_cells.csv"
NOTEBOOK = ROOT / "notebooks" / "05_lstm_gru.ipynb"


# ------------------------------------------------------------------------------------- the committed table
def test_committed_table_schema_and_provenance():
    results, provenance = load_results(TABLE)
    assert list(results.columns) == ["task", "cell", "seed", "metric", "value"]
    for key in ("date", "seeds", "versions", "cpu", "wall time"):
        assert provenance.get(key), f"provenance line '# {key}: ...' missing"
    assert "keras" in provenance["versions"] and "tensorflow" in provenance["versions"]
    seeds = [int(s) for s in provenance["seeds"].split()]
    assert len(seeds) >= 5, "the full study runs at least five seeds"
    runs = results[results["cell"] != "baseline"]
    # every task x cell x seed has exactly the four metrics, all finite
    counts = runs.groupby(["task", "cell", "seed"])["metric"].apply(sorted)
    assert len(counts) == len(TASKS) * len(CELLS) * len(seeds)
    assert all(m == ["epochs", "parameters", "s / epoch", "test"] for m in counts)
    assert set(runs["seed"]) == set(seeds) and np.isfinite(runs["value"]).all()
    baselines = results[results["cell"] == "baseline"]
    assert sorted(baselines["task"]) == sorted(TASKS) and (baselines["metric"] == "test").all()
    # test scores in range: accuracies in [0, 1], errors positive
    for name, task in TASKS.items():
        scores = runs[(runs["task"] == name) & (runs["metric"] == "test")]["value"]
        assert (scores > 0).all() and (not task.higher_is_better or (scores <= 1).all())
    # parameters are the same for every seed and match the layer formula for the recall task (8 features)
    params = runs.query("metric == 'parameters' and task == 'recall'").groupby("cell")["value"].unique()
    assert params["vanilla RNN"].tolist() == [(8 + 32 + 1) * 32 + 33 * 8]


def _stored_outputs(cell_marker: str) -> str:
    nb = json.loads(NOTEBOOK.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and cell_marker in "".join(c["source"])]
    assert len(cells) == 1, cell_marker
    return "".join("".join(o.get("text", "")) for o in cells[0]["outputs"])


def test_notebook_verdicts_match_the_committed_table():
    results, _ = load_results(TABLE)
    stored = _stored_outputs("verdicts = comparison.verdicts(study)")
    expected = "".join(f"- {sentence}\n" for sentence in verdicts(results).values())
    assert stored == expected, "notebook 5 was executed against another table: re-execute it"


# ------------------------------------------------------------------------------------------------ verdicts
def _table(values: dict, task="ridership", baseline=None):
    rows = [(task, cell, seed, "test", v) for cell, vals in values.items() for seed, v in enumerate(vals)]
    if baseline is not None:
        rows.append((task, "baseline", -1, "test", baseline))
    return pd.DataFrame(rows, columns=["task", "cell", "seed", "metric", "value"])


def test_verdicts_lower_is_better_and_overlap():
    table = _table({"vanilla RNN": [1.0, 1.1], "LSTM": [1.05, 1.2], "GRU": [1.3, 1.4]}, baseline=1.4)
    sentence = verdicts(table)["ridership"]
    assert sentence.startswith("ridership (MAE, 2 seeds): best vanilla RNN 1.05 ± 0.07")
    assert "level with it: LSTM 1.12 ± 0.11" in sentence and "clearly behind: GRU 1.35 ± 0.07" in sentence
    assert "beaten on every seed by vanilla RNN, LSTM" in sentence
    assert "GRU" not in sentence.split("baseline")[1]


def test_verdicts_baseline_on_the_mean_only_and_not_beaten():
    table = _table({"vanilla RNN": [0.70, 0.74], "LSTM": [0.74, 0.86], "GRU": [0.60, 0.62]}, task="sentiment",
                   baseline=0.75)
    sentence = verdicts(table)["sentiment"]
    assert "beaten on the mean only by LSTM" in sentence
    table = _table({"vanilla RNN": [0.70, 0.71], "LSTM": [0.70, 0.72], "GRU": [0.6, 0.7]}, task="sentiment",
                   baseline=0.75)
    assert verdicts(table)["sentiment"].endswith("not beaten by any cell.")


def test_verdicts_level_with_the_baseline_is_not_beating_it():
    # within 5 % of the baseline counts as level with it, on every seed and on the mean
    table = _table({"vanilla RNN": [0.128, 0.13], "LSTM": [0.9, 1.0], "GRU": [0.128, 0.9]}, task="recall",
                   baseline=0.125)
    sentence = verdicts(table)["recall"]
    assert sentence.endswith("beaten on every seed by LSTM, beaten on the mean only by GRU.")


def test_verdicts_bad_input():
    with pytest.raises(ValueError, match="'test' rows"):
        verdicts(pd.DataFrame(columns=["task", "cell", "seed", "metric", "value"]))


def test_load_results_bad_columns(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("# date: today\ntask,cell,value\nrecall,GRU,1\n")
    with pytest.raises(ValueError, match="expects the columns"):
        load_results(path)


def test_load_results_other_columns(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("# seeds: 0 1\nvariant,seed,metric,value\nnone,0,test accuracy,0.75\n")
    results, provenance = load_results(path, columns=["variant", "seed", "metric", "value"])
    assert results["value"].tolist() == [0.75] and provenance == {"seeds": "0 1"}
    with pytest.raises(ValueError, match="expects the columns"):
        load_results(path)  # the default columns are compare_cells.csv's
    with pytest.raises(TypeError, match="columns"):
        load_results(path, columns="variant,seed,metric,value")


def test_committed_regulariser_table():
    path = ROOT / "studies" / "results" / "regularisers.csv"
    results, provenance = load_results(path, columns=["variant", "seed", "metric", "value"])
    for key in ("date", "seeds", "versions", "cpu", "wall time", "recipe"):
        assert provenance.get(key), f"provenance line '# {key}: ...' missing"
    seeds = [int(s) for s in provenance["seeds"].split()]
    runs = results[results["variant"] != "bag of words"]
    assert set(runs["seed"]) == set(seeds) and len(seeds) >= 3 and np.isfinite(runs["value"]).all()
    counts = runs.groupby(["variant", "metric"])["seed"].nunique()
    assert (counts == len(seeds)).all(), "every variant has every metric for every seed"
    assert (results[results["variant"] == "bag of words"]["metric"] == "test accuracy").all()


# ---------------------------------------------------------------------------------------------- training
def test_make_cell_kinds_and_unknown():
    assert [type(make_cell(k)).__name__ for k in CELLS] == ["VanillaRNN", "LSTM", "GRU"]
    assert make_cell("GRU", units=4, return_sequences=True).return_sequences
    with pytest.raises(KeyError, match="'RNN'"):
        make_cell("RNN")
    assert [type(make_cell(k)).__name__ for k in MIN_CELLS] == ["MinGRU", "MinLSTM"]
    assert make_cell("minGRU", units=4, mode="sequential").mode == "sequential"


@pytest.mark.parametrize(("args", "message"), [
    (("copying", "LSTM", 0), "task"),
    (("recall", "RNN", 0), "cell"),
    (("recall", "LSTM", 0, "half"), "budget"),
])
def test_run_task_bad_input(args, message):
    with pytest.raises(KeyError, match=message):
        run_task(*args)


def test_run_task_smoke_is_seeded_and_stops_when_solved():
    first = run_task("recall", "vanilla RNN", seed=3, budget="smoke")
    again = run_task("recall", "vanilla RNN", seed=3, budget="smoke")
    assert first["test"] == again["test"] and first["epochs"] == 1
    result, model = run_task("adding", "GRU", seed=0, budget="smoke", return_model=True, solved_at=10.0)
    assert result["epochs"] == 1
    assert model.count_params() == result["parameters"] == 3 * (2 + 32 + 2) * 32 + 33


def test_run_task_stacks_minimal_cells_with_their_options():
    result, model = run_task("adding", "minGRU", seed=0, budget="smoke", return_model=True, units=5, layers=2,
                             cell_options={"mode": "sequential"})
    recurrent = [layer for layer in model.layers if type(layer).__name__ == "MinGRU"]
    assert [(layer.units, layer.mode, layer.return_sequences) for layer in recurrent] == [
        (5, "sequential", True), (5, "sequential", False)]
    assert result["parameters"] == 2 * 5 * (2 + 1) + 2 * 5 * (5 + 1) + 6   # two MinGRU layers and Dense(1)
    assert run_task("adding", "minGRU", seed=0, budget="smoke", epochs=3)["epochs"] == 1   # smoke: one epoch


def test_run_task_epochs_override_the_budget():
    assert run_task("recall", "minGRU", seed=0, budget="full", epochs=2)["epochs"] == 2


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"units": 0}, ValueError, "`units` expects a positive integer"),
    ({"layers": 1.5}, TypeError, "`layers` expects a positive integer"),
    ({"cell_options": ["mode"]}, TypeError, "`cell_options` expects a dict"),
    ({"epochs": 0}, ValueError, "`epochs` expects a positive integer"),
])
def test_run_task_bad_sizes(kwargs, error, message):
    with pytest.raises(error, match=message):
        run_task("recall", "minGRU", seed=0, budget="smoke", **kwargs)


def test_each_task_carries_its_data_head_loss_and_score():
    import keras

    for name, task in TASKS.items():
        assert task.name == name and isinstance(task.head(), keras.layers.Dense)
    assert TASKS["recall"].head().units == 8 and TASKS["recall"].loss == "sparse_categorical_crossentropy"
    assert TASKS["sentiment"].embedding and not TASKS["adding"].embedding
    # The recipe notebook 5 shows is the fields only: no data, head or score in the table.
    assert set(vars(TASKS["ridership"])) == {"name", "metric", "learning_rate", "batch_size", "max_epochs",
                                             "patience", "monitor", "baseline"}  # fmt: skip


@pytest.mark.parametrize(("task", "values", "stops"), [
    ("recall", [0.5, 0.995], [False, True]),  # val_accuracy: higher is better
    ("adding", [0.3, 0.04], [False, True]),  # val_mae: lower is better
    ("sentiment", [0.6, 0.3], [False, True]),  # val_loss: lower is better (it was read as higher before)
])
def test_stop_when_solved_reads_the_monitored_direction(task, values, stops):
    from rnncourse.comparison import _StopWhenSolved

    class Model:
        stop_training = False

    callback = _StopWhenSolved(TASKS[task], {"recall": 0.99, "adding": 0.05, "sentiment": 0.35}[task])
    callback.set_model(Model())
    seen = []
    for value in values:
        callback.on_epoch_end(0, {TASKS[task].monitor: value})
        seen.append(callback.model.stop_training)
    assert seen == stops
