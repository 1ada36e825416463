"""On a GPU every read of a device value waits for all queued kernels: ``fit`` sums the loss and its terms where
the arrays are and reads them once an epoch (issue #31, part 1).  The emulated device counts as CuPy does, so
the reads are counted there: they must not grow with the number of steps, for either engine."""
import numpy as np
import pytest

from nanoae import backend, emulated
from nanoae.data import ImageDataset
from nanoae.models import dense_autoencoder, dense_vae
from nanoae.training import ELBO, DivergedError, fit
from nanoae.optim import SGD

READS = ("__float__", "__int__", "__bool__", "__format__", "to_host")


@pytest.fixture
def reads(monkeypatch):
    """How many times a device value was read back to the host, by any of READS."""
    counter = {"reads": 0}
    for name in READS:
        original = getattr(emulated.EmulatedArray, name)

        def counted(self, *args, _original=original, **kwargs):
            counter["reads"] += 1
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(emulated.EmulatedArray, name, counted)
    return counter


def digits(n):
    return ImageDataset(np.random.default_rng(0).integers(0, 256, (n, 16)).astype(np.uint8), np.zeros(n, np.int64))


def reads_in_a_fit(reads, kind, engine, steps):
    with backend.using("emulated", dtype="float32", seed=0):
        model = dense_vae([16, 8, 2]) if kind == "vae" else dense_autoencoder([16, 8, 2])
        objective = ELBO() if kind == "vae" else None
        before = reads["reads"]
        fit(model, digits(8 * steps), epochs=2, batch_size=8, objective=objective, progress=False, engine=engine)
        return reads["reads"] - before


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("kind", ["autoencoder", "vae"])
def test_reads_from_the_device_do_not_grow_with_the_steps(reads, kind, engine):
    few, many = reads_in_a_fit(reads, kind, engine, 3), reads_in_a_fit(reads, kind, engine, 24)
    assert few == many, f"{few} reads for 3 steps an epoch, {many} for 24"
    assert many <= 2 * 6                                   # per epoch: the loss and (the VAE's) three terms, at most


def test_divergence_on_the_device_is_caught_at_the_end_of_the_epoch_with_its_number():
    with backend.using("emulated", dtype="float32", seed=0):
        model = dense_autoencoder([16, 8, 2], output="identity")
        with pytest.raises(DivergedError, match=r"training diverged in epoch 1 \(on emulated the loss is checked "
                                                r"once an epoch, at its end\): the epoch's loss became (nan|inf)"):
            fit(model, digits(64), epochs=3, batch_size=8, optimizer=SGD(model, lr=1e6), progress=False)


def test_on_numpy_every_step_is_still_checked_before_the_update():
    """A read costs nothing on the CPU: the step whose loss is not finite is named."""
    with backend.using("numpy", dtype="float32", seed=0):
        model = dense_autoencoder([16, 8, 2], output="identity")
        with pytest.raises(DivergedError, match=r"training diverged at epoch 1, step \d+: the loss became"):
            fit(model, digits(64), epochs=3, batch_size=8, optimizer=SGD(model, lr=1e6), progress=False)
