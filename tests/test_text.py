"""Tests for rnncourse.text: stratified seeded split, TextVectorization padding/masking, datasets."""

import numpy as np
import pytest

from rnncourse.text import decode_tokens, make_vectorizer, stratified_split, text_dataset


def _corpus(n_pos=80, n_neg=20):
    texts = [f"good text number {i}" for i in range(n_pos)] + [f"bad text number {i}" for i in range(n_neg)]
    return texts, [1] * n_pos + [0] * n_neg


def test_split_sizes_ratios_and_no_overlap():
    texts, labels = _corpus()
    (tr, tr_y), (va, va_y), (te, te_y) = stratified_split(texts, labels, val=0.2, test=0.1, seed=0)
    assert (len(tr), len(va), len(te)) == (70, 20, 10)
    for part in (tr_y, va_y, te_y):
        assert np.mean(part) == pytest.approx(0.8)  # 80 % positive everywhere
    assert set(tr) | set(va) | set(te) == set(texts)
    assert not (set(tr) & set(va)) and not (set(tr) & set(te)) and not (set(va) & set(te))
    # labels travel with their texts
    pairs = zip(tr + va + te, tr_y + va_y + te_y, strict=True)
    assert all(t.startswith("good") == bool(y) for t, y in pairs)


def test_split_is_seeded():
    texts, labels = _corpus()
    first = stratified_split(texts, labels, seed=3)
    assert stratified_split(texts, labels, seed=3) == first
    assert stratified_split(texts, labels, seed=4)[0][0] != first[0][0]


def test_split_bad_input():
    with pytest.raises(ValueError, match="empty list"):
        stratified_split([], [])
    with pytest.raises(ValueError, match=r"`labels` expects as many elements as `texts` \(3\), got 2"):
        stratified_split(["a", "b", "c"], [0, 1])
    with pytest.raises(ValueError, match=r"val \+ test < 1"):
        stratified_split(*_corpus(), val=0.5, test=0.5)
    with pytest.raises(ValueError, match="`test` expects a fraction strictly between 0 and 1, got 0"):
        stratified_split(*_corpus(), test=0)
    with pytest.raises(ValueError, match="got 2 of class 0"):
        stratified_split(["a", "b", "c", "d", "e"], [1, 1, 1, 0, 0])
    with pytest.raises(TypeError, match="single string"):
        stratified_split("abc", [0, 1, 0])


def test_vectorizer_pads_with_zero_and_masks():
    import keras

    vectorizer = make_vectorizer(["the cat sat on the mat", "the dog sat"], max_tokens=20, seq_len=6)
    vocabulary = vectorizer.get_vocabulary()
    assert vocabulary[:3] == ["", "[UNK]", "the"]  # 0 padding, 1 unknown, then by frequency
    ids = vectorizer(["The dog flew", "the cat sat on the mat again and again"]).numpy()
    assert ids.shape == (2, 6)
    the, dog = vocabulary.index("the"), vocabulary.index("dog")
    np.testing.assert_array_equal(ids[0], [the, dog, 1, 0, 0, 0])  # lower-cased, unknown -> 1, padded with 0
    assert (ids[1] != 0).all()  # truncated to seq_len, no padding
    mask = keras.layers.Embedding(vectorizer.vocabulary_size(), 4, mask_zero=True).compute_mask(ids)
    np.testing.assert_array_equal(np.asarray(mask), ids != 0)
    assert decode_tokens(vectorizer, ids[0]) == ["the", "dog", "[UNK]"]
    assert decode_tokens(vectorizer, ids[0], keep_padding=True)[-1] == ""


def test_vectorizer_vocabulary_size_limit():
    texts = [" ".join(f"w{i}" for i in range(50))]
    assert make_vectorizer(texts, max_tokens=10, seq_len=5).vocabulary_size() == 10


def test_vectorizer_bad_input():
    with pytest.raises(ValueError, match="empty list"):
        make_vectorizer([])
    with pytest.raises(ValueError, match="`seq_len` expects a positive integer, got 0"):
        make_vectorizer(["a b"], seq_len=0)
    with pytest.raises(ValueError, match="`max_tokens` expects an integer >= 3, got 2"):
        make_vectorizer(["a b"], max_tokens=2)
    with pytest.raises(TypeError, match="`texts` expects a str in every element, .* position 1: None"):
        make_vectorizer(["a", None])


def test_text_dataset():
    vectorizer = make_vectorizer(["good film", "bad film"], max_tokens=10, seq_len=4)
    batches = list(text_dataset(["good film", "bad", "film"], [1, 0, 1], vectorizer, batch_size=2))
    assert [tuple(x.shape) for x, _ in batches] == [(2, 4), (1, 4)]
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in batches]), [1, 0, 1])
    raw = next(iter(text_dataset(["good film"], [1])))[0].numpy()
    assert raw.tolist() == [b"good film"]
    with pytest.raises(ValueError, match=r"`labels` expects as many elements as `texts` \(2\), got 1"):
        text_dataset(["a", "b"], [1])


# ---------------------------------------------------------------------------------------------------------
# Characters: CharVocabulary and tbptt_batches
# ---------------------------------------------------------------------------------------------------------


def test_char_vocabulary_round_trip_and_ids():
    from rnncourse.text import CharVocabulary

    text = "To be, or not to be: that is the question.\nÆ ü\t"
    vocab = CharVocabulary(text)
    assert vocab.chars == tuple(sorted(set(text))) and vocab.size == len(vocab) == len(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == np.int32 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text and vocab.decode(list(ids)) == text
    assert vocab.encode("").shape == (0,) and vocab.decode([]) == ""
    # ids are positions in the sorted characters
    assert [vocab.chars[i] for i in vocab.encode("tob")] == ["t", "o", "b"]
    assert CharVocabulary(["b", "a", "a"]).chars == ("a", "b")


def test_char_vocabulary_unknown_character_is_a_clear_error():
    from rnncourse.text import CharVocabulary

    vocab = CharVocabulary("abc")
    expected = (r"CharVocabulary.encode: `text` expects only characters of the vocabulary \(3 characters\), "
                r"got 2 unknown: 'dz' \(first at position 1\)")
    with pytest.raises(ValueError, match=expected):
        vocab.encode("adcz")
    with pytest.raises(ValueError, match="unknown"):
        vocab.encode("a\U0001F600")            # a code point beyond the lookup table
    with pytest.raises(TypeError, match="expects a string"):
        vocab.encode(["a"])
    with pytest.raises(ValueError, match=r"`ids` expects ids from 0 to 2, got ids from 0 to 3"):
        vocab.decode([0, 3])
    with pytest.raises(TypeError, match="1-D sequence of integer ids"):
        vocab.decode([0.5])
    with pytest.raises(ValueError, match="at least one character"):
        CharVocabulary("")
    with pytest.raises(TypeError, match="one-character strings"):
        CharVocabulary(["ab", "c"])
    with pytest.raises(TypeError, match="iterable of characters"):
        CharVocabulary(3)


def test_tbptt_batches_against_a_hand_worked_layout():
    from rnncourse.text import tbptt_batches

    # 20 ids, 2 streams of 10: [0..9] and [10..19]; windows of 3 -> (10 - 1) // 3 = 3 batches
    x, y = tbptt_batches(np.arange(20), batch_size=2, seq_len=3)
    expected_x = [[0, 1, 2], [10, 11, 12],      # batch 0
                  [3, 4, 5], [13, 14, 15],      # batch 1: row i continues row i of batch 0
                  [6, 7, 8], [16, 17, 18]]      # batch 2
    expected_y = [[1, 2, 3], [11, 12, 13], [4, 5, 6], [14, 15, 16], [7, 8, 9], [17, 18, 19]]
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    assert x.dtype == y.dtype == np.int32
    # a remainder that does not fill the streams is dropped: 23 ids -> streams of 11, still 3 batches
    x, y = tbptt_batches(np.arange(23), batch_size=2, seq_len=3)
    np.testing.assert_array_equal(x[:2], [[0, 1, 2], [11, 12, 13]])
    assert x.shape == (6, 3)


def test_tbptt_batches_streams_are_contiguous_for_random_sizes():
    import os

    from rnncourse.text import tbptt_batches

    rng = np.random.default_rng(int(os.environ["RNNCOURSE_TEST_SEED"]))
    for _ in range(20):
        n, batch, seq = int(rng.integers(30, 500)), int(rng.integers(1, 6)), int(rng.integers(1, 9))
        if (n // batch - 1) // seq < 1:
            continue
        ids = rng.integers(0, 50, n)
        x, y = tbptt_batches(ids, batch, seq)
        streams = x.reshape(-1, batch, seq).transpose(1, 0, 2).reshape(batch, -1)
        for row in range(batch):
            start = row * (n // batch)
            np.testing.assert_array_equal(streams[row], ids[start:start + streams.shape[1]])
        np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # targets are the inputs one step later


def test_tbptt_batches_bad_input():
    from rnncourse.text import tbptt_batches

    expected = r"tbptt_batches: `ids` expects at least batch_size \* \(seq_len \+ 1\) = 8 ids, got 7"
    with pytest.raises(ValueError, match=expected):
        tbptt_batches(np.arange(7), 2, 3)
    with pytest.raises(ValueError, match="`seq_len` expects a positive integer, got 0"):
        tbptt_batches(np.arange(70), 2, 0)
    with pytest.raises(TypeError, match="`batch_size` expects a positive integer"):
        tbptt_batches(np.arange(70), 2.0, 3)
    with pytest.raises(TypeError, match="1-D sequence of integer ids"):
        tbptt_batches(np.zeros((5, 5), dtype=int), 1, 2)
