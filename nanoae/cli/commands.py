"""The commands: each reads its parsed options, runs, prints a report, and returns an exit status."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from nanoae import backend, gradcheck
from nanoae.apps import run_anomaly, run_denoising, run_reduction
from nanoae.cli.reports import report_anomaly, report_autoencoder, report_denoising, report_reduction, report_vae
from nanoae.data import load_dataset
from nanoae.evaluation import walk
from nanoae.layers import Linear, ReLU, Sequential, Sigmoid
from nanoae.losses import MSELoss
from nanoae.models import load_model
from nanoae.optim import Adam
from nanoae.runs import TrainConfig, VAEConfig, run_training, run_vae_training
from nanoae.training import load_checkpoint

AE_ONLY = ("output", "tied", "loss", "walk_index", "l1", "weight_decay", "arch", "channels")
VAE_ONLY = ("beta", "warmup_epochs", "likelihood", "variance", "iw_samples")
SHARED = ("sizes", "hidden", "epochs", "batch_size", "lr", "seed", "backend", "dtype", "dataset", "data_dir",
          "download", "checkpoint_every")
RESUME_OPTIONS = ("epochs", "backend", "data_dir")     # what --resume lets one change


def default_out(command: str) -> Path:
    return Path("runs") / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"


def data_options(args) -> dict:
    return {"dataset": args.dataset, "data_dir": args.data_dir, "download": args.download}


def demo(args) -> int:
    config = TrainConfig(seed=args.seed, backend=args.backend, epochs=args.epochs, **data_options(args))
    print(f"Training the lecture's autoencoder 784-128-64-2-64-128-784 on {args.dataset} "
          f"({config.epochs} epochs, Adam lr {config.lr}, batch {config.batch_size}, {config.loss.upper()} loss).",
          flush=True)
    report_autoencoder(run_training(config, args.out or default_out("demo")))
    return 0


def vae_demo(args) -> int:
    config = VAEConfig(seed=args.seed, backend=args.backend, **data_options(args),
                       **({"epochs": args.epochs} if args.epochs is not None else {}))
    print(f"Training the lecture's 2-D variational autoencoder (trunk 784-128-64, μ and log σ² heads of size 2, "
          f"decoder 2-64-128-784, Bernoulli likelihood) on {args.dataset} ({config.epochs} epochs, "
          f"Adam lr {config.lr}, batch {config.batch_size}).", flush=True)
    report_vae(run_vae_training(config, args.out or default_out("vae-demo")))
    return 0


def _config(args, config_class, own: tuple, foreign: tuple):
    """The model's config: its defaults, overridden by the options given; the other model's options refused."""
    given = [name for name in foreign if getattr(args, name) not in (None, False)]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"{flags} cannot be used with --model {args.model}")
    options = {name: getattr(args, name) for name in SHARED + own if getattr(args, name) is not None}
    return config_class(**options)


def train(args) -> int:
    if args.resume:
        return resume(args)
    out = args.out or default_out("train")
    if args.model == "vae":
        config = _config(args, VAEConfig, VAE_ONLY, AE_ONLY)
        report_vae(run_vae_training(config, out, figures=not args.no_figures))
    else:
        config = _config(args, TrainConfig, AE_ONLY, VAE_ONLY)
        report_autoencoder(run_training(config, out, figures=not args.no_figures))
    return 0


def resume(args) -> int:
    """Carry on a run from its checkpoint, with its saved configuration."""
    run = Path(args.resume)
    saved = load_checkpoint(run / "checkpoint.npz" if run.is_dir() else run)
    run = run if run.is_dir() else run.parent
    allowed = {"resume", "handler", "command", "no_figures", "download", "defaults", *RESUME_OPTIONS}
    given = [name for name, value in vars(args).items()
             if name not in allowed and value not in (None, False) and value != args.defaults[name]]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"with --resume the run's saved configuration is used; {flags} cannot be given "
                         "(only --epochs, --backend, --data-dir)")
    options = dict(saved.meta["config"])
    kind = options.pop("model")
    for name in RESUME_OPTIONS:
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if options["epochs"] <= saved.epoch:
        raise ValueError(f"nothing to resume: the checkpoint is at epoch {saved.epoch} of {options['epochs']}; "
                         "pass a larger --epochs to train further")
    print(f"Resuming {run} at epoch {saved.epoch + 1} of {options['epochs']}.", flush=True)
    if kind == "vae":
        report_vae(run_vae_training(VAEConfig(**options), run, figures=not args.no_figures, resume=saved))
    else:
        report_autoencoder(run_training(TrainConfig(**options), run, figures=not args.no_figures, resume=saved))
    return 0


def denoise(args) -> int:
    out = args.out or default_out("denoise")
    print(f"Training a denoising autoencoder (784-512-128, {args.corruption} corruption) and a plain one.", flush=True)
    metrics = run_denoising(out, args.corruption, args.train_level, args.levels, epochs=args.epochs,
                            seed=args.seed, backend_name=args.backend, **data_options(args))
    report_denoising(metrics, out)
    return 0


def reduce(args) -> int:
    out = args.out or default_out("reduce")
    print(f"Training 784-{'-'.join(map(str, args.hidden))}-code autoencoders for code sizes "
          f"{', '.join(map(str, args.code_sizes))}, and PCA.", flush=True)
    metrics = run_reduction(out, args.code_sizes, args.hidden, epochs=args.epochs, seed=args.seed,
                            backend_name=args.backend, **data_options(args))
    report_reduction(metrics, out)
    return 0


def anomaly(args) -> int:
    out = args.out or default_out("anomaly")
    print(f"One-class anomaly detection: an autoencoder per normal digit {args.classes}.", flush=True)
    metrics = run_anomaly(out, args.classes, args.quantile, epochs=args.epochs, seed=args.seed,
                          show_class=args.show_class if args.show_class is not None else args.classes[0],
                          backend_name=args.backend, **data_options(args))
    report_anomaly(metrics, out, args.quantile)
    return 0


def walk_command(args) -> int:
    backend.use(args.backend, dtype="float64")
    run = Path(args.run)
    model = load_model(run / "model.npz" if run.is_dir() else run)
    dataset = args.dataset
    if dataset is None:                                  # the data set the run was trained on
        saved = (run if run.is_dir() else run.parent) / "metrics.json"
        dataset = json.loads(saved.read_text())["config"].get("dataset", "mnist-5k") if saved.is_file() else "mnist-5k"
    _, test = load_dataset(dataset, args.data_dir, args.download)
    if not 0 <= args.index < len(test):
        raise ValueError(f"--index must be between 0 and {len(test) - 1}, got {args.index}")
    print(f"Test image #{args.index} (label {test.labels[args.index]}):\n")
    print(walk(model, test.floats([args.index])[0]))
    return 0


def smoke(args) -> int:
    """A tiny autoencoder 16 → 32 → 2 → 32 → 16 on data that truly lies on a 2-D surface."""
    backend.use(args.backend, dtype="float64", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    codes = rng.uniform(-1, 1, size=(512, 2))
    mixing = rng.standard_normal((2, 16))
    data = backend.asarray(1 / (1 + np.exp(-codes @ mixing)))          # (512, 16) in (0, 1)

    model = Sequential(Linear(16, 32, "he_normal"), ReLU(), Linear(32, 2),
                       Linear(2, 32, "he_normal"), ReLU(), Linear(32, 16), Sigmoid())
    report = gradcheck(model, data[:4], loss=MSELoss(), target=data[:4])
    print(f"gradient check of all {len(report.errors)} arrays: worst relative error "
          f"{report.max_error:.1e} ({'PASS' if report.passed else 'FAIL'})")

    print(f"MSE of always predicting the mean: {float(data.var(axis=0).mean()):.5f}")
    loss, optimizer = MSELoss(), Adam(model, lr=1e-2)
    for step in range(args.steps + 1):
        optimizer.zero_grad()
        value = loss.forward(model.forward(data), data)
        model.backward(loss.backward())
        optimizer.step()
        if step % max(1, args.steps // 5) == 0:
            print(f"step {step:4d}  MSE {float(value):.5f}")
    return 0 if report.passed else 1

