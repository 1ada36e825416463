# %% [markdown]
# # 10. How deep autoencoders first learned: RBM pretraining (Hinton & Salakhutdinov 2006)
#
# In 2006 a deep autoencoder — 784-1000-500-250-30 with sigmoid units — could not be trained by
# backpropagation from random weights: it got stuck producing the average digit. Hinton and
# Salakhutdinov's way round it was to *pretrain* the network one layer at a time, each layer a
# restricted Boltzmann machine (RBM) trained by contrastive divergence (CD), then unroll the stack
# into an autoencoder and fine-tune it with backpropagation. This tutorial builds that up:
#
# 1. the RBM's energy, and why its conditionals are sigmoids (checked by enumerating every state);
# 2. why CD-1, which runs the model for only one step, works at all (its exact expectation against
#    the exact gradient on an RBM small enough to enumerate);
# 3. the layer-wise recipe on the shipped digits, and the filters the first RBM learns;
# 4. unrolling and fine-tuning, against the same network from random weights and against today's
#    ReLU + Adam (`nanoae.runs.hinton2006`, the experiment behind `python -m nanoae pretrain`);
# 5. the recorded full runs on MNIST-5k and Fashion-MNIST.
#
# The code is in `nanoae/rbm/` (`rbm.py`: the RBM; `cd.py`: CD-k and its training loop; `stack.py`:
# pretraining and unrolling), with the maths in each file's docstring.

# %%
import itertools
import json
import math
import os
import shutil
from pathlib import Path

import numpy as np

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.evaluation.encoding import codes_and_reconstructions
from nanoae.evaluation.metrics import squared_error_per_image
from nanoae.models import dense_autoencoder
from nanoae.plots import pyplot, save_figure, show
from nanoae.rbm import RBM, CDSettings, RBMStack, cd_gradient, pretrain, unroll
from nanoae.runs.hinton2006 import PretrainConfig, markdown, run_pretraining

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

backend.use("numpy", dtype="float64", seed=0)          # the exact sums of sections 1 and 2 want float64


def states(n):
    """Every binary vector of length n, one a row: (2^n, n)."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def logsumexp(x, axis=None):
    top = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(x - top), axis=axis))


def make_rbm(W, b, a, hidden="bernoulli"):
    """An RBM with exactly these weights W (H, V), hidden biases b and visible biases a."""
    rbm = RBM(W.shape[1], W.shape[0], hidden=hidden)
    for name, value in zip("Wba", (W, b, a)):
        rbm.params[name][...] = backend.asarray(value)
    return rbm


# %% [markdown]
# ## 1. The energy function
#
# An RBM has visible units v ∈ {0, 1}^V (the pixels) and hidden units h ∈ {0, 1}^H, weights
# W (H × V) between the layers and none within a layer, biases a (visible) and b (hidden). It gives
# every joint state an energy and a probability
#
# $$
# E(v, h) = -a^\top v - b^\top h - h^\top W v, \qquad
# p(v, h) = \frac{e^{-E(v, h)}}{Z}, \quad Z = \textstyle\sum_v \sum_h e^{-E(v, h)}
# $$
#
# Low energy, high probability. Because no hidden unit is connected to another, −E is a sum of one
# term per hidden unit, h_j (b_j + W_j· v), plus aᵀv; so for a fixed v, e^(−E) is a *product* over
# the hidden units, and normalising it over h normalises each factor on its own:
#
#     p(h | v) = Π_j e^(h_j x_j) / (1 + e^(x_j)),   x_j = b_j + W_j· v    ⇒   p(h_j = 1 | v) = σ(b_j + W_j· v)
#
# The hidden units are independent given v, each a logistic unit — exactly a sigmoid layer's
# forward pass. By symmetry p(v_i = 1 | h) = σ(a_i + W_·iᵀ h). The same product sums over h in
# closed form, which defines the *free energy* of a visible vector:
#
#     e^(−F(v)) = Σ_h e^(−E(v, h)) = e^(aᵀv) Π_j (1 + e^(x_j))    ⇒    F(v) = −aᵀv − Σ_j log(1 + e^(x_j))
#
# and p(v) = e^(−F(v)) / Z. A tiny RBM (V = 4, H = 2) has only 2^6 = 64 joint states, so all of
# this can be checked by brute force: `rbm.energy` over every state, summed, against
# `rbm.free_energy`; and p(h | v) from e^(−E) normalised, against `rbm.hidden_mean`.

# %%
rng = np.random.default_rng(1)
V, H = 4, 2
W, b, a = rng.standard_normal((H, V)), 0.5 * rng.standard_normal(H), 0.5 * rng.standard_normal(V)
tiny = make_rbm(W, b, a)
vs, hs = states(V), states(H)                                   # 16 visible, 4 hidden states
pairs_v = np.repeat(vs, len(hs), axis=0)                        # all 64 (v, h) pairs, v-major
pairs_h = np.tile(hs, (len(vs), 1))
minus_E = -backend.to_numpy(tiny.energy(backend.asarray(pairs_v), backend.asarray(pairs_h))).reshape(len(vs), len(hs))
log_Z = logsumexp(minus_E)
F_by_sum = -logsumexp(minus_E, axis=1)                          # −log Σ_h e^(−E(v, h)), one per v
F_library = backend.to_numpy(tiny.free_energy(backend.asarray(vs)))
print(f"log Z = {log_Z:.4f} (a sum over all {minus_E.size} joint states)\n")
print("   v        −log Σ_h e^(−E)   rbm.free_energy    p(v) = e^(−F)/Z")
for v, by_sum, library in zip(vs, F_by_sum, F_library):
    print(f"{v.astype(int)}   {by_sum:12.6f}   {library:14.6f}    {math.exp(-library - log_Z):12.4f}")
print(f"\nlargest |difference| over the 16 visible states: {np.abs(F_by_sum - F_library).max():.1e}")

# %% And the conditionals: p(h | v) from the energy alone, against the sigmoid
p_h_given_v = np.exp(minus_E - logsumexp(minus_E, axis=1)[:, None])       # (16, 4): normalised over h
p_hj_on = p_h_given_v @ hs                                                  # p(h_j = 1 | v) = Σ_h h_j p(h | v)
hidden_mean = backend.to_numpy(tiny.hidden_mean(backend.asarray(vs)))
print(f"p(h_j = 1 | v) by enumeration vs rbm.hidden_mean = σ(b + Wv): largest difference "
      f"{np.abs(p_hj_on - hidden_mean).max():.1e}")
product = np.prod(np.where(hs[None] == 1, p_hj_on[:, None], 1 - p_hj_on[:, None]), axis=2)
print(f"p(h | v) against Π_j p(h_j | v), the product of its marginals:  largest difference "
      f"{np.abs(p_h_given_v - product).max():.1e}")
# give the two hidden units a connection (a term −L h₁h₂ in the energy) and the product rule breaks
coupled = minus_E + 2.0 * hs[:, 0] * hs[:, 1]
p_coupled = np.exp(coupled - logsumexp(coupled, axis=1)[:, None])
marginals = p_coupled @ hs
product = np.prod(np.where(hs[None] == 1, marginals[:, None], 1 - marginals[:, None]), axis=2)
print(f"with a hidden-hidden weight L = 2 (no longer restricted): largest difference "
      f"{np.abs(p_coupled - product).max():.2f}")

# %% [markdown]
# **Gaussian hidden units for the code layer.** The top RBM of the stack, whose hidden units become
# the 30-number code, has *linear* hidden units in the paper: h ∈ R^H with unit-variance Gaussian
# noise, and the energy gains a ½‖h‖² term, E(v, h) = −aᵀv − bᵀh − hᵀWv + ½‖h‖². Completing the
# square in h gives p(h | v) = N(b + Wv, I) — the mean is a linear layer, no sigmoid, so the code
# is not squashed into [0, 1] — while p(v_i = 1 | h) = σ(a_i + W_·iᵀ h) is unchanged; the sum over h
# becomes a Gaussian integral, and F(v) = −aᵀv − ½‖b + Wv‖² − (H/2) log 2π. Such units are easily
# pushed to large values, so the paper trains this RBM with a learning rate a hundred times smaller
# (0.001, `CDSettings`'s default for it). One hidden unit, integrated on a fine grid:

# %%
gaussian = make_rbm(W[:1], b[:1], a, hidden="gaussian")        # V = 4, H = 1
step, v = 0.01, vs[11:12]                                        # one visible vector
grid = (W[0] @ v[0] + b[0]) + np.arange(-1000, 1001)[:, None] * step     # ±10 around the mean of p(h | v)
minus_E = -backend.to_numpy(gaussian.energy(backend.asarray(np.repeat(v, len(grid), axis=0)), backend.asarray(grid)))
print(f"v = {v[0].astype(int)}:  −log ∫ e^(−E(v, h)) dh = {-(logsumexp(minus_E) + math.log(step)):.10f},  "
      f"rbm.free_energy = {float(backend.to_numpy(gaussian.free_energy(backend.asarray(v)))[0]):.10f}")

# %% [markdown]
# ## 2. Why CD-1 works at all
#
# Training maximises the average log p(v) of the data. With log p(v) = −F(v) − log Z, and
# ∂(−F)/∂W = σ(b + Wv) vᵀ = E[h | v] vᵀ, the gradient is a difference of two averages:
#
#     ∂ log p(v)/∂W = E[h | v] vᵀ  −  E_model[h vᵀ]        (and for b: E[h | v] − E_model[h];  for a: v − E_model[v])
#                     data term        model term
#
# The data term is one sigmoid layer's output per training image. The model term, from −log Z, is
# an average over every state the model can be in: 2^784 visible vectors for MNIST. No sum of that
# size can be done, and sampling it properly means running a Markov chain (alternating Gibbs
# sampling: h ~ p(h | v), then v ~ p(v | h), and so on) until it forgets where it started.
#
# **Contrastive divergence** (Hinton 2002) runs that chain for only k steps, starting *at the
# data*, and uses the state it reaches, vᵏ, in place of a sample from the model:
#
#     ΔW ∝ E[h | v⁰] v⁰ᵀ − E[h | vᵏ] vᵏᵀ,    v⁰ = a training image
#
# Started at the data, the chain after k steps has wandered towards what the model believes; the
# update lowers the energy of the data and raises the energy of where the model drifts off to.
# It is not the gradient of the likelihood, and it is biased. How biased? On an RBM with V = 5 and
# H = 3 we can compute both exactly. The chain over visible states has a 32 × 32 transition matrix
# T[v, v′] = Σ_h p(h | v) p(v′ | h); the distribution of vᵏ given v⁰ is row v⁰ of Tᵏ, so the exact
# *expectation* of the CD-k update is a matrix power away — no sampling noise at all. As k → ∞,
# every row of Tᵏ tends to p(v), and CD-∞ is the true gradient. (This is CD with the chain's
# visible states drawn, `cd_gradient(..., sample_visible=True)`; the default, like the paper's
# code, uses the probabilities p(v | h) in place of a draw — the last lines check that variant.)

# %%
DATA = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 0, 0], [1, 0, 0, 1, 1], [0, 0, 1, 1, 0]], dtype=np.float64)
rng = np.random.default_rng(3)
V, H = 5, 3
W, b, a = 2.0 * rng.standard_normal((H, V)), 0.5 * rng.standard_normal(H), 0.5 * rng.standard_normal(V)
small = make_rbm(W, b, a)
vs, hs = states(V), states(H)


def statistics(v):
    """(E[h | v] vᵀ, E[h | v], v) per row, flattened: what the gradient averages, for W, b and a."""
    mean = backend.to_numpy(small.hidden_mean(backend.asarray(v)))
    return np.concatenate([np.einsum("nj,ni->nji", mean, v).reshape(len(v), -1), mean, v], axis=1)


free = backend.to_numpy(small.free_energy(backend.asarray(vs)))
p_v = np.exp(-free - logsumexp(-free))                                  # the model's p(v), all 32 states
exact = statistics(DATA).mean(axis=0) - p_v @ statistics(vs)            # data term − model term


def bernoulli(means, patterns):
    """p(pattern | means) for every row of means and every pattern: (rows, patterns)."""
    return np.prod(np.where(patterns[None] == 1, means[:, None], 1 - means[:, None]), axis=2)


T = bernoulli(backend.to_numpy(small.hidden_mean(backend.asarray(vs))), hs) @ \
    bernoulli(backend.to_numpy(small.visible_mean(backend.asarray(hs))), vs)      # (32, 32), rows sum to 1
start = (DATA @ 2 ** np.arange(V - 1, -1, -1)).astype(int)                         # each data row's index in vs


def expected_cd(k):
    """E[the CD-k update] over the chain's randomness, exactly: data term − E[statistics(vᵏ)]."""
    return statistics(DATA).mean(axis=0) - (np.linalg.matrix_power(T, k)[start] @ statistics(vs)).mean(axis=0)


def bias_and_cosine(estimate):
    return (np.linalg.norm(estimate - exact) / np.linalg.norm(exact),
            estimate @ exact / (np.linalg.norm(estimate) * np.linalg.norm(exact)))


ks = np.unique(np.round(np.geomspace(1, 50, 20)).astype(int))
measured = {int(k): bias_and_cosine(expected_cd(int(k))) for k in ks}
print(f"exact gradient by enumeration: ‖∇‖ = {np.linalg.norm(exact):.4f} over {exact.size} parameters\n")
print(" k    ‖E[CD-k] − ∇‖ / ‖∇‖    cos(E[CD-k], ∇)")
for k in (1, 2, 5, 10, 50):
    bias, cosine = bias_and_cosine(expected_cd(k))
    print(f"{k:2d}    {bias:18.2e}    {cosine:15.4f}")
second = np.sort(np.abs(np.linalg.eigvals(T)))[-2]
print(f"\nT's second-largest |eigenvalue| is {second:.3f}: the bias shrinks roughly like {second:.3f}^k")

# %%
plt = pyplot()
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.semilogy(list(measured), [max(m[0], 1e-17) for m in measured.values()], marker="o")
left.set_xlabel("k (Gibbs steps)")
left.set_ylabel("‖E[CD-k] − ∇‖ / ‖∇‖")
left.set_title("Relative bias of CD-k")
right.plot(list(measured), [m[1] for m in measured.values()], marker="o", color="C1")
right.set_xlabel("k (Gibbs steps)")
right.set_ylabel("cos(E[CD-k], ∇)")
right.set_title("Angle to the true gradient")
for ax in (left, right):
    ax.set_xscale("log")
fig.suptitle(f"CD-k against the exact gradient, RBM {V}×{H}, {len(DATA)} training vectors (exact expectations)")
fig.tight_layout()
show(save_figure(fig, OUT / "10_cd_k.png"))

# %% [markdown]
# CD-1 is off by a sizeable fraction of the gradient's length, yet it points almost the same way:
# an ascent direction for the likelihood, which is all a small-step learning rule needs. (It is
# not exactly a gradient of anything, and with large weights the chain mixes slowly and CD-1 can
# mislead; the paper's RBMs start from small weights, N(0, 0.1²), where it mixes fast.) Now the library's
# `cd_gradient` itself, averaged over many chains: it stores −(the update) in `rbm.grads`, a
# descent direction as an optimizer expects. With sampled visible states it matches the exact
# expectation within the Monte-Carlo noise; the paper's mean-field variant is a little different
# in expectation, and points the right way too.

# %%
copies = 5_000 if FAST else 50_000
for sample_visible in (True, False):
    backend.seed(1)
    cd_gradient(small, backend.asarray(np.tile(DATA, (copies, 1))), k=1, sample_visible=sample_visible)
    update = -np.concatenate([backend.to_numpy(small.grads[name]).ravel() for name in ("W", "b", "a")])
    away = np.linalg.norm(update - expected_cd(1)) / np.linalg.norm(expected_cd(1))
    bias, cosine = bias_and_cosine(update)
    print(f"cd_gradient, k = 1, sample_visible={sample_visible!s:<5}, {copies * len(DATA):,} chains: "
          f"{away:.3f} of ‖E[CD-1]‖ from E[CD-1]; cos with ∇ {cosine:.4f}")

# %% [markdown]
# ## 3. The layer-wise recipe
#
# A single RBM with 1000 hidden units, trained by CD-1 on the pixels, learns features; its hidden
# probabilities E[h | v] for every training image are then the *data* for the next RBM (1000 → 500),
# and so on up to the 30 linear code units:
#
#     RBM 1  784 ↔ 1000   on the pixels (grey levels in [0, 1], read as probabilities)
#     RBM 2 1000 ↔ 500    on RBM 1's E[h | v]
#     RBM 3  500 ↔ 250    on RBM 2's
#     RBM 4  250 ↔ 30     Gaussian hidden units: the code
#
# Each is trained as the paper's code trained it (`CDSettings`): mini-batches of 100, learning rate
# 0.1 (0.001 for the code layer), weight cost 0.0002, momentum 0.5 for five epochs and 0.9 after,
# 50 epochs. Here, to keep the tutorial to a few minutes on a CPU, each RBM gets 10 epochs (and in
# the fast mode a tiny stack gets one). `pretrain` prints nothing with `progress=False`; it returns
# each RBM's reconstruction error ‖v − p(v | h)‖² and mean free energy per epoch, on the training
# data and on held-out data: a free-energy gap that widens between the two is overfitting.

# %%
backend.use("numpy", dtype="float32", seed=0)
train, test = load_mnist_5k()
sizes = [784, 32, 8] if FAST else [784, 1000, 500, 250, 30]
stack = RBMStack(sizes)
histories = pretrain(stack, train.images / 255.0, CDSettings(epochs=1 if FAST else 10),
                     held_out=test.images / 255.0, progress=False)
print(stack)
for rbm, history in zip(stack.rbms, histories):
    print(f"{rbm!r:<32} reconstruction error {history.reconstruction_error[0]:7.2f} → "
          f"{history.reconstruction_error[-1]:6.2f};  free energy, training {history.free_energy[-1]:8.2f}, "
          f"held out {history.held_out_free_energy[-1]:8.2f}  ({sum(history.epoch_seconds):.1f} s)")

# %% [markdown]
# **What the first RBM learned.** Row j of W is what hidden unit j looks for: p(h_j = 1 | v) =
# σ(b_j + W_j· v) is large when the image lines up with that row. Below, the rows of the first 32
# hidden units (hidden units are interchangeable, so any 32 would do), reshaped to 28 × 28: red
# positive, blue negative, each on its own scale. With 1000 units and only ten epochs, some rows
# are already local strokes and blobs — pieces of digits, not whole digits — while many are still
# mostly the noise they started from. In the fast mode, with 32 units and one epoch, each unit has
# to cover more of the image and the rows look more like blurred whole digits.

# %%
filters = backend.to_numpy(stack.rbms[0].params["W"])[:32]
fig, axes = plt.subplots(4, 8, figsize=(8, 4.4))
for ax, row in zip(axes.ravel(), filters):
    limit = np.abs(row).max()
    ax.imshow(row.reshape(28, 28), cmap="coolwarm", vmin=-limit, vmax=limit)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle(f"The first RBM's weights: rows of W for 32 of its {sizes[1]} hidden units")
show(save_figure(fig, OUT / "10_filters.png"))

# %% [markdown]
# ## 4. Unroll, then fine-tune
#
# Unrolling (`unroll`) turns the stack into a deep autoencoder: the encoder is the upward pass,
# E[h | v] of each RBM in turn (weights W_k, biases b_k); the decoder is the downward pass in mirror
# order, p(v | h) of each (weights W_kᵀ, biases a_k). The encoder and decoder weights are copies,
# untied from here on. Before any backpropagation, the unrolled stack already reconstructs digits —
# much better than the same network with random weights:

# %%
unrolled = unroll(stack)
x_test = test.images / 255.0
z = backend.to_numpy(unrolled.encode(backend.asarray(x_test[:5])))
print(f"unrolled encoder = the stack's upward pass: largest difference "
      f"{np.abs(z - backend.to_numpy(stack.forward(backend.asarray(x_test[:5])))).max():.1e}")
random_start = dense_autoencoder(sizes, hidden="sigmoid", output="sigmoid")
for name, model in (("unrolled RBMs, before fine-tuning", unrolled), ("random weights, untrained", random_start)):
    _, reconstructions = codes_and_reconstructions(model, test)
    print(f"{name:<34} squared error per test image {squared_error_per_image(x_test, reconstructions):6.2f}")

# %% [markdown]
# Fine-tuning is ordinary backpropagation of the reconstruction error through all the layers.
# `run_pretraining` (the experiment behind `python -m nanoae pretrain`) does the whole comparison
# on one data set, with one network shape:
#
# * **(a) pretrained** — the RBM stack trained greedily by CD-1, unrolled, fine-tuned on the
#   cross-entropy (sigmoid units, linear code): the paper's method.
# * **(b) random** — the same sigmoid network from random (Xavier) weights, fine-tuned the same
#   way: the failure the paper was about.
# * **(c) ReLU + Adam** — today's default: ReLU units, Adam, squared error, He-initialised weights.
# * **PCA** with as many components as the code has.
#
# One difference from the paper: it fine-tuned with conjugate gradients (three line searches per
# mini-batch of 1,000); nanoae fine-tunes (a) and (b) with SGD and momentum 0.9 on mini-batches
# of 100, the optimizer every other model here uses. The run folder gets the table (`results.json`,
# `results.md`), each arm's model, checkpoints (so that a killed run carries on with `--resume`),
# and two figures. Here the run has the default network and settings except for 20 epochs per RBM
# rather than the paper's 50 (with section 3, the whole tutorial takes a few minutes on one CPU
# core); the fast mode runs a tiny 784-32-8 network for one epoch of each.

# %%
RUN = OUT / "10_pretrain_run"
shutil.rmtree(RUN, ignore_errors=True)                 # this tutorial's own results from an earlier run
config = (PretrainConfig(sizes=[784, 32, 8], rbm_epochs=1, epochs=1, engine="fast") if FAST
          else PretrainConfig(rbm_epochs=20, epochs=20,
                              engine="fast"))   # fine-tuning three deep networks for 20 epochs: the fast engine
table = run_pretraining(config, RUN, figures=True, progress=False)
print(markdown(table))
for name in table.get("figures", []):
    show(RUN / name)

# %% [markdown]
# In the reconstructions, each row is the same ten test digits (the first of each class) through
# one model's code. The second figure is the pretraining: each RBM's reconstruction error per
# epoch, and its free energy on training and held-out images.
#
# ## 5. The measured table
#
# The full runs, with the paper's settings (50 epochs per RBM) and 20 epochs of fine-tuning, take
# longer than a tutorial should; they are made by
#
#     python -m nanoae pretrain --out runs/hinton-mnist5k                          # the 4,000 shipped digits
#     python -m nanoae pretrain --dataset fashion-mnist --out runs/hinton-fashion  # 60,000 clothing images
#
# and the `results.json` of each is recorded in `benchmarks/results/hinton2006/`. They are read back
# here rather than quoted, so that what you see is what was measured.

# %%
RECORDED = HERE.parent / "benchmarks" / "results" / "hinton2006"
COMMANDS = {"mnist-5k": "python -m nanoae pretrain --out runs/hinton-mnist5k",
            "fashion-mnist": "python -m nanoae pretrain --dataset fashion-mnist --out runs/hinton-fashion",
            "fashion-mnist-40-epochs": "python -m nanoae pretrain --resume runs/hinton-fashion --epochs 40"}
for dataset, command in COMMANDS.items():
    path = RECORDED / dataset / "results.json"
    if not path.is_file():
        print(f"{dataset}: not recorded yet ({path.relative_to(HERE.parent)} is missing; `{command}` makes it)\n")
        continue
    recorded = json.loads(path.read_text(encoding="utf-8"))
    print(markdown(recorded))             # its last line: the paper's own numbers, on the full MNIST

# %% [markdown]
# ## Why pretraining mattered then, and why it is rarely used now
#
# A deep sigmoid network started from small random weights stalls: each sigmoid's derivative is at
# most ¼, and backpropagated through many saturating layers, with small weights multiplying it at
# every step, the error reaching the lower layers all but vanishes. The top layers then learn the
# average image and the bottom ones barely move. Pretraining put every layer's weights, before any
# backpropagation, somewhere that already modelled the data below it, so fine-tuning only had to
# adjust a network that already worked — arm (b) against arm (a) above. Today the same networks
# train from random weights: ReLU units pass the gradient unchanged where they are active,
# initialisations scaled to each layer's width (Glorot, He) keep the signal's size from layer to
# layer, and adaptive optimizers such as Adam rescale each parameter's step — arm (c). The RBMs
# are no longer needed for that; the ideas in them — energies, free energies, and sampling to
# estimate a model's own average — live on in energy-based and generative models.
