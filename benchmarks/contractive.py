"""The contractive autoencoder against the plain and the denoising one, on the same digits.

    python benchmarks/contractive.py                 # ≈ 3 min on 2 cores; the table in the README
    python benchmarks/contractive.py --epochs 3      # a quick look

One network for all (784 → 256 → 32 → 256 → 784, σ hidden layers, linear code,
σ output, MSE, Adam 3e-3, batch 64, seed 0), trained on the 4,000 shipped
training digits (``load_mnist_5k``) and measured on the 1,000 test digits:

* plain:        L = ‖x − x̂‖²/784
* denoising:    the same, the encoder fed x̃ = clip(x + N(0, 0.3²), 0, 1) (``--corruption gaussian``'s default)
* contractive:  L + λ_c · 1/B Σ_b ‖J_f(x_b)‖²_F (Rifai et al. 2011), for each λ_c in ``--weights``

and for each:

* squared error per image: Σ over the 784 pixels of (x − x̂)², averaged over test digits;
* 5-NN accuracy of the codes: each test code labelled by its 5 nearest training codes;
* code shift under noise: for small input noise x̃ = clip(x + N(0, σ²), 0, 1), σ = 0.1,
  the mean ‖f(x̃) − f(x)‖ divided by the codes' spread √(mean ‖f(x) − mean f‖²) —
  how far the code moves, as a fraction of how far codes lie apart (lower is more
  robust; dividing by the spread stops a model from winning by shrinking its codes);
* ‖J_f‖_F: the encoder's Jacobian norm, √(mean ‖J_f(x)‖²_F), on the test digits
  (what the penalty shrinks), and the training time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from nanoae import backend  # noqa: E402
from nanoae.data import GaussianNoise, load_mnist_5k  # noqa: E402
from nanoae.evaluation import codes_and_reconstructions, in_batches, knn_accuracy, squared_error_per_image  # noqa: E402
from nanoae.losses import MSELoss  # noqa: E402
from nanoae.models import dense_autoencoder  # noqa: E402
from nanoae.training import Reconstruction, fit  # noqa: E402
from nanoae.training.contractive import ContractivePenalty  # noqa: E402

SIZES = [784, 256, 32]
DENOISING_SIGMA = 0.3
PROBE_SIGMA = 0.1


def code_shift(model, data, sigma: float = PROBE_SIGMA, seed: int = 1) -> float:
    """mean ‖f(x̃) − f(x)‖ / √(mean ‖f(x) − mean f‖²), x̃ = clip(x + N(0, σ²), 0, 1), on ``data``'s rows."""
    clean = in_batches(model.encode, data)
    backend.seed(seed)                                   # the same noise for every model
    noise = GaussianNoise(sigma)
    noisy = in_batches(lambda x: model.encode(noise(x)), data)
    spread = np.sqrt(((clean - clean.mean(axis=0)) ** 2).sum(axis=1).mean())
    return float(np.linalg.norm(noisy - clean, axis=1).mean() / spread)


def jacobian_norm(model, data) -> float:
    """√(mean over ``data``'s rows of ‖J_f(x)‖²_F)."""
    penalty = ContractivePenalty()

    def summed_squared_norms(x):
        model.encode(x)                                  # the penalty reads the encoder's caches
        return (penalty.forward(model.encoder) * len(x))[None]
    return float(np.sqrt(in_batches(summed_squared_norms, data, batch_size=100).sum() / len(data)))


def train_and_measure(train, test, corruption=None, contractive: float = 0.0, epochs: int = 30,
                      hidden: str = "sigmoid", seed: int = 0) -> dict:
    with backend.using("numpy", dtype="float32", seed=seed):
        model = dense_autoencoder(SIZES, hidden=hidden, output="sigmoid")
        started = time.perf_counter()
        fit(model, train, epochs=epochs, batch_size=64, lr=3e-3, seed=seed, progress=False,
            objective=Reconstruction(MSELoss(), corruption=corruption, contractive=contractive),
            engine="fast")  # the fast engine, as the documented numbers were made
        seconds = time.perf_counter() - started
        train_codes = in_batches(model.encode, train)
        test_codes, reconstructions = codes_and_reconstructions(model, test)
        return {"squared_error": squared_error_per_image(in_batches(lambda x: x, test), reconstructions),
                "knn_accuracy": knn_accuracy(train_codes, train.labels, test_codes, test.labels, k=5),
                "code_shift": code_shift(model, test),
                "jacobian_norm": jacobian_norm(model, test),
                "seconds": seconds}


def compare(weights=(1e-4, 1e-3, 1e-2), epochs: int = 30, hidden: str = "sigmoid", train=None, test=None) -> dict:
    """{"plain" | "denoising" | "contractive λ": measures}, every model from the same seed."""
    if train is None:
        train, test = load_mnist_5k()
    results = {"plain": train_and_measure(train, test, epochs=epochs, hidden=hidden),
               "denoising": train_and_measure(train, test, corruption=GaussianNoise(DENOISING_SIGMA),
                                              epochs=epochs, hidden=hidden)}
    for weight in weights:
        results[f"contractive {weight:g}"] = train_and_measure(train, test, contractive=weight, epochs=epochs,
                                                               hidden=hidden)
    return results


def table(results: dict) -> str:
    lines = ["| autoencoder | squared error / image | 5-NN accuracy | code shift at σ = 0.1 | ‖J_f‖_F | "
             "training |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, row in results.items():
        lines.append(f"| {name} | {row['squared_error']:.2f} | {row['knn_accuracy']:.3f} | {row['code_shift']:.3f} | "
                     f"{row['jacobian_norm']:.2f} | {row['seconds']:.0f} s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", default="sigmoid", help="hidden activation, default sigmoid (Rifai's)")
    parser.add_argument("--weights", type=lambda text: [float(v) for v in text.split(",")], default=[1e-4, 1e-3, 1e-2],
                        help="contractive weights λ_c to compare, default 1e-4,1e-3,1e-2")
    args = parser.parse_args(argv)
    print(table(compare(args.weights, args.epochs, args.hidden)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
