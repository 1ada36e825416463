"""Checked before allocated: sizes, files and work multipliers beyond nanoae's limits are refused first.

Each refusal must come before the model is built, before the data are loaded, before a file's arrays
are decompressed: the tests make those steps fail loudly (or measure the memory taken) to prove it.
"""
import gzip
import json
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from dataclasses import asdict

import numpy as np
import pytest

from nanoae import limits
from nanoae.cli import main
from nanoae.data import DataError, read_idx
from nanoae.models import ModelFileError, load_model, sizes
from nanoae.runs import TrainConfig, VAEConfig
from nanoae.runs.hinton2006 import CONFIG_FILE, PretrainConfig, read_config


def never_started(*args, **kwargs):
    raise AssertionError("the run got past its checks: it started loading data and building the model")


@pytest.fixture
def no_run(monkeypatch):
    """Every recipe's set-up (backend, data, then the model), and ``smoke``, fail the test if reached."""
    import nanoae.apps.denoising
    import nanoae.apps.reduction
    import nanoae.cli.commands
    import nanoae.cli.smoke
    import nanoae.runs.autoencoder
    import nanoae.runs.hinton2006
    import nanoae.runs.vae
    for module in (nanoae.runs.autoencoder, nanoae.runs.vae, nanoae.runs.hinton2006):
        monkeypatch.setattr(module, "start_from", never_started)
    for module in (nanoae.apps.reduction, nanoae.apps.denoising):
        monkeypatch.setattr(module, "start", never_started)
    monkeypatch.setattr(nanoae.cli.smoke, "smoke", never_started)


def refused(capsys, argv, *phrases) -> str:
    """Run the command line; it must exit 2 with a one-line error holding every phrase."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    for phrase in phrases:
        assert phrase in err, err
    return err


# --- model sizes -----------------------------------------------------------------------------------------------

HUGE = [
    ("dense", ["train", "--sizes", "784,100000000,2"], ["--sizes 784,100000000,2 describes 1.6e+11 parameters",
                                                         "MAX_PARAMETERS", "choose smaller sizes"]),
    ("conv", ["train", "--arch", "conv", "--channels", "100000,100000", "--sizes", "784,2"],
     ["--channels 100000,100000 with code size 2 describes", "choose smaller sizes"]),
    ("vae", ["train", "--model", "vae", "--sizes", "784,1000000,1000,2"], ["--sizes 784,1000000,1000,2 describes"]),
    ("batch", ["train", "--sizes", "784,10000,2", "--batch-size", "1000000"],
     ["with a batch size of 1,000,000 needs about", "of activations per batch", "smaller batch size"]),
    ("reduce", ["reduce", "--hidden", "100000000"], ["--hidden 100000000 with code size 2 describes"]),
    ("pretrain", ["pretrain", "--sizes", "784,100000,10000,30"], ["--sizes 784,100000,10000,30 describes"]),
]


@pytest.mark.parametrize("argv, phrases", [row[1:] for row in HUGE], ids=[row[0] for row in HUGE])
def test_sizes_beyond_the_limits_are_refused_before_the_run_starts(tmp_path, capsys, no_run, argv, phrases):
    out = tmp_path / "run"
    refused(capsys, [*argv, "--out", str(out), "--quiet", "--no-figures"], *phrases)
    assert not out.exists()


def test_huge_sizes_under_a_memory_limit_end_in_the_error_not_in_memory_error(tmp_path):
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
            "from nanoae.cli import main; sys.exit(main(sys.argv[1:]))")
    argv = ["train", "--sizes", "784,100000000,2", "--out", str(tmp_path / "run"), "--quiet", "--no-figures"]
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: --sizes 784,100000000,2 describes") and "MemoryError" not in result.stderr


def test_the_defaults_are_far_inside_the_limits():
    for config in (TrainConfig(), TrainConfig(arch="conv", sizes=[784, 2]), VAEConfig(), PretrainConfig(),
                   TrainConfig(batch_size=4000), PretrainConfig(batch_size=1000, adam_batch_size=1000)):
        config.validate()
    lecture = sizes.check_model(TrainConfig().model_description()[0], 64, "the lecture's network")
    hinton = sizes.check_model({"arch": "dense", "sizes": [784, 1000, 500, 250, 30], "hidden": "sigmoid",
                                 "output": "sigmoid", "tied": False}, 100, "784-1000-500-250-30")
    assert lecture < 300_000 and hinton < 3_000_000 < limits.MAX_PARAMETERS


def test_a_checkpoint_whose_saved_sizes_are_huge_is_refused_before_building(tmp_path, capsys, monkeypatch):
    from nanoae.training.checkpoint import _checksum
    out = tmp_path / "run"
    assert main(["train", "--epochs", "1", "--sizes", "784,8,2", "--batch-size", "500", "--checkpoint-every", "1",
                 "--no-figures", "--quiet", "--out", str(out)]) == 0
    path = out / "checkpoint.npz"
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(str(arrays.pop("meta")))
    arrays.pop("checksum")
    meta["config"]["sizes"] = [784, 100_000_000, 2]
    text = json.dumps(meta)
    np.savez(path, meta=np.array(text), checksum=np.array(_checksum(arrays, text)), **arrays)   # a valid checksum
    import nanoae.runs.autoencoder
    monkeypatch.setattr(nanoae.runs.autoencoder, "start_from", never_started)
    refused(capsys, ["train", "--resume", str(out), "--epochs", "2", "--quiet"], "--sizes 784,100000000,2 describes")


def test_a_pretraining_configuration_with_huge_sizes_is_refused_when_read(tmp_path, capsys, no_run):
    run = tmp_path / "run"
    run.mkdir()
    (run / CONFIG_FILE).write_text(json.dumps(asdict(PretrainConfig(sizes=[784, 100_000, 10_000, 30]))))
    with pytest.raises(ValueError, match=f"{CONFIG_FILE}: --sizes 784,100000,10000,30 describes"):
        read_config(run)
    refused(capsys, ["pretrain", "--resume", str(run), "--quiet", "--no-figures"], CONFIG_FILE, "describes")


def test_a_saved_configuration_with_endless_epochs_is_refused_when_read(tmp_path, capsys, no_run):
    run = tmp_path / "run"
    run.mkdir()
    (run / CONFIG_FILE).write_text(json.dumps(asdict(PretrainConfig()) | {"rbm_epochs": 10**9}))
    with pytest.raises(ValueError, match=f"{CONFIG_FILE}: rbm_epochs must be an integer from 0 to 100,000"):
        read_config(run)
    with pytest.raises(ValueError, match="epochs must be an integer from 0 to 100,000 .nanoae.limits.MAX_EPOCHS."):
        TrainConfig(epochs=10**9).validate()


# --- work multipliers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, option", [
    (["train", "--model", "vae", "--iw-samples", "1,1000000000"], "--iw-samples"),
    (["train", "--model", "vae", "--iw-samples", ",".join(["5"] * 11)], "--iw-samples"),
    (["reduce", "--code-sizes", ",".join(map(str, range(1, 12)))], "--code-sizes"),
    (["denoise", "--levels", ",".join(["0.1"] * 51)], "--levels"),
    (["smoke", "--steps", "1000000000"], "--steps"),
    (["train", "--epochs", "99999999999999999999999"], "--epochs"),
    (["pretrain", "--rbm-epochs", "1000000000"], "--rbm-epochs"),
], ids=["iw-samples k", "iw-samples count", "code-sizes count", "levels count", "smoke steps", "epochs",
        "rbm epochs"])
def test_options_that_multiply_the_work_have_an_upper_bound(tmp_path, capsys, no_run, argv, option):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--out", str(tmp_path / "run")] if argv[0] != "smoke" else argv)
    assert exit_.value.code == 2
    assert f"argument {option}: expected" in capsys.readouterr().err


@pytest.mark.parametrize("argv, option", [(["anomaly", "--classes", "0,3,0"], "--classes"),
                                          (["reduce", "--code-sizes", "2,30,2"], "--code-sizes")])
def test_a_model_to_train_named_twice_is_an_option_error(capsys, no_run, argv, option):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--quiet"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"argument {option}: expected" in err and "each once" in err, err


def test_a_saved_configuration_with_too_many_importance_samples_is_refused():
    with pytest.raises(ValueError, match="--iw-samples .* between 1 and 5000; got \\[1000000000\\]"):
        VAEConfig(iw_samples=[10**9]).validate()


# --- files that decompress to more than they declare -----------------------------------------------------------

def peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_npz_member_that_decompresses_beyond_the_limit_is_refused_unexpanded(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    np.savez_compressed(path, bomb=np.zeros(64 << 20, dtype=np.uint8))        # 64 MiB in 64 KiB
    assert path.stat().st_size < 1 << 20
    monkeypatch.setattr(limits, "memory_budget", lambda: 16 << 20)

    def load():
        with pytest.raises(ModelFileError, match="refused: bomb.npy decompresses to 64.0 MiB .* more than "
                                                 "nanoae's limit of 16.0 MiB") as caught:
            load_model(path)
        assert "binary" not in str(caught.value)
    assert peak_bytes(load) < 4 << 20


def test_npz_members_together_beyond_the_limit_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    np.savez_compressed(path, a=np.zeros(10 << 20, dtype=np.uint8), b=np.zeros(10 << 20, dtype=np.uint8))
    monkeypatch.setattr(limits, "memory_budget", lambda: 16 << 20)
    with pytest.raises(ModelFileError, match="refused: b.npy decompresses to 10.0 MiB .* more than the 6.0 MiB left "
                                             "of nanoae's limit of 16.0 MiB"):
        load_model(path)


def test_an_npz_member_stored_twice_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, a=np.zeros(3))
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        with archive.open("a.npy", "w") as member:
            np.lib.format.write_array(member, np.ones(3))
    with pytest.raises(ModelFileError, match="holds 'a.npy' twice"):
        load_model(path)


def idx_header(shape) -> bytes:
    return bytes([0, 0, 8, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)


def test_an_idx_gzip_whose_forged_trailer_agrees_with_a_16_gib_header_is_refused_unallocated(tmp_path):
    shape = (1 << 22, 64, 64)                                             # 2^34 bytes: 16 GiB
    packed = bytearray(gzip.compress(idx_header(shape) + bytes(1 << 16)))
    packed[-4:] = struct.pack("<I", (16 + (1 << 34)) % (1 << 32))        # the trailer agrees with the header
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(bytes(packed))

    def load():
        with pytest.raises(DataError, match=r"refused: the header declares shape \(4194304, 64, 64\), 16.0 GiB"):
            read_idx(path)
    assert peak_bytes(load) < 4 << 20


@pytest.mark.parametrize("make", [
    lambda content: gzip.compress(b"") + gzip.compress(content),          # gzip reads this as one stream
    lambda content: gzip.compress(content) + struct.pack("<I", len(content)),
], ids=["two members", "trailing bytes"])
def test_an_idx_gzip_of_several_members_or_with_trailing_bytes_is_refused(tmp_path, make):
    content = idx_header((3,)) + bytes([0, 1, 2])
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(make(content))
    with pytest.raises(DataError, match="bytes follow the gzip data .* exactly one member"):
        read_idx(path)


def test_the_importance_sampled_log_likelihood_says_what_it_is_doing_unless_quiet(tmp_path, capsys):
    """log p(x) with k = 5000 samples takes minutes: each k gets a line of progress first (none with --quiet)."""
    options = ["train", "--model", "vae", "--sizes", "784,16,2", "--epochs", "1", "--batch-size", "500",
               "--iw-samples", "1,3", "--no-figures"]
    assert main([*options, "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "log p(x) with k = 1 importance samples" in err and "log p(x) with k = 3 importance samples" in err, err
    assert main([*options, "--quiet", "--out", str(tmp_path / "b")]) == 0
    assert "importance samples" not in capsys.readouterr().err
