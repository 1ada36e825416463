"""One VAE training run, start to finish: the recipe behind ``vae-demo`` and ``train --model vae``.

    config → backend → data → VAE → fit(ELBO) → −ELBO, importance-weighted log p(x) → run folder

The run folder receives, once training has succeeded:
    model.npz, metrics.json        weights; −ELBO and its parts per epoch, log p(x) estimates
    elbo.png                       −ELBO, reconstruction and KL per epoch, train and test
    latent.png                     the test digits' posterior means μ(x), coloured by digit
    samples.png                    new digits: z ~ N(0, I) from the prior, decoded
    manifold.png                   (2-D latent) a grid through the Gaussian's quantiles, decoded
    interpolation.png              decoded codes on the line between two test digits' μ
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import TextIO

import numpy as np

from nanoae import backend, plots
from nanoae.backend import Array
from nanoae.data import ImageDataset
from nanoae.evaluation import elbo_terms, log_likelihood, posterior_means
from nanoae.files import write_json
from nanoae.limits import MAX_IW_SAMPLES, MAX_IW_VALUES
from nanoae.models.sizes import check_model
from nanoae.models import VAE, dense_vae, save_model
from nanoae.models.decoder_likelihoods import check_variance
from nanoae.runs.base import check_settings, checkpointing, run_folder, start_from
from nanoae.training import History, ELBO, fit
from nanoae.training.checkpoint import Checkpoint


@dataclass
class VAEConfig:
    """The settings of a VAE run (``train --model vae``, ``vae-demo``)."""

    sizes: list = field(default_factory=lambda: [784, 128, 64, 2])
    hidden: str = "relu"
    likelihood: str = "bernoulli"
    variance: float | None = None          # Gaussian only; None learns it
    beta: float = 1.0
    warmup_epochs: int = 0
    epochs: int = 100
    batch_size: int = 128
    lr: float = 3e-3
    seed: int = 0
    backend: str = "numpy"
    dtype: str = "float32"
    dataset: str = "mnist-5k"
    data_dir: str | None = None
    download: bool = False
    checkpoint_every: int = 0
    iw_samples: list = field(default_factory=lambda: [1, 50, 500])
    engine: str = "fast"                   # the training step: "fast" (nanoae/fast/) or "reference"

    def validate(self) -> None:
        if len(self.sizes) < 3 or self.sizes[0] != 784:
            raise ValueError(f"VAE sizes must start with 784 and name a hidden and a latent size, got {self.sizes}")
        if self.variance is not None:
            check_variance(self.variance)
        if not self.beta >= 0:
            raise ValueError(f"β must be ≥ 0, got {self.beta}")
        if self.warmup_epochs < 0:
            raise ValueError(f"warm-up epochs must be ≥ 0, got {self.warmup_epochs}")
        check_settings(self)
        if len(self.iw_samples) > MAX_IW_VALUES or any(
                isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_IW_SAMPLES for k in self.iw_samples):
            raise ValueError(f"--iw-samples must list at most {MAX_IW_VALUES} numbers of importance samples k, each "
                             f"between 1 and {MAX_IW_SAMPLES}; got {self.iw_samples}")
        model = {"arch": "vae", "sizes": list(self.sizes), "hidden": self.hidden, "likelihood": self.likelihood,
                 "variance": self.variance}
        check_model(model, self.batch_size, f"--sizes {','.join(map(str, self.sizes))}", dtype=self.dtype)


def quantile_grid(n: int = 15, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """z values Φ⁻¹(u) for u evenly spaced in [low, high] — as in Kingma & Welling's figures."""
    return np.array([NormalDist().inv_cdf(u) for u in np.linspace(low, high, n)])


def interpolate(model: VAE, x_a: Array, x_b: Array, steps: int = 10) -> np.ndarray:
    """Decoded images along z = (1 − t) μ(a) + t μ(b), t from 0 to 1."""
    mu, _ = model.encode(backend.xp().concatenate([x_a, x_b]))
    mu = backend.to_numpy(mu)
    t = np.linspace(0, 1, steps)[:, None]
    return backend.to_numpy(model.decode(backend.asarray((1 - t) * mu[0] + t * mu[1])))


def run_vae_training(config: VAEConfig, out: str | Path, figures: bool = True, progress: bool = True,
                     stream: TextIO | None = None, resume: Checkpoint | str | Path | None = None) -> dict:
    """Train, estimate log p(x), and write the run folder; ``resume``: a Checkpoint to carry on from."""
    config.validate()
    # backend.using: the caller's backend, dtype and generator come back when the run ends or fails
    with backend.using(config.backend, dtype=config.dtype, seed=config.seed), \
            run_folder(out, resuming=resume is not None) as out:
        return _run(config, out, figures, progress, stream, resume)


def _run(config: VAEConfig, out: Path, figures: bool, progress: bool, stream, resume) -> dict:
    train, test = start_from(config, figures)
    model = dense_vae(config.sizes, config.hidden, config.likelihood, config.variance)

    started = time.perf_counter()
    history = fit(model, train, test, objective=ELBO(config.beta, config.warmup_epochs), epochs=config.epochs,
                  batch_size=config.batch_size, lr=config.lr, seed=config.seed, progress=progress, stream=stream,
                  engine=config.engine, **checkpointing(config, out, "vae", resume))
    seconds = time.perf_counter() - started

    evaluation_started = time.perf_counter()
    test_elbo = elbo_terms(model, test)
    iw = {}
    for k in config.iw_samples:                    # k = 5000 on 10,000 test images takes minutes: say so
        if progress:
            print(f"log p(x) with k = {k} importance samples on {len(test):,} test images …",
                  file=stream if stream is not None else sys.stderr, flush=True)
        iw[str(k)] = log_likelihood(model, test, k=k)
    metrics = {
        "config": asdict(config),
        "history": history.as_dict(),
        "training_seconds": seconds,
        "parameters": model.num_parameters(),
        "test_elbo_nats_per_image": test_elbo,
        "test_log_likelihood_nats_per_image": iw,
        "evaluation_seconds": time.perf_counter() - evaluation_started,
        "test_size": len(test),
    }
    save_model(model, out / "model.npz")
    if figures:
        metrics["figures"] = [p.name for p in write_vae_figures(model, history, test, out)]
    write_json(out / "metrics.json", metrics)
    return {"model": model, "history": history, "metrics": metrics, "out": out}


def write_vae_figures(model: VAE, history: History, test: ImageDataset, out: Path) -> list:
    """Write a VAE run's figures into ``out``; returns their names."""
    from nanoae.evaluation.pca import PCA          # here, not at the top: it imports scikit-learn (slow)
    written = [plots.plot_elbo(history, out / "elbo.png")]
    means = posterior_means(model, test)
    if means.shape[1] == 2:
        written.append(plots.plot_latent(means, test.labels, out / "latent.png",
                                         title="Test digits' posterior means μ(x) in the 2-D latent space"))
        z = quantile_grid()
        grid = np.array([[a, b] for b in z[::-1] for a in z])
        decoded = backend.to_numpy(model.decode(backend.asarray(grid)))
        written.append(plots.plot_manifold(decoded, z, z[::-1], out / "manifold.png"))
    else:
        written.append(plots.plot_latent(PCA(2).fit_transform(means), test.labels, out / "latent.png",
                                         title=f"Test digits' {means.shape[1]}-D posterior means, "
                                               "first two principal axes"))
    samples = backend.to_numpy(model.sample(50))
    written.append(plots.plot_image_grid(samples, out / "samples.png",
                                         "New digits: z ~ N(0, I) from the prior, decoded"))
    pairs = [(0, 700), (100, 400), (300, 800)]              # test digits 0→7, 1→4, 3→8
    strips = np.concatenate([interpolate(model, test.floats([a]), test.floats([b])) for a, b in pairs])
    labels = [f"{test.labels[a]} → {test.labels[b]}" for a, b in pairs]
    written.append(plots.plot_image_grid(strips, out / "interpolation.png",
                                         "Interpolation in latent space between two test digits' μ",
                                         row_labels=labels))
    return written
