"""Optimizers that update the layers' parameters in place."""
from nanoae.optim.adam import Adam, AdamW
from nanoae.optim.base import Optimizer
from nanoae.optim.clip import clip_grad_norm, global_grad_norm
from nanoae.optim.schedules import CosineDecay, StepDecay
from nanoae.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "clip_grad_norm", "global_grad_norm", "StepDecay", "CosineDecay"]
