"""``smoke``: the engine's smoke run — a gradient check and a tiny training, in seconds."""
from __future__ import annotations

import argparse

import numpy as np

from nanoae import backend, gradcheck
from nanoae.layers import Linear, ReLU, Sequential, Sigmoid
from nanoae.losses import MSELoss
from nanoae.optim import Adam


def smoke(args: argparse.Namespace) -> int:
    """A tiny autoencoder 16 → 32 → 2 → 32 → 16 on data that truly lies on a 2-D surface."""
    backend.use(args.backend, dtype="float64", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    codes = rng.uniform(-1, 1, size=(512, 2))
    mixing = rng.standard_normal((2, 16))
    data = backend.asarray(1 / (1 + np.exp(-codes @ mixing)))          # (512, 16) in (0, 1)

    model = Sequential(Linear(16, 32, "he_normal"), ReLU(), Linear(32, 2),
                       Linear(2, 32, "he_normal"), ReLU(), Linear(32, 16), Sigmoid())
    report = gradcheck(model, data[:4], loss=MSELoss(), target=data[:4])
    print(f"gradient check of all {len(report.errors)} arrays: worst relative error "
          f"{report.max_error:.1e} ({'PASS' if report.passed else 'FAIL'})")

    print(f"MSE of always predicting the mean: {float(data.var(axis=0).mean()):.5f}")
    loss, optimizer = MSELoss(), Adam(model, lr=1e-2)
    for step in range(args.steps + 1):
        optimizer.zero_grad()
        value = loss.forward(model.forward(data), data)
        model.backward(loss.backward())
        optimizer.step()
        if step % max(1, args.steps // 5) == 0:
            print(f"step {step:4d}  MSE {float(value):.5f}")
    return 0 if report.passed else 1

