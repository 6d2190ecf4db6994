"""The translator study of notebook 7: German number words -> digits, five training recipes over seeds 0-2.

Every run uses notebook 7's data and model -- ``datasets.make_number_pairs(20_000, seed=0)`` split by
``datasets.split_pairs`` (seed 0) into train, test (unseen numbers) and long (the longest tenth of the
sources, unseen numbers too); ``seq2seq.seq2seq_model`` with GRU encoder and decoder, embeddings of 32,
Adam 3e-3 with clipnorm 1, batches of 64 -- and changes one thing:

- ``attention``: Bahdanau attention, masks, teacher forcing (notebook 7's model);
- ``no attention``: the same without attention (the last encoder state is all the decoder gets);
- ``no attention`` with ``--units 128`` too: twice the state, for the bottleneck;
- ``attention, no masks``: ``mask_zero=False``, the padding read like any character;
- ``attention, own outputs`` and ``no attention, own outputs``: trained without teacher forcing, on
  ``seq2seq.free_running_data`` (the decoder reads its own greedy outputs; refreshed every quarter of an
  epoch).

After every epoch each run is scored on test and long: exact match and character accuracy of greedy
decoding, and teacher-forced accuracy (the decoder reads the true prefix); after the last epoch also the
exact match per source-length bucket and per number of zero digits in the answer. The table goes to
``studies/results/seq2seq_study.csv`` (one row per recipe, units, seed, epoch, split and metric) with its
provenance in ``#`` lines at the top; it is rewritten after every finished run.

    python3 tasks.py study seq2seq_study                         # every recipe, seeds 0-2, 6 epochs
    python3 tasks.py study seq2seq_study --recipes attention --seeds 0 --epochs 2
    python3 tasks.py study seq2seq_study --recipes "no attention, own outputs" --append   # add to the table

Runs are independent; ``--jobs N`` trains N at once, each in its own process with one TensorFlow thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from harness import RESULTS, ROOT, THREAD_ENV

TABLE = RESULTS / "seq2seq_study.csv"
COLUMNS = ["recipe", "units", "seed", "epoch", "split", "metric", "value"]
N_PAIRS, BATCH_SIZE, UNITS = 20_000, 64, 64
RECIPES = (
    "attention",
    "no attention",
    "attention, no masks",
    "attention, own outputs",
    "no attention, own outputs",
)
# the source-length buckets of the per-length exact match (characters; the long split starts at the last)
LENGTH_BUCKETS = (0, 30, 40, 50, 59, 66)
REFRESHES_PER_EPOCH = 4  # "own outputs": how often the decoder's own outputs are recomputed


def data():
    from rnncourse import datasets, seq2seq

    parts = datasets.split_pairs(datasets.make_number_pairs(N_PAIRS, seed=0), seed=0)
    source_vocab = seq2seq.Vocabulary.from_texts(parts["train"]["source"])
    target_vocab = seq2seq.Vocabulary.from_texts(parts["train"]["target"])
    return parts, source_vocab, target_vocab


def bucket(length: int) -> str:
    for low, high in zip(LENGTH_BUCKETS, LENGTH_BUCKETS[1:], strict=False):
        if low <= length < high:
            return f"{low}-{high - 1}"
    raise ValueError(f"bucket expects a length under {LENGTH_BUCKETS[-1]}, got {length}")


def run(recipe: str, units: int, seed: int, epochs: int) -> list[dict]:
    import keras
    import numpy as np

    from rnncourse import seq2seq

    parts, source_vocab, target_vocab = data()
    keras.utils.set_random_seed(seed)
    model = seq2seq.seq2seq_model(
        source_vocab.size, target_vocab.size, units=units, attention=recipe.startswith("attention"),
        mask_zero=recipe != "attention, no masks",
    )  # fmt: skip
    decoder = seq2seq.Decoder(model, source_vocab, target_vocab)
    train = parts["train"]
    forced = seq2seq.teacher_forcing_data(train["source"], train["target"], source_vocab, target_vocab)
    held_out = {
        split: (list(parts[split]["source"]), list(parts[split]["target"]),
                seq2seq.teacher_forcing_data(parts[split]["source"], parts[split]["target"], source_vocab,
                                             target_vocab))
        for split in ("test", "long")
    }  # fmt: skip
    rng = np.random.default_rng(seed)
    rows, seconds = [], 0.0

    def add(epoch: int, split: str, metric: str, value: float) -> None:
        rows.append(dict(recipe=recipe, units=units, seed=seed, epoch=epoch, split=split, metric=metric,
                         value=float(value)))  # fmt: skip

    for epoch in range(1, epochs + 1):
        started = time.process_time()
        if recipe.endswith("own outputs"):
            order = rng.permutation(len(train))
            for chunk in np.array_split(order, REFRESHES_PER_EPOCH):
                own = seq2seq.free_running_data(
                    decoder, list(train["source"].iloc[chunk]), list(train["target"].iloc[chunk])
                )
                model.fit(own.inputs, own.decoder_target, batch_size=BATCH_SIZE, epochs=1, verbose=0)
        else:
            model.fit(forced.inputs, forced.decoder_target, batch_size=BATCH_SIZE, epochs=1, verbose=0)
        seconds += time.process_time() - started
        add(epoch, "train", "CPU seconds", seconds)
        for split, (sources, targets, truth) in held_out.items():
            written = decoder.greedy(sources, max_length=10)
            add(epoch, split, "exact match", seq2seq.exact_match(targets, written))
            add(epoch, split, "char accuracy", seq2seq.char_accuracy(targets, written))
            add(epoch, split, "teacher-forced accuracy", seq2seq.teacher_forced_accuracy(model, truth))
            if epoch == epochs:
                right = np.array([t == w for t, w in zip(targets, written, strict=True)])
                lengths = np.array([bucket(len(s)) for s in sources])
                zeros = np.array([t.count("0") for t in targets])
                for name in np.unique(lengths):
                    add(epoch, split, f"exact match, {name} chars", right[lengths == name].mean())
                for count in np.unique(zeros):
                    add(epoch, split, f"exact match, {count} zeros", right[zeros == count].mean())
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--units", type=int, nargs="+", default=[UNITS])
    parser.add_argument("--wide-no-attention", type=int, default=128,
                        help="also 'no attention' with this many units (0: not)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--append", action="store_true", help="keep the table's runs of other recipes")
    args = parser.parse_args(argv)
    for name, value in {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
                        "TF_ENABLE_ONEDNN_OPTS": "0", **THREAD_ENV}.items():  # fmt: skip
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from rnncourse.experiments import load_table, write_table

    jobs = [(r, u, s, args.epochs) for s in args.seeds for r in args.recipes for u in args.units]
    if args.wide_no_attention and "no attention" in args.recipes:
        jobs += [("no attention", args.wide_no_attention, s, args.epochs) for s in args.seeds]
    started, rows, before = time.perf_counter(), [], {}
    if args.append and TABLE.exists():
        earlier, before = load_table(TABLE, COLUMNS, written_by="studies/seq2seq_study.py")
        redone = {(r, u, s) for r, u, s, _ in jobs}
        keys = zip(earlier["recipe"], earlier["units"], earlier["seed"], strict=True)
        keep = [key not in redone for key in keys]
        rows = earlier[keep].to_dict("records")

    def write(done: int) -> None:
        # --append: the earlier invocations' runs are in the table too, and their lines come first
        write_table(
            TABLE,
            rows,
            columns=COLUMNS,
            written_by=" ".join(["studies/seq2seq_study.py", *(argv if argv is not None else sys.argv[1:])]),
            wall_time=time.perf_counter() - started,
            earlier=before,
            provenance={
                "epochs": str(args.epochs),
                "threads": f"1 TensorFlow thread per run, {args.jobs} runs at once",
                "runs": f"{done} of {len(jobs)} finished",
            },
        )

    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run, *job) for job in jobs]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            rows += result
            last = result[-1]
            final = [r for r in result if r["metric"] == "exact match" and r["epoch"] == args.epochs]
            print(last["recipe"], last["units"], last["seed"],
                  " ".join(f"{r['split']} {r['value']:.3f}" for r in final), flush=True)  # fmt: skip
            write(done)
    table = pd.DataFrame(rows, columns=COLUMNS)
    print(
        table.query("metric == 'exact match' and split == 'test'")
        .pivot_table(index="epoch", columns=["recipe", "units"], values="value", aggfunc=["mean", "min"])
        .round(3)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
