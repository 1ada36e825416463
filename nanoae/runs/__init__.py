"""Runs: a model trained from a configuration, its results written to a run folder.

    base.py          what every run shares: the run folder, the common settings, the set-up before training
    autoencoder.py   TrainConfig, run_training: the recipe behind ``demo`` and ``train``
    vae.py           VAEConfig, run_vae_training: the recipe behind ``vae-demo`` and ``train --model vae``

The applications (``nanoae/apps/``) start from ``base.py`` too.
"""
from nanoae.runs.autoencoder import TrainConfig, run_training
from nanoae.runs.base import check_run_folder, run_folder, start
from nanoae.runs.vae import VAEConfig, run_vae_training

__all__ = ["TrainConfig", "run_training", "VAEConfig", "run_vae_training", "run_folder", "start", "check_run_folder"]
