"""The engine's step with the batch whole and cut in two halves, one per core (``nanoae/fast/halves.py``).

    python benchmarks/halves.py                                  # about 2 minutes on 2 cores
    python benchmarks/halves.py --models lecture --batch-sizes 128,1024 --steps 60 --rounds 3

For each model and batch size: one engine (``nanoae.fast.compile``, Adam, float32, random
images in [0, 1]), its training step — ``forward_backward`` then ``update`` — timed
``--steps`` times with the halves off (``halves.MIN_ROWS`` and ``MIN_ROWS_CONV`` above the
batch) and on (both 2), after 5 untimed steps each; the two alternate over ``--rounds``
rounds, the order flipped every other round.  The table gives the median step of each
round's median, in ms, and their ratio (whole ÷ halves: above 1 the halves are faster).
The process sets ``OPENBLAS_THREAD_TIMEOUT=22`` before NumPy starts, as the command line
does (``nanoae/fast/blas.py``).  This is how ``halves.MIN_ROWS`` and ``MIN_ROWS_CONV`` were chosen.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")           # before NumPy loads OpenBLAS
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

MODELS = ("lecture", "hinton", "vae", "conv")


def step_times(model_name: str, batch_sizes: list[int], steps: int, rounds: int) -> list[dict]:
    import throughput

    from nanoae import backend, fast
    from nanoae.fast import halves
    from nanoae.optim import Adam
    backend.use("numpy", dtype="float32", seed=0)
    model, objective = throughput.build_nanoae(model_name)
    engine = fast.compile(model, objective, Adam(model, lr=1e-3))
    images = np.random.default_rng(0).random((max(batch_sizes), 784), dtype=np.float32)

    def median_step(x: np.ndarray, count: int) -> float:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            engine.forward_backward(x)
            engine.update()
            times.append(time.perf_counter() - started)
        return float(np.median(times)) * 1e3

    rows = []
    for batch in batch_sizes:
        x = images[:batch]
        found: dict = {"whole": [], "halves": []}
        for round_ in range(rounds):
            for mode in ("whole", "halves") if round_ % 2 == 0 else ("halves", "whole"):
                halves.MIN_ROWS = halves.MIN_ROWS_CONV = 10 ** 9 if mode == "whole" else 2
                median_step(x, 5)
                found[mode].append(median_step(x, steps))
        used = engine.halves is not None and engine.halves.wanted(x)            # both thresholds 2 here
        whole, cut = float(np.median(found["whole"])), float(np.median(found["halves"]))
        rows.append({"model": model_name, "batch": batch, "whole_ms": whole, "halves_ms": cut,
                     "ratio": whole / cut, "halves_used": used})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| model | batch | whole (ms) | halves (ms) | whole ÷ halves |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        if not row["halves_used"]:
            lines.append(f"| {row['model']} | {row['batch']} | {row['whole_ms']:.2f} | – | no halves (see "
                         "nanoae/fast/halves.py: which models, OpenBLAS threads, NANOAE_THREADS) |")
            continue
        lines.append(f"| {row['model']} | {row['batch']} | {row['whole_ms']:.2f} | {row['halves_ms']:.2f} | "
                     f"{row['ratio']:.2f}× |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated: lecture, hinton, vae, conv")
    parser.add_argument("--batch-sizes", default="128,256,512,1024")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per round and mode")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    models = args.models.split(",")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    if min(batch_sizes) < 2 or args.steps < 1 or args.rounds < 1:
        parser.error("batch sizes must be ≥ 2, --steps and --rounds ≥ 1")
    rows = [row for model in models for row in step_times(model, batch_sizes, args.steps, args.rounds)]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
