"""A model's parameters, and their gradients, as views into two flat vectors.

    θ = [vec(encoder.0.W); vec(encoder.0.b); vec(encoder.2.W); …]      (P,)
    g = [vec(∂L/∂encoder.0.W); …]                                      (P,)

``FlatParameters(model)`` copies every parameter into θ and every gradient
buffer into g, then points each layer's ``params[key]`` and ``grads[key]`` at
its slice of them, reshaped.  The layers compute exactly as before (a view
*is* an array), but an optimizer can now update all P numbers with a dozen
vector operations instead of a dozen per parameter, and zeroing every
gradient is one fill.

An optimizer does this when it is built, so an array taken from
``layer.params`` *before* that is a stale copy afterwards: take it again.
Building a second optimizer on the same model detaches the first, which then
refuses to step (rather than silently updating arrays nobody uses).
"""
from __future__ import annotations

from nanoae import backend

MIN_PART = 1 << 18     # elements per thread at least: the lecture network's 218,514 parameters ran
                       # 5 % faster end to end in one thread than in two (measured, RESULTS.md)
BLOCK = 1 << 16        # elements per block: θ, g, two moments and the scratch of one block (5 × 256 KiB
                       # in float32) stay in a core's L2 cache through an update's dozen passes


def parameter_slots(layer, prefix: str = "", seen=None):
    """(name, layer, key) for every parameter, in ``named_parameters`` order; a layer that
    appears twice in the tree (shared) is listed once, under its first name."""
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return
    seen.add(id(layer))
    for key in layer.params:
        yield prefix + key, layer, key
    for child_name, child in layer.children().items():
        yield from parameter_slots(child, f"{prefix}{child_name}.", seen)


class FlatParameters:
    def __init__(self, model):
        xp = backend.xp()
        self.slots = list(parameter_slots(model))          # [(name, layer, key), ...]
        if not self.slots:
            raise ValueError(f"{model!r} has no parameters to optimize")
        arrays = [layer.params[key] for _, layer, key in self.slots]
        dtypes = {str(array.dtype) for array in arrays}
        if len(dtypes) != 1:
            raise TypeError(f"the parameters mix dtypes {sorted(dtypes)}; build the whole model under one dtype")
        self.size = sum(int(array.size) for array in arrays)                  # P
        self.params = xp.empty(self.size, dtype=arrays[0].dtype)              # θ (P,)
        self.grads = xp.empty(self.size, dtype=arrays[0].dtype)               # g (P,)
        self.ranges = {}                                                      # name -> slice of θ
        start = 0
        for name, layer, key in self.slots:
            param, grad = layer.params[key], layer.grads[key]
            part = slice(start, start + int(param.size))
            self.params[part] = param.reshape(-1)
            self.grads[part] = grad.reshape(-1)
            layer.params[key] = self.params[part].reshape(param.shape)        # the layer now computes on θ
            layer.grads[key] = self.grads[part].reshape(param.shape)
            self.ranges[name] = part
            start = part.stop
        self.views = [(layer.params[key], layer.grads[key]) for _, layer, key in self.slots]

    def new_buffer(self):
        """A zero vector shaped like θ, for an optimizer's state (momentum, moments, …)."""
        return backend.xp().zeros_like(self.params)

    def named_views(self, flat) -> dict:
        """{name: that parameter's part of ``flat``, in the parameter's shape} — for checkpoints."""
        return {name: flat[self.ranges[name]].reshape(layer.params[key].shape)
                for name, layer, key in self.slots}

    def parts(self, cores: int):
        """θ cut into at most ``cores`` contiguous slices, for one thread each."""
        count = max(1, min(cores, self.size // MIN_PART))
        bounds = [self.size * i // count for i in range(count + 1)]
        return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]

    def blocks(self, part: slice, size: int | None = None):
        """``part`` cut into consecutive slices of ``size`` (default ``BLOCK``) elements, the last one shorter.

        An update makes a dozen passes over its vectors; made block by block, all but the
        first read of each block come from the cache instead of memory.  Elementwise rules
        give the same bits either way."""
        size = BLOCK if size is None else size
        return [slice(lo, min(lo + size, part.stop)) for lo in range(part.start, part.stop, size)]

    def attached(self) -> bool:
        """Whether the layers still compute on these vectors."""
        return all(layer.params[key] is param and layer.grads[key] is grad
                   for (_, layer, key), (param, grad) in zip(self.slots, self.views))
