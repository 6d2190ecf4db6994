"""Tests of rnncourse.exercises (the shared checks) and of the exercise generator (no kernels here)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from rnncourse import exercises as ex
from rnncourse import reference
from rnncourse.exercises import codec, sentiment, training

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "scripts" / "make_exercises.py")
make_exercises = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_exercises)


def _namespace(name: str, learner: bool) -> dict:
    """Run the non-TensorFlow code cells of a generated notebook in a dict (answers and setup only)."""
    import string

    namespace: dict = {"np": np, "string": string, "ex": ex}
    for cell in make_exercises.build(name, learner=learner).cells:
        meta = cell.metadata.get("rnncourse", {})
        if (
            cell.cell_type != "code"
            or "check" in meta
            or meta.get("answer") == "04.q4"
            or "keras" in cell.source
            or "sentiment_data()" in cell.source
        ):
            continue
        try:
            exec(compile(cell.source, name, "exec"), namespace)
        except NotImplementedError:
            pass
    return namespace


NUMPY_QUESTIONS = [q for q in ex.QUESTIONS.values() if q.qid != "04.q4"]


def test_catalogue_matches_the_sources():
    assert make_exercises.names() == sorted(ex.NOTEBOOKS.values())
    for name in make_exercises.names():
        cells = make_exercises.build(name, learner=False).cells
        answers = [
            c.metadata["rnncourse"]["answer"] for c in cells if "answer" in c.metadata.get("rnncourse", {})
        ]
        checks = [
            c.metadata["rnncourse"]["check"] for c in cells if "check" in c.metadata.get("rnncourse", {})
        ]
        assert answers == checks == [q.qid for q in ex.questions_for(name)]
        assert 3 <= len(answers) <= 6
        # every question's markdown states its points
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        for q in ex.questions_for(name):
            assert re.search(rf"## Q{q.number} \({q.points} points?\)", text), (name, q.qid)


def test_generated_copies_are_up_to_date():
    stale = [path for name in make_exercises.names() for path in make_exercises.out_of_date(name)]
    assert stale == [], f"run `python scripts/make_exercises.py`: {stale}"


def test_learner_copies_have_no_solutions_and_no_outputs():
    for name in make_exercises.names():
        nb = make_exercises.build(name, learner=True)
        solution = make_exercises.build(name, learner=False)
        for cell, sol in zip(nb.cells, solution.cells, strict=True):
            assert "BEGIN SOLUTION" not in cell.source
            if "answer" in cell.metadata.get("rnncourse", {}):
                assert "raise NotImplementedError" in cell.source and cell.source != sol.source
        text = (make_exercises.EXERCISES / f"{name}.ipynb").read_text()
        assert '"outputs": []' in text and '"output_type"' not in text


def test_strip_solution_keeps_indentation_and_rejects_unbalanced_markers():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert (
        make_exercises.strip_solution(src)
        == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError\n"
    )
    with pytest.raises(ValueError, match="without END"):
        make_exercises.strip_solution("### BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(ValueError, match="without BEGIN"):
        make_exercises.strip_solution("x = 1\n### END SOLUTION\n")


@pytest.mark.parametrize("question", NUMPY_QUESTIONS, ids=lambda q: q.qid)
def test_solution_passes_and_blank_fails_on_many_seeds(question):
    answer = _namespace(question.notebook, learner=False)[question.answer_name]
    for seed in (0, 1, 7, 12345):
        result = ex.verdict(question.qid, answer, seed)
        assert result.passed and result.earned == question.points, (seed, result)
    blank = _namespace(question.notebook, learner=True)[question.answer_name]
    result = ex.verdict(question.qid, blank, 3)
    assert not result.passed and result.earned == 0 and "NotImplementedError" in result.reason


def test_cases_depend_on_the_seed():
    for question in NUMPY_QUESTIONS:
        a, b = (ex.encode_cases(question.make_cases(s)) for s in (0, 1))
        assert a != b, question.qid


def _wrong(*pairs):
    return pytest.mark.parametrize("qid, code, hint", pairs, ids=[p[0] + ":" + p[2][:20] for p in pairs])


@_wrong(
    ("01.q1", "def f(x_t, h_prev, W_x, W_h, b): return x_t @ W_x + h_prev @ W_h + b", "forgot the tanh"),
    ("01.q1", "def f(x_t, h_prev, W_x, W_h, b): return np.tanh(x_t @ W_x + h_prev @ W_h)", "forgot the bias"),
    ("01.q1", "def f(x_t, h_prev, W_x, W_h, b): return np.tanh(x_t @ W_x)[:, :1]", "shape"),
    ("01.q2", "def f(features, units): return units * (features + units)", "forgot the bias"),
    ("01.q2", "def f(features, units): return float(units * (features + units + 1))", "should be an int"),
    (
        "01.q3",
        "def f(x, W_x, W_h, b, h0=None):\n"
        "    h = np.zeros((x.shape[0], W_h.shape[0])) if h0 is None else h0\n"
        "    for t in range(x.shape[1]): h = np.tanh(x[:, t] @ W_x + h @ W_h + b)\n"
        "    return h",
        "only the last hidden state",
    ),
    ("02.q1", "def f(xs, w, u, h0): return u ** len(xs)", "derivative of tanh"),
    (
        "02.q3",
        "def f(grads, max_norm): return [g * min(1, max_norm / np.linalg.norm(g)) for g in grads]",
        "own norm",
    ),
    (
        "03.q1",
        "def f(series, seq_len, lead=1):\n"
        "    n = len(series) - seq_len - lead + 1\n"
        "    return np.stack([series[i:i+seq_len] for i in range(n)]), series[seq_len:seq_len+n]",
        "`lead` steps",
    ),
    (
        "03.q2",
        "def f(df, train=0.7, val=0.15):\n"
        "    d = df.sample(frac=1, random_state=0); a, b = int(len(d)*train), int(len(d)*val)\n"
        "    return d.iloc[:a], d.iloc[a:a+b], d.iloc[a+b:]",
        "shuffling",
    ),
    (
        "03.q2",
        "def f(df, train=0.7, val=0.15):\n"
        "    a, b = round(len(df)*train), round(len(df)*val)\n"
        "    return df.iloc[:a], df.iloc[a:a+b], df.iloc[a+b:]",
        "rounds down",
    ),
    (
        "03.q2",
        "def f(df, train=0.7, val=0.15):\n"
        "    a, b = int(len(df)*train), int(len(df)*val)\n"
        "    shuffled = df.copy(); shuffled[:] = df.sample(frac=1, random_state=1).to_numpy()\n"
        "    return shuffled.iloc[:a], shuffled.iloc[a:a+b], shuffled.iloc[a+b:]",
        "wrong values (the dates are right)",
    ),
    (
        "05.q3",
        "def f(results, max_params, max_seconds):\n"
        "    ok = results[(results['params'] < max_params) & (results['seconds_per_epoch'] < max_seconds)]\n"
        "    return None if ok.empty else str(ok.loc[ok['val_mae'].idxmin(), 'model'])",
        "exactly on a limit",
    ),
    ("03.q3", "def f(X, season): return X[:, -1]", "naive forecast"),
    ("04.q2", "def f(embeddings, token_ids): return embeddings.mean(axis=1)", "padding"),
    (
        "04.q3",
        "def f(train_labels, test_labels):\n"
        "    m = int(np.bincount(test_labels, minlength=2).argmax())\n"
        "    return float(np.mean(np.asarray(test_labels) == m))",
        "training labels",
    ),
    (
        "05.q1",
        "def f(kind, features, units):\n"
        "    return {'SimpleRNN': 1, 'LSTM': 4, 'GRU': 3}[kind] * units * (features + units + 1)",
        "reset_after",
    ),
    (
        "05.q3",
        "def f(results, max_params, max_seconds):\n"
        "    return str(results.loc[results['val_mae'].idxmin(), 'model'])",
        "breaks a limit",
    ),
    ("01.q1", "def f(**k): raise ValueError('boom')", "raised ValueError: boom"),
    (
        "06.q1",
        "def f(logits, temperature, u):\n"
        "    p = np.exp(logits - logits.max()); p /= p.sum()\n"
        "    if temperature == 0: return int(np.argmax(logits))\n"
        "    return int(np.searchsorted(np.cumsum(p), u, 'right'))",
        "divide the logits by the temperature",
    ),
    (
        "06.q2",
        "def f(probs, targets):\n    return float(-np.mean(np.log(probs[np.arange(len(targets)), targets])))",
        "natural logarithm",
    ),
    (
        "06.q3",
        "def f(ids, batch_size, seq_len):\n"
        "    n = (len(ids) // batch_size - 1) // seq_len * batch_size\n"
        "    ids = np.asarray(ids); x = ids[:n * seq_len].reshape(-1, seq_len)\n"
        "    return x, ids[1:n * seq_len + 1].reshape(-1, seq_len)",
        "row i of batch b + 1 must continue",
    ),
    (
        "06.q4",
        "def f(text, prev, char, vocab_size, discount):\n"
        "    after = np.asarray(text)[1:][np.asarray(text)[:-1] == prev]\n"
        "    return float(np.mean(after == char)) if len(after) else 1.0 / vocab_size",
        "",
    ),
    (
        "07.q1",
        "def f(target_ids, start, end, pad):\n"
        "    w = max(len(t) for t in target_ids) + 1\n"
        "    x = np.full((len(target_ids), w), pad); y = x.copy()\n"
        "    for i, t in enumerate(target_ids):\n"
        "        x[i, :len(t)] = t; y[i, :len(t) + 1] = [*t, end]\n"
        "    return x, y",
        "did not shift",
    ),
    (
        "07.q2",
        "def f(query, keys, W1, W2, v, mask):\n"
        "    s = np.where(mask, np.tanh((query @ W1)[:, None] + (keys @ W2)[None]) @ v, -1e9)\n"
        "    w = np.exp(s - s.max(0)); w /= w.sum(0)\n"
        "    return w, w @ keys",
        "normalised over the query steps",
    ),
    (
        "07.q3",
        "def f(beams, log_probs, beam_width, end):\n"
        "    out = []\n"
        "    for (t, s), row in zip(beams, log_probs):\n"
        "        if t and t[-1] == end: out.append((tuple(t), s)); continue\n"
        "        w = int(np.argmax(row)); out.append((tuple(t) + (w,), s + row[w]))\n"
        "    return sorted(out, key=lambda c: -c[1])[:beam_width]",
        "greedy per beam",
    ),
    (
        "07.q4",
        "def f(reference, hypothesis):\n"
        "    from collections import Counter\n"
        "    r, h, p = reference.replace(' ', ''), hypothesis.replace(' ', ''), 1.0\n"
        "    for n in range(1, 5):\n"
        "        hn = Counter(h[i:i + n] for i in range(len(h) - n + 1))\n"
        "        rn = Counter(r[i:i + n] for i in range(len(r) - n + 1))\n"
        "        p *= sum((hn & rn).values()) / max(sum(hn.values()), 1)\n"
        "    return 100 * p ** 0.25",
        "brevity penalty",
    ),
)
def test_typical_mistakes_get_a_useful_hint(qid, code, hint):
    namespace = {"np": np}
    exec(code, namespace)
    result = ex.verdict(qid, namespace["f"], 0)
    assert not result.passed and result.earned == 0
    assert hint in result.reason, result.reason


def test_hints_never_contain_the_expected_count():
    question = ex.get_question("05.q1")
    for seed in range(5):
        result = ex.verdict("05.q1", lambda kind, features, units: 7, seed)
        for case in question.make_cases(seed):
            expected = reference.recurrent_param_count(case["kind"], case["features"], case["units"])
            assert not re.search(rf"\b{expected}\b", result.reason), result.reason


def test_verdict_from_record_survives_garbage():
    bad_inputs = [
        "",
        "not json",
        "[]",
        "{}",
        json.dumps({"qid": "01.q2"}),
        json.dumps({"qid": "01.q2", "outputs": 3}),
        json.dumps(
            {"qid": "01.q1", "outputs": [{"__np__": {"dtype": "object", "shape": [1], "data": [1]}}] * 3}
        ),
        json.dumps(
            {"qid": "01.q1", "outputs": [{"__np__": {"dtype": "float64", "shape": [99], "data": [1]}}] * 3}
        ),
        json.dumps({"qid": "01.q1", "outputs": [[[[[]]]]] * 3}),
        "x" * (ex.MAX_ANSWER_BYTES + 1),
        json.dumps({"qid": "01.q2", "outputs": [{"__list__": [1] * 10}] * 5}),
    ]
    for text in bad_inputs:
        qid = "01.q1" if "01.q1" in text else "01.q2"
        result = ex.verdict_from_record(qid, text, ex.get_question(qid).make_cases(0))
        assert not result.passed and result.earned == 0


def test_answer_records_are_checked_against_the_cases_they_answer():
    good = lambda features, units: units * (features + units + 1)  # noqa: E731
    cases5, cases6 = (ex.get_question("01.q2").make_cases(s) for s in (5, 6))
    record = ex.answer_record("01.q2", good, ex.encode_cases(cases5))
    assert ex.verdict_from_record("01.q2", record, cases5).passed
    # answers recorded for other inputs fail on the grader's cases; a record for another question too
    assert not ex.verdict_from_record("01.q2", record, cases6).passed
    assert not ex.verdict_from_record("01.q1", record, ex.get_question("01.q1").make_cases(5)).passed
    assert not ex.verdict("01.q2", ex.MISSING).passed


def test_exit_inside_an_answer_is_reported_not_fatal():
    def leaves(features, units):
        raise SystemExit(3)

    result = ex.verdict("01.q2", leaves)
    assert not result.passed and "SystemExit" in result.reason


def test_hidden_cases_fail_with_what_failed_never_with_the_learners_message():
    cases = ex.get_question("01.q2").make_cases(7)
    secret = repr(cases[0])  # what an answer that echoes its inputs would show

    def echoes(**kwargs):
        raise ValueError(repr(kwargs))

    class Leak(Exception):  # an exception named after what it saw
        pass

    def named(**kwargs):
        raise type(f"Leak_{kwargs['features']}_{kwargs['units']}", (Leak,), {})("x")

    for answer, shown in ((echoes, "raised ValueError"), (named, "raised an exception")):
        record = ex.answer_record("01.q2", answer, ex.encode_cases(cases))
        public = ex.verdict_from_record("01.q2", record, cases)
        hidden = ex.verdict_from_record("01.q2", record, cases, hidden=True)
        assert "raised" in public.reason and "(" in public.reason  # self-study shows it: no secret there
        assert shown in hidden.reason and "test case 1 of" in hidden.reason, hidden.reason
        assert "features" not in hidden.reason and "Leak_" not in hidden.reason, hidden.reason
    # a forged record error (the kernel's words) is replaced by the grader's own
    forged = json.dumps({"qid": "01.q2", "error": f"simple_rnn_params should be a function, got {secret}"})
    reason = ex.verdict_from_record("01.q2", forged, cases, hidden=True).reason
    assert reason == "simple_rnn_params should be a function"
    # a check that fails says what was wrong, described by the grader
    wrong = ex.answer_record("01.q2", lambda features, units: 1, ex.encode_cases(cases))
    assert "wrong count for" in ex.verdict_from_record("01.q2", wrong, cases, hidden=True).reason


def test_an_answer_that_is_the_reference_function_is_found_by_identity():
    import functools

    import rnncourse.reference as aliased
    from rnncourse.exercises.data import reference as through_data

    wrapped = functools.wraps(aliased.rnn_forward)(lambda *a, **k: aliased.rnn_forward(*a, **k))
    assert ex.reference_name(through_data.rnn_step) == "rnncourse.reference.rnn_step"
    assert ex.reference_name(aliased.lstm_step) == "rnncourse.reference.lstm_step"
    assert ex.reference_name(wrapped) == "rnncourse.reference.rnn_forward"
    own = _namespace("01_the_rnn_unit_exercises", learner=False)["rnn_step"]
    assert (
        ex.reference_name(own) is None and ex.reference_name(3) is None and ex.reference_name(np.tanh) is None
    )
    cases = ex.get_question("01.q1").make_cases(3)
    record = ex.answer_record("01.q1", through_data.rnn_step, ex.encode_cases(cases))
    assert ex.verdict_from_record("01.q1", record, cases).passed  # self-study: the library may be used
    hidden = ex.verdict_from_record("01.q1", record, cases, hidden=True)
    assert not hidden.passed and "is the library's reference function (rnncourse.reference.rnn_step)" in (
        hidden.reason
    )


def test_round_and_int_tell_the_split_apart_on_every_seed():
    source = (
        "def f(df, train=0.7, val=0.15):\n"
        "    a, b = round(len(df)*train), round(len(df)*val)\n"
        "    return df.iloc[:a], df.iloc[a:a+b], df.iloc[a+b:]"
    )
    namespace: dict = {}
    exec(source, namespace)
    for seed in range(10):
        assert not ex.verdict("03.q2", namespace["f"], seed).passed, seed


def test_check_prints_one_line(capsys):
    ex.check("01.q4", lambda batch, timesteps, features, units, return_sequences: (batch, units))
    out = capsys.readouterr().out
    assert out.startswith("Q4 rnn_output_shape: not yet (0/1 points) -- ") and out.count("\n") == 1


# ---- the references behind the checks, against Keras and finite differences ------------------------------


def test_scalar_gradient_reference_matches_finite_differences():
    xs, w, u, h0 = [0.3, -1.0, 0.5], 0.8, 1.2, 0.1

    def last(h):
        for v in xs:
            h = np.tanh(w * v + u * h)
        return h

    numeric = (last(h0 + 1e-6) - last(h0 - 1e-6)) / 2e-6
    assert training._scalar_rnn_dh0(xs, w, u, h0) == pytest.approx(numeric, rel=1e-6)


def test_references_match_keras():
    keras = pytest.importorskip("keras")
    for kind in ("SimpleRNN", "LSTM", "GRU"):
        for features, units in [(1, 1), (3, 7), (12, 5)]:
            layer = getattr(keras.layers, kind)(units)
            layer.build((None, None, features))
            assert reference.recurrent_param_count(kind, features, units) == layer.count_params(), kind
    rng = np.random.default_rng(1)
    cell = keras.layers.LSTMCell(3)
    x, h, c = rng.normal(size=(2, 4)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    cell.build((None, 4))
    kernel, recurrent, bias = (w.numpy() for w in cell.weights)
    bias = rng.normal(size=bias.shape)
    cell.weights[2].assign(bias)
    out, (h_k, c_k) = cell(x.astype("float32"), [h.astype("float32"), c.astype("float32")])
    h_ref, c_ref = reference.lstm_step(x, h, c, kernel, recurrent, bias)
    np.testing.assert_allclose(h_ref, np.asarray(h_k), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c_ref, np.asarray(c_k), rtol=1e-4, atol=1e-5)
    # hand vectorization == TextVectorization with its defaults
    texts = ["The movie, was GREAT!", "not good... at all", "a"]
    vec = keras.layers.TextVectorization(output_sequence_length=5)
    vec.adapt(texts)
    vocab = {w: i for i, w in enumerate(vec.get_vocabulary()) if i >= 2}
    np.testing.assert_array_equal(sentiment.token_ids(texts, vocab, 5), np.asarray(vec(texts)))


def test_reference_additions_reject_bad_arguments():
    with pytest.raises(KeyError, match="`kind` expects one of"):
        reference.recurrent_param_count("RNN", 3, 4)
    with pytest.raises(ValueError, match="`units` expects a positive integer"):
        reference.recurrent_param_count("LSTM", 3, 0)
    with pytest.raises(ValueError, match="`gate_order` expects a permutation"):
        states = [np.zeros((1, 4))] * 3
        reference.lstm_step(*states, np.zeros((4, 16)), np.zeros((4, 16)), np.zeros(16), gate_order="iffo")


def test_encode_decode_round_trip():
    import pandas as pd

    df = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", "y"]}, index=pd.date_range("2020-01-01", periods=2))
    value = (np.arange(6).reshape(2, 3), np.float32(1.5), [1, "x", None], {"k": True}, df)
    back = codec.decode(json.loads(json.dumps(codec.encode(value))))
    np.testing.assert_array_equal(back[0], value[0])
    assert back[1] == 1.5 and back[2] == [1, "x", None] and back[3] == {"k": True}
    assert back[4].columns == ["a", "b"] and np.isnan(float(back[4].values[1, 0]))
    np.testing.assert_array_equal(back[4].index, np.asarray(df.index))
    real = codec.decode(json.loads(json.dumps(codec.encode(df))), real_pandas=True)
    pd.testing.assert_frame_equal(real, df, check_freq=False, check_dtype=False)
    with pytest.raises(ValueError):
        codec.encode(object())


def test_the_checks_hold_no_private_copy_of_the_maths():
    text = "\n".join(p.read_text() for p in (ROOT / "rnncourse" / "exercises").glob("*.py"))
    assert "def _sigmoid" not in text and "_ref_" not in text


def test_translation_checks_match_the_seq2seq_library():
    """The NumPy transcriptions behind exercises 07 give what rnncourse.seq2seq gives."""
    keras = pytest.importorskip("keras")
    from rnncourse import seq2seq
    from rnncourse.exercises import translation

    assert (translation.PAD, translation.START, translation.END) == (
        seq2seq.Vocabulary.PAD,
        seq2seq.Vocabulary.START,
        seq2seq.Vocabulary.END,
    )
    vocab = seq2seq.Vocabulary("0123456789")
    targets = ["97", "1", "2024", "305"]
    data = seq2seq.teacher_forcing_data(targets, targets, vocab, vocab)
    got = translation.teacher_forcing_arrays([vocab.encode(t) for t in targets], 1, 2, 0)
    np.testing.assert_array_equal(got[0], data.decoder_input)
    np.testing.assert_array_equal(got[1], data.decoder_target)

    for case in translation.cases_additive_attention(5):
        layer = seq2seq.BahdanauAttention(units=len(case["v"]))
        query, keys = case["query"][None].astype("float32"), case["keys"][None].astype("float32")
        layer(query, keys, values_mask=case["mask"][None])
        layer.set_weights([case["W1"], case["W2"], case["v"]])
        context, weights = layer(query, keys, values_mask=case["mask"][None])
        expected = translation.additive_attention(
            *(case[k] for k in ("query", "keys", "W1", "W2", "v", "mask"))
        )
        np.testing.assert_allclose(expected[0], keras.ops.convert_to_numpy(weights)[0], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(expected[1], keras.ops.convert_to_numpy(context)[0], rtol=1e-4, atol=1e-5)

    # beam_search is beam_step run until beam_width hypotheses have finished (a finished one leaves the beam)
    rng = np.random.default_rng(3)
    for width in (1, 2, 3, 4):
        logits = rng.normal(0, 2, (6, 6))
        table = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))  # START = 5, END = 2
        live, finished = [((), 0.0)], []
        for _ in range(7):
            rows = table[[tokens[-1] if tokens else 5 for tokens, _ in live]]
            step = translation.beam_step(live, rows, width, end=2)
            finished += [beam for beam in step if beam[0][-1] == 2]
            live = [beam for beam in step if beam[0][-1] != 2]
            if len(finished) >= width or not live:
                break
        else:
            finished = finished or live
        found = seq2seq.beam_search(
            lambda tokens, state, table=table: (table[tokens], state),
            np.zeros((1, 1)),
            5,
            2,
            7,
            beam_width=width,
        )
        best = sorted(finished, key=lambda beam: -beam[1])[:width]
        assert [h.tokens for h in found] == [tokens for tokens, _ in best], width
        np.testing.assert_allclose([h.log_prob for h in found], [total for _, total in best])

    compared = 0
    for seed in range(6):
        for case in translation.cases_char_bleu(seed):
            expected = translation.char_bleu(case["reference"], case["hypothesis"])
            if expected > 0:  # no precision is 0: the library's smoothing does not apply
                compared += 1
                assert expected == pytest.approx(seq2seq.sentence_bleu(case["reference"], case["hypothesis"]))
    assert compared >= 20
