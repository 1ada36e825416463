"""Where a convolution's time goes: im2col/col2im copies against the matrix products.

    python benchmarks/conv_profile.py [--batch 64] [--repeats 50]

Times, for the conv autoencoder's second convolution (16 → 32 channels, 4×4,
stride 2, padding 1, on a 14×14 input) and its mirror transposed convolution,
each step of forward and backward separately on NumPy float32, median of the
repeats, and prints each step's share.  The steps are the layer's own code
(nanoae.layers.conv) run piece by piece.
"""
from __future__ import annotations

import argparse
import statistics
import time

from nanoae import backend
from nanoae.layers.im2col import col2im, im2col


def timed(step, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def profile_conv(batch, repeats):
    n, c, h, f, k, s, p = batch, 16, 14, 32, 4, 2, 1
    oh = (h + 2 * p - k) // s + 1
    x, W = backend.randn(n, c, h, h), backend.randn(f, c, k, k)
    W2 = W.reshape(f, -1)
    x_t = x.transpose(1, 0, 2, 3)
    columns = im2col(x_t, k, k, s, p, oh, oh).reshape(-1, n * oh * oh)
    out = W2 @ columns
    dout = backend.randn(n, f, oh, oh)
    dout_t = dout.transpose(1, 0, 2, 3).reshape(f, -1)
    dcolumns = W2.T @ dout_t
    steps = {
        "forward: im2col (copies)": lambda: im2col(x_t, k, k, s, p, oh, oh),
        "forward: W₂ Xᵀ  (matrix product)": lambda: W2 @ columns,
        "forward: bias, back to NCHW": lambda: (out.reshape(f, n, oh, oh) + 1.0).transpose(1, 0, 2, 3),
        "backward: dout to (F, N·OH·OW)": lambda: dout.transpose(1, 0, 2, 3).reshape(f, -1),
        "backward: doutᵀ X  (matrix product)": lambda: dout_t @ columns.T,
        "backward: W₂ᵀ doutᵀ  (matrix product)": lambda: W2.T @ dout_t,
        "backward: col2im (adds)": lambda: col2im(dcolumns.reshape(c, k, k, n, oh, oh), h, h, s, p),
    }
    return {name: timed(step, repeats) for name, step in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    backend.use("numpy", dtype="float32", seed=0)
    results = profile_conv(args.batch, args.repeats)
    total = sum(results.values())
    print(f"Conv2d(16→32, 4×4, stride 2, padding 1) on ({args.batch}, 16, 14, 14), NumPy float32, "
          f"median of {args.repeats}\n")
    print("| step | time (ms) | share |")
    print("| --- | ---: | ---: |")
    for name, seconds in results.items():
        print(f"| {name} | {seconds * 1e3:.3f} | {seconds / total:.0%} |")
    products = sum(v for name, v in results.items() if "matrix product" in name)
    print(f"| **matrix products** | {products * 1e3:.3f} | **{products / total:.0%}** |")


if __name__ == "__main__":
    main()
