"""The command line's options: one small builder per command, and the value types they share."""
from __future__ import annotations

import argparse
from pathlib import Path

from nanoae import backend, limits
from nanoae.cli import commands, smoke
from nanoae.cli.export_web import add_export_web
from nanoae.data import DATASET_NAMES
from nanoae.losses import LOSSES
from nanoae.models import ACTIVATIONS
from nanoae.runs import TrainConfig, VAEConfig
from nanoae.runs.hinton2006 import PretrainConfig
from nanoae.training.fit import ENGINES


# value types: parse the text, check the value, else say what was expected ----------------------------------

def _number(parse, accept, expected: str):
    """An argparse type: ``parse`` the text, then ``accept`` the value, else say what was expected."""
    def convert(text: str) -> int | float:
        """Parse ``text`` and check the value; else an ``argparse.ArgumentTypeError`` saying what was expected."""
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value
    return convert


def _list_of(parse, accept, expected: str, most: int | None = None, distinct: bool = False):
    """An argparse type for comma-separated values, each parsed and accepted like ``_number``'s;
    at most ``most`` of them where each costs a piece of work (``nanoae/limits.py``); ``distinct``:
    none twice (each names a model to train)."""
    def convert(text: str) -> list:
        """Parse comma-separated ``text`` and check each value; else an ``argparse.ArgumentTypeError``."""
        try:
            values = [parse(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not all(accept(v) for v in values):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        if most is not None and len(values) > most:
            raise argparse.ArgumentTypeError(f"expected at most {most} values, got {len(values)}")
        if distinct and len(set(values)) != len(values):
            raise argparse.ArgumentTypeError(f"expected {expected}, each once, got {text}")
        return values
    return convert


def sizes(text: str) -> list:
    """Layer sizes: at least two positive integers, comma-separated."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers such as 784,128,64,2; "
                                         f"got {text!r}") from None
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"sizes need at least two positive integers, got {text!r}")
    return values


positive_int = _number(int, lambda v: v >= 1, "a positive integer")
non_negative_int = _number(int, lambda v: v >= 0, "an integer ≥ 0")
positive_float = _number(float, lambda v: 0 < v < float("inf"), "a positive number")
non_negative_float = _number(float, lambda v: 0 <= v < float("inf"), "a number ≥ 0")
fraction = _number(float, lambda v: 0 < v < 1, "a number in (0, 1)")
positive_ints = _list_of(int, lambda v: v >= 1, "comma-separated positive integers")


def channels(text: str) -> list:
    """The convolutional autoencoder's two channel counts c1,c2 (nanoae/models/conv.py has two convolutions)."""
    values = positive_ints(text)
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected two positive integers c1,c2 (the conv autoencoder has two "
                                         f"convolutions), such as 16,32; got {len(values)}: {text}")
    return values


code_sizes = _list_of(int, lambda v: v >= 1, "comma-separated positive integers", most=limits.MAX_CODE_SIZES,
                      distinct=True)
iw_samples = _list_of(int, lambda v: 1 <= v <= limits.MAX_IW_SAMPLES,
                      f"comma-separated numbers of importance samples k ≥ 1 and ≤ {limits.MAX_IW_SAMPLES}, "
                      "such as 1,50,500", most=limits.MAX_IW_VALUES)
smoke_steps = _number(int, lambda v: 1 <= v <= limits.MAX_SMOKE_STEPS,
                      f"a number of steps between 1 and {limits.MAX_SMOKE_STEPS:,}")
epochs = _number(int, lambda v: 0 <= v <= limits.MAX_EPOCHS, f"a number of epochs from 0 to {limits.MAX_EPOCHS:,}")
digits = _list_of(int, lambda v: 0 <= v <= 9, "comma-separated digits 0-9", distinct=True)
arms = _list_of(str, lambda v: v in ("a", "b", "c"), "comma-separated arms among a, b, c, such as a,c")
levels = _list_of(float, lambda v: 0 <= v < float("inf"), "comma-separated noise levels ≥ 0, such as 0.1,0.3",
                  most=limits.MAX_NOISE_LEVELS)


# option groups more than one command has --------------------------------------------------------------------

def _add_data(p, default="mnist-5k") -> None:
    p.add_argument("--dataset", choices=DATASET_NAMES, default=default,
                   help="mnist-5k (shipped, default) or a full-size data set found on this machine")
    p.add_argument("--data-dir", default=None, help="where to look first for a full-size data set")
    p.add_argument("--download", action="store_true", help="fetch a missing data set into ~/.cache/nanoae")


def _add_common(p, epochs_default) -> None:
    p.add_argument("--epochs", type=epochs, default=epochs_default,
                   help=f"passes over the data (at most {limits.MAX_EPOCHS:,})")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seeds the weights and the minibatch order")
    p.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    p.add_argument("--out", type=Path, default=None, help="run folder (new or empty); default runs/<command>-<time>")
    p.add_argument("--no-figures", action="store_true",
                   help="skip the PNG figures (without matplotlib they are skipped anyway, with a note)")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no commentary: the results only")
    p.add_argument("--engine", choices=ENGINES, default="fast",
                   help="the training step: fast (the compiled step of nanoae/fast/, default) or reference "
                        "(the layers' own code, to step through in a debugger)")
    _add_data(p)


# one builder per command ------------------------------------------------------------------------------------

def _add_demo(commands_) -> None:
    p = commands_.add_parser("demo", help="train the lecture's autoencoder, print the walk, write figures")
    _add_common(p, TrainConfig().epochs)
    p.set_defaults(handler=commands.demo)


def _add_vae_demo(commands_) -> None:
    p = commands_.add_parser("vae-demo", help="train the lecture's 2-D VAE, write its figures")
    _add_common(p, None)
    p.set_defaults(handler=commands.vae_demo)


def _add_train(commands_) -> None:
    ae_defaults, vae_defaults = TrainConfig(), VAEConfig()
    p = commands_.add_parser(
        "train", help="train an autoencoder or a VAE with every option",
        description="Defaults (ae / vae): epochs %d / %d, batch size %d / %d, lr %g / %g."
                    % (ae_defaults.epochs, vae_defaults.epochs, ae_defaults.batch_size, vae_defaults.batch_size,
                       ae_defaults.lr, vae_defaults.lr))  # type: ignore[str-format]  # __post_init__ set lr
    _add_common(p, None)
    p.add_argument("--model", choices=["ae", "vae"], default="ae")
    p.add_argument("--sizes", type=sizes, default=None,
                   help="encoder sizes, input first, code last (decoder mirrors them); default 784,128,64,2")
    p.add_argument("--hidden", choices=ACTIVATIONS, default=None)
    p.add_argument("--batch-size", type=positive_int, default=None)
    p.add_argument("--lr", type=positive_float, default=None, help="Adam's learning rate")
    p.add_argument("--dtype", choices=["float32", "float64"], default=None)
    p.add_argument("--checkpoint-every", type=non_negative_int, default=None,
                   help="save <out>/checkpoint.npz every N epochs (atomically), for --resume")
    p.add_argument("--resume", default=None, metavar="RUN",
                   help="carry on the run in RUN (a folder with checkpoint.npz) with its saved configuration")
    _add_autoencoder_options(p.add_argument_group("autoencoder only"), ae_defaults)
    _add_vae_options(p.add_argument_group("VAE only"))
    p.set_defaults(handler=commands.train)
    p.set_defaults(defaults=vars(p.parse_args([])))       # what --resume compares the given options with


def _add_autoencoder_options(ae, defaults) -> None:
    ae.add_argument("--arch", choices=["dense", "conv"], default=None,
                    help="dense (default) or conv: the convolutional autoencoder, code size = last of --sizes")
    ae.add_argument("--channels", type=channels, default=None, help="conv channels c1,c2; default 16,32")
    ae.add_argument("--output", choices=ACTIVATIONS, default=None, help=f"default {defaults.output}")
    ae.add_argument("--tied", action="store_true", help="decoder uses the encoder's weights transposed")
    ae.add_argument("--loss", choices=[name for name in LOSSES if name != "bce_logits"], default=None,
                    help=f"default {defaults.loss}")
    ae.add_argument("--walk-index", type=non_negative_int, default=None, help="test digit shown in the walk")
    ae.add_argument("--l1", type=non_negative_float, default=None,
                    help="L1 activity penalty λ₁ on the code (sparse codes); default 0")
    ae.add_argument("--weight-decay", type=non_negative_float, default=None,
                    help="weight decay λ₂ (½λ₂‖W‖² on every weight matrix); default 0")
    ae.add_argument("--contractive", type=non_negative_float, default=None,
                    help="contractive penalty λ_c‖J_f(x)‖²_F on the encoder's Jacobian (dense encoders); default 0")


def _add_vae_options(vae) -> None:
    vae.add_argument("--beta", type=non_negative_float, default=None, help="weight of the KL term (β-VAE); default 1")
    vae.add_argument("--warmup-epochs", type=non_negative_int, default=None,
                     help="ramp β up linearly over this many epochs; default 0")
    vae.add_argument("--likelihood", choices=["bernoulli", "gaussian"], default=None, help="default bernoulli")
    vae.add_argument("--variance", type=positive_float, default=None,
                     help="fixed σ² of the Gaussian likelihood; learned if omitted")
    vae.add_argument("--iw-samples", type=iw_samples, default=None,
                     help=f"k values for the importance-weighted log p(x), e.g. 1,50,500 (the default); each k "
                          f"at most {limits.MAX_IW_SAMPLES}, at most {limits.MAX_IW_VALUES} values")


def _add_denoise(commands_) -> None:
    p = commands_.add_parser("denoise", help="denoising autoencoder vs plain one vs noisy input (PSNR)")
    _add_common(p, 20)
    p.add_argument("--corruption", choices=["gaussian", "masking", "salt-and-pepper"], default="gaussian")
    p.add_argument("--train-level", type=non_negative_float, default=None,
                   help="noise level used in training (σ or fraction); default 0.3 / 0.25 / 0.1")
    p.add_argument("--levels", type=levels, default=None,
                   help=f"noise levels to measure, e.g. 0.1,0.2,0.3,0.5; at most {limits.MAX_NOISE_LEVELS}")
    p.set_defaults(handler=commands.denoise)


def _add_reduce(commands_) -> None:
    p = commands_.add_parser("reduce", help="autoencoder vs PCA at code sizes 2 and 30")
    _add_common(p, 10)
    p.add_argument("--code-sizes", type=code_sizes, default=[2, 30],
                   help=f"code sizes to compare at, at most {limits.MAX_CODE_SIZES}; default 2,30")
    p.add_argument("--hidden", type=positive_ints, default=[1000, 500, 250],
                   help="hidden sizes of the encoder (mirrored by the decoder); default Hinton's 1000,500,250")
    p.set_defaults(handler=commands.reduce)


def _add_anomaly(commands_) -> None:
    p = commands_.add_parser("anomaly", help="one-class anomaly detection: AUROC per digit")
    _add_common(p, 40)
    p.add_argument("--classes", type=digits, default=list(range(10)), help="normal digits to run; default all")
    p.add_argument("--quantile", type=fraction, default=0.95,
                   help="threshold = this quantile of held-aside normal scores")
    p.add_argument("--show-class", type=int, default=None, help="the class whose figures are drawn")
    p.set_defaults(handler=commands.anomaly)


def _add_walk(commands_) -> None:
    p = commands_.add_parser("walk", help="print the walk through a trained model for one test digit")
    p.add_argument("--run", required=True, help="a run folder (or its model.npz)")
    p.add_argument("--index", type=non_negative_int, default=0, help="which test image")
    p.add_argument("--backward", action="store_true",
                   help="walk on back: every gradient down to ∂L/∂W1, checked by finite differences, then one "
                        "SGD and one Adam step")
    p.add_argument("--loss", choices=["mse", "bce"], default=None,
                   help="an autoencoder's loss for --backward; default: the one the run trained with")
    p.add_argument("--sgd-lr", type=positive_float, default=None,
                   help="η of the SGD step shown; default 0.1 (a VAE's: 1e-4, its loss sums over pixels)")
    p.add_argument("--adam-lr", type=positive_float, default=1e-3, help="η of the Adam step shown; default 1e-3")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seeds a VAE's ε")
    _add_data(p, default=None)
    p.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    p.set_defaults(handler=commands.walk_command)


def _add_pretrain(commands_) -> None:
    defaults = PretrainConfig()
    p = commands_.add_parser(
        "pretrain", help="Hinton & Salakhutdinov 2006: RBM-pretrained deep autoencoder vs random start, ReLU+Adam, PCA",
        description="(a) RBMs trained by CD-1, unrolled and fine-tuned; (b) the same network from random weights; "
                    "(c) ReLU and Adam; and PCA — error per test image, ÷ PCA, 5-NN accuracy, time, one figure.")
    _add_common(p, None)
    p.add_argument("--sizes", type=sizes, default=None,
                   help=f"encoder sizes, input first, code last; default {','.join(map(str, defaults.sizes))}")
    p.add_argument("--rbm-epochs", type=epochs, default=None,
                   help=f"CD-1 epochs per RBM; default {defaults.rbm_epochs} (the paper's)")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help=f"fine-tuning mini-batch of (a) and (b); default {defaults.batch_size}")
    p.add_argument("--lr", type=positive_float, default=None,
                   help=f"SGD's learning rate in fine-tuning (a) and (b); default {defaults.lr}")
    p.add_argument("--arms", type=arms, default=None, help="which of a, b, c to run, e.g. a,c; default all three")
    p.add_argument("--resume", default=None, metavar="RUN",
                   help="carry on the pretraining run in RUN where it stopped, with its saved configuration "
                        "(and --epochs N to fine-tune every arm further)")
    p.set_defaults(handler=commands.pretrain_command)
    p.set_defaults(defaults=vars(p.parse_args([])))


def _add_smoke(commands_) -> None:
    p = commands_.add_parser("smoke", help="train a tiny autoencoder and gradient-check it")
    p.add_argument("--steps", type=smoke_steps, default=500,
                   help=f"training steps, at most {limits.MAX_SMOKE_STEPS:,}; default 500")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--backend", choices=backend.BACKENDS, default="numpy")
    p.set_defaults(handler=smoke.smoke)


def _add_info(commands_) -> None:
    p = commands_.add_parser("info", help="versions, the backend and the GPU this machine offers nanoae")
    p.set_defaults(handler=commands.info)


def build_parser(description: str) -> argparse.ArgumentParser:
    """``python -m nanoae <command> [options]``; ``description``: a title line, a blank line, the command list."""
    title, _, command_list = description.partition("\n\n")
    parser = argparse.ArgumentParser(prog="python -m nanoae", description=title,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=command_list.split("\n\n")[0])
    commands_ = parser.add_subparsers(dest="command", required=True, metavar="command")
    for add in (_add_demo, _add_vae_demo, _add_train, _add_denoise, _add_reduce, _add_anomaly, _add_walk, _add_pretrain,
                _add_smoke,
                _add_info, add_export_web):
        add(commands_)
    _add_debug(parser, commands_)
    return parser


DEBUG_HELP = ("on a failure, print the Python traceback as well as the one-line error (every command takes it, "
              "before or after the command's name)")


def _add_debug(parser, commands_) -> None:
    """``--debug`` before the command, or after it: SUPPRESS keeps a command's default from overriding it."""
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    for command in commands_.choices.values():
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
