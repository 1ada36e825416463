"""The autoencoder against its linear baseline: PCA with as many components as the code has dimensions.

Both are measured on the held-out images: squared error per image of the
reconstruction, and the k-NN accuracy of the codes (a classifier fitted on the
training images' codes).  A linear autoencoder with squared error learns PCA's
subspace (Baldi & Hornik, 1989); a deep one should do better on both.
"""
from __future__ import annotations

from nanoae.evaluation.encoding import codes_and_reconstructions, in_batches
from nanoae.evaluation.metrics import knn_accuracy, squared_error_per_image
from nanoae.evaluation.pca import PCA


def compare_with_pca(model, train, test, k: int = 5) -> dict:
    """Per-image squared error and k-NN accuracy of the codes: the autoencoder against PCA of the same size."""
    x_test = test.images / 255.0
    code_train = in_batches(model.encode, train)
    code_test, recon_test = codes_and_reconstructions(model, test)
    pca = PCA(code_test.shape[1], images=True).fit(train.images)     # uint8 pixels, scaled to [0, 1]
    pca_train, pca_test = pca.transform(train.images), pca.transform(test.images)
    return {
        "code_size": int(code_test.shape[1]),
        "autoencoder": {
            "squared_error_per_image": squared_error_per_image(x_test, recon_test),
            f"{k}nn_accuracy": knn_accuracy(code_train, train.labels, code_test, test.labels, k),
        },
        "pca": {
            "squared_error_per_image": squared_error_per_image(x_test, pca.inverse_transform(pca_test)),
            f"{k}nn_accuracy": knn_accuracy(pca_train, train.labels, pca_test, test.labels, k),
        },
    }

