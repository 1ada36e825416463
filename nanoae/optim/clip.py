"""Global-norm gradient clipping (Pascanu et al., 2013).

    ‖g‖ = sqrt(Σ_θ Σ g_θ²);  if ‖g‖ > c:  g ← g · c / ‖g‖

Done with device arithmetic only (no host round trip): every gradient is
scaled by min(1, c / (‖g‖ + 1e-6)).
"""
from __future__ import annotations

from nanoae import backend
from nanoae.backend import Array


def global_grad_norm(grads: list[Array]) -> Array:
    """‖g‖₂ over every gradient together, as if they were one vector."""
    xp = backend.xp()
    return xp.sqrt(sum((g * g).sum() for g in grads))


def clip_grad_norm(grads: list[Array], max_norm: float) -> Array:
    """Scale ``grads`` in place so their global norm is at most ``max_norm``; returns the norm before."""
    grads = list(grads)
    norm = global_grad_norm(grads)
    scale = backend.xp().minimum(1.0, max_norm / (norm + 1e-6))
    for g in grads:
        g *= scale.astype(g.dtype)
    return norm
