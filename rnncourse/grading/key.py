"""The teacher's key: a secret seed for the test cases and held-out sentences with their labels.

`write_key` (`rnncourse key KEY_DIR`) writes it, `read_key` reads it. The key holds data, not question ids:
`Key.cases` draws any question's cases from a seed of the submission's own (`Key.submission_seed`, an HMAC of
the notebook's bytes keyed with the key), and a question graded on labelled sentences
(cases with ``texts`` and ``_labels`` only the grader holds) is graded on the key's held-out ones instead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from rnncourse import exercises
from rnncourse.grading.report import GradingError, _write_atomically

__all__ = ["Key", "read_key", "write_key"]

_KEY_FILE = "key.json"
_KEY_FORMAT = 1
_SENTIMENT_KEY_SIZE = 600


@dataclass(frozen=True)
class Key:
    """A teacher's key: the secret seed of the test cases and held-out sentences with their labels.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Example:
        >>> key = Key(seed=7, sentiment_texts=("a fine film",), sentiment_labels=(1,))
        >>> len(key.cases(exercises.get_question("01.q1"))) > 0
        True
    """

    seed: int
    sentiment_texts: tuple[str, ...]
    sentiment_labels: tuple[int, ...]

    def submission_seed(self, content: bytes) -> int:
        """The seed of one submission's test cases: an HMAC (SHA-256) of the notebook's bytes keyed with the
        key, so each version a learner hands in is tested on cases of its own (resubmitting does not replay
        the cases that were hidden last time) while the same bytes always get the same cases (and grade).
        Without the key nobody can tell which cases a notebook got."""
        secret = json.dumps([self.seed, list(self.sentiment_texts), list(self.sentiment_labels)]).encode()
        digest = hmac.new(secret, b"rnncourse submission seed\0" + bytes(content), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big") >> 1  # 31 bits, like every other seed of the course

    def cases(self, question: exercises.Question, seed: int | None = None) -> list[dict]:
        """The test cases of `question`: drawn from `seed` (a `submission_seed`; default the key's own
        secret seed), or the held-out labelled sentences."""
        cases = question.make_cases(self.seed if seed is None else seed)
        if cases and all({"texts", "_labels"} <= set(case) for case in cases):
            return [dict(texts=list(self.sentiment_texts), _labels=list(self.sentiment_labels))]
        return cases


def write_key(
    folder: str | os.PathLike, *, seed: int | None = None, sentiment_size: int = _SENTIMENT_KEY_SIZE
) -> Path:
    """Write a teacher's key into `folder` (created; must not exist or be empty) and return its file.

    Taught in: none of the notebooks (library only; see docs/teaching.md).

    Keep the folder away from the learners and outside the installed package.

    Args:
        folder: where to write ``key.json``.
        seed: the secret seed of the test cases. Default: a fresh random one.
        sentiment_size: how many held-out sentences the sentiment question is tested on. Default: 600.

    Returns:
        The path of the key file.

    Example:
        >>> write_key("/tmp/course-key")  # doctest: +SKIP
        PosixPath('/tmp/course-key/key.json')
    """
    from rnncourse.exercises.data import held_out_sentiment

    folder = Path(folder)
    package = Path(exercises.__file__).resolve().parents[1]
    if folder.resolve().is_relative_to(package):
        raise GradingError(f"{folder}: a key must not live inside the rnncourse package ({package})")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise GradingError(f"{folder}: expected a new or empty folder for the key")
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    texts, labels = held_out_sentiment()
    chosen = sorted(secrets.SystemRandom(seed).sample(range(len(texts)), min(sentiment_size, len(texts))))
    data = {
        "format": _KEY_FORMAT,
        "seed": seed,
        "sentiment": {"texts": [texts[i] for i in chosen], "labels": [int(labels[i]) for i in chosen]},
    }
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / _KEY_FILE
    _write_atomically(path, json.dumps(data))
    return path


def read_key(folder: str | os.PathLike) -> Key:
    """Read a key written by `write_key`; raises `GradingError` saying what is wrong with it.

    Taught in: none of the notebooks (library only; see docs/teaching.md).
    """
    path = Path(folder) / _KEY_FILE
    if not path.is_file():
        raise GradingError(f"{folder}: not a key folder (no {_KEY_FILE}; write one with `rnncourse key DIR`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sentiment = data["sentiment"]
        key = Key(
            int(data["seed"]), tuple(map(str, sentiment["texts"])), tuple(int(v) for v in sentiment["labels"])
        )
        if data["format"] != _KEY_FORMAT or len(key.sentiment_texts) != len(key.sentiment_labels):
            raise ValueError("unexpected format")
    except (ValueError, KeyError, TypeError) as error:
        raise GradingError(f"{path}: a damaged key ({type(error).__name__}: {error})") from None
    return key
