"""The contractive penalty (Rifai et al., 2011): the encoder's Jacobian, kept small.

For an encoder z = f(x) of dense layers hₖ = fₖ(aₖ), aₖ = Wₖ hₖ₋₁ + bₖ (k = 1…L,
h₀ = x, h_L = z), the Jacobian at one input is the product

    J(x) = ∂z/∂x = D_L W_L D_(L−1) W_(L−1) ⋯ D_1 W_1,        Dₖ = diag(fₖ'(aₖ))      (d × D)

and the penalty is its squared Frobenius norm, averaged over the batch:

    P = 1/B Σ_b ‖J(x_b)‖²_F

A small P means the code barely moves when the input moves a little in
any direction: the encoder keeps only the directions the data vary along.
(With one sigmoid layer this is Rifai's Σⱼ (hⱼ(1 − hⱼ))² Σᵢ Wⱼᵢ².)

Its gradient, by hand.  Write Aₖ = D_L W_L ⋯ D_(k+1) W_(k+1) (d × nₖ, A_L = I) for
the part of J above layer k and Bₖ = D_(k−1) W_(k−1) ⋯ D_1 W_1 for the part below
(B_1 = I), so that J = Aₖ Dₖ Wₖ Bₖ.  W enters twice:

* directly:       ∂‖J‖²/∂Wₖ = 2 (Aₖ Dₖ)ᵀ J Bₖᵀ
* through Dₖ,     ∂‖J‖²/∂dₖ = 2 Σ_c Aₖ[c, :] ⊙ (J Bₖᵀ Wₖᵀ)[c, :],  and dₖ = fₖ'(aₖ), so
  the pre-activation receives ∂‖J‖²/∂dₖ ⊙ fₖ''(aₖ) — zero for ReLU and linear layers,
  σ'(1 − 2σ) for a sigmoid, −2 tanh·(1 − tanh²) for tanh — which flows down the
  ordinary chain rule: eₖ = that + (Wₖ₊₁ᵀ eₖ₊₁) ⊙ fₖ'(aₖ), ∂/∂Wₖ += eₖ hₖ₋₁ᵀ,
  ∂/∂bₖ += eₖ, and ∂P/∂x = W_1ᵀ e_1.

Aₖ is built from the top (A_(k−1) = Aₖ Dₖ Wₖ) and Mₖ = J Bₖᵀ from the bottom
(M_1 = J, M_(k+1) = Mₖ Wₖᵀ Dₖ), so every product is one matrix product over the
B·d rows of a batch: the penalty costs about d times a backward pass.

``forward(encoder)`` reads the caches of the encoder's last forward (call it
after the model's forward); ``backward(scale)`` adds scale·∂P/∂θ into the
encoder's gradients and returns scale·∂P/∂x (None when the encoder's input is
data).  The tests check it against finite differences, over hypothesis-drawn
encoders, on every backend.
"""
from __future__ import annotations

from typing import Any

from nanoae import backend
from nanoae.backend import Array
from nanoae.layers import Identity, LeakyReLU, ReLU, Sigmoid, Tanh, TiedLinear, dense_steps


def _derivatives(activation, batch_shape, xp, dtype):
    """(f'(a), f''(a)) of a step's activation, from its forward cache; f'' None where it is zero."""
    if activation is None or isinstance(activation, Identity):
        return xp.ones(batch_shape, dtype=dtype), None
    cache = activation._cached()
    if isinstance(activation, ReLU):
        return cache.astype(dtype), None
    if isinstance(activation, LeakyReLU):
        return xp.where(cache, 1.0, activation.slope).astype(dtype), None
    if isinstance(activation, Sigmoid):
        first = cache * (1 - cache)
        return first, first * (1 - 2 * cache)
    if isinstance(activation, Tanh):
        first = 1 - cache * cache
        return first, -2 * cache * first
    raise ValueError(f"the contractive penalty knows ReLU, LeakyReLU, σ, tanh and linear layers, not {activation!r}")


class ContractivePenalty:
    """P = 1/B Σ_b ‖J_f(x_b)‖²_F, the encoder's Jacobian, with its gradient by hand."""

    def __init__(self) -> None:
        self.cache: Any = None

    def forward(self, encoder: Any) -> Array:
        """P = 1/B Σ_b ‖J(x_b)‖²_F for the inputs of the encoder's last forward (a 0-d array)."""
        steps = dense_steps(encoder, "the contractive penalty")
        if any(isinstance(linear, TiedLinear) for linear, _ in steps):
            raise ValueError("the contractive penalty takes an encoder of its own Linear layers, not tied ones")
        xp = backend.xp()
        inputs = [linear._cached() for linear, _ in steps]                            # hₖ₋₁ (B, nₖ₋₁)
        batch, dtype = inputs[0].shape[0], inputs[0].dtype
        derivatives = [_derivatives(act, (batch, linear.out_features), xp, dtype) for linear, act in steps]
        code = steps[-1][0].out_features
        above = xp.broadcast_to(xp.eye(code, dtype=dtype), (batch, code, code))      # A_L = I  (B, d, d)
        aboves = []
        for (linear, _), (first, _) in zip(reversed(steps), reversed(derivatives)):
            aboves.append(above)                                                      # Aₖ (B, d, nₖ)
            scaled = above * first[:, None, :]                                        # Aₖ Dₖ
            above = _rows_times(scaled, linear.params["W"])                           # Aₖ Dₖ Wₖ  (B, d, nₖ₋₁)
        jacobian = above                                                              # J (B, d, D)
        self.cache = (steps, inputs, derivatives, aboves[::-1], jacobian)
        return (jacobian * jacobian).sum() / batch

    def backward(self, scale: float = 1.0) -> Array | None:
        """Add scale·∂P/∂θ into the encoder's gradients; return scale·∂P/∂x (None if its input is data)."""
        if self.cache is None:
            raise RuntimeError("ContractivePenalty: backward() called before forward()")
        steps, inputs, derivatives, aboves, jacobian = self.cache
        xp = backend.xp()
        batch = jacobian.shape[0]
        factor = scale / batch
        below = jacobian                                                              # M_1 = J
        direct = []                                                                   # ∂P/∂aₖ through Dₖ
        for (linear, _), (first, second), above in zip(steps, derivatives, aboves):
            W = linear.params["W"]
            scaled = above * first[:, None, :]                                        # Aₖ Dₖ
            linear.grads["W"] += 2 * factor * _flat(scaled).T @ _flat(below)          # 2 (Aₖ Dₖ)ᵀ J Bₖᵀ
            through = _rows_times(below, W.T)                                         # J Bₖᵀ Wₖᵀ  (B, d, nₖ)
            direct.append(None if second is None else 2 * (above * through).sum(axis=1) * second)
            below = through * first[:, None, :]                                       # Mₖ₊₁ = Mₖ Wₖᵀ Dₖ
        error = None                                                                  # eₖ = ∂P/∂aₖ, all paths
        for k in range(len(steps) - 1, -1, -1):
            linear, _ = steps[k]
            first = derivatives[k][0]
            from_above = None if error is None else (error @ steps[k + 1][0].params["W"]) * first
            if from_above is None:
                error = direct[k]
            elif direct[k] is not None:
                error = from_above + direct[k]
            else:
                error = from_above
            if error is not None:
                linear.grads["W"] += factor * error.T @ inputs[k]                      # eₖ hₖ₋₁ᵀ
                linear.grads["b"] += factor * error.sum(axis=0)
        first_layer = steps[0][0]
        if not first_layer.input_grad:
            return None
        if error is None:
            return xp.zeros_like(inputs[0])
        return factor * error @ first_layer.params["W"]                               # W_1ᵀ e_1, batch-first


def _flat(stack):
    """(B, d, n) → (B·d, n): one matrix product over every row of the batch."""
    return stack.reshape(-1, stack.shape[-1])


def _rows_times(stack, matrix):
    """(B, d, n) @ (n, m) → (B, d, m), as one 2-D product."""
    batch, rows, _ = stack.shape
    return (_flat(stack) @ matrix).reshape(batch, rows, matrix.shape[1])
