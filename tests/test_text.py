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
