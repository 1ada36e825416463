# %% [markdown]
# # 3. Training the 2-D autoencoder: loss curves, the latent map, the manifold
#
# `fit` runs the loop of the lecture: for each minibatch, forward, loss, backward, optimizer
# step. With a 2-D code we can look at the whole latent space: where each test digit lands,
# and what the decoder draws at every point of a grid.

# %%
import os
from pathlib import Path

import numpy as np

from nanoae import backend, plots
from nanoae.data import load_mnist_5k
from nanoae.evaluation import codes_and_reconstructions, compare_with_pca
from nanoae.models import lecture_autoencoder
from nanoae.training import fit

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

backend.use("numpy", dtype="float32", seed=0)
train, test = load_mnist_5k()
model = lecture_autoencoder()
# 50 epochs take a while, so this trains with the fast engine (`engine="fast"`: nanoae/fast/, the same
# arithmetic to rounding, compiled into one step). Leave it out to train through the layers' own code,
# the reference you can step through in a debugger (tutorial 2); the numbers agree (tests/test_engine.py).
history = fit(model, train, test, epochs=2 if FAST else 50, batch_size=64, lr=3e-3, loss="mse", progress=False,
              engine="fast")
print(f"test MSE per pixel after {len(history.test_loss)} epochs: {history.test_loss[-1]:.4f}")

# %% Loss curves
plots.show(plots.plot_losses(history, OUT / "03_losses.png"))

# %% The latent map: z = f_enc(x) for the 1,000 test digits
codes, _ = codes_and_reconstructions(model, test)
plots.show(plots.plot_latent(codes, test.labels, OUT / "03_latent.png"))

# %% The manifold: x̂ = f_dec(z) over a regular grid of codes
grid, z1, z2 = plots.manifold_grid(codes)
plots.show(plots.plot_manifold(backend.to_numpy(model.decode(backend.asarray(grid))), z1, z2,
                               OUT / "03_manifold.png"))

# %% [markdown]
# How much better than the best linear 2-D projection (PCA)?

# %%
comparison = compare_with_pca(model, train, test)
for name in ("autoencoder", "pca"):
    r = comparison[name]
    print(f"{name:<12} squared error per image {r['squared_error_per_image']:6.2f}   "
          f"5-NN accuracy {r['5nn_accuracy']:.3f}")
assert np.isfinite(history.test_loss[-1])
