"""Sequence to sequence: read one text, write another (an encoder-decoder with attention and beam search).

The pieces of a character-level translator, in one place so that notebooks, exercises and tests share them:

- ``Vocabulary`` -- characters with three special ids: padding ``0``, start ``1`` and end ``2``.
- ``teacher_forcing_data`` -- padded batches: the encoder reads the source; the decoder reads the target
  shifted right behind START and learns to write the target followed by END. ``teacher_forced_accuracy``
  scores a model on them.
- ``BahdanauAttention`` -- additive attention, a Keras layer that returns its weights with its output.
- ``seq2seq_model`` -- a GRU encoder and a GRU decoder (and optionally attention), compiled.
- ``Decoder`` -- the trained model's own layers run one decoder step at a time: ``greedy`` and
  ``beam_search`` translate with them; no second model is built.
- ``free_running_data`` -- training arrays where the decoder reads its own outputs (no teacher forcing).
- ``greedy_search``, ``beam_search`` -- the two searches over any step function (a model's, or a table of
  log-probabilities written by hand).
- ``exact_match``, ``char_accuracy``, ``corpus_bleu``, ``sentence_bleu`` -- the scores.

The data (dates and numbers written out, with exact answers) come from ``rnncourse.datasets``:
``make_date_pairs``, ``make_number_pairs`` and ``split_pairs``.

Example:
    >>> from rnncourse.datasets import make_date_pairs
    >>> pairs = make_date_pairs(200, seed=0)
    >>> source_vocab = Vocabulary.from_texts(pairs["source"])
    >>> target_vocab = Vocabulary.from_texts(pairs["target"])
    >>> data = teacher_forcing_data(pairs["source"], pairs["target"], source_vocab, target_vocab)
    >>> model = seq2seq_model(source_vocab.size, target_vocab.size, units=16, attention=True)
    >>> tuple(model(data.inputs).shape)       # (pairs, target length + 1, target vocabulary)
    (200, 11, 14)
    >>> translations = Decoder(model, source_vocab, target_vocab).greedy(pairs["source"][:2], max_length=12)
    >>> len(translations)
    2
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops

from rnncourse import arguments

__all__ = [
    "Vocabulary",
    "TeacherForcingData",
    "teacher_forcing_data",
    "teacher_forced_accuracy",
    "BahdanauAttention",
    "seq2seq_model",
    "Hypothesis",
    "greedy_search",
    "beam_search",
    "Decoder",
    "free_running_data",
    "exact_match",
    "char_accuracy",
    "corpus_bleu",
    "sentence_bleu",
]


# ---------------------------------------------------------------------------------------------------------
# Characters and batches
# ---------------------------------------------------------------------------------------------------------


def _text_list(texts: Any, name: str, where: str) -> list[str]:
    """A non-empty list of non-empty strings (a list, tuple, array or ``pd.Series`` of str)."""
    if isinstance(texts, str):
        raise TypeError(
            arguments.message(
                name, "a sequence of texts (a list of str, not one str)", arguments.given(texts), where
            )
        )
    checked = arguments.texts(texts, name, where)
    empty = [i for i, text in enumerate(checked) if not text]
    if empty:
        raise ValueError(
            arguments.message(name, "non-empty texts", f"an empty text at position {empty[0]}", where)
        )
    return checked


class Vocabulary:
    """Characters with an integer id each, after three special ids: padding 0, START 1 and END 2.

    Taught in: notebooks/07_translation.ipynb, section "1. The task: German number words to digits".

    Unlike ``rnncourse.text.CharVocabulary`` (a language model's characters), a translator needs padding
    (id ``0``, so ``Embedding(..., mask_zero=True)`` masks it), a START token the decoder reads first, and an
    END token it writes last. The characters follow, sorted, from id ``3``. Encoding then decoding gives the
    text back exactly; a character outside the vocabulary is an error that names it.

    Args:
        chars: the characters (a text or any iterable of one-character strings); duplicates are merged.

    Example:
        >>> vocab = Vocabulary("2019-04")
        >>> vocab.tokens
        ('<pad>', '<start>', '<end>', '-', '0', '1', '2', '4', '9')
        >>> vocab.encode("2019", start=True, end=True)
        array([1, 6, 4, 5, 8, 2], dtype=int32)
        >>> vocab.decode([6, 4, 5, 8, 2, 0, 0])          # stops at END
        '2019'
    """

    PAD, START, END = 0, 1, 2
    SPECIALS = ("<pad>", "<start>", "<end>")

    def __init__(self, chars: Iterable[str]) -> None:
        where = "Vocabulary"
        try:
            unique = set(chars)
        except TypeError:
            raise TypeError(
                arguments.message(
                    "chars", "a text or an iterable of characters", arguments.given(chars), where
                )
            ) from None
        bad = [c for c in unique if not (isinstance(c, str) and len(c) == 1)]
        if bad:
            raise TypeError(
                arguments.message(
                    "chars", "one-character strings", arguments.given(sorted(map(repr, bad))[:5]), where
                )
            )
        if not unique:
            raise ValueError(arguments.message("chars", "at least one character", "none", where))
        self.chars: tuple[str, ...] = tuple(sorted(unique))
        self._ids = {c: i + len(self.SPECIALS) for i, c in enumerate(self.chars)}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """The vocabulary of every character in ``texts`` (e.g. the training targets)."""
        return cls("".join(_text_list(list(texts), "texts", "Vocabulary.from_texts")))

    @property
    def size(self) -> int:
        """The number of ids, specials included: the ``input_dim`` of an Embedding, the logits' width."""
        return len(self.chars) + len(self.SPECIALS)

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every id's token, in id order: the three specials, then the characters."""
        return self.SPECIALS + self.chars

    def __len__(self) -> int:
        return self.size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and other.chars == self.chars

    def __hash__(self) -> int:
        return hash(self.chars)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self.chars)} characters + 3 specials: {''.join(self.chars)!r})"

    def encode(self, text: str, start: bool = False, end: bool = False) -> np.ndarray:
        """The ids of ``text``'s characters (int32), after START and before END if asked.

        Raises:
            TypeError: ``text`` is not a string.
            ValueError: ``text`` holds characters outside the vocabulary (the message lists them).
        """
        if not isinstance(text, str):
            raise TypeError(arguments.message("text", "a string", arguments.given(text), "Vocabulary.encode"))
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            first = min(text.index(c) for c in unknown)
            raise ValueError(
                arguments.message(
                    "text",
                    f"only characters of the vocabulary ({''.join(self.chars)!r})",
                    f"{text!r}, with {len(unknown)} unknown: {''.join(unknown)!r} "
                    f"(first at position {first}); was the vocabulary built from other texts?",
                    "Vocabulary.encode",
                )
            )
        ids = [self._ids[c] for c in text]
        return np.array([self.START] * start + ids + [self.END] * end, dtype=np.int32)

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The text of a sequence of ids: stops at the first END, skips padding and START.

        Raises:
            TypeError, ValueError: not a 1-D sequence of integers in ``[0, size)``.
        """
        array = np.asarray(ids)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise TypeError(
                arguments.message(
                    "ids", "a 1-D sequence of integer ids", arguments.given(ids), "Vocabulary.decode"
                )
            )
        if array.size and (array.min() < 0 or array.max() >= self.size):
            raise ValueError(
                arguments.message(
                    "ids",
                    f"ids from 0 to {self.size - 1}",
                    f"ids from {array.min()} to {array.max()}",
                    "Vocabulary.decode",
                )
            )
        text = []
        for i in array.tolist():
            if i == self.END:
                break
            if i >= len(self.SPECIALS):
                text.append(self.chars[i - len(self.SPECIALS)])
        return "".join(text)

    def encode_batch(
        self, texts: Sequence[str], start: bool = False, end: bool = False, length: int | None = None
    ) -> np.ndarray:
        """Encode several texts into one int32 array ``(len(texts), length)``, padded with 0 at the end.

        ``length`` defaults to the longest encoded text; a text longer than ``length`` is an error (it would
        lose its END).
        """
        where = "Vocabulary.encode_batch"
        encoded = [self.encode(text, start, end) for text in _text_list(texts, "texts", where)]
        longest = max(len(ids) for ids in encoded)
        if length is None:
            length = longest
        elif arguments.positive_int(length, "length", where) < longest:
            raise ValueError(
                arguments.message(
                    "length", f"at least {longest} (the longest encoded text)", str(length), where
                )
            )
        batch = np.zeros((len(encoded), length), dtype=np.int32)
        for row, ids in zip(batch, encoded, strict=True):
            row[: len(ids)] = ids
        return batch

    def decode_batch(self, ids: np.ndarray) -> list[str]:
        """Decode each row of a 2-D array of ids (see ``decode``)."""
        array = np.asarray(ids)
        if array.ndim != 2:
            raise TypeError(
                arguments.message(
                    "ids",
                    "a 2-D array of ids, one row per text",
                    f"shape {array.shape}",
                    "Vocabulary.decode_batch",
                )
            )
        return [self.decode(row) for row in array]


class TeacherForcingData(NamedTuple):
    """The arrays of one teacher-forced training set; ``inputs`` is what the model reads.

    Taught in: none of the notebooks (library only; see docs/library.md).

    Fields (all int32, ``0`` is padding): ``encoder_input`` ``(n, source_len)``; ``decoder_input``
    ``(n, target_len + 1)``, START then the target; ``decoder_target`` ``(n, target_len + 1)``, the target
    then END; ``mask`` (bool, the shape of ``decoder_target``), True where a step counts in the loss.
    """

    encoder_input: np.ndarray
    decoder_input: np.ndarray
    decoder_target: np.ndarray
    mask: np.ndarray

    @property
    def inputs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(encoder_input, decoder_input)``: the ``x`` of ``model.fit``."""
        return self.encoder_input, self.decoder_input


def teacher_forcing_data(
    sources: Sequence[str], targets: Sequence[str], source_vocab: Vocabulary, target_vocab: Vocabulary
) -> TeacherForcingData:
    """Padded arrays for training with teacher forcing: the decoder reads the true previous character.

    Taught in: notebooks/07_translation.ipynb, section "1. The task: German number words to digits".

    At step ``t`` the decoder reads target character ``t - 1`` (START at step 0) and must predict character
    ``t`` (END after the last one): ``decoder_input`` is ``decoder_target`` shifted right by one, behind
    START. Rows are padded with ``0`` at the end to the longest row; the model's ``mask_zero`` Embeddings
    and the loss skip the padding.

    Args:
        sources: the texts the encoder reads.
        targets: the texts the decoder must write, one per source.
        source_vocab: the encoder's ``Vocabulary``.
        target_vocab: the decoder's ``Vocabulary``.

    Returns:
        A ``TeacherForcingData``: ``model.fit(data.inputs, data.decoder_target, ...)``.

    Raises:
        TypeError: texts that are not strings, or vocabularies that are not ``Vocabulary``.
        ValueError: no texts, empty texts, different numbers of sources and targets, or a character outside
            its vocabulary.

    Example:
        >>> vocab = Vocabulary("ab")
        >>> data = teacher_forcing_data(["ab", "b"], ["ba", "a"], vocab, vocab)
        >>> data.decoder_input            # START=1, a=3, b=4, padding=0
        array([[1, 4, 3],
               [1, 3, 0]], dtype=int32)
        >>> data.decoder_target           # the same, one step ahead, then END=2
        array([[4, 3, 2],
               [3, 2, 0]], dtype=int32)
    """
    where = "teacher_forcing_data"
    for vocab, name in ((source_vocab, "source_vocab"), (target_vocab, "target_vocab")):
        if not isinstance(vocab, Vocabulary):
            raise TypeError(
                arguments.message(name, "an rnncourse.seq2seq.Vocabulary", arguments.given(vocab), where)
            )
    sources = _text_list(sources, "sources", where)
    targets = _text_list(targets, "targets", where)
    arguments.same_length(sources, targets, ("sources", "targets"), where)
    encoder_input = source_vocab.encode_batch(sources)
    decoder_input = target_vocab.encode_batch(targets, start=True)
    decoder_target = target_vocab.encode_batch(targets, end=True)
    return TeacherForcingData(encoder_input, decoder_input, decoder_target, decoder_target != Vocabulary.PAD)


def teacher_forced_accuracy(model: keras.Model, data: TeacherForcingData, batch_size: int = 256) -> float:
    """The share of target characters (and ENDs) the model predicts right when it reads the true prefix.

    Taught in: notebooks/07_translation.ipynb, section "3. Encoder and decoder, with and without attention".

    Each step's most probable token is compared with ``data.decoder_target`` where ``data.mask`` is True.
    The decoder reads the true previous characters here, not its own: set this beside the exact match of
    free-running decoding (``Decoder.greedy``) to see exposure bias, the gap between the two.

    Args:
        model: a model from ``seq2seq_model``.
        data: the ``TeacherForcingData`` to score.
        batch_size: rows per forward pass. Default: ``256``.

    Returns:
        A share from 0 to 1.

    Example:
        >>> vocab = Vocabulary("0123456789")
        >>> data = teacher_forcing_data(["12", "345"], ["21", "543"], vocab, vocab)
        >>> 0.0 <= teacher_forced_accuracy(seq2seq_model(vocab.size, vocab.size, units=4), data) <= 1.0
        True
    """
    where = "teacher_forced_accuracy"
    if not isinstance(data, TeacherForcingData):
        raise TypeError(
            arguments.message(
                "data", "a TeacherForcingData (from teacher_forcing_data)", arguments.given(data), where
            )
        )
    batch_size = arguments.positive_int(batch_size, "batch_size", where)
    logits = model.predict(data.inputs, batch_size=batch_size, verbose=0)
    right = (logits.argmax(axis=-1) == data.decoder_target) & data.mask
    return float(right.sum() / data.mask.sum())


# ---------------------------------------------------------------------------------------------------------
# Attention and the model
# ---------------------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="rnncourse")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention (Bahdanau et al., 2015): each query step weighs every source step.

    Taught in: notebooks/07_translation.ipynb, section "3. Encoder and decoder, with and without attention".

    For a query ``q_t`` (a decoder state) and the values ``h_s`` (the encoder's outputs), the score is
    ``e_ts = v . tanh(W_q q_t + W_h h_s)``; the weights ``a_ts = softmax_s(e_ts)`` sum to 1 over the source
    steps, padded steps (``values_mask`` False) get weight 0, and the context is ``c_t = sum_s a_ts h_s``.
    With ``W_q = W_h = I`` and ``v = 1`` this is ``keras.layers.AdditiveAttention(use_scale=False)``; the
    projections let queries and values of different sizes meet in ``units`` dimensions.

    Args:
        units: size of the space where queries and values are compared. Default: ``64``.
        **kwargs: passed on to ``keras.layers.Layer`` (e.g. ``name``).

    Call arguments:
        query: float tensor ``(batch, query_steps, query_dim)``.
        values: float tensor ``(batch, source_steps, value_dim)``.
        values_mask: bool tensor ``(batch, source_steps)``, False at padding, or None. Inside a functional
            model Keras passes the mask that an ``Embedding(mask_zero=True)`` set on ``values``; the query's
            mask (the target's padding) becomes the context's mask.

    Returns:
        ``(context, weights)``: shapes ``(batch, query_steps, value_dim)`` and
        ``(batch, query_steps, source_steps)``.

    Example:
        >>> attention = BahdanauAttention(units=8)
        >>> context, weights = attention(np.ones((2, 3, 4)), np.ones((2, 5, 6)),
        ...                              values_mask=np.array([[True] * 5, [True] * 2 + [False] * 3]))
        >>> tuple(context.shape), tuple(weights.shape)
        ((2, 3, 6), (2, 3, 5))
        >>> np.round(keras.ops.convert_to_numpy(weights)[1, 0], 3)    # equal scores; padding gets nothing
        array([0.5, 0.5, 0. , 0. , 0. ], dtype=float32)
    """

    def __init__(self, units: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = arguments.positive_int(units, "units", "BahdanauAttention")

    def build(self, query_shape: tuple, values_shape: tuple, values_mask_shape: tuple | None = None) -> None:
        self.query_kernel = self.add_weight(
            shape=(query_shape[-1], self.units), name="query_kernel", initializer="glorot_uniform"
        )
        self.value_kernel = self.add_weight(
            shape=(values_shape[-1], self.units), name="value_kernel", initializer="glorot_uniform"
        )
        self.score_vector = self.add_weight(
            shape=(self.units,), name="score_vector", initializer="glorot_uniform"
        )

    def call(self, query, values, values_mask=None):
        projected_query = ops.matmul(query, self.query_kernel)[:, :, None, :]  # (batch, T, 1, units)
        projected_values = ops.matmul(values, self.value_kernel)[:, None, :, :]  # (batch, 1, S, units)
        # (batch, T, S): one score per query step and source step
        scores = ops.sum(ops.tanh(projected_query + projected_values) * self.score_vector, axis=-1)
        if values_mask is not None:
            # A large negative score: exp() of it is exactly 0, so padded steps get no weight at all.
            keep = ops.cast(values_mask, scores.dtype)[:, None, :]
            scores = scores - 1e9 * (1.0 - keep)
        weights = ops.softmax(scores, axis=-1)
        return ops.matmul(weights, values), weights

    def compute_mask(self, query, query_mask=None):
        # Keras calls this with the first input and its mask: the context of a padded query step is padding
        # too (without it, ``Concatenate`` would join the decoder's mask with "all steps count").
        return query_mask, None

    def compute_output_shape(self, query_shape, values_shape, values_mask_shape=None):
        return (*query_shape[:2], values_shape[-1]), (*query_shape[:2], values_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}


def seq2seq_model(
    source_vocab_size: int,
    target_vocab_size: int,
    units: int = 128,
    embedding_dim: int = 32,
    attention: bool = False,
    mask_zero: bool = True,
    learning_rate: float = 3e-3,
    clipnorm: float | None = 1.0,
) -> keras.Model:
    """A compiled GRU encoder-decoder for characters, with or without additive attention.

    Taught in: notebooks/07_translation.ipynb, section "3. Encoder and decoder, with and without attention".

    The encoder (``Embedding(mask_zero=True)`` -> ``GRU``) reads the source; its last state starts the
    decoder (``Embedding(mask_zero=True)`` -> ``GRU``), which reads the target shifted right (teacher
    forcing). With ``attention=True`` a ``BahdanauAttention`` layer lets each decoder output look at all the
    encoder's outputs, and the context joins the decoder output before the ``Dense`` layer of logits (the
    arrangement of TensorFlow's NMT tutorial: the decoder itself stays a plain GRU). Padding is masked all
    the way: the encoder's state skips it, attention gives it no weight, the loss ignores it. With
    ``mask_zero=False`` (to measure what the masks are worth) the padding is read like any character: the
    encoder runs over it, attention may look at it, and the loss counts the padded steps.

    The layers are named ``source_embedding``, ``encoder``, ``target_embedding``, ``decoder``, ``attention``
    and ``logits``; ``Decoder`` finds them by these names.

    Args:
        source_vocab_size: ``Vocabulary.size`` of the sources.
        target_vocab_size: ``Vocabulary.size`` of the targets.
        units: units of each GRU (and of the attention). Default: ``128``.
        embedding_dim: size of each character's vector. Default: ``32``.
        attention: add ``BahdanauAttention``. Default: False.
        mask_zero: mask the padding (id 0) in both embeddings, and so everywhere after. Default: True.
        learning_rate: Adam's learning rate. Default: ``3e-3``.
        clipnorm: clip each gradient to this norm, or None. Default: ``1.0``.

    Call arguments:
        inputs: ``(encoder_input, decoder_input)``, int tensors ``(batch, source_len)`` and
            ``(batch, target_len)``.

    Returns:
        A compiled ``keras.Model`` with logits ``(batch, target_len, target_vocab_size)``, trained with
        sparse categorical cross-entropy in nats.

    Example:
        >>> model = seq2seq_model(20, 15, units=8, attention=True)
        >>> [layer.name for layer in model.layers if layer.weights]
        ['source_embedding', 'target_embedding', 'encoder', 'decoder', 'attention', 'logits']
    """
    where = "seq2seq_model"
    source_vocab_size = arguments.integer(source_vocab_size, "source_vocab_size", minimum=4, where=where)
    target_vocab_size = arguments.integer(target_vocab_size, "target_vocab_size", minimum=4, where=where)
    units = arguments.positive_int(units, "units", where)
    embedding_dim = arguments.positive_int(embedding_dim, "embedding_dim", where)
    attention = arguments.boolean(attention, "attention", where)
    mask_zero = arguments.boolean(mask_zero, "mask_zero", where)
    learning_rate = arguments.number(learning_rate, "learning_rate", low=0.0, include_low=False, where=where)
    if clipnorm is not None:
        clipnorm = arguments.number(clipnorm, "clipnorm", low=0.0, include_low=False, where=where)
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")
    embedded_source = keras.layers.Embedding(
        source_vocab_size, embedding_dim, mask_zero=mask_zero, name="source_embedding"
    )(source)
    encoder_outputs, encoder_state = keras.layers.GRU(
        units, return_sequences=True, return_state=True, name="encoder"
    )(embedded_source)
    embedded_target = keras.layers.Embedding(
        target_vocab_size, embedding_dim, mask_zero=mask_zero, name="target_embedding"
    )(target_in)
    outputs = keras.layers.GRU(units, return_sequences=True, name="decoder")(
        embedded_target, initial_state=encoder_state
    )
    if attention:
        context, _ = BahdanauAttention(units, name="attention")(outputs, encoder_outputs)
        outputs = keras.layers.Concatenate(name="with_context")([outputs, context])
    logits = keras.layers.Dense(target_vocab_size, name="logits")(outputs)
    model = keras.Model([source, target_in], logits, name="seq2seq" + "_attention" * attention)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


# ---------------------------------------------------------------------------------------------------------
# Searching for the best output, one decoder step at a time
# ---------------------------------------------------------------------------------------------------------

# A step function: (the last token of each row, int array (rows,), the state) -> (log-probabilities of the
# next token (rows, vocabulary), the new state). The state is an array, or a tuple/dict of arrays, whose first
# axis is the rows; the searches reorder the rows with it.
StepFunction = Callable[[np.ndarray, Any], tuple[np.ndarray, Any]]


class Hypothesis(NamedTuple):
    """One output sequence of a search: its token ids, their total log-probability, and its score.

    Taught in: none of the notebooks (library only; see docs/library.md).

    ``tokens`` excludes START and includes END when the sequence ended; ``log_prob`` is the sum of the
    natural logarithms of each token's probability; ``score`` is ``log_prob / len(tokens) ** length_penalty``,
    what beam search ranks by. ``text`` is filled in by ``Decoder`` (None from the bare searches).
    """

    tokens: tuple[int, ...]
    log_prob: float
    score: float
    text: str | None = None


def _take_rows(state: Any, rows: np.ndarray) -> Any:
    return keras.tree.map_structure(lambda array: np.asarray(array)[rows], state)


def _search_arguments(start_token: Any, end_token: Any, max_length: Any, where: str) -> tuple[int, int, int]:
    start_token = arguments.integer(start_token, "start_token", minimum=0, where=where)
    end_token = arguments.integer(end_token, "end_token", minimum=0, where=where)
    return start_token, end_token, arguments.positive_int(max_length, "max_length", where)


def _checked_log_probs(log_probs: Any, rows: int, where: str) -> np.ndarray:
    array = np.asarray(log_probs, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != rows:
        raise ValueError(
            arguments.message(
                "step", f"log-probabilities of shape ({rows}, vocabulary)", f"shape {array.shape}", where
            )
        )
    return array


def greedy_search(
    step: StepFunction, state: Any, start_token: int, end_token: int, max_length: int
) -> list[Hypothesis]:
    """Write each row's most probable next token, one step at a time, until END (all rows at once).

    Taught in: notebooks/07_translation.ipynb, section "8. Greedy search against beam search".

    Args:
        step: ``step(tokens, state) -> (log_probs, new_state)``; ``tokens`` int ``(rows,)``, ``log_probs``
            ``(rows, vocabulary)``; the state's arrays have the rows first.
        state: the initial state (e.g. the encoder's final state), one row per sequence to write.
        start_token: the id every row starts from (``Vocabulary.START``).
        end_token: the id that ends a row (``Vocabulary.END``).
        max_length: the most tokens a row may have, END included.

    Returns:
        One ``Hypothesis`` per row; a row cut at ``max_length`` has no END.

    Example:
        >>> table = np.log([[0.1, 0.6, 0.3], [0.7, 0.2, 0.1]])   # log P(next | last token), END = 0
        >>> step = lambda tokens, state: (table[tokens], state)
        >>> found = greedy_search(step, np.zeros((2, 1)), start_token=1, end_token=0, max_length=5)
        >>> [h.tokens for h in found]
        [(0,), (0,)]
    """
    where = "greedy_search"
    start_token, end_token, max_length = _search_arguments(start_token, end_token, max_length, where)
    rows = len(keras.tree.flatten(state)[0])
    tokens = np.full(rows, start_token)
    written = np.zeros((rows, 0), dtype=np.int64)
    log_prob = np.zeros(rows)
    done = np.zeros(rows, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        log_probs = _checked_log_probs(log_probs, rows, where)
        tokens = log_probs.argmax(axis=-1)
        log_prob += np.where(done, 0.0, log_probs[np.arange(rows), tokens])
        written = np.concatenate([written, np.where(done, -1, tokens)[:, None]], axis=1)
        done |= tokens == end_token
        if done.all():
            break
    hypotheses = []
    for row, lp in zip(written, log_prob, strict=True):
        seq = tuple(int(t) for t in row if t >= 0)
        hypotheses.append(Hypothesis(seq, float(lp), float(lp)))
    return hypotheses


def beam_search(
    step: StepFunction,
    state: Any,
    start_token: int,
    end_token: int,
    max_length: int,
    beam_width: int = 4,
    length_penalty: float = 0.0,
) -> list[Hypothesis]:
    """Keep the ``beam_width`` most probable beginnings at every step; return the best finished sequences.

    Taught in: notebooks/07_translation.ipynb, section "8. Greedy search against beam search".

    One sequence, its beams run as the rows of one batch. At each step every live beam is extended by every
    token, and the ``beam_width`` most probable extensions survive (a beam that ends with END leaves the beam
    as a finished hypothesis, so the beam may narrow). The search stops when ``beam_width`` hypotheses have
    finished, no beam is left, or after ``max_length`` tokens. Finished hypotheses are ranked by
    ``log_prob / len(tokens) ** length_penalty``: with ``length_penalty=0`` by their probability (which
    favours short outputs), with ``1`` by their mean log-probability per token. With ``beam_width=1`` this is
    greedy search; a wider beam finds sequences at least as probable only in general, not always.

    Args:
        step: ``step(tokens, state) -> (log_probs, new_state)`` as for ``greedy_search``.
        state: the initial state of the sequence, with one row.
        start_token: the id to start from.
        end_token: the id that ends a sequence.
        max_length: the most tokens of a hypothesis, END included.
        beam_width: beams kept at each step (>= 1). Default: ``4``.
        length_penalty: the exponent ``alpha`` of the length normalisation (>= 0). Default: ``0.0``.

    Returns:
        Up to ``beam_width`` ``Hypothesis`` objects, best score first. If none finished within
        ``max_length``, the live beams (without END).

    Example:
        >>> # Tokens a=0, b=1, END=2, START=3; P(next | last token). Greedy takes "a" (0.6) and must then
        >>> # stop, P(a END) = 0.6 * 0.4 = 0.24, but P(b END) = 0.4 * 0.9 = 0.36.
        >>> table = np.log([[0.3, 0.3, 0.4], [0.05, 0.05, 0.9], [1/3, 1/3, 1/3], [0.6, 0.4, 1e-9]])
        >>> step = lambda tokens, state: (table[tokens], state)
        >>> greedy_search(step, np.zeros((1, 1)), start_token=3, end_token=2, max_length=3)[0].tokens
        (0, 2)
        >>> best = beam_search(step, np.zeros((1, 1)), start_token=3, end_token=2, max_length=3, beam_width=2)
        >>> best[0].tokens, round(float(np.exp(best[0].log_prob)), 2)
        ((1, 2), 0.36)
    """
    where = "beam_search"
    beam_width = arguments.integer(beam_width, "beam_width", minimum=1, where=where)
    length_penalty = arguments.number(length_penalty, "length_penalty", low=0.0, where=where)
    start_token, end_token, max_length = _search_arguments(start_token, end_token, max_length, where)
    rows = len(keras.tree.flatten(state)[0])
    if rows != 1:
        raise ValueError(
            arguments.message("state", "the state of one sequence (1 row)", f"{rows} rows", where)
        )

    def scored(tokens: tuple[int, ...], log_prob: float) -> Hypothesis:
        return Hypothesis(tokens, log_prob, log_prob / max(len(tokens), 1) ** length_penalty)

    live: list[tuple[tuple[int, ...], float]] = [((), 0.0)]
    finished: list[Hypothesis] = []
    for _ in range(max_length):
        last = np.array([seq[-1] if seq else start_token for seq, _ in live])
        log_probs, state = step(last, state)
        log_probs = _checked_log_probs(log_probs, len(live), where)
        totals = np.array([lp for _, lp in live])[:, None] + log_probs
        best = np.argsort(-totals, axis=None, kind="stable")[:beam_width]  # ties: the lower index first
        survivors, keep = [], []
        for flat in best.tolist():
            row, token = divmod(flat, totals.shape[1])
            extended = (live[row][0] + (token,), float(totals[row, token]))
            if token == end_token:
                finished.append(scored(*extended))
            elif np.isfinite(extended[1]):
                survivors.append(extended)
                keep.append(row)
        if len(finished) >= beam_width or not survivors:
            break
        live, state = survivors, _take_rows(state, np.array(keep))
    else:
        if not finished:
            finished = [scored(*beam) for beam in live]
    return sorted(finished, key=lambda h: -h.score)[:beam_width]


class Decoder:
    """A trained ``seq2seq_model``'s own layers, run one decoder step at a time to translate.

    Taught in: notebooks/07_translation.ipynb, section "3. Encoder and decoder, with and without attention".

    Training runs the decoder over the whole (known) target at once. To write an unknown target the decoder
    must read its own last output, so it runs step by step: ``encode`` runs the encoder layers; ``step``
    feeds one token per row through the target embedding, the decoder GRU's cell (the very object the
    trained ``GRU`` layer holds, with its weights), the attention and the logits layer. The two small models
    that chain them (``encoder_model`` and ``step_model``) are made of those same layer objects: nothing is
    rebuilt or copied, so train the model further and the ``Decoder`` translates with the new weights.

    Args:
        model: a model from ``seq2seq_model`` (trained or not).
        source_vocab: the sources' ``Vocabulary`` (its size must be the source embedding's ``input_dim``).
        target_vocab: the targets' ``Vocabulary`` (its size must be the number of logits).

    Example:
        >>> vocab = Vocabulary("0123456789")
        >>> decoder = Decoder(seq2seq_model(vocab.size, vocab.size, units=8), vocab, vocab)
        >>> log_probs, state, weights = decoder.step(np.array([Vocabulary.START]), *decoder.encode(["12"]))
        >>> log_probs.shape, float(np.exp(log_probs).sum().round(4))
        ((1, 13), 1.0)
    """

    def __init__(self, model: keras.Model, source_vocab: Vocabulary, target_vocab: Vocabulary) -> None:
        where = "Decoder"
        if not isinstance(model, keras.Model):
            raise TypeError(
                arguments.message("model", "a keras.Model from seq2seq_model", arguments.given(model), where)
            )
        names = {layer.name for layer in model.layers}
        missing = {"source_embedding", "encoder", "target_embedding", "decoder", "logits"} - names
        if missing:
            raise ValueError(
                arguments.message(
                    "model",
                    "a model from seq2seq_model (layers named "
                    "source_embedding, encoder, target_embedding, decoder, logits)",
                    f"a model without {sorted(missing)}",
                    where,
                )
            )
        self.source_embedding = model.get_layer("source_embedding")
        self.encoder = model.get_layer("encoder")
        self.target_embedding = model.get_layer("target_embedding")
        self.decoder = model.get_layer("decoder")
        self.logits = model.get_layer("logits")
        self.attention = model.get_layer("attention") if "attention" in names else None
        for vocab, name, size, what in (
            (
                source_vocab,
                "source_vocab",
                self.source_embedding.input_dim,
                "the source embedding's input_dim",
            ),
            (target_vocab, "target_vocab", self.logits.units, "the number of logits"),
        ):
            if not isinstance(vocab, Vocabulary):
                raise TypeError(
                    arguments.message(name, "an rnncourse.seq2seq.Vocabulary", arguments.given(vocab), where)
                )
            if vocab.size != size:
                raise ValueError(
                    arguments.message(
                        name,
                        f"a vocabulary of {size} ids ({what}): the one the model was built for",
                        f"a vocabulary of {vocab.size} ids",
                        where,
                    )
                )
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.encoder_model, self.step_model = self._build()

    def _build(self) -> tuple[keras.Model, keras.Model]:
        """Two small models made of the trained layers themselves: the encoder, and one decoder step."""
        source = keras.Input(shape=(None,), dtype="int32", name="source")
        encoder_model = keras.Model(source, self.encoder(self.source_embedding(source)), name="encoder_model")
        units = self.decoder.cell.units
        token = keras.Input(shape=(1,), dtype="int32", name="token")
        state = keras.Input(shape=(units,), name="state")
        embedded = self.target_embedding(token)[:, 0]  # (rows, embedding_dim); a token is never padding
        output, new_state = self.decoder.cell(embedded, [state])
        inputs, features, extra = [token, state], output, []
        if self.attention is not None:
            outputs = keras.Input(shape=(None, self.attention.value_kernel.shape[0]), name="outputs")
            mask = keras.Input(shape=(None,), dtype="bool", name="mask")
            context, weights = self.attention(output[:, None], outputs, values_mask=mask)
            inputs += [outputs, mask]
            features = keras.layers.Concatenate(name="with_context")([output, context[:, 0]])
            extra = [weights[:, 0]]
        log_probs = ops.log_softmax(self.logits(features), axis=-1)
        return encoder_model, keras.Model(inputs, [log_probs, new_state[0], *extra], name="decoder_step")

    def encode(self, sources: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Run the encoder: ``(state, memory)``, the decoder's first state and what it attends to.

        ``state`` is ``(rows, units)``; ``memory`` holds the encoder's ``outputs`` ``(rows, source_len,
        units)`` and the source ``mask`` ``(rows, source_len)``, both rows first so a search can reorder them.
        """
        ids = self.source_vocab.encode_batch(_text_list(sources, "sources", "Decoder.encode"))
        outputs, state = self.encoder_model.predict_on_batch(ids)
        # A model trained without masks attends to the padding as well: the decoder does as the model does.
        mask = ids != Vocabulary.PAD if self.source_embedding.mask_zero else np.ones(ids.shape, dtype=bool)
        return state, {"outputs": outputs, "mask": mask}

    def step(
        self, tokens: np.ndarray, state: np.ndarray, memory: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One decoder step for every row: ``(log_probs, new_state, attention weights or None)``.

        ``tokens`` int ``(rows,)`` are the last tokens written (START at first); ``log_probs`` has shape
        ``(rows, target vocabulary)`` and the attention weights ``(rows, source_len)``. The step runs
        ``step_model``, whose layers are the trained model's (``predict_on_batch`` compiles it once, so a
        step costs about a millisecond rather than the tens of a layer-by-layer call).
        """
        inputs = [np.asarray(tokens, dtype=np.int32)[:, None], state]
        if self.attention is None:
            log_probs, new_state = self.step_model.predict_on_batch(inputs)
            return log_probs, new_state, None
        return tuple(self.step_model.predict_on_batch([*inputs, memory["outputs"], memory["mask"]]))

    def _step_function(self, record: list | None = None) -> StepFunction:
        def step(tokens: np.ndarray, state: dict) -> tuple[np.ndarray, dict]:
            log_probs, new_state, weights = self.step(tokens, state["state"], state["memory"])
            if record is not None:
                record.append(weights)
            return log_probs, {"state": new_state, "memory": state["memory"]}

        return step

    def _max_length(self, max_length: int | None, sources: list[str], where: str) -> int:
        if max_length is None:
            return 2 * max(len(s) for s in sources) + 10
        return arguments.positive_int(max_length, "max_length", where)

    def greedy(
        self, sources: Sequence[str], max_length: int | None = None, return_attention: bool = False
    ) -> list[str] | tuple[list[str], list[np.ndarray]]:
        """Translate each source by greedy search, all sources in one batch.

        Args:
            sources: the texts to translate.
            max_length: the most characters written, END included. Default: twice the longest source + 10.
            return_attention: also return each translation's attention weights. Default: False.

        Returns:
            The translations; with ``return_attention``, also one array per source of shape
            ``(written tokens, source length)`` (a model without attention gives empty arrays).
        """
        where = "Decoder.greedy"
        sources = _text_list(sources, "sources", where)
        max_length = self._max_length(max_length, sources, where)
        record: list = []
        state, memory = self.encode(sources)
        hypotheses = greedy_search(
            self._step_function(record),
            {"state": state, "memory": memory},
            Vocabulary.START,
            Vocabulary.END,
            max_length,
        )
        texts = [self.target_vocab.decode(np.array(h.tokens, dtype=np.int64)) for h in hypotheses]
        if not return_attention:
            return texts
        maps = []
        for row, (source, h) in enumerate(zip(sources, hypotheses, strict=True)):
            if self.attention is None:
                maps.append(np.zeros((len(h.tokens), 0)))
            else:
                maps.append(np.stack([w[row, : len(source)] for w in record[: len(h.tokens)]]))
        return texts, maps

    def beam_search(
        self, source: str, beam_width: int = 4, length_penalty: float = 0.0, max_length: int | None = None
    ) -> list[Hypothesis]:
        """Translate one source by beam search (see ``beam_search``): hypotheses best first, with ``text``."""
        where = "Decoder.beam_search"
        if not isinstance(source, str):
            raise TypeError(arguments.message("source", "one text (str)", arguments.given(source), where))
        sources = _text_list([source], "source", where)
        state, memory = self.encode(sources)
        found = beam_search(
            self._step_function(),
            {"state": state, "memory": memory},
            Vocabulary.START,
            Vocabulary.END,
            self._max_length(max_length, sources, where),
            beam_width,
            length_penalty,
        )
        return [h._replace(text=self.target_vocab.decode(np.array(h.tokens, dtype=np.int64))) for h in found]


def free_running_data(decoder: Decoder, sources: Sequence[str], targets: Sequence[str]) -> TeacherForcingData:
    """Training arrays where the decoder reads its own outputs, not the true target: training without teacher
    forcing.

    Taught in: notebooks/07_translation.ipynb, section "4. Teacher forcing, exposure bias, and training on the
    model's own outputs".

    ``decoder`` (the model being trained) translates ``sources`` by greedy search, and its outputs, behind
    START, become ``decoder_input``; ``decoder_target`` and ``mask`` are those of ``teacher_forcing_data``:
    at step ``t`` the model still learns to write the true character ``t``, but after reading what it wrote
    itself at step ``t - 1``, as it will when it translates. Where its output is shorter than the target, the
    decoder reads END for the rest (the steps still count in the loss); where it is longer, it is cut to the
    target's length. The outputs are frozen when this is called: call it again every few batches to keep
    them the model's own (backpropagation does not pass through the choice of each token).

    Args:
        decoder: a ``Decoder`` of the model being trained.
        sources: the texts the encoder reads.
        targets: the texts the decoder must write, one per source.

    Returns:
        A ``TeacherForcingData`` whose ``decoder_input`` holds the model's own greedy outputs.

    Example:
        >>> vocab = Vocabulary("0123456789")
        >>> decoder = Decoder(seq2seq_model(vocab.size, vocab.size, units=4), vocab, vocab)
        >>> data = free_running_data(decoder, ["12", "345"], ["21", "543"])
        >>> data.decoder_input.shape, data.decoder_input[:, 0].tolist()   # START, then its own guesses
        ((2, 4), [1, 1])
    """
    where = "free_running_data"
    if not isinstance(decoder, Decoder):
        raise TypeError(
            arguments.message("decoder", "an rnncourse.seq2seq.Decoder", arguments.given(decoder), where)
        )
    truth = teacher_forcing_data(sources, targets, decoder.source_vocab, decoder.target_vocab)
    width = truth.decoder_target.shape[1]
    state, memory = decoder.encode(list(sources))
    written = greedy_search(
        decoder._step_function(), {"state": state, "memory": memory}, Vocabulary.START, Vocabulary.END, width
    )
    own = np.full(truth.decoder_input.shape, Vocabulary.END, dtype=np.int32)
    own[:, 0] = Vocabulary.START
    for row, hypothesis in enumerate(written):
        tokens = hypothesis.tokens[: width - 1]
        own[row, 1 : 1 + len(tokens)] = tokens
    own[~truth.mask] = Vocabulary.PAD  # the target's padding stays padding
    return truth._replace(decoder_input=own)


# ---------------------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------------------


def _pairs(references: Any, hypotheses: Any, where: str) -> tuple[list[str], list[str]]:
    for value, name in ((references, "references"), (hypotheses, "hypotheses")):
        if isinstance(value, str):
            raise TypeError(
                arguments.message(
                    name, "a sequence of texts (a list of str, not one str)", arguments.given(value), where
                )
            )
    references = arguments.texts(references, "references", where)
    hypotheses = arguments.texts(hypotheses, "hypotheses", where)
    arguments.same_length(references, hypotheses, ("references", "hypotheses"), where)
    return references, hypotheses


def exact_match(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """The share of hypotheses equal to their reference, character for character.

    Taught in: notebooks/07_translation.ipynb, section "2. What a model must beat".

    Example:
        >>> exact_match(["2019-04-22", "97"], ["2019-04-22", "79"])
        0.5
    """
    references, hypotheses = _pairs(references, hypotheses, "exact_match")
    return float(np.mean([r == h for r, h in zip(references, hypotheses, strict=True)]))


def char_accuracy(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """The share of character positions right: same character at the same position.

    Taught in: notebooks/07_translation.ipynb, section "2. What a model must beat".

    Each pair counts ``max(len(reference), len(hypothesis))`` positions, so a missing or an extra character
    counts as wrong. (Pairs that are both empty count nothing; if all are, the accuracy is 1.)

    Example:
        >>> char_accuracy(["2019", "97"], ["2018", "979"])     # 3 of 4, then 2 of 3
        0.7142857142857143
    """
    references, hypotheses = _pairs(references, hypotheses, "char_accuracy")
    right = sum(
        sum(a == b for a, b in zip(r, h, strict=False)) for r, h in zip(references, hypotheses, strict=True)
    )
    total = sum(max(len(r), len(h)) for r, h in zip(references, hypotheses, strict=True))
    return right / total if total else 1.0


TOKENIZERS = ("char", "none")


def _tokens(text: str, tokenize: str) -> list[str]:
    # As sacrebleu's tokenize="char" (every character but white space) and tokenize="none" (white space).
    return [c for c in text if not c.isspace()] if tokenize == "char" else text.split()


def _bleu_statistics(
    reference: str, hypothesis: str, max_order: int, tokenize: str
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Clipped n-gram matches and n-gram counts of the hypothesis (n = 1 .. max_order), and both lengths."""
    ref, hyp = _tokens(reference, tokenize), _tokens(hypothesis, tokenize)
    matches, counts = np.zeros(max_order, dtype=np.int64), np.zeros(max_order, dtype=np.int64)
    for n in range(1, max_order + 1):
        hyp_ngrams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
        ref_ngrams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
        matches[n - 1] = sum((hyp_ngrams & ref_ngrams).values())  # each n-gram counts at most as in the ref
        counts[n - 1] = sum(hyp_ngrams.values())
    return matches, counts, len(hyp), len(ref)


def _bleu(
    matches: np.ndarray, counts: np.ndarray, hyp_len: int, ref_len: int, effective_order: bool
) -> float:
    if hyp_len < ref_len:
        brevity_penalty = math.exp(1.0 - ref_len / hyp_len) if hyp_len > 0 else 0.0
    else:
        brevity_penalty = 1.0
    if matches.sum() == 0:
        return 0.0
    # Orders without a single match get the "exp" smoothing of sacrebleu (NIST's mteval-v13a): 1 / (2^k n).
    log_precisions, halvings = [], 0
    for n_matches, n_count in zip(matches.tolist(), counts.tolist(), strict=True):
        if n_count == 0:
            break
        if n_matches == 0:
            halvings += 1
            log_precisions.append(math.log(1.0 / (2**halvings * n_count)))
        else:
            log_precisions.append(math.log(n_matches / n_count))
    order = len(log_precisions) if effective_order else len(matches)
    if len(log_precisions) < order:  # a hypothesis too short for the highest orders: no precision, no BLEU
        return 0.0
    return 100.0 * brevity_penalty * math.exp(sum(log_precisions) / order)


def _bleu_arguments(max_order: Any, tokenize: Any, where: str) -> tuple[int, str]:
    return (
        arguments.positive_int(max_order, "max_order", where),
        arguments.one_of(tokenize, "tokenize", TOKENIZERS, where),
    )


def corpus_bleu(
    references: Sequence[str], hypotheses: Sequence[str], max_order: int = 4, tokenize: str = "char"
) -> float:
    """Corpus BLEU on the 0-100 scale, as ``sacrebleu.corpus_bleu`` computes it with one reference each.

    Taught in: notebooks/07_translation.ipynb, section "9. BLEU beside exact match".

    The geometric mean of the n-gram precisions for n = 1 .. ``max_order`` (matches clipped to the counts in
    the reference, summed over the corpus before dividing), times the brevity penalty
    ``exp(1 - ref_len / hyp_len)`` when the hypotheses are shorter in total than the references. An order
    without a single match is smoothed as sacrebleu does by default ("exp"). ``tokenize="char"`` compares
    characters (white space dropped), the natural unit for dates and numbers; ``"none"`` splits on white
    space (sacrebleu's own default, "13a", also splits off punctuation).

    Args:
        references: the right answers.
        hypotheses: the model's outputs, one per reference.
        max_order: the longest n-grams. Default: ``4``.
        tokenize: "char" or "none". Default: "char".

    Returns:
        BLEU from 0 to 100 (``sacrebleu.corpus_bleu(hypotheses, [references], tokenize=...).score``).

    Example:
        >>> corpus_bleu(["2019-04-22"], ["2019-04-22"])
        100.0
        >>> round(corpus_bleu(["2019-04-22"], ["2019-04-21"]), 2)
        88.01
    """
    where = "corpus_bleu"
    max_order, tokenize = _bleu_arguments(max_order, tokenize, where)
    references, hypotheses = _pairs(references, hypotheses, where)
    if not references:
        raise ValueError(arguments.message("references", "at least one text", "none", where))
    totals = [np.zeros(max_order, dtype=np.int64), np.zeros(max_order, dtype=np.int64), 0, 0]
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        for i, value in enumerate(_bleu_statistics(reference, hypothesis, max_order, tokenize)):
            totals[i] = totals[i] + value
    return _bleu(*totals, effective_order=False)


def sentence_bleu(reference: str, hypothesis: str, max_order: int = 4, tokenize: str = "char") -> float:
    """BLEU of one hypothesis against its reference, as ``sacrebleu.sentence_bleu`` computes it.

    Taught in: notebooks/07_translation.ipynb, section "9. BLEU beside exact match".

    As ``corpus_bleu`` for a corpus of one, except that orders longer than the hypothesis are left out of
    the mean (sacrebleu's "effective order", the default for one sentence): a two-character answer is scored
    on characters and pairs of characters.

    Example:
        >>> round(sentence_bleu("97", "97"), 2), round(sentence_bleu("97", "79"), 2)
        (100.0, 70.71)
    """
    where = "sentence_bleu"
    max_order, tokenize = _bleu_arguments(max_order, tokenize, where)
    for value, name in ((reference, "reference"), (hypothesis, "hypothesis")):
        if not isinstance(value, str):
            raise TypeError(arguments.message(name, "one text (str)", arguments.given(value), where))
    return _bleu(*_bleu_statistics(reference, hypothesis, max_order, tokenize), effective_order=True)
