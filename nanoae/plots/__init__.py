"""Figures (matplotlib, the ``plot`` extra).

::

    base.py   matplotlib on demand (require_matplotlib, PlotsUnavailable), atomic PNG writing,
              show: a written figure inline in a notebook
    runs.py   a training run: losses, latent space, reconstructions, manifold, image grids, the ELBO
    apps.py   the applications: denoising, PSNR, embeddings, anomaly scores, rows of images
"""
from nanoae.plots.base import (PlotsUnavailable, matplotlib_available, pyplot, require_matplotlib,
                               save_figure, show)
from nanoae.plots.runs import (manifold_grid, plot_elbo, plot_image_grid, plot_latent, plot_losses, plot_manifold,
                               plot_reconstructions)

__all__ = ["PlotsUnavailable", "matplotlib_available", "require_matplotlib", "pyplot", "save_figure", "show",
           "plot_losses", "plot_latent",
           "plot_reconstructions", "manifold_grid", "plot_manifold", "plot_image_grid", "plot_elbo"]
