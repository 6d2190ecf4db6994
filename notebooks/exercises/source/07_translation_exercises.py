# %% [markdown]
# # Exercises 07 -- translation
#
# Companion to `notebooks/07_translation.ipynb`. You will build the arrays a decoder trains on with teacher
# forcing, compute the weights of additive (Bahdanau) attention, take one step of beam search, and score a
# translation with BLEU on characters -- four pieces of the encoder-decoder that turns "siebenundneunzig"
# into "97".
#
# **How this works.** Write your code in each answer cell in place of `raise NotImplementedError`, run it,
# then run the check cell below it for instant feedback. `rnncourse grade 07_translation_exercises.ipynb`
# grades the saved notebook on fresh random test cases. Total: **7 points**.

# %%
import math  # noqa: F401 (used in your answers)
from collections import Counter  # noqa: F401 (used in your answers)

import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

# %% [markdown]
# ## Q1 (1 point) -- the teacher-forcing shift
#
# With teacher forcing the decoder reads the true previous character at every step: at step `t` it reads
# target token `t - 1` (START at step 0) and must predict token `t` (END after the last one). Write
# `teacher_forcing_arrays(target_ids, start, end, pad)` where `target_ids` is a list of `n` 1-D integer
# arrays (the target token ids, of different lengths, without START or END) and `start`, `end`, `pad` are
# the special ids (the `Vocabulary` of the course notebook has `pad=0`, `start=1`, `end=2`; use the
# arguments).
# Return `(decoder_input, decoder_target)`, two integer arrays of shape `(n, max_len + 1)` where `max_len` is
# the length of the longest target:
#
# - row `i` of `decoder_input` is `start` followed by `target_ids[i]`;
# - row `i` of `decoder_target` is `target_ids[i]` followed by `end`;
# - both are filled up with `pad` at the end of the row.
#
# With `target_ids = [np.array([4, 3]), np.array([3])]`: `decoder_input` is `[[1, 4, 3], [1, 3, 0]]` and
# `decoder_target` is `[[4, 3, 2], [3, 2, 0]]`, as `teacher_forcing_data` of the course notebook gives them.


# %% answer=07.q1
def teacher_forcing_arrays(target_ids, start, end, pad):
    ### BEGIN SOLUTION
    width = max(len(ids) for ids in target_ids) + 1
    decoder_input = np.full((len(target_ids), width), pad, dtype=np.int64)
    decoder_target = np.full((len(target_ids), width), pad, dtype=np.int64)
    for i, ids in enumerate(target_ids):
        decoder_input[i, : len(ids) + 1] = [start, *ids]
        decoder_target[i, : len(ids) + 1] = [*ids, end]
    return decoder_input, decoder_target
    ### END SOLUTION


# %% check=07.q1
# Check Q1: compares both arrays with the layout of the library's teacher_forcing_data on the example
# above and on random targets; recognises no shift, END in the input, START in the target, swapped arrays.
ex.check("07.q1", teacher_forcing_arrays)

# %% [markdown]
# ## Q2 (2 points) -- additive attention weights
#
# The `BahdanauAttention` layer of the course notebook scores each decoder step (a query) against every
# encoder output (a key). Write `additive_attention(query, keys, W1, W2, v, mask)` for one sequence, in
# NumPy, with
#
# - `query` of shape `(T, query_dim)` (one row per decoder step) and `keys` of shape `(S, key_dim)` (one row
#   per source position);
# - `W1` of shape `(query_dim, units)`, `W2` of shape `(key_dim, units)`, `v` of shape `(units,)`;
# - `mask` a boolean array of shape `(S,)`, False at the padded source positions (at least one is True).
#
# The score of query `t` for position `j` is $e_{tj} = v \cdot \tanh(q_t W_1 + k_j W_2)$ (rows times
# matrices, as in Keras). The weights are $a_{tj} = \mathrm{softmax}_j(e_{tj})$, the softmax over the source
# positions `j`, taken over the unmasked positions only: a masked position gets weight exactly 0 and each row
# of weights sums to 1. The context of query `t` is $c_t = \sum_j a_{tj} k_j$. Return `(weights, context)`,
# of shapes `(T, S)` and `(T, key_dim)`.
#
# (Hint: give the masked scores a very large negative value, e.g. subtract `1e9`, before the softmax; that
# is what the layer does.)


# %% answer=07.q2
def additive_attention(query, keys, W1, W2, v, mask):
    ### BEGIN SOLUTION
    scores = np.tanh((query @ W1)[:, None, :] + (keys @ W2)[None, :, :]) @ v  # (T, S)
    scores = np.where(mask[None, :], scores, -1e9)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return weights, weights @ keys
    ### END SOLUTION


# %% check=07.q2
# Check Q2: compares weights and context with a NumPy transcription of the library's BahdanauAttention
# on random sizes, with and without padding; recognises the softmax over the wrong axis, an ignored mask and
# a missing tanh.
ex.check("07.q2", additive_attention)

# %% [markdown]
# ## Q3 (2 points) -- one step of beam search
#
# Beam search keeps the `beam_width` most probable beginnings of the output. Write
# `beam_step(beams, log_probs, beam_width, end)` that takes one step:
#
# - `beams` is a list of pairs `(tokens, total)`: a tuple of token ids written so far and its cumulative
#   log-probability (the sum of the natural logarithms of its tokens' probabilities);
# - `log_probs` has shape `(len(beams), vocab_size)`: row `i` holds the log-probabilities of every next
#   token after beam `i`.
#
# The candidates, in this order: for each beam `i` in turn, if its last token is `end` the beam is finished
# and it is one candidate, unchanged; otherwise each token `w = 0 .. vocab_size - 1` gives the candidate
# `(tokens + (w,), total + log_probs[i, w])`. Return a list of the `beam_width` candidates with the highest
# cumulative log-probability, as `(tuple of int, float)` pairs, best first (equal scores keep the order
# above: Python's `sorted` is stable). `beams` may hold a single empty beam `((), 0.0)`, the first step.
#
# (The library's `beam_search` ranks the candidates in the same way; there a finished beam leaves the beam
# for a list of finished translations instead of staying.)


# %% answer=07.q3
def beam_step(beams, log_probs, beam_width, end):
    ### BEGIN SOLUTION
    candidates = []
    for (tokens, total), row in zip(beams, log_probs, strict=True):
        if len(tokens) > 0 and tokens[-1] == end:
            candidates.append((tuple(tokens), float(total)))
        else:
            candidates += [(tuple(tokens) + (w,), float(total + row[w])) for w in range(len(row))]
    return sorted(candidates, key=lambda c: -c[1])[:beam_width]
    ### END SOLUTION


# %% check=07.q3
# Check Q3: compares your beams and their scores with one step of the rule above on random beams, some
# finished; recognises the best token per beam only, the step's log-prob alone, products of log-probs and
# extending a finished beam.
ex.check("07.q3", beam_step)

# %% [markdown]
# ## Q4 (2 points) -- sentence BLEU on characters
#
# BLEU compares a hypothesis (the model's translation) with a reference (the right one) by their shared
# n-grams. Write `char_bleu(reference, hypothesis)` returning (a `float`) BLEU with n-grams of characters:
#
# 1. the tokens are the characters of each text, white space left out;
# 2. for each `n = 1, 2, 3, 4`, the precision $p_n$ is the number of matching n-grams divided by the number
#    of n-grams of the hypothesis, where an n-gram `g` of the hypothesis matches at most as often as it
#    occurs in the reference (clipped counts:
#    $\sum_g \min(\mathrm{count}_{hyp}(g), \mathrm{count}_{ref}(g))$ matches);
# 3. no smoothing: if some $p_n$ is 0, or the hypothesis has fewer than 4 tokens, return `0.0`;
# 4. the brevity penalty, with $c$ and $r$ the numbers of tokens of the hypothesis and the reference, is
#    $BP = 1$ if $c \ge r$ and $BP = \exp(1 - r / c)$ otherwise;
# 5. $\mathrm{BLEU} = 100 \cdot BP \cdot \exp\big(\tfrac14 \sum_{n=1}^{4} \log p_n\big)$, on the 0-100 scale.
#
# The library's `sentence_bleu` gives the same number whenever all four precisions are positive (where one
# is 0 it smooths the way sacrebleu does instead of returning 0).


# %% answer=07.q4
def char_bleu(reference, hypothesis):
    ### BEGIN SOLUTION
    ref = [c for c in reference if not c.isspace()]
    hyp = [c for c in hypothesis if not c.isspace()]
    log_precisions = []
    for n in range(1, 5):
        hyp_ngrams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
        ref_ngrams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
        matches = sum((hyp_ngrams & ref_ngrams).values())
        if matches == 0:
            return 0.0
        log_precisions.append(math.log(matches / sum(hyp_ngrams.values())))
    penalty = 1.0 if len(hyp) >= len(ref) else math.exp(1 - len(ref) / len(hyp))
    return 100.0 * penalty * math.exp(sum(log_precisions) / 4)
    ### END SOLUTION


# %% check=07.q4
# Check Q4: compares your BLEU with the formula above (the library's sentence_bleu where all precisions
# are positive) on German number words and digits; recognises the 0-1 scale, a missing brevity penalty,
# unclipped counts and white space kept.
ex.check("07.q4", char_bleu)

# %% [markdown]
# ## Done
#
# Grade the notebook with `rnncourse grade 07_translation_exercises.ipynb`. Next: the exercises for
# notebook 08, recurrence in parallel.
