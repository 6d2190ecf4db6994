"""Tests for rnncourse.seq2seq: vocabulary, teacher forcing, attention, the model's masks, the step-by-step
decoder, greedy and beam search (checked by enumerating every sequence), the scores against sacrebleu, and
bad input. The data generators are rnncourse.datasets' and are tested in tests/test_datasets.py."""

import itertools
import os

import keras
import numpy as np
import pytest

from rnncourse import seq2seq
from rnncourse.seq2seq import Vocabulary

SEED = int(os.environ["RNNCOURSE_TEST_SEED"])
SOURCES = ["22 avril 2019", "1/2/03", "Montag, 22. April 2019", "siebenundneunzig"]
TARGETS = ["2019-04-22", "2003-02-01", "2019-04-22", "97"]
SOURCE_VOCAB = Vocabulary.from_texts(SOURCES)
TARGET_VOCAB = Vocabulary.from_texts(TARGETS)


def _model(attention: bool, units: int = 8, mask_zero: bool = True):
    keras.utils.set_random_seed(0)
    return seq2seq.seq2seq_model(
        SOURCE_VOCAB.size, TARGET_VOCAB.size, units=units, embedding_dim=4, attention=attention,
        mask_zero=mask_zero,
    )  # fmt: skip


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


# ---------------------------------------------------------------------------------------------------------
# Vocabulary and teacher forcing
# ---------------------------------------------------------------------------------------------------------


def test_vocabulary_specials_come_first_and_the_round_trip_is_exact():
    assert (Vocabulary.PAD, Vocabulary.START, Vocabulary.END) == (0, 1, 2)
    assert SOURCE_VOCAB.tokens[:3] == ("<pad>", "<start>", "<end>")
    assert SOURCE_VOCAB.size == len(set("".join(SOURCES))) + 3 == len(SOURCE_VOCAB.tokens)
    for text in SOURCES:
        ids = SOURCE_VOCAB.encode(text)
        assert ids.min() >= 3 and ids.dtype == np.int32
        assert SOURCE_VOCAB.decode(ids) == text
        framed = SOURCE_VOCAB.encode(text, start=True, end=True)
        assert framed[0] == Vocabulary.START and framed[-1] == Vocabulary.END and len(framed) == len(text) + 2
        assert SOURCE_VOCAB.decode(framed) == text  # START skipped
    # decode stops at the first END and skips padding
    ids = SOURCE_VOCAB.encode("22 avril", end=True)
    assert SOURCE_VOCAB.decode(np.concatenate([ids, SOURCE_VOCAB.encode("2019"), [0, 0]])) == "22 avril"
    batch = SOURCE_VOCAB.encode_batch(SOURCES, end=True)
    assert batch.shape == (4, max(map(len, SOURCES)) + 1)
    assert SOURCE_VOCAB.decode_batch(batch) == SOURCES
    assert Vocabulary.from_texts(reversed(SOURCES)) == SOURCE_VOCAB != TARGET_VOCAB


def test_teacher_forcing_shifts_the_target_right_behind_start():
    data = seq2seq.teacher_forcing_data(SOURCES, TARGETS, SOURCE_VOCAB, TARGET_VOCAB)
    n, steps = data.decoder_target.shape
    assert data.decoder_input.shape == (n, steps) and steps == max(map(len, TARGETS)) + 1
    assert (data.decoder_input[:, 0] == Vocabulary.START).all()
    for row, target in enumerate(TARGETS):
        # the decoder reads the target up to t - 1 and must write character t; END after the last one
        np.testing.assert_array_equal(
            data.decoder_input[row, 1 : len(target) + 1], data.decoder_target[row, : len(target)]
        )
        assert data.decoder_target[row, len(target)] == Vocabulary.END
        assert TARGET_VOCAB.decode(data.decoder_target[row]) == target
        assert (data.decoder_target[row, len(target) + 1 :] == 0).all()
        assert (data.decoder_input[row, len(target) + 1 :] == 0).all()
    np.testing.assert_array_equal(data.mask, data.decoder_target != 0)
    assert data.mask.sum() == sum(len(t) + 1 for t in TARGETS)
    assert data.inputs[0] is data.encoder_input and SOURCE_VOCAB.decode_batch(data.encoder_input) == SOURCES


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: Vocabulary(""), ValueError, "at least one character"),
    (lambda: Vocabulary(["ab"]), TypeError, "one-character strings"),
    (lambda: TARGET_VOCAB.encode("2019-04-22T"), ValueError, r"1 unknown: 'T' \(first at position 10\)"),
    (lambda: TARGET_VOCAB.encode(2019), TypeError, "expects a string"),
    (lambda: TARGET_VOCAB.decode([3, 99]), ValueError, "ids from 0 to 10"),
    (lambda: TARGET_VOCAB.decode([[3]]), TypeError, "1-D sequence"),
    (lambda: TARGET_VOCAB.encode_batch(TARGETS, length=3), ValueError, "at least 10"),
    (lambda: TARGET_VOCAB.encode_batch([]), ValueError, "texts"),
    (lambda: seq2seq.teacher_forcing_data(SOURCES, TARGETS[:3], SOURCE_VOCAB, TARGET_VOCAB), ValueError,
     "as many elements as"),
    (lambda: seq2seq.teacher_forcing_data(SOURCES, ["", *TARGETS[1:]], SOURCE_VOCAB, TARGET_VOCAB),
     ValueError, "non-empty texts.*position 0"),
    (lambda: seq2seq.teacher_forcing_data("22 avril", "2019", SOURCE_VOCAB, TARGET_VOCAB), TypeError,
     "not one str"),
    (lambda: seq2seq.teacher_forcing_data(SOURCES, TARGETS, TARGET_VOCAB, TARGET_VOCAB), ValueError,
     "unknown.*other texts"),  # the vocabularies swapped
    (lambda: seq2seq.teacher_forcing_data(SOURCES, TARGETS, SOURCE_VOCAB, "0123"), TypeError, "Vocabulary"),
])  # fmt: skip
def test_bad_vocabulary_and_batch_input(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# ---------------------------------------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------------------------------------


def _numpy_attention(query, values, mask, w_q, w_v, v):
    """The textbook formula, one query step and one source step at a time."""
    batch, steps, _ = query.shape
    weights = np.zeros((batch, steps, values.shape[1]))
    for b, t in itertools.product(range(batch), range(steps)):
        scores = np.array([v @ np.tanh(query[b, t] @ w_q + h @ w_v) for h in values[b]])
        scores = np.where(mask[b], scores, -np.inf)
        weights[b, t] = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    return weights @ values, weights


def test_attention_matches_numpy_sums_to_one_and_ignores_padding():
    rng = np.random.default_rng(SEED)
    query = rng.normal(size=(3, 4, 5)).astype("float32")
    values = rng.normal(size=(3, 6, 7)).astype("float32")
    mask = np.ones((3, 6), dtype=bool)
    mask[1, 4:] = False
    mask[2, 1:] = False
    layer = seq2seq.BahdanauAttention(units=8)
    context, weights = (_numpy(x) for x in layer(query, values, values_mask=mask))
    w_q, w_v, v = (_numpy(w) for w in (layer.query_kernel, layer.value_kernel, layer.score_vector))
    expected_context, expected_weights = _numpy_attention(query, values, mask, w_q, w_v, v)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-5)
    np.testing.assert_allclose(context, expected_context, atol=1e-5)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)
    assert (weights[1, :, 4:] == 0).all() and (weights[2, :, 0] == 1).all()  # exactly 0 at padding
    # what sits at a padded step cannot change the output
    changed = values.copy()
    changed[1, 4:] = 100.0
    np.testing.assert_array_equal(_numpy(layer(query, changed, values_mask=mask)[0]), context)
    assert np.abs(_numpy(layer(query, changed)[0]) - context).max() > 1.0  # without the mask it does


def test_attention_is_keras_additive_attention_when_the_maths_coincide():
    # AdditiveAttention scores sum(tanh(q + k)): ours with W_q = W_h = I and v = 1.
    rng = np.random.default_rng(SEED + 1)
    query, values = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[True] * 5, [True] * 3 + [False] * 2])
    ours = seq2seq.BahdanauAttention(units=4)
    ours(query, values)
    ours.set_weights([np.eye(4), np.eye(4), np.ones(4)])
    context, weights = ours(query, values, values_mask=mask)
    theirs = keras.layers.AdditiveAttention(use_scale=False)
    keras_context, keras_weights = theirs([query, values], mask=[None, mask], return_attention_scores=True)
    np.testing.assert_allclose(_numpy(weights), _numpy(keras_weights), atol=1e-6)
    np.testing.assert_allclose(_numpy(context), _numpy(keras_context), atol=1e-5)
    ours.set_weights([2 * np.eye(4), np.eye(4), np.ones(4)])  # and the comparison can fail
    assert np.abs(_numpy(ours(query, values, values_mask=mask)[1]) - _numpy(keras_weights)).max() > 1e-3


def test_attention_config_round_trip_and_bad_units():
    layer = seq2seq.BahdanauAttention(units=5, name="att")
    again = seq2seq.BahdanauAttention.from_config(layer.get_config())
    assert again.units == 5 and again.name == "att"
    assert keras.saving.get_registered_object("rnncourse>BahdanauAttention") is seq2seq.BahdanauAttention
    with pytest.raises(ValueError, match="units.*positive integer.*got 0"):
        seq2seq.BahdanauAttention(units=0)


# ---------------------------------------------------------------------------------------------------------
# The model: masks all the way, and the step-by-step decoder is the model
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attention", [False, True])
def test_padding_changes_neither_the_outputs_nor_the_loss(attention):
    model = _model(attention)
    one = seq2seq.teacher_forcing_data(SOURCES[:1], TARGETS[:1], SOURCE_VOCAB, TARGET_VOCAB)
    alone = _numpy(model(one.inputs))[0]
    with_a_longer_pair = seq2seq.teacher_forcing_data(SOURCES[:3], TARGETS[:3], SOURCE_VOCAB, TARGET_VOCAB)
    assert with_a_longer_pair.encoder_input.shape[1] > one.encoder_input.shape[1]
    np.testing.assert_allclose(_numpy(model(with_a_longer_pair.inputs))[0, : len(alone)], alone, atol=1e-6)

    def pad(array):
        return np.pad(array, ((0, 0), (0, 6)))

    loss = model.evaluate(one.inputs, one.decoder_target, verbose=0)
    padded = model.evaluate(
        (pad(one.encoder_input), pad(one.decoder_input)), pad(one.decoder_target), verbose=0
    )
    assert padded == pytest.approx(loss, rel=1e-6)
    # The loss is the mean cross-entropy over the target's steps and END, not over the padding after them.
    logits = _numpy(model((pad(one.encoder_input), pad(one.decoder_input))))[0]
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    per_step = -log_probs[np.arange(len(logits)), pad(one.decoder_target)[0]]
    valid = pad(one.mask)[0]
    assert valid.sum() == len(TARGETS[0]) + 1 and loss == pytest.approx(per_step[valid].mean(), rel=1e-5)
    assert abs(per_step.mean() - per_step[valid].mean()) > 1e-4  # every step counted: another number


@pytest.mark.parametrize("attention", [False, True])
def test_without_masks_padding_changes_the_outputs(attention):
    model = _model(attention, mask_zero=False)  # what the masks above are worth: the same model without
    one = seq2seq.teacher_forcing_data(SOURCES[:1], TARGETS[:1], SOURCE_VOCAB, TARGET_VOCAB)
    alone = _numpy(model(one.inputs))[0]
    with_a_longer_pair = seq2seq.teacher_forcing_data(SOURCES[:3], TARGETS[:3], SOURCE_VOCAB, TARGET_VOCAB)
    assert np.abs(_numpy(model(with_a_longer_pair.inputs))[0, : len(alone)] - alone).max() > 1e-4


def test_teacher_forced_accuracy_counts_the_target_steps_only():
    model = _model(attention=True)
    data = seq2seq.teacher_forcing_data(SOURCES, TARGETS, SOURCE_VOCAB, TARGET_VOCAB)
    predicted = _numpy(model(data.inputs)).argmax(axis=-1)
    expected = (predicted == data.decoder_target)[data.mask].mean()
    assert seq2seq.teacher_forced_accuracy(model, data, batch_size=3) == pytest.approx(expected)
    assert (predicted == data.decoder_target).mean() != pytest.approx(expected)  # padding counted: another
    with pytest.raises(TypeError, match="TeacherForcingData"):
        seq2seq.teacher_forced_accuracy(model, data.inputs)


@pytest.mark.parametrize("mask_zero", [True, False])
@pytest.mark.parametrize("attention", [False, True])
def test_one_step_at_a_time_equals_the_teacher_forced_model(attention, mask_zero):
    model = _model(attention, mask_zero=mask_zero)
    data = seq2seq.teacher_forcing_data(SOURCES, TARGETS, SOURCE_VOCAB, TARGET_VOCAB)
    whole = _numpy(keras.ops.log_softmax(model(data.inputs), axis=-1))
    decoder = seq2seq.Decoder(model, SOURCE_VOCAB, TARGET_VOCAB)
    state, memory = decoder.encode(SOURCES)
    for t in range(data.decoder_input.shape[1]):
        log_probs, state, weights = decoder.step(data.decoder_input[:, t], state, memory)
        np.testing.assert_allclose(log_probs, whole[:, t], atol=1e-5)
        if attention:
            np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)
            assert (weights[~memory["mask"]] == 0).all() and memory["mask"].all() != mask_zero
        else:
            assert weights is None
    # The decoder holds the model's own layers: new weights in the model are the decoder's at once.
    model.get_layer("logits").bias.assign(np.arange(TARGET_VOCAB.size, dtype="float32"))
    assert (
        np.abs(decoder.step(data.decoder_input[:, 0], *decoder.encode(SOURCES))[0] - whole[:, 0]).max() > 0.1
    )


def test_saved_model_loads_without_custom_objects(tmp_path):
    model = _model(attention=True)
    data = seq2seq.teacher_forcing_data(SOURCES, TARGETS, SOURCE_VOCAB, TARGET_VOCAB)
    before = seq2seq.Decoder(model, SOURCE_VOCAB, TARGET_VOCAB).greedy(SOURCES, max_length=5)
    model.save(tmp_path / "translator.keras")  # its layers serve the decoder's small models too: no matter
    loaded = keras.saving.load_model(tmp_path / "translator.keras")
    np.testing.assert_allclose(_numpy(loaded(data.inputs)), _numpy(model(data.inputs)), atol=1e-6)
    assert seq2seq.Decoder(loaded, SOURCE_VOCAB, TARGET_VOCAB).greedy(SOURCES, max_length=5) == before


@pytest.mark.parametrize("attention", [False, True])
def test_beam_of_width_one_is_greedy_on_a_model(attention):
    decoder = seq2seq.Decoder(_model(attention), SOURCE_VOCAB, TARGET_VOCAB)
    texts, maps = decoder.greedy(SOURCES, max_length=12, return_attention=True)
    for source, text, attention_map in zip(SOURCES, texts, maps, strict=True):
        beam = decoder.beam_search(source, beam_width=1, max_length=12)
        assert len(beam) == 1 and beam[0].text == text
        assert attention_map.shape == (len(beam[0].tokens), len(source) if attention else 0)
        if attention:
            np.testing.assert_allclose(attention_map.sum(axis=-1), 1.0, atol=1e-5)
    # greedy's log-probability too, from the generic search
    state, memory = decoder.encode(SOURCES[:1])
    greedy = seq2seq.greedy_search(
        decoder._step_function(), {"state": state, "memory": memory}, Vocabulary.START, Vocabulary.END, 12
    )[0]
    beam = decoder.beam_search(SOURCES[0], beam_width=1, max_length=12)[0]
    assert beam.tokens == greedy.tokens and beam.log_prob == pytest.approx(greedy.log_prob, abs=1e-9)


@pytest.mark.parametrize("attention", [False, True])
def test_free_running_data_feeds_the_decoder_its_own_greedy_outputs(attention):
    decoder = seq2seq.Decoder(_model(attention), SOURCE_VOCAB, TARGET_VOCAB)
    truth = seq2seq.teacher_forcing_data(SOURCES, TARGETS, SOURCE_VOCAB, TARGET_VOCAB)
    own = seq2seq.free_running_data(decoder, SOURCES, TARGETS)
    # what it learns to write, and which steps count, are teacher forcing's
    np.testing.assert_array_equal(own.decoder_target, truth.decoder_target)
    np.testing.assert_array_equal(own.mask, truth.mask)
    np.testing.assert_array_equal(own.encoder_input, truth.encoder_input)
    width = truth.decoder_input.shape[1]
    state, memory = decoder.encode(SOURCES)
    written = seq2seq.greedy_search(
        decoder._step_function(), {"state": state, "memory": memory}, Vocabulary.START, Vocabulary.END, width
    )
    assert (own.decoder_input[:, 0] == Vocabulary.START).all()
    for row, hypothesis in enumerate(written):
        steps = int(truth.mask[row].sum())
        tokens = list(hypothesis.tokens[: steps - 1])
        expected = tokens + [Vocabulary.END] * (steps - 1 - len(tokens))
        assert own.decoder_input[row, 1:steps].tolist() == expected
        assert (own.decoder_input[row, steps:] == Vocabulary.PAD).all()
    # an untrained decoder does not write the truth: the inputs do differ from teacher forcing's
    assert not np.array_equal(own.decoder_input, truth.decoder_input)


def test_free_running_data_wants_a_decoder():
    with pytest.raises(TypeError, match="decoder.*Decoder.*got"):
        seq2seq.free_running_data(_model(attention=False), SOURCES, TARGETS)


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda d: seq2seq.Decoder(d.model, TARGET_VOCAB, TARGET_VOCAB), ValueError,
     r"source_vocab.*\d+ ids \(the source embedding's input_dim\).*got a vocabulary of 11 ids"),
    (lambda d: seq2seq.Decoder(d.model, SOURCE_VOCAB, SOURCE_VOCAB), ValueError,
     "target_vocab.*number of logits"),
    (lambda d: seq2seq.Decoder(keras.Sequential([keras.layers.Dense(2)]), SOURCE_VOCAB, TARGET_VOCAB),
     ValueError, "without"),
    (lambda d: seq2seq.Decoder("model", SOURCE_VOCAB, TARGET_VOCAB), TypeError, "keras.Model"),
    (lambda d: d.decoder.beam_search(SOURCES[0], beam_width=0), ValueError, "beam_width.*got 0"),
    (lambda d: d.decoder.beam_search(SOURCES[0], length_penalty=-1), ValueError, "length_penalty"),
    (lambda d: d.decoder.beam_search(SOURCES, beam_width=2), TypeError, "one text"),
    (lambda d: d.decoder.beam_search("", beam_width=2), ValueError, "non-empty"),
    (lambda d: d.decoder.greedy([]), ValueError, "sources"),
    (lambda d: d.decoder.greedy(["§"]), ValueError, "unknown: '§'"),
    (lambda d: d.decoder.greedy(SOURCES, max_length=0), ValueError, "max_length"),
])  # fmt: skip
def test_bad_decoder_input(call, error, pattern):
    model = _model(attention=False)

    class Held:
        pass

    held = Held()
    held.model, held.decoder = model, seq2seq.Decoder(model, SOURCE_VOCAB, TARGET_VOCAB)
    with pytest.raises(error, match=pattern):
        call(held)


# ---------------------------------------------------------------------------------------------------------
# The searches on decoders written by hand, checked against every possible sequence
# ---------------------------------------------------------------------------------------------------------

END, START = 0, 99


def _table_decoder(vocab: int, max_length: int, seed: int):
    """A decoder whose next-token log-probabilities are a fixed random function of the whole prefix."""
    rng = np.random.default_rng(seed)
    table: dict[tuple, np.ndarray] = {}

    def log_probs(prefix: tuple) -> np.ndarray:
        if prefix not in table:
            table[prefix] = np.log(rng.dirichlet(np.full(vocab, 0.5)) + 1e-12)
        return table[prefix]

    def step(tokens, prefixes):  # the state is the prefix written so far, one row per beam
        rows = [tuple(p) for p in prefixes.tolist()]
        grown = np.array([row + [t] for row, t in zip(prefixes.tolist(), tokens.tolist(), strict=True)])
        rows = [tuple(t for t in r if t != START) for r in grown.tolist()]
        return np.array([log_probs(r) for r in rows]), grown

    def every_sequence(length_penalty: float) -> list[tuple[float, tuple, float]]:
        found = []
        for n in range(1, max_length + 1):
            for body in itertools.product(range(1, vocab), repeat=n - 1):
                seq = (*body, END)
                lp = sum(log_probs(seq[:i])[seq[i]] for i in range(n))
                found.append((lp / n**length_penalty, seq, lp))
        return sorted(found, reverse=True)

    return step, np.zeros((1, 0), dtype=int), every_sequence


def test_beam_search_finds_the_best_sequence_where_greedy_does_not():
    # tokens: END=0, a=1, b=2. P(a)=0.6 first, then END 0.4: greedy writes "a" for 0.24; "b END" has 0.36.
    probs = {(): [0.0, 0.6, 0.4], (1,): [0.4, 0.3, 0.3], (2,): [0.9, 0.05, 0.05]}

    def step(tokens, prefixes):
        grown = np.concatenate([prefixes, tokens[:, None]], axis=1)
        rows = [tuple(t for t in r if t != START) for r in grown.tolist()]
        return np.log(np.array([probs.get(r, [1 / 3] * 3) for r in rows]) + 1e-12), grown

    start = np.zeros((1, 0), dtype=int)
    greedy = seq2seq.greedy_search(step, start, START, END, max_length=3)[0]
    beam = seq2seq.beam_search(step, start, START, END, max_length=3, beam_width=2)
    assert greedy.tokens == (1, 0) and np.exp(greedy.log_prob) == pytest.approx(0.24)
    assert beam[0].tokens == (2, 0) and np.exp(beam[0].log_prob) == pytest.approx(0.36)
    # every sequence of up to 3 tokens, enumerated: "b END" is the most probable of all
    every = []
    for n in range(1, 4):
        for body in itertools.product((1, 2), repeat=n - 1):
            seq = (*body, END)
            every.append((np.prod([probs.get(seq[:i], [1 / 3] * 3)[seq[i]] for i in range(n)]), seq))
    assert max(every)[1] == (2, 0) and max(every)[0] == pytest.approx(0.36)
    assert seq2seq.beam_search(step, start, START, END, max_length=3, beam_width=1)[0].tokens == greedy.tokens


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_a_wide_enough_beam_is_exhaustive_search(length_penalty):
    vocab, max_length = 3, 4
    for seed in range(SEED, SEED + 5):
        step, start, every_sequence = _table_decoder(vocab, max_length, seed)
        best = every_sequence(length_penalty)
        width = vocab**max_length  # more than the candidates of any step: nothing is ever pruned
        found = seq2seq.beam_search(
            step, start, START, END, max_length, beam_width=width, length_penalty=length_penalty
        )
        assert [h.tokens for h in found] == [seq for _, seq, _ in best]
        assert found[0].score == pytest.approx(best[0][0]) and found[0].log_prob == pytest.approx(best[0][2])


def test_beam_of_width_one_is_greedy_on_random_decoders():
    for seed in range(SEED, SEED + 10):
        step, start, _ = _table_decoder(4, 6, seed)
        greedy = seq2seq.greedy_search(step, start, START, END, 6)[0]
        beam = seq2seq.beam_search(step, start, START, END, 6, beam_width=1)[0]
        assert beam.tokens == greedy.tokens and beam.log_prob == pytest.approx(greedy.log_prob)


def test_length_penalty_lets_a_longer_sequence_win():
    # END=0, a=1. "END" at once has probability 0.3, "a END" 0.7 * 0.2 = 0.14, "a a END" 0.7 * 0.8 * 0.45 =
    # 0.252: less probable than "END", but more probable per token.
    probs = {(): [0.3, 0.7], (1,): [0.2, 0.8], (1, 1): [0.45, 0.55]}

    def step(tokens, prefixes):
        grown = np.concatenate([prefixes, tokens[:, None]], axis=1)
        rows = [tuple(t for t in r if t != START) for r in grown.tolist()]
        return np.log(np.array([probs.get(r, [0.5, 0.5]) for r in rows])), grown

    start = np.zeros((1, 0), dtype=int)
    plain = seq2seq.beam_search(step, start, START, END, max_length=3, beam_width=3, length_penalty=0.0)
    per_token = seq2seq.beam_search(step, start, START, END, max_length=3, beam_width=3, length_penalty=1.0)
    assert plain[0].tokens == (0,)  # probability 0.3 beats 0.252
    assert per_token[0].tokens == (1, 1, 0)  # log(0.252) / 3 = -0.46 beats log(0.3) / 1 = -1.20


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda s, x: seq2seq.beam_search(s, x, START, END, 3, beam_width=0), ValueError, "beam_width.*got 0"),
    (lambda s, x: seq2seq.beam_search(s, x, START, END, 3, beam_width=1.5), TypeError, "beam_width"),
    (lambda s, x: seq2seq.beam_search(s, np.zeros((2, 0), int), START, END, 3), ValueError, "1 row.*2 rows"),
    (lambda s, x: seq2seq.beam_search(s, x, START, END, 0), ValueError, "max_length"),
    (lambda s, x: seq2seq.greedy_search(lambda t, st: (np.zeros(3), st), x, START, END, 3), ValueError,
     r"shape \(1, vocabulary\).*got shape \(3,\)"),
])  # fmt: skip
def test_bad_search_input(call, error, pattern):
    step, start, _ = _table_decoder(3, 3, 0)
    with pytest.raises(error, match=pattern):
        call(step, start)


# ---------------------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------------------


def test_exact_match_and_character_accuracy():
    assert seq2seq.exact_match(TARGETS, TARGETS) == 1.0
    assert seq2seq.exact_match(["97", "2019-04-22"], ["79", "2019-04-22"]) == 0.5
    assert seq2seq.char_accuracy(["97"], ["97"]) == 1.0
    assert seq2seq.char_accuracy(["2019", "97"], ["2018", "979"]) == pytest.approx(5 / 7)
    assert seq2seq.char_accuracy(["97"], [""]) == 0.0  # a missing character is wrong
    assert seq2seq.char_accuracy(["97"], ["9"]) == 0.5
    assert seq2seq.char_accuracy([""], [""]) == 1.0


def _random_corpus(rng, size, alphabet="ab c", longest=12):
    def text():
        return "".join(rng.choice(list(alphabet), size=rng.integers(0, longest + 1)))

    references = [text() or "a" for _ in range(size)]
    hypotheses = [r if rng.random() < 0.2 else text() for r in references]
    return references, hypotheses


@pytest.mark.parametrize("tokenize", ["char", "none"])
def test_bleu_agrees_with_sacrebleu(tokenize):
    sacrebleu = pytest.importorskip("sacrebleu", reason="sacrebleu (in the test extra) is not installed")
    rng = np.random.default_rng(SEED)
    cases = [(["2019-04-22"], ["2019-04-22"]), (["2019-04-22"], ["2019-04-21"]), (["2019-04-22"], ["2019"]),
             (["97", "123456"], ["79", "12345"]), (["a b c d e"], ["a b c d e f g"]), (["abc"], ["xyz"]),
             (["abc"], [""])]  # fmt: skip
    cases += [_random_corpus(rng, int(rng.integers(1, 30))) for _ in range(40)]
    for references, hypotheses in cases:
        ours = seq2seq.corpus_bleu(references, hypotheses, tokenize=tokenize)
        theirs = sacrebleu.corpus_bleu(hypotheses, [references], tokenize=tokenize).score
        assert ours == pytest.approx(theirs, abs=1e-6), (references, hypotheses)
        for reference, hypothesis in zip(references, hypotheses, strict=True):
            ours = seq2seq.sentence_bleu(reference, hypothesis, tokenize=tokenize)
            theirs = sacrebleu.sentence_bleu(hypothesis, [reference], tokenize=tokenize).score
            assert ours == pytest.approx(theirs, abs=1e-6), (reference, hypothesis)


def test_bleu_without_sacrebleu_has_the_known_values():
    assert seq2seq.corpus_bleu(["2019-04-22"], ["2019-04-22"]) == 100.0
    # 10 characters, the last one wrong: precisions 9/10, 8/9, 7/8, 6/7; no brevity penalty
    expected = 100 * (9 / 10 * 8 / 9 * 7 / 8 * 6 / 7) ** 0.25
    assert seq2seq.corpus_bleu(["2019-04-22"], ["2019-04-21"]) == pytest.approx(expected)
    # a hypothesis of 4 characters, all right: the precisions are 1 and the brevity penalty exp(1 - 10/4)
    assert seq2seq.corpus_bleu(["2019-04-22"], ["2019"]) == pytest.approx(100 * np.exp(1 - 10 / 4))
    assert seq2seq.corpus_bleu(["abc"], ["xyz"]) == 0.0 and seq2seq.corpus_bleu(["abc"], [""]) == 0.0
    assert seq2seq.sentence_bleu("97", "79") == pytest.approx(
        100 * np.sqrt(1 * 0.5)
    )  # 2-grams: 0 of 1, halved


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: seq2seq.corpus_bleu(["a"], ["a", "b"]), ValueError, "as many elements as"),
    (lambda: seq2seq.corpus_bleu([], []), ValueError, "references"),
    (lambda: seq2seq.corpus_bleu("abc", "abc"), TypeError, "not one str"),
    (lambda: seq2seq.corpus_bleu(["a"], ["a"], tokenize="13a"), ValueError, "tokenize"),
    (lambda: seq2seq.corpus_bleu(["a"], ["a"], max_order=0), ValueError, "max_order"),
    (lambda: seq2seq.sentence_bleu(["a"], "a"), TypeError, "reference.*one text"),
    (lambda: seq2seq.exact_match(["a"], [1]), TypeError, "hypotheses"),
    (lambda: seq2seq.char_accuracy(["a", "b"], ["a"]), ValueError, "as many elements as"),
])  # fmt: skip
def test_bad_score_input(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# ---------------------------------------------------------------------------------------------------------
# It learns
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("attention", [False, True])
def test_a_short_training_learns_the_dates(attention):
    from rnncourse.datasets import make_date_pairs, split_pairs

    parts = split_pairs(
        make_date_pairs(1500, locales=("en_GB", "de_DE"), formats=("long", "medium"), seed=0),
        test=0.1,
        length_test=0.0,
    )
    source_vocab = Vocabulary.from_texts(parts["train"]["source"])
    target_vocab = Vocabulary.from_texts(parts["train"]["target"])
    data = seq2seq.teacher_forcing_data(
        parts["train"]["source"], parts["train"]["target"], source_vocab, target_vocab
    )
    keras.utils.set_random_seed(0)
    model = seq2seq.seq2seq_model(
        source_vocab.size, target_vocab.size, units=64, attention=attention, learning_rate=1e-2
    )
    decoder = seq2seq.Decoder(model, source_vocab, target_vocab)
    test_sources, test_targets = list(parts["test"]["source"]), list(parts["test"]["target"])
    before = seq2seq.char_accuracy(test_targets, decoder.greedy(test_sources, max_length=12))
    model.fit(data.inputs, data.decoder_target, batch_size=64, epochs=8, verbose=0)
    after = decoder.greedy(test_sources, max_length=12)
    # Never seen dates: the years and days are mostly right after seconds of training (untrained: ~0.1).
    assert seq2seq.char_accuracy(test_targets, after) > max(0.6, before + 0.4)
