"""im2col and col2im: turning a convolution into one matrix product.

Layers take and return NCHW arrays — (N, C, H, W): batch, channels, height,
width.  Inside, the convolution works channel-major, (C, N, H, W), because
then every copy below moves contiguous blocks.  For a KH×KW kernel with
stride s on an input padded by p:

    OH = (H + 2p − KH) / s + 1,   OW = (W + 2p − KW) / s + 1      (must be whole numbers)

``im2col`` gathers, for every output position, the C·KH·KW input values the
kernel sees: cols[c, i, j, n, oh, ow] = x_pad[c, n, oh·s + i, ow·s + j], so that
cols reshaped to (C·KH·KW, N·OH·OW) is the matrix Xᵀ of the convolution's
product.  It loops over the KH·KW kernel offsets only, copying one strided
slice each — plain slicing, so the same code runs on NumPy, CuPy and the
emulated device.  ``col2im`` is its adjoint: it adds every column entry back to
the input position it came from (overlapping windows accumulate), then drops
the padding.
"""
from __future__ import annotations

from nanoae import backend


def output_size(size: int, kernel: int, stride: int, padding: int, where: str, axis: str) -> int:
    span = size + 2 * padding - kernel
    if span < 0:
        raise ValueError(f"{where}: kernel {kernel} is larger than the padded input {axis} "
                         f"{size} + 2·{padding} = {size + 2 * padding}")
    if span % stride:
        raise ValueError(f"{where}: ({axis} {size} + 2·{padding} − kernel {kernel}) / stride {stride} "
                         f"= {span}/{stride} is not a whole number; change the padding or the stride")
    return span // stride + 1


def im2col(x, kh: int, kw: int, stride: int, padding: int, oh: int, ow: int):
    """x (C, N, H, W) → cols (C, KH, KW, N, OH, OW)."""
    xp = backend.xp()
    c, n = x.shape[:2]
    if padding:
        x = xp.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = x[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return cols


def col2im(cols, h: int, w: int, stride: int, padding: int):
    """cols (C, KH, KW, N, OH, OW) → (C, N, H, W), summing overlaps: the adjoint of im2col."""
    xp = backend.xp()
    c, kh, kw, n, oh, ow = cols.shape
    x = xp.zeros((c, n, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            x[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, i, j]
    return x[:, :, padding:padding + h, padding:padding + w] if padding else x
