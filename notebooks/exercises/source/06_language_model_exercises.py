# %% [markdown]
# # Exercises 06 -- language models
#
# Companion to `notebooks/06_language_model.ipynb`. You will draw a character with a temperature, score a
# model in bits per character, lay out a text for truncated backpropagation through time, and compute one
# probability of a smoothed n-gram model by hand -- the four pieces of a character language model.
#
# **How this works.** Write your code in each answer cell in place of `raise NotImplementedError`, run it,
# then run the check cell below it for instant feedback. `rnncourse grade 06_language_model_exercises.ipynb`
# grades the saved notebook on fresh random test cases. Total: **7 points**.

# %%
import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

# %% [markdown]
# ## Q1 (2 points) -- sampling with a temperature
#
# Write `sample_with_temperature(logits, temperature, u)` returning the index (an `int`) of the character
# drawn from `softmax(logits / temperature)` with the uniform number `u` in [0, 1) by the inverse CDF: the
# first index `i` whose cumulative probability `p[0] + ... + p[i]` is **greater than** `u`. At
# `temperature == 0` return the index of the largest logit (argmax): the limit of a very low temperature.
# (Passing `u` in makes the draw reproducible: the same `u` always gives the same character.)

# %% answer=06.q1
def sample_with_temperature(logits, temperature, u):
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=float)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    return int(min(np.searchsorted(np.cumsum(probs), u, side="right"), len(probs) - 1))
    ### END SOLUTION


# %% check=06.q1
# Check Q1: compares your index with the inverse-CDF draw at temperatures 0 to 3 on random logits;
# recognises sampling without the temperature, multiplying by it, and an off-by-one in the cumulative sum.
ex.check("06.q1", sample_with_temperature)

# %% [markdown]
# ## Q2 (1 point) -- bits per character
#
# A model gave, for each of `n` characters of a held-out text, a probability for every character of the
# vocabulary: `probs` of shape `(n, vocab_size)`, rows summing to 1. The true characters are `targets`, ids of
# shape `(n,)`. Write `bits_per_char(probs, targets)` returning (a `float`) the mean over the `n` characters
# of `-log2` of the probability given to the true character.

# %% answer=06.q2
def bits_per_char(probs, targets):
    ### BEGIN SOLUTION
    chosen = probs[np.arange(len(targets)), targets]
    return float(-np.mean(np.log2(chosen)))
    ### END SOLUTION


# %% check=06.q2
# Check Q2: compares your number with the mean -log2 p of the true characters on random probabilities;
# recognises the natural logarithm, a sum instead of a mean, a missing minus and the perplexity.
ex.check("06.q2", bits_per_char)

# %% [markdown]
# ## Q3 (2 points) -- the truncated-BPTT batch layout
#
# Write `tbptt_layout(ids, batch_size, seq_len)` returning `(x, y)` laid out for a stateful RNN:
#
# 1. cut `ids` into `batch_size` streams of `stream_len = len(ids) // batch_size` consecutive ids each
#    (stream `i` starts at `i * stream_len`; the leftover ids at the end are dropped);
# 2. `num_batches = (stream_len - 1) // seq_len`; batch `b` holds, in row `i`, the ids
#    `b * seq_len ... (b + 1) * seq_len - 1` of stream `i`, and the targets `y` are the same positions plus
#    one;
# 3. stack the batches one after the other: `x` and `y` have shape `(num_batches * batch_size, seq_len)`, and
#    rows `b * batch_size ... (b + 1) * batch_size - 1` are batch `b`.
#
# So row `i` of batch `b + 1` continues row `i` of batch `b`. With `ids = np.arange(20)`, `batch_size=2`,
# `seq_len=3`: `x` starts `[[0, 1, 2], [10, 11, 12], [3, 4, 5], [13, 14, 15], ...]` and `y[0]` is `[1, 2, 3]`.

# %% answer=06.q3
def tbptt_layout(ids, batch_size, seq_len):
    ### BEGIN SOLUTION
    ids = np.asarray(ids)
    stream_len = len(ids) // batch_size
    num_batches = (stream_len - 1) // seq_len
    streams = ids[: stream_len * batch_size].reshape(batch_size, stream_len)
    x = [streams[:, b * seq_len:(b + 1) * seq_len] for b in range(num_batches)]
    y = [streams[:, b * seq_len + 1:(b + 1) * seq_len + 1] for b in range(num_batches)]
    return np.concatenate(x), np.concatenate(y)
    ### END SOLUTION


# %% check=06.q3
# Check Q3: compares x and y with rnncourse.text.tbptt_batches on the example above and on random sizes;
# recognises windows that follow each other row after row (no streams) and x and y swapped.
ex.check("06.q3", tbptt_layout)

# %% [markdown]
# ## Q4 (2 points) -- one smoothed bigram probability
#
# The baseline of notebook 06 is an n-gram model with interpolated absolute discounting. Write
# `bigram_probability(text, prev, char, vocab_size, discount)` returning (a `float`) the probability that
# character `char` follows character `prev` under the **bigram** model (order 2) trained on `text`, a 1-D
# array of ids from `0` to `vocab_size - 1`, with discount `D = discount`:
#
# - uniform: $p_0(c) = 1 / V$;
# - unigram: $p_1(c) = \big(\max(N(c) - D, 0) + D \cdot T \cdot p_0(c)\big) / N$, where $N(c)$ counts `c` in
#   the whole text, $N$ is the length of the text and $T$ the number of distinct ids in it;
# - bigram: $p_2(c \mid h) = \big(\max(N(h, c) - D, 0) + D \cdot T(h) \cdot p_1(c)\big) / N(h)$, where
#   $N(h, c)$ counts the pairs "`h` then `c`" in the text, $N(h) = \sum_c N(h, c)$ and $T(h)$ is the number
#   of distinct characters seen after `h`; if `h` is never followed by anything ($N(h) = 0$), $p_2(c \mid h) =
#   p_1(c)$.

# %% answer=06.q4
def bigram_probability(text, prev, char, vocab_size, discount):
    ### BEGIN SOLUTION
    text = np.asarray(text)
    unigram = (max(np.sum(text == char) - discount, 0) + discount * len(set(text.tolist())) / vocab_size)
    unigram /= len(text)
    after = text[1:][text[:-1] == prev]
    if len(after) == 0:
        return float(unigram)
    pair = np.sum(after == char)
    return float((max(pair - discount, 0) + discount * len(set(after.tolist())) * unigram) / len(after))
    ### END SOLUTION


# %% check=06.q4
# Check Q4: compares your probability with rnncourse.baselines.CharNGramModel(2, ...) on random texts, with
# contexts seen and unseen; recognises the unsmoothed frequency and a back-off to the uniform distribution.
ex.check("06.q4", bigram_probability)

# %% [markdown]
# ## Done
#
# Grade the notebook with `rnncourse grade 06_language_model_exercises.ipynb`. Next: the exercises for
# notebook 07, translation.
