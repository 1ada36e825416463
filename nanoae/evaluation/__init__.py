"""Evaluation: how good a trained model is, measured on held-out data.

    encoding.py         a model applied to a whole data set in batches, back on the host
    metrics.py          squared error per image, k-NN accuracy, PSNR, ROC AUC, trustworthiness
    pca.py              the PCA baseline, a scikit-learn estimator (imported on first use of ``PCA``)
    estimator.py        what nanoae's scikit-learn estimators stand on (scikit-learn optional)
    log_likelihood.py   a VAE's ELBO on a data set and its importance-weighted log p(x)
    baseline.py         the autoencoder against PCA of the same size
    walk.py             the lecture's walk through the network for one digit, with real numbers
"""
from nanoae.evaluation.baseline import autoencoder_scores, compare_with_pca, pca_scores
from nanoae.evaluation.encoding import codes_and_reconstructions, in_batches, posterior_means
from nanoae.evaluation.log_likelihood import elbo_terms, importance_log_weights, log_likelihood
from nanoae.evaluation.metrics import (knn_accuracy, psnr, roc_auc, roc_curve, squared_error_per_image,
                                       trustworthiness)
from nanoae.evaluation.walk import walk


def __getattr__(name):
    """``PCA`` is imported on first use: its module imports scikit-learn (where installed), which takes
    a second or more — too long to add to every command's start-up."""
    if name == "PCA":
        from nanoae.evaluation.pca import PCA
        return PCA
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["compare_with_pca", "autoencoder_scores", "pca_scores", "in_batches", "codes_and_reconstructions", "posterior_means", "elbo_terms",
           "importance_log_weights",
           "log_likelihood", "knn_accuracy", "psnr", "roc_auc", "roc_curve", "squared_error_per_image",
           "trustworthiness", "PCA", "walk"]
