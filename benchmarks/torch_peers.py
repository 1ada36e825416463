"""The PyTorch peers of the suite's models: the same architectures, built from nanoae's description.

Used only by ``benchmarks/throughput.py`` (PyTorch is never a dependency of
nanoae).  Each builder returns (module, loss_fn) where loss_fn(module, x) is
the same objective nanoae trains: MSE (mean over pixels and images) for the
autoencoders, −ELBO in nats per image (Bernoulli on logits + Gaussian KL)
for the VAE.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def mlp(sizes, last):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


def dense_autoencoder(sizes):
    """sizes = [784, …, d]: encoder ReLU hidden, linear code; decoder mirrored, sigmoid output."""
    model = nn.Sequential(mlp(sizes, None), mlp(sizes[::-1], nn.Sigmoid()))
    return model, lambda module, x: F.mse_loss(module(x), x)


class VAE(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.trunk = mlp(sizes[:-1], nn.ReLU())
        self.mu, self.logvar = nn.Linear(sizes[-2], sizes[-1]), nn.Linear(sizes[-2], sizes[-1])
        self.decoder = mlp(sizes[::-1], None)                   # logits

    def neg_elbo(self, x):
        h = self.trunk(x)
        mu, logvar = self.mu(h), self.logvar(h).clamp(-30.0, 20.0)      # nanoae clamps log σ² the same way
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        reconstruction = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu * mu - logvar.exp())
        return (reconstruction + kl) / len(x)


def vae(sizes):
    return VAE(sizes), lambda module, x: module.neg_elbo(x)


def conv_autoencoder(code_size=2, channels=(16, 32)):
    """nanoae's conv preset: 4×4 kernels, stride 2, padding 1, 28 → 14 → 7 and back."""
    c1, c2 = channels
    encoder = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(c2 * 49, code_size))
    decoder = nn.Sequential(
        nn.Linear(code_size, c2 * 49), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
        nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1), nn.Sigmoid(),
        nn.Flatten())
    model = nn.Sequential(encoder, decoder)
    return model, lambda module, x: F.mse_loss(module(x), x)


BUILDERS = {
    "lecture": lambda: dense_autoencoder([784, 128, 64, 2]),
    "hinton": lambda: dense_autoencoder([784, 1000, 500, 250, 30]),
    "vae": lambda: vae([784, 400, 20]),
    "conv": lambda: conv_autoencoder(),
}
