# %% [markdown]
# # Exercises 08 -- recurrence in parallel
#
# Companion to `notebooks/08_parallel_recurrence.ipynb`. A GRU's gates read the previous state, so its
# steps run one after another; the minimal GRU (minGRU) and LSTM (minLSTM) of "Were RNNs All We Needed?"
# (Feng et al., 2024) compute their gates from the input alone, and what is left is the linear recurrence
# $h_t = a_t \odot h_{t-1} + b_t$, which a scan computes for every $t$ at once. You will write the operator
# that scan combines steps with, one minGRU step, the parameter counts of minGRU, GRU and minLSTM, and the
# log-space form of the scan that stays finite over thousands of steps.
#
# **How this works.** Write your code in each answer cell in place of `raise NotImplementedError`, run it,
# then run the check cell below it for instant feedback.
# `rnncourse grade 08_parallel_recurrence_exercises.ipynb` grades the saved notebook on fresh random test
# cases. Total: **7 points**.

# %%
import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

# %% [markdown]
# ## Q1 (2 points) -- the combine operator of the scan
#
# One step of the recurrence is the map $h \mapsto a h + b$, written as the pair `(a, b)` (numbers, or
# arrays of one shape: everything is elementwise). Two steps one after the other are again such a map, and
# that is what makes a scan possible: applying `(a1, b1)` and then `(a2, b2)` gives
# $a_2 (a_1 h + b_1) + b_2$.
#
# Write `combine(first, second)` that takes two steps `first = (a1, b1)` (the earlier one) and
# `second = (a2, b2)` (the later one) and returns the pair `(a, b)` of the single step that does `first`,
# then `second`. For example `combine((0.5, 1.0), (2.0, 3.0))` is `(1.0, 5.0)`: $h \mapsto 2 (0.5 h + 1) + 3
# = h + 5$.
#
# The operator is associative, `combine(combine(x, y), z)` equals `combine(x, combine(y, z))`, but not
# commutative: the order of the two steps matters. Associativity is all a parallel prefix scan needs (the
# library's `recurrence_combine` and `prefix_scan` show the rounds). Try it on random arrays once your
# answer passes.


# %% answer=08.q1
def combine(first, second):
    ### BEGIN SOLUTION
    (a1, b1), (a2, b2) = first, second
    return a1 * a2, a2 * b1 + b2
    ### END SOLUTION


# %% check=08.q1
# Check Q1: compares both elements with the library's recurrence_combine on numbers, on random arrays of
# three shapes and on the step that changes nothing; recognises the steps taken in the wrong order, b1 not
# scaled by a2, a1 + a2 and the pair returned as (b, a).
ex.check("08.q1", combine)

# %% [markdown]
# ## Q2 (2 points) -- one minGRU step
#
# A minGRU computes its update gate and its candidate from the input $x_t$ alone:
#
# $$z_t = \sigma(x_t W_z + b_z), \qquad \tilde h_t = x_t W_h + b_h, \qquad
# h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t$$
#
# ($\sigma$ the logistic sigmoid, rows times matrices as in Keras). Write
# `min_gru_step(x_t, h_prev, W_z, b_z, W_h, b_h)` in NumPy, with `x_t` of shape `(batch, features)`, `h_prev`
# of shape `(batch, units)`, `W_z` and `W_h` of shape `(features, units)` and `b_z`, `b_h` of shape
# `(units,)`. Return $h_t$, shape `(batch, units)`.
#
# Unlike a GRU's, the candidate has no tanh, and neither the gate nor the candidate reads `h_prev`: in
# $h_t = a_t \odot h_{t-1} + b_t$ terms, $a_t = 1 - z_t$ and $b_t = z_t \odot \tilde h_t$. The library's
# `MinGRU` layer holds the same weights as `kernel = [W_z | W_h]` and `bias = [b_z | b_h]`.


# %% answer=08.q2
def min_gru_step(x_t, h_prev, W_z, b_z, W_h, b_h):
    ### BEGIN SOLUTION
    z = 1.0 / (1.0 + np.exp(-(x_t @ W_z + b_z)))
    h_tilde = x_t @ W_h + b_h
    return (1.0 - z) * h_prev + z * h_tilde
    ### END SOLUTION


# %% check=08.q2
# Check Q2: compares h with one step of the library's NumPy minGRU loop (min_gru_forward, the MinGRU
# layer's weights) on random sizes; recognises z and 1 - z swapped, a tanh on the candidate, no sigmoid,
# swapped or missing weights, and h_prev read by the gate or the candidate (that would be a GRU).
ex.check("08.q2", min_gru_step)

# %% [markdown]
# ## Q3 (1 point) -- parameter counts
#
# Write `min_rnn_params(kind, features, units)` that returns (an `int`) the number of trainable parameters
# of a layer with `units` units on inputs of `features` features, for `kind` one of
#
# - `"MinGRU"`: two blocks (the gate $z$ and the candidate $\tilde h$), each with input weights
#   `(features, units)` and a bias;
# - `"MinLSTM"`: three blocks (the forget gate, the input gate and the candidate), the same way;
# - `"GRU"`: `keras.layers.GRU(units)` with its defaults: three blocks (update gate, reset gate,
#   candidate), each with input weights `(features, units)`, recurrent weights `(units, units)` and, since
#   Keras's default is `reset_after=True`, two bias vectors of `units` each.
#
# (The minimal RNNs have no recurrent weights at all: that is where they save.)


# %% answer=08.q3
def min_rnn_params(kind, features, units):
    ### BEGIN SOLUTION
    block = units * (features + 1)
    if kind == "MinGRU":
        return 2 * block
    if kind == "MinLSTM":
        return 3 * block
    if kind == "GRU":
        return 3 * (units * (features + units) + 2 * units)
    raise ValueError(f"unknown kind {kind!r}")
    ### END SOLUTION


# %% check=08.q3
# Check Q3: compares your counts with the library's recurrent_param_count (which Keras's layers bear out)
# on random sizes; recognises a GRU with one bias per block, recurrent weights in a minimal RNN, a minLSTM
# with four blocks and missing biases.
ex.check("08.q3", min_rnn_params)

# %% [markdown]
# ## Q4 (2 points) -- the log-space scan
#
# Unrolled, the recurrence is $h_t = a^*_t \big(h_0 + \sum_{k \le t} b_k / a^*_k\big)$ with
# $a^*_t = a_1 a_2 \cdots a_t$. Computed that way it breaks after a few hundred steps: $a^*_t$ underflows
# to 0 (a minGRU's $a_t = 1 - z_t$ is below 1) and $b_k / a^*_k$ overflows. For positive $a_t$, $b_t$ and
# $h_0$ the paper computes it in logarithms instead, with two prefix scans, a cumulative sum and a cumulative
# log-sum-exp:
#
# $$A_t = \log a_1 + \dots + \log a_t, \qquad
# \log h_t = A_t + \log\Big(e^{\log h_0} + \sum_{k=1}^{t} e^{\log b_k - A_k}\Big).$$
#
# Write `log_recurrence(log_a, log_b, log_h0)` that returns $\log h_t$ for every $t$, with `log_a` and
# `log_b` of shape `(batch, timesteps, units)` (time on axis 1) and `log_h0` of shape `(batch, units)`; the
# result has the shape of `log_a`. Never leave log space: `np.cumsum` gives $A$, and
# `np.logaddexp.accumulate(terms, axis=1)` gives the cumulative log-sum-exp of `terms` without forming a
# single exponential. (The library's `log_linear_recurrence` computes the same, and returns $h_t$ itself.)
#
# For example, $a_t = 1/2$, $b_t = 1$ and $h_0 = 1$ give $h = 1.5, 1.75, 1.875, 1.9375$ over four steps, so
# `log_recurrence(np.log(np.full((1, 4, 1), 0.5)), np.zeros((1, 4, 1)), np.zeros((1, 1)))[0, :, 0]` is
# `np.log([1.5, 1.75, 1.875, 1.9375])`. The test cases also hold sequences of about 2,500 steps, where
# $a^*_t$ falls below the smallest float64, and states $h_t$ far below and far above what float64 can hold,
# where only $\log h_t$ is a finite number.


# %% answer=08.q4
def log_recurrence(log_a, log_b, log_h0):
    ### BEGIN SOLUTION
    A = np.cumsum(log_a, axis=1)
    terms = np.concatenate([log_h0[:, None, :], log_b - A], axis=1)  # log h_0 is the term k = 0
    return A + np.logaddexp.accumulate(terms, axis=1)[:, 1:]
    ### END SOLUTION


# %% check=08.q4
# Check Q4: compares log h with a NumPy transcription of the library's log_linear_recurrence on short
# random sequences, long ones where a_1 ... a_t underflows, and states too small and too large for float64;
# recognises leaving log space (infinite or NaN values), h instead of log h, h_0 left out, A_k not
# subtracted from log b_k, and A shifted by a step.
ex.check("08.q4", log_recurrence)

# %% [markdown]
# ## Done
#
# Grade the notebook with `rnncourse grade 08_parallel_recurrence_exercises.ipynb`. That was the last set of
# exercises.
