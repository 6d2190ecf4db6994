"""Checks of exercise notebook 06, language models: sampling with a temperature, bits per character, the
truncated-BPTT batch layout, and one smoothed bigram probability."""

from __future__ import annotations

import numpy as np

from rnncourse.baselines import CharNGramModel
from rnncourse.exercises.checking import (
    CheckFailed,
    as_number_array,
    case_rng,
    compare_arrays,
    exact_int,
    one_number,
)
from rnncourse.text import tbptt_batches


def _tempered(logits: np.ndarray, temperature: float) -> np.ndarray:
    scaled = logits / temperature
    scaled = scaled - scaled.max()
    return np.exp(scaled) / np.exp(scaled).sum()


def _inverse_cdf(probs: np.ndarray, u: float) -> int:
    return int(min(np.searchsorted(np.cumsum(probs), u, side="right"), len(probs) - 1))


def cases_sample_with_temperature(seed: int) -> list[dict]:
    rng = case_rng(seed, 601)
    cases = []
    for temperature in (0.0, 0.0, 0.5, 1.0, 1.0, 2.0, 0.25, 3.0):
        logits = rng.normal(0, 2, int(rng.integers(3, 12)))
        u = float(rng.uniform(0, 1))
        # Away from 1, pick u where the temperature changes the draw, so leaving it out cannot pass.
        for _ in range(100):
            if temperature in (0.0, 1.0) or _inverse_cdf(_tempered(logits, temperature), u) != _inverse_cdf(
                    _tempered(logits, 1.0), u):
                break
            u = float(rng.uniform(0, 1))
        cases.append(dict(logits=logits, temperature=temperature, u=u))
    return cases


def check_sample_with_temperature(answer, case):
    logits, temperature, u = case["logits"], case["temperature"], case["u"]
    got = exact_int(answer)
    if temperature == 0.0:
        if got != int(np.argmax(logits)):
            raise CheckFailed("at temperature 0 the answer is the index of the largest logit (argmax)")
        return
    expected = _inverse_cdf(_tempered(logits, temperature), u)
    if got == expected:
        return
    if got == _inverse_cdf(_tempered(logits, 1.0), u):
        raise CheckFailed(f"at temperature {temperature} you drew from softmax(logits): divide the logits by "
                          "the temperature first")
    if got == _inverse_cdf(_tempered(logits, 1.0 / temperature), u):
        raise CheckFailed(f"at temperature {temperature}: it looks like you multiplied the logits by the "
                          "temperature; divide them")
    if got == int(min(np.searchsorted(np.cumsum(_tempered(logits, temperature)), u, side="left"),
                      len(logits) - 1)) or got == expected - 1:
        raise CheckFailed("off by one: return the first index whose cumulative probability is above u")
    raise CheckFailed(f"wrong index for temperature={temperature}, u={u:.3f} ({len(logits)} logits)")


def cases_bits_per_char(seed: int) -> list[dict]:
    rng = case_rng(seed, 602)
    cases = []
    for n, classes in [(5, 3), (20, 10), (1, 4), (50, 79)]:
        probs = rng.dirichlet(np.ones(classes), size=n)
        cases.append(dict(probs=probs, targets=rng.integers(0, classes, n)))
    return cases


def check_bits_per_char(answer, case):
    probs, targets = case["probs"], case["targets"]
    chosen = probs[np.arange(len(targets)), targets]
    expected = -np.mean(np.log2(chosen))
    got = one_number(answer)
    mistakes = {
        "used the natural logarithm; bits need log base 2": -np.mean(np.log(chosen)),
        "summed over the characters; bits per character is the mean": -np.sum(np.log2(chosen)),
        "forgot the minus sign": np.mean(np.log2(chosen)),
        "returned the perplexity 2 ** bits": 2.0 ** expected,
        "averaged -log2 p over every class, not only the true character's": -np.mean(np.log2(probs)),
    }
    compare_arrays(got, expected, what="your bits per character", mistakes=mistakes)


def cases_tbptt_layout(seed: int) -> list[dict]:
    rng = case_rng(seed, 603)
    cases = [dict(ids=np.arange(20), batch_size=2, seq_len=3)]  # the example of the notebook
    for _ in range(3):
        batch, seq = int(rng.integers(2, 5)), int(rng.integers(2, 7))
        n = int(rng.integers(batch * (seq + 1) * 2, batch * (seq + 1) * 5))
        cases.append(dict(ids=rng.integers(0, 60, n), batch_size=batch, seq_len=seq))
    return cases


def check_tbptt_layout(answer, case):
    ids, batch, seq = case["ids"], case["batch_size"], case["seq_len"]
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise CheckFailed("return a pair (x, y)")
    x, y = tbptt_batches(ids, batch, seq)
    # The usual mistake: consecutive windows in consecutive rows (no streams), so row i of the next batch
    # does not continue row i of this one.
    usable = (len(ids) - 1) // seq * seq
    windows = np.asarray(ids[:usable]).reshape(-1, seq)[: len(x)]
    targets = np.asarray(ids[1:usable + 1]).reshape(-1, seq)[: len(x)]
    got_x = as_number_array(answer[0], "your x")
    if got_x.shape == windows.shape and np.array_equal(got_x, windows) and not np.array_equal(got_x, x):
        raise CheckFailed("your windows follow each other row after row; row i of batch b + 1 must continue "
                          "row i of batch b (cut the text into batch_size streams first)")
    compare_arrays(answer[0], x, what="your x", mistakes={"returned y as x": y})
    compare_arrays(answer[1], y, what="your y", mistakes={"returned x as y (the target is one step later)": x,
                                                          "consecutive windows, not streams": targets})


def cases_bigram_probability(seed: int) -> list[dict]:
    rng = case_rng(seed, 604)
    cases = []
    for _ in range(4):
        vocab_size = int(rng.integers(3, 7))
        text = rng.integers(0, vocab_size - 1, int(rng.integers(15, 40)))  # the last id never occurs
        prev = int(rng.integers(0, vocab_size))  # sometimes a context never seen
        char = int(rng.integers(0, vocab_size))
        cases.append(dict(text=text, prev=prev, char=char, vocab_size=vocab_size,
                          discount=float(rng.choice([0.5, 0.75]))))
    cases.append(dict(text=np.array([0, 1, 0, 1, 0, 2]), prev=0, char=1, vocab_size=3, discount=0.75))
    return cases


def check_bigram_probability(answer, case):
    text, prev, char, V, D = case["text"], case["prev"], case["char"], case["vocab_size"], case["discount"]
    model = CharNGramModel(2, V, discount=D).fit(text)
    expected = model.predict_proba([prev])[char]
    unigram = CharNGramModel(1, V, discount=D).fit(text).predict_proba([])[char]
    counts = np.sum((text[:-1] == prev) & (text[1:] == char))
    total = np.sum(text[:-1] == prev)
    mistakes = {"returned the smoothed unigram probability": unigram}
    if total:
        mistakes["returned the raw bigram frequency (no discount)"] = counts / total
        mistakes["discounted, but gave the saved mass to the uniform distribution instead of the unigram"] = (
            (max(counts - D, 0) + D * len(set(text[1:][text[:-1] == prev])) / V) / total)
    compare_arrays(one_number(answer), expected, what="your probability", mistakes=mistakes)
