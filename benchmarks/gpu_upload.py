"""How long the one host → device copy of a training set takes: 60,000 × 784 uint8 images (47 MB).

`fit` on a GPU copies the images once per run and gathers each batch on the device; a one-epoch
benchmark pays that copy inside its clock, PyTorch's peer loop before it.  This measures the copy
alone, synchronised, four times (the first includes CuPy's start-up).

    python benchmarks/gpu_upload.py          # on a machine with CuPy and a GPU
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import numpy as np  # noqa: E402

from nanoae import backend  # noqa: E402


def main() -> int:
    try:
        backend.use("cupy", dtype="float32")
    except backend.BackendError as error:
        print(f"cannot run: {error}")
        return 0
    images = np.random.default_rng(0).integers(0, 256, (60000, 784), dtype=np.uint8)
    for _ in range(4):
        backend.synchronize()
        started = time.perf_counter()
        backend.asarray(images)
        backend.synchronize()
        print(f"upload 60000x784 uint8: {1e3 * (time.perf_counter() - started):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
