# %% [markdown]
# # Exercises 05 -- LSTM and GRU
#
# Companion to `notebooks/05_lstm_gru.ipynb`. You will count the parameters of the three recurrent layers,
# write one LSTM step in NumPy with Keras's weight layout, and pick a model from a table of results under a
# parameter and time budget, as you would in a project.
#
# **How this works.** Write your code in each answer cell in place of `raise NotImplementedError`, run it,
# then
# run the check cell below it for instant feedback. `rnncourse grade 05_lstm_gru_exercises.ipynb` grades the
# saved notebook on fresh random test cases. Total: **7 points**.

# %%
import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

# %% [markdown]
# ## Q1 (2 points) -- parameter counts
#
# Write `recurrent_params(kind, features, units)` returning (an `int`) the number of trainable parameters of
# `keras.layers.SimpleRNN(units)`, `keras.layers.LSTM(units)` or `keras.layers.GRU(units)` (Keras defaults)
# for `kind` = `"SimpleRNN"`, `"LSTM"` or `"GRU"` on inputs with `features` features. An LSTM has four gates,
# each the size of a SimpleRNN; a GRU has three, and Keras's default `reset_after=True` gives each GRU gate
# two bias vectors.

# %% answer=05.q1
def recurrent_params(kind, features, units):
    ### BEGIN SOLUTION
    one_gate = units * (features + units + 1)
    if kind == "SimpleRNN":
        return one_gate
    if kind == "LSTM":
        return 4 * one_gate
    if kind == "GRU":
        return 3 * (one_gate + units)
    raise ValueError(f"unknown kind {kind!r}")
    ### END SOLUTION


# %% check=05.q1
# Check Q1: compares your counts with Keras's (as computed by its layers' count_params) for each kind and
# random sizes; recognises counting one gate and forgetting the GRU's second bias.
ex.check("05.q1", recurrent_params)

# %% [markdown]
# ## Q2 (3 points) -- one LSTM step
#
# Write `lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)` returning `(h, c)`, both of shape
# `(batch, units)`. The weights are laid out as in `keras.layers.LSTM`: `kernel` is `(features, 4 * units)`,
# `recurrent_kernel` is `(units, 4 * units)`, `bias` is `(4 * units,)`, and the four blocks of `units` columns
# are, in order, the input gate $i$, the forget gate $f$, the candidate $g$ and the output gate $o$:
#
# $z = x_t\,\text{kernel} + h_{t-1}\,\text{recurrent\_kernel} + \text{bias}$, split into $z_i, z_f, z_g, z_o$;
# $c_t = \sigma(z_f) \odot c_{t-1} + \sigma(z_i) \odot \tanh(z_g)$;
# $h_t = \sigma(z_o) \odot \tanh(c_t)$.

# %% answer=05.q2
def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    ### BEGIN SOLUTION
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    c = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_g)
    h = sigmoid(z_o) * np.tanh(c)
    return h, c
    ### END SOLUTION


# %% check=05.q2
# Check Q2: compares h and c with a reference LSTM step (itself checked against keras.layers.LSTMCell in the
# course's tests) on three shapes; recognises the wrong gate order, a missing tanh and (c, h) swapped.
ex.check("05.q2", lstm_step)

# %% [markdown]
# ## Q3 (2 points) -- choosing a model
#
# You trained several recurrent models and wrote down, for each, its parameter count, its training time per
# epoch and its validation MAE. Write `choose_model(results, max_params, max_seconds)` for such a table (a
# DataFrame with columns `model`, `params`, `seconds_per_epoch`, `val_mae`): among the rows with
# `params <= max_params` **and** `seconds_per_epoch <= max_seconds`, return the `model` name (a `str`) with
# the lowest `val_mae`, or `None` if no row meets both limits.
#
# Here is a table of the right shape (its parameter counts are exact; its times and errors are random draws
# made up for this exercise; notebook 05 measures real ones):

# %%
results = ex.example_results_table()
print(results.to_string(index=False))

# %% answer=05.q3
def choose_model(results, max_params, max_seconds):
    ### BEGIN SOLUTION
    ok = results[(results["params"] <= max_params) & (results["seconds_per_epoch"] <= max_seconds)]
    if ok.empty:
        return None
    return str(ok.loc[ok["val_mae"].idxmin(), "model"])
    ### END SOLUTION


# %% check=05.q3
# Check Q3: runs your choice on random tables and limits, including one where no model qualifies; recognises
# ignoring a limit and picking the best model overall.
ex.check("05.q3", choose_model)

# %% [markdown]
# ## Done
#
# Grade the notebook with `rnncourse grade 05_lstm_gru_exercises.ipynb`. Next: the exercises for notebook 06,
# language models.
