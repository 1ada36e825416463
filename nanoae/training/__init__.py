"""Training: the loop, what it minimises, checkpoints and progress.

    fit.py          fit(model, train, test, ...) -> History; evaluate; DivergedError
    objectives.py   Reconstruction(loss, corruption, l1, weight_decay, contractive), ELBO(...)
    contractive.py  ContractivePenalty: ‖J_f(x)‖²_F and its gradient by hand
    checkpoint.py   save / load / restore a run exactly (checksummed, pickle-free)
    progress.py     the progress bar
"""
from nanoae.training.checkpoint import Checkpoint, CheckpointError, load_checkpoint, restore, save_checkpoint
from nanoae.training.fit import DivergedError, History, evaluate, fit
from nanoae.training.objectives import ELBO, Reconstruction

__all__ = ["fit", "History", "evaluate", "DivergedError", "Reconstruction", "ELBO", "Checkpoint", "CheckpointError",
           "save_checkpoint", "load_checkpoint", "restore"]
