"""Peak resident memory while training the lecture's autoencoder on all 60,000 Fashion-MNIST images.

    python benchmarks/memory_fashion.py [--epochs 1] [--data-dir DIR]

Needs Fashion-MNIST on this machine (Debian: apt-get install dataset-fashion-mnist).
Prints the peak resident set size (ru_maxrss) after importing, after loading the
data, and after training; the budget is 250 MB.  Images stay uint8 (47 MB for
the training set); only each minibatch becomes float32.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024       # kilobytes on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    from nanoae import backend
    from nanoae.data import DataError, load_dataset
    from nanoae.models import lecture_autoencoder
    from nanoae.training import fit
    after_import = peak_mb()
    try:
        train, test = load_dataset("fashion-mnist", args.data_dir)
    except DataError as err:
        print(f"skipped: {err}", file=sys.stderr)
        return 0
    after_load = peak_mb()
    backend.use("numpy", dtype="float32", seed=0)
    model = lecture_autoencoder()
    started = time.perf_counter()
    history = fit(model, train, test, epochs=args.epochs, batch_size=args.batch_size, lr=3e-3, progress=False,
                  engine="fast")  # the fast engine, as the documented numbers were made
    seconds = time.perf_counter() - started
    after_training = peak_mb()
    print(f"Fashion-MNIST {len(train):,} training images (uint8: {train.images.nbytes / 2**20:.0f} MiB), "
          f"lecture autoencoder, {args.epochs} epoch(s), batch {args.batch_size}, float32, NumPy")
    print(f"peak resident memory: after imports {after_import:.0f} MB, after loading {after_load:.0f} MB, "
          f"after training {after_training:.0f} MB (budget 250 MB)")
    print(f"training: {seconds:.1f} s, {len(train) * args.epochs / seconds:,.0f} samples/s; "
          f"test MSE {history.test_loss[-1]:.4f}")
    return 0 if after_training < 250 else 1


if __name__ == "__main__":
    sys.exit(main())
