"""The autoencoder against its linear baseline: PCA with as many components as the code has dimensions.

Both are measured on the held-out images: squared error per image of the
reconstruction, and the k-NN accuracy of the codes (a classifier fitted on the
training images' codes).  A linear autoencoder with squared error learns PCA's
subspace (Baldi & Hornik, 1989); a deep one should do better on both.
"""
from __future__ import annotations

from typing import Any

from nanoae.data import ImageDataset
from nanoae.evaluation.encoding import codes_and_reconstructions, in_batches
from nanoae.evaluation.metrics import knn_accuracy, squared_error_per_image
from nanoae.models import Autoencoder


def autoencoder_scores(model: Autoencoder, train: ImageDataset, test: ImageDataset, k: int = 5) -> dict:
    """The autoencoder's half: squared error per held-out image, and the k-NN accuracy of its codes."""
    code_train = in_batches(model.encode, train)
    code_test, recon_test = codes_and_reconstructions(model, test)
    return {"squared_error_per_image": squared_error_per_image(test.images / 255.0, recon_test),
            f"{k}nn_accuracy": knn_accuracy(code_train, train.labels, code_test, test.labels, k)}


def pca_scores(pca: Any, train: ImageDataset, test: ImageDataset, k: int = 5) -> dict:
    """PCA's half, for a PCA fitted on the training images (``PCA(n, images=True)``)."""
    pca_train, pca_test = pca.transform(train.images), pca.transform(test.images)
    return {"squared_error_per_image": squared_error_per_image(test.images / 255.0, pca.inverse_transform(pca_test) / pca.input_scale_),
            f"{k}nn_accuracy": knn_accuracy(pca_train, train.labels, pca_test, test.labels, k)}


def compare_with_pca(model: Autoencoder, train: ImageDataset, test: ImageDataset, k: int = 5) -> dict:
    """Per-image squared error and k-NN accuracy of the codes: the autoencoder against PCA of the same size."""
    from nanoae.evaluation.pca import PCA          # here, not at the top: it imports scikit-learn (slow)
    autoencoder = autoencoder_scores(model, train, test, k)
    code_size = int(model.encode(test.floats([0])).shape[1])                # one image's code: its size
    pca = PCA(code_size, images=True).fit(train.images)              # uint8 pixels, scaled to [0, 1]
    return {"code_size": code_size, "autoencoder": autoencoder, "pca": pca_scores(pca, train, test, k)}
