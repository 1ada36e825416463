"""Long training slows down on subnormal numbers, unless they are flushed.

    python benchmarks/subnormals.py                 # ≈ 3 minutes on 2 cores
    python benchmarks/subnormals.py --epochs 10 --repeats 1

Trains the lecture's 784-128-64-2 autoencoder (float32, Adam lr 1e-3, batch 128,
MSE) on the 4,000 shipped digits for 50 epochs and prints samples/s per block of
epochs, with the share of Adam's first moments m that are subnormal
(0 < |m| < 1.2e-38) at the end of each block.  Four runs, each in its own process,
alternated over the repeats:

* ``nanoae``            as shipped: ``nanoae.fast.subnormals.flush_subnormals`` in the sigmoid's
                        backward and on m every 8th step;
* ``nanoae-no-flush``   the same with ``flush_subnormals`` replaced by a no-op (the
                        engine before the flush; training is bit for bit the same);
* ``torch``             PyTorch CPU, same network, defaults;
* ``torch-ftz``         PyTorch with ``torch.set_flush_denormal(True)`` (the CPU
                        itself flushes; NumPy has no such switch).

The PyTorch runs are skipped, saying so, where torch is not installed.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from nanoae.fast import blas  # noqa: E402  (each run starts with nanoae's OpenBLAS setting, as the CLI does)

RUNS = ("nanoae", "nanoae-no-flush", "torch", "torch-ftz")
BATCH = 128


def subnormal_share(values) -> float:
    import numpy as np
    values = np.asarray(values)
    return float(np.mean((values != 0) & (np.abs(values) < np.finfo(np.float32).tiny)))


def run_nanoae(flush: bool, epochs: int, block: int) -> list:
    import numpy as np

    from nanoae import backend
    from nanoae.fast import activations, updates
    from nanoae.data import load_dataset
    from nanoae.models import lecture_autoencoder
    from nanoae.optim import Adam
    from nanoae.training import fit
    if not flush:                                                   # the engine before the flush
        activations.flush_subnormals = updates.flush_subnormals = lambda a, scratch=None: None
    backend.use("numpy", dtype="float32", seed=0)
    train, _ = load_dataset("mnist-5k")
    model = lecture_autoencoder()
    optimizer = Adam(model, lr=1e-3)
    blocks = []
    for start in range(0, epochs, block):
        history = fit(model, train, epochs=block, batch_size=BATCH, optimizer=optimizer, progress=False,
                      seed=start, engine="fast")                  # the engine: it is the one that flushes
        blocks.append({"epochs": [start + 1, start + block],
                       "samples_per_second": len(train) * block / sum(history.epoch_seconds),
                       "subnormal_m": subnormal_share(np.concatenate(optimizer.buffers["m"]))})
    return blocks


def run_torch(ftz: bool, epochs: int, block: int) -> list:
    import torch
    import torch_peers
    from nanoae.data import load_dataset
    from throughput import cores
    torch.set_num_threads(cores())
    torch.set_flush_denormal(ftz)
    torch.manual_seed(0)
    train, _ = load_dataset("mnist-5k")
    images = torch.from_numpy(train.images)
    module, loss_fn = torch_peers.BUILDERS["lecture"]()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    blocks = []
    for start in range(0, epochs, block):
        started = time.perf_counter()
        for _ in range(block):
            order = torch.randperm(len(images))
            for first in range(0, len(order), BATCH):
                x = images[order[first:first + BATCH]].float() / 255
                optimizer.zero_grad()
                loss_fn(module, x).backward()
                optimizer.step()
        seconds = time.perf_counter() - started
        moments = torch.cat([state["exp_avg"].flatten() for state in optimizer.state.values()])
        blocks.append({"epochs": [start + 1, start + block],
                       "samples_per_second": len(images) * block / seconds,
                       "subnormal_m": subnormal_share(moments.numpy())})
    return blocks


def worker(name: str, epochs: int, block: int) -> None:
    if name.startswith("nanoae"):
        blocks = run_nanoae(name == "nanoae", epochs, block)
    else:
        blocks = run_torch(name == "torch-ftz", epochs, block)
    print(json.dumps(blocks))


def torch_missing() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "torch is not installed"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--block", type=int, default=5, help="epochs per reported block")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.block < 1 or args.epochs % args.block:
        parser.error("--epochs must be a positive multiple of --block")
    if args.worker:
        worker(args.worker, args.epochs, args.block)
        return 0
    names = [name for name in RUNS if not (name.startswith("torch") and torch_missing())]
    results = {name: [] for name in names}
    for repeat in range(args.repeats):
        order = names[repeat % len(names):] + names[:repeat % len(names)]      # rotate who goes first
        for name in order:
            out = subprocess.run([sys.executable, __file__, "--worker", name, "--epochs", str(args.epochs),
                                  "--block", str(args.block)], capture_output=True, text=True, check=True,
                                 env=blas.environment())
            results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"repeat {repeat + 1}/{args.repeats}: {name} done", file=sys.stderr, flush=True)
    print(f"lecture autoencoder, 4,000 shipped digits, batch {BATCH}, float32, Adam; "
          f"samples/s (median of {args.repeats}) and subnormal share of m at the block's end")
    header = "| epochs | " + " | ".join(names) + " |"
    print(header)
    print("|---" * (len(names) + 1) + "|")
    for index in range(args.epochs // args.block):
        first, last = results[names[0]][0][index]["epochs"]
        cells = []
        for name in names:
            speed = statistics.median(run[index]["samples_per_second"] for run in results[name])
            share = statistics.median(run[index]["subnormal_m"] for run in results[name])
            cells.append(f"{speed:,.0f} ({100 * share:.1f} %)")
        print(f"| {first}–{last} | " + " | ".join(cells) + " |")
    if torch_missing():
        print(f"torch runs: cannot run: {torch_missing()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
