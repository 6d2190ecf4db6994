"""Checks of exercise notebook 01, the RNN unit: one step, the parameter count, the forward pass, shapes."""

from __future__ import annotations

import numpy as np

from rnncourse import reference
from rnncourse.exercises.checking import CheckFailed, case_rng, compare_arrays, exact_int, summarize_case


def random_rnn_weights(rng: np.random.Generator, features: int, units: int, scale: float = 0.6) -> tuple:
    """`(W_x, W_h, b)` drawn for a test case (Keras's layout)."""
    return (
        rng.normal(0, scale, (features, units)),
        rng.normal(0, scale, (units, units)),
        rng.normal(0, 0.3, (units,)),
    )


def cases_rnn_step(seed: int) -> list[dict]:
    rng = case_rng(seed, 101)
    cases = []
    for batch, features, units in [(1, 3, 4), (5, 2, 3), (4, 6, 2)]:
        W_x, W_h, b = random_rnn_weights(rng, features, units)
        x_t, h_prev = rng.normal(size=(batch, features)), rng.uniform(-1, 1, (batch, units))
        cases.append(dict(x_t=x_t, h_prev=h_prev, W_x=W_x, W_h=W_h, b=b))
    return cases


def check_rnn_step(answer, case):
    x_t, h, W_x, W_h, b = (case[k] for k in ("x_t", "h_prev", "W_x", "W_h", "b"))
    pre = x_t @ W_x + h @ W_h + b
    mistakes = {
        "forgot the tanh": pre,
        "forgot the bias b": reference.rnn_step(x_t, h, W_x, W_h, np.zeros_like(b)),
        "left out the previous hidden state h_prev @ W_h": reference.rnn_step(x_t, h, W_x, 0 * W_h, b),
        "used a sigmoid instead of tanh": reference.apply_activation(pre, "sigmoid"),
        "used ReLU instead of tanh": reference.apply_activation(pre, "relu"),
    }
    compare_arrays(answer, reference.rnn_step(x_t, h, W_x, W_h, b), mistakes=mistakes)


def cases_simple_rnn_params(seed: int) -> list[dict]:
    rng = case_rng(seed, 102)
    pairs = zip(rng.integers(1, 40, 4), rng.integers(1, 70, 4), strict=True)
    return [dict(features=int(f), units=int(u)) for f, u in pairs] + [dict(features=1, units=1)]


def check_simple_rnn_params(answer, case):
    f, u = case["features"], case["units"]
    got = exact_int(answer)
    if got == reference.recurrent_param_count("SimpleRNN", f, u):
        return
    for hint, wrong in [
        ("forgot the bias", u * (f + u)),
        ("forgot the recurrent kernel W_h", u * (f + 1)),
        ("counted W_h as features x units", u * (2 * f + 1)),
    ]:
        if got == wrong:
            raise CheckFailed(f"wrong count for features={f}, units={u}: it looks like you {hint}")
    raise CheckFailed(f"wrong count for features={f}, units={u} (got {got}); count W_x, W_h and b")


def cases_rnn_forward(seed: int) -> list[dict]:
    rng = case_rng(seed, 103)
    cases = []
    for batch, steps, features, units, with_h0 in [
        (2, 5, 3, 4, False),
        (3, 1, 2, 2, True),
        (1, 7, 1, 3, True),
    ]:
        W_x, W_h, b = random_rnn_weights(rng, features, units)
        case = dict(x=rng.normal(size=(batch, steps, features)), W_x=W_x, W_h=W_h, b=b)
        case["h0"] = rng.uniform(-1, 1, (batch, units)) if with_h0 else None
        cases.append(case)
    return cases


def check_rnn_forward(answer, case):
    x, W_x, W_h, b, h0 = (case[k] for k in ("x", "W_x", "W_h", "b", "h0"))
    expected = reference.rnn_forward(x, W_x, W_h, b, h0)
    start = np.zeros((x.shape[0], W_h.shape[0])) if h0 is None else h0
    no_carry = np.stack([reference.rnn_step(x[:, t], start, W_x, W_h, b) for t in range(x.shape[1])], axis=1)
    mistakes = {
        "returned only the last hidden state; return all of them, shape (batch, timesteps, units)": (
            expected[:, -1]
        ),
        "did not carry the hidden state from one step to the next": no_carry,
        "returned the states before each step (starting with h0) instead of after it": np.concatenate(
            [start[:, None], expected[:, :-1]], axis=1
        ),
    }
    compare_arrays(answer, expected, mistakes=mistakes)


def cases_rnn_output_shape(seed: int) -> list[dict]:
    rng = case_rng(seed, 104)
    out = []
    for flag in (True, False, True, False):
        b, t, f, u = (int(v) for v in rng.integers(1, 50, 4))
        out.append(dict(batch=b, timesteps=t, features=f, units=u, return_sequences=flag))
    return out


def check_rnn_output_shape(answer, case):
    b, t, u = case["batch"], case["timesteps"], case["units"]
    expected = (b, t, u) if case["return_sequences"] else (b, u)
    if not isinstance(answer, tuple | list) or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in answer
    ):
        raise CheckFailed(f"return a tuple of ints, got {type(answer).__name__}")
    if tuple(int(v) for v in answer) != expected:
        flag = case["return_sequences"]
        raise CheckFailed(f"wrong shape for return_sequences={flag} (case {summarize_case(case)})")
