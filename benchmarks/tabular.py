"""The autoencoder on ordinary tabular data, against PCA: the Wisconsin breast-cancer data set.

    python benchmarks/tabular.py            # ≈ 10 s; the table in the README

569 tumours, 30 real-valued features each (radius, texture, … — raw measurements
from 0.001 to 4,254), labelled malignant or benign; it ships with scikit-learn
(``sklearn.datasets.load_breast_cancer``), so nothing is downloaded.  A
stratified split (seed 0) keeps 30 % aside.  Both reducers sit in the same
pipeline, ``StandardScaler`` first (the autoencoder's output is linear for
unbounded data, ``output="auto"``), and are compared at code sizes 2 and 5 on
the held-out tumours:

* reconstruction error: mean over tumours of Σ over the 30 standardised features of (x − x̂)²;
* downstream accuracy: logistic regression (scikit-learn defaults) fitted on the
  training tumours' codes, scored on the held-out tumours' codes.

Needs scikit-learn (the ``sklearn`` extra).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from nanoae.apps import AutoencoderReducer  # noqa: E402
from nanoae.evaluation import PCA  # noqa: E402


def compare(code_sizes=(2, 5), epochs: int = 300, seed: int = 0) -> dict:
    """{code size: {"autoencoder" | "pca": {"reconstruction_error", "accuracy"}}} on the held-out tumours."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    results = {}
    for size in code_sizes:
        results[size] = {}
        reducers = {"autoencoder": AutoencoderReducer(size, hidden=(16,), epochs=epochs, batch_size=32, lr=3e-3,
                                                      seed=seed, engine="fast"),
                    "pca": PCA(size)}
        for name, reducer in reducers.items():
            pipeline = make_pipeline(StandardScaler(), reducer).fit(X_train)
            scaled = pipeline[0].transform(X_test)
            codes_train, codes_test = pipeline.transform(X_train), pipeline.transform(X_test)
            restored = reducer.inverse_transform(codes_test)
            classifier = LogisticRegression().fit(codes_train, y_train)
            results[size][name] = {"reconstruction_error": float(((scaled - restored) ** 2).sum(axis=1).mean()),
                                   "accuracy": float(classifier.score(codes_test, y_test))}
    results["all 30 features"] = {"accuracy": float(LogisticRegression(max_iter=1000).fit(
        StandardScaler().fit(X_train).transform(X_train), y_train).score(
        StandardScaler().fit(X_train).transform(X_test), y_test))}
    return results


def main() -> int:
    results = compare()
    print("| code size | method | reconstruction error (held out) | logistic-regression accuracy |")
    print("|---:|---|---:|---:|")
    for size, row in results.items():
        if size == "all 30 features":
            print(f"| 30 | the standardised features themselves | 0 | {row['accuracy']:.3f} |")
            continue
        for name in ("autoencoder", "pca"):
            print(f"| {size} | {name} | {row[name]['reconstruction_error']:.2f} | {row[name]['accuracy']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
