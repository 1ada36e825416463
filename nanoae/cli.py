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
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from nanoae import backend, gradcheck
from nanoae.data import DATASET_NAMES, DataError, load_dataset
from nanoae.experiment import TrainConfig, run_training
from nanoae.experiment_vae import VAEConfig, run_vae_training
from nanoae.checkpoint import CheckpointError, load_checkpoint
from nanoae.io import ModelFileError, load_model
from nanoae.layers import Linear, ReLU, Sequential, Sigmoid
from nanoae.losses import LOSSES, MSELoss
from nanoae.models.presets import ACTIVATIONS
from nanoae.optim import Adam
from nanoae.plots import PlotsUnavailable
from nanoae.training import DivergedError
from nanoae.walk import walk


def _report(result) -> None:
    metrics, out = result["metrics"], result["out"]
    comparison = metrics["comparison_with_pca"]
    ae, pca = comparison["autoencoder"], comparison["pca"]
    digit = metrics["walk_digit"]
    if result["walk"] is not None:
        print(f"\nThe walk through the network for test digit #{digit['index']} (a {digit['label']}):\n")
        print(result["walk"])
    print(f"\nOn the {metrics['test_size']} held-out images, {comparison['code_size']}-D codes:")
    print(f"  {'':<12} {'squared error / image':>22} {'5-NN accuracy':>14}")
    print(f"  {'autoencoder':<12} {ae['squared_error_per_image']:>22.2f} {ae['5nn_accuracy']:>14.3f}")
    print(f"  {'PCA':<12} {pca['squared_error_per_image']:>22.2f} {pca['5nn_accuracy']:>14.3f}")
    print(f"\nTrained in {metrics['training_seconds']:.1f} s. Wrote to {out}/: "
          + ", ".join(["model.npz", "metrics.json", *(["walk.txt"] if result["walk"] else []),
                       *metrics.get("figures", [])]))


def _default_out(command: str) -> Path:
    return Path("runs") / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"


def _data(args) -> dict:
    return {"dataset": args.dataset, "data_dir": args.data_dir, "download": args.download}


def demo(args) -> int:
    config = TrainConfig(seed=args.seed, backend=args.backend, epochs=args.epochs, **_data(args))
    print(f"Training the lecture's autoencoder 784-128-64-2-64-128-784 on {args.dataset} "
          f"({config.epochs} epochs, Adam lr {config.lr}, batch {config.batch_size}, {config.loss.upper()} loss).",
          flush=True)
    _report(run_training(config, args.out or _default_out("demo")))
    return 0


def _sizes(text: str) -> list:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers such as 784,128,64,2; "
                                         f"got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes need at least two positive integers, got {text!r}")
    return sizes


def _number(parse, accept, expected: str):
    """An argparse type: ``parse`` the text, then ``accept`` the value, else say what was expected."""
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value
    return convert


def _list_of(parse, accept, expected: str):
    """An argparse type for comma-separated values, each parsed and accepted like ``_number``'s."""
    def convert(text: str) -> list:
        try:
            values = [parse(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not all(accept(v) for v in values):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return values
    return convert


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer ≥ 0")
_positive_float = _number(float, lambda v: 0 < v < float("inf"), "a positive number")
_non_negative_float = _number(float, lambda v: 0 <= v < float("inf"), "a number ≥ 0")
_positive_ints = _list_of(int, lambda v: v >= 1, "comma-separated positive integers")
_iw_samples = _list_of(int, lambda v: v >= 1, "comma-separated numbers of importance samples k ≥ 1, such as 1,50,500")
_digits = _list_of(int, lambda v: 0 <= v <= 9, "comma-separated digits 0-9")
_levels = _list_of(float, lambda v: 0 <= v < float("inf"), "comma-separated noise levels ≥ 0, such as 0.1,0.3")


AE_ONLY = ("output", "tied", "loss", "walk_index", "l1", "weight_decay", "arch", "channels")
VAE_ONLY = ("beta", "warmup_epochs", "likelihood", "variance", "iw_samples")
SHARED = ("sizes", "hidden", "epochs", "batch_size", "lr", "seed", "backend", "dtype", "dataset", "data_dir",
          "download", "checkpoint_every")


def _config(args, config_class, own: tuple, foreign: tuple):
    """The model's config: its defaults, overridden by the options given; the other model's options refused."""
    given = [name for name in foreign if getattr(args, name) not in (None, False)]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"{flags} cannot be used with --model {args.model}")
    options = {name: getattr(args, name) for name in SHARED + own if getattr(args, name) is not None}
    return config_class(**options)


def _report_vae(result) -> None:
    metrics, out = result["metrics"], result["out"]
    elbo = metrics["test_elbo_nats_per_image"]
    print(f"\nOn the {metrics['test_size']} held-out images (nats per image):")
    print(f"  −ELBO = reconstruction + KL = {elbo['reconstruction']:.2f} + {elbo['kl']:.2f} = {elbo['neg_elbo']:.2f}")
    for k, value in metrics["test_log_likelihood_nats_per_image"].items():
        print(f"  log p(x), importance-weighted with k = {k:>3}: {value:.2f}")
    print(f"\nTrained in {metrics['training_seconds']:.1f} s. Wrote to {out}/: "
          + ", ".join(["model.npz", "metrics.json", *metrics.get("figures", [])]))


def resume(args) -> int:
    """Carry on a run from its checkpoint, with its saved configuration."""
    run = Path(args.resume)
    saved = load_checkpoint(run / "checkpoint.npz" if run.is_dir() else run)
    run = run if run.is_dir() else run.parent
    allowed = {"resume", "epochs", "backend", "data_dir", "handler", "command", "no_figures", "download"}
    given = [name for name, value in vars(args).items()
             if name not in allowed and value not in (None, False) and value != build_parser_defaults()[name]]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(f"with --resume the run's saved configuration is used; {flags} cannot be given "
                         "(only --epochs, --backend, --data-dir)")
    options = dict(saved.meta["config"])
    kind = options.pop("model")
    for name in ("epochs", "backend", "data_dir"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if options["epochs"] <= saved.epoch:
        raise ValueError(f"nothing to resume: the checkpoint is at epoch {saved.epoch} of {options['epochs']}; "
                         "pass a larger --epochs to train further")
    print(f"Resuming {run} at epoch {saved.epoch + 1} of {options['epochs']}.", flush=True)
    if kind == "vae":
        _report_vae(run_vae_training(VAEConfig(**options), run, figures=not args.no_figures, resume=saved))
    else:
        _report(run_training(TrainConfig(**options), run, figures=not args.no_figures, resume=saved))
    return 0


def build_parser_defaults() -> dict:
    parser = build_parser()
    return vars(parser.parse_args(["train"]))


def train(args) -> int:
    if args.resume:
        return resume(args)
    out = args.out or _default_out("train")
    if args.model == "vae":
        config = _config(args, VAEConfig, VAE_ONLY, AE_ONLY)
        _report_vae(run_vae_training(config, out, figures=not args.no_figures))
    else:
        config = _config(args, TrainConfig, AE_ONLY, VAE_ONLY)
        _report(run_training(config, out, figures=not args.no_figures))
    return 0


def vae_demo(args) -> int:
    config = VAEConfig(seed=args.seed, backend=args.backend, **_data(args),
                       **({"epochs": args.epochs} if args.epochs is not None else {}))
    print(f"Training the lecture's 2-D variational autoencoder (trunk 784-128-64, μ and log σ² heads of size 2, "
          f"decoder 2-64-128-784, Bernoulli likelihood) on {args.dataset} ({config.epochs} epochs, "
          f"Adam lr {config.lr}, batch {config.batch_size}).", flush=True)
    _report_vae(run_vae_training(config, args.out or _default_out("vae-demo")))
    return 0


def _print_json_table(rows, columns) -> None:
    print("  " + "  ".join(f"{c:>16}" for c in columns))
    for row in rows:
        print("  " + "  ".join(f"{v:>16.4g}" if isinstance(v, float) else f"{v!s:>16}" for v in row))


def denoise(args) -> int:
    from nanoae.apps import run_denoising
    out = args.out or _default_out("denoise")
    print(f"Training a denoising autoencoder (784-512-128, {args.corruption} corruption) and a plain one.", flush=True)
    metrics = run_denoising(out, args.corruption, args.train_level, args.levels, epochs=args.epochs,
                            seed=args.seed, backend_name=args.backend, **_data(args))
    print(f"\nOn the {metrics['test_size']} held-out images (PSNR in dB, higher is better):")
    _print_json_table([(r["level"], r["images"], r["psnr_db"], r["mse"]) for r in metrics["results"]],
                      ("level", "images", "PSNR (dB)", "MSE"))
    print(f"\nWrote to {out}/: metrics.json, " + ", ".join(metrics.get("figures", [])))
    return 0


def reduce_command(args) -> int:
    from nanoae.apps import run_reduction
    out = args.out or _default_out("reduce")
    print(f"Training 784-{'-'.join(map(str, args.hidden))}-code autoencoders for code sizes "
          f"{', '.join(map(str, args.code_sizes))}, and PCA.", flush=True)
    metrics = run_reduction(out, args.code_sizes, args.hidden, epochs=args.epochs, seed=args.seed,
                            backend_name=args.backend, **_data(args))
    print(f"\nOn the {metrics['test_size']} held-out images (trustworthiness: the first 1,000):")
    rows = [(size, name, r[name]["squared_error_per_image"], r[name]["5nn_accuracy"], r[name]["trustworthiness_k5"])
            for size, r in metrics["results"].items() for name in ("autoencoder", "pca")]
    _print_json_table(rows, ("code size", "method", "sq. error/image", "5-NN accuracy", "trustworthiness"))
    for size, r in metrics["results"].items():
        print(f"  {size}-D: PCA's error is {r['pca_over_autoencoder_error']:.2f}× the autoencoder's "
              f"(Hinton & Salakhutdinov 2006, 30-D, full MNIST: 13.87 / 3.00 = 4.62×)")
    print(f"\nWrote to {out}/: metrics.json, " + ", ".join(metrics.get("figures", [])))
    return 0


def anomaly(args) -> int:
    from nanoae.apps import run_anomaly
    out = args.out or _default_out("anomaly")
    print(f"One-class anomaly detection: an autoencoder per normal digit {args.classes}.", flush=True)
    metrics = run_anomaly(out, args.classes, args.quantile, epochs=args.epochs, seed=args.seed,
                          show_class=args.show_class if args.show_class is not None else args.classes[0],
                          backend_name=args.backend, **_data(args))
    print(f"\nAUROC over the {metrics['test_size']} test images, threshold at the {args.quantile:g} quantile of held-aside normals:")
    _print_json_table([(int(c), r["auroc"], r["anomalies_caught"], r["normal_flagged"])
                       for c, r in metrics["per_class"].items()],
                      ("normal digit", "AUROC", "anomalies caught", "normals flagged"))
    print(f"  mean AUROC {metrics['mean_auroc']:.3f}")
    print(f"\nWrote to {out}/: metrics.json, " + ", ".join(metrics.get("figures", [])))
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


def _add_data(p, default="mnist-5k") -> None:
    p.add_argument("--dataset", choices=DATASET_NAMES, default=default,
                   help="mnist-5k (shipped, default) or a full-size data set found on this machine")
    p.add_argument("--data-dir", default=None, help="where to look first for a full-size data set")
    p.add_argument("--download", action="store_true", help="fetch a missing data set into ~/.cache/nanoae")


def _add_common(p, epochs_default) -> None:
    p.add_argument("--epochs", type=_non_negative_int, default=epochs_default, help="passes over the data")
    p.add_argument("--seed", type=int, default=0, help="seeds the weights and the minibatch order")
    p.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    p.add_argument("--out", type=Path, default=None, help="run folder (new or empty); default runs/<command>-<time>")
    _add_data(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nanoae", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[3:]))
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    defaults = TrainConfig()

    p = commands.add_parser("demo", help="train the lecture's autoencoder, print the walk, write figures")
    _add_common(p, defaults.epochs)
    p.set_defaults(handler=demo)

    p = commands.add_parser("vae-demo", help="train the lecture's 2-D VAE, write its figures")
    _add_common(p, None)
    p.set_defaults(handler=vae_demo)

    vae_defaults = VAEConfig()
    p = commands.add_parser(
        "train", help="train an autoencoder or a VAE with every option",
        description="Defaults (ae / vae): epochs %d / %d, batch size %d / %d, lr %g / %g."
                    % (defaults.epochs, vae_defaults.epochs, defaults.batch_size, vae_defaults.batch_size,
                       defaults.lr, vae_defaults.lr))
    _add_common(p, None)
    p.add_argument("--model", choices=["ae", "vae"], default="ae")
    p.add_argument("--sizes", type=_sizes, default=None,
                   help="encoder sizes, input first, code last (decoder mirrors them); default 784,128,64,2")
    p.add_argument("--hidden", choices=ACTIVATIONS, default=None)
    p.add_argument("--batch-size", type=_positive_int, default=None)
    p.add_argument("--lr", type=_positive_float, default=None, help="Adam's learning rate")
    p.add_argument("--dtype", choices=["float32", "float64"], default=None)
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--checkpoint-every", type=_non_negative_int, default=None,
                   help="save <out>/checkpoint.npz every N epochs (atomically), for --resume")
    p.add_argument("--resume", default=None, metavar="RUN",
                   help="carry on the run in RUN (a folder with checkpoint.npz) with its saved configuration")
    ae = p.add_argument_group("autoencoder only")
    ae.add_argument("--arch", choices=["dense", "conv"], default=None,
                    help="dense (default) or conv: the convolutional autoencoder, code size = last of --sizes")
    ae.add_argument("--channels", type=_positive_ints, default=None, help="conv channels, default 16,32")
    ae.add_argument("--output", choices=ACTIVATIONS, default=None, help=f"default {defaults.output}")
    ae.add_argument("--tied", action="store_true", help="decoder uses the encoder's weights transposed")
    ae.add_argument("--loss", choices=[name for name in LOSSES if name != "bce_logits"], default=None,
                    help=f"default {defaults.loss}")
    ae.add_argument("--walk-index", type=_non_negative_int, default=None, help="test digit shown in the walk")
    ae.add_argument("--l1", type=_non_negative_float, default=None,
                    help="L1 activity penalty λ₁ on the code (sparse codes); default 0")
    ae.add_argument("--weight-decay", type=_non_negative_float, default=None,
                    help="weight decay λ₂ (½λ₂‖W‖² on every weight matrix); default 0")
    vae = p.add_argument_group("VAE only")
    vae.add_argument("--beta", type=_non_negative_float,
                     default=None, help="weight of the KL term (β-VAE); default 1")
    vae.add_argument("--warmup-epochs", type=_non_negative_int, default=None,
                     help="ramp β up linearly over this many epochs; default 0")
    vae.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default=None, help="default bernoulli")
    vae.add_argument("--variance", type=_positive_float, default=None,
                     help="fixed σ² of the Gaussian likelihood; learned if omitted")
    vae.add_argument("--iw-samples", type=_iw_samples, default=None,
                     help="k values for the importance-weighted log p(x), e.g. 1,50,500 (the default)")
    p.set_defaults(handler=train)

    p = commands.add_parser("denoise", help="denoising autoencoder vs plain one vs noisy input (PSNR)")
    _add_common(p, 20)
    p.add_argument("--corruption", choices=["gaussian", "masking", "salt-and-pepper"], default="gaussian")
    p.add_argument("--train-level", type=_non_negative_float, default=None,
                   help="noise level used in training (σ or fraction); default 0.3 / 0.25 / 0.1")
    p.add_argument("--levels", type=_levels, default=None, help="noise levels to measure, e.g. 0.1,0.2,0.3,0.5")
    p.set_defaults(handler=denoise)

    p = commands.add_parser("reduce", help="autoencoder vs PCA at code sizes 2 and 30")
    _add_common(p, 10)
    p.add_argument("--code-sizes", type=_positive_ints, default=[2, 30])
    p.add_argument("--hidden", type=_positive_ints, default=[1000, 500, 250],
                   help="hidden sizes of the encoder (mirrored by the decoder); default Hinton's 1000,500,250")
    p.set_defaults(handler=reduce_command)

    p = commands.add_parser("anomaly", help="one-class anomaly detection: AUROC per digit")
    _add_common(p, 40)
    p.add_argument("--classes", type=_digits, default=list(range(10)), help="normal digits to run; default all")
    p.add_argument("--quantile", type=_number(float, lambda v: 0 < v < 1, "a number in (0, 1)"), default=0.95,
                   help="threshold = this quantile of held-aside normal scores")
    p.add_argument("--show-class", type=int, default=None, help="the class whose figures are drawn")
    p.set_defaults(handler=anomaly)

    p = commands.add_parser("walk", help="print the walk through a trained model for one test digit")
    p.add_argument("--run", required=True, help="a run folder (or its model.npz)")
    p.add_argument("--index", type=_non_negative_int, default=0, help="which test image")
    _add_data(p, default=None)
    p.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    p.set_defaults(handler=walk_command)

    p = commands.add_parser("smoke", help="train a tiny autoencoder and gradient-check it")
    p.add_argument("--steps", type=_positive_int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    p.set_defaults(handler=smoke)
    return parser


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, TypeError, backend.BackendError, DivergedError, DataError, ModelFileError,
            PlotsUnavailable, CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was written for this run", file=sys.stderr)
        return 130
