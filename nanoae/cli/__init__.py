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
export-web  write the latent explorer page for a 2-D run
smoke     train a tiny autoencoder on synthetic data and gradient-check it (seconds)
info      versions, the backend and the GPU this machine offers nanoae

Every failure ends as one line, ``error: …``, naming the file or the option and what to do (exit
status 2; 1 for a bug in nanoae, 130 interrupted); ``--debug``, before or after the command, prints
the traceback too.

Inside: ``parser.py`` (the options, one builder per command), ``commands.py``
(what each command does), ``smoke.py`` (the smoke run), ``reports.py`` (what they
print), ``info.py`` (the ``info`` report).
"""
from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from nanoae import backend
from nanoae.cli.parser import build_parser
from nanoae.runs.base import contents
from nanoae.data import DataError
from nanoae.files import is_temporary, temporary_target
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
DEBUG_HINT = "rerun with --debug for the traceback"


def command_parser() -> argparse.ArgumentParser:
    """The parser ``main`` reads the command line with; the site's command line reference prints its help."""
    return build_parser(__doc__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure ends as one ``error: …`` line on stderr (the traceback with --debug).

    Exit status: 0 done, 2 an expected failure (bad input, a damaged file, a full disk, …), 1 a bug in nanoae,
    130 interrupted, 141 a closed pipe."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = command_parser().parse_args(argv)
    debug = vars(args).pop("debug", False)                 # not a command's option: the handlers never see it
    if getattr(args, "engine", None) and not getattr(args, "quiet", False):
        print(ENGINE_LINE[args.engine], flush=True)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"interrupted; {what_was_written(getattr(args, 'out', None))}", file=sys.stderr)
        return 130
    except BrokenPipeError:                          # e.g. `python -m nanoae demo | head`: the reader has gone
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())        # so that the interpreter's last flush is quiet too
        return 141
    except Exception as err:                         # noqa: BLE001 — each kind gets its sentence below
        if debug:
            traceback.print_exc()
        message, status = failure(err, getattr(args, "out", None))
        print(f"error: {message}" + ("" if debug or status == 2 else f"; {DEBUG_HINT}"), file=sys.stderr)
        return status


def failure(err: Exception, out: str | Path | None) -> tuple[str, int]:
    """The one-line sentence for a failure, and the exit status: 2 if it was expected, 1 for a bug."""
    if isinstance(err, EXPECTED_ERRORS):
        return _one_line(err), 2
    if isinstance(err, OSError):
        return _os_error(err, out), 2
    if isinstance(err, MemoryError):
        return ("out of memory; try a smaller --batch-size or smaller --sizes"
                + (f" ({_one_line(err)})" if str(err) else "")), 2
    if isinstance(err, RecursionError):
        return f"something nested too deeply to handle ({_one_line(err)}); is an input file damaged?", 2
    if isinstance(err, OverflowError):
        return f"a number too large to handle ({_one_line(err)}); is an input file damaged?", 2
    return f"unexpected {type(err).__name__}: {_one_line(err)} — a bug in nanoae, please report it", 1


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


OS_ADVICE: dict[int | None, str] = {                  # an OSError's errno may be None
    errno.ENOSPC: "the disk is full; free some space",
    errno.EDQUOT: "the disk quota is used up; free some space",
    errno.ENAMETOOLONG: "a name in that path is longer than the file system allows; choose a shorter one",
    errno.EROFS: "the file system is read-only; choose a folder you can write to",
    errno.EACCES: "permission denied; choose a folder you can write to, or check the file's permissions",
    errno.EPERM: "operation not permitted; choose a folder you can write to, or check the file's permissions",
}


def _os_error(err: OSError, out: str | Path | None) -> str:
    """``<file>: <what went wrong>; <what to do>`` and, for a run already under way, what its folder holds."""
    reason = OS_ADVICE.get(err.errno, err.strerror or _one_line(err))
    where = err.filename if err.filename is not None else out      # a failed write names no file: the run's
    if where is not None and is_temporary(where):                  # atomic_write's temporary: name its target
        where = temporary_target(where)
    message = f"{where}: {reason}" if where is not None else reason
    if out is not None and err.errno != errno.ENAMETOOLONG:
        message += f"; {what_was_written(out)}"
    return message


def what_was_written(out: str | Path | None) -> str:
    """The truth about an interrupted run's folder, and how to go on."""
    try:
        if out is None or not Path(out).is_dir() or not contents(Path(out)):
            return "nothing was written for this run"
    except OSError:                                  # the folder cannot even be looked at (too long a name, …)
        return "nothing was written for this run"
    files = contents(Path(out))
    if "pretrain.json" in files:
        return (f"{out} holds {', '.join(files)}; carry on with: python -m nanoae pretrain --resume {out}")
    if "checkpoint.npz" in files:
        return (f"{out} holds {', '.join(files)}; carry on (or finish) with: "
                f"python -m nanoae train --resume {out}")
    return (f"{out} holds {', '.join(files)} but no checkpoint to resume from; "
            "remove the folder or choose another --out to start again")
