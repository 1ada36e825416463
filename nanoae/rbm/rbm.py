"""The restricted Boltzmann machine: an energy over visible and hidden units, and its conditionals.

Visible units v ∈ {0, 1}^V (pixel intensities in [0, 1] are read as probabilities, as in the
paper), hidden units h, no connections within a layer.  The parameters are named as a Linear
layer's, so that unrolling an RBM into an encoder layer is a copy (``nanoae/rbm/stack.py``)::

    W ∈ R^(H×V)   "W"   weights (the encoder layer's W; the decoder layer's Wᵀ)
    b ∈ R^H       "b"   hidden biases (the encoder layer's b)
    a ∈ R^V       "a"   visible biases (the decoder layer's b)

Bernoulli hidden units (``hidden="bernoulli"``), h ∈ {0, 1}^H::

    E(v, h) = −aᵀv − bᵀh − hᵀWv
    p(h_j = 1 | v) = σ(b_j + W_j· v)          p(v_i = 1 | h) = σ(a_i + W_·iᵀ h)
    F(v) = −log Σ_h e^(−E(v, h)) = −aᵀv − Σ_j log(1 + e^(b_j + W_j· v))

Gaussian hidden units (``hidden="gaussian"``; the paper's linear 30-unit code layer), h ∈ R^H
with unit variance::

    E(v, h) = −aᵀv − bᵀh − hᵀWv + ½‖h‖²
    p(h | v) = N(b + Wv, I)                  p(v_i = 1 | h) = σ(a_i + W_·iᵀ h)   (the same)
    F(v) = −log ∫ e^(−E(v, h)) dh = −aᵀv − ½‖b + Wv‖² − (H/2) log 2π

Either way p(v) = e^(−F(v)) / Z with Z = Σ_v e^(−F(v)), and the log-likelihood's gradient is the
data's average of a statistic minus the model's (``nanoae/rbm/cd.py`` estimates the second)::

    ∂ log p(v)/∂W = E[h | v] vᵀ − E_model[h vᵀ]
    ∂ log p(v)/∂b = E[h | v]    − E_model[h]
    ∂ log p(v)/∂a = v           − E_model[v]

Batch-first like every layer: v is (B, V), and "W v" is written ``v @ W.T``.  An RBM is not
trained by backpropagation; ``forward(v)`` is the upward pass E[h | v], the encoder layer it
becomes when unrolled.
"""
from __future__ import annotations

import math

from nanoae import backend
from nanoae.backend import Array
from nanoae.functional import sigmoid
from nanoae.layers.base import Parameterized

HIDDEN_KINDS = ("bernoulli", "gaussian")


def bernoulli(p: Array) -> Array:
    """A draw of 0/1 units, each 1 with its probability in ``p``: u < p for u ~ U[0, 1)."""
    return (backend.rng().random(p.shape, dtype=p.dtype) < p).astype(p.dtype)


class RBM(Parameterized):
    """A restricted Boltzmann machine: W ∈ R^(H×V), hidden biases b, visible biases a."""

    def __init__(self, n_visible: int, n_hidden: int, hidden: str = "bernoulli", init_scale: float = 0.1) -> None:
        super().__init__()
        if hidden not in HIDDEN_KINDS:
            raise ValueError(f"unknown hidden units {hidden!r}; choose bernoulli or gaussian")
        if int(n_visible) < 1 or int(n_hidden) < 1:
            raise ValueError(f"an RBM needs positive sizes, got {n_visible} visible and {n_hidden} hidden")
        self.n_visible, self.n_hidden, self.hidden = int(n_visible), int(n_hidden), hidden
        xp, dtype = backend.xp(), backend.dtype()
        weights = init_scale * backend.rng().standard_normal((self.n_hidden, self.n_visible), dtype=dtype)
        self.add_param("W", weights)                                           # (H, V): N(0, 0.1²) as in the paper
        self.add_param("b", xp.zeros(self.n_hidden, dtype=dtype))              # (H,)
        self.add_param("a", xp.zeros(self.n_visible, dtype=dtype))             # (V,)

    # the conditionals ---------------------------------------------------------------------------
    def hidden_input(self, v: Array) -> Array:
        """b + W v for each row of v: (B, V) → (B, H)."""
        self._check(v, self.n_visible, "v")
        return v @ self.params["W"].T + self.params["b"]

    def hidden_mean(self, v: Array) -> Array:
        """E[h | v]: σ(b + Wv) for Bernoulli units, b + Wv for Gaussian ones.  (B, H)"""
        x = self.hidden_input(v)
        return sigmoid(x) if self.hidden == "bernoulli" else x

    def sample_hidden(self, v: Array) -> tuple[Array, Array]:
        """(E[h | v], a draw h ~ p(h | v)): Bernoulli draws, or the mean plus N(0, 1) noise."""
        mean = self.hidden_mean(v)
        if self.hidden == "bernoulli":
            return mean, bernoulli(mean)
        return mean, mean + backend.rng().standard_normal(mean.shape, dtype=mean.dtype)

    def visible_mean(self, h: Array) -> Array:
        """p(v = 1 | h) = σ(a + Wᵀh): (B, H) → (B, V)."""
        self._check(h, self.n_hidden, "h")
        return sigmoid(h @ self.params["W"] + self.params["a"])

    def sample_visible(self, h: Array) -> tuple[Array, Array]:
        """(p(v = 1 | h), a Bernoulli draw of v)."""
        mean = self.visible_mean(h)
        return mean, bernoulli(mean)

    # energies -----------------------------------------------------------------------------------
    def energy(self, v: Array, h: Array) -> Array:
        """E(v, h) for each row: (B,)."""
        self._check(v, self.n_visible, "v")
        self._check(h, self.n_hidden, "h")
        xp = backend.xp()
        W, b, a = self.params["W"], self.params["b"], self.params["a"]
        e = -(v @ a) - (h @ b) - xp.sum(h * (v @ W.T), axis=1)                  # −aᵀv − bᵀh − hᵀWv
        if self.hidden == "gaussian":
            e = e + 0.5 * xp.sum(h * h, axis=1)                                  # + ½‖h‖²
        return e

    def free_energy(self, v: Array) -> Array:
        """F(v) = −log Σ_h e^(−E(v, h)) (an integral for Gaussian units), for each row: (B,)."""
        xp = backend.xp()
        x = self.hidden_input(v)                                                 # b + Wv: (B, H)
        visible_term = -(v @ self.params["a"])                                   # −aᵀv
        if self.hidden == "bernoulli":
            return visible_term - xp.sum(xp.logaddexp(0, x), axis=1)             # − Σ_j log(1 + e^x_j)
        return visible_term - 0.5 * xp.sum(x * x, axis=1) - 0.5 * self.n_hidden * math.log(2 * math.pi)

    def reconstruction_error(self, v: Array) -> Array:
        """‖v − p(v | h)‖² per row, h a draw from p(h | v): the number the paper's code prints."""
        _, h = self.sample_hidden(v)
        return backend.xp().sum((v - self.visible_mean(h)) ** 2, axis=1)

    def forward(self, v: Array) -> Array:
        """The upward pass E[h | v]: what the unrolled encoder layer computes.  (An RBM is not a layer:
        it is trained by contrastive divergence, ``train_rbm``, and has no backward; ``unroll`` a stack
        of them into layers to backpropagate.)"""
        return self.hidden_mean(v)

    def _check(self, x, size: int, what: str) -> None:
        backend.check_array(x, f"{self!r}")
        if x.ndim != 2 or x.shape[1] != size:
            raise ValueError(f"{self!r}: expected {what} of shape (batch, {size}), got {tuple(x.shape)}")
        if x.dtype != self.params["W"].dtype:
            raise TypeError(f"{self!r}: {what} is {x.dtype} but the weights are {self.params['W'].dtype}")

    def __repr__(self):
        return f"RBM({self.n_visible}→{self.n_hidden}, {self.hidden} hidden)"
