"""Checkpoints: exact resume, pickle-free loading, clear errors, and saves that never leave a broken file."""
import json
import zipfile

import numpy as np
import pytest

from nanoae import backend
from nanoae.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from nanoae.data import load_mnist_5k
from nanoae.models import lecture_autoencoder, lecture_vae
from nanoae.training.objectives import ELBO, Reconstruction
from nanoae.data.corruption import GaussianNoise
from nanoae.losses import MSELoss
from nanoae.optim import Adam
from nanoae.training import fit


@pytest.fixture(scope="module")
def small():
    train, test = load_mnist_5k()
    return train.subset(np.arange(0, 4000, 10)), test.subset(np.arange(0, 1000, 10))


def run(small, make_model, make_objective, epochs, name="numpy", seed=0, **options):
    with backend.using(name, dtype="float32", seed=seed):
        model = make_model()
        history = fit(model, *small, objective=make_objective(), epochs=epochs, batch_size=40, progress=False,
                      **options)
        weights = {k: backend.to_numpy(v).copy() for k, v in model.named_parameters().items()}
    return history, weights


CASES = {
    "autoencoder": (lecture_autoencoder, lambda: Reconstruction(MSELoss())),
    "denoising (noise drawn every batch)": (lecture_autoencoder,
                                            lambda: Reconstruction(MSELoss(), corruption=GaussianNoise(0.3))),
    "VAE (ε drawn every batch)": (lecture_vae, lambda: ELBO(warmup_epochs=3)),
}


@pytest.mark.parametrize("case", CASES)
def test_resumed_run_reproduces_the_uninterrupted_one_bit_for_bit(small, tmp_path, case):
    make_model, make_objective = CASES[case]
    uninterrupted, weights = run(small, make_model, make_objective, epochs=4)
    run(small, make_model, make_objective, epochs=2, checkpoint=tmp_path / "ck.npz")        # "interrupted" after 2
    resumed, resumed_weights = run(small, make_model, make_objective, epochs=4, seed=99,    # another seed: all restored
                                   resume=tmp_path / "ck.npz")
    assert resumed.train_loss == uninterrupted.train_loss and resumed.test_loss == uninterrupted.test_loss
    assert resumed.train_terms == uninterrupted.train_terms
    for name in weights:
        np.testing.assert_array_equal(resumed_weights[name], weights[name])


def test_checkpoint_from_the_emulated_device_resumes_on_numpy(small, tmp_path):
    make_model, make_objective = CASES["autoencoder"]
    uninterrupted, _ = run(small, make_model, make_objective, epochs=3)
    run(small, make_model, make_objective, epochs=1, name="emulated", checkpoint=tmp_path / "ck.npz")
    resumed, _ = run(small, make_model, make_objective, epochs=3, resume=tmp_path / "ck.npz")
    assert resumed.train_loss == uninterrupted.train_loss


def test_checkpoint_every_n_epochs_and_the_last(small, tmp_path):
    saved = []
    make_model, make_objective = CASES["autoencoder"]
    run(small, make_model, make_objective, epochs=5, checkpoint=tmp_path / "ck.npz", checkpoint_every=2,
        on_epoch=lambda epoch, h: saved.append(load_checkpoint(tmp_path / "ck.npz").epoch
                                               if (tmp_path / "ck.npz").exists() else None))
    assert saved == [None, 2, 2, 4, 5]


ONE_EPOCH = {"train_loss": [0.1], "test_loss": [None], "train_terms": {}, "test_terms": {}, "epoch_seconds": [1.0],
             "samples_per_second": [100.0]}


def checkpoint_file(tmp_path):
    model = lecture_autoencoder()
    optimizer = Adam(model)
    path = tmp_path / "ck.npz"
    save_checkpoint(path, model, optimizer, epoch=1, history=ONE_EPOCH, config={"a": 1},
                    batches_rng_state=np.random.default_rng(0).bit_generator.state)
    return path


def rewrite(path, change):
    """Rewrite the archive with ``change(name, bytes) -> bytes or None`` applied to every member."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            data = change(name, data)
            if data is not None:
                z.writestr(name, data)


def test_a_good_checkpoint_loads(tmp_path):
    saved = load_checkpoint(checkpoint_file(tmp_path))
    assert saved.epoch == 1 and saved.meta["config"] == {"a": 1} and "encoder.0.W" in saved.params


@pytest.mark.parametrize("damage, message", [
    (lambda name, data: data[:-40] if name == "param/decoder.4.W.npy" else data,
     r"param/decoder.4.W.npy declares shape \(784, 128\) \(802816 bytes\) but holds 802776 bytes"),
    (lambda name, data: None if name == "param/decoder.4.b.npy" else data, "checksum mismatch"),
    (lambda name, data: data[:-8] + bytes([data[-8] ^ 1]) + data[-7:] if name == "meta.npy" else data,
     "checksum mismatch"),                                              # one character of the JSON changed
    (lambda name, data: None if name == "checksum.npy" else data, "no meta or checksum entry"),
])
def test_damaged_checkpoints_are_clear_errors(tmp_path, damage, message):
    path = checkpoint_file(tmp_path)
    rewrite(path, damage)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_a_checkpoint_with_a_pickled_object_is_refused(tmp_path):
    np.savez(tmp_path / "evil.npz", meta=np.array([{"code": "runs"}], dtype=object), checksum=np.array("x"))
    with pytest.raises(CheckpointError, match="meta.npy holds Python objects .pickled data.; nanoae never loads"):
        load_checkpoint(tmp_path / "evil.npz")


def test_another_version_is_refused(tmp_path, monkeypatch):
    import nanoae.training.checkpoint as module
    monkeypatch.setattr(module, "VERSION", 99)
    path = checkpoint_file(tmp_path)
    monkeypatch.setattr(module, "VERSION", 1)
    with pytest.raises(CheckpointError, match="version 99; this nanoae reads 'nanoae-checkpoint' version 1"):
        load_checkpoint(path)


def test_an_interrupted_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = checkpoint_file(tmp_path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt          # the user pressing Ctrl-C in the middle of writing

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint_file(tmp_path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["ck.npz"]


def test_resume_into_another_model_is_a_clear_error(small, tmp_path):
    make_model, make_objective = CASES["autoencoder"]
    run(small, make_model, make_objective, epochs=1, checkpoint=tmp_path / "ck.npz")
    with pytest.raises(CheckpointError, match="does not fit this model"):
        run(small, lecture_vae, lambda: ELBO(), epochs=2, resume=tmp_path / "ck.npz")


def test_checkpoint_meta_is_plain_json(tmp_path):
    with np.load(checkpoint_file(tmp_path), allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
    assert meta["format"] == "nanoae-checkpoint" and meta["optimizer"]["class"] == "Adam"
