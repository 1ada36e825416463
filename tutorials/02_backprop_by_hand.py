# %% [markdown]
# # 2. Backpropagation by hand, checked against finite differences
#
# One Linear layer followed by ReLU, y = ReLU(x Wᵀ + b), on a batch of row vectors. With the
# upstream gradient dout = ∂L/∂y, the chain rule gives
#
# $$
# \begin{aligned}
# \mathrm{d}a &= \mathrm{dout} \odot [a > 0] \qquad (a = x W^\top + b,\ \text{the pre-activation}) \\
# \frac{\partial L}{\partial W} &= \mathrm{d}a^\top x, \qquad
# \frac{\partial L}{\partial b} = \textstyle\sum_\text{batch} \mathrm{d}a, \qquad
# \frac{\partial L}{\partial x} = \mathrm{d}a\, W
# \end{aligned}
# $$
#
# We compute these by hand, compare with nanoae's `backward`, and check both against
# central differences with `nanoae.gradcheck`.
#
# To watch `dout` flow through a real backward pass in a debugger, as a script (from the
# repository root, in the environment `make` creates):
#
#     python -m pdb tutorials/02_backprop_by_hand.py
#     (Pdb) b nanoae/layers/linear.py:34
#     (Pdb) c
#     (Pdb) p dout.shape
#     (Pdb) n
#     (Pdb) p x.shape
#
# Line 34 of `nanoae/layers/linear.py` is the first line of `Linear.backward`; a test checks it stays so,
# and drives this very recipe through pdb. In a notebook (or anywhere the file path is not at hand), the
# cell "Stepping into Linear.backward" below does the same from Python: set `STEP_INTO_BACKWARD = True`
# and run it. Either way you step through the reference code, the lecture's formulas; the fast engine
# (`fit(engine="fast")`) is separate code, in `nanoae/fast/`.

# %%
import os
from pathlib import Path

import numpy as np

from nanoae import backend, gradcheck
from nanoae.layers import Linear, ReLU, Sequential

HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
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

# %% Stepping into Linear.backward
# A breakpoint on the first line of `Linear.backward`, found from the function itself (so no file path
# to type), then the layer's backward run under the debugger: at the `(Pdb)` prompt type `c` to go on to
# the breakpoint, `p dout.shape`, `n` to run a line, `p x.shape`, and `c` to leave.
STEP_INTO_BACKWARD = os.environ.get("NANOAE_STEP_INTO_BACKWARD") == "1"
if STEP_INTO_BACKWARD:
    import inspect
    import pdb

    import nanoae.layers.linear

    debugger = pdb.Pdb()
    first_line = inspect.getsourcelines(Linear.backward)[1] + 1          # the line after `def backward(...)`
    debugger.set_break(nanoae.layers.linear.__file__, first_line)
    layer.forward(x)
    debugger.runcall(layer.backward, dout)

# %% Against central differences
report = gradcheck(layer, x, dout=dout)
print(report)
assert report.passed

# %%
from nanoae import numerical_gradient  # noqa: E402
from nanoae.plots import pyplot, save_figure, show  # noqa: E402

numeric = numerical_gradient(lambda: layer.forward(x), W, dout)            # Σ y·dout differenced, entry by entry
plt = pyplot()
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
for ax, values, title in ((axes[0], dW_hand, "∂L/∂W by hand"), (axes[1], numeric, "∂L/∂W by finite differences")):
    image = ax.imshow(values, cmap="coolwarm")
    ax.set_title(title)
    ax.set_xlabel("input j")
    ax.set_ylabel("output i")
    fig.colorbar(image, ax=ax)
show(save_figure(fig, OUT / "02_gradients.png"))

# %% [markdown]
# ## One update: the gradient moves the weights
#
# With ∂L/∂W in hand, the optimizer takes a step. Adam (Kingma & Ba, 2014) keeps two running
# averages per parameter and, at step t,
#
#     m ← β1 m + (1 − β1) g          v ← β2 v + (1 − β2) g²
#     m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)
#     θ ← θ − η m̂ / (√v̂ + ε)
#
# `Adam(model).step()` runs exactly these lines, one parameter at a time
# (`Adam.update` in `nanoae/optim/adam.py`; put a breakpoint there to watch m, v and θ change).
# The fast engine (`fit(engine="fast")`, the command line's default) applies the same rule as in-place
# vector operations over all parameters at once (`Updater(optimizer).step()`, `nanoae/fast/updates.py`),
# equal to rounding. Below, one step of each, and the same step by hand.

# %%
from nanoae.fast.updates import Updater  # noqa: E402
from nanoae.optim import Adam  # noqa: E402

W_before = W.copy()
g = linear.grads["W"].copy()                                   # ∂L/∂W from the backward above
lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
m_hand = (1 - beta1) * g                                       # m and v start at 0; t = 1
v_hand = (1 - beta2) * g * g
W_hand = W_before - lr * (m_hand / (1 - beta1)) / (np.sqrt(v_hand / (1 - beta2)) + eps)

for engine in ("reference", "fast"):
    W[...] = W_before                                          # the same start for both
    optimizer = Adam(layer, lr=lr)
    step = optimizer.step if engine == "reference" else Updater(optimizer).step
    step()                                                     # uses the gradients already in layer.grads
    print(f"Adam, {engine:>9} engine: largest difference from the step by hand = {np.abs(W - W_hand).max():.1e}; "
          f"the weights moved by up to {np.abs(W - W_before).max():.4f} (≈ η: Adam's first step is ±η)")
    assert np.allclose(W, W_hand, rtol=1e-12, atol=1e-15)
    assert linear.params["W"] is W                             # the optimizer moved the array we hold
