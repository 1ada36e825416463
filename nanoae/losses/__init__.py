"""Losses with explicit forward and backward: MSE, BCE, BCE-with-logits, Gaussian KL."""
from typing import Any

from nanoae.losses.base import REDUCTIONS, Loss
from nanoae.losses.bce import BCELoss, BCEWithLogitsLoss
from nanoae.losses.kl import GaussianKLLoss
from nanoae.losses.mse import MSELoss

LOSSES = {"mse": MSELoss, "bce": BCELoss, "bce_logits": BCEWithLogitsLoss}


def get_loss(name: str, **kwargs: Any) -> Loss:
    """A loss by name: 'mse', 'bce' or 'bce_logits'."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[name](**kwargs)


__all__ = ["Loss", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "GaussianKLLoss", "REDUCTIONS", "LOSSES", "get_loss"]
