# %% [markdown]
# # Exercises 02 -- Training RNNs
#
# Companion to `notebooks/02_training_rnns.ipynb`. You will work out, in NumPy, how a gradient travels back
# through time: first for a one-unit RNN, where every factor can be seen, then for the recurrent weights of a
# full layer (backpropagation through time), and finally how gradient clipping keeps a step from exploding.
#
# **How this works.** Write your code in each answer cell in place of `raise NotImplementedError`, run it,
# then
# run the check cell below it for instant feedback. `rnncourse grade 02_training_rnns_exercises.ipynb` grades
# the saved notebook on fresh random test cases. Total: **6 points**.

# %%
import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

# %% [markdown]
# ## Q1 (2 points) -- a gradient through a few steps
#
# A one-unit RNN has scalar weights: $h_t = \tanh(w\,x_t + u\,h_{t-1})$ (no bias). Write
# `scalar_rnn_gradient(xs, w, u, h0)` returning $\partial h_T / \partial h_0$ as a float, where `xs` is the
# list of inputs $x_1..x_T$. By the chain rule it is a product with one factor
# $\partial h_t/\partial h_{t-1} = u\,(1 - h_t^2)$ per step, which is why it vanishes or explodes with $T$.

# %% answer=02.q1
def scalar_rnn_gradient(xs, w, u, h0):
    ### BEGIN SOLUTION
    h, grad = h0, 1.0
    for x in xs:
        h = np.tanh(w * x + u * h)
        grad *= u * (1 - h**2)
    return float(grad)
    ### END SOLUTION


# %% check=02.q1
# Check Q1: compares your gradient with the chain-rule product for 1, 3, 6 and 10 steps; recognises a missing
# tanh derivative and using the previous state in it.
ex.check("02.q1", scalar_rnn_gradient)

# %% [markdown]
# ## Q2 (3 points) -- backpropagation through time for `W_h`
#
# The layer is $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$ with $h_0 = 0$, over `x` of shape
# `(batch, timesteps, features)`. The loss reads only the last state: $L = \sum h_T \odot \text{dh\_T}$, so
# `dh_T` (shape `(batch, units)`) is $\partial L/\partial h_T$. Write `bptt_grad_W_h(x, W_x, W_h, b, dh_T)`
# returning $\partial L/\partial W_h$, shape `(units, units)`: run the forward pass keeping every state, then
# walk back from $t = T$ to $1$, adding step $t$'s contribution $h_{t-1}^\top\,\delta_t$ with
# $\delta_t = \partial L/\partial h_t \odot (1 - h_t^2)$, and passing $\partial L/\partial h_{t-1} =
# \delta_t W_h^\top$ on to the step before.

# %% answer=02.q2
def bptt_grad_W_h(x, W_x, W_h, b, dh_T):
    ### BEGIN SOLUTION
    batch, steps, _ = x.shape
    h = np.zeros((batch, W_h.shape[0]))
    states = [h]
    for t in range(steps):
        h = np.tanh(x[:, t] @ W_x + h @ W_h + b)
        states.append(h)
    dW_h = np.zeros_like(W_h)
    dh = dh_T
    for t in range(steps, 0, -1):
        delta = dh * (1 - states[t] ** 2)
        dW_h += states[t - 1].T @ delta
        dh = delta @ W_h.T
    return dW_h
    ### END SOLUTION


# %% check=02.q2
# Check Q2: compares your gradient with backpropagation through time (itself checked against finite
# differences in the course's tests) on three shapes; recognises stopping after one step and a transpose.
ex.check("02.q2", bptt_grad_W_h)

# %% [markdown]
# ## Q3 (1 point) -- clipping by global norm
#
# Write `clip_by_global_norm(grads, max_norm)`: `grads` is a list of arrays; their global norm is
# $\sqrt{\sum_i \lVert g_i \rVert^2}$ over all entries of all arrays. If it exceeds `max_norm`, return every
# array scaled by `max_norm / global_norm` (one factor for all, so the update keeps its direction); otherwise
# return them unchanged. Return a list of arrays of the same shapes. (This is what
# `keras.optimizers.Adam(global_clipnorm=...)` does.)

# %% answer=02.q3
def clip_by_global_norm(grads, max_norm):
    ### BEGIN SOLUTION
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * factor for g in grads]
    ### END SOLUTION


# %% check=02.q3
# Check Q3: clips lists of gradients whose global norm is above and below max_norm; recognises clipping each
# array by its own norm and clipping element by element.
ex.check("02.q3", clip_by_global_norm)

# %% [markdown]
# ## Done
#
# Grade the notebook with `rnncourse grade 02_training_rnns_exercises.ipynb`. Next: the exercises for
# notebook 03, on forecasting.
