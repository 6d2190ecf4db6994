"""Tests of rnncourse.exercises (the shared checks) and of the exercise generator (no kernels here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import make_exercises
import numpy as np
import pytest

from rnncourse import exercises as ex
from rnncourse import reference
from rnncourse.exercises import codec, sentiment, training

ROOT = Path(__file__).resolve().parents[1]


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
    assert stale == [], f"run `python3 tasks.py exercises`: {stale}"


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
    (
        "08.q1",
        "def f(first, second):\n    (a1, b1), (a2, b2) = first, second\n    return a1 * a2, a1 * b2 + b1",
        "did the second step first",
    ),
    (
        "08.q2",
        "def f(x_t, h_prev, W_z, b_z, W_h, b_h):\n"
        "    z = 1 / (1 + np.exp(-(x_t @ W_z + b_z + h_prev)))\n"
        "    return (1 - z) * h_prev + z * (x_t @ W_h + b_h)",
        "h_prev went into the gate or the candidate. That is a GRU",
    ),
    (
        "08.q2",
        "def f(x_t, h_prev, W_z, b_z, W_h, b_h):\n"
        "    z = 1 / (1 + np.exp(-(x_t @ W_z + b_z)))\n"
        "    return z * h_prev + (1 - z) * (x_t @ W_h + b_h)",
        "swapped z and 1 - z",
    ),
    (
        "08.q3",
        "def f(kind, features, units):\n"
        "    b = units * (features + 1)\n"
        "    return {'MinGRU': 2 * b, 'MinLSTM': 3 * b, 'GRU': 3 * units * (features + units + 1)}[kind]",
        "a second bias vector",
    ),
    (
        "08.q4",
        "def f(log_a, log_b, log_h0):\n"
        "    a, b, h, hs = np.exp(log_a), np.exp(log_b), np.exp(log_h0), []\n"
        "    for t in range(a.shape[1]):\n"
        "        h = a[:, t] * h + b[:, t]\n"
        "        hs.append(h)\n"
        "    return np.log(np.stack(hs, axis=1))",
        "left log space",
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
    # nor does a returned number: a float with an integer value could carry a hidden input out
    sampling = ex.get_question("06.q1").make_cases(7)
    smuggled = [round(abs(float(case["logits"][0])) * 1e6) for case in sampling]

    def smuggles(logits, temperature, u):
        return float(round(abs(float(logits[0])) * 1e6))

    record = ex.answer_record("06.q1", smuggles, ex.encode_cases(sampling))
    for hidden in (False, True):
        reason = ex.verdict_from_record("06.q1", record, sampling, hidden=hidden).reason
        assert "should be an int, got a float" in reason, reason
        assert not any(str(number) in reason for number in smuggled), reason


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


def test_parallel_recurrence_checks_match_the_min_rnn_library():
    """The expected values behind exercises 08 are what rnncourse.min_rnn and Keras compute."""
    keras = pytest.importorskip("keras")
    from rnncourse import min_rnn
    from rnncourse.exercises import parallel_recurrence as pr

    # Q1: the solution's combine is associative on random arrays, and a prefix scan with it (every method)
    # gives the reference loop of the linear recurrence; the check's values are recurrence_combine's.
    combine = _namespace("08_parallel_recurrence_exercises", learner=False)["combine"]
    rng = np.random.default_rng(8)
    x, y, z = ((rng.uniform(0, 1.5, (3, 4)), rng.normal(0, 1, (3, 4))) for _ in range(3))
    for got, want in zip(combine(combine(x, y), z), combine(x, combine(y, z)), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    a, b = rng.uniform(0, 1, (1, 9, 2)), rng.normal(0, 1, (1, 9, 2))
    steps = [(a[0, t], b[0, t]) for t in range(9)]
    for method in ("hillis_steele", "blelloch", "sequential"):
        scanned = np.stack([h for _, h in reference.prefix_scan(steps, combine, method=method).result])
        np.testing.assert_allclose(scanned, reference.linear_recurrence(a, b)[0], rtol=1e-12)
    for case in pr.cases_combine(3):
        want = reference.recurrence_combine(case["first"], case["second"])
        for got, expected in zip(combine(case["first"], case["second"]), want, strict=True):
            np.testing.assert_allclose(got, expected)

    # Q2: one step of MinGRU, computed by the layer in each of its modes, from h_prev.
    for case in pr.cases_min_gru_step(5):
        units = case["W_z"].shape[1]
        x_t = case["x_t"][:, None, :].astype("float32")
        kernel = np.concatenate([case["W_z"], case["W_h"]], axis=1)
        bias = np.concatenate([case["b_z"], case["b_h"]])
        for mode in ("parallel", "sequential"):
            gru = min_rnn.MinGRU(units, mode=mode)
            gru(x_t, initial_state=case["h_prev"].astype("float32"))
            gru.set_weights([kernel, bias])
            h = keras.ops.convert_to_numpy(gru(x_t, initial_state=case["h_prev"].astype("float32")))
            np.testing.assert_allclose(
                pr.min_gru_step(*(case[k] for k in ("x_t", "h_prev", "W_z", "b_z", "W_h", "b_h"))),
                h,
                rtol=1e-4,
                atol=1e-5,
            )

    # Q3: the counts are those of the layers.
    for case in pr.cases_min_rnn_params(2):
        kind, features, units = case["kind"], case["features"], case["units"]
        layer = keras.layers.GRU(units) if kind == "GRU" else getattr(min_rnn, kind)(units)
        layer.build((None, None, features))
        assert reference.recurrent_param_count(kind, features, units) == layer.count_params(), kind

    # Q4: the logarithm of log_linear_recurrence (float64), and of the reference loop where h_t is a float64
    # number; for the states beyond float64 the recurrence is shifted: h_0 and b times e^c give h times e^c.
    compared = 0
    for seed in (0, 4):
        for case in pr.cases_log_recurrence(seed):
            log_a, log_b, log_h0 = case["log_a"], case["log_b"], case["log_h0"]
            expected = pr.log_recurrence(log_a, log_b, log_h0)
            c = float(np.median(log_b))
            if abs(c) > 100:  # h_t is too small or too large: shift it back into range
                np.testing.assert_allclose(
                    pr.log_recurrence(log_a, log_b - c, log_h0 - c) + c, expected, rtol=1e-12, atol=1e-9
                )
                log_b, log_h0, expected = log_b - c, log_h0 - c, expected - c
            h = keras.ops.convert_to_numpy(min_rnn.log_linear_recurrence(log_a, log_b, log_h0))
            assert h.dtype == np.float64
            np.testing.assert_allclose(np.log(h), expected, rtol=1e-9, atol=1e-8)
            if log_a.shape[1] < 100:  # where a_1 ... a_t stays a float64 number
                loop = reference.linear_recurrence(np.exp(log_a), np.exp(log_b), np.exp(log_h0))
                np.testing.assert_allclose(np.log(loop), expected, rtol=1e-9, atol=1e-9)
            compared += 1
    assert compared == 10


def test_parallel_recurrence_hints_never_repeat_what_the_answer_returned():
    """In teacher mode the learner's function sees hidden inputs; a hint that repeated its number or its
    array's shape could carry them back (as the returned name of 05.q3 once could)."""
    smuggled = {
        "08.q1": lambda first, second: (np.zeros((97, 13)), 0.0),
        "08.q2": lambda x_t, h_prev, W_z, b_z, W_h, b_h: np.zeros((97, 13)),
        "08.q3": lambda kind, features, units: 9713,
        "08.q4": lambda log_a, log_b, log_h0: np.zeros((97, 13)),
    }
    for qid, answer in smuggled.items():
        reason = ex.verdict(qid, answer, 0).reason
        assert not ex.verdict(qid, answer, 0).passed
        assert "97" not in reason and "13" not in reason, (qid, reason)
    for seed in range(5):
        result = ex.verdict("08.q3", lambda kind, features, units: 7, seed)
        for case in ex.get_question("08.q3").make_cases(seed):
            expected = reference.recurrent_param_count(case["kind"], case["features"], case["units"])
            assert not re.search(rf"\b{expected}\b", result.reason), result.reason
