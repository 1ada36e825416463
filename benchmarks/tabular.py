"""The autoencoder reducer against PCA, with the defaults, on scikit-learn's bundled tables and on Fashion-MNIST.

    python benchmarks/tabular.py                                  # ≈ 5 minutes on 2 cores; the README's table
    python benchmarks/tabular.py --tables wine,iris --no-fashion  # seconds
    python benchmarks/tabular.py --out benchmarks/results/tabular-2026-12-05    # also writes table.md, table.json

Both reducers are used as a data scientist would, with no setting changed:
``AutoencoderReducer(k)`` and ``PCA(k)``, each after a ``StandardScaler`` for the tables
(wine, breast cancer, digits, iris, diabetes' ten features; nothing is downloaded), and on
Fashion-MNIST's pixels (÷255, ``images=True``: centred, not scaled; the first
``--fashion-rows`` training images and the first fifth as many test images).  At code
sizes 2, 5 and 10 where the data allow (k < features):

* reconstruction error: a 70/30 split (seed 0); mean over the held-out rows of Σ over
  the standardised features (the pixels, in [0, 1]) of (x − x̂)²;
* downstream score: 5-fold cross-validation of the whole pipeline (scaler, reducer,
  then a logistic regression — accuracy — or, for diabetes, a ridge regression — R²);
  for Fashion-MNIST, a logistic regression fitted on the training images' codes and
  scored on the test images' (five folds of a 10,000-image fit would take long);
* fit time: the reducer's ``fit`` on the training rows, seconds.

Needs scikit-learn (the ``sklearn`` extra); Fashion-MNIST where ``load_dataset`` finds it
(``--no-fashion`` to leave it out).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn import datasets  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from nanoae.apps import AutoencoderReducer  # noqa: E402
from nanoae.evaluation import PCA  # noqa: E402

TABLES = {"wine": datasets.load_wine, "breast cancer": datasets.load_breast_cancer, "digits": datasets.load_digits,
          "iris": datasets.load_iris, "diabetes": datasets.load_diabetes}
CODE_SIZES = (2, 5, 10)
METHODS = ("autoencoder", "pca")


def reducer(method: str, k: int, images: bool = False):
    return AutoencoderReducer(k, images=images) if method == "autoencoder" else PCA(k, images=images)


def table_rows(name: str, code_sizes=CODE_SIZES, folds: int = 5, seed: int = 0) -> list:
    """One row per code size: {"data", "k", "<method>": {"error", "score", "fit_seconds"}}."""
    X, y = TABLES[name](return_X_y=True)
    regression = name == "diabetes"
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=seed, stratify=None if regression else y)
    rows = []
    for k in [k for k in code_sizes if k < X.shape[1]]:
        row = {"data": name, "k": k, "score_name": "R²" if regression else "accuracy"}
        for method in METHODS:
            started = time.perf_counter()
            pipeline = make_pipeline(StandardScaler(), reducer(method, k)).fit(X_train)
            seconds = time.perf_counter() - started
            scaled = pipeline[0].transform(X_test)
            restored = pipeline[1].inverse_transform(pipeline.transform(X_test))
            last = Ridge() if regression else LogisticRegression(max_iter=1000)
            score = cross_val_score(make_pipeline(StandardScaler(), reducer(method, k), last), X, y, cv=folds)
            row[method] = {"error": float(((scaled - restored) ** 2).sum(axis=1).mean()),
                           "score": float(score.mean()), "fit_seconds": seconds}
        rows.append(row)
    return rows


def fashion_rows(rows_used: int, code_sizes=CODE_SIZES) -> list:
    from nanoae.data import load_dataset
    train, test = load_dataset("fashion-mnist")
    X_train, y_train = train.images[:rows_used] / 255.0, train.labels[:rows_used]
    X_test, y_test = test.images[:rows_used // 5] / 255.0, test.labels[:rows_used // 5]
    rows = []
    for k in code_sizes:
        row = {"data": f"Fashion-MNIST ({rows_used:,} images)", "k": k, "score_name": "accuracy"}
        for method in METHODS:
            started = time.perf_counter()
            fitted = reducer(method, k, images=True).fit(X_train)
            seconds = time.perf_counter() - started
            restored = fitted.inverse_transform(fitted.transform(X_test))
            classifier = LogisticRegression(max_iter=1000).fit(fitted.transform(X_train), y_train)
            row[method] = {"error": float(((X_test - restored) ** 2).sum(axis=1).mean()),
                           "score": float(classifier.score(fitted.transform(X_test), y_test)), "fit_seconds": seconds}
        rows.append(row)
    return rows


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux), for the record: ratios to PCA move with it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def markdown(rows: list) -> str:
    lines = ["| data | k | reconstruction error: autoencoder / PCA | downstream: autoencoder / PCA | "
             "fit seconds: autoencoder / PCA |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        ae, pca = row["autoencoder"], row["pca"]
        lines.append(f"| {row['data']} | {row['k']} | {ae['error']:.3f} / {pca['error']:.3f} "
                     f"(**{ae['error'] / pca['error']:.3f}×**) | {row['score_name']} {ae['score']:.3f} / "
                     f"{pca['score']:.3f} | {ae['fit_seconds']:.2f} / {pca['fit_seconds']:.4f} "
                     f"({ae['fit_seconds'] / pca['fit_seconds']:,.0f}×) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default=",".join(TABLES), help="comma-separated, among: " + ", ".join(TABLES))
    parser.add_argument("--no-fashion", action="store_true", help="leave Fashion-MNIST out")
    parser.add_argument("--fashion-rows", type=int, default=10_000, help="Fashion-MNIST training images used")
    parser.add_argument("--out", type=Path, default=None, help="a folder for table.md and table.json")
    args = parser.parse_args(argv)
    rows = [row for name in args.tables.split(",") for row in table_rows(name)]
    if not args.no_fashion:
        rows += fashion_rows(args.fashion_rows)
    text = markdown(rows)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        machine = f"{cpu_model()}, NumPy {np.__version__}"
        (args.out / "table.md").write_text(text + "\n")
        (args.out / "table.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
