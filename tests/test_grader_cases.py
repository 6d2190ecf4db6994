"""The source of a batch's test cases (`grading.cases.CaseSource`): the one place that knows the mode."""

from __future__ import annotations

import pytest

from rnncourse import exercises as ex
from rnncourse.grading.cases import CaseSource
from rnncourse.grading.key import Key, write_key


def test_self_study_gives_every_notebook_the_batch_seed():
    source = CaseSource.given(None, 5)
    assert not source.teacher and source.mode == "self-study" and source.folder is None
    assert source.seed_for(b"one") == source.seed_for(b"two") == 5
    question = ex.get_question("01.q1")
    assert repr(source.cases(question, 5)) == repr(question.make_cases(5))


def test_self_study_without_a_seed_draws_a_fresh_one():
    seeds = {CaseSource.given(None, None).seed for _ in range(5)}
    assert len(seeds) > 1 and all(0 <= s < 2**31 for s in seeds)


def test_teacher_mode_seeds_each_submission_from_its_bytes(tmp_path):
    write_key(tmp_path / "key", seed=7, sentiment_size=20)
    source = CaseSource.given(tmp_path / "key", None)
    assert source.teacher and source.mode == "teacher" and source.folder == tmp_path / "key"
    assert source.seed_for(b"one") == source.key.submission_seed(b"one") != source.seed_for(b"two")
    question = ex.get_question("01.q1")
    seed = source.seed_for(b"one")
    assert repr(source.cases(question, seed)) == repr(source.key.cases(question, seed))
    given = Key(seed=7, sentiment_texts=("a fine film",), sentiment_labels=(1,))
    assert CaseSource.given(given, None).key is given and CaseSource.given(given, None).folder is None


def test_a_key_and_a_seed_together_are_refused():
    key = Key(seed=7, sentiment_texts=("a fine film",), sentiment_labels=(1,))
    with pytest.raises(ValueError, match="a key brings its own secret seed"):
        CaseSource.given(key, 3)
    with pytest.raises(ValueError, match="seed"):
        CaseSource.given(None, -1)
