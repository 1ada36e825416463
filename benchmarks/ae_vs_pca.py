"""The lecture's 2-D autoencoder against 2-D PCA on the 1,000 held-out digits, MSE and BCE training.

    python benchmarks/ae_vs_pca.py                     # seeds 0,1,2; losses mse,bce; the demo's settings
    python benchmarks/ae_vs_pca.py --seeds 0 --loss mse --epochs 20

Prints a Markdown table: per-image squared error Σ_i (x_i − x̂_i)² and the
5-nearest-neighbour accuracy of the codes (train codes vote for test codes),
for each run, then the mean over seeds.  This is where the README's figures
and the demo's choice of loss come from.
"""
from __future__ import annotations

import argparse
import statistics
import time

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.evaluation import compare_with_pca
from nanoae.runs import TrainConfig
from nanoae.models import lecture_autoencoder
from nanoae.training import fit


def main() -> None:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--loss", default="mse,bce")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    args = parser.parse_args()

    train, test = load_mnist_5k()
    print(f"{args.epochs} epochs, Adam lr {args.lr}, batch {args.batch_size}, float32, NumPy backend\n")
    print("| model | training loss | seed | squared error / image | 5-NN accuracy | training time |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    summary, pca = {}, None
    for loss in args.loss.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            backend.use("numpy", dtype="float32", seed=seed)
            model = lecture_autoencoder()
            started = time.perf_counter()
            fit(model, train, test, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, loss=loss,
                seed=seed, progress=False, engine="fast")  # the fast engine, as the documented numbers were made
            seconds = time.perf_counter() - started
            result = compare_with_pca(model, train, test)
            ae, pca = result["autoencoder"], result["pca"]
            summary.setdefault(loss, []).append((ae["squared_error_per_image"], ae["5nn_accuracy"]))
            print(f"| autoencoder | {loss} | {seed} | {ae['squared_error_per_image']:.2f} | "
                  f"{ae['5nn_accuracy']:.3f} | {seconds:.1f} s |", flush=True)
    for loss, rows in summary.items():
        print(f"| **autoencoder, mean** | {loss} | {len(rows)} seeds | "
              f"**{statistics.mean(r[0] for r in rows):.2f}** | **{statistics.mean(r[1] for r in rows):.3f}** | |")
    print(f"| **PCA** (SVD) | — | — | **{pca['squared_error_per_image']:.2f}** | **{pca['5nn_accuracy']:.3f}** | |")


if __name__ == "__main__":
    main()
