"""Checks of exercise notebook 05, LSTM and GRU: parameter counts, one LSTM step, choosing a model."""

from __future__ import annotations

import numpy as np

from rnncourse import reference
from rnncourse.exercises.checking import CheckFailed, case_rng, compare_arrays, exact_int
from rnncourse.exercises.data import RECURRENT_KINDS, random_results_table


def cases_recurrent_params(seed: int) -> list[dict]:
    rng = case_rng(seed, 501)
    return [
        dict(kind=kind, features=int(rng.integers(1, 30)), units=int(rng.integers(1, 60)))
        for kind in RECURRENT_KINDS + RECURRENT_KINDS
    ]


def check_recurrent_params(answer, case):
    kind, f, u = case["kind"], case["features"], case["units"]
    got = exact_int(answer)
    if got == reference.recurrent_param_count(kind, f, u):
        return
    if kind == "GRU" and got == 3 * u * (f + u + 1):
        raise CheckFailed(
            f"wrong count for a GRU (features={f}, units={u}): Keras's GRU uses reset_after=True, "
            "which gives each gate a second bias vector"
        )
    if kind != "SimpleRNN" and got == reference.recurrent_param_count("SimpleRNN", f, u):
        raise CheckFailed(
            f"wrong count for {kind}: it looks like you counted one gate; how many does {kind} have?"
        )
    raise CheckFailed(f"wrong count for kind={kind!r}, features={f}, units={u} (got {got})")


def cases_lstm_step(seed: int) -> list[dict]:
    rng = case_rng(seed, 502)
    cases = []
    for batch, features, units in [(2, 3, 2), (1, 4, 3), (3, 1, 4)]:
        cases.append(
            dict(
                x_t=rng.normal(size=(batch, features)),
                h_prev=rng.uniform(-1, 1, (batch, units)),
                c_prev=rng.normal(size=(batch, units)),
                kernel=rng.normal(0, 0.5, (features, 4 * units)),
                recurrent_kernel=rng.normal(0, 0.5, (units, 4 * units)),
                bias=rng.normal(0, 0.5, 4 * units),
            )
        )
    return cases


def check_lstm_step(answer, case):
    args = [case[k] for k in ("x_t", "h_prev", "c_prev", "kernel", "recurrent_kernel", "bias")]
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise CheckFailed("return a pair (h, c)")
    h, c = reference.lstm_step(*args)
    h_wrong_order, c_wrong_order = reference.lstm_step(*args, gate_order="ifoc")
    x_t, h_prev, c_prev, kernel, rk, bias = args
    i, f, g, o = (
        reference.apply_activation(z, "sigmoid") if name != "g" else z
        for name, z in zip("ifgo", np.split(x_t @ kernel + h_prev @ rk + bias, 4, axis=-1), strict=True)
    )
    order_hint = "used the gate order i, f, o, c; Keras stores i, f, c, o"
    c_mistakes = {
        order_hint: c_wrong_order,
        "forgot the tanh on the candidate cell state": f * c_prev + i * g,
    }
    h_mistakes = {
        order_hint: h_wrong_order,
        "returned o * c; h is o * tanh(c)": o * c,
        "returned (c, h); return (h, c)": c,
    }
    compare_arrays(answer[1], c, what="your c", mistakes=c_mistakes)
    compare_arrays(answer[0], h, what="your h", mistakes=h_mistakes)


def cases_choose_model(seed: int) -> list[dict]:
    rng = case_rng(seed, 503)
    cases = []
    for _ in range(4):
        table = random_results_table(rng)
        cases.append(
            dict(
                results=table,
                max_params=int(rng.choice([1_000, 3_000, 8_000, 20_000])),
                max_seconds=round(float(rng.uniform(1.5, 5.0)), 1),
            )
        )
    # Two cases where the best model sits exactly on a limit (on max_params, then on max_seconds): `<`
    # instead of `<=` picks another model there.
    for bound in ("params", "seconds_per_epoch"):
        table = random_results_table(rng)
        row = int(rng.integers(len(table)))
        table.loc[row, "val_mae"] = round(float(table["val_mae"].min()) - 0.01, 3)
        loose = dict(
            max_params=int(table["params"].max()), max_seconds=float(table["seconds_per_epoch"].max())
        )
        limit = "max_params" if bound == "params" else "max_seconds"
        loose[limit] = table.loc[row, bound].item()
        cases.append(dict(results=table, **loose))
    cases.append(dict(results=cases[0]["results"], max_params=10, max_seconds=100.0))  # nothing qualifies
    return cases


def check_choose_model(answer, case):
    table, max_params, max_seconds = case["results"], case["max_params"], case["max_seconds"]
    ok = table[(table["params"] <= max_params) & (table["seconds_per_epoch"] <= max_seconds)]
    expected = None if ok.empty else str(ok.loc[ok["val_mae"].idxmin(), "model"])
    if answer is not None and not isinstance(answer, str):
        raise CheckFailed(f"return a model name (a str) or None, got {type(answer).__name__}")
    if answer == expected:
        return
    limits = f"max_params={max_params}, max_seconds={max_seconds}"
    if expected is None:
        raise CheckFailed(f"no model meets {limits} in one case, so the answer there is None")
    if answer is None:
        raise CheckFailed(f"returned None, but some models meet {limits}")
    if answer not in set(table["model"]):
        # (its text is not repeated: in teacher mode it could carry the hidden table back to the learner)
        raise CheckFailed(f"the name returned ({len(answer)} characters) is not a model in the table")
    row = table[table["model"] == answer].iloc[0]
    if row["params"] > max_params or row["seconds_per_epoch"] > max_seconds:
        raise CheckFailed(f"{answer!r} breaks a limit ({limits}); keep only the rows that meet both")
    if answer == str(table.loc[table["val_mae"].idxmin(), "model"]):
        raise CheckFailed("picked the lowest val_mae overall; pick it among the models that meet both limits")
    on_limit = ok[(ok["params"] == max_params) | (ok["seconds_per_epoch"] == max_seconds)]
    if expected in set(on_limit["model"]):
        raise CheckFailed("left out a model that sits exactly on a limit; 'at most' includes the limit (<=)")
    raise CheckFailed(f"{answer!r} meets {limits} but does not have the lowest val_mae among those that do")
