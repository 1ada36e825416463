# %% [markdown]
# # 9. The walk back: how the error flows down and moves the weights
#
# Tutorial 1 walked one digit forward through the lecture's network. This one walks back for the
# same digit, with the trained model's own numbers. Write aₖ = Wₖ hₖ₋₁ + bₖ for the
# pre-activation of layer k and hₖ = fₖ(aₖ) for its output (h₀ = x, h₆ = x̂), and δₖ = ∂L/∂aₖ.
# The chain rule, one layer at a time, is four lines:
#
#     δₖ       = ∂L/∂hₖ ⊙ fₖ'(aₖ)       the error at layer k, before its activation
#     ∂L/∂Wₖ   = δₖ hₖ₋₁ᵀ              how layer k's weights should move
#     ∂L/∂bₖ   = δₖ
#     ∂L/∂hₖ₋₁ = Wₖᵀ δₖ                 the error handed down to the layer below
#
# starting from the loss, ∂L/∂x̂ = 2(x̂ − x)/784 for the MSE. For ReLU, fₖ'(aₖ) is 1 where aₖ > 0
# and 0 elsewhere; for the output sigmoid it is x̂ ⊙ (1 − x̂).
#
# `walk_back` prints each of these lines as the layers' own `backward` computed it, checks the
# largest entries of every gradient against finite differences of the loss, and finishes with one
# SGD and one Adam step. From the command line: `python -m nanoae walk --run RUN --backward`.
#
# To watch a line being computed, run this file under pdb (from the repository root) and set a
# breakpoint where the layer does it:
#
#     python -m pdb tutorials/09_the_walk_back.py
#     (Pdb) b nanoae/layers/activations.py:32      ReLU: δ = ∂L/∂h ⊙ 1[a > 0], the line `return dout * mask`
#     (Pdb) b nanoae/layers/linear.py:36           Linear: ∂L/∂W += δ hᵀ, the line `self.grads["W"] += dout.T @ x`
#     (Pdb) c
#     (Pdb) p dout.shape, float(abs(dout).max())
#
# (a test checks those two line numbers still point at those two lines).

# %%
import os
from pathlib import Path

import numpy as np

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.evaluation import walk
from nanoae.evaluation.walk_back import walk_back
from nanoae.models import lecture_autoencoder, lecture_vae
from nanoae.plots import pyplot, save_figure, show
from nanoae.training import ELBO, fit

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

backend.use("numpy", dtype="float64", seed=0)          # finite differences need float64
train, test = load_mnist_5k()
model = lecture_autoencoder()
fit(model, train, epochs=1 if FAST else 20, batch_size=64, lr=3e-3, progress=False)
x = test.floats([0])[0]                                  # the first test digit

# %% Forward, as in tutorial 1
print(walk(model, x))

# %% And back
back = walk_back(model, x)
print(back)

# %% [markdown]
# ## One line by hand
#
# Take the printed ∂L/∂x̂ and the forward x̂, and do the first line of the chain rule with NumPy:
# δ6 = ∂L/∂x̂ ⊙ x̂ ⊙ (1 − x̂). It is what the sigmoid layer's `backward` gave.

# %%
gradient = {g.symbol: g.value for g in back.gradients}
x_hat = backend.to_numpy(model.forward(x[None]))[0]
delta6_by_hand = gradient["∂L/∂x̂"] * x_hat * (1 - x_hat)
print(f"δ6 by hand vs the walk: largest difference {np.abs(delta6_by_hand - gradient['δ6']).max():.1e}")
W6 = backend.to_numpy(model.decoder.layers[4].params["W"])
print(f"∂L/∂h4 = W6ᵀ δ6 by hand vs the walk: largest difference "
      f"{np.abs(W6.T @ gradient['δ6'] - gradient['∂L/∂h4']).max():.1e}")

# %% [markdown]
# ## What the picture says
#
# ∂L/∂x̂ is an image: where the reconstruction is too bright it is positive, too dark negative.
# A row of ∂L/∂W1 = δ1 xᵀ is δ1 of one hidden unit times the digit itself — every first-layer
# weight moves along the input, in proportion to how much its unit is to blame.

# %%
unit = int(np.argmax(np.abs(gradient["δ1"])))
panels = {"x": x, "x̂": x_hat, "∂L/∂x̂": gradient["∂L/∂x̂"], f"∂L/∂W1, row {unit}": gradient["∂L/∂W1"][unit]}
plt = pyplot()
fig, axes = plt.subplots(1, 4, figsize=(11, 3))
for ax, (title, image) in zip(axes, panels.items()):
    signed = title.startswith("∂")
    limit = np.abs(image).max() if signed else 1
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="coolwarm" if signed else "gray",
              vmin=-limit if signed else 0, vmax=limit)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
show(save_figure(fig, OUT / "09_walk_back.png"))

# %% [markdown]
# ## Through the VAE's sampling step
#
# For a VAE the walk goes through z = μ + σ ⊙ ε with the ε actually drawn: ∂L/∂μ = ∂L/∂z + ∂KL/∂μ
# and ∂L/∂log σ² = ∂L/∂z ⊙ ε ⊙ ½σ + ∂KL/∂log σ², the KL term's own gradients beside.

# %%
vae = lecture_vae()
fit(vae, train, epochs=1 if FAST else 10, batch_size=128, lr=3e-3, objective=ELBO(), progress=False)
eps = backend.randn(1, 2)
vae_back = str(walk_back(vae, x, eps=eps))
print("\n".join(line for line in vae_back.splitlines()
                if line.startswith(("The walk", "∂L/∂z", "∂KL", "∂L/∂μ", "∂L/∂log σ²", "∂L/∂Wμ", "∂L/∂h2"))))
