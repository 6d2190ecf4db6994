# %% [markdown]
# # Exercises 01 -- The RNN unit
#
# Companion to `notebooks/01_the_rnn_unit.ipynb`. You will write, in plain NumPy, the pieces of a simple
# recurrent layer: one time step, the parameter count, the forward pass over a whole sequence, and the shape
# Keras hands back. Weights use Keras's layout: `W_x` is `(features, units)`, `W_h` is `(units, units)`, `b`
# is `(units,)`, and inputs are batched, `x_t` of shape `(batch, features)`.
#
# **How this works.** Each question says what to write and how many points it is worth. Write your code in
# the answer cell in place of `raise NotImplementedError`, run it, then run the check cell below it: it tells
# you at once whether your answer passes, and if not, what looks wrong. `rnncourse grade` grades the saved
# notebook the same way, on fresh random test cases. Total: **6 points**.

# %%
import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

# %% [markdown]
# ## Q1 (2 points) -- one RNN step
#
# Write `rnn_step(x_t, h_prev, W_x, W_h, b)` returning the new hidden state
# $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$, shape `(batch, units)`.

# %% answer=01.q1
def rnn_step(x_t, h_prev, W_x, W_h, b):
    ### BEGIN SOLUTION
    return np.tanh(x_t @ W_x + h_prev @ W_h + b)
    ### END SOLUTION


# %% check=01.q1
# Check Q1: calls rnn_step on random cases of several shapes and compares with tanh(x W_x + h W_h + b).
ex.check("01.q1", rnn_step)

# %% [markdown]
# ## Q2 (1 point) -- how many parameters?
#
# Write `simple_rnn_params(features, units)` returning (as an `int`) the number of trainable parameters of
# `keras.layers.SimpleRNN(units)` on inputs with `features` features. Count `W_x`, `W_h` and `b`.

# %% answer=01.q2
def simple_rnn_params(features, units):
    ### BEGIN SOLUTION
    return units * features + units * units + units
    ### END SOLUTION


# %% check=01.q2
# Check Q2: compares your count with the true one for several (features, units) pairs.
ex.check("01.q2", simple_rnn_params)

# %% [markdown]
# ## Q3 (2 points) -- the forward pass over a sequence
#
# Write `rnn_forward(x, W_x, W_h, b, h0=None)` for `x` of shape `(batch, timesteps, features)`. Start from
# `h0` (zeros of shape `(batch, units)` when `h0` is None), apply the step at every time step, carrying the
# hidden state along, and return **all** hidden states, shape `(batch, timesteps, units)` (the state after
# step 1 first). Write the step inline rather than calling your `rnn_step`, so that each answer stands alone.

# %% answer=01.q3
def rnn_forward(x, W_x, W_h, b, h0=None):
    ### BEGIN SOLUTION
    h = np.zeros((x.shape[0], W_h.shape[0])) if h0 is None else h0
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_x + h @ W_h + b)
        states.append(h)
    return np.stack(states, axis=1)
    ### END SOLUTION


# %% check=01.q3
# Check Q3: compares all hidden states with a reference loop, with and without h0; recognises returning only
# the last state, not carrying the state, and an off-by-one in time.
ex.check("01.q3", rnn_forward)

# %% [markdown]
# ## Q4 (1 point) -- what shape comes out?
#
# Write `rnn_output_shape(batch, timesteps, features, units, return_sequences)` returning the shape (a tuple
# of ints) of what `keras.layers.SimpleRNN(units, return_sequences=return_sequences)` returns for an input of
# shape `(batch, timesteps, features)`.

# %% answer=01.q4
def rnn_output_shape(batch, timesteps, features, units, return_sequences):
    ### BEGIN SOLUTION
    return (batch, timesteps, units) if return_sequences else (batch, units)
    ### END SOLUTION


# %% check=01.q4
# Check Q4: compares your shape with the true one for random sizes, with return_sequences True and False.
ex.check("01.q4", rnn_output_shape)

# %% [markdown]
# ## Done
#
# Grade the whole notebook with `rnncourse grade 01_the_rnn_unit_exercises.ipynb`. Next: the exercises for
# notebook 02, on training RNNs.
