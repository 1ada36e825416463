"""The bridge to PyTorch: a nanoae model as an equivalent ``torch.nn.Module``, and its weights back.

    from nanoae.interop.pytorch import to_torch, from_torch
    module = to_torch(model)          # same architecture, same weights (copied), same dtype
    ...                               # train on, e.g. with torch.nn.parallel.DistributedDataParallel
    model = from_torch(module)        # a nanoae model holding the module's weights

Users who outgrow one machine move to PyTorch and its distributed training;
this is the way across.  Layers map one to one (``Linear`` → ``nn.Linear``,
``Conv2d`` → ``nn.Conv2d``, ``ConvTranspose2d`` → ``nn.ConvTranspose2d`` —
nanoae stores W in PyTorch's layouts — activations, ``Flatten``,
``Unflatten``, ``MaxPool2d``), and so do the names: nanoae's ``encoder.0.W``
is the module's ``encoder.0.weight``, ``b`` is ``bias``, and a learned
Gaussian variance is ``likelihood.logvar`` in both.  A tied decoder layer uses
the encoder's ``nn.Linear`` weight transposed, as nanoae's does.

The VAE's module has ``encode(x) -> (μ, log σ²)`` (log σ² clamped to
[−30, 20] as in nanoae), ``forward(x, eps=None)`` (the decoder's output for
z = μ + σ ε), ``decode(z)`` and ``likelihood_kind``; the objective is the
user's (the tests write the −ELBO out in PyTorch).

PyTorch is optional: ``pip install torch`` (the CPU build is enough).
"""
from __future__ import annotations

import numpy as np

try:
    import torch
    from torch import nn
except ImportError:                                   # pragma: no cover - exercised where torch is missing
    raise ImportError("nanoae.interop.pytorch needs PyTorch: pip install torch (the CPU build is enough)") from None

from nanoae import backend
from nanoae.layers import (Conv2d, ConvTranspose2d, Flatten, Identity, Layer, LeakyReLU, Linear, MaxPool2d, ReLU,
                           Sequential, Sigmoid, Tanh, TiedLinear, Unflatten)
from nanoae.models import VAE, Autoencoder, from_config
from nanoae.models.vae import LOGVAR_RANGE


class TorchTiedLinear(nn.Module):
    """y = h Wᵀ-of-the-source + c: the source nn.Linear's weight, transposed; only the bias is its own."""

    def __init__(self, source: nn.Linear, dtype: torch.dtype) -> None:
        super().__init__()
        self.source = (source,)                            # a tuple: not registered, so W is not listed twice
        self.bias = nn.Parameter(torch.zeros(source.in_features, dtype=dtype))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.source[0].weight + self.bias


class TorchAutoencoder(nn.Module):
    """A PyTorch autoencoder: x̂ = f_dec(f_enc(x))."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class TorchGaussianVariance(nn.Module):
    """The learned log σ² of a Gaussian decoder likelihood, one scalar, as nanoae's ``likelihood.logvar``."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.logvar = nn.Parameter(torch.zeros(1, dtype=dtype))


class TorchVAE(nn.Module):
    """A PyTorch VAE: (μ, log σ²) = encode(x), z = μ + σ ⊙ ε, decoder(z)."""

    def __init__(self, encoder: nn.Module, mu: nn.Module, logvar: nn.Module, decoder: nn.Module,
                 likelihood: nn.Module | None, likelihood_kind: str) -> None:
        super().__init__()
        self.encoder, self.mu, self.logvar, self.decoder = encoder, mu, logvar, decoder
        if likelihood is not None:
            self.likelihood = likelihood
        self.likelihood_kind = likelihood_kind              # "bernoulli" (logits out) or "gaussian" (mean out)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.mu(h), self.logvar(h).clamp(*LOGVAR_RANGE)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
        mu, logvar = self.encode(x)
        eps = torch.randn_like(mu) if eps is None else eps
        return self.decoder(mu + torch.exp(0.5 * logvar) * eps)


TORCH_KEYS = {"W": "weight", "b": "bias"}


def torch_name(name: str) -> str:
    """nanoae's parameter name → the module's: ``encoder.0.W`` → ``encoder.0.weight``, ``…b`` → ``…bias``."""
    path, _, key = name.rpartition(".")
    return f"{path}.{TORCH_KEYS.get(key, key)}"


def _torch_layer(layer: Layer, dtype: torch.dtype, linears: dict) -> nn.Module:
    """The PyTorch module for one nanoae layer; ``linears`` maps built Linear layers (for tied ones)."""
    if isinstance(layer, Sequential):
        return nn.Sequential(*(_torch_layer(child, dtype, linears) for child in layer.layers))
    if isinstance(layer, Linear):
        module = nn.Linear(layer.in_features, layer.out_features, dtype=dtype)
        linears[id(layer)] = module
        return module
    if isinstance(layer, TiedLinear):
        return TorchTiedLinear(linears[id(layer.source)], dtype)
    if isinstance(layer, Conv2d):
        return nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                         dtype=dtype)
    if isinstance(layer, ConvTranspose2d):
        return nn.ConvTranspose2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                                  layer.padding, layer.output_padding, dtype=dtype)
    if isinstance(layer, MaxPool2d):
        return nn.MaxPool2d(layer.kernel_size, layer.stride)
    if isinstance(layer, Flatten):
        return nn.Flatten()
    if isinstance(layer, Unflatten):
        return nn.Unflatten(1, layer.shape)
    if isinstance(layer, LeakyReLU):
        return nn.LeakyReLU(layer.slope)
    for ours, theirs in ((ReLU, nn.ReLU), (Sigmoid, nn.Sigmoid), (Tanh, nn.Tanh), (Identity, nn.Identity)):
        if isinstance(layer, ours):
            return theirs()
    raise TypeError(f"to_torch: no PyTorch counterpart for {layer!r}")


def to_torch(model: Autoencoder | VAE) -> nn.Module:
    """An equivalent ``torch.nn.Module`` holding a copy of ``model``'s weights (on the CPU, in its dtype)."""
    params = model.named_parameters()
    dtype = {np.dtype("float32"): torch.float32, np.dtype("float64"): torch.float64}[
        np.dtype(next(iter(params.values())).dtype)]
    linears: dict = {}
    module: nn.Module
    if isinstance(model, VAE):
        encoder = _torch_layer(model.encoder, dtype, linears)
        mu, logvar = _torch_layer(model.mu, dtype, linears), _torch_layer(model.logvar, dtype, linears)
        decoder = _torch_layer(model.decoder, dtype, linears)
        learned = "likelihood.logvar" in params
        module = TorchVAE(encoder, mu, logvar, decoder, TorchGaussianVariance(dtype) if learned else None,
                          model.config.get("likelihood", "bernoulli"))
    elif isinstance(model, Autoencoder):
        module = TorchAutoencoder(_torch_layer(model.encoder, dtype, linears),
                                  _torch_layer(model.decoder, dtype, linears))
    else:
        raise TypeError(f"to_torch takes a nanoae Autoencoder or VAE, got {type(model).__name__}")
    state = module.state_dict()
    if set(state) != {torch_name(name) for name in params}:
        raise RuntimeError(f"to_torch: the module's parameters {sorted(state)} do not match the model's")
    with torch.no_grad():
        for name, value in params.items():
            state[torch_name(name)].copy_(torch.from_numpy(np.ascontiguousarray(backend.to_numpy(value))))
    module.nanoae_config = dict(model.config)  # type: ignore[assignment]  # what from_torch rebuilds the model from
    return module


def from_torch(module: nn.Module, model: Autoencoder | VAE | None = None) -> Autoencoder | VAE:
    """``module``'s weights in a nanoae model: ``model`` (changed in place), or one rebuilt from the
    configuration ``to_torch`` left on the module.  Names and shapes must match; values must be finite."""
    if model is None:
        config = getattr(module, "nanoae_config", None)
        if config is None:
            raise ValueError("from_torch: this module was not made by to_torch; pass the nanoae model to fill")
        model = from_config(config)
    state = {name: tensor.detach().cpu().numpy() for name, tensor in module.state_dict().items()}
    params = model.named_parameters()
    expected = {torch_name(name): name for name in params}
    if set(state) != set(expected):
        missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        raise ValueError(f"from_torch: the module does not fit the model (missing {missing}, unexpected {extra})")
    for key, value in state.items():
        target = params[expected[key]]
        if value.shape != tuple(target.shape):
            raise ValueError(f"from_torch: {key} has shape {value.shape}, the model's {expected[key]} "
                             f"{tuple(target.shape)}")
        if not np.isfinite(value).all():
            raise ValueError(f"from_torch: {key} holds NaN or infinite values")
    for key, value in state.items():
        params[expected[key]][...] = backend.asarray(value)
    return model
