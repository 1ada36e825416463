"""Figures of a training run: losses, latent space, reconstructions, manifold, samples, the ELBO."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nanoae.plots.base import pyplot, save_figure


def plot_losses(history: Any, path: str | Path, loss_name: str = "MSE") -> Path:
    """Training and test loss per epoch."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(history.train_loss) + 1)
    ax.plot(epochs, history.train_loss, label="train (mean over the epoch's minibatches)", marker="o", markersize=3)
    if any(v is not None for v in history.test_loss):
        ax.plot(epochs, history.test_loss, label="test (held out, after the epoch)", marker="s", markersize=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{loss_name} loss per pixel")
    ax.set_title("Reconstruction loss during training")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_latent(codes: np.ndarray, labels: np.ndarray, path: str | Path, title: str = "Test digits in the 2-D latent space") -> Path:
    """Test codes in the first two latent dimensions, coloured by digit."""
    codes, labels = np.asarray(codes), np.asarray(labels)
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"plot_latent needs codes of shape (N, ≥2), got {codes.shape}")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    cmap = plt.get_cmap("tab10")
    for digit in np.unique(labels):
        chosen = labels == digit
        ax.scatter(codes[chosen, 0], codes[chosen, 1], s=8, alpha=0.75, color=cmap(int(digit) % 10),
                   label=str(digit))
    ax.set_xlabel("z₁")
    ax.set_ylabel("z₂")
    ax.set_title(title)
    ax.legend(title="digit", markerscale=2.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_reconstructions(x: np.ndarray, x_hat: np.ndarray, labels: np.ndarray, path: str | Path,
                         image_shape: tuple[int, int] = (28, 28), n: int = 10) -> Path:
    """Test images x above their reconstructions x̂."""
    x, x_hat = np.asarray(x)[:n], np.asarray(x_hat)[:n]
    plt = pyplot()
    fig, axes = plt.subplots(2, len(x), figsize=(1.1 * len(x), 2.6))
    axes = np.asarray(axes).reshape(2, -1)
    for i in range(len(x)):
        for row, images in enumerate((x, x_hat)):
            axes[row, i].imshow(images[i].reshape(image_shape), cmap="gray", vmin=0, vmax=1)
            axes[row, i].set_xticks([])
            axes[row, i].set_yticks([])
        axes[0, i].set_title(str(labels[i]), fontsize=9)
    axes[0, 0].set_ylabel("input x", fontsize=9)
    axes[1, 0].set_ylabel("output x̂", fontsize=9)
    fig.suptitle("Test digits (top) and their reconstructions (bottom)", fontsize=10)
    return save_figure(fig, path)


def manifold_grid(codes: np.ndarray, n: int = 15, low: float = 1.0,
                  high: float = 99.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular n×n grid over the central 98 % of the codes' range in each of the two dimensions."""
    codes = np.asarray(codes)
    z1 = np.linspace(*np.percentile(codes[:, 0], [low, high]), n)                # type: ignore[call-overload]
    # top row: largest z₂
    z2 = np.linspace(*np.percentile(codes[:, 1], [low, high]), n)[::-1]          # type: ignore[call-overload]
    grid = np.array([[a, b] for b in z2 for a in z1])                          # (n·n, 2), row-major
    return grid, z1, z2


def plot_manifold(decoded: np.ndarray, z1: np.ndarray, z2: np.ndarray, path: str | Path,
                  image_shape: tuple[int, int] = (28, 28)) -> Path:
    """Images decoded from a grid of codes, tiled in place: what each region of the latent space means."""
    n1, n2 = len(z1), len(z2)
    h, w = image_shape
    tiles = np.asarray(decoded).reshape(n2, n1, h, w).transpose(0, 2, 1, 3).reshape(n2 * h, n1 * w)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(tiles, cmap="gray", vmin=0, vmax=1,
              extent=(z1[0] - (z1[1] - z1[0]) / 2, z1[-1] + (z1[1] - z1[0]) / 2,
                      z2[-1] - (z2[0] - z2[1]) / 2, z2[0] + (z2[0] - z2[1]) / 2), aspect="auto")
    ax.set_xlabel("z₁")
    ax.set_ylabel("z₂")
    ax.set_title("Decoder manifold: x̂ = f_dec(z) over a grid of codes")
    return save_figure(fig, path)


def plot_image_grid(images: np.ndarray, path: str | Path, title: str, columns: int = 10,
                    image_shape: tuple[int, int] = (28, 28), row_labels: Sequence[str] | None = None) -> Path:
    """Images tiled in rows of ``columns`` (samples from the prior, interpolation strips)."""
    images = np.asarray(images)
    rows = int(np.ceil(len(images) / columns))
    plt = pyplot()
    fig, axes = plt.subplots(rows, columns, figsize=(1.0 * columns, 1.0 * rows + 0.5), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < len(images):
            ax.imshow(images[i].reshape(image_shape), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(i < len(images))
    for r, label in enumerate(row_labels or []):
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def plot_elbo(history: Any, path: str | Path) -> Path:
    """The −ELBO and its two parts per epoch, train and test (nats per image)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    epochs = np.arange(1, len(history.train_loss) + 1)
    titles = {"neg_elbo": "−ELBO = reconstruction + KL", "reconstruction": "reconstruction  −log p(x|z)",
              "kl": "KL(q(z|x) ‖ p(z))"}
    for ax, (name, title) in zip(axes, titles.items()):
        ax.plot(epochs, history.train_terms[name], marker="o", markersize=3, label="train")
        if history.test_terms.get(name):
            ax.plot(epochs, history.test_terms[name], marker="s", markersize=3, label="test (held out)")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per image")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Variational autoencoder training", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, path)
