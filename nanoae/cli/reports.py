"""What the commands print when a run is done: tables read from its metrics."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path


def report_autoencoder(result: dict, show_walk: bool = True) -> None:
    """Print an autoencoder run's results: the walk, the comparison with PCA, what was written."""
    metrics, out = result["metrics"], result["out"]
    comparison = metrics["comparison_with_pca"]
    ae, pca = comparison["autoencoder"], comparison["pca"]
    digit = metrics["walk_digit"]
    if result["walk"] is not None and show_walk:
        print(f"\nThe walk through the network for test digit #{digit['index']} (a {digit['label']}):\n")
        print(result["walk"])
    print(f"\nOn the {metrics['test_size']} held-out images, {comparison['code_size']}-D codes:")
    print(f"  {'':<12} {'squared error / image':>22} {'5-NN accuracy':>14}")
    print(f"  {'autoencoder':<12} {ae['squared_error_per_image']:>22.2f} {ae['5nn_accuracy']:>14.3f}")
    print(f"  {'PCA':<12} {pca['squared_error_per_image']:>22.2f} {pca['5nn_accuracy']:>14.3f}")
    print(f"\nTrained in {metrics['training_seconds']:.1f} s. Wrote to {out}/: "
          + ", ".join(["model.npz", "metrics.json", *(["walk.txt"] if result["walk"] else []),
                       *metrics.get("figures", [])]))


def report_vae(result: dict) -> None:
    """Print a VAE run's results: −ELBO = reconstruction + KL, the log p(x) estimates, what was written."""
    metrics, out = result["metrics"], result["out"]
    elbo = metrics["test_elbo_nats_per_image"]
    print(f"\nOn the {metrics['test_size']} held-out images (nats per image):")
    print(f"  −ELBO = reconstruction + KL = {elbo['reconstruction']:.2f} + {elbo['kl']:.2f} = {elbo['neg_elbo']:.2f}")
    for k, value in metrics["test_log_likelihood_nats_per_image"].items():
        print(f"  log p(x), importance-weighted with k = {k:>3}: {value:.2f}")
    print(f"\nTrained in {metrics['training_seconds']:.1f} s. Wrote to {out}/: "
          + ", ".join(["model.npz", "metrics.json", *metrics.get("figures", [])]))


def print_table(rows: Iterable[Sequence], columns: Sequence[str]) -> None:
    """Print ``rows`` under ``columns``, right-aligned."""
    print("  " + "  ".join(f"{c:>16}" for c in columns))
    for row in rows:
        print("  " + "  ".join(f"{v:>16.4g}" if isinstance(v, float) else f"{v!s:>16}" for v in row))


def report_denoising(metrics: dict, out: str | Path) -> None:
    """Print the denoising results: PSNR and MSE per corruption level."""
    print(f"\nOn the {metrics['test_size']} held-out images (PSNR in dB, higher is better):")
    print_table([(r["level"], r["images"], r["psnr_db"], r["mse"]) for r in metrics["results"]],
                ("level", "images", "PSNR (dB)", "MSE"))
    print(f"\nWrote to {out}/: " + ", ".join(["metrics.json", *metrics.get("figures", [])]))


def report_reduction(metrics: dict, out: str | Path) -> None:
    """Print the dimensionality reduction results: autoencoder and PCA per code size."""
    print(f"\nOn the {metrics['test_size']} held-out images (trustworthiness: the first 1,000):")
    rows = [(size, name, r[name]["squared_error_per_image"], r[name]["5nn_accuracy"], r[name]["trustworthiness_k5"])
            for size, r in metrics["results"].items() for name in ("autoencoder", "pca")]
    print_table(rows, ("code size", "method", "sq. error/image", "5-NN accuracy", "trustworthiness"))
    for size, r in metrics["results"].items():
        print(f"  {size}-D: PCA's error is {r['pca_over_autoencoder_error']:.2f}× the autoencoder's "
              f"(Hinton & Salakhutdinov 2006, 30-D, full MNIST: 13.87 / 3.00 = 4.62×)")
    print(f"\nWrote to {out}/: " + ", ".join(["metrics.json", *metrics.get("figures", [])]))


def report_anomaly(metrics: dict, out: str | Path, quantile: float) -> None:
    """Print the anomaly detection results: AUROC per normal digit, and at the threshold."""
    print(f"\nAUROC over the {metrics['test_size']} test images, threshold at the {quantile:g} quantile "
          "of held-aside normals:")
    print_table([(int(c), r["auroc"], r["anomalies_caught"], r["normal_flagged"])
                 for c, r in metrics["per_class"].items()],
                ("normal digit", "AUROC", "anomalies caught", "normals flagged"))
    print(f"  mean AUROC {metrics['mean_auroc']:.3f}")
    print(f"\nWrote to {out}/: " + ", ".join(["metrics.json", *metrics.get("figures", [])]))
