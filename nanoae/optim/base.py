"""What every optimizer shares: one vector of parameters, updated in place.

    opt = Adam(model, lr=1e-3)         # or lr=CosineDecay(1e-3, total_steps=...)
    opt.zero_grad(); loss.backward(); model.backward(...); opt.step()

Building an optimizer moves the model's parameters and gradients into two
flat vectors θ and g (see ``flat.py``; the layers keep computing on views of
them).  ``step()`` optionally clips the global gradient norm, asks the schedule
for this step's learning rate, and calls ``update(θ, g, state, scratch, lr)``.
Every rule here is elementwise, so on the CPU θ is cut into one slice per
core and the slices are updated by parallel threads (NumPy lets go of the
interpreter lock inside each vector operation): the result is the same to the
bit, in about half the time — an update streams every vector through memory a
dozen times, and one core alone cannot draw the memory bandwidth two can.  Each
thread goes through its slice in blocks of 65,536 numbers, so that of those dozen
passes only the first reads memory and the rest read the cache.  Per-parameter state
(momentum, moments) are vectors like θ, in ``self.buffers[key]``; for
checkpoints ``self.state[name][key]`` views them per parameter, keyed like
``model.named_parameters()``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from nanoae import backend
from nanoae.optim.clip import clip_grad_norm
from nanoae.optim.flat import FlatParameters


FLUSH_EVERY = 8     # steps between flushes of subnormal momenta (backend.flush_subnormals): a decaying
                    # value needs ~140 steps of ×0.9 to cross the subnormal range, so one stays there at
                    # most 8 steps, and the flush costs an eighth of doing it every step (0.17 ms on the
                    # lecture network, measured)


class Optimizer:
    def __init__(self, model, lr=1e-3, clip_norm: float | None = None):
        if not callable(lr) and not float(lr) > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if clip_norm is not None and not clip_norm > 0:
            raise ValueError(f"clip_norm must be positive, got {clip_norm}")
        self.model = model
        self.lr = lr                      # a float, or a schedule: step -> learning rate
        self.clip_norm = clip_norm
        self.step_count = 0
        self.flat = FlatParameters(model)
        self.scratch = self.flat.new_buffer()      # working space for update(), so a step allocates nothing
        self.buffers: dict = {}                    # state key -> vector like θ
        self.state: dict = {}                      # parameter name -> {state key: view into self.buffers[key]}
        self.last_grad_norm = None

    def add_state(self, key: str) -> None:
        """A state vector, zero to start with (e.g. Adam's "m" and "v")."""
        self.buffers[key] = self.flat.new_buffer()
        for name, view in self.flat.named_views(self.buffers[key]).items():
            self.state.setdefault(name, {})[key] = view

    def current_lr(self) -> float:
        return float(self.lr(self.step_count)) if callable(self.lr) else float(self.lr)

    def zero_grad(self) -> None:
        self._check_attached()
        self.flat.grads.fill(0)

    def step(self) -> None:
        self._check_attached()
        if self.clip_norm is not None:
            self.last_grad_norm = clip_grad_norm([self.flat.grads], self.clip_norm)
        lr = self.current_lr()

        def update_part(part):
            for block in self._blocks(part):
                state = {key: buffer[block] for key, buffer in self.buffers.items()}
                self.update(self.flat.params[block], self.flat.grads[block], state, self.scratch[block], lr)

        parts = self.flat.parts(backend.cpu_threads())
        if len(parts) == 1:
            update_part(parts[0])
        else:
            list(_thread_pool(len(parts)).map(update_part, parts))      # list(): wait, and raise any error
        self.step_count += 1

    def _blocks(self, part: slice) -> list:
        """Cache-sized blocks on NumPy; elsewhere one block (on CuPy each vector operation
        is a kernel launch, and the GPU has no use for the CPU's cache)."""
        return self.flat.blocks(part) if backend.name() == "numpy" else [part]

    def flush_due(self) -> bool:
        """Whether this step clears subnormal numbers from the momenta (every ``FLUSH_EVERY``-th)."""
        return (self.step_count + 1) % FLUSH_EVERY == 0

    def update(self, param, grad, state: dict, scratch, lr: float) -> None:
        """θ ← θ − (this optimizer's step), in place, for one slice of θ, g and the state."""
        raise NotImplementedError

    def _check_attached(self) -> None:
        if not self.flat.attached():
            raise RuntimeError(f"{type(self).__name__}: the model's parameters were taken over by another "
                               "optimizer (or replaced); build a new optimizer for the model")


_pools: dict = {}


def _thread_pool(workers: int) -> ThreadPoolExecutor:
    if workers not in _pools:
        _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="nanoae-optim")
    return _pools[workers]
