"""Beyond one machine: a nanoae model trained by PyTorch's DistributedDataParallel, and brought back.

    python examples/scale_out.py                                  # 2 processes, 200 steps: seconds on a CPU
    python examples/scale_out.py --steps 400 --world-size 4 --out ddp.npz
    python -m nanoae walk --run ddp.npz --index 3                 # the saved model is a nanoae model like any

nanoae trains on one machine.  Past that, the way on is PyTorch's distributed
training, and the bridge ``nanoae.interop.pytorch`` carries a model across and
back.  This script goes the whole way, step by step:

1. Build the lecture autoencoder (784 →ReLU 128 →ReLU 64 → 2 →ReLU 64 →ReLU 128 →σ 784)
   in nanoae, float32, and measure its test error untrained.
2. ``to_torch(model)``: the same network as a ``torch.nn.Module``, holding a copy of
   the weights under the same names (nanoae's ``encoder.0.W`` is ``encoder.0.weight``).
3. Start ``--world-size`` processes with ``torch.multiprocessing.spawn``.  Each stands
   for one machine; here they are CPU processes on this computer that find each
   other at 127.0.0.1 on a free port and talk through the "gloo" backend.
4. In each process (a *rank*): wrap the module in ``DistributedDataParallel`` and
   train it with Adam on the rank's own shard of the training digits
   (``DistributedSampler`` deals rank r every world_size-th image of a shuffle all
   ranks share).  DDP first copies rank 0's weights to every rank; then, during
   each ``backward()``, it averages the gradients over the ranks (an all-reduce).
   Every rank thus takes the same step from the same weights: one model, trained
   on world_size × 64 images a step, of which each rank touched only its 64.
5. Every rank writes its final weights to a shared temporary folder, and the
   script checks that they are the same bit for bit: DDP's promise, verified.
6. ``from_torch``: rank 0's weights back in a nanoae model, which prints the
   lecture's walk for one test digit; then the test error before and after, and
   with ``--out`` the model saved as any nanoae model is.

On real machines only step 3 changes: ``torchrun`` starts the processes, each
reads its rank from the environment, ``init_process_group`` is given rank 0's
address instead of 127.0.0.1, and on GPUs the backend is "nccl".

Test error: Σ_i (x_i − x̂_i)² over the 784 pixels of a test image, averaged over
the 1,000 test images (``squared_error_per_image``).  Arrays are batch-first:
x is (batch, 784).  PyTorch is needed here: ``pip install torch`` (the CPU
build is enough).
"""
from __future__ import annotations

import argparse
import copy
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nanoae import backend
from nanoae.data import load_mnist_5k
from nanoae.evaluation import squared_error_per_image, walk
from nanoae.models import lecture_autoencoder, save_model

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    from nanoae.interop.pytorch import from_torch, to_torch
except ImportError:
    torch = None

BATCH_SIZE = 64         # per rank: one step learns from world_size × 64 images
LEARNING_RATE = 1e-3    # Adam's η
WALK_INDEX = 0          # the test digit the walk follows


@dataclass
class ScaleOut:
    """What one run leaves behind, for the reader and for the tests."""
    start: dict           # the module's weights before training: PyTorch name → array
    ranks: list           # rank r's final weights, ranks[r]: PyTorch name → array
    module: object        # the torch.nn.Module, holding rank 0's final weights
    model: object         # the nanoae model from_torch filled with them
    error_before: float   # test error of the untrained model
    error_after: float    # test error of the model that came back


def free_port() -> int:
    """A TCP port nobody listens on: binding to port 0 lets the operating system pick one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_rank(rank, world_size, port, module, images, steps, seed, folder):
    """One process of the group: DDP training on this rank's shard, its final weights written to ``folder``."""
    torch.set_num_threads(1)                              # the ranks share this computer's cores
    # torch.multiprocessing hands tensors to the processes it spawns in shared memory: every rank would
    # step the one storage.  Each takes weights of its own, as a separate machine would have.
    module = copy.deepcopy(module)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    try:
        ddp = DistributedDataParallel(module)             # broadcasts rank 0's weights: every rank starts equal
        data = TensorDataset(torch.from_numpy(images))    # (4000, 784) uint8, the whole training set
        shard = DistributedSampler(data, num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
        loader = DataLoader(data, batch_size=BATCH_SIZE, sampler=shard)
        optimizer = torch.optim.Adam(ddp.parameters(), lr=LEARNING_RATE)
        step, epoch = 0, 0
        while step < steps:
            shard.set_epoch(epoch)                        # a fresh shuffle each epoch, the same on every rank
            for (batch,) in loader:
                x = batch.float() / 255.0                 # (64, 784) in [0, 1]
                loss = F.mse_loss(ddp(x), x)              # 1/784 ‖x − x̂‖², averaged over the batch
                optimizer.zero_grad()
                loss.backward()                           # DDP averages the gradients over the ranks here
                optimizer.step()                          # the same step on every rank
                step += 1
                if step == steps:
                    break
            epoch += 1
        final = {name: value.detach().numpy() for name, value in module.state_dict().items()}
        np.savez(Path(folder) / f"rank{rank}.npz", **final)
    finally:
        dist.destroy_process_group()


def check_ranks_agree(ranks: list) -> None:
    """Every rank's final weights equal rank 0's bit for bit, or an AssertionError names the first that differs."""
    for rank, weights in enumerate(ranks[1:], start=1):
        for name, value in weights.items():
            if value.tobytes() != ranks[0][name].tobytes():
                difference = np.abs(value - ranks[0][name]).max()
                raise AssertionError(f"rank {rank}'s {name} differs from rank 0's (by up to {difference:.3g}): "
                                     "the copies drifted apart, which DDP should never let happen")


def reconstruction_error(model, data) -> float:
    """Σ_i (x_i − x̂_i)² over an image's pixels, averaged over the images of ``data``."""
    x = data.floats()                                     # (N, 784) in [0, 1]
    return squared_error_per_image(backend.to_numpy(x), backend.to_numpy(model.forward(x)))


def run(steps: int = 200, world_size: int = 2, seed: int = 0, out=None) -> ScaleOut:
    """Steps 1–6 above; nanoae works in float32 meanwhile (as PyTorch trains here), its backend restored after."""
    with backend.using("numpy", dtype="float32", seed=seed):
        return _run(steps, world_size, seed, out)


def _run(steps, world_size, seed, out) -> ScaleOut:
    """The six steps, in order (the numbers in the comments are the module docstring's)."""
    train, test = load_mnist_5k()
    model = lecture_autoencoder()                                             # 1. nanoae
    error_before = reconstruction_error(model, test)
    module = to_torch(model)                                                  # 2. across to PyTorch
    start = {name: value.detach().numpy().copy() for name, value in module.state_dict().items()}

    port = free_port()                                                        # 3. the process group
    print(f"Training on {world_size} processes (gloo, 127.0.0.1:{port}), {steps} steps of "
          f"{world_size} × {BATCH_SIZE} images ...")
    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(train_rank, args=(world_size, port, module, train.images, steps, seed, folder),
                 nprocs=world_size)                                           # 4. returns when every rank is done
        ranks = []
        for rank in range(world_size):
            with np.load(Path(folder) / f"rank{rank}.npz") as saved:
                ranks.append({name: saved[name] for name in saved.files})

    check_ranks_agree(ranks)                                                  # 5. one model, not world_size
    numbers = sum(value.size for value in ranks[0].values())
    print(f"The {world_size} ranks' final weights are bit-identical ({len(ranks[0])} tensors, "
          f"{numbers:,} numbers each): DDP kept them in sync.\n")

    module.load_state_dict({name: torch.from_numpy(value) for name, value in ranks[0].items()})
    model = from_torch(module)                                                # 6. back to nanoae
    x = test.floats([WALK_INDEX])[0]                                          # (784,)
    print(f"Test image #{WALK_INDEX} (label {test.labels[WALK_INDEX]}), through the model that came back:\n")
    print(walk(model, x))
    error_after = reconstruction_error(model, test)
    print(f"\nTest error, Σ (x − x̂)² per image: {error_before:.2f} before training, {error_after:.2f} after")
    if out is not None:
        save_model(model, out)
        print(f"Saved the model to {out}")
    return ScaleOut(start, ranks, module, model, error_before, error_after)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Train a nanoae model with PyTorch's DistributedDataParallel "
                                                 "on CPU processes, then bring it back and walk it.")
    parser.add_argument("--steps", type=positive_int, default=200, help="optimiser steps (default 200)")
    parser.add_argument("--world-size", type=positive_int, default=2, help="training processes (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the initial weights and the shuffle")
    parser.add_argument("--out", default=None, help="save the trained model here (a nanoae .npz)")
    args = parser.parse_args(argv)
    if torch is None:
        print("examples/scale_out.py needs PyTorch: pip install torch (the CPU build is enough)", file=sys.stderr)
        return 1
    run(args.steps, args.world_size, args.seed, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
