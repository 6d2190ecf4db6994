"""The baselines an RNN has to beat before its score means anything.

Forecasting baselines read the **same input windows** ``X`` the RNN sees (``X`` of shape
``(n, seq_len, features)`` from ``rnncourse.timeseries.window_arrays``), so their errors compare like with
like: same targets, same test windows, same scale. Each returns forecasts of shape ``(n,)`` for
``horizon=1`` and ``(n, horizon)`` otherwise, the shapes of the targets ``y`` from ``window_arrays``.

- ``naive_forecast``: tomorrow is like today (the last value, repeated over the horizon).
- ``seasonal_naive_forecast``: like the same day one season ago (e.g. ``season=7``: same weekday last week).
- ``moving_average_forecast``: the mean of the last ``window`` values.
- ``linear_window_forecast``: a linear regression on the whole flattened window (scikit-learn).

Text baselines: ``bag_of_words_baseline`` (TF-IDF or counts + logistic regression, scikit-learn
``Pipeline``) and ``majority_class`` (always predict the most frequent label).

Language-model baseline: ``CharNGramModel``, a character n-gram model with interpolated absolute
discounting -- the score a character RNN has to beat, as seasonal naive is for forecasting.

Example:
    >>> import numpy as np
    >>> from rnncourse.timeseries import window_arrays
    >>> X, y = window_arrays(np.arange(10.0), seq_len=3, horizon=2)
    >>> naive_forecast(X, horizon=2)[0]          # window [0, 1, 2] -> [2, 2]
    array([2., 2.], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnncourse import arguments

__all__ = [
    "naive_forecast",
    "seasonal_naive_forecast",
    "moving_average_forecast",
    "linear_window_forecast",
    "bag_of_words_baseline",
    "majority_class",
    "CharNGramModel",
]


def _target_history(X, target) -> np.ndarray:
    """The target column of the windows, shape (n, seq_len), from X of shape (n, seq_len, features)."""
    X = _windows(X, "X")
    target = arguments.integer(target, "target", minimum=0, maximum=X.shape[2] - 1)
    return X[:, :, target]


def _windows(X, name: str) -> np.ndarray:
    """Input windows of shape (n, seq_len, features): real, finite numbers, at least one window."""
    X = arguments.numeric_array(X, name)
    if X.ndim != 3:
        hint = "; add the feature axis with X[..., None]" if X.ndim == 2 else ""
        raise ValueError(arguments.message(name, "windows of shape (n, seq_len, features)",
                                           f"shape {X.shape}{hint}"))
    return X


def _repeat(last: np.ndarray, horizon: int) -> np.ndarray:
    """Forecast shape: (n,) for horizon 1, else the value repeated to (n, horizon)."""
    return last if horizon == 1 else np.repeat(last[:, None], horizon, axis=1)


def naive_forecast(X, horizon: int = 1, target: int = 0) -> np.ndarray:
    """Naive forecast: every future value equals the last value of the window.

    Taught in: notebooks/02_training_rnns.ipynb, section "2. End-to-end training: from raw sequences to a
    forecast, with one loss".

    Args:
        X: input windows of shape ``(n, seq_len, features)``.
        horizon: number of steps forecast. Default: ``1``.
        target: position of the forecast column among the features. Default: ``0``.

    Returns:
        Forecasts of shape ``(n,)`` (``horizon=1``) or ``(n, horizon)``.

    Raises:
        ValueError: for X not 3-D, empty or with NaN/inf, a bad ``horizon`` or ``target``.
        TypeError: for X that is not real numbers, a ``horizon`` or ``target`` that is not an int.

    Example:
        >>> import numpy as np
        >>> naive_forecast(np.array([[[1.0], [5.0]]]))
        array([5.])
    """
    horizon = arguments.positive_int(horizon, "horizon")
    history = _target_history(X, target)
    return _repeat(history[:, -1], horizon)


def seasonal_naive_forecast(X, season: int, horizon: int = 1, target: int = 0) -> np.ndarray:
    """Seasonal naive forecast: each future value equals the value one ``season`` earlier.

    Taught in: notebooks/03_forecasting.ipynb, section "3. Baselines: what a model has to beat".

    Step ``k`` ahead (``k = 1 .. horizon``) is forecast by the window's value at position
    ``seq_len - season + (k - 1) % season``: with daily data and ``season=7``, next Monday is forecast by
    last Monday. Horizons longer than a season repeat the last season.

    Args:
        X: input windows of shape ``(n, seq_len, features)``; ``seq_len`` must be at least ``season``.
        season: the length of the season in steps (e.g. 7 for a weekly pattern in daily data).
        horizon: number of steps forecast. Default: ``1``.
        target: position of the forecast column among the features. Default: ``0``.

    Returns:
        Forecasts of shape ``(n,)`` (``horizon=1``) or ``(n, horizon)``.

    Raises:
        ValueError: if the window is shorter than the season, or for a bad ``season``, ``horizon`` or
            ``target``, or X as in ``naive_forecast``.
        TypeError: as in ``naive_forecast``, and a ``season`` that is not an int.

    Example:
        >>> import numpy as np
        >>> X = np.array([[[1.0], [2.0], [3.0]]])       # one window, seq_len 3
        >>> seasonal_naive_forecast(X, season=2, horizon=3)
        array([[2., 3., 2.]])
    """
    season = arguments.positive_int(season, "season")
    horizon = arguments.positive_int(horizon, "horizon")
    history = _target_history(X, target)
    seq_len = history.shape[1]
    if season > seq_len:
        raise ValueError(arguments.message("season", "a season no longer than the window",
                                           f"seq_len={seq_len} < season={season}"))
    positions = seq_len - season + np.arange(horizon) % season
    forecast = history[:, positions]
    return forecast[:, 0] if horizon == 1 else forecast


def moving_average_forecast(X, window: int, horizon: int = 1, target: int = 0) -> np.ndarray:
    """Moving-average forecast: every future value equals the mean of the last ``window`` values.

    Taught in: notebooks/03_forecasting.ipynb, section "3. Baselines: what a model has to beat".

    Args:
        X: input windows of shape ``(n, seq_len, features)``; ``seq_len`` must be at least ``window``.
        window: how many of the latest values to average (positive int).
        horizon: number of steps forecast. Default: ``1``.
        target: position of the forecast column among the features. Default: ``0``.

    Returns:
        Forecasts of shape ``(n,)`` (``horizon=1``) or ``(n, horizon)``.

    Raises:
        ValueError: if ``window`` exceeds ``seq_len``, or for a bad ``window``, ``horizon``, ``target``,
            or X as in ``naive_forecast``.
        TypeError: as in ``naive_forecast``, and a ``window`` that is not an int.

    Example:
        >>> import numpy as np
        >>> moving_average_forecast(np.array([[[1.0], [2.0], [6.0]]]), window=2)
        array([4.])
    """
    window = arguments.positive_int(window, "window")
    horizon = arguments.positive_int(horizon, "horizon")
    history = _target_history(X, target)
    if window > history.shape[1]:
        raise ValueError(arguments.message("window", "window <= seq_len",
                                           f"window={window} > seq_len={history.shape[1]}"))
    return _repeat(history[:, -window:].mean(axis=1), horizon)


def linear_window_forecast(X_train, y_train, X, alpha: float = 0.0) -> np.ndarray:
    """Linear model on the flattened window: fit on ``(X_train, y_train)``, forecast for ``X``.

    Taught in: notebooks/03_forecasting.ipynb, section "3. Baselines: what a model has to beat".

    Every value of the window (all steps, all features) is an input of a ``LinearRegression`` (or a
    ``Ridge`` when ``alpha > 0``). This is what a ``Dense`` layer on the flattened window learns, and a
    strong baseline: an RNN that cannot beat it has learned nothing a linear model could not.

    Args:
        X_train: training windows ``(n_train, seq_len, features)``.
        y_train: training targets ``(n_train,)``, ``(n_train, horizon)`` or ``(n_train, seq_len, horizon)``.
        X: windows to forecast for, ``(n, seq_len, features)`` with the same ``seq_len`` and features.
        alpha: ridge penalty; ``0`` means ordinary least squares. Default: ``0.0``.

    Returns:
        Forecasts for ``X`` with the shape of ``y_train`` past its first axis, i.e. ``(n,)``,
        ``(n, horizon)`` or ``(n, seq_len, horizon)``.

    Raises:
        ValueError: for inconsistent shapes, NaN or infinite values, or a negative ``alpha``.
        TypeError: for windows or targets that are not real numbers, or an ``alpha`` that is not a number.

    Example:
        >>> import numpy as np
        >>> from rnncourse.timeseries import window_arrays
        >>> X, y = window_arrays(2.0 * np.arange(30.0) + 1.0, seq_len=4)
        >>> linear_window_forecast(X[:20], y[:20], X[20:]).round(3)[:3].tolist()   # a line is easy
        [49.0, 51.0, 53.0]
    """
    from sklearn.linear_model import LinearRegression, Ridge

    X_train, X = _windows(X_train, "X_train"), _windows(X, "X")
    y_train = arguments.numeric_array(y_train, "y_train", ndim=(1, 2, 3))
    if X_train.shape[1:] != X.shape[1:]:
        raise ValueError(arguments.message("X", f"the window shape of X_train {X_train.shape[1:]}",
                                           f"{X.shape[1:]}"))
    if len(y_train) != len(X_train):
        raise ValueError(arguments.message("y_train", f"one target per training window ({len(X_train)})",
                                           f"{len(y_train)} targets for {len(X_train)} windows"))
    alpha = arguments.number(alpha, "alpha", low=0.0)
    model = Ridge(alpha=alpha) if alpha > 0 else LinearRegression()
    model.fit(X_train.reshape(len(X_train), -1), y_train.reshape(len(y_train), -1))
    forecast = model.predict(X.reshape(len(X), -1))
    return forecast.reshape((len(X), *y_train.shape[1:]))


def bag_of_words_baseline(
    train_texts: Sequence[str],
    train_labels,
    tfidf: bool = True,
    ngram_range: tuple[int, int] = (1, 2),
    max_features: int | None = 20_000,
    C: float = 1.0,
):
    """Bag-of-words text classifier: word (and bigram) counts or TF-IDF, then logistic regression.

    Taught in: notebooks/04_sentiment.ipynb, section "2. Baselines".

    Word order is thrown away, so this baseline tells how much of a task is solved by *which* words appear;
    an RNN has to beat it to show that reading the words in order helps.

    Args:
        train_texts: list of training texts (str).
        train_labels: their class labels, one per text.
        tfidf: ``TfidfVectorizer`` if ``True``, else ``CountVectorizer``. Default: ``True``.
        ngram_range: n-grams used as features. Default: ``(1, 2)`` (words and word pairs).
        max_features: keep the most frequent n-grams only (``None``: all). Default: ``20_000``.
        C: inverse regularisation strength of the logistic regression. Default: ``1.0``.

    Returns:
        A fitted ``sklearn.pipeline.Pipeline`` (steps ``"vectorizer"``, ``"classifier"``): call
        ``.predict(texts)``, ``.predict_proba(texts)`` or ``.score(texts, labels)`` on it.

    Raises:
        ValueError: for an empty list, a different number of texts and labels, fewer than two classes,
            texts without a single word, or ``C <= 0``.
        TypeError: if the texts are not strings, or the labels are missing (``None``) or of mixed types.

    Example:
        >>> texts = ["good fun", "good film", "bad plot", "bad film"] * 3
        >>> model = bag_of_words_baseline(texts, [1, 1, 0, 0] * 3)
        >>> model.predict(["so good", "so bad"]).tolist()
        [1, 0]
    """
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    texts = arguments.texts(train_texts, "train_texts")
    labels = arguments.labels(train_labels, "train_labels")
    arguments.same_length(labels, texts, ("train_labels", "train_texts"))
    if len(np.unique(labels)) < 2:
        raise ValueError(arguments.message("train_labels", "at least two classes", "only one"))
    tfidf = arguments.boolean(tfidf, "tfidf")
    if max_features is not None:
        max_features = arguments.positive_int(max_features, "max_features")
    C = arguments.number(C, "C", low=0.0, include_low=False)
    vectorizer_class = TfidfVectorizer if tfidf else CountVectorizer
    vectorizer = vectorizer_class(ngram_range=ngram_range, max_features=max_features)
    analyze = vectorizer.build_analyzer()
    if not any(analyze(text) for text in texts):
        raise ValueError(arguments.message("train_texts", "at least one word (two letters or more)",
                                           f"{len(texts)} text(s) without any, e.g. {texts[0]!r}"))
    pipeline = Pipeline([("vectorizer", vectorizer), ("classifier", LogisticRegression(C=C, max_iter=1000))])
    return pipeline.fit(texts, labels)


def majority_class(labels):
    """The most frequent label (the smallest one on a tie): the score of always guessing it is chance level.

    Taught in: notebooks/04_sentiment.ipynb, section "2. Baselines".

    Args:
        labels: array-like of class labels.

    Returns:
        The most frequent label, as a plain Python value.

    Raises:
        ValueError: if ``labels`` is empty.
        TypeError: if ``labels`` is not a sequence (``None``, one value) or holds ``None`` or mixed types.

    Example:
        >>> majority_class([0, 1, 1, 0, 1])
        1
    """
    values = arguments.labels(labels)
    classes, counts = np.unique(values.ravel(), return_counts=True)
    return classes[np.argmax(counts)].item()


class CharNGramModel:
    """A character n-gram language model with interpolated absolute discounting (Ney, Essen & Kneser 1994).

    Taught in: notebooks/06_language_model.ipynb, section "2. The baseline: n-gram models, and where more
    context stops paying".

    The probability of the next character ``c`` after the context ``h`` (the last ``order - 1`` characters)
    takes ``discount`` off every seen count and hands the saved mass to the model one order lower::

        p(c | h) = (max(N(h, c) - D, 0) + D * T(h) * p(c | h')) / N(h)      if the context h was seen,
        p(c | h) = p(c | h')                                                  otherwise,

    where ``N`` are training counts, ``T(h)`` the number of distinct characters seen after ``h``, and
    ``h'`` is ``h`` without its oldest character; below the unigram sits the uniform distribution over the
    vocabulary. Every character of the vocabulary thus gets a probability above 0 and each distribution sums
    to 1. Positions near the start of a text, with fewer than ``order - 1`` characters before them, use the
    longest context they have. Counting is vectorised with NumPy (a context is one integer in base
    ``vocab_size``), so fitting a 7-gram on a million characters takes seconds.

    Args:
        order: n, the number of characters in a gram (1 = unigram: no context). From 1 to 8.
        vocab_size: the number of distinct character ids, ``V`` (ids are ``0 .. V-1``).
        discount: ``D``, strictly between 0 and 1. Default: ``0.75``.

    Example:
        >>> ids = np.array([0, 1, 2] * 50)
        >>> model = CharNGramModel(order=3, vocab_size=4).fit(ids)
        >>> p = model.predict_proba([0, 1])         # after "0 1" always came 2
        >>> round(float(p[2]), 4), round(float(p.sum()), 6)
        (0.9998, 1.0)
        >>> bool(p[3] > 0)                          # 3 was never seen, yet keeps a probability
        True
        >>> model.bits_per_char(ids) < 0.1
        True
    """

    def __init__(self, order: int, vocab_size: int, discount: float = 0.75) -> None:
        where = "CharNGramModel"
        self.order = arguments.integer(order, "order", minimum=1, maximum=8, where=where)
        self.vocab_size = arguments.integer(vocab_size, "vocab_size", minimum=2, where=where)
        if self.vocab_size ** self.order >= 2**62:
            raise ValueError(arguments.message(
                "order", f"an order with vocab_size ** order < 2**62 (the codes are int64; vocab_size is "
                f"{self.vocab_size})", str(order), where))
        self.discount = arguments.number(discount, "discount", low=0.0, high=1.0, include_low=False,
                                         include_high=False, where=where)
        self._tables: list[dict[str, np.ndarray]] | None = None

    def _ids(self, ids, name: str) -> np.ndarray:
        array = np.asarray(ids)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise TypeError(arguments.message(name, "a 1-D sequence of integer ids", arguments.given(ids),
                                              "CharNGramModel"))
        if array.size and (array.min() < 0 or array.max() >= self.vocab_size):
            raise ValueError(arguments.message(name, f"ids from 0 to {self.vocab_size - 1}",
                                               f"ids from {array.min()} to {array.max()}", "CharNGramModel"))
        return array.astype(np.int64)

    def _context_codes(self, ids: np.ndarray):
        """For k = 0 .. order-1: the code of the k characters before each position (nearest first)."""
        code = np.zeros(len(ids), dtype=np.int64)
        yield 0, code
        for k in range(1, self.order):
            code = code.copy()
            code[k:] += ids[:-k] * self.vocab_size ** (k - 1)
            yield k, code

    def fit(self, ids) -> CharNGramModel:
        """Count the grams of a training text given as ids; returns the model itself.

        Raises:
            ValueError: ids outside ``[0, vocab_size)`` or a text shorter than ``order`` characters.
        """
        ids = self._ids(ids, "ids")
        if len(ids) < self.order:
            raise ValueError(arguments.message("ids", f"a text of at least order={self.order} characters",
                                               f"{len(ids)}", "CharNGramModel.fit"))
        V = self.vocab_size
        tables = []
        for k, context in self._context_codes(ids):
            grams, gram_counts = np.unique(context[k:] * V + ids[k:], return_counts=True)
            contexts, first = np.unique(grams // V, return_index=True)
            totals = np.add.reduceat(gram_counts, first)
            distinct = np.diff(np.append(first, len(grams)))
            tables.append({"grams": grams, "gram_counts": gram_counts, "contexts": contexts,
                           "totals": totals, "distinct": distinct})
        self._tables = tables
        return self

    @staticmethod
    def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
        at = np.searchsorted(keys, query)
        at = np.minimum(at, len(keys) - 1)
        return np.where(keys[at] == query, values[at], 0)

    def _probabilities(self, contexts: list[np.ndarray], nexts: np.ndarray, available: np.ndarray):
        """p(next | context) for many positions at once; `available[k]` says whether context k exists."""
        if self._tables is None:
            raise RuntimeError("CharNGramModel: call fit(ids) before asking for probabilities")
        D, V = self.discount, self.vocab_size
        p = np.full(len(nexts), 1.0 / V)
        for k, table in enumerate(self._tables):
            count = self._lookup(table["grams"], table["gram_counts"], contexts[k] * V + nexts)
            total = self._lookup(table["contexts"], table["totals"], contexts[k])
            distinct = self._lookup(table["contexts"], table["distinct"], contexts[k])
            seen = (total > 0) & available[k]
            safe = np.where(seen, total, 1)
            mixed = (np.maximum(count - D, 0.0) + D * distinct * p) / safe
            p = np.where(seen, mixed, p)
        return p

    def log2_probs(self, ids) -> np.ndarray:
        """``log2 p(ids[t] | ids[:t])`` for every position ``t`` of a text (float64, ``(len(ids),)``)."""
        ids = self._ids(ids, "ids")
        positions = np.arange(len(ids))
        contexts = [code for _, code in self._context_codes(ids)]
        available = [positions >= k for k in range(self.order)]
        return np.log2(self._probabilities(contexts, ids, np.array(available)))

    def bits_per_char(self, ids) -> float:
        """Mean ``-log2 p`` over every character of a text given as ids (see ``rnncourse.metrics``)."""
        return float(-np.mean(self.log2_probs(ids)))

    def predict_proba(self, context) -> np.ndarray:
        """The distribution of the next character after ``context`` (ids; only the last order-1 count).

        Returns:
            float64 array of shape ``(vocab_size,)`` summing to 1.
        """
        context = self._ids(context, "context")
        context = context[len(context) - min(len(context), self.order - 1):]
        V = self.vocab_size
        codes = [np.zeros(V, dtype=np.int64)]
        for k in range(1, self.order):
            code = codes[-1] + (context[-k] * V ** (k - 1) if k <= len(context) else 0)
            codes.append(code)
        available = np.array([[k <= len(context)] * V for k in range(self.order)])
        return self._probabilities(codes, np.arange(V), available)

    def context_coverage(self, ids) -> float:
        """Share of the positions of a text whose full context (order-1 characters) occurred in training.

        Where this falls, longer contexts stop paying: the model has no counts for them and backs off.
        """
        ids = self._ids(ids, "ids")
        if self._tables is None:
            raise RuntimeError("CharNGramModel: call fit(ids) before asking for coverage")
        k = self.order - 1
        code = list(self._context_codes(ids))[k][1][k:]
        if len(code) == 0:
            return 0.0
        return float(np.mean(self._lookup(self._tables[k]["contexts"], self._tables[k]["totals"], code) > 0))
