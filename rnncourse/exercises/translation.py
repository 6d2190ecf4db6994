"""Checks of exercise notebook 07, translation: the teacher-forcing shift, additive attention weights, one
step of beam search, and sentence BLEU on characters.

The expected values come from NumPy transcriptions of `rnncourse.seq2seq` (`teacher_forcing_data`,
`BahdanauAttention`, one step of `beam_search`, the clipped n-gram counts of `sentence_bleu`), so the
grader never imports Keras; ``tests/test_exercises.py`` checks each transcription against the library.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from rnncourse.exercises.checking import CheckFailed, as_number_array, case_rng, compare_arrays, one_number

# The special ids of `rnncourse.seq2seq.Vocabulary`.
PAD, START, END = 0, 1, 2


# ---------------------------------------------------------------------------------------------------------
# Q1 the teacher-forcing shift
# ---------------------------------------------------------------------------------------------------------


def _padded(rows: list[list[int]], width: int, pad: int) -> np.ndarray:
    out = np.full((len(rows), width), pad, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def teacher_forcing_arrays(target_ids, start: int, end: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """``(decoder_input, decoder_target)`` of `rnncourse.seq2seq.teacher_forcing_data` from target ids."""
    rows = [[int(t) for t in ids] for ids in target_ids]
    width = max(len(r) for r in rows) + 1
    return _padded([[start, *r] for r in rows], width, pad), _padded([[*r, end] for r in rows], width, pad)


def cases_teacher_forcing_arrays(seed: int) -> list[dict]:
    rng = case_rng(seed, 701)
    # The example of the notebook: "ba" and "a" with a=3, b=4.
    cases = [dict(target_ids=[np.array([4, 3]), np.array([3])], start=START, end=END, pad=PAD)]
    for n, longest, first_id in [(3, 5, 3), (5, 8, 3), (4, 6, 3), (3, 4, 6)]:
        lengths = rng.integers(1, longest + 1, n)
        lengths[rng.integers(0, n)] = longest  # one row as long as the longest
        ids = [rng.integers(first_id, first_id + 10, int(k)) for k in lengths]
        specials = (START, END, PAD) if first_id == 3 else (4, 5, 3)  # other ids: read the arguments
        cases.append(dict(target_ids=ids, start=specials[0], end=specials[1], pad=specials[2]))
    return cases


def _int_array(value, what: str) -> np.ndarray:
    array = as_number_array(value, what)
    if np.asarray(value).dtype.kind not in "iu":
        raise CheckFailed(f"{what} should hold integer ids (an int array), got {np.asarray(value).dtype}")
    return array


def check_teacher_forcing_arrays(answer, case):
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise CheckFailed("return a pair (decoder_input, decoder_target)")
    start, end, pad = case["start"], case["end"], case["pad"]
    rows = [[int(t) for t in ids] for ids in case["target_ids"]]
    width = max(len(r) for r in rows) + 1
    decoder_input, decoder_target = teacher_forcing_arrays(case["target_ids"], start, end, pad)
    got_input = _int_array(answer[0], "your decoder_input")
    got_target = _int_array(answer[1], "your decoder_target")
    if (
        got_input.shape == decoder_target.shape
        and got_target.shape == decoder_input.shape
        and np.array_equal(got_input, decoder_target)
        and np.array_equal(got_target, decoder_input)
    ):
        raise CheckFailed("decoder_input and decoder_target are swapped: the decoder reads START first")
    if (start, end, pad) != (START, END, PAD):
        usual = teacher_forcing_arrays(case["target_ids"], START, END, PAD)
        if np.array_equal(got_input, usual[0]) or np.array_equal(got_target, usual[1]):
            raise CheckFailed("use the start, end and pad arguments, not the ids 1, 2 and 0")
    input_mistakes = {
        "did not shift: the decoder input must be START followed by the target": _padded(rows, width, pad),
        "put END in the decoder input; END belongs to the target only": _padded(
            [[start, *r, end] for r in rows], width + 1, pad
        ),
        "put END in the decoder input (the target then END); the input is START then the target": _padded(
            [[*r, end] for r in rows], width, pad
        ),
        "padded at the front; pad at the end of each row": np.stack(
            [np.concatenate([np.full(width - len(r) - 1, pad), [start], r]) for r in rows]
        ),
    }
    target_mistakes = {
        "put START in the decoder target; the target is the target ids then END": _padded(
            [[start, *r, end] for r in rows], width + 1, pad
        ),
        "put START in the decoder target (START then the target); it is the target ids then END": _padded(
            [[start, *r] for r in rows], width, pad
        ),
        "left out END: the decoder must learn to write END after the last id": _padded(rows, width, pad),
        "padded at the front; pad at the end of each row": np.stack(
            [np.concatenate([np.full(width - len(r) - 1, pad), r, [end]]) for r in rows]
        ),
    }
    compare_arrays(got_input, decoder_input, what="your decoder_input", mistakes=input_mistakes)
    compare_arrays(got_target, decoder_target, what="your decoder_target", mistakes=target_mistakes)


# ---------------------------------------------------------------------------------------------------------
# Q2 additive attention
# ---------------------------------------------------------------------------------------------------------


def _softmax(scores: np.ndarray, axis: int) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def additive_attention(query, keys, W1, W2, v, mask, *, squash=np.tanh, axis=-1, use_mask=True):
    """``(weights, context)`` of `rnncourse.seq2seq.BahdanauAttention` for one sequence (no batch axis):
    `query` ``(T, query_dim)`` against `keys` ``(S, key_dim)``; the keyword arguments make the mistakes."""
    query, keys = np.asarray(query, dtype=np.float64), np.asarray(keys, dtype=np.float64)
    scores = squash((query @ W1)[:, None, :] + (keys @ W2)[None, :, :]) @ v  # (T, S)
    if use_mask:  # as the layer does: exp() of a score lowered by 1e9 is exactly 0
        scores = scores - 1e9 * (1.0 - np.asarray(mask, dtype=np.float64))[None, :]
    weights = _softmax(scores, axis=axis)
    return weights, weights @ keys


def cases_additive_attention(seed: int) -> list[dict]:
    rng = case_rng(seed, 702)
    cases = []
    for steps, sources, query_dim, key_dim, units, padded in [
        (1, 4, 3, 3, 4, 0),
        (3, 5, 4, 2, 3, 2),
        (2, 7, 2, 5, 6, 3),
        (4, 3, 3, 4, 2, 1),
        (2, 6, 5, 3, 4, 0),
    ]:
        mask = np.ones(sources, dtype=bool)
        if padded:
            mask[sources - padded :] = False  # padding at the end, as Embedding(mask_zero=True) gives
        cases.append(
            dict(
                query=rng.normal(0, 1, (steps, query_dim)),
                keys=rng.normal(0, 1, (sources, key_dim)),
                W1=rng.normal(0, 1, (query_dim, units)),
                W2=rng.normal(0, 1, (key_dim, units)),
                v=rng.normal(0, 1.5, units),
                mask=mask,
            )
        )
    return cases


def check_additive_attention(answer, case):
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise CheckFailed("return a pair (weights, context)")
    args = [case[k] for k in ("query", "keys", "W1", "W2", "v", "mask")]
    weights, context = additive_attention(*args)
    wrong = {
        "normalised over the query steps (axis 0); softmax runs over the source positions (the last axis)": {
            "axis": 0
        },
        "ignored the mask; padded source positions must get weight 0": {"use_mask": False},
        "left out the tanh: the score is v . tanh(q W1 + k_j W2)": {"squash": lambda a: a},
    }
    wrong = {text: additive_attention(*args, **change) for text, change in wrong.items()}
    compare_arrays(answer[0], weights, what="your weights", mistakes={k: w for k, (w, _) in wrong.items()})
    compare_arrays(answer[1], context, what="your context")


# ---------------------------------------------------------------------------------------------------------
# Q3 one step of beam search
# ---------------------------------------------------------------------------------------------------------


def beam_step(beams, log_probs, beam_width: int, end: int, *, combine=None, per_beam=False, carry=True):
    """The `beam_width` best candidates of one step, best first: every live beam extended by every token,
    a finished beam (last token `end`) carried over unchanged; ties keep the candidates' order (beam, then
    token), as the stable sort of `rnncourse.seq2seq.beam_search` does. The keyword arguments make the
    mistakes."""
    combine = combine or (lambda total, step: total + step)
    log_probs = np.asarray(log_probs, dtype=np.float64)
    candidates = []
    for (tokens, total), row in zip(beams, log_probs, strict=True):
        tokens = tuple(int(t) for t in tokens)
        if carry and tokens and tokens[-1] == end:
            candidates.append((tokens, float(total)))
            continue
        tokens_of_row = [int(np.argmax(row))] if per_beam else range(len(row))
        candidates += [(tokens + (t,), float(combine(total, row[t]))) for t in tokens_of_row]
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i][1])  # sorted() is stable
    return [candidates[i] for i in order[:beam_width]]


def cases_beam_step(seed: int) -> list[dict]:
    rng = case_rng(seed, 703)

    def log_softmax(rows: int, vocab: int) -> np.ndarray:
        logits = rng.normal(0, 1.5, (rows, vocab))
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    cases = []
    # The first step: one empty beam, as beam_search starts.
    cases.append(dict(beams=[((), 0.0)], log_probs=log_softmax(1, 6), beam_width=3, end=END))
    for n_beams, vocab, width, finished in [(2, 5, 2, 0), (3, 6, 3, 0), (3, 5, 4, 1), (4, 7, 3, 2)]:
        beams = []
        for b in range(n_beams):
            tokens = [int(t) for t in rng.integers(3, vocab, int(rng.integers(1, 5)))]
            if b < finished:
                tokens.append(END)
            beams.append((tuple(tokens), float(-rng.uniform(0.5, 1.5) * len(tokens))))
        if finished:  # a finished beam good enough to stay
            beams[0] = (beams[0][0], float(max(total for _, total in beams) + 0.3))
        cases.append(dict(beams=beams, log_probs=log_softmax(n_beams, vocab), beam_width=width, end=END))
    return cases


def check_beam_step(answer, case):
    if not isinstance(answer, list | tuple):
        raise CheckFailed(f"return a list of (tokens, log_prob) pairs, got {type(answer).__name__}")
    args = (case["beams"], case["log_probs"], case["beam_width"], case["end"])
    expected = beam_step(*args)
    pairs = []
    for item in answer:
        if not isinstance(item, list | tuple) or len(item) != 2 or not isinstance(item[0], list | tuple):
            raise CheckFailed("each beam you return should be a pair (tokens tuple, cumulative log-prob)")
        try:
            tokens = tuple(int(t) for t in item[0])
        except (TypeError, ValueError):
            raise CheckFailed("the tokens of a beam should be a tuple of int ids") from None
        pairs.append((tokens, float(one_number(item[1], "a beam's log-prob"))))
    if [t for t, _ in pairs] == [t for t, _ in expected] and np.allclose(
        [s for _, s in pairs], [s for _, s in expected], rtol=1e-6, atol=1e-9
    ):
        return
    mistakes = {
        "kept only the best token of each beam (greedy per beam); every token of every beam competes": {
            "per_beam": True
        },
        "ranked by the step's log-prob alone; a beam's score is its cumulative log-prob plus the step's": {
            "combine": lambda total, step: step
        },
        "multiplied log-probs; log-probabilities add": {"combine": lambda total, step: total * step},
        "extended finished beams; a beam that ends with END is carried over unchanged": {"carry": False},
    }
    for text, change in mistakes.items():
        wrong = beam_step(*args, **change)
        if [t for t, _ in pairs] == [t for t, _ in wrong] and np.allclose(
            [s for _, s in pairs], [s for _, s in wrong], rtol=1e-6, atol=1e-9
        ):
            raise CheckFailed(f"it looks like you {text}")
    if len(pairs) != len(expected):
        raise CheckFailed(f"return beam_width={case['beam_width']} beams, got {len(pairs)}")
    if sorted(pairs, key=lambda p: -p[1]) != pairs:
        raise CheckFailed("sort the beams best first (highest cumulative log-prob first)")
    if sorted(t for t, _ in pairs) == sorted(t for t, _ in expected):
        raise CheckFailed("the right beams, but some cumulative log-probs are wrong")
    raise CheckFailed(
        f"the beams are not the {case['beam_width']} best candidates ({len(case['beams'])} beams, "
        f"vocabulary of {case['log_probs'].shape[1]})"
    )


# ---------------------------------------------------------------------------------------------------------
# Q4 sentence BLEU on characters
# ---------------------------------------------------------------------------------------------------------


def char_bleu(reference: str, hypothesis: str, *, clip=True, brevity=True, scale=100.0, keep_space=False):
    """BLEU-4 on the characters (white space dropped), clipped counts, brevity penalty, no smoothing: 0
    when an order has no match or no n-gram. Where all four precisions are positive it is
    `rnncourse.seq2seq.sentence_bleu`. The keyword arguments make the mistakes."""
    ref = [c for c in reference if keep_space or not c.isspace()]
    hyp = [c for c in hypothesis if keep_space or not c.isspace()]
    log_precisions = []
    for n in range(1, 5):
        hyp_ngrams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
        ref_ngrams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
        unclipped = {g: k for g, k in hyp_ngrams.items() if g in ref_ngrams}
        matched = hyp_ngrams & ref_ngrams if clip else unclipped
        matches, total = sum(matched.values()), sum(hyp_ngrams.values())
        if matches == 0:
            return 0.0
        log_precisions.append(math.log(matches / total))
    penalty = math.exp(1 - len(ref) / len(hyp)) if brevity and len(hyp) < len(ref) else 1.0
    return scale * penalty * math.exp(sum(log_precisions) / 4)


_WORDS = (
    "siebenundneunzig",
    "dreihundertzwölf",
    "einundzwanzig",
    "neunzehn",
    "achthundertachtzig",
    "sechsundsechzig",
    "zweitausendvierzehn",
    "vierhundertdreiunddreißig",
    "fünfundfünfzig",
    "elf",
)


def cases_char_bleu(seed: int) -> list[dict]:
    rng = case_rng(seed, 704)
    words = [str(w) for w in rng.permutation(list(_WORDS)) if len(w) >= 12]

    def substitute(text: str, k: int) -> str:
        chars = list(text)
        for i in rng.choice(np.arange(2, len(chars) - 2), size=k, replace=False):
            chars[i] = "x"
        return "".join(chars)

    ref = words[0]
    cases = [dict(reference=ref, hypothesis=ref)]  # a perfect translation
    cases.append(dict(reference=words[1], hypothesis=substitute(words[1], 1)))
    cut = int(rng.integers(2, 4))  # shorter: the brevity penalty
    cases.append(dict(reference=words[2], hypothesis=words[2][:-cut]))
    # longer, with a repeated piece: clipping counts each n-gram at most as often as in the reference
    piece = words[3][: int(rng.integers(4, 6))]
    cases.append(dict(reference=words[3], hypothesis=words[3] + piece + piece))
    # digits with spaces in the reference only: white space is not a character here
    number = "".join(str(d) for d in rng.integers(1, 10, 6))
    spaced = number[:3] + " " + number[3:]
    cases.append(dict(reference=spaced, hypothesis=number[:-1] + str((int(number[-1]) + 1) % 10)))
    cases.append(dict(reference=words[4], hypothesis=words[4][::-1]))  # no 4-gram in common: 0
    cases.append(dict(reference=words[5], hypothesis=words[5][:3]))  # no 4-gram at all: 0
    return cases


def check_char_bleu(answer, case):
    reference, hypothesis = case["reference"], case["hypothesis"]
    expected = char_bleu(reference, hypothesis)
    got = one_number(answer, "your BLEU")
    mistakes = {
        "used the 0-1 scale; BLEU here is on the 0-100 scale": {"scale": 1.0},
        "left out the brevity penalty": {"brevity": False},
        "did not clip: a hypothesis n-gram matches at most as often as it occurs in the reference": {
            "clip": False
        },
        "kept the white space; compare the characters other than white space": {"keep_space": True},
    }
    mistakes = {text: char_bleu(reference, hypothesis, **change) for text, change in mistakes.items()}
    if expected == 0.0:
        if float(got) != 0.0:
            raise CheckFailed(
                "an order n with no matching n-gram (or a hypothesis shorter than 4 characters) gives BLEU 0 "
                f"(reference of {len(reference)} characters, hypothesis of {len(hypothesis)})"
            )
        return
    compare_arrays(got, expected, what="your BLEU", mistakes=mistakes, rtol=1e-6)
