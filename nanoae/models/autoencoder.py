"""The autoencoder: x → z = f_enc(x) → x̂ = f_dec(z).

``Autoencoder(encoder, decoder)`` is itself a Layer: ``forward`` reconstructs,
``backward`` runs the decoder's backward then the encoder's, and the
parameters are named ``encoder.…`` and ``decoder.…`` (e.g. ``encoder.0.W``
is the lecture's W1).  What it shares with the VAE (owning its parameters'
memory, treating its input as data) is in ``base.py``.
"""
from __future__ import annotations

from nanoae.backend import Array
from nanoae.layers.base import Layer
from nanoae.models.base import Model


class Autoencoder(Model):
    """x̂ = f_dec(f_enc(x)): an encoder and a decoder, with one flat θ."""

    def __init__(self, encoder: Layer, decoder: Layer, config: dict | None = None) -> None:
        self.encoder, self.decoder = encoder, decoder
        super().__init__(config)

    def children(self) -> dict:
        return {"encoder": self.encoder, "decoder": self.decoder}

    def encode(self, x: Array) -> Array:
        """z = f_enc(x)                                   # (B, code size)"""
        return self.encoder.forward(x)

    def decode(self, z: Array) -> Array:
        """x̂ = f_dec(z)                                  # (B, features)"""
        return self.decoder.forward(z)

    def forward(self, x: Array) -> Array:
        """x̂ = f_dec(f_enc(x)), keeping both caches for backward."""
        self.cache = True
        return self.decode(self.encode(x))

    reconstruct = forward

    def backward(self, dout: Array) -> Array | None:
        """dout = ∂L/∂x̂ → ∂L/∂x (None while ``input_grad`` is off), filling every parameter's gradient."""
        self._cached()
        return self.encoder.backward(self.decoder.backward(dout))

    def __repr__(self) -> str:
        return f"Autoencoder(encoder={self.encoder!r}, decoder={self.decoder!r})"
