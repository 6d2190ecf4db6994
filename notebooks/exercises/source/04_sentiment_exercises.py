# %% [markdown]
# # Exercises 04 -- Sentiment
#
# Companion to `notebooks/04_sentiment.ipynb`. You will turn text into token ids by hand (what Keras's
# `TextVectorization` does), average word vectors while ignoring padding (what masking does), compute the
# baseline every classifier must beat, and finally train a small Keras model on real movie-review sentences
# rated by people (Hutto & Gilbert, ICWSM 2014; `rnncourse.datasets.load_sentiment()`).
#
# **How this works.** Write your code in each answer cell in place of `raise NotImplementedError`, run it,
# then
# run the check cell below it for instant feedback. `rnncourse grade 04_sentiment_exercises.ipynb` grades the
# saved notebook on fresh random test cases. Each answer stands alone. Total: **8 points**.

# %%
import string  # noqa: F401 (used in your answers)

import keras
import numpy as np  # noqa: F401 (used in your answers)

from rnncourse import exercises as ex

keras.utils.set_random_seed(0)

# %% [markdown]
# ## Q1 (2 points) -- text to token ids
#
# Write `vectorize(texts, vocab, seq_len)` returning an `int` array of shape `(len(texts), seq_len)`. For each
# text: lowercase it, remove the characters in `string.punctuation`, split on whitespace; map each token to
# `vocab[token]` (ids start at 2) or to 1 for a token not in `vocab` (out of vocabulary); keep the first
# `seq_len` ids and pad with 0 at the end. This is what
# `keras.layers.TextVectorization(output_sequence_length=seq_len)` does with its default settings.

# %% answer=04.q1
def vectorize(texts, vocab, seq_len):
    ### BEGIN SOLUTION
    ids = np.zeros((len(texts), seq_len), dtype=np.int64)
    strip = str.maketrans("", "", string.punctuation)
    for row, text in enumerate(texts):
        tokens = text.lower().translate(strip).split()
        row_ids = [vocab.get(token, 1) for token in tokens][:seq_len]
        ids[row, : len(row_ids)] = row_ids
    return ids
    ### END SOLUTION


# %% check=04.q1
# Check Q1: compares your ids with the expected ones for random texts, vocabularies and lengths; recognises
# skipped standardisation and padding at the wrong end.
ex.check("04.q1", vectorize)

# %% [markdown]
# ## Q2 (2 points) -- a masked mean
#
# `embeddings` has shape `(batch, timesteps, dim)` (one vector per token) and `token_ids` shape
# `(batch, timesteps)`, where id 0 is padding. Write `masked_mean(embeddings, token_ids)` returning the mean
# of each sequence's vectors over its real tokens only, shape `(batch, dim)`. (This is what
# `Embedding(mask_zero=True)` followed by `GlobalAveragePooling1D()` computes.)

# %% answer=04.q2
def masked_mean(embeddings, token_ids):
    ### BEGIN SOLUTION
    mask = (token_ids != 0)[..., None]
    return (embeddings * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    ### END SOLUTION


# %% check=04.q2
# Check Q2: compares your means on three shapes with padding of random lengths; recognises averaging over
# padding too, and dividing by the wrong count.
ex.check("04.q2", masked_mean)

# %% [markdown]
# ## Q3 (1 point) -- the baseline to beat
#
# Write `majority_accuracy(train_labels, test_labels)` returning, as a float between 0 and 1, the test
# accuracy of a classifier that always predicts the most frequent label of the *training* labels (0 or 1).

# %% answer=04.q3
def majority_accuracy(train_labels, test_labels):
    ### BEGIN SOLUTION
    majority = int(np.bincount(np.asarray(train_labels), minlength=2).argmax())
    return float(np.mean(np.asarray(test_labels) == majority))
    ### END SOLUTION


# %% check=04.q3
# Check Q3: compares your accuracy on random label sets; recognises a majority taken from the test labels and
# a percentage instead of a fraction.
ex.check("04.q3", majority_accuracy)

# %% [markdown]
# ## Q4 (3 points) -- a sentiment model
#
# The data: movie-review sentences with a label 1 (positive) or 0 (negative). `ex.sentiment_data()` holds back
# 10% for teachers' tests and splits the rest 80/20 (stratified, seed 0). Train any Keras model you like on
# the training part, then write `predict_sentiment(texts)` that takes a list of strings and returns the
# probability that each is positive, shape `(len(texts),)`. It passes when its accuracy on the test part (or,
# when a teacher grades, on sentences held back from you) is at least
# `ex.SENTIMENT_MIN_ACCURACY` (0.72). Keep it small: it should train in seconds (a `TextVectorization`, an
# `Embedding`, an average over the sequence and one `Dense` unit are enough; a recurrent layer from notebook
# 04
# works too, but takes longer). Do not train on the test part.

# %%
train_texts, train_labels, test_texts, test_labels = ex.sentiment_data()
print(f"{len(train_texts)} training and {len(test_texts)} test sentences; "
      f"{train_labels.mean():.0%} of the training ones are positive")

# %% answer=04.q4
### BEGIN SOLUTION
MAX_TOKENS, SEQ_LEN = 10_000, 40
vectorizer = keras.layers.TextVectorization(max_tokens=MAX_TOKENS, output_sequence_length=SEQ_LEN)
vectorizer.adapt(np.array(train_texts))
sentiment_model = keras.Sequential([
    keras.Input(shape=(SEQ_LEN,)),
    keras.layers.Embedding(MAX_TOKENS, 16, mask_zero=True),
    keras.layers.GlobalAveragePooling1D(),
    keras.layers.Dense(1, activation="sigmoid"),
])
sentiment_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
sentiment_model.fit(vectorizer(np.array(train_texts)), train_labels, epochs=6, batch_size=64, verbose=0)
### END SOLUTION


def predict_sentiment(texts):
    ### BEGIN SOLUTION
    return sentiment_model.predict(vectorizer(np.array(list(texts))), verbose=0).ravel()
    ### END SOLUTION


# %% check=04.q4
# Check Q4: runs predict_sentiment on the test sentences and checks the shape, that the values are
# probabilities, and that the accuracy reaches ex.SENTIMENT_MIN_ACCURACY.
ex.check("04.q4", predict_sentiment, seeds=(0,))

# %% [markdown]
# ## Done
#
# Grade the notebook with `rnncourse grade 04_sentiment_exercises.ipynb`. Next: the exercises for notebook 05,
# on LSTM and GRU.
