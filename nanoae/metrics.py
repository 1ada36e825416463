"""Measures of a learned code, computed on the host in NumPy.

* ``squared_error_per_image``: Σ_i (x_i − x̂_i)² summed over the pixels of an
  image, averaged over images — the figure Hinton & Salakhutdinov (2006) report.
* ``knn_accuracy``: classify each test code by a majority vote of its k nearest
  training codes (Euclidean; ties go to the nearest of the tied classes).
"""
from __future__ import annotations

import numpy as np


def squared_error_per_image(x, x_hat) -> float:
    x, x_hat = np.asarray(x, dtype=np.float64), np.asarray(x_hat, dtype=np.float64)
    if x.shape != x_hat.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {x_hat.shape}")
    return float(((x - x_hat) ** 2).sum(axis=1).mean())


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k: int = 5,
                 chunk: int = 1000) -> float:
    train_codes, test_codes = np.asarray(train_codes, np.float64), np.asarray(test_codes, np.float64)
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    if not 1 <= k <= len(train_codes):
        raise ValueError(f"k must be between 1 and the {len(train_codes)} training codes, got {k}")
    if train_codes.shape[1] != test_codes.shape[1]:
        raise ValueError(f"code sizes differ: {train_codes.shape[1]} vs {test_codes.shape[1]}")
    classes = np.unique(train_labels)
    correct = 0
    for start in range(0, len(test_codes), chunk):
        queries = test_codes[start:start + chunk]
        distances = ((queries[:, None, :] - train_codes[None, :, :]) ** 2).sum(axis=2)   # (q, n)
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]                    # (q, k), closest first
        votes = (train_labels[nearest][:, :, None] == classes).sum(axis=1)              # (q, classes)
        best = votes.max(axis=1, keepdims=True)
        # among the classes with most votes, take the one whose member came first (nearest)
        rank_of_class = np.where(train_labels[nearest][:, :, None] == classes, np.arange(k)[None, :, None], k)
        first_seen = rank_of_class.min(axis=1)
        first_seen = np.where(votes == best, first_seen, k + 1)
        predicted = classes[first_seen.argmin(axis=1)]
        correct += int((predicted == test_labels[start:start + chunk]).sum())
    return correct / len(test_codes)
