# %% [markdown]
# # Exercises 03 -- Forecasting
#
# Companion to `notebooks/03_forecasting.ipynb`. You will write the data plumbing every forecasting model
# needs
# and the yardsticks it is judged by: cutting a series into windows, splitting it in time order, the
# seasonal-naive forecast, and a skill score against a baseline.
#
# **How this works.** Write your code in each answer cell in place of `raise NotImplementedError`, run it,
# then
# run the check cell below it for instant feedback. `rnncourse grade 03_forecasting_exercises.ipynb` grades
# the
# saved notebook on fresh random test cases. Each answer stands alone (do not call one answer from another).
# Total: **5 points**.

# %%
import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

# %% [markdown]
# ## Q1 (2 points) -- windows
#
# Write `make_windows(series, seq_len, lead=1)` for a 1-D array `series`. Window `i` is
# `series[i : i + seq_len]` and its target is the value `lead` steps after the window's last value (`lead=1`:
# the next value). Make every window that has a target and return `(X, y)` with `X` of shape
# `(n_windows, seq_len)` and `y` of shape `(n_windows,)`. (`rnncourse.timeseries.window_arrays` does this
# with several targets: its `horizon=k` asks for all of the next k values, and the last of them is the target
# of `lead=k` here.)

# %% answer=03.q1
def make_windows(series, seq_len, lead=1):
    ### BEGIN SOLUTION
    series = np.asarray(series)
    n = len(series) - seq_len - lead + 1
    X = np.stack([series[i : i + seq_len] for i in range(n)])
    y = series[seq_len + lead - 1 : seq_len + lead - 1 + n]
    return X, y
    ### END SOLUTION


# %% check=03.q1
# Check Q1: compares X and y (shapes and values) for several seq_len / lead pairs; recognises one window
# too many or too few and a target that ignores the lead.
ex.check("03.q1", make_windows)

# %% [markdown]
# ## Q2 (1 point) -- a chronological split
#
# Write `chronological_split(df, train=0.7, val=0.15)` for a DataFrame indexed by date (in time order). The
# first `int(len(df) * train)` rows are the training set, the next `int(len(df) * val)` rows the validation
# set and the rest the test set. Return `(train_df, val_df, test_df)`; never shuffle: a model must not see
# the future.

# %% answer=03.q2
def chronological_split(df, train=0.7, val=0.15):
    ### BEGIN SOLUTION
    n_train, n_val = int(len(df) * train), int(len(df) * val)
    return df.iloc[:n_train], df.iloc[n_train : n_train + n_val], df.iloc[n_train + n_val :]
    ### END SOLUTION


# %% check=03.q2
# Check Q2: checks the sizes, the columns, the dates and the values of the three parts for several lengths
# and fractions (some where rounding and int() give different sizes).
ex.check("03.q2", chronological_split)

# %% [markdown]
# ## Q3 (1 point) -- the seasonal-naive forecast
#
# For windows `X` of shape `(n, seq_len)` whose target is the next value, the seasonal-naive
# forecast repeats the value one season earlier: the value `season` steps before the target. Write
# `seasonal_naive(X, season)` returning the forecasts, shape `(n,)`. (With daily data and `season=7`, it
# predicts "same as last week".)

# %% answer=03.q3
def seasonal_naive(X, season):
    ### BEGIN SOLUTION
    return X[:, -season]
    ### END SOLUTION


# %% check=03.q3
# Check Q3: compares your forecasts with the seasonal-naive ones for seasons 7, 1 and 12; recognises the
# naive forecast, counting from the window's start and an off-by-one.
ex.check("03.q3", seasonal_naive)

# %% [markdown]
# ## Q4 (1 point) -- forecast skill
#
# A forecast is only good next to a baseline. Write `forecast_skill(y_true, y_pred, y_baseline)` returning the
# skill score $1 - \mathrm{MAE}(\text{model}) / \mathrm{MAE}(\text{baseline})$ as a float: 0 means no better
# than the baseline, 1 a perfect forecast, negative worse than the baseline.

# %% answer=03.q4
def forecast_skill(y_true, y_pred, y_baseline):
    ### BEGIN SOLUTION
    mae_model = np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)))
    mae_baseline = np.mean(np.abs(np.asarray(y_true) - np.asarray(y_baseline)))
    return float(1 - mae_model / mae_baseline)
    ### END SOLUTION


# %% check=03.q4
# Check Q4: compares your skill score on three sets of forecasts; recognises the bare ratio, swapped arguments
# and squared errors.
ex.check("03.q4", forecast_skill)

# %% [markdown]
# ## Try it on your own series
#
# Put the pieces together on a series of your choice, for example the Chicago ridership data of notebook 03
# (`rnncourse.datasets.load_chicago_ridership()`): split it, window the test part with `seq_len=28`, and
# compute the skill of the naive forecast (`X[:, -1]`) against the seasonal-naive one with `season=7`. This
# part is not graded.
#
# ## Done
#
# Grade the notebook with `rnncourse grade 03_forecasting_exercises.ipynb`. Next: the exercises for
# notebook 04, on sentiment.
