"""rnncourse: the library behind the notebook course on recurrent neural networks in Keras 3.

Modules, each named for what it holds:

- `rnncourse.layers`      -- `VanillaRNNCell` and `VanillaRNN`, a drop-in for `keras.layers.SimpleRNN`.
- `rnncourse.reference`   -- the same maths in plain NumPy: forward pass and backpropagation through time.
- `rnncourse.min_rnn`     -- minGRU and minLSTM: recurrences computed in parallel by a prefix scan.
- `rnncourse.datasets`    -- real data that works offline, synthetic memory tasks, translation pairs.
- `rnncourse.timeseries`  -- chronological splits, scaling, windowing, dated forecasts.
- `rnncourse.text`        -- stratified splits, a `TextVectorization` pipeline, characters and tBPTT batches.
- `rnncourse.language`    -- character language models: build, score in bits per character, sample, stream.
- `rnncourse.seq2seq`     -- encoder-decoder translation: attention, greedy and beam search, BLEU.
- `rnncourse.baselines`   -- the forecasts and classifiers an RNN must beat.
- `rnncourse.metrics`     -- MAE, RMSE, MAPE, accuracy, bits per character and perplexity in one place.
- `rnncourse.diagnostics` -- gradient norms through time, hidden states, saliency, model cost.
- `rnncourse.plots`       -- matplotlib figures for all of the above.
- `rnncourse.experiments` -- `setup_notebook`, an early-stopped fit, and metrics measured over seeds.
- `rnncourse.comparison`  -- notebook 5's side-by-side of the vanilla RNN, LSTM and GRU on four tasks.
- `rnncourse.exercises`   -- the checks behind the graded exercises (`rnncourse grade` runs them).
- `rnncourse.grading`     -- grading exercise notebooks, each in a sandboxed kernel of its own; teacher mode.
- `rnncourse.arguments`   -- the argument checks the modules above share, with one message shape.

Submodules are imported on first use, so `import rnncourse` is quick and does not load TensorFlow.

Importing `rnncourse` (or any of its modules) also keeps TensorFlow's start-up messages (absl, oneDNN and
CPU-feature notices, printed on stderr and shown as a pink block in a notebook) out of the way: it sets
`TF_CPP_MIN_LOG_LEVEL=3` and `TF_ENABLE_ONEDNN_OPTS=0` -- the values the course notebooks use -- unless they
are already set. TensorFlow reads them once, when it is first imported; to see its messages, set
`TF_CPP_MIN_LOG_LEVEL=0` before the first import.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

# setdefault: a value the user set (in the shell, or in os.environ before this import) is kept.
# TF_ENABLE_ONEDNN_OPTS=0: the oneDNN notice ignores TF_CPP_MIN_LOG_LEVEL and is only silent with oneDNN off.
for _name, _value in (("TF_CPP_MIN_LOG_LEVEL", "3"), ("TF_ENABLE_ONEDNN_OPTS", "0")):
    os.environ.setdefault(_name, _value)
del _name, _value

# The one place the version is written: pyproject.toml reads it (dynamic version), `rnncourse --version`
# prints it. Record each release in CHANGELOG.md.
__version__ = "0.1.0"

# The public modules are the package's own files (the private ones, `_data`, `_fused` and `__main__`, start
# with "_"): one list, which `dir(rnncourse)`, the docstring above and the README's library table must agree
# with (tests/test_init.py).
_SUBMODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))

__all__ = ["__version__", "setup_notebook", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "setup_notebook":  # the first call of every course notebook
        return importlib.import_module(f"{__name__}.experiments").setup_notebook
    raise AttributeError(f"module 'rnncourse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
