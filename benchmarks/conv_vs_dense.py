"""The convolutional autoencoder against the dense lecture network, at the same code size.

    python benchmarks/conv_vs_dense.py [--code-sizes 2,16] [--epochs 20]

Both trained on the 4,000 shipped digits with Adam (dense: lr 3e-3, the demo's;
conv: lr 5e-4, at which it leaves the all-black plateau reliably), batch 64,
MSE, float32, NumPy, seed 0; measured on the 1,000 held-out digits.
"""
from __future__ import annotations

import argparse
import statistics

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.evaluation import compare_with_pca
from nanoae.models import conv_autoencoder, dense_autoencoder
from nanoae.training import fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code-sizes", default="2,16")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    train, test = load_mnist_5k()
    print(f"{args.epochs} epochs, batch 64, MSE, float32, NumPy, seed 0\n")
    print("| model | code | parameters | test MSE per pixel | squared error / image | 5-NN accuracy | s / epoch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for code in (int(c) for c in args.code_sizes.split(",")):
        for name, make, lr in (("dense 784-128-64-code", lambda: dense_autoencoder([784, 128, 64, code]), 3e-3),
                               ("conv 1-16-32 channels", lambda: conv_autoencoder(code), 5e-4)):
            backend.use("numpy", dtype="float32", seed=0)
            model = make()
            history = fit(model, train, test, epochs=args.epochs, batch_size=64, lr=lr, seed=0, progress=False,
                          engine="fast")  # the fast engine, as the documented numbers were made
            ae = compare_with_pca(model, train, test)["autoencoder"]
            print(f"| {name} | {code} | {model.num_parameters():,} | {history.test_loss[-1]:.4f} | "
                  f"{ae['squared_error_per_image']:.2f} | {ae['5nn_accuracy']:.3f} | "
                  f"{statistics.median(history.epoch_seconds):.2f} |", flush=True)


if __name__ == "__main__":
    main()
