"""Figures of the applications: denoising, dimensionality reduction, anomaly detection."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from nanoae.plots.base import pyplot, save_figure


def plot_rows(rows: dict, title: str, path: str | Path, image_shape: tuple[int, int] = (28, 28),
              captions: dict | None = None) -> Path:
    """One row of images per entry of ``rows`` (label → (n, D) images), labelled on the left;
    ``captions`` (label → n strings) go above the images of that row."""
    plt = pyplot()
    n = len(next(iter(rows.values())))
    fig, axes = plt.subplots(len(rows), n, figsize=(1.05 * n + 1.2, 1.15 * len(rows) + 0.4), squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        for i in range(n):
            axes[r, i].imshow(np.asarray(images[i]).reshape(image_shape), cmap="gray", vmin=0, vmax=1)
            axes[r, i].set_xticks([])
            axes[r, i].set_yticks([])
            if captions and label in captions:
                axes[r, i].set_title(captions[label][i], fontsize=8)
        axes[r, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def plot_denoising(clean: np.ndarray, outputs: dict, kind: str, level: float, path: str | Path) -> Path:
    """The clean digits, then each row of ``outputs``, at one corruption level."""
    rows = {"clean x": clean, **outputs}
    return plot_rows(rows, f"Denoising, {kind} corruption at level {level:g}", path)


def plot_psnr(rows: list, kind: str, path: str | Path) -> Path:
    """PSNR against the clean digit per corruption level: noisy input, plain AE, denoising AE."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in ("noisy input", "plain AE", "denoising AE"):
        points = [(r["level"], r["psnr_db"]) for r in rows if r["images"] == name]
        ax.plot(*zip(*points), marker="o", label=name)
    ax.set_xlabel(f"{kind} corruption level")
    ax.set_ylabel("PSNR against the clean digit (dB, higher is better)")
    ax.set_title("Held-out digits: how much of the noise is removed")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_embeddings(codes: dict, labels: np.ndarray, results: dict, path: str | Path) -> Path:
    """The 2-D codes of each method side by side, coloured by digit."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(codes), figsize=(6 * len(codes), 5), squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, (name, z) in zip(axes[0], codes.items()):
        for digit in np.unique(labels):
            chosen = labels == digit
            ax.scatter(z[chosen, 0], z[chosen, 1], s=6, alpha=0.7, color=cmap(int(digit)), label=str(digit))
        r = results[name]
        ax.set_title(f"{'Autoencoder' if name == 'autoencoder' else 'PCA'}: 5-NN accuracy {r['5nn_accuracy']:.2f}, "
                     f"trustworthiness {r['trustworthiness_k5']:.3f}", fontsize=10)
        ax.set_xlabel("code 1")
        ax.set_ylabel("code 2")
        ax.grid(alpha=0.3)
    axes[0, -1].legend(title="digit", markerscale=2.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle("Held-out digits reduced to 2 dimensions", fontsize=11)
    return save_figure(fig, path)


def plot_anomaly_scores(scores: np.ndarray, anomalous: np.ndarray, threshold: float, normal_class: int,
                        fpr: np.ndarray, tpr: np.ndarray, auroc: float, path: str | Path) -> Path:
    """Histograms of the scores of normal and anomalous test images, and the ROC curve."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    bins = np.linspace(0, np.quantile(scores, 0.995), 50)
    left.hist(scores[~anomalous], bins=bins, alpha=0.6, density=True, label=f"normal (digit {normal_class})")
    left.hist(scores[anomalous], bins=bins, alpha=0.6, density=True, label="anomalous (other digits)")
    left.axvline(threshold, color="k", linestyle="--", label="threshold τ")
    left.set_xlabel("reconstruction error s(x) = ‖x − x̂‖² / 784")
    left.set_ylabel("density")
    left.set_title(f"Scores of the {len(scores):,} test images")
    left.legend()
    right.plot(fpr, tpr, label=f"AUROC = {auroc:.3f}")
    right.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    right.set_xlabel("false positive rate (normal digits flagged)")
    right.set_ylabel("true positive rate (anomalies caught)")
    right.set_title("ROC curve")
    right.legend(loc="lower right")
    right.grid(alpha=0.3)
    fig.suptitle(f"Anomaly detection: autoencoder trained on digit {normal_class} only", fontsize=11)
    return save_figure(fig, path)


def plot_extremes(x: np.ndarray, scores: np.ndarray, labels: np.ndarray, normal_class: int, path: str | Path,
                  n: int = 10) -> Path:
    """The n least and n most anomalous test digits."""
    order = np.argsort(scores)
    picked = {"least anomalous": order[:n], "most anomalous": order[-n:][::-1]}
    rows = {name: x[idx] for name, idx in picked.items()}
    captions = {name: [f"{int(labels[i])}: {scores[i]:.3f}" for i in idx] for name, idx in picked.items()}
    return plot_rows(rows, f"Test digits by reconstruction error, model trained on digit {normal_class} "
                           "(caption: true digit: score)", path, captions=captions)
