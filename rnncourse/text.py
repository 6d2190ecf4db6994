"""Text plumbing: a split and ``TextVectorization`` for classifiers; characters for models that write.

``make_vectorizer`` turns texts into fixed-length rows of token ids. Id ``0`` is padding and id ``1`` the
out-of-vocabulary token ``[UNK]``, so an ``Embedding(..., mask_zero=True)`` layer after it tells the RNN
which steps are padding, and the RNN carries its state across them unchanged::

    vectorizer = make_vectorizer(train_texts, max_tokens=10_000, seq_len=40)
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        vectorizer,                                       # (batch, 40) int ids, 0 = padding
        keras.layers.Embedding(vectorizer.vocabulary_size(), 32, mask_zero=True),
        keras.layers.SimpleRNN(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])

Example:
    >>> (tr_x, tr_y), (va_x, va_y), (te_x, te_y) = stratified_split(
    ...     ["good", "bad"] * 10, [1, 0] * 10, val=0.2, test=0.2, seed=0)
    >>> len(tr_x), len(va_x), len(te_x)
    (12, 4, 4)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnncourse import arguments

__all__ = [
    "stratified_split", "make_vectorizer", "decode_tokens", "text_dataset", "CharVocabulary", "tbptt_batches",
]


def _texts_and_labels(texts, labels, numeric: bool = False) -> tuple[list[str], np.ndarray]:
    """The texts as a list of str and the labels as an array, one label per text."""
    checked = arguments.texts(texts)
    label_array = arguments.labels(labels, numeric=numeric)
    arguments.same_length(label_array, checked, ("labels", "texts"))
    return checked, label_array


def stratified_split(texts, labels, val: float = 0.15, test: float = 0.15, seed: int = 0):
    """Split texts and labels into train / validation / test, keeping the class ratios in every part.

    Taught in: notebooks/04_sentiment.ipynb, section "1. The data".

    Two calls of ``sklearn.model_selection.train_test_split(..., stratify=labels)``: the test part first,
    then the validation part from what is left. The same ``seed`` gives the same split every time.

    Args:
        texts: sequence of texts (list, array or ``pd.Series`` of str).
        labels: class labels, one per text.
        val: fraction of all examples for validation, in (0, 1). Default: ``0.15``.
        test: fraction of all examples for testing, in (0, 1); ``val + test`` must be below 1.
            Default: ``0.15``.
        seed: random seed of the split. Default: ``0``.

    Returns:
        ``((train_texts, train_labels), (val_texts, val_labels), (test_texts, test_labels))``; the parts
        keep the container type scikit-learn keeps (list stays list, Series stays Series).

    Raises:
        ValueError: for no texts, a different number of texts and labels, bad fractions, a negative seed,
            or a class too rare to appear in every part.
        TypeError: if the texts are not strings, the labels are not a sequence, hold ``None`` or mixed
            types, or the seed is not an integer.

    Example:
        >>> (tr, tr_y), (va, va_y), (te, te_y) = stratified_split(
        ...     ["a"] * 16 + ["b"] * 4, [0] * 16 + [1] * 4, val=0.25, test=0.25)
        >>> sum(tr_y), sum(va_y), sum(te_y)       # 20 % positives in every part
        (2, 1, 1)
    """
    from sklearn.model_selection import train_test_split

    _, label_array = _texts_and_labels(texts, labels)
    val = arguments.fraction(val, "val")
    test = arguments.fraction(test, "test")
    if val + test >= 1.0:
        raise ValueError(arguments.message("test", "val + test < 1 so that a training part remains",
                                           f"val={val} + test={test} = {val + test:g}"))
    seed = arguments.seed(seed)
    classes, counts = np.unique(label_array, return_counts=True)
    if counts.min() < 3:
        rare = classes[np.argmin(counts)].item()
        raise ValueError(arguments.message("labels", "at least 3 examples of every class to put one in each "
                                                     "part", f"{counts.min()} of class {rare!r}"))
    rest_texts, test_texts, rest_labels, test_labels = train_test_split(
        texts, labels, test_size=test, stratify=labels, random_state=seed)
    train_texts, val_texts, train_labels, val_labels = train_test_split(
        rest_texts, rest_labels, test_size=val / (1.0 - test), stratify=rest_labels, random_state=seed)
    return (train_texts, train_labels), (val_texts, val_labels), (test_texts, test_labels)


def make_vectorizer(texts: Sequence[str], max_tokens: int = 10_000, seq_len: int = 40, **kwargs):
    """A ``keras.layers.TextVectorization`` adapted to ``texts``: text in, ``seq_len`` token ids out.

    Taught in: notebooks/04_sentiment.ipynb, section "3. From text to token ids".

    Texts are lower-cased and stripped of punctuation, split on whitespace, mapped to ids by frequency
    rank (``0`` padding, ``1`` out-of-vocabulary ``[UNK]``, then the most frequent words), and cut or padded
    with ``0`` at the end to exactly ``seq_len`` ids. Adapt it on the **training** texts only.

    Args:
        texts: training texts to learn the vocabulary from.
        max_tokens: vocabulary size, including the padding and ``[UNK]`` ids. Default: ``10_000``.
        seq_len: length of every output row; longer texts are truncated. Default: ``40``.
        **kwargs: passed on to ``TextVectorization`` (e.g. ``standardize=None``, ``ngrams=2``).

    Returns:
        The adapted layer. ``vectorizer(["some text"])`` gives an int64 tensor of shape ``(1, seq_len)``;
        ``vectorizer.vocabulary_size()`` is the ``input_dim`` for the ``Embedding``.

    Raises:
        ValueError: for no texts, texts without a single word, or a ``max_tokens``/``seq_len`` too small
            (``max_tokens`` must be at least 3: padding, ``[UNK]`` and one word).
        TypeError: if the texts are not strings, or ``max_tokens``/``seq_len`` not integers.

    Example:
        >>> v = make_vectorizer(["the cat sat", "the cat", "The!"], max_tokens=10, seq_len=5)
        >>> [str(w) for w in v.get_vocabulary()]   # by frequency, after padding "" and "[UNK]"
        ['', '[UNK]', 'the', 'cat', 'sat']
        >>> v(["the cat ran"]).numpy().tolist()     # ran is unknown -> 1, padding -> 0
        [[2, 3, 1, 0, 0]]
    """
    import keras

    texts = arguments.texts(texts)
    max_tokens = arguments.integer(max_tokens, "max_tokens", minimum=3)
    seq_len = arguments.positive_int(seq_len, "seq_len")
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_mode="int", output_sequence_length=seq_len, **kwargs)
    vectorizer.adapt(np.asarray(texts, dtype=object))
    if vectorizer.vocabulary_size() <= 2:  # only padding and [UNK]: every text was empty after standardising
        raise ValueError(arguments.message("texts", "at least one word to build a vocabulary from",
                                           f"{len(texts)} text(s) without any, e.g. {texts[0]!r}"))
    return vectorizer


def decode_tokens(vectorizer, ids, keep_padding: bool = False) -> list[str]:
    """Turn one row of token ids back into its tokens, e.g. to label the axis of ``plot_hidden_states``.

    Taught in: notebooks/04_sentiment.ipynb, section "3. From text to token ids".

    Args:
        vectorizer: an adapted ``TextVectorization`` (from ``make_vectorizer``).
        ids: one row of ids, shape ``(seq_len,)`` (a tensor or array).
        keep_padding: keep the padding ids (shown as ``""``). Default: ``False``.

    Returns:
        The tokens, out-of-vocabulary words shown as ``"[UNK]"``.

    Raises:
        ValueError: if ``ids`` is not one row of ids.
        TypeError: if ``vectorizer`` has no vocabulary or ``ids`` are not integers.

    Example:
        >>> v = make_vectorizer(["the cat sat", "the cat"], max_tokens=10, seq_len=5)
        >>> decode_tokens(v, v(["the cat ran"])[0])
        ['the', 'cat', '[UNK]']
    """
    if not hasattr(vectorizer, "get_vocabulary"):
        raise TypeError(arguments.message("vectorizer", "an adapted TextVectorization layer",
                                          arguments.given(vectorizer)))
    ids = arguments.numeric_array(ids, "ids", ndim=1, allow_empty=True)
    if ids.dtype.kind not in "iu":
        raise TypeError(arguments.message("ids", "integer token ids", f"dtype {ids.dtype}"))
    vocabulary = vectorizer.get_vocabulary()
    return [str(vocabulary[i]) for i in ids.tolist() if keep_padding or i != 0]


def text_dataset(texts, labels, vectorizer=None, batch_size: int = 32, shuffle: bool = False, seed: int = 0):
    """A batched ``tf.data.Dataset`` of (texts or token ids, labels), ready for ``model.fit``.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Args:
        texts: sequence of str.
        labels: class labels, one per text.
        vectorizer: if given, the texts are mapped to token ids in the data pipeline (so the model itself
            starts at the ``Embedding``); if ``None`` the dataset yields raw strings. Default: ``None``.
        batch_size: examples per batch. Default: ``32``.
        shuffle: reshuffle the examples each epoch (training sets only). Default: ``False``.
        seed: shuffle seed. Default: ``0``.

    Returns:
        ``tf.data.Dataset`` of ``(x, y)`` batches, ``x`` of shape ``(batch,)`` strings or ``(batch, seq_len)``
        ids.

    Raises:
        ValueError: for no texts, a different number of texts and labels, or a bad ``batch_size``/``seed``.
        TypeError: texts that are not strings, labels that are not numbers (map string labels to integer
            ids first), a ``vectorizer`` that is not callable, non-integer ``batch_size``/``seed``.

    Example:
        >>> v = make_vectorizer(["the cat sat", "the dog"], max_tokens=10, seq_len=5)
        >>> ds = text_dataset(["the cat", "a dog"], [1, 0], vectorizer=v, batch_size=2)
        >>> [tuple(x.shape) for x, y in ds]
        [(2, 5)]
    """
    import tensorflow as tf

    texts, label_array = _texts_and_labels(texts, labels, numeric=True)
    arguments.callable_or_none(vectorizer, "vectorizer", "an adapted TextVectorization layer or None")
    batch_size = arguments.positive_int(batch_size, "batch_size")
    shuffle = arguments.boolean(shuffle, "shuffle")
    seed = arguments.seed(seed)
    dataset = tf.data.Dataset.from_tensor_slices((np.asarray(texts, dtype=object), label_array))
    if shuffle:
        dataset = dataset.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if vectorizer is not None:
        dataset = dataset.map(lambda x, y: (vectorizer(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------------------------------------
# Characters: the vocabulary and the batches of a character-level language model (notebook 06)
# ---------------------------------------------------------------------------------------------------------


class CharVocabulary:
    """The characters a language model reads and writes, each with an integer id (its index, sorted).

    Taught in: notebooks/06_language_model.ipynb, section "1. The corpus: 38 plays, split by play".

    Encoding then decoding gives back the text exactly. A character outside the vocabulary is an error, not
    a silent ``[UNK]``: a character model that cannot see a character cannot score it either.

    Args:
        chars: the characters (any iterable of one-character strings, e.g. a text); duplicates are merged.

    Example:
        >>> vocab = CharVocabulary("hello world")
        >>> vocab.chars                      # sorted: id 0 is " "
        (' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w')
        >>> vocab.encode("hello")
        array([3, 2, 4, 4, 5], dtype=int32)
        >>> vocab.decode(vocab.encode("world"))
        'world'
    """

    def __init__(self, chars) -> None:
        if isinstance(chars, str):
            unique = set(chars)
        else:
            try:
                unique = set(chars)
            except TypeError:
                raise TypeError(arguments.message("chars", "a text or an iterable of characters",
                                                  arguments.given(chars), "CharVocabulary")) from None
            bad = [c for c in unique if not (isinstance(c, str) and len(c) == 1)]
            if bad:
                shown = arguments.given(sorted(map(repr, bad))[:5])
                raise TypeError(arguments.message("chars", "one-character strings", shown, "CharVocabulary"))
        if not unique:
            raise ValueError(arguments.message("chars", "at least one character", "none", "CharVocabulary"))
        self.chars: tuple[str, ...] = tuple(sorted(unique))
        self._ids = {c: i for i, c in enumerate(self.chars)}
        # A lookup table over code points makes encoding a NumPy operation (fast for a million characters).
        self._table = np.full(max(map(ord, self.chars)) + 1, -1, dtype=np.int32)
        for i, c in enumerate(self.chars):
            self._table[ord(c)] = i

    def __len__(self) -> int:
        return len(self.chars)

    @property
    def size(self) -> int:
        """The number of characters (the model's number of classes)."""
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocabulary({len(self)} characters: {''.join(self.chars)!r})"

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text``, as an int32 array of shape ``(len(text),)``.

        Raises:
            TypeError: ``text`` is not a string.
            ValueError: ``text`` holds characters outside the vocabulary (the message lists them).
        """
        if not isinstance(text, str):
            raise TypeError(arguments.message("text", "a string", arguments.given(text),
                                              "CharVocabulary.encode"))
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        ids = np.full(codes.shape, -1, dtype=np.int32)
        inside = codes < len(self._table)
        ids[inside] = self._table[codes[inside]]
        if (ids < 0).any():
            unknown = sorted({text[i] for i in np.flatnonzero(ids < 0)})
            first = int(np.flatnonzero(ids < 0)[0])
            raise ValueError(arguments.message(
                "text", f"only characters of the vocabulary ({len(self)} characters)",
                f"{len(unknown)} unknown: {''.join(unknown)!r} (first at position {first})",
                "CharVocabulary.encode"))
        return ids

    def decode(self, ids) -> str:
        """The text of a sequence of ids (a list or a 1-D integer array).

        Raises:
            TypeError, ValueError: not a 1-D sequence of integers in ``[0, size)``.
        """
        array = np.asarray(ids)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise TypeError(arguments.message("ids", "a 1-D sequence of integer ids", arguments.given(ids),
                                              "CharVocabulary.decode"))
        if array.size and (array.min() < 0 or array.max() >= len(self)):
            raise ValueError(arguments.message(
                "ids", f"ids from 0 to {len(self) - 1}", f"ids from {array.min()} to {array.max()}",
                "CharVocabulary.decode"))
        return "".join(self.chars[i] for i in array.tolist())


def tbptt_batches(ids, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets laid out for truncated BPTT with a stateful RNN.

    Taught in: notebooks/06_language_model.ipynb, section "4. An RNN language model in Keras".

    The text is cut into ``batch_size`` contiguous streams, one per batch row; each batch takes the next
    ``seq_len`` steps of every stream. So row ``i`` of batch ``b + 1`` continues row ``i`` of batch ``b``
    exactly where it stopped, and a ``stateful=True`` layer, fed the batches in order, carries its state
    from one window to the next: gradients flow back ``seq_len`` steps, the state flows forward through the
    whole stream. The rows come back stacked batch after batch, so ``model.fit(x, y, batch_size=batch_size,
    shuffle=False)`` feeds them in the right order. The few characters that do not fill a batch are dropped.

    Args:
        ids: the text as a 1-D sequence of integer ids (``CharVocabulary.encode``).
        batch_size: the number of streams, the batch size of the stateful model.
        seq_len: the steps per window (how far back gradients flow).

    Returns:
        ``(x, y)``, two int32 arrays of shape ``(num_batches * batch_size, seq_len)`` where
        ``num_batches = (len(ids) // batch_size - 1) // seq_len``; ``y`` is ``x`` one step later.

    Raises:
        ValueError: the text is too short for one batch, or an argument is not a positive integer.

    Example:
        >>> x, y = tbptt_batches(np.arange(20), batch_size=2, seq_len=3)
        >>> x[:4]                 # batch 0 is rows 0-1, batch 1 rows 2-3: row 2 continues row 0
        array([[ 0,  1,  2],
               [10, 11, 12],
               [ 3,  4,  5],
               [13, 14, 15]], dtype=int32)
        >>> y[0]
        array([1, 2, 3], dtype=int32)
    """
    where = "tbptt_batches"
    batch_size = arguments.positive_int(batch_size, "batch_size", where)
    seq_len = arguments.positive_int(seq_len, "seq_len", where)
    array = arguments.id_sequence(ids, "ids", where)
    stream_len = len(array) // batch_size
    num_batches = (stream_len - 1) // seq_len
    if num_batches < 1:
        raise ValueError(arguments.message(
            "ids", f"at least batch_size * (seq_len + 1) = {batch_size * (seq_len + 1)} ids",
            f"{len(array)}", where))
    streams = array[: stream_len * batch_size].reshape(batch_size, stream_len).astype(np.int32)
    used = num_batches * seq_len
    x = streams[:, :used].reshape(batch_size, num_batches, seq_len).transpose(1, 0, 2)
    y = streams[:, 1:used + 1].reshape(batch_size, num_batches, seq_len).transpose(1, 0, 2)
    return x.reshape(-1, seq_len).copy(), y.reshape(-1, seq_len).copy()
