"""The cell x depth study of notebook 6: character language models on Shakespeare, over several seeds.

Each (cell, layers, seed) is trained with notebook 6's recipe -- the opening 20,000 characters of each of
the 34 training plays, windows of 100 characters in batches of 64, stateless and shuffled, Adam 3e-3 with
clipnorm 1, `rnncourse.language.char_model` -- and scored in bits per character on the opening 50,000
characters of each validation play (`language.model_bits_per_char`). The cells get similar recurrent
parameter counts at one layer (vanilla 256 units, LSTM 120, GRU 140); two layers stack two such layers. The
best n-gram on the same text is written beside them. The table goes to ``benchmarks/results/char_models.csv``
(one row per cell, layers, seed and metric) with its provenance in ``#`` lines at the top.

    python benchmarks/char_models.py                        # 3 seeds, 3 cells, 1 and 2 layers, 3 epochs
    python benchmarks/char_models.py --epochs 6 --seeds 0 1 --cells vanilla lstm

Runs are independent; ``--jobs N`` trains N at once, each in its own process with one TensorFlow thread.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "results" / "char_models.csv"
THREAD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}

TRAIN_CHARS_PER_PLAY, HELD_OUT_CHARS_PER_PLAY = 20_000, 50_000   # as in notebook 6
BATCH_SIZE, SEQ_LEN = 64, 100
UNITS = {"vanilla": 256, "lstm": 120, "gru": 140}   # similar recurrent parameter counts at one layer


def texts():
    from rnncourse import datasets
    from rnncourse.text import CharVocabulary

    plays = datasets.load_shakespeare()
    vocab = CharVocabulary("".join(plays["text"]))

    def opening(split, n):
        return vocab.encode("\n".join(t[:n] for t in plays.loc[plays["split"] == split, "text"]))

    return vocab, opening("train", TRAIN_CHARS_PER_PLAY), opening("validation", HELD_OUT_CHARS_PER_PLAY)


def run(cell: str, layers: int, seed: int, epochs: int) -> list[dict]:
    for name, value in THREAD_ENV.items():
        os.environ.setdefault(name, value)
    import keras
    import numpy as np

    from rnncourse import language
    from rnncourse.text import tbptt_batches

    vocab, train_ids, val_ids = texts()
    x, y = tbptt_batches(train_ids, BATCH_SIZE, SEQ_LEN)
    keras.utils.set_random_seed(seed)
    model = language.char_model(vocab.size, units=UNITS[cell], cell=cell, num_layers=layers,
                                batch_size=BATCH_SIZE)
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    bits = language.model_bits_per_char(model, val_ids, batch_size=50, seq_len=500)
    values = {"validation bits/char": bits, "training bits/char": history.history["loss"][-1] / np.log(2),
              "seconds per epoch": seconds / epochs, "params": model.count_params()}
    return [dict(cell=cell, layers=layers, seed=seed, metric=k, value=float(v)) for k, v in values.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cells", nargs="+", default=list(UNITS), choices=list(UNITS))
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    for name, value in {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
                        "TF_ENABLE_ONEDNN_OPTS": "0", **THREAD_ENV}.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(ROOT))
    import numpy as np
    import pandas as pd

    import rnncourse
    from rnncourse.baselines import CharNGramModel

    started = time.perf_counter()
    vocab, train_ids, val_ids = texts()
    ngram = {order: CharNGramModel(order, vocab.size).fit(train_ids).bits_per_char(val_ids)
             for order in range(3, 8)}
    best = min(ngram, key=ngram.get)
    rows = [dict(cell=f"{best}-gram", layers=0, seed=-1, metric="validation bits/char", value=ngram[best])]
    jobs = [(c, n, s, args.epochs) for s in args.seeds for c in args.cells for n in args.layers]
    import keras

    def write(table: pd.DataFrame, done: int) -> None:
        # Rewritten after every finished run, so an interrupted study keeps what it has (and says so).
        provenance = {
            "script": "benchmarks/char_models.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "rnncourse": rnncourse.__version__, "keras": keras.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "wall time": f"{time.perf_counter() - started:.0f} s", "epochs": str(args.epochs),
            "threads": f"1 TensorFlow thread per run, {args.jobs} runs at once",
            "runs": f"{done} of {len(jobs)} finished",
        }
        TABLE.parent.mkdir(parents=True, exist_ok=True)
        with TABLE.open("w", encoding="utf-8") as handle:
            for key, value in provenance.items():
                handle.write(f"# {key}: {value}\n")
            table.to_csv(handle, index=False, float_format="%.6g", lineterminator="\n")

    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run, *job) for job in jobs]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            rows += result
            print(result[0]["cell"], result[0]["layers"], result[0]["seed"],
                  f"{result[0]['value']:.3f} bits/char", flush=True)
            write(pd.DataFrame(rows), done)
    table = pd.DataFrame(rows)
    summary = table.query("metric == 'validation bits/char'").groupby(["cell", "layers"])["value"]
    print(summary.agg(["mean", "std", "min", "max"]).round(3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
