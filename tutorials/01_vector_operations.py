# %% [markdown]
# # 1. The walk through the network, by hand and with nanoae
#
# The lecture's autoencoder maps a 28×28 digit x ∈ R^784 to a 2-D code and back:
#
# $$
# \begin{aligned}
# h_1 &= \mathrm{ReLU}(W_1 x + b_1),   & W_1 &\in \mathbb{R}^{128\times 784} \\
# h_2 &= \mathrm{ReLU}(W_2 h_1 + b_2), & W_2 &\in \mathbb{R}^{64\times 128} \\
# z   &= W_3 h_2 + b_3,                & W_3 &\in \mathbb{R}^{2\times 64} \\
# h_3 &= \mathrm{ReLU}(W_4 z + b_4),   & W_4 &\in \mathbb{R}^{64\times 2} \\
# h_4 &= \mathrm{ReLU}(W_5 h_3 + b_5), & W_5 &\in \mathbb{R}^{128\times 64} \\
# \hat{x} &= \sigma(W_6 h_4 + b_6),    & W_6 &\in \mathbb{R}^{784\times 128}
# \end{aligned}
# $$
#
# Here we train that network briefly, then do the six steps by hand with plain NumPy
# matrix-vector products on one real test digit, and check nanoae's layers compute the same.

# %%
import os
from pathlib import Path

import numpy as np


from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.models import lecture_autoencoder
from nanoae.training import fit
from nanoae.evaluation.walk import walk

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"          # the test suite runs every tutorial quickly
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

backend.use("numpy", dtype="float64", seed=0)
train, test = load_mnist_5k()
model = lecture_autoencoder()
history = fit(model, train, test, epochs=1 if FAST else 20, batch_size=64, lr=3e-3, progress=False)

# %% [markdown]
# ## By hand: column vectors, as in the lecture
# nanoae stores W ∈ R^(out×in) exactly as written, so W @ x is the lecture's W x.

# %%
p = {name: backend.to_numpy(value) for name, value in model.named_parameters().items()}
x = test.images[0] / 255.0                                  # one real digit, a vector in R^784


def relu(v):
    return np.maximum(v, 0)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


h1 = relu(p["encoder.0.W"] @ x + p["encoder.0.b"])          # (128,)
h2 = relu(p["encoder.2.W"] @ h1 + p["encoder.2.b"])         # (64,)
z = p["encoder.4.W"] @ h2 + p["encoder.4.b"]                # (2,)   the code
h3 = relu(p["decoder.0.W"] @ z + p["decoder.0.b"])          # (64,)
h4 = relu(p["decoder.2.W"] @ h3 + p["decoder.2.b"])         # (128,)
x_hat = sigmoid(p["decoder.4.W"] @ h4 + p["decoder.4.b"])   # (784,)
print(f"by hand:  z = {np.round(z, 3)},  MSE = {np.mean((x - x_hat) ** 2):.4f}")

# %% [markdown]
# ## With nanoae's layers: a batch of one row vector, x @ W.T + b

# %%
z_layers = backend.to_numpy(model.encode(backend.asarray(x[None, :])))[0]
x_hat_layers = backend.to_numpy(model.forward(backend.asarray(x[None, :])))[0]
print(f"layers:   z = {np.round(z_layers, 3)},  largest difference from the hand computation: "
      f"{max(np.abs(z - z_layers).max(), np.abs(x_hat - x_hat_layers).max()):.1e}")
assert np.allclose(z, z_layers) and np.allclose(x_hat, x_hat_layers)

# %% [markdown]
# nanoae prints the same walk with every equation, shape and number:

# %%
print(walk(model, x))

# %%
from nanoae.plots import show  # noqa: E402
from nanoae.plots.apps import plot_rows  # noqa: E402

show(plot_rows({"x": x[None], "x̂ by hand": x_hat[None], "x̂ by nanoae": x_hat_layers[None]},
               f"One digit through the network; its code z = {np.round(z, 2)}", OUT / "01_walk.png"))
