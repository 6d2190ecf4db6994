"""Checks of exercise notebook 08, recurrence in parallel: the scan's combine operator, one minGRU step, the
parameter counts of minGRU, GRU and minLSTM, and the log-space scan.

The expected values come from `rnncourse.reference` (`recurrence_combine`, `min_gru_forward`,
`recurrent_param_count`: NumPy, no Keras) and from a NumPy transcription of
`rnncourse.min_rnn.log_linear_recurrence` (`log_recurrence` below), so the grader never imports Keras;
``tests/test_exercises.py`` checks each against the library's layers and scans.

Hints never repeat a number or a shape the learner's function returned: in teacher mode such text could carry
the hidden test inputs back to the learner. They name the expected shape, which the inputs give anyway. What
`compare_arrays` reports, as in every exercise, stays: how many values are wrong and the first index, and the
grader's number of the failing case (a few small numbers the learner's code can steer, never its text).
"""

from __future__ import annotations

import numpy as np

from rnncourse import reference
from rnncourse.exercises.checking import CheckFailed, as_number_array, case_rng, compare_arrays, exact_int


def _shaped(answer, shape: tuple, what: str, shape_hints: dict[tuple, str] | None = None) -> np.ndarray:
    """`answer` as a float64 array of `shape`, or `CheckFailed` naming the expected shape (never the
    learner's, which the learner's code chooses) and a mistake whose shape it has."""
    got = as_number_array(answer, what)
    if got.shape != shape:
        hint = (shape_hints or {}).get(got.shape)
        expected = "a single number" if shape == () else f"an array of shape {shape}"
        raise CheckFailed(f"{what} should be {expected}" + (f" ({hint})" if hint else ""))
    return got


def _same(got: np.ndarray, wrong: np.ndarray, rtol: float = 1e-7, atol: float = 1e-9) -> bool:
    with np.errstate(all="ignore"):
        return np.shape(wrong) == got.shape and bool(np.allclose(got, wrong, rtol=rtol, atol=atol))


# ---------------------------------------------------------------------------------------------------------
# Q1 the combine operator of the scan
# ---------------------------------------------------------------------------------------------------------


def cases_combine(seed: int) -> list[dict]:
    rng = case_rng(seed, 801)
    # The example of the notebook: h -> 2 (0.5 h + 1) + 3 = h + 5.
    cases = [dict(first=(0.5, 1.0), second=(2.0, 3.0))]
    a1, b1, a2, b2 = (float(v) for v in rng.uniform(0.1, 0.9, 4) * [1, 3, 1, 3])
    cases.append(dict(first=(a1, b1), second=(a2, b2)))  # numbers
    for shape, low in [((5,), 0.0), ((2, 3), -1.0), ((3, 2, 4), 0.0)]:
        first = (rng.uniform(low, 1.5, shape), rng.normal(0, 1, shape))
        second = (rng.uniform(low, 1.5, shape), rng.normal(0, 1, shape))
        cases.append(dict(first=first, second=second))
    # The step that changes nothing, (1, 0), first: the result is the second step.
    shape = (4,)
    cases.append(
        dict(
            first=(np.ones(shape), np.zeros(shape)),
            second=(rng.uniform(0, 1, shape), rng.normal(0, 1, shape)),
        )
    )
    return cases


def check_combine(answer, case):
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise CheckFailed(
            "return a pair (a, b): the step h -> a * h + b that does the first step, then the second"
        )
    (a1, b1), (a2, b2) = (
        tuple(np.asarray(v, dtype=np.float64) for v in case[k]) for k in ("first", "second")
    )
    a, b = reference.recurrence_combine((a1, b1), (a2, b2))
    got_a = _shaped(answer[0], a.shape, "your a (the first element of the pair)")
    got_b = _shaped(answer[1], b.shape, "your b (the second element of the pair)")
    if not (_same(got_a, a) and _same(got_b, b)) and _same(got_a, b) and _same(got_b, a):
        raise CheckFailed("returned (b, a); return the pair in the order (a, b)")
    compare_arrays(
        got_a,
        a,
        what="your a",
        mistakes={"added a1 and a2; two scalings one after the other multiply: a1 * a2": a1 + a2},
    )
    compare_arrays(
        got_b,
        b,
        what="your b",
        mistakes={
            "did the second step first: (a1, b1) then (a2, b2) is h -> a2 * (a1 * h + b1) + b2, so b = "
            "a2 * b1 + b2, not a1 * b2 + b1": a1 * b2 + b1,
            "added b1 and b2: the second step scales what the first one left, so b1 is multiplied by a2": b1
            + b2,
            "multiplied b2 by a2 as well: the second step adds b2 after its scaling": a2 * (b1 + b2),
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Q2 one minGRU step
# ---------------------------------------------------------------------------------------------------------

# In the cases with 6 rows, rows 0-2 (and 3-5) share x_t and differ in h_prev. A minGRU's h_t is then an
# affine function of h_prev along each triple, with slope 1 - z_t: anything else reads h_prev somewhere else.
_TRIPLES = ((0, 1, 2), (3, 4, 5))


def _gate(pre_activation):
    return reference.apply_activation(np.asarray(pre_activation, dtype=np.float64), "sigmoid")


def min_gru_step(x_t, h_prev, W_z, b_z, W_h, b_h) -> np.ndarray:
    """One step of `rnncourse.min_rnn.MinGRU` (kernel ``[W_z | W_h]``, bias ``[b_z | b_h]``), through the
    reference loop `rnncourse.reference.min_gru_forward` run for one step from `h_prev`."""
    x_t = np.asarray(x_t, dtype=np.float64)
    kernel, bias = np.concatenate([W_z, W_h], axis=1), np.concatenate([b_z, b_h])
    return reference.min_gru_forward(x_t[:, None, :], kernel, bias, h0=np.asarray(h_prev, np.float64))[:, 0]


def cases_min_gru_step(seed: int) -> list[dict]:
    rng = case_rng(seed, 802)
    cases = []
    for batch, features, units in [(6, 4, 3), (6, 2, 5), (6, 3, 3), (1, 3, 2)]:
        x_t = rng.normal(0, 1, (batch, features))
        h_prev = rng.normal(0, 1, (batch, units))
        if batch == 6:
            for triple in _TRIPLES:
                x_t[list(triple)] = x_t[triple[0]]
                h_prev[triple[1]] = h_prev[triple[0]] + rng.uniform(0.6, 1.2, units)
                h_prev[triple[2]] = h_prev[triple[0]] - rng.uniform(0.6, 1.2, units)
        cases.append(
            dict(
                x_t=x_t,
                h_prev=h_prev,
                W_z=rng.normal(0, 0.8, (features, units)),
                b_z=rng.normal(0, 0.5, units),
                W_h=rng.normal(0, 0.8, (features, units)),
                b_h=rng.normal(0, 0.5, units),
            )
        )
    return cases


def _affine_in_h_prev(got: np.ndarray, h_prev: np.ndarray) -> bool:
    """Whether `got` is an affine function of `h_prev` (elementwise) along each triple of rows."""
    for i, j, k in _TRIPLES:
        slope_ij = (got[i] - got[j]) / (h_prev[i] - h_prev[j])
        slope_ik = (got[i] - got[k]) / (h_prev[i] - h_prev[k])
        if not np.allclose(slope_ij, slope_ik, rtol=1e-6, atol=1e-8):
            return False
    return True


def check_min_gru_step(answer, case):
    x_t, h_prev, W_z, b_z, W_h, b_h = (case[k] for k in ("x_t", "h_prev", "W_z", "b_z", "W_h", "b_h"))
    expected = min_gru_step(x_t, h_prev, W_z, b_z, W_h, b_h)
    batch, units = expected.shape
    got = _shaped(
        answer,
        expected.shape,
        "your h",
        {(units, batch): "transposed: one row per sequence of the batch, one column per unit"},
    )

    def step(gate, candidate, keep=True):  # h_t from a gate pre-activation and a candidate
        z = _gate(gate)
        return (1 - z) * h_prev * keep + z * candidate

    u, v = x_t @ W_z + b_z, x_t @ W_h + b_h
    z = _gate(u)
    mistakes = {
        "swapped z and 1 - z: z_t weighs the candidate, h_t = (1 - z_t) * h_prev + z_t * h~_t": z * h_prev
        + (1 - z) * v,
        "put a tanh on the candidate; a minGRU's candidate is x_t W_h + b_h, nothing around it": step(
            u, np.tanh(v)
        ),
        "left out the sigmoid of the gate: z_t = sigmoid(x_t W_z + b_z)": (1 - u) * h_prev + u * v,
        "left out (1 - z_t) * h_prev: the state keeps what the gate does not replace": step(u, v, keep=False),
        "swapped the weights: the gate uses W_z and b_z, the candidate W_h and b_h": step(v, u),
        "left out the biases b_z and b_h": step(x_t @ W_z, x_t @ W_h),
    }
    if not np.all(np.isfinite(got)):
        raise CheckFailed("your h contains NaN or infinite values")
    if np.allclose(got, expected, rtol=1e-5, atol=1e-7):
        return
    for text, wrong in mistakes.items():
        if _same(got, wrong, rtol=1e-5, atol=1e-7):
            raise CheckFailed(f"the values are wrong: it looks like you {text}")
    if batch == 6 and not _affine_in_h_prev(got, h_prev):
        raise CheckFailed(
            "your h depends on h_prev through more than (1 - z_t) * h_prev: it looks like h_prev went "
            "into the gate or the candidate. That is a GRU; a minGRU computes both from x_t alone, which is "
            "what lets a scan compute every step at once"
        )
    compare_arrays(got, expected, what="your h")


# ---------------------------------------------------------------------------------------------------------
# Q3 parameter counts
# ---------------------------------------------------------------------------------------------------------

KINDS = ("MinGRU", "GRU", "MinLSTM")


def cases_min_rnn_params(seed: int) -> list[dict]:
    rng = case_rng(seed, 803)
    return [
        dict(kind=kind, features=int(rng.integers(2, 40)), units=int(rng.integers(2, 80)))
        for kind in KINDS + KINDS
    ]


def check_min_rnn_params(answer, case):
    kind, f, u = case["kind"], case["features"], case["units"]
    got = exact_int(answer, "the count of parameters")
    if got == reference.recurrent_param_count(kind, f, u):
        return
    # What each mistake counts; the hints never repeat a count (the expected one or the learner's).
    block, gate = u * (f + 1), u * (f + u + 1)  # a block of input weights and a bias; with recurrent weights
    mistakes = {
        "GRU": {
            3 * gate: "Keras's GRU uses reset_after=True: each of its 3 blocks has a second bias vector",
            2 * block: "a GRU has recurrent weights (units x units per block) and 3 blocks, not a minGRU's 2",
            3 * block: "a GRU's 3 blocks each have recurrent weights too (units x units)",
        },
        "MinGRU": {
            2 * gate: "a minGRU has no recurrent weights: its gate and candidate read x_t alone",
            3 * (gate + u): "that is a GRU's count; a minGRU has 2 blocks (gate, candidate) and no recurrent "
            "weights",
            2 * u * f: "left out the biases (one vector per block)",
            block: "a minGRU has 2 blocks: the gate z and the candidate h~",
        },
        "MinLSTM": {
            3 * gate: "a minLSTM has no recurrent weights: its gates and candidate read x_t alone",
            4 * block: "a minLSTM has 3 blocks (forget, input, candidate): no output gate",
            2 * block: "a minLSTM has 3 blocks: the forget gate, the input gate and the candidate",
            3 * u * f: "left out the biases (one vector per block)",
        },
    }[kind]
    if got in mistakes:
        raise CheckFailed(f"wrong count for a {kind}: {mistakes[got]}")
    raise CheckFailed(
        f"wrong count for a {kind}: count each block's input weights, recurrent weights (if it has any) and "
        "biases"
    )


# ---------------------------------------------------------------------------------------------------------
# Q4 the log-space scan
# ---------------------------------------------------------------------------------------------------------


def log_recurrence(log_a, log_b, log_h0, *, with_h0=True, subtract=True, shift=False) -> np.ndarray:
    """log h_1..log h_T of h_t = a_t h_{t-1} + b_t from the logarithms, over axis 1 of
    ``(batch, timesteps, units)``: the logarithm of `rnncourse.min_rnn.log_linear_recurrence`, in NumPy.

        A_t = log a_1 + ... + log a_t
        log h_t = A_t + logcumsumexp(log h_0, log b_1 - A_1, ..., log b_t - A_t)

    The keyword arguments make the mistakes."""
    log_a, log_b = np.asarray(log_a, np.float64), np.asarray(log_b, np.float64)
    A = np.cumsum(log_a, axis=1)
    if shift:  # log a_1 + ... + log a_{t-1}
        A = A - log_a
    terms = log_b - A if subtract else log_b
    if not with_h0:
        return A + np.logaddexp.accumulate(terms, axis=1)
    terms = np.concatenate([np.asarray(log_h0, np.float64)[:, None, :], terms], axis=1)
    return A + np.logaddexp.accumulate(terms, axis=1)[:, 1:]


def cases_log_recurrence(seed: int) -> list[dict]:
    rng = case_rng(seed, 804)

    def log_gate(shape):  # log a_t of a minGRU: log(1 - z_t) = -softplus(u), always below 0
        return -np.logaddexp(0.0, rng.normal(0, 1.5, shape))

    # The example of the notebook: a = 1/2, b = 1, h_0 = 1 gives h = 1.5, 1.75, 1.875, 1.9375.
    cases = [dict(log_a=np.log(np.full((1, 4, 1), 0.5)), log_b=np.zeros((1, 4, 1)), log_h0=np.zeros((1, 1)))]
    shape = (2, 6, 3)
    cases.append(dict(log_a=log_gate(shape), log_b=rng.normal(0, 1, shape), log_h0=rng.normal(0, 1, (2, 3))))
    # Long: a_1 a_2 ... a_t falls below 1e-308 (exp underflows) long before the end; h_t stays near 1.
    shape = (1, int(rng.integers(2400, 2800)), 2)
    cases.append(
        dict(
            log_a=rng.uniform(-0.6, -0.2, shape),
            log_b=rng.normal(0, 0.5, shape),
            log_h0=rng.normal(0, 1, (1, 2)),
        )
    )
    # h_t itself below what float64 holds (about exp(-745)), then above it (exp(710)): only its log is finite.
    shape = (2, int(rng.integers(30, 50)), 2)
    cases.append(
        dict(
            log_a=log_gate(shape),
            log_b=-850 + rng.normal(0, 2, shape),
            log_h0=-800 + rng.normal(0, 2, (2, 2)),
        )
    )
    shape = (1, int(rng.integers(20, 40)), 3)
    cases.append(
        dict(
            log_a=log_gate(shape), log_b=760 + rng.normal(0, 2, shape), log_h0=750 + rng.normal(0, 2, (1, 3))
        )
    )
    return cases


def check_log_recurrence(answer, case):
    log_a, log_b, log_h0 = case["log_a"], case["log_b"], case["log_h0"]
    expected = log_recurrence(log_a, log_b, log_h0)
    batch, steps, units = expected.shape
    got = _shaped(
        answer,
        expected.shape,
        "your log h",
        {
            (batch, steps + 1, units): "log h_0 included: return log h_1 .. log h_T",
            (batch, units): "only the last step: return log h_t for every t",
        },
    )
    if not np.all(np.isfinite(got)):
        raise CheckFailed(
            "your log h has -inf, inf or NaN values where log h_t is finite: it looks like you left log "
            "space (np.exp of log a or log b, a product of the a's, or a sum of exponentials). Over long "
            "sequences those underflow to 0 or overflow to inf; stay in logs with np.cumsum and "
            "np.logaddexp.accumulate"
        )
    if np.allclose(got, expected, rtol=1e-9, atol=1e-6):
        return
    if np.asarray(answer).dtype == np.float32:
        raise CheckFailed(
            "your log h is float32, too coarse here; compute in float64 (the inputs are float64)"
        )
    with np.errstate(all="ignore"):
        mistakes = {
            "returned h_t, not log h_t": np.exp(expected),
            "left out h_0 (as if it were 0): put log h_0 first in the cumulative log-sum-exp": log_recurrence(
                log_a, log_b, log_h0, with_h0=False
            ),
            "did not subtract A_k from log b_k inside the log-sum-exp": log_recurrence(
                log_a, log_b, log_h0, subtract=False
            ),
            "shifted A by one step: A_t = log a_1 + ... + log a_t includes log a_t": log_recurrence(
                log_a, log_b, log_h0, shift=True
            ),
        }
    mistakes = {text: wrong for text, wrong in mistakes.items() if np.all(np.isfinite(wrong))}
    compare_arrays(got, expected, what="your log h", mistakes=mistakes, rtol=1e-9, atol=1e-6)
