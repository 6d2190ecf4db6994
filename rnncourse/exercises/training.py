"""Checks of exercise notebook 02, training RNNs: a scalar gradient through time, BPTT, gradient clipping."""

from __future__ import annotations

import math

import numpy as np

from rnncourse import reference
from rnncourse.exercises.checking import CheckFailed, case_rng, compare_arrays, one_number
from rnncourse.exercises.rnn_unit import random_rnn_weights


def _scalar_rnn_dh0(xs: list[float], w: float, u: float, h0: float) -> float:
    """d h_T / d h_0 of h_t = tanh(w x_t + u h_{t-1}), by `reference.rnn_backward` on 1 x 1 weights."""
    x = np.asarray(xs, dtype=np.float64).reshape(1, -1, 1)
    W_x, W_h, b, start = np.array([[w]]), np.array([[u]]), np.zeros(1), np.array([[h0]])
    hs = reference.rnn_forward(x, W_x, W_h, b, start)
    dhs = np.zeros_like(hs)
    dhs[:, -1] = 1.0
    return float(reference.rnn_backward(x, hs, dhs, W_x, W_h, b, start).dh0[0, 0])


def cases_scalar_rnn_gradient(seed: int) -> list[dict]:
    rng = case_rng(seed, 201)
    cases = []
    for steps in (1, 3, 6, 10):
        xs = [float(v) for v in rng.normal(size=steps)]
        u = float(rng.uniform(0.5, 1.5) * rng.choice([-1, 1]))
        cases.append(dict(xs=xs, w=float(rng.normal()), u=u, h0=float(rng.uniform(-0.9, 0.9))))
    return cases


def check_scalar_rnn_gradient(answer, case):
    xs, w, u, h0 = case["xs"], case["w"], case["u"], case["h0"]
    got = one_number(answer)
    h, off_by_one = h0, 1.0  # the derivative taken at the previous state
    for x in xs:
        off_by_one *= u * (1 - h * h)
        h = math.tanh(w * x + u * h)
    mistakes = {
        "left out the derivative of tanh, (1 - h_t**2)": u ** len(xs),
        "used (1 - h_{t-1}**2) instead of (1 - h_t**2)": off_by_one,
    }
    what = f"your gradient for {len(xs)} step(s)"
    compare_arrays(got, _scalar_rnn_dh0(xs, w, u, h0), mistakes=mistakes, what=what)


def cases_bptt_grad_W_h(seed: int) -> list[dict]:
    rng = case_rng(seed, 202)
    cases = []
    for batch, steps, features, units in [(2, 4, 3, 3), (1, 6, 2, 4), (3, 2, 1, 2)]:
        W_x, W_h, b = random_rnn_weights(rng, features, units, scale=0.5)
        x, dh_T = rng.normal(size=(batch, steps, features)), rng.normal(size=(batch, units))
        cases.append(dict(x=x, W_x=W_x, W_h=W_h, b=b, dh_T=dh_T))
    return cases


def check_bptt_grad_W_h(answer, case):
    x, W_x, W_h, b, dh_T = (case[k] for k in ("x", "W_x", "W_h", "b", "dh_T"))
    hs = reference.rnn_forward(x, W_x, W_h, b)
    dhs = np.zeros_like(hs)
    dhs[:, -1] = dh_T
    expected = reference.rnn_backward(x, hs, dhs, W_x, W_h, b).dW_h
    h_before_last = hs[:, -2] if hs.shape[1] > 1 else np.zeros_like(hs[:, -1])
    last_step_only = h_before_last.T @ (dh_T * reference.activation_derivative(hs[:, -1]))
    mistakes = {
        "stopped after the last step: the gradient must flow back through every step": last_step_only,
        "returned the transpose": expected.T,
    }
    compare_arrays(answer, expected, mistakes=mistakes, rtol=1e-4, atol=1e-8)


def cases_clip_by_global_norm(seed: int) -> list[dict]:
    rng = case_rng(seed, 203)
    cases = []
    for scale, max_norm in [(5.0, 1.0), (0.1, 1.0), (3.0, 2.5)]:
        grads = [rng.normal(0, scale, s) for s in [(3, 4), (4,), (2, 2)]]
        cases.append(dict(grads=grads, max_norm=max_norm))
    return cases


def check_clip_by_global_norm(answer, case):
    grads, max_norm = case["grads"], case["max_norm"]
    if not isinstance(answer, list | tuple) or len(answer) != len(grads):
        raise CheckFailed(
            f"return a list of {len(grads)} arrays, one per gradient (got {type(answer).__name__})"
        )
    norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    factor = min(1.0, max_norm / norm)
    state = "above" if norm > max_norm else "below"
    for i, (got, g) in enumerate(zip(answer, grads, strict=True)):
        mistakes = {
            "clipped each gradient by its own norm; use the global norm of all of them": (
                g * min(1.0, max_norm / np.linalg.norm(g))
            ),
            "clipped element by element; scale all gradients by one factor": np.clip(g, -max_norm, max_norm),
        }
        try:
            compare_arrays(got, g * factor, what=f"clipped gradient {i}", mistakes=mistakes)
        except CheckFailed as error:
            raise CheckFailed(f"{error} (a case where the global norm is {state} max_norm)") from None
