"""The fast engine: a model, its objective and its optimizer compiled into one training step.

    engine = nanoae.fast.compile(model, objective, optimizer)
    L = engine.forward_backward(x)      # g ← 0 (where needed), forward, backward: g = ∂L/∂θ
    engine.update()                     # θ ← θ − (the optimizer's rule), over all of θ at once

It computes what the reference computes (``fit``'s loop: ``optimizer.zero_grad()``,
``objective.forward``, ``objective.backward``, ``optimizer.step()``), on the same
arrays — the model's θ and g, the optimizer's state — from code of its own:

* the layers become kernels (``kernels.py``): a Linear layer and its activation
  in one buffer, every activation and gradient written into arrays allocated once,
  ∂L/∂W written straight into g, the conv autoencoder's batch kept batch-last;
* the loss's gradient is fused with the output sigmoid's backward (``losses.py``);
* the update is one pass of vector operations over θ, in threads and cache-sized
  blocks (``updates.py``), momenta's subnormals flushed;
* malloc keeps freed memory for the next step (``memory.py``);
* a large batch of an autoencoder or a VAE is cut in two halves, one per core,
  each run by its own copy of the plan with products on one thread (``halves.py``).

Plans exist for an ``Autoencoder`` trained on ``Reconstruction`` (any depth, tied
weights, every activation, the sparse (L1), weight-decay and contractive
penalties, corruption) and a ``VAE`` on the ``ELBO``.  Anything else — another
model or objective — runs the objective's own forward and backward with the fused
update.  Within a plan, a layer the engine has no kernel for runs its own
``forward``/``backward``; the contractive penalty reads the encoder's own caches,
so with it the encoder runs its layers' own code.

Randomness is drawn where the reference draws it, from the same generator in the
same order (the corruption, the VAE's ε), so both paths see the same numbers.
``tests/test_engine.py`` holds the engine to the reference, step by step and
over 200 steps, for every model and optimizer, and checks that planted slips fail.
"""
from __future__ import annotations

from nanoae import backend
from nanoae.backend import Array
from nanoae.fast import convolutions, halves, kernels, memory, updates
from nanoae.fast.kernels import Gradients, Kernel
from nanoae.fast.losses import LossKernel
from nanoae.models import VAE, Autoencoder
from nanoae.models.base import Model
from nanoae.models.decoder_likelihoods import BernoulliLikelihood
from nanoae.models.vae import LOGVAR_RANGE
from nanoae.losses.base import reduction_scale
from nanoae.optim.base import Optimizer
from nanoae.parameters import parameter_slots
from nanoae.training.objectives import ELBO, Objective, Reconstruction


def compile(model: Model, objective: Objective, optimizer: Optimizer) -> Engine:  # noqa: A001  (torch.compile's name, on purpose)
    """The fast training step for ``model`` under ``objective`` and ``optimizer``."""
    memory.reuse_freed_memory()                              # each step's temporaries reuse the last step's memory
    plan: AutoencoderPlan | VAEPlan | ObjectivePlan          # one of three kinds, chosen here
    split = None
    if isinstance(model, Autoencoder) and type(objective) is Reconstruction:
        plan = AutoencoderPlan(model, objective)
        if halves.possible(plan):
            split = halves.Halves(plan, AutoencoderPlan)
    elif isinstance(model, VAE) and type(objective) is ELBO:
        plan = VAEPlan(model, objective)
        if halves.possible(plan):
            split = halves.Halves(plan, VAEPlan)
    else:
        plan = ObjectivePlan(model, objective)
    return Engine(plan, updates.Updater(optimizer), split)


class Engine:
    """One compiled training step: ``forward_backward(x)`` then ``update()``."""

    def __init__(self, plan: AutoencoderPlan | VAEPlan | ObjectivePlan, updater: updates.Updater,
                 split: halves.Halves | None = None) -> None:
        self.plan, self.updater, self.halves = plan, updater, split

    def forward_backward(self, x: Array) -> Array:
        """L for the batch x, with g = ∂L/∂θ filled in (a 0-d device array, as the objective's)."""
        if self.halves is not None and self.halves.wanted(x):
            return self.halves.forward_backward(x)
        self.plan.zero_unwritten_gradients()
        value = self.plan.forward(x)
        self.plan.backward()
        return value

    def update(self) -> None:
        self.updater.step()


class _Plan:
    """Which parts of g the step writes outright (no zeroing needed) and which it must zero first."""

    def __init__(self, model: Model, parts: list[Kernel], gradients: Gradients | None = None) -> None:
        gradients = Gradients() if gradients is None else gradients
        self.parts = parts
        touched: dict[tuple[int, str], int] = {}
        for part in parts:
            for layer, key in part.gradient_slots():
                touched[(id(layer), key)] = touched.get((id(layer), key), 0) + 1
        written = set()
        for part in parts:
            for kernel in _dense_kernels(part):
                kernel.write_weight_grad = touched[(id(kernel.weight_owner), "W")] == 1 and not kernel.tied
                kernel.write_bias_grad = touched[(id(kernel.linear), "b")] == 1
                if kernel.write_weight_grad:
                    written.add((id(kernel.weight_owner), "W"))
                if kernel.write_bias_grad:
                    written.add((id(kernel.linear), "b"))
        self.to_zero = [gradients.of(layer, key) for _, layer, key in parameter_slots(model)
                        if (id(layer), key) not in written]

    def zero_unwritten_gradients(self) -> None:
        for grad in self.to_zero:
            grad.fill(0)


class AutoencoderPlan(_Plan):
    """L = loss(f_dec(f_enc(x̃)), x) + penalties, as ``Reconstruction`` writes it, on kernels; the dense
    kernels write their gradients into ``gradients`` (None: the model's g)."""

    def __init__(self, model: Autoencoder, objective: Reconstruction, gradients: Gradients | None = None) -> None:
        self.model, self.objective = model, objective
        self.encoder = kernels.compile_layer(model.encoder, not objective.contractive, gradients)
        self.decoder = kernels.compile_layer(model.decoder, gradients=gradients)
        last = self.decoder.last_activation() if isinstance(self.decoder, kernels.SequentialKernel) else None
        self.loss = (LossKernel(objective.loss, kernels.Buffers(), last) if LossKernel.known(objective.loss)
                     else None)
        super().__init__(model, [self.encoder, self.decoder], gradients)

    # The step by halves (``halves.py``): the whole batch's inputs, each half's step, the two joined.

    def whole_batch_inputs(self, x: Array) -> list[Array]:
        """[x̃, x]: the corruption drawn for the whole batch, as the reference draws it."""
        return [self.objective.corruption(x) if self.objective.corruption is not None else x, x]

    def data_step(self, inputs: list[Array], rows: int) -> list[Array]:
        """Forward and backward of the loss alone (no penalty) for part of a batch of ``rows`` rows, the
        gradients written into this plan's ``gradients``: [the sum of the part's loss terms]."""
        assert self.loss is not None                              # halves.possible: a loss the engine knows
        x_in, target = inputs
        self.zero_unwritten_gradients()
        out = self.decoder.forward(self.encoder.forward(x_in))
        total = self.loss.forward(out, target, rows)
        self.encoder.backward(self.decoder.backward(self.loss.backward(), dout_is_pre_activation=self.loss.fused))
        return [total]

    def join(self, first: list[Array], second: list[Array], x: Array) -> Array:
        """L from the halves' sums, g ← g + the weight decay's gradient (θ's alone: added once)."""
        objective = self.objective
        reconstruction = halves.reduced(first[0] + second[0], tuple(x.shape), objective.loss.reduction)
        penalty = 0.0
        if objective.weight_decay:
            penalty = penalty + objective.weight_penalty(self.model)
            objective.add_weight_gradient(self.model)
        objective.reconstruction, objective.penalty = reconstruction, penalty   # where its terms() reads them
        return reconstruction + penalty

    def forward(self, x: Array) -> Array:
        objective = self.objective
        x_in = objective.corruption(x) if objective.corruption is not None else x
        self.target = x
        code = self.encoder.forward(x_in)
        out = self.decoder.forward(code)
        penalty = 0.0
        if objective.l1:
            self.code = code
            penalty = objective.l1_penalty(code)
        if objective.weight_decay:
            penalty = penalty + objective.weight_penalty(self.model)
        if objective.contractive:
            penalty = penalty + objective.contractive * objective.jacobian.forward(self.model.encoder)
        reconstruction = (self.loss.forward(out, x) if self.loss is not None
                          else objective.loss.forward(out, x))
        objective.reconstruction, objective.penalty = reconstruction, penalty   # where its terms() reads them
        return reconstruction + penalty

    def backward(self) -> None:
        objective = self.objective
        if self.loss is not None:
            dz = self.decoder.backward(self.loss.backward(), dout_is_pre_activation=self.loss.fused)
        else:
            dz = self.decoder.backward(objective.loss.backward())
        if objective.l1:
            dz = dz + objective.l1_gradient(self.code)
        self.encoder.backward(dz)
        if objective.weight_decay:
            objective.add_weight_gradient(self.model)
        if objective.contractive:
            objective.jacobian.backward(objective.contractive)


class VAEPlan(_Plan):
    """L = −log p(x|z) + β_t KL(q(z|x) ‖ N(0, I)), as ``ELBO`` and ``VAE`` write it, on kernels."""

    def __init__(self, model: VAE, objective: ELBO, gradients: Gradients | None = None) -> None:
        self.model, self.objective = model, objective
        self.trunk = kernels.compile_layer(model.encoder, gradients=gradients)
        self.mu = kernels.DenseKernel(model.mu, gradients=gradients)
        self.logvar = kernels.DenseKernel(model.logvar, gradients=gradients)
        self.decoder = kernels.compile_layer(model.decoder, gradients=gradients)
        likelihood = getattr(model.likelihood, "loss", None)
        self.loss = (LossKernel(likelihood, kernels.Buffers())
                     if likelihood is not None and LossKernel.known(likelihood) else None)
        super().__init__(model, [self.trunk, self.mu, self.logvar, self.decoder], gradients)

    def forward(self, x: Array) -> Array:
        model, objective = self.model, self.objective
        mu, logvar, z = self._sample(x, objective.eps)                          # ε from the same generator
        out = self.decoder.forward(z)
        if self.loss is not None:
            self._check_data(x)
            reconstruction = self.loss.forward(out, x)
        else:
            reconstruction = model.likelihood.forward(out, x)
        kl = objective.kl_loss.forward(mu, logvar)
        objective.reconstruction, objective.kl = reconstruction, kl                # where its terms() reads them
        return reconstruction + objective.current_beta * kl

    def backward(self) -> None:
        model, objective = self.model, self.objective
        dout = self.loss.backward() if self.loss is not None else model.likelihood.backward()
        self._backward_through(dout, *objective.kl_loss.backward(objective.current_beta))

    def _check_data(self, x: Array) -> None:
        """The strict Bernoulli likelihood's check that x is binary, which the engine's loss kernel skips."""
        likelihood = self.model.likelihood
        if isinstance(likelihood, BernoulliLikelihood) and likelihood.strict:
            likelihood.check_binary(x)

    def _sample(self, x: Array, eps: Array | None) -> tuple[Array, Array, Array]:
        """(μ, log σ², z = μ + σ ⊙ ε): the trunk, the two heads, log σ² clamped (ε drawn where None)."""
        h = self.trunk.forward(x)
        raw, (low, high) = self.logvar.forward(h), LOGVAR_RANGE
        self.inside = (raw > low) & (raw < high)
        mu, logvar = self.mu.forward(h), backend.xp().clip(raw, low, high)
        z, self.eps, self.sigma = self.model.reparameterize(mu, logvar, eps)
        return mu, logvar, z

    def _backward_through(self, dout: Array, kl_dmu: Array, kl_dlogvar: Array) -> None:
        """g from dout = ∂L/∂(decoder output) and the KL's β-scaled (∂/∂μ, ∂/∂log σ²), back to the trunk."""
        dz = self.decoder.backward(dout)
        dlogvar = dz * self.eps * (0.5 * self.sigma)                     # ∂z/∂log σ² = ε ⊙ ½σ
        dmu, dlogvar = dz + kl_dmu, dlogvar + kl_dlogvar
        dlogvar = dlogvar * self.inside                                   # the clamp's derivative
        dh = self.mu.backward(dmu) + self.logvar.backward(dlogvar)  # type: ignore[operator]  # heads pass dx on
        self.trunk.backward(dh)

    # The step by halves (``halves.py``), the KL's formed here: ``GaussianKLLoss`` keeps its inputs on itself.

    def whole_batch_inputs(self, x: Array) -> list[Array]:
        """[x, ε]: the data checked and ε drawn for the whole batch, as the reference does."""
        self._check_data(x)
        model = self.model
        return [x, model.noise((len(x), model.latent_size), model.theta.dtype, self.objective.eps)]   # as it samples

    def data_step(self, inputs: list[Array], rows: int) -> list[Array]:
        """Forward and backward for part of a batch of ``rows`` rows: [Σ −log p(x|z) terms, Σ KL terms]."""
        assert self.loss is not None
        (x, eps), objective = inputs, self.objective
        self.zero_unwritten_gradients()
        mu, logvar, z = self._sample(x, eps)
        reconstruction = self.loss.forward(self.decoder.forward(z), x, rows)
        var = backend.xp().exp(logvar)
        kl = (-0.5 * (1 + logvar - mu * mu - var)).sum()                          # −½ Σ (1 + log σ² − μ² − σ²)
        scale = reduction_scale((rows, *mu.shape[1:]), objective.kl_loss.reduction) * objective.current_beta
        self._backward_through(self.loss.backward(), mu * scale, (var - 1) * (0.5 * scale))   # β ∂KL/∂μ, ∂/∂log σ²
        return [reconstruction, kl]

    def join(self, first: list[Array], second: list[Array], x: Array) -> Array:
        objective, loss = self.objective, self.loss
        assert loss is not None
        reconstruction = halves.reduced(first[0] + second[0], tuple(x.shape), loss.loss.reduction)
        kl = halves.reduced(first[1] + second[1], (len(x), self.model.latent_size), objective.kl_loss.reduction)
        objective.reconstruction, objective.kl = reconstruction, kl
        return reconstruction + objective.current_beta * kl


class ObjectivePlan(_Plan):
    """A model or objective without a plan: the objective's own forward and backward."""

    def __init__(self, model: Model, objective: Objective) -> None:
        self.model, self.objective = model, objective
        super().__init__(model, [])

    def forward(self, x: Array) -> Array:
        return self.objective.forward(self.model, x)

    def backward(self) -> None:
        self.objective.backward(self.model)


def _dense_kernels(part: Kernel) -> list[kernels.DenseKernel | convolutions.Conv2dKernel
                                         | convolutions.ConvTranspose2dKernel]:
    """The kernels that can write their weights' gradients outright: dense layers and convolutions."""
    writers = (kernels.DenseKernel, convolutions.Conv2dKernel, convolutions.ConvTranspose2dKernel)
    return [leaf for leaf in kernels.leaves(part) if isinstance(leaf, writers)]

