"""Character-level language models: build one, score it in bits per character, and let it write.

A language model reads a text one character at a time and predicts the next one. These functions are the
pieces notebook 06 uses, in one place so the notebook, its exercises and the benchmark share them:

- ``char_model`` -- Embedding, one or more recurrent layers (``VanillaRNN``, ``LSTM`` or ``GRU``) and a
  Dense layer of logits; stateless, or stateful with a fixed batch size for truncated BPTT.
- ``stateful_copy`` -- the same model and weights, stateful, for streaming one character at a time.
- ``reset_states`` -- clear the state of every stateful layer (``ResetStatesCallback`` does it each epoch).
- ``model_bits_per_char`` -- held-out bits per character, the state carried through the whole text.
- ``model_log2_probs`` -- the same, character by character (to score an n-gram on the same characters).
- ``sample_from_logits`` -- one draw with a temperature (0 is greedy) and an optional top-k, seeded.
- ``generate`` -- write text one character at a time with a stateful model.
- ``sample_statistics`` -- numbers to put beside a sample: known words, repeats, mean log-likelihood.
- ``influence_by_lag`` -- how much a character k steps back moves the next-character prediction.
- ``load_study`` -- the committed cell x depth table of ``studies/char_models.py``.
- ``load_curves``, ``load_best_model`` -- its learning curves, and the long run's best model.

Everything runs on every Keras backend: the models are Keras layers and the sampling is NumPy on the
logits that ``keras.ops.convert_to_numpy`` hands back.

Example:
    >>> from rnncourse.text import CharVocabulary
    >>> vocab = CharVocabulary("abc ")
    >>> model = char_model(vocab.size, units=8)
    >>> text, log2_probs = generate(stateful_copy(model), vocab, "ab", length=5, temperature=1.0, seed=0)
    >>> len(text), log2_probs.shape
    (5, (5,))
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import keras
import numpy as np

from rnncourse import arguments, experiments
from rnncourse.layers import VanillaRNN
from rnncourse.min_rnn import MODES, MinGRU
from rnncourse.text import CharVocabulary

__all__ = [
    "CELLS",
    "char_model",
    "stateful_copy",
    "reset_states",
    "ResetStatesCallback",
    "model_bits_per_char",
    "model_log2_probs",
    "sample_from_logits",
    "generate",
    "sample_statistics",
    "time_per_char",
    "influence_by_lag",
    "load_study",
    "load_curves",
    "load_best_model",
]

CELLS = ("vanilla", "lstm", "gru", "mingru")


def _recurrent_layer(cell: str, units: int, stateful: bool, name: str, mode: str) -> keras.layers.Layer:
    if cell == "vanilla":
        return VanillaRNN(units, return_sequences=True, stateful=stateful, name=name)
    if cell == "mingru":
        return MinGRU(units, mode=mode, return_sequences=True, name=name)
    layer = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
    return layer(units, return_sequences=True, stateful=stateful, name=name)


def char_model(vocab_size: int, units: int = 256, cell: str = "vanilla", num_layers: int = 1,
               embedding_dim: int = 32, batch_size: int | None = None, stateful: bool = False,
               learning_rate: float = 3e-3, clipnorm: float | None = 1.0, mode: str = "parallel"
               ) -> keras.Model:
    """A compiled character language model: ids in, next-character logits out at every step.

    Taught in: notebooks/06_language_model.ipynb, section "4. An RNN language model in Keras".

    ``Embedding(vocab_size, embedding_dim)`` -> ``num_layers`` recurrent layers of ``units`` (all with
    ``return_sequences=True``) -> ``Dense(vocab_size)``. Compiled with Adam (gradient norm clipped to
    ``clipnorm``) and sparse categorical cross-entropy on the logits, in nats: divide by ``ln 2`` for bits.

    Args:
        vocab_size: the number of characters, ``CharVocabulary.size``.
        units: units per recurrent layer. Default: ``256``.
        cell: "vanilla" (``rnncourse.layers.VanillaRNN``), "lstm", "gru" or "mingru"
            (``rnncourse.min_rnn.MinGRU``, which cannot be stateful). Default: "vanilla".
        num_layers: stacked recurrent layers. Default: ``1``.
        embedding_dim: size of each character's learned vector. Default: ``32``.
        batch_size: a fixed batch size (needed when ``stateful``), or None. Default: None.
        stateful: carry each layer's final state into the next batch (truncated BPTT). Default: False.
        learning_rate: Adam's learning rate. Default: ``3e-3``.
        clipnorm: clip each gradient to this norm, or None. Default: ``1.0``.
        mode: how a "mingru" layer computes its recurrence, one of ``min_rnn.MODES`` (the same model
            whichever; on a CPU "sequential" trains fastest). Ignored by the other cells. Default: "parallel".

    Call arguments:
        ids: int tensor of shape ``(batch, timesteps)``.

    Returns:
        A compiled ``keras.Sequential`` whose output has shape ``(batch, timesteps, vocab_size)``.

    Example:
        >>> model = char_model(vocab_size=60, units=16)
        >>> tuple(model(np.zeros((2, 7), dtype="int32")).shape)     # logits at every step
        (2, 7, 60)
    """
    where = "char_model"
    vocab_size = arguments.integer(vocab_size, "vocab_size", minimum=2, where=where)
    units = arguments.positive_int(units, "units", where)
    cell = arguments.one_of(cell, "cell", CELLS, where)
    num_layers = arguments.positive_int(num_layers, "num_layers", where)
    embedding_dim = arguments.positive_int(embedding_dim, "embedding_dim", where)
    stateful = arguments.boolean(stateful, "stateful", where)
    mode = arguments.one_of(mode, "mode", MODES, where)
    if stateful and cell == "mingru":
        raise ValueError(arguments.message("stateful", "False for cell='mingru' (a MinGRU layer takes its "
                                           "state as initial_state and keeps none between batches)", "True",
                                           where))
    if batch_size is not None:
        batch_size = arguments.positive_int(batch_size, "batch_size", where)
    elif stateful:
        raise ValueError(arguments.message("batch_size", "a positive integer when stateful=True (a stateful "
                                           "layer keeps one state per batch row)", "None", where))
    learning_rate = arguments.number(learning_rate, "learning_rate", low=0.0, include_low=False, where=where)
    if clipnorm is not None:
        clipnorm = arguments.number(clipnorm, "clipnorm", low=0.0, include_low=False, where=where)
    layers = [keras.Input(batch_shape=(batch_size, None), dtype="int32"),
              keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")]
    layers += [_recurrent_layer(cell, units, stateful, f"{cell}_{i + 1}", mode) for i in range(num_layers)]
    layers.append(keras.layers.Dense(vocab_size, name="logits"))
    model = keras.Sequential(layers, name=f"char_{cell}_{num_layers}x{units}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def stateful_copy(model: keras.Model, batch_size: int = 1) -> keras.Model:
    """The same model with the same weights, but stateful with a fixed batch size (1: one text at a time).

    Taught in: notebooks/06_language_model.ipynb, section "4. An RNN language model in Keras".

    Fed one character per call, the copy keeps its hidden state between calls: it streams. Running a whole
    sequence through the original gives the same outputs (notebook 06 asserts it).

    Args:
        model: a ``keras.Sequential`` (e.g. from ``char_model``).
        batch_size: the fixed batch size of the copy. Default: ``1``.

    Returns:
        A new stateful ``keras.Sequential`` sharing no variables with ``model``, states reset.
    """
    batch_size = arguments.positive_int(batch_size, "batch_size", "stateful_copy")
    if not isinstance(model, keras.Sequential):
        raise TypeError(arguments.message("model", "a keras.Sequential (as built by char_model)",
                                          arguments.given(model), "stateful_copy"))
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = layer["config"]["batch_shape"]
            layer["config"]["batch_shape"] = (batch_size, *tuple(shape)[1:])
        elif "stateful" in layer["config"]:
            layer["config"]["stateful"] = True
        build = layer.get("build_config") or {}
        if build.get("input_shape"):  # each layer was built for the original batch size
            build["input_shape"] = (batch_size, *tuple(build["input_shape"])[1:])
    copy = keras.Sequential.from_config(config)
    copy.set_weights(model.get_weights())
    reset_states(copy)
    return copy


def reset_states(model: keras.Model) -> None:
    """Set the state of every stateful recurrent layer of ``model`` back to zeros.

    Taught in: notebooks/06_language_model.ipynb, section "9. Streaming, one character at a time".
    """
    for layer in model.layers:
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
            layer.reset_states()


class ResetStatesCallback(keras.callbacks.Callback):
    """Reset a stateful model's states at the start of every epoch (each epoch starts its streams anew).

    Taught in: notebooks/06_language_model.ipynb, section "4. An RNN language model in Keras".
    """

    def on_epoch_begin(self, epoch, logs=None):
        reset_states(self.model)


def _run(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """The model's outputs for one batch, as NumPy, with the stateful layers' states carried to the next call.

    `predict_on_batch` runs the compiled predict step: an order of magnitude quicker per call than an eager
    `model(x)` on TensorFlow, and the state variables are updated all the same. Keras's JAX trainer runs
    prediction as a pure function and does not write the stateful layers' states back (measured with
    Keras 3.15: one character at a time then gives the outputs of a model reset before every character), so
    on JAX the model is called directly.
    """
    if keras.backend.backend() == "jax":
        return keras.ops.convert_to_numpy(model(x, training=False))
    return keras.ops.convert_to_numpy(model.predict_on_batch(x))


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def model_log2_probs(model: keras.Model, ids, batch_size: int = 32, seq_len: int = 200) -> np.ndarray:
    """``log2 p(character)`` of every character of a held-out text, the state carried through the text.

    Taught in: notebooks/06_language_model.ipynb, section "7. The verdict against the n-gram".

    The text is cut into ``batch_size`` contiguous streams (the last one padded) and run through a stateful
    copy of the model ``seq_len`` steps at a time, so each character is predicted from everything before it
    in its stream. Every character is scored except the first of each stream, which nothing precedes there:
    its entry is NaN. Score an n-gram model on exactly the same characters with
    ``ngram.log2_probs(ids)[~np.isnan(log2_probs)]``.

    Args:
        model: a model from ``char_model`` (stateless or stateful).
        ids: the held-out text as a 1-D sequence of ids.
        batch_size: streams run side by side (speed only). Default: ``32``.
        seq_len: steps per call (speed only). Default: ``200``.

    Returns:
        float64 array of shape ``(len(ids),)``: ``log2 p`` of each character, NaN where not scored.

    Raises:
        ValueError: if the text has fewer than ``2 * batch_size`` characters, or an argument is not a
            positive integer.

    Example:
        >>> model = char_model(vocab_size=5, units=4)
        >>> log2_p = model_log2_probs(model, np.arange(100) % 5, batch_size=4, seq_len=10)
        >>> log2_p.shape, int(np.isnan(log2_p).sum())      # the first character of each of 4 streams
        ((100,), 4)
    """
    where = "model_log2_probs"
    batch_size = arguments.positive_int(batch_size, "batch_size", where)
    seq_len = arguments.positive_int(seq_len, "seq_len", where)
    ids = arguments.id_sequence(ids, "ids", where)
    if len(ids) < 2 * batch_size:
        raise ValueError(arguments.message("ids", f"at least 2 * batch_size = {2 * batch_size} ids",
                                           f"{len(ids)}", where))
    stream_len = -(-len(ids) // batch_size)                # ceil: the last stream is padded
    steps = -(-(stream_len - 1) // seq_len) * seq_len       # targets per stream, in whole windows
    padded = np.zeros(batch_size * (steps + 1), dtype=np.int32)
    padded.reshape(batch_size, steps + 1)[:, :stream_len] = np.pad(
        ids, (0, batch_size * stream_len - len(ids))).reshape(batch_size, stream_len)
    streams = padded.reshape(batch_size, steps + 1)
    runner = stateful_copy(model, batch_size)
    log2_p = np.empty((batch_size, steps))
    for start in range(0, steps, seq_len):
        logits = _run(runner, streams[:, start:start + seq_len])
        targets = streams[:, start + 1:start + seq_len + 1, None]
        log2_p[:, start:start + seq_len] = np.take_along_axis(
            _log_softmax(logits.astype(np.float64)), targets, axis=-1)[..., 0] / np.log(2.0)
    out = np.full(len(ids), np.nan)
    positions = np.arange(batch_size)[:, None] * stream_len + np.arange(1, stream_len)[None, :]
    scored = log2_p[:, :stream_len - 1]
    inside = positions < len(ids)
    out[positions[inside]] = scored[inside]
    return out


def model_bits_per_char(model: keras.Model, ids, batch_size: int = 32, seq_len: int = 200) -> float:
    """Bits per character of a model on a held-out text, the state carried through the whole text.

    Taught in: notebooks/06_language_model.ipynb, section "4. An RNN language model in Keras".

    The mean of ``-model_log2_probs(...)`` over the characters it scores: every character but the first of
    each of the ``batch_size`` streams, each predicted from all that came before it in its stream, as an
    n-gram model predicts from its whole context.

    Args:
        model: a model from ``char_model`` (stateless or stateful).
        ids: the held-out text as ids.
        batch_size: streams run side by side (speed only). Default: ``32``.
        seq_len: steps per call (speed only). Default: ``200``.

    Returns:
        Mean ``-log2 p(true character)`` over the characters scored.
    """
    return float(-np.nanmean(model_log2_probs(model, ids, batch_size, seq_len)))


def sample_from_logits(logits, temperature: float = 1.0, top_k: int | None = None,
                       rng: np.random.Generator | int | None = None,
                       top_p: float | None = None) -> np.ndarray:
    """Draw one class per row of logits, from ``softmax(logits / temperature)``, optionally truncated.

    Taught in: notebooks/06_language_model.ipynb, section "3. A language model in NumPy".

    Temperature 1 samples the model's own distribution; below 1 sharpens it (safer, more repetitive); above
    1 flattens it (more varied, more mistakes); 0 is the limit: always the most likely class (argmax).
    Two truncations cut off the unlikely tail, where most mistakes come from: **top-k** keeps the k most
    likely classes, whatever their probabilities; **top-p** (nucleus sampling) keeps the fewest most likely
    classes whose probabilities, after the temperature, add up to at least p: few where the model is sure,
    many where it is not. Both apply if both are given.

    Args:
        logits: array-like of shape ``(num_classes,)`` or ``(batch, num_classes)``.
        temperature: >= 0. Default: ``1.0``.
        top_k: keep only the k largest logits before sampling, or None for all. Default: None.
        rng: a ``np.random.Generator`` or a seed (None: unseeded). Default: None.
        top_p: keep the smallest set of most likely classes with probability >= top_p, in (0, 1], or None
            for all. Default: None.

    Returns:
        int64 array of shape ``()`` for one row of logits, ``(batch,)`` otherwise.

    Example:
        >>> int(sample_from_logits([0.0, 3.0, 1.0], temperature=0))
        1
        >>> int(sample_from_logits([0.0, 3.0, 1.0], temperature=1.0, rng=0)) in (0, 1, 2)
        True
        >>> int(sample_from_logits([0.0, 3.0, 1.0], top_p=0.8, rng=0))   # p = 0.04, 0.84, 0.11: only 1 kept
        1
    """
    where = "sample_from_logits"
    values = arguments.numeric_array(logits, "logits", dtype=np.float64)
    if values.ndim not in (1, 2) or values.shape[-1] < 1:
        raise ValueError(arguments.message("logits", "shape (num_classes,) or (batch, num_classes)",
                                           f"shape {values.shape}", where))
    temperature = arguments.number(temperature, "temperature", low=0.0, where=where)
    rows = np.atleast_2d(values)
    if top_k is not None:
        top_k = arguments.integer(top_k, "top_k", minimum=1, maximum=rows.shape[-1], where=where)
    if top_p is not None:
        top_p = arguments.number(top_p, "top_p", low=0.0, high=1.0, include_low=False, where=where)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(arguments.seed(rng, "rng", where))
    if temperature == 0.0:
        choice = rows.argmax(axis=-1)
    else:
        scaled = rows / temperature
        if top_k is not None:
            kth = np.sort(scaled, axis=-1)[:, -top_k][:, None]
            scaled = np.where(scaled >= kth, scaled, -np.inf)
        probs = np.exp(_log_softmax(scaled))
        if top_p is not None:
            order = np.argsort(-probs, axis=-1, kind="stable")
            sorted_probs = np.take_along_axis(probs, order, axis=-1)
            before = np.cumsum(sorted_probs, axis=-1) - sorted_probs    # mass of the more likely classes
            keep = np.zeros_like(probs, dtype=bool)
            np.put_along_axis(keep, order, before < top_p, axis=-1)      # the first class is always kept
            probs = np.where(keep, probs, 0.0)
        # Inverse-CDF draw: one uniform number per row, the same draws on every platform for a seed.
        cumulative = np.cumsum(probs, axis=-1)
        u = rng.random((rows.shape[0], 1)) * cumulative[:, -1:]
        choice = np.minimum((cumulative <= u).sum(axis=-1), rows.shape[-1] - 1)
    choice = choice.astype(np.int64)
    return choice[0] if values.ndim == 1 else choice


def generate(model: keras.Model, vocab: CharVocabulary, prompt: str, length: int, temperature: float = 1.0,
             top_k: int | None = None, seed: int | None = 0, top_p: float | None = None
             ) -> tuple[str, np.ndarray]:
    """Write ``length`` characters after ``prompt``, one character per call of a stateful model.

    Taught in: notebooks/06_language_model.ipynb, section "4. An RNN language model in Keras".

    The states are reset, the prompt is read one character per call, then each drawn character is fed back
    as the next input while the layer keeps its state: nothing is recomputed, so each character costs one
    step (and every call has the same shape, so the compiled predict step is traced once).

    Args:
        model: a stateful model with batch size 1 (``stateful_copy(model)``).
        vocab: the model's ``CharVocabulary``.
        prompt: the text to continue (at least one character of the vocabulary).
        length: the number of characters to write.
        temperature: see ``sample_from_logits``. Default: ``1.0``.
        top_k: see ``sample_from_logits``. Default: None.
        seed: seed of the draws. Default: ``0``.
        top_p: see ``sample_from_logits``. Default: None.

    Returns:
        ``(text, log2_probs)``: the written text (without the prompt) and, for each written character, its
        log2 probability under the model itself (temperature 1, no truncation).
    """
    where = "generate"
    if not isinstance(vocab, CharVocabulary):
        raise TypeError(arguments.message("vocab", "a CharVocabulary", arguments.given(vocab), where))
    length = arguments.positive_int(length, "length", where)
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(arguments.message("prompt", "a non-empty string", arguments.given(prompt), where))
    batch = model.inputs[0].shape[0] if getattr(model, "inputs", None) else None
    if batch != 1 or not any(getattr(layer, "stateful", False) for layer in model.layers):
        raise ValueError(arguments.message("model", "a stateful model with batch size 1 (use "
                                           "stateful_copy(model))", f"batch size {batch}", where))
    rng = np.random.default_rng(arguments.seed(seed, "seed", where))
    reset_states(model)
    for prompt_id in vocab.encode(prompt):
        logits = _run(model, np.array([[prompt_id]], dtype=np.int32))
    logits = logits[0, -1]
    chosen, log2_probs = [], []
    for _ in range(length):
        logits = logits.astype(np.float64)
        next_id = int(sample_from_logits(logits, temperature, top_k, rng, top_p=top_p))
        log2_probs.append(_log_softmax(logits)[next_id] / np.log(2.0))
        chosen.append(next_id)
        step = np.array([[next_id]], dtype=np.int32)
        logits = _run(model, step)[0, -1]
    return vocab.decode(chosen), np.array(log2_probs)


def time_per_char(model: keras.Model, length: int = 200, rounds: int = 3) -> float:
    """Seconds per character of a stateful batch-1 model fed one character per call (lowest of ``rounds``).

    Taught in: notebooks/06_language_model.ipynb, section "9. Streaming, one character at a time".

    Args:
        model: a stateful model with batch size 1.
        length: characters per round. Default: ``200``.
        rounds: repetitions; the fastest counts (the others were slowed by whatever else ran). Default: 3.
    """
    length = arguments.positive_int(length, "length", "time_per_char")
    rounds = arguments.positive_int(rounds, "rounds", "time_per_char")
    step = np.zeros((1, 1), dtype=np.int32)
    _run(model, step)  # warm up (compiles the predict step)
    best = np.inf
    for _ in range(rounds):
        reset_states(model)
        start = time.perf_counter()
        for _ in range(length):
            _run(model, step)
        best = min(best, (time.perf_counter() - start) / length)
    return float(best)


_WORD = re.compile(r"[A-Za-z']+")


def sample_statistics(text: str, known_words: Iterable[str], log2_probs=None, n: int = 3,
                      min_letters: int = 3) -> dict:
    """Numbers that describe a generated text, so samples can be compared without eyeballing them.

    Taught in: notebooks/06_language_model.ipynb, section "4. An RNN language model in Keras".

    Args:
        text: the generated text.
        known_words: the words of the training text (compared in lower case).
        log2_probs: the model's log2 probability of each generated character (from ``generate``), or None.
        n: the word n-gram length for the repeat count. Default: ``3``.
        min_letters: only words of at least this many letters count for ``known_words``: short ones come
            by chance (random letters already make "a", "to", "he" often). Default: ``3``.

    Returns:
        A dict with ``words`` (how many), ``known_words`` (share of the words of ``min_letters`` letters or
        more found among ``known_words``; NaN if there are none),
        ``repeated_ngrams`` (share of word n-grams that occurred earlier in the text: loops),
        ``distinct_chars``, and ``bits_per_char`` (mean ``-log2 p`` under the model; NaN without
        ``log2_probs``).

    Example:
        >>> stats = sample_statistics("to be or not to be or nought", {"to", "be", "or", "not"})
        >>> stats["known_words"], round(stats["repeated_ngrams"], 3)   # "not" known, "nought" not
        (0.5, 0.167)
    """
    if not isinstance(text, str):
        raise TypeError(arguments.message("text", "a string", arguments.given(text), "sample_statistics"))
    n = arguments.positive_int(n, "n", "sample_statistics")
    min_letters = arguments.positive_int(min_letters, "min_letters", "sample_statistics")
    known = {word.lower() for word in known_words}
    words = [word.lower().strip("'") for word in _WORD.findall(text)]
    words = [word for word in words if word]
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    seen: set[tuple] = set()
    repeats = 0
    for gram in grams:
        repeats += gram in seen
        seen.add(gram)
    bits = float(-np.mean(log2_probs)) if log2_probs is not None and len(log2_probs) else float("nan")
    long = [word for word in words if sum(ch.isalpha() for ch in word) >= min_letters]
    return {
        "words": len(words),
        "known_words": float(np.mean([w in known for w in long])) if long else float("nan"),
        "repeated_ngrams": repeats / len(grams) if grams else 0.0,
        "distinct_chars": len(set(text)),
        "bits_per_char": bits,
    }


def influence_by_lag(model: keras.Model, ids, lags: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
                     window: int = 80, samples: int = 256, seed: int = 0) -> dict[int, float]:
    """How strongly the prediction of the next character depends on the character k steps back.

    Taught in: notebooks/06_language_model.ipynb, section "10. What the model remembers".

    Draw ``samples`` windows of ``window`` characters from ``ids``; for each lag k, replace the character k
    steps before the end of every window by a random *other* character and measure how far the model's
    distribution for the next character moves: the total variation distance ``0.5 * sum |p - p'|`` (0: not
    at all; 1: to a distribution with nothing in common), averaged over the windows. A model with a short
    memory shows an influence that falls quickly with k.

    Args:
        model: a stateless character model (``char_model``) returning logits at every step.
        ids: held-out character ids, a 1-D integer array longer than ``window``.
        lags: the distances k to measure, each in ``[1, window]``. Default: powers of 2 up to 64.
        window: characters per window. Default: ``80``.
        samples: windows drawn. Default: ``256``.
        seed: seed of the windows and the replacement characters. Default: ``0``.

    Returns:
        ``{k: mean total variation}`` in the order of ``lags``.

    Example:
        >>> model = char_model(5, units=4)
        >>> influence = influence_by_lag(model, np.arange(100) % 5, lags=(1, 8), window=10, samples=4)
        >>> sorted(influence), all(0 <= v <= 1 for v in influence.values())
        ([1, 8], True)
    """
    where = "influence_by_lag"
    window = arguments.positive_int(window, "window", where)
    samples = arguments.positive_int(samples, "samples", where)
    ids = arguments.numeric_array(ids, "ids", ndim=1, where=where)
    if not np.issubdtype(ids.dtype, np.integer) or ids.size <= window:
        raise ValueError(arguments.message("ids", f"a 1-D array of more than {window} integer ids",
                                           f"{ids.size} values of dtype {ids.dtype}", where))
    lags = [arguments.integer(k, "lags", minimum=1, maximum=window, where=where) for k in lags]
    vocab_size = int(model.output_shape[-1])
    rng = np.random.default_rng(arguments.seed(seed, "seed", where))
    starts = rng.integers(0, ids.size - window, samples)
    windows = np.stack([ids[s:s + window] for s in starts]).astype(np.int32)

    def next_char_probs(x: np.ndarray) -> np.ndarray:
        logits = keras.ops.convert_to_numpy(model.predict(x, batch_size=samples, verbose=0))[:, -1]
        return np.exp(_log_softmax(logits.astype(np.float64)))

    base = next_char_probs(windows)
    influence = {}
    for lag in lags:
        changed = windows.copy()
        column = window - lag
        changed[:, column] = (changed[:, column] + rng.integers(1, vocab_size, samples)) % vocab_size
        influence[lag] = float(0.5 * np.abs(next_char_probs(changed) - base).sum(axis=-1).mean())
    return influence


RESULTS = experiments.STUDY_RESULTS
STUDY = RESULTS / "char_models.csv"
CURVES = {"curves": RESULTS / "char_curves.csv", "long run": RESULTS / "char_long_run.csv"}
BEST_MODEL = RESULTS / "char_best.keras"


def load_study(path=None):
    """Read the cell x depth study of notebook 06 (written by ``studies/char_models.py``).

    Taught in: none of the notebooks (library only; see docs/library.md).

    ``experiments.load_table`` with the table's path and columns filled in (notebook 06 calls ``load_table``
    itself, as every notebook reads every study table).

    Args:
        path: the CSV file. Default: ``None``, the committed ``studies/results/char_models.csv`` of the
            clone this package runs from (the table is not part of the wheel).

    Returns:
        ``(table, provenance)``: a DataFrame with columns ``cell, layers, seed, metric, value`` (the best
        n-gram is a row with ``layers`` 0 and ``seed`` -1) and a dict of the provenance lines.

    Raises:
        FileNotFoundError: if there is no table there.
        ValueError: if its columns are not those of the study.

    Example:
        >>> table, provenance = load_study()
        >>> sorted(set(table["cell"]) - {"5-gram"}), "epochs" in provenance
        (['gru', 'lstm', 'vanilla'], True)
    """
    columns = ["cell", "layers", "seed", "metric", "value"]
    path = STUDY if path is None else path
    return experiments.load_table(path, columns, written_by="studies/char_models.py")


def load_curves(which: str = "curves", path=None):
    """Read the learning curves of notebook 06 (``studies/char_models.py --curve`` or ``--long``).

    Taught in: none of the notebooks (library only; see docs/library.md).

    ``experiments.load_table`` with the table's path and columns filled in (notebook 06 calls ``load_table``
    itself, as every notebook reads every study table).

    Args:
        which: ``"curves"`` -- cells and depths trained on the notebook's own text, scored after every
            epoch -- or ``"long run"`` -- one model trained on all the training plays. Default: "curves".
        path: the CSV file. Default: ``None``, the committed table in ``studies/results/`` of the clone
            this package runs from (the tables are not part of the wheel).

    Returns:
        ``(table, provenance)``: a DataFrame with columns ``cell, units, layers, seed, epoch, metric, value``
        (the n-gram counted on the same training text is a row with ``layers`` 0, ``seed`` -1 and ``epoch``
        0) and a dict of the provenance lines.

    Raises:
        ValueError: if ``which`` is not one of the two, or the file's columns are not those of the curves.
        FileNotFoundError: if there is no table there.

    Example:
        >>> table, provenance = load_curves("long run")
        >>> {"validation bits/char", "test bits/char", "training seconds"} <= set(table["metric"])
        True
    """
    which = arguments.one_of(which, "which", tuple(CURVES), "load_curves")
    columns = ["cell", "units", "layers", "seed", "epoch", "metric", "value"]
    path = CURVES[which] if path is None else path
    flag = "--long" if which == "long run" else "--curve"
    return experiments.load_table(path, columns, written_by=f"studies/char_models.py {flag}")


def load_best_model(path=None) -> keras.Model:
    """The committed best character model of notebook 06's long run (``studies/char_models.py --long``).

    Taught in: notebooks/06_language_model.ipynb, section "7. The verdict against the n-gram".

    Args:
        path: the ``.keras`` file. Default: ``None``, ``studies/results/char_best.keras`` of the clone
            this package runs from.

    Returns:
        The trained ``keras.Sequential`` (ids in, logits out), ready for ``model_bits_per_char``,
        ``stateful_copy`` and ``generate``; it reads the vocabulary of ``CharVocabulary`` built from all 38
        plays, as notebook 06 builds it.

    Raises:
        FileNotFoundError: if there is no model file there.
    """
    path = BEST_MODEL if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_best_model: no model at {path}; studies/char_models.py --long "
                                "trains and saves it (`python3 tasks.py study char_models --long`; it ships "
                                "with a clone, not with the wheel)")
    return keras.saving.load_model(path)
