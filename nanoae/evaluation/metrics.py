"""Measures of a learned code, computed on the host in NumPy.

* ``squared_error_per_image``: Σ_i (x_i − x̂_i)² summed over the pixels of an
  image, averaged over images — the figure Hinton & Salakhutdinov (2006) report.
* ``knn_accuracy``: classify each test code by a majority vote of its k nearest
  training codes (Euclidean); a tie between classes goes to the smallest class
  label, as scikit-learn's ``KNeighborsClassifier`` resolves it.

Each is checked against scikit-learn's own in the tests (k-NN, AUROC, the ROC
curve, trustworthiness), where scikit-learn is installed.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike            # host data: a NumPy array, or anything np.asarray takes


def squared_error_per_image(x: ArrayLike, x_hat: ArrayLike) -> float:
    """Σ_i (x_i − x̂_i)² over the pixels of an image, averaged over images."""
    x, x_hat = np.asarray(x, dtype=np.float64), np.asarray(x_hat, dtype=np.float64)
    if x.shape != x_hat.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {x_hat.shape}")
    return float(((x - x_hat) ** 2).sum(axis=1).mean())


def knn_accuracy(train_codes: ArrayLike, train_labels: ArrayLike, test_codes: ArrayLike, test_labels: ArrayLike,
                 k: int = 5) -> float:
    """Accuracy of a majority vote of the k nearest training codes (Euclidean) for each test code."""
    train_codes, test_codes = np.asarray(train_codes, np.float64), np.asarray(test_codes, np.float64)
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    if not 1 <= k <= len(train_codes):
        raise ValueError(f"k must be between 1 and the {len(train_codes)} training codes, got {k}")
    if train_codes.shape[1] != test_codes.shape[1]:
        raise ValueError(f"code sizes differ: {train_codes.shape[1]} vs {test_codes.shape[1]}")
    classes = np.unique(train_labels)
    correct = 0
    train_squared = (train_codes ** 2).sum(axis=1)
    chunk = max(1, 2_500_000 // len(train_codes))             # (chunk, n) distances: at most 20 MB
    for start in range(0, len(test_codes), chunk):
        queries = test_codes[start:start + chunk]
        distances = (queries ** 2).sum(axis=1)[:, None] + train_squared[None, :] - 2 * queries @ train_codes.T
        nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]                      # the k nearest, (q, k)
        votes = (train_labels[nearest][:, :, None] == classes).sum(axis=1)              # (q, classes)
        predicted = classes[votes.argmax(axis=1)]              # argmax takes the first: the smallest tied class
        correct += int((predicted == test_labels[start:start + chunk]).sum())
    return correct / len(test_codes)


def psnr(clean: ArrayLike, restored: ArrayLike, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, per image, averaged: 10·log10(peak² / MSE_image).

    An exact restoration (MSE 0) counts as 100 dB rather than infinity.
    """
    clean, restored = np.asarray(clean, np.float64), np.asarray(restored, np.float64)
    if clean.shape != restored.shape:
        raise ValueError(f"shapes differ: {clean.shape} vs {restored.shape}")
    mse = ((clean - restored) ** 2).reshape(len(clean), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(peak ** 2 / np.maximum(mse, peak ** 2 * 1e-10))))


def _average_ranks(values) -> np.ndarray:
    """Ranks 1..n of ``values``, tied values sharing the mean of their ranks."""
    values = np.asarray(values, np.float64)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _binary_labels(labels, who: str) -> np.ndarray:
    """Labels as booleans: they must be booleans or 0/1 already (any other pair, e.g. {1, 2} or {−1, 1}, is
    ambiguous about which class is positive)."""
    labels = np.asarray(labels)
    if labels.dtype != bool and not (labels.dtype.kind in "iuf" and np.isin(labels, (0, 1)).all()):
        raise ValueError(f"{who}: is_positive must hold booleans or 0/1, got values {np.unique(labels)[:5]}; "
                         "compare with the positive class first, e.g. labels == 1")
    return labels.astype(bool)


def roc_auc(scores: ArrayLike, is_positive: ArrayLike) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a random negative
    (ties count one half) — the Mann–Whitney U statistic over n₊·n₋, from average ranks."""
    scores, is_positive = np.asarray(scores, np.float64), _binary_labels(is_positive, "roc_auc")
    if scores.shape != is_positive.shape or scores.ndim != 1:
        raise ValueError("roc_auc needs 1-D scores and labels of the same length")
    if not np.all(np.isfinite(scores)):
        raise ValueError("roc_auc: scores contain NaN or Inf")
    n_pos, n_neg = int(is_positive.sum()), int((~is_positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"roc_auc needs both classes, got {n_pos} positives and {n_neg} negatives")
    ranks = _average_ranks(scores)
    return float((ranks[is_positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_curve(scores: ArrayLike, is_positive: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates) as the threshold sweeps from high to low: one point per
    distinct score, after (0, 0).  Sorting once makes it O(n log n).  Needs finite scores, booleans (or 0/1)
    for labels, and both classes."""
    scores, is_positive = np.asarray(scores, np.float64), _binary_labels(is_positive, "roc_curve")
    if scores.shape != is_positive.shape or scores.ndim != 1:
        raise ValueError("roc_curve needs 1-D scores and labels of the same length")
    if not np.all(np.isfinite(scores)):
        raise ValueError("roc_curve: scores contain NaN or Inf")
    if is_positive.all() or not is_positive.any():
        raise ValueError(f"roc_curve needs both classes, got {int(is_positive.sum())} positives and "
                         f"{int((~is_positive).sum())} negatives")
    order = np.argsort(-scores, kind="stable")
    scores, is_positive = scores[order], is_positive[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]   # where the threshold moves
    true_positives = np.cumsum(is_positive)[last_of_each_score]
    false_positives = (last_of_each_score + 1) - true_positives
    n_pos, n_neg = int(is_positive.sum()), int((~is_positive).sum())
    return np.r_[0.0, false_positives / n_neg], np.r_[0.0, true_positives / n_pos]


def _pairwise_squared_distances(X) -> np.ndarray:
    X = np.asarray(X, np.float64)
    squared = (X * X).sum(axis=1)
    return np.maximum(squared[:, None] + squared[None, :] - 2 * X @ X.T, 0)


def trustworthiness(X: ArrayLike, Z: ArrayLike, k: int = 5) -> float:
    """How far the embedding Z keeps X's neighbourhoods (Venna & Kaski, 2001), in [0, 1]:

        T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_i} (r(i, j) − k)

    where U_i holds the points among i's k nearest neighbours in Z but not in X,
    and r(i, j) is j's rank among i's neighbours in X (1 = nearest).  1 means no
    point gained a false neighbour.  Needs k < n / 2.
    """
    X, Z = np.asarray(X, np.float64), np.asarray(Z, np.float64)
    n = len(X)
    if len(Z) != n:
        raise ValueError(f"X has {n} points but Z has {len(Z)}")
    if not 1 <= k < n / 2:
        raise ValueError(f"trustworthiness needs 1 ≤ k < n/2 = {n / 2}, got k = {k}")
    dx, dz = _pairwise_squared_distances(X), _pairwise_squared_distances(Z)
    np.fill_diagonal(dx, np.inf)
    np.fill_diagonal(dz, np.inf)
    rank_in_x = np.empty((n, n), dtype=np.int64)
    order = np.argsort(dx, axis=1, kind="stable")
    rank_in_x[np.arange(n)[:, None], order] = np.arange(1, n + 1)[None, :]
    neighbours_in_z = np.argsort(dz, axis=1, kind="stable")[:, :k]
    ranks = rank_in_x[np.arange(n)[:, None], neighbours_in_z]            # (n, k): their ranks in X
    penalty = np.maximum(ranks - k, 0).sum()                               # only points outside X's k-NN
    return float(1 - 2 / (n * k * (2 * n - 3 * k - 1)) * penalty)
