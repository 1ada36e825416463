"""The same VAE trained by nanoae and by PyTorch: do they reach the same −ELBO?

    python benchmarks/vae_vs_torch.py                       # 784-400-20, 3 seeds, 50 epochs
    python benchmarks/vae_vs_torch.py --sizes 784,128,64,2 --epochs 100 --lr 3e-3

Same architecture (ReLU trunk, μ and log σ² heads, mirrored ReLU decoder with
logits), same Bernoulli likelihood (BCE with logits summed over pixels), same
analytic KL, same data split, same minibatch order, Adam with the same
learning rate, batch size and epochs, float32, 2 threads, and the same
initial weights (PyTorch's model starts from a copy of nanoae's, through the
plain `.npz`-style names); only the ε draws differ.  The test −ELBO is
averaged over 10 draws of ε per image in both.  PyTorch is optional: without it the script
says so and exits.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.evaluation.log_likelihood import elbo_terms
from nanoae.models import dense_vae
from nanoae.training.objectives import ELBO
from nanoae.training import fit

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None


def initial_weights(sizes, seed):
    backend.use("numpy", dtype="float32", seed=seed)
    return {name: backend.to_numpy(value).copy() for name, value in dense_vae(sizes).named_parameters().items()}


def nanoae_run(sizes, train, test, args, seed):
    backend.use("numpy", dtype="float32", seed=seed)
    model = dense_vae(sizes)
    started = time.perf_counter()
    fit(model, train, test=None, objective=ELBO(), epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        seed=seed, progress=False, engine="fast")  # the fast engine, as the documented numbers were made
    seconds = time.perf_counter() - started
    return statistics.mean(elbo_terms(model, test)["neg_elbo"] for _ in range(10)), seconds


class TorchVAE(torch.nn.Module if torch else object):
    def __init__(self, sizes):
        super().__init__()
        self.trunk = torch.nn.Sequential(*[m for a, b in zip(sizes[:-2], sizes[1:-1])
                                           for m in (torch.nn.Linear(a, b), torch.nn.ReLU())])
        self.mu, self.logvar = torch.nn.Linear(sizes[-2], sizes[-1]), torch.nn.Linear(sizes[-2], sizes[-1])
        back = sizes[::-1]
        layers = []
        for k, (a, b) in enumerate(zip(back, back[1:])):
            layers.append(torch.nn.Linear(a, b))
            if k < len(back) - 2:
                layers.append(torch.nn.ReLU())
        self.decoder = torch.nn.Sequential(*layers)

    def neg_elbo(self, x):
        h = self.trunk(x)
        mu, logvar = self.mu(h), self.logvar(h).clamp(-30, 20)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        reconstruction = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="sum") / len(x)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum() / len(x)
        return reconstruction + kl


def torch_run(sizes, train, test, args, seed):
    torch.manual_seed(seed)
    model = TorchVAE(sizes)
    with torch.no_grad():              # nanoae's names → PyTorch's: "encoder.0.W" is trunk.0.weight, and so on
        for name, value in initial_weights(sizes, seed).items():
            part, *index, kind = name.split(".")
            module = {"encoder": model.trunk, "decoder": model.decoder}.get(part) or getattr(model, part)
            for i in index:
                module = module[int(i)]
            getattr(module, {"W": "weight", "b": "bias"}[kind]).copy_(torch.from_numpy(value))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    x_train = torch.from_numpy(train.images)
    order_rng = np.random.default_rng(seed)                  # the order nanoae's BatchIterator uses
    started = time.perf_counter()
    for _ in range(args.epochs):
        order = order_rng.permutation(len(train))
        for start in range(0, len(train), args.batch_size):
            x = x_train[order[start:start + args.batch_size]].float() / 255
            optimizer.zero_grad()
            loss = model.neg_elbo(x)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        x_test = torch.from_numpy(test.images).float() / 255
        value = statistics.mean(float(model.neg_elbo(x_test)) for _ in range(10))
    return value, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="784,400,20")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    if torch is None:
        print("PyTorch is not installed, so there is nothing to compare with: pip install torch", file=sys.stderr)
        return 0
    torch.set_num_threads(2)
    sizes = [int(s) for s in args.sizes.split(",")]
    train, test = load_mnist_5k()
    print(f"VAE {args.sizes}, Bernoulli likelihood, {args.epochs} epochs, batch {args.batch_size}, "
          f"Adam lr {args.lr}, float32; torch {torch.__version__}, numpy {np.__version__}\n")
    print("| library | seed | test −ELBO (nats/image) | training time |")
    print("| --- | --- | ---: | ---: |")
    results = {"nanoae": [], "PyTorch": []}
    for seed in (int(s) for s in args.seeds.split(",")):
        for name, run in (("nanoae", nanoae_run), ("PyTorch", torch_run)):
            value, seconds = run(sizes, train, test, args, seed)
            results[name].append(value)
            print(f"| {name} | {seed} | {value:.2f} | {seconds:.1f} s |", flush=True)
    for name, values in results.items():
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"| **{name}**, mean ± sd | {len(values)} seeds | **{statistics.mean(values):.2f} ± {spread:.2f}** | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
