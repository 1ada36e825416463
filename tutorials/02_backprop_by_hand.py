# %% [markdown]
# # 2. Backpropagation by hand, checked against finite differences
#
# One Linear layer followed by ReLU, y = ReLU(x Wᵀ + b), on a batch of row vectors. With the
# upstream gradient dout = ∂L/∂y, the chain rule gives
#
#     da = dout ⊙ [a > 0]             (a = x Wᵀ + b, the pre-activation)
#     ∂L/∂W = daᵀ x,   ∂L/∂b = Σ_batch da,   ∂L/∂x = da W
#
# We compute these by hand, compare with nanoae's `backward`, and check both against
# central differences with `nanoae.gradcheck`.
#
# To watch `dout` flow through a real backward pass in a debugger:
#
#     python -m pdb tutorials/02_backprop_by_hand.py      (from the repository root)
#     (Pdb) b nanoae/layers/linear.py:37
#     (Pdb) c
#     (Pdb) p dout.shape
#     (Pdb) n
#     (Pdb) p x.shape
#
# Line 37 of `nanoae/layers/linear.py` is the first line of `Linear.backward`; a test checks it stays so.

# %%
import os
from pathlib import Path

import numpy as np

from nanoae import backend, gradcheck
from nanoae.layers import Linear, ReLU, Sequential

OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", Path(__file__).parent / "figures"))
OUT.mkdir(parents=True, exist_ok=True)
backend.use("numpy", dtype="float64", seed=1)             # gradient checks need float64

linear, relu = Linear(5, 3), ReLU()
layer = Sequential(linear, relu)
x = backend.randn(4, 5)
dout = backend.randn(4, 3)

# %% By hand
W, b = linear.params["W"], linear.params["b"]
a = x @ W.T + b
da = dout * (a > 0)
dW_hand, db_hand, dx_hand = da.T @ x, da.sum(axis=0), da @ W

# %% With nanoae
layer.zero_grad()
layer.forward(x)
dx = layer.backward(dout)
for name, hand, ours in (("dW", dW_hand, linear.grads["W"]), ("db", db_hand, linear.grads["b"]), ("dx", dx_hand, dx)):
    print(f"{name}: largest difference between hand and nanoae = {np.abs(hand - ours).max():.1e}")
    assert np.allclose(hand, ours)

# %% Against central differences
report = gradcheck(layer, x, dout=dout)
print(report)
assert report.passed

# %%
from nanoae import numerical_gradient  # noqa: E402
from nanoae.plots import _pyplot, _save  # noqa: E402

numeric = numerical_gradient(lambda: layer.forward(x), W, dout)            # Σ y·dout differenced, entry by entry
plt = _pyplot()
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
for ax, values, title in ((axes[0], dW_hand, "∂L/∂W by hand"), (axes[1], numeric, "∂L/∂W by finite differences")):
    image = ax.imshow(values, cmap="coolwarm")
    ax.set_title(title)
    ax.set_xlabel("input j")
    ax.set_ylabel("output i")
    fig.colorbar(image, ax=ax)
_save(fig, OUT / "02_gradients.png")
