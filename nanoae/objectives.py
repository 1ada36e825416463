"""What training minimises, as an object ``fit`` can call.

An objective has ``forward(model, x, target=None) -> L`` (a 0-d device
array; the target defaults to x itself, as an autoencoder's does),
``backward(model) -> ∂L/∂x`` (filling every parameter's gradient),
``terms()`` (the parts of L worth reporting, as floats) and
``start_epoch(epoch)`` (for schedules).

* ``Reconstruction(loss)``: L = loss(model(x), x) — the plain autoencoder.
* ``ELBO(beta, warmup_epochs)``: L = −log p(x|z) + β_t · KL(q(z|x) ‖ N(0, I)) —
  the VAE's negative evidence lower bound, nats per image, with
  β_t = β · min(1, epoch / warmup_epochs) (KL warm-up; β ≠ 1 is a β-VAE).
  Its ``terms`` report the true −ELBO = reconstruction + KL (β = 1), whatever
  β_t the optimiser sees.
"""
from __future__ import annotations

from nanoae.losses import GaussianKLLoss


class Reconstruction:
    def __init__(self, loss):
        self.loss = loss

    def start_epoch(self, epoch: int) -> None:
        pass

    def forward(self, model, x, target=None):
        return self.loss.forward(model.forward(x), x if target is None else target)

    def backward(self, model):
        return model.backward(self.loss.backward())

    def terms(self) -> dict:
        return {}


class ELBO:
    def __init__(self, beta: float = 1.0, warmup_epochs: int = 0, eps=None):
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

    def forward(self, model, x, target=None):
        out = model.forward(x, eps=self.eps)
        target = x if target is None else target
        self.reconstruction = model.likelihood.forward(out, target)         # −log p(x|z), nats/image
        self.kl = self.kl_loss.forward(*model.latent)                        # KL(q ‖ p), nats/image
        return self.reconstruction + self.current_beta * self.kl

    def backward(self, model):
        dmu, dlogvar = self.kl_loss.backward(self.current_beta)
        return model.backward(model.likelihood.backward(), dmu, dlogvar)

    def terms(self) -> dict:
        reconstruction, kl = float(self.reconstruction), float(self.kl)
        return {"reconstruction": reconstruction, "kl": kl, "neg_elbo": reconstruction + kl}
