"""One-off: turn ../shared/data/mnist_5k.csv.gz into the shipped nanoae/data/mnist_5k.npz.

The CSV holds 5,000 MNIST digits, 500 per class: 784 pixel values (0-255,
row-major 28×28) then the label.  The split is fixed here, once, and stored in
the file: for each class, a permutation drawn from numpy.random.default_rng(0)
puts 400 digits in train and 100 in test (4,000 / 1,000, stratified); within
each split the digits keep the CSV's order.

    python tools/convert_mnist_5k.py ../shared/data/mnist_5k.csv.gz nanoae/data/mnist_5k.npz

The output's SHA-256 is pinned in nanoae/data/mnist.py; rerunning this script
must reproduce it (the zip entries are written with a fixed timestamp).
"""
import gzip
import hashlib
import io
import sys
import zipfile

import numpy as np

TRAIN_PER_CLASS, TEST_PER_CLASS = 400, 100


def convert(source: str, target: str) -> str:
    with gzip.open(source, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table[:, :784].min() < 0 or table[:, :784].max() > 255:
        raise ValueError(f"unexpected CSV contents: shape {table.shape}")
    images, labels = table[:, :784].astype(np.uint8), table[:, 784].astype(np.uint8)

    rng = np.random.default_rng(0)
    train_rows, test_rows = [], []
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        if len(rows) != TRAIN_PER_CLASS + TEST_PER_CLASS:
            raise ValueError(f"class {digit} has {len(rows)} digits, expected 500")
        rows = rows[rng.permutation(len(rows))]
        train_rows.append(rows[:TRAIN_PER_CLASS])
        test_rows.append(rows[TRAIN_PER_CLASS:])
    train, test = np.sort(np.concatenate(train_rows)), np.sort(np.concatenate(test_rows))

    arrays = {"x_train": images[train], "y_train": labels[train], "x_test": images[test], "y_test": labels[test]}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, buffer.getvalue(), compresslevel=9)
    with open(target, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


if __name__ == "__main__":
    print(convert(sys.argv[1], sys.argv[2]))
