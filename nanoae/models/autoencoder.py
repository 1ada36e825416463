"""The autoencoder: x → z = f_enc(x) → x̂ = f_dec(z).

``Autoencoder(encoder, decoder)`` is itself a Layer: ``forward`` reconstructs,
``backward`` runs the decoder's backward then the encoder's, and the
parameters are named ``encoder.…`` and ``decoder.…`` (e.g. ``encoder.0.W``
is the lecture's W1).
"""
from __future__ import annotations

from nanoae.layers.base import Layer


class Autoencoder(Layer):
    def __init__(self, encoder: Layer, decoder: Layer, config: dict | None = None):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.config = dict(config or {})          # how the model was built, for saving and rebuilding

    def children(self) -> dict:
        return {"encoder": self.encoder, "decoder": self.decoder}

    def encode(self, x):
        """z = f_enc(x)                                   # (B, code size)"""
        return self.encoder.forward(x)

    def decode(self, z):
        """x̂ = f_dec(z)                                  # (B, features)"""
        return self.decoder.forward(z)

    def forward(self, x):
        """x̂ = f_dec(f_enc(x)), keeping both caches for backward."""
        self.cache = True
        return self.decode(self.encode(x))

    reconstruct = forward

    def backward(self, dout, input_grad=True):
        """dout = ∂L/∂x̂ → ∂L/∂x, filling every parameter's gradient (None with input_grad=False,
        which skips the first layer's product for ∂L/∂x: see Sequential)."""
        self._cached()
        return self.encoder.backward(self.decoder.backward(dout), input_grad)

    def __repr__(self):
        return f"Autoencoder(encoder={self.encoder!r}, decoder={self.decoder!r})"
