"""Command line: ``python -m nanoae <command>``.

Commands
--------
demo      train the lecture's autoencoder on the shipped digits, print the walk, write the figures
vae-demo  train the lecture's 2-D variational autoencoder: −ELBO, log p(x), samples, manifold
train     either model with every option (--model ae|vae, sizes, epochs, batch, lr, loss, seed, ...)
denoise   train a denoising autoencoder; PSNR against a plain one at several noise levels
reduce    the autoencoder against PCA at code sizes 2 and 30: error, 5-NN accuracy, trustworthiness
anomaly   one-class anomaly detection by reconstruction error: AUROC per digit
walk      print the lecture's walk for a test digit through a trained model (a run folder)
smoke     train a tiny autoencoder on synthetic data and gradient-check it (seconds)

Inside: ``parser.py`` (the options, one builder per command), ``commands.py``
(what each command does), ``reports.py`` (what they print).
"""
from __future__ import annotations

import logging
import sys

from nanoae import backend
from nanoae.cli.parser import build_parser
from nanoae.data import DataError
from nanoae.models import ModelFileError
from nanoae.plots import PlotsUnavailable
from nanoae.training import CheckpointError, DivergedError

EXPECTED_ERRORS = (ValueError, TypeError, backend.BackendError, DivergedError, DataError, ModelFileError,
                   PlotsUnavailable, CheckpointError)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser(__doc__).parse_args(argv)
    try:
        return args.handler(args)
    except EXPECTED_ERRORS as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was written for this run", file=sys.stderr)
        return 130
