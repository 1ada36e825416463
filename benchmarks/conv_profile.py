"""Where a convolution's time goes: im2col/col2im copies against the matrix products.

    python benchmarks/conv_profile.py [--batch 128] [--repeats 50] [--channels 16,32 64,64 128,128]

Times, for a 4×4, stride-2, padding-1 convolution on a 14×14 input (the conv
autoencoder's second layer is 16 → 32 channels), each step of forward and
backward separately on NumPy float32, median of the repeats, and prints each
step's share, for each channel width asked for.  The steps are the layer's own
code (nanoae.layers.conv) run piece by piece, in its batch-last (C, H, W, N)
layout.
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


def profile_conv(batch, repeats, c=16, f=32):
    n, h, k, s, p = batch, 14, 4, 2, 1
    oh = (h + 2 * p - k) // s + 1
    x, W = backend.randn(n, c, h, h), backend.randn(f, c, k, k)
    W2 = W.reshape(f, -1)
    x_t = x.transpose(1, 2, 3, 0)
    columns = im2col(x_t, k, k, s, p, oh, oh).reshape(-1, oh * oh * n)
    out = W2 @ columns
    dout = backend.randn(n, f, oh, oh)
    dout_t = dout.transpose(1, 2, 3, 0).reshape(f, -1)
    dcolumns = W2.T @ dout_t
    steps = {
        "forward: im2col (copies)": lambda: im2col(x_t, k, k, s, p, oh, oh),
        "forward: W₂ Xᵀ  (matrix product)": lambda: W2 @ columns,
        "forward: bias, back to NCHW": lambda: (out.reshape(f, oh, oh, n) + 1.0).transpose(3, 0, 1, 2),
        "backward: dout to (F, OH·OW·N)": lambda: dout.transpose(1, 2, 3, 0).reshape(f, -1),
        "backward: doutᵀ X  (matrix product)": lambda: dout_t @ columns.T,
        "backward: W₂ᵀ doutᵀ  (matrix product)": lambda: W2.T @ dout_t,
        "backward: col2im (adds)": lambda: col2im(dcolumns.reshape(c, k, k, oh, oh, n), h, h, s, p),
    }
    return {name: timed(step, repeats) for name, step in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--channels", nargs="+", default=["16,32", "64,64", "128,128"],
                        help="C_in,C_out pairs")
    args = parser.parse_args()
    backend.use("numpy", dtype="float32", seed=0)
    for pair in args.channels:
        c, f = (int(v) for v in pair.split(","))
        results = profile_conv(args.batch, args.repeats, c, f)
        total = sum(results.values())
        print(f"\nConv2d({c}→{f}, 4×4, stride 2, padding 1) on ({args.batch}, {c}, 14, 14), NumPy float32, "
              f"median of {args.repeats}\n")
        print("| step | time (ms) | share |")
        print("| --- | ---: | ---: |")
        for name, seconds in results.items():
            print(f"| {name} | {seconds * 1e3:.3f} | {seconds / total:.0%} |")
        products = sum(v for name, v in results.items() if "matrix product" in name)
        print(f"| **matrix products** | {products * 1e3:.3f} | **{products / total:.0%}** |")


if __name__ == "__main__":
    main()
