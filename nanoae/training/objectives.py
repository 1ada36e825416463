"""What training minimises, as an object ``fit`` can call.

An objective has ``forward(model, x, target=None) -> L`` (a 0-d device
array; the target defaults to x itself, as an autoencoder's does),
``backward(model) -> ∂L/∂x`` (filling every parameter's gradient; None while
the model's ``input_grad`` is off, as it is for a model's data input),
``terms()`` (the parts of L worth reporting, as floats) and
``start_epoch(epoch)`` (for schedules).

* ``Reconstruction(loss, corruption=None, l1=0, weight_decay=0, contractive=0)``:
  the autoencoder's objective::

      L = loss(f_dec(z), x) + λ₁ · 1/B Σ_b ‖z_b‖₁ + ½ λ₂ Σ_W ‖W‖²_F + λ_c · 1/B Σ_b ‖J_f(x̃_b)‖²_F,
      z = f_enc(x̃)

  with x̃ = corruption(x), drawn afresh each batch (a denoising autoencoder;
  the clean x stays the target) or x itself; λ₁ an L1 activity penalty that
  makes codes sparse; λ₂ weight decay on every weight matrix W (not biases);
  λ_c the contractive penalty on the encoder's Jacobian (Rifai et al. 2011,
  ``contractive.py``: its gradient by hand).
* ``ELBO(beta, warmup_epochs)``: L = −log p(x|z) + β_t · KL(q(z|x) ‖ N(0, I)) —
  the VAE's negative evidence lower bound, nats per image, with
  β_t = β · min(1, epoch / warmup_epochs) (KL warm-up; β ≠ 1 is a β-VAE).
  Its ``terms`` report the true −ELBO = reconstruction + KL (β = 1), whatever
  β_t the optimiser sees.  Its backward is where the KL term's own gradients
  enter: the decoder's path gives ∂L/∂μ and ∂L/∂log σ² at the latent layer
  (``VAE.backward_to_latent``), β_t·∂KL/∂μ and β_t·∂KL/∂log σ² are added there,
  and the sum goes down through the encoder (``VAE.backward_from_latent``).
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from nanoae.backend import Array
from nanoae.losses import GaussianKLLoss, Loss
from nanoae.models import VAE, Autoencoder, Model
from nanoae.training.contractive import ContractivePenalty



class Objective(Protocol):
    """What fit asks of an objective: L for a batch, its gradient into the model, the terms to report."""

    def start_epoch(self, epoch: int) -> None: ...
    def forward(self, model: Any, x: Array) -> Array: ...
    def backward(self, model: Any) -> Array | None: ...
    def terms(self) -> dict: ...


class Reconstruction:
    """The autoencoder's objective: L = loss(f_dec(z), x) + the penalties asked for, z = f_enc(x̃)."""

    def __init__(self, loss: Loss, corruption: Callable[[Array], Array] | None = None, l1: float = 0.0,
                 weight_decay: float = 0.0, contractive: float = 0.0) -> None:
        if not l1 >= 0 or not weight_decay >= 0 or not contractive >= 0:
            raise ValueError(f"penalties must be ≥ 0, got l1={l1}, weight_decay={weight_decay}, "
                             f"contractive={contractive}")
        self.loss, self.corruption = loss, corruption
        self.l1, self.weight_decay, self.contractive = float(l1), float(weight_decay), float(contractive)
        self.jacobian = ContractivePenalty()

    def start_epoch(self, epoch: int) -> None:
        pass

    def forward(self, model: Autoencoder, x: Array, target: Array | None = None) -> Array:
        target = x if target is None else target
        x_in = self.corruption(x) if self.corruption is not None else x
        self.penalty = 0.0
        if self.l1:                                          # needs the code z: encode and decode apart
            self.code = model.encode(x_in)
            out = model.decode(self.code)
            self.penalty = self.l1_penalty(self.code)
        else:
            out = model.forward(x_in)
        if self.weight_decay:
            self.penalty = self.penalty + self.weight_penalty(model)
        if self.contractive:                                 # λ_c · 1/B Σ ‖J_f(x̃)‖²_F, from the encoder's caches
            self.penalty = self.penalty + self.contractive * self.jacobian.forward(model.encoder)
        self.reconstruction = self.loss.forward(out, target)
        return self.reconstruction + self.penalty                   # + 0.0 without penalties: bit for bit the same

    def backward(self, model: Autoencoder) -> Array | None:
        dout = self.loss.backward()
        if self.l1:
            dz = model.decoder.backward(dout) + self.l1_gradient(self.code)
            dx = model.encoder.backward(dz)
        else:
            dx = model.backward(dout)
        if self.weight_decay:
            self.add_weight_gradient(model)
        if self.contractive:
            dx_penalty = self.jacobian.backward(self.contractive)                    # adds λ_c ∂P/∂θ itself
            dx = dx if dx_penalty is None else dx + dx_penalty
        return dx

    def l1_penalty(self, code: Array) -> Array:
        """λ₁ · 1/B Σ_b ‖z_b‖₁"""
        return self.l1 * abs(code).sum() / len(code)

    def l1_gradient(self, code: Array) -> Array:
        """∂(λ₁ · 1/B Σ|z|)/∂z = λ₁/B · sign(z)"""
        sign = (code > 0).astype(code.dtype) - (code < 0).astype(code.dtype)
        return sign * (self.l1 / len(code))

    def weight_penalty(self, model: Model) -> Array:
        """½ λ₂ Σ_W ‖W‖²_F over every weight matrix (not the biases)"""
        return 0.5 * self.weight_decay * sum((w * w).sum() for w in _weights(model).values())

    def add_weight_gradient(self, model: Model) -> None:
        """∂(½λ₂‖W‖²)/∂W = λ₂ W, added to each weight's gradient"""
        grads = model.named_gradients()
        for name, w in _weights(model).items():
            grads[name] += self.weight_decay * w

    def terms(self) -> dict:
        if not (self.l1 or self.weight_decay or self.contractive):
            return {}
        return {"reconstruction": self.reconstruction, "penalty": self.penalty}      # on the device: fit reads them


def _weights(model: Model) -> dict:
    return {name: p for name, p in model.named_parameters().items() if name.endswith("W")}


class ELBO:
    """The VAE's negative ELBO: L = −log p(x|z) + β_t · KL(q(z|x) ‖ N(0, I))."""

    def __init__(self, beta: float = 1.0, warmup_epochs: int = 0, eps: Array | None = None) -> None:
        """``eps``: a fixed ε for every forward (gradient checks); None draws a fresh one each time."""
        if not beta >= 0:
            raise ValueError(f"β must be ≥ 0, got {beta}")
        if warmup_epochs < 0:
            raise ValueError(f"warmup_epochs must be ≥ 0, got {warmup_epochs}")
        self.beta, self.warmup_epochs, self.eps = float(beta), int(warmup_epochs), eps
        self.current_beta = self.beta
        self.kl_loss = GaussianKLLoss("batchmean", check_inputs=False)

    def start_epoch(self, epoch: int) -> None:
        ramp = min(1.0, epoch / self.warmup_epochs) if self.warmup_epochs else 1.0
        self.current_beta = self.beta * ramp

    def forward(self, model: VAE, x: Array, target: Array | None = None) -> Array:
        out = model.forward(x, eps=self.eps)
        target = x if target is None else target
        self.reconstruction = model.likelihood.forward(out, target)         # −log p(x|z), nats/image
        self.kl = self.kl_loss.forward(*model.latent)                        # KL(q ‖ p), nats/image
        return self.reconstruction + self.current_beta * self.kl

    def backward(self, model: VAE) -> Array | None:
        dmu, dlogvar = model.backward_to_latent(model.likelihood.backward())     # the reconstruction's path
        kl_dmu, kl_dlogvar = self.kl_loss.backward(self.current_beta)           # β_t ∂KL/∂μ, β_t ∂KL/∂log σ²
        return model.backward_from_latent(dmu + kl_dmu, dlogvar + kl_dlogvar)

    def terms(self) -> dict:
        return {"reconstruction": self.reconstruction, "kl": self.kl,                # on the device: fit reads
                "neg_elbo": self.reconstruction + self.kl}                           # them once per epoch
