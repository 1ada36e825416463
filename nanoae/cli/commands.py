"""The commands: each reads its parsed options, runs, prints a report, and returns an exit status."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from nanoae import backend
from nanoae.apps import run_anomaly, run_denoising, run_reduction
from nanoae.cli.info import report as info_report
from nanoae.cli.reports import report_anomaly, report_autoencoder, report_denoising, report_reduction, report_vae
from nanoae.data import load_dataset
from nanoae.evaluation import walk
from nanoae.evaluation.walk_back import walk_back
from nanoae.models import VAE, load_model
from nanoae.plots import matplotlib_available
from nanoae.runs import TrainConfig, VAEConfig, run_training, run_vae_training
from nanoae.runs.hinton2006 import ARMS, CONFIG_FILE, PretrainConfig, markdown, read_config, run_pretraining
from nanoae.schema import METRICS, read_json
from nanoae.training import CheckpointError, load_checkpoint

AE_ONLY = ("output", "tied", "loss", "walk_index", "l1", "weight_decay", "contractive", "arch", "channels")
VAE_ONLY = ("beta", "warmup_epochs", "likelihood", "variance", "iw_samples")
SHARED = ("sizes", "hidden", "epochs", "batch_size", "lr", "seed", "backend", "dtype", "dataset", "data_dir",
          "download", "checkpoint_every", "engine")
RESUME_OPTIONS = ("epochs", "backend", "data_dir", "engine")     # what --resume lets one change


def default_out(command: str) -> Path:
    """The default run folder of a command: ``runs/<command>-<date>-<time>``."""
    return Path("runs") / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"


def data_options(args: argparse.Namespace) -> dict:
    """The data set options given on the command line, as keyword arguments."""
    return {"dataset": args.dataset, "data_dir": args.data_dir, "download": args.download}


def say(args: argparse.Namespace, text: str) -> None:
    """A line of commentary, unless --quiet."""
    if not args.quiet:
        print(text, flush=True)


def wants_figures(args: argparse.Namespace) -> bool:
    """Figures unless --no-figures; without matplotlib the run goes on without them, and says so."""
    if args.no_figures:
        return False
    if not matplotlib_available():
        print("note: matplotlib is not installed, so this run draws no figures "
              "(pip install 'nanoae[plot]' for them; --no-figures to silence this)", file=sys.stderr)
        return False
    return True


def demo(args: argparse.Namespace) -> int:
    """``demo``: train the lecture's autoencoder 784-128-64-2-64-128-784 and report against PCA."""
    args.out = args.out or default_out("demo")
    config = TrainConfig(seed=args.seed, backend=args.backend, epochs=args.epochs, engine=args.engine,
                         **data_options(args))
    say(args, f"Training the lecture's autoencoder 784-128-64-2-64-128-784 on {args.dataset} "
              f"({config.epochs} epochs, Adam lr {config.lr}, batch {config.batch_size}, {config.loss.upper()} loss).")
    report_autoencoder(run_training(config, args.out, figures=wants_figures(args), progress=not args.quiet),
                       show_walk=not args.quiet)
    return 0


def vae_demo(args: argparse.Namespace) -> int:
    """``vae-demo``: train the lecture's 2-D variational autoencoder and report its −ELBO and log p(x)."""
    args.out = args.out or default_out("vae-demo")
    config = VAEConfig(seed=args.seed, backend=args.backend, engine=args.engine, **data_options(args),
                       **({"epochs": args.epochs} if args.epochs is not None else {}))
    say(args, f"Training the lecture's 2-D variational autoencoder (trunk 784-128-64, μ and log σ² heads of size 2, "
              f"decoder 2-64-128-784, Bernoulli likelihood) on {args.dataset} ({config.epochs} epochs, "
              f"Adam lr {config.lr}, batch {config.batch_size}).")
    report_vae(run_vae_training(config, args.out, figures=wants_figures(args), progress=not args.quiet))
    return 0


def _config(args: argparse.Namespace, config_class: type, own: tuple, foreign: tuple) -> Any:
    """The model's config: its defaults, overridden by the options given; the other model's options refused."""
    given = [name for name in foreign if getattr(args, name) not in (None, False)]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"{flags} cannot be used with --model {args.model}")
    options = {name: getattr(args, name) for name in SHARED + own if getattr(args, name) is not None}
    return config_class(**options)


def train(args: argparse.Namespace) -> int:
    """``train``: an autoencoder or a VAE from the options given (or ``--resume`` a run)."""
    if args.resume:
        return resume(args)
    args.out = args.out or default_out("train")
    if args.model == "vae":
        config = _config(args, VAEConfig, VAE_ONLY, AE_ONLY)
        report_vae(run_vae_training(config, args.out, figures=wants_figures(args), progress=not args.quiet))
    else:
        config = _config(args, TrainConfig, AE_ONLY, VAE_ONLY)
        report_autoencoder(run_training(config, args.out, figures=wants_figures(args), progress=not args.quiet),
                           show_walk=not args.quiet)
    return 0


def resume(args: argparse.Namespace) -> int:
    """Carry on a run from its checkpoint, with its saved configuration; or finish one whose training
    ended but whose results were never written."""
    given_path = Path(args.resume)
    run = resumed_in_place(args, given_path if given_path.is_dir() else given_path.parent)
    saved = load_checkpoint(run / "checkpoint.npz" if given_path.is_dir() else given_path)
    allowed = {"resume", "handler", "command", "no_figures", "quiet", "download", "defaults", "out",
               *RESUME_OPTIONS}
    given = [name for name, value in vars(args).items()
             if name not in allowed and value not in (None, False) and value != args.defaults[name]]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"with --resume the run's saved configuration is used; {flags} cannot be given "
                         "(only --epochs, --backend, --data-dir, --engine)")
    options = dict(saved.meta["config"])
    kind = options.pop("model", None)
    if kind not in ("ae", "vae"):
        raise CheckpointError(f"{saved.path}: the saved configuration names no model ('ae' or 'vae'); "
                              "it was not written by a run of the command line")
    for name in RESUME_OPTIONS:
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    try:
        config: VAEConfig | TrainConfig = (VAEConfig if kind == "vae" else TrainConfig)(**options)
    except TypeError as err:
        raise CheckpointError(f"{saved.path}: the saved configuration does not fit this nanoae ({err})") from None
    if config.epochs < saved.epoch:
        raise ValueError(f"the checkpoint is at epoch {saved.epoch}; --epochs must be at least that")
    if config.epochs == saved.epoch:
        if (run / "metrics.json").is_file():
            raise ValueError(f"nothing to resume: the run is complete (epoch {saved.epoch} of {config.epochs}, "
                             f"its results are in {run}); pass a larger --epochs to train further")
        say(args, f"Finishing {run}: training ended at epoch {saved.epoch}; writing its results.")
    else:
        say(args, f"Resuming {run} at epoch {saved.epoch + 1} of {config.epochs}.")
    if isinstance(config, VAEConfig):
        report_vae(run_vae_training(config, run, figures=wants_figures(args), progress=not args.quiet, resume=saved))
    else:
        report_autoencoder(run_training(config, run, figures=wants_figures(args), progress=not args.quiet,
                                        resume=saved), show_walk=not args.quiet)
    return 0


def denoise(args: argparse.Namespace) -> int:
    """``denoise``: a denoising autoencoder against a plain one."""
    args.out = args.out or default_out("denoise")
    say(args, f"Training a denoising autoencoder (784-512-128, {args.corruption} corruption) and a plain one.")
    metrics = run_denoising(args.out, args.corruption, args.train_level, args.levels, epochs=args.epochs,
                            seed=args.seed, backend_name=args.backend, figures=wants_figures(args),
                            progress=not args.quiet, engine=args.engine, **data_options(args))
    report_denoising(metrics, args.out)
    return 0


def reduce(args: argparse.Namespace) -> int:
    """``reduce``: autoencoders against PCA for dimensionality reduction."""
    args.out = args.out or default_out("reduce")
    say(args, f"Training 784-{'-'.join(map(str, args.hidden))}-code autoencoders for code sizes "
              f"{', '.join(map(str, args.code_sizes))}, and PCA.")
    metrics = run_reduction(args.out, args.code_sizes, args.hidden, epochs=args.epochs, seed=args.seed,
                            backend_name=args.backend, figures=wants_figures(args), progress=not args.quiet,
                            engine=args.engine, **data_options(args))
    report_reduction(metrics, args.out)
    return 0


def anomaly(args: argparse.Namespace) -> int:
    """``anomaly``: one-class anomaly detection by reconstruction error."""
    args.out = args.out or default_out("anomaly")
    say(args, f"One-class anomaly detection: an autoencoder per normal digit {args.classes}.")
    metrics = run_anomaly(args.out, args.classes, args.quantile, epochs=args.epochs, seed=args.seed,
                          show_class=args.show_class if args.show_class is not None else args.classes[0],
                          backend_name=args.backend, figures=wants_figures(args), engine=args.engine,
                          progress=not args.quiet, **data_options(args))
    report_anomaly(metrics, args.out, args.quantile)
    return 0


PRETRAIN_OPTIONS = ("sizes", "rbm_epochs", "epochs", "batch_size", "lr", "arms", "seed", "backend", "dataset",
                    "data_dir", "download", "engine")


def resumed_in_place(args: argparse.Namespace, run: Path) -> Path:
    """A resumed run writes into its own folder and nowhere else: an --out naming another folder is refused."""
    if args.out is not None and Path(args.out).resolve() != run.resolve():
        raise ValueError(f"--resume carries on {run} in its own folder, so --out {args.out} cannot be given; "
                         f"to keep {run} as it is, copy it to {args.out} and resume the copy")
    args.out = run
    return run


def pretrain_command(args: argparse.Namespace) -> int:
    """``pretrain``: Hinton & Salakhutdinov (2006) side by side (or ``--resume`` such a run)."""
    if args.resume:
        run = resumed_in_place(args, Path(args.resume))
        config = read_config(run)
        given = [name for name in PRETRAIN_OPTIONS if name not in ("epochs", "backend", "data_dir",
                 "download", "engine") and getattr(args, name) != args.defaults[name]]
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise ValueError(f"with --resume the run's saved configuration is used; {flags} cannot be given "
                             "(only --epochs, to fine-tune further, --backend, --data-dir, --download)")
        if args.epochs is not None and args.epochs < config.epochs:
            raise ValueError(f"the run fine-tunes for {config.epochs} epochs; --epochs can only raise that")
        further = args.epochs is not None and args.epochs > config.epochs
        if (run / "results.json").is_file() and not further:
            raise ValueError(f"nothing to resume: the run is complete (its results are in {run}); "
                             "pass a larger --epochs to fine-tune every arm further")
        config.epochs = args.epochs if further else config.epochs
        config.backend, config.engine = args.backend, args.engine
        config.data_dir, config.download = args.data_dir or config.data_dir, args.download or config.download
        say(args, f"Fine-tuning every arm of {run} further, to {config.epochs} epochs, from its last checkpoint."
                  if further else
                  f"Carrying on {run}: finished parts are read back, the unfinished one resumes from its checkpoint.")
    else:
        args.out = args.out or default_out("pretrain")
        options = {name: getattr(args, name) for name in PRETRAIN_OPTIONS if getattr(args, name) is not None}
        config = PretrainConfig(**options)
        say(args, f"Hinton & Salakhutdinov (2006) on {config.dataset}: {'-'.join(map(str, config.sizes))}, "
                  f"RBMs {config.rbm_epochs} epochs each by CD-1, then {config.epochs} epochs of fine-tuning "
                  f"for arms {', '.join(config.arms)}.")
    table = run_pretraining(config, args.out, figures=wants_figures(args), progress=not args.quiet,
                            resuming=bool(args.resume))
    print("\n" + markdown(table))
    print(f"Wrote to {args.out}/: results.md, results.json, {CONFIG_FILE}, "
          + ", ".join([*(ARMS[arm] + "/" for arm in config.arms), *table.get("figures", [])]))
    return 0


def _trained_on(run: Path) -> str:
    """The data set a run folder's model was trained on, from its metrics.json (checked by its schema)."""
    saved = run / "metrics.json"
    if not saved.is_file():
        return "mnist-5k"
    try:
        metrics = read_json(saved, METRICS, "metrics")
    except ValueError as err:
        raise ValueError(f"{err}; pass --dataset") from None
    if "dataset" not in metrics.get("config", {}):
        raise ValueError(f"{saved} does not say which data set the model was trained on; pass --dataset")
    return metrics["config"]["dataset"]


def info(args: argparse.Namespace) -> int:
    """``info``: print versions, BLAS, backend and optional dependencies."""
    print(info_report())
    return 0


def walk_command(args: argparse.Namespace) -> int:
    """``walk``: the walk through a trained network for one test digit (and back, with ``--backward``)."""
    backend.use(args.backend, dtype="float64", seed=args.seed)
    run = Path(args.run)
    model = load_model(run / "model.npz" if run.is_dir() else run)
    folder = run if run.is_dir() else run.parent
    dataset = args.dataset or _trained_on(folder)
    _, test = load_dataset(dataset, args.data_dir, args.download)
    if not 0 <= args.index < len(test):
        raise ValueError(f"--index must be between 0 and {len(test) - 1}, got {args.index}")
    x = test.floats([args.index])[0]
    eps = backend.randn(1, model.latent_size) if isinstance(model, VAE) else None      # the one ε both walks use
    print(f"Test image #{args.index} (label {test.labels[args.index]}):\n")
    print(walk(model, x, eps=eps))
    if args.backward:
        loss = args.loss or _trained_loss(folder)
        print()
        print(walk_back(model, x, loss=loss, sgd_lr=args.sgd_lr, adam_lr=args.adam_lr, eps=eps))
    return 0


def _trained_loss(run: Path) -> str:
    """The loss an autoencoder run trained with (its metrics.json), MSE where it does not say."""
    saved = run / "metrics.json"
    if not saved.is_file():
        return "mse"
    try:
        loss = read_json(saved, METRICS, "metrics").get("config", {}).get("loss", "mse")
    except ValueError as err:
        raise ValueError(f"{err}; pass --loss") from None
    return loss if loss in ("mse", "bce") else "mse"
