"""Figures of RBM pretraining: each RBM's reconstruction error and free energy per epoch."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from nanoae.plots.base import pyplot, save_figure

def plot_pretraining(histories: list, path: str | Path) -> Path:
    """Per RBM: reconstruction error per epoch (left) and mean free energy, training and held-out (right)."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
    for k, history in enumerate(histories):
        epochs = np.arange(1, len(history["reconstruction_error"]) + 1)
        left.plot(epochs, history["reconstruction_error"], marker=".", label=f"RBM {k + 1}")
        line, = right.plot(epochs, history["free_energy"], label=f"RBM {k + 1}, training")
        if history["held_out_free_energy"] and history["held_out_free_energy"][0] is not None:
            right.plot(epochs, history["held_out_free_energy"], linestyle="--", color=line.get_color(),
                       label=f"RBM {k + 1}, held out")
    left.set_xlabel("epoch")
    left.set_ylabel("‖v − p(v | h)‖² per example")
    left.set_title("Reconstruction error during CD-1")
    right.set_xlabel("epoch")
    right.set_ylabel("mean free energy F(v)")
    right.set_title("Free energy: a widening gap means overfitting")
    left.legend(fontsize=8)
    right.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    return save_figure(fig, path)
