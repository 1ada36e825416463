"""Command line: ``python -m nanoae <command>``.

Commands
--------
demo      train the lecture's autoencoder on the shipped digits, print the walk, write the figures
vae-demo  train the lecture's 2-D variational autoencoder: −ELBO, log p(x), samples, manifold
train     either model with every option (--model ae|vae, sizes, epochs, batch, lr, loss, seed, ...)
denoise   train a denoising autoencoder; PSNR against a plain one at several noise levels
reduce    the autoencoder against PCA at code sizes 2 and 30: error, 5-NN accuracy, trustworthiness
anomaly   one-class anomaly detection by reconstruction error: AUROC per digit
pretrain  Hinton & Salakhutdinov 2006: RBM pretraining against random weights, ReLU+Adam and PCA
walk      print the lecture's walk for a test digit through a trained model (a run folder)
smoke     train a tiny autoencoder on synthetic data and gradient-check it (seconds)
info      versions, the backend and the GPU this machine offers nanoae

Inside: ``parser.py`` (the options, one builder per command), ``commands.py``
(what each command does), ``reports.py`` (what they print), ``info.py`` (the
``info`` report).
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from nanoae import backend
from nanoae.cli.parser import build_parser
from nanoae.runs.base import contents
from nanoae.data import DataError
from nanoae.models import ModelFileError
from nanoae.plots import PlotsUnavailable
from nanoae.training import CheckpointError, DivergedError

ENGINE_LINE = {
    "fast": "engine: fast — the compiled training step of nanoae/fast/ (--engine reference steps through the "
            "layers' own code)",
    "reference": "engine: reference — the layers' own forward and backward, as the lecture writes them "
                 "(--engine fast for speed)",
}
EXPECTED_ERRORS = (ValueError, TypeError, backend.BackendError, DivergedError, DataError, ModelFileError,
                   PlotsUnavailable, CheckpointError)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser(__doc__).parse_args(argv)
    if getattr(args, "engine", None) and not getattr(args, "quiet", False):
        print(ENGINE_LINE[args.engine], flush=True)
    try:
        return args.handler(args)
    except EXPECTED_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted; {what_was_written(getattr(args, 'out', None))}", file=sys.stderr)
        return 130
    except BrokenPipeError:                          # e.g. `python -m nanoae demo | head`: the reader has gone
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())        # so that the interpreter's last flush is quiet too
        return 141


def what_was_written(out) -> str:
    """The truth about an interrupted run's folder, and how to go on."""
    if out is None or not Path(out).is_dir() or not contents(Path(out)):
        return "nothing was written for this run"
    files = contents(Path(out))
    if "pretrain.json" in files:
        return (f"{out} holds {', '.join(files)}; carry on with: python -m nanoae pretrain --resume {out}")
    if "checkpoint.npz" in files:
        return (f"{out} holds {', '.join(files)}; carry on (or finish) with: "
                f"python -m nanoae train --resume {out}")
    return (f"{out} holds {', '.join(files)} but no checkpoint to resume from; "
            "remove the folder or choose another --out to start again")
