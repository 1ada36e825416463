"""im2col and col2im: turning a convolution into one matrix product.

Layers take and return NCHW arrays — (N, C, H, W): batch, channels, height,
width.  Inside, the convolution works batch-last, (C, H, W, N): then every
strided copy below moves runs of N contiguous numbers (a whole batch of one
pixel), where in NCHW it would move runs of a few pixels of one image row —
the copies ran 2-3× slower that way.  For a KH×KW kernel with stride s on an
input padded by p:

    OH = (H + 2p − KH) / s + 1,   OW = (W + 2p − KW) / s + 1      (must be whole numbers)

``im2col`` gathers, for every output position, the C·KH·KW input values the
kernel sees: cols[c, i, j, oh, ow, n] = x_pad[c, oh·s + i, ow·s + j, n], so that
cols reshaped to (C·KH·KW, OH·OW·N) is the matrix Xᵀ of the convolution's
product.  It loops over the KH·KW kernel offsets only, copying one strided
slice each — plain slicing, so the same code runs on NumPy, CuPy and the
emulated device.  ``col2im`` is its adjoint: it adds every column entry back to
the input position it came from (overlapping windows accumulate), then drops
the padding.
"""
from __future__ import annotations

from nanoae import backend
from nanoae.backend import Array


def output_size(size: int, kernel: int, stride: int, padding: int, where: str, axis: str) -> int:
    """The output size (size + 2·padding − kernel) / stride + 1, refused where it is not a whole number."""
    span = size + 2 * padding - kernel
    if span < 0:
        raise ValueError(f"{where}: kernel {kernel} is larger than the padded input {axis} "
                         f"{size} + 2·{padding} = {size + 2 * padding}")
    if span % stride:
        raise ValueError(f"{where}: ({axis} {size} + 2·{padding} − kernel {kernel}) / stride {stride} "
                         f"= {span}/{stride} is not a whole number; change the padding or the stride")
    return span // stride + 1


def im2col(x: Array, kh: int, kw: int, stride: int, padding: int, oh: int, ow: int) -> Array:
    """x (C, H, W, N) → cols (C, KH, KW, OH, OW, N)."""
    xp = backend.xp()
    c, n = x.shape[0], x.shape[3]
    if padding:
        x = xp.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    cols = xp.empty((c, kh, kw, oh, ow, n), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = x[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return cols


def col2im(cols: Array, h: int, w: int, stride: int, padding: int) -> Array:
    """cols (C, KH, KW, OH, OW, N) → (C, H, W, N), summing overlaps: the adjoint of im2col."""
    xp = backend.xp()
    c, kh, kw, oh, ow, n = cols.shape
    x = xp.zeros((c, h + 2 * padding, w + 2 * padding, n), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            x[:, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, i, j]
    return x[:, padding:padding + h, padding:padding + w] if padding else x
