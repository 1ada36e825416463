"""Hardening: no stranded run, no traceback, nothing loaded that was not checked.

Each class of failure a user met (issue 16) is here, as the user met it: through the
command line where that is how it happened, through the Python API otherwise.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nanoae import backend
from nanoae.cli import main
from nanoae.data import DataError, ImageDataset, read_idx
from nanoae.models import ModelFileError, lecture_autoencoder, load_model, save_model
from nanoae.runs import TrainConfig, run_training
from nanoae.training import CheckpointError, load_checkpoint

FAST = ["--sizes", "784,16,2", "--batch-size", "500", "--no-figures"]      # a small run: seconds


def train(out, *extra):
    return main(["train", "--epochs", "1", *FAST, "--out", str(out), *extra])


def files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --- runs that can always be finished or restarted -----------------------------------------------------------

def test_an_interrupt_after_the_last_checkpoint_is_finished_by_resume(tmp_path, monkeypatch, capsys):
    import nanoae.runs.autoencoder as recipe

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(recipe, "save_model", interrupted)          # Ctrl-C after training, before model.npz
        assert main(["train", "--epochs", "2", "--checkpoint-every", "1", *FAST, "--out", str(out)]) == 130
    message = capsys.readouterr().err
    assert files(out) == ["checkpoint.npz"]
    assert f"{out} holds checkpoint.npz; carry on (or finish) with: python -m nanoae train --resume {out}" in message
    assert main(["train", "--resume", str(out), "--no-figures"]) == 0  # no --epochs needed: it finishes the run
    printed = capsys.readouterr()
    assert f"Finishing {out}: training ended at epoch 2" in printed.out
    assert files(out) == ["checkpoint.npz", "metrics.json", "model.npz", "walk.txt"]
    assert len(json.loads((out / "metrics.json").read_text())["history"]["train_loss"]) == 2
    assert main(["train", "--resume", str(out)]) == 2
    assert "nothing to resume: the run is complete" in capsys.readouterr().err


def test_an_interrupt_before_anything_was_written_leaves_no_folder(tmp_path, monkeypatch, capsys):
    import nanoae.runs.autoencoder as recipe

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(recipe, "fit", interrupted)
    out = tmp_path / "new" / "run"
    assert train(out) == 130
    assert "interrupted; nothing was written for this run" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()                         # the folders it made are gone again


def test_a_run_without_checkpoints_says_it_cannot_be_resumed(tmp_path, monkeypatch, capsys):
    import nanoae.runs.autoencoder as recipe

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(recipe, "write_json", interrupted)         # after model.npz, before metrics.json
    out = tmp_path / "run"
    assert train(out) == 130
    assert "holds model.npz, walk.txt but no checkpoint to resume from" in capsys.readouterr().err


def test_a_save_killed_midway_blocks_neither_a_restart_nor_a_resume(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".checkpoint.npz.k3j9x_1.tmp").write_bytes(b"half a checkpoint")      # killed during the first save
    assert main(["train", "--resume", str(out)]) == 2
    assert "no such checkpoint" in capsys.readouterr().err
    assert train(out) == 0                                          # a fresh start in that folder is fine
    assert files(out) == ["metrics.json", "model.npz", "walk.txt"]  # and the leftover is gone


def test_a_resume_cleans_up_leftover_temporary_files(tmp_path):
    out = tmp_path / "run"
    assert train(out, "--checkpoint-every", "1") == 0
    (out / ".model.npz.zz81.tmp").write_bytes(b"x")
    assert main(["train", "--resume", str(out), "--epochs", "2"]) == 0
    assert not any(name.endswith(".tmp") for name in os.listdir(out))


@pytest.mark.parametrize("where", ["under a file", "under /proc"])
def test_an_unwritable_run_folder_is_refused_before_training(tmp_path, monkeypatch, capsys, where):
    import nanoae.runs.autoencoder as recipe

    def must_not_train(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr(recipe, "fit", must_not_train)
    (tmp_path / "a-file").write_text("x")
    out = tmp_path / "a-file" / "run" if where == "under a file" else "/proc/nanoae-run"
    assert train(out) == 2
    assert f"cannot write to the run folder {out}" in capsys.readouterr().err


def test_a_file_given_as_the_run_folder_is_refused(tmp_path, capsys):
    (tmp_path / "run").write_text("x")
    assert train(tmp_path / "run") == 2
    assert "is a file; choose another --out" in capsys.readouterr().err


# --- files are checked, not trusted --------------------------------------------------------------------------

def saved_model(tmp_path):
    path = tmp_path / "model.npz"
    save_model(lecture_autoencoder(), path)
    return path


def rewrite_npz(path, change):
    """Rewrite an .npz with ``change(arrays)`` applied to its dict of arrays (np.savez, uncompressed)."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    change(arrays)
    np.savez(path, **arrays)


def config_change(**changes):
    def change(arrays):
        config = json.loads(str(arrays["__config__"]))
        config.update(changes)
        arrays["__config__"] = np.array(json.dumps(config))
    return change


MODEL_FILE_DAMAGE = [
    ("config without sizes", lambda a: a.update(__config__=np.array(json.dumps({"arch": "dense"}))),
     "the configuration has no 'sizes'"),
    ("config is a list", lambda a: a.update(__config__=np.array("[1, 2]")), "should be a JSON object, found list"),
    ("config is not JSON", lambda a: a.update(__config__=np.array("{arch: dense")), "is not valid JSON"),
    ("unknown kind of model", config_change(arch="transformer"), "'arch' should be 'dense', 'conv' or 'vae'"),
    ("sizes that need hundreds of GiB", config_change(sizes=[784, 200_000, 200_000, 2]),
     "describes 80,315,200,786 parameters but the file holds 218,514"),
    ("weights as integers", lambda a: a.update({"encoder.0.W": a["encoder.0.W"].astype(np.int32)}),
     "encoder.0.W is stored as int32"),
    ("weights as booleans", lambda a: a.update({"encoder.0.b": a["encoder.0.b"] > 0}), "encoder.0.b is stored as bool"),
    ("weights as float16", lambda a: a.update({"decoder.4.W": a["decoder.4.W"].astype(np.float16)}),
     "decoder.4.W is stored as float16"),
    ("weights as complex", lambda a: a.update({"encoder.2.W": a["encoder.2.W"].astype(np.complex64)}),
     "encoder.2.W is stored as complex64"),
    ("NaN weights", lambda a: a["encoder.4.W"].__setitem__((0, 0), np.nan), "encoder.4.W holds NaN or infinite"),
    ("an infinite bias", lambda a: a["decoder.0.b"].__setitem__(3, np.inf), "decoder.0.b holds NaN or infinite"),
    ("a wrong shape", lambda a: a.update({"encoder.4.W": a["encoder.4.W"].T.copy()}),
     r"encoder.4.W has shape \(64, 2\), expected \(2, 64\)"),
]


@pytest.mark.parametrize("what, change, message", MODEL_FILE_DAMAGE, ids=[row[0] for row in MODEL_FILE_DAMAGE])
def test_a_damaged_model_file_is_a_one_line_error_naming_the_file(tmp_path, what, change, message):
    path = saved_model(tmp_path)
    rewrite_npz(path, change)
    with pytest.raises(ModelFileError, match=message) as caught:
        load_model(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_sizes_that_need_hundreds_of_gib_are_never_allocated(tmp_path, monkeypatch):
    import nanoae.models.saving as saving

    def must_not_build(config):
        raise AssertionError("the model was built")
    path = saved_model(tmp_path)
    rewrite_npz(path, config_change(sizes=[784, 10**6, 10**6, 2]))
    monkeypatch.setattr(saving, "from_config", must_not_build)
    with pytest.raises(ModelFileError, match="describes"):
        load_model(path)


def test_walking_a_model_with_nan_weights_is_an_error_not_nan_output(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    path = saved_model(run)
    rewrite_npz(path, lambda a: a["decoder.4.b"].__setitem__(0, np.nan))
    assert main(["walk", "--run", str(run)]) == 2
    assert "decoder.4.b holds NaN or infinite values" in capsys.readouterr().err


def a_checkpoint(tmp_path):
    out = tmp_path / "run"
    assert train(out, "--checkpoint-every", "1") == 0
    return out, out / "checkpoint.npz"


def rewrite_checkpoint(path, change_meta=None, change_arrays=None):
    """Rewrite a checkpoint with its meta or arrays changed and a matching checksum: integrity is not trust."""
    from nanoae.training.checkpoint import _checksum
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(str(arrays.pop("meta")))
    arrays.pop("checksum")
    if change_meta:
        meta = change_meta(meta)
    if change_arrays:
        change_arrays(arrays)
    text = json.dumps(meta)
    np.savez(path, meta=np.array(text), checksum=np.array(_checksum(arrays, text)), **arrays)


CHECKPOINT_DAMAGE = [
    ("meta without the epoch", lambda m: {k: v for k, v in m.items() if k != "epoch"}, None,
     "meta has no 'epoch'"),
    ("meta is a list", lambda m: [m], None, "the meta should be a JSON object, found list"),
    ("optimizer entry missing", lambda m: {**m, "optimizer": None}, None,
     "meta.optimizer should be a JSON object, found null"),
    ("history of the wrong length", lambda m: {**m, "history": {**m["history"], "train_loss": []}}, None,
     "the history's train_loss should list one finite number per epoch"),
    ("a history value that is text", lambda m: {**m, "history": {**m["history"], "epoch_seconds": ["1.5"]}}, None,
     r"meta.history.epoch_seconds\[0\] should be a finite number, found the string '1.5'"),
    ("generator states missing", lambda m: {**m, "rng": {}}, None, "meta.rng has no 'backend'"),
    ("configuration a list", lambda m: {**m, "config": [1]}, None, "meta.config should be a JSON object, found a list"),
    ("NaN weights", None, lambda a: a["param/encoder.0.W"].__setitem__((0, 0), np.nan),
     "param/encoder.0.W holds NaN or infinite values"),
    ("integer optimizer state", None, lambda a: a.update({"optim/encoder.0.b/m": a["optim/encoder.0.b/m"].astype(int)}),
     "optim/encoder.0.b/m is stored as int64"),
    ("an unexpected array", None, lambda a: a.update({"extra": np.zeros(3)}), r"unexpected arrays \['extra'\]"),
]


@pytest.mark.parametrize("what, meta, arrays, message", CHECKPOINT_DAMAGE, ids=[row[0] for row in CHECKPOINT_DAMAGE])
def test_a_damaged_checkpoint_with_a_matching_checksum_is_still_refused(tmp_path, capsys, what, meta, arrays, message):
    out, path = a_checkpoint(tmp_path)
    rewrite_checkpoint(path, meta, arrays)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)
    before = {name: (out / name).read_bytes() for name in files(out)}
    assert main(["train", "--resume", str(out), "--epochs", "2"]) == 2          # through the command line too
    err = capsys.readouterr().err
    assert f"error: {path}: " in err and "Traceback" not in err and "learning rate" not in err
    assert {name: (out / name).read_bytes() for name in files(out)} == before    # the run folder unchanged


def test_a_checkpoint_without_a_known_model_kind_is_refused_by_resume(tmp_path, capsys):
    out, path = a_checkpoint(tmp_path)
    rewrite_checkpoint(path, lambda m: {**m, "config": {k: v for k, v in m["config"].items() if k != "model"}})
    assert main(["train", "--resume", str(out), "--epochs", "2"]) == 2
    assert "the saved configuration names no model" in capsys.readouterr().err


def test_an_idx_header_is_measured_against_the_file_before_anything_is_allocated(tmp_path, monkeypatch):
    import nanoae.data.idx as idx
    header = bytes([0, 0, 8, 3]) + (20_000_000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(header + bytes(28 * 28 * 3))
    original = idx.np.empty

    def small_only(shape, *args, **kwargs):
        assert np.prod(shape) < 10**7, f"allocated {shape}"
        return original(shape, *args, **kwargs)
    monkeypatch.setattr(idx.np, "empty", small_only)
    with pytest.raises(DataError, match=r"truncated: the header declares shape \(20000000, 28, 28\)"):
        read_idx(path)


# --- messages that say the right thing -----------------------------------------------------------------------

def test_a_text_file_where_an_npz_belongs_is_called_what_it_is(tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("hello, I am a text file\n")
    with pytest.raises(ModelFileError, match="not a nanoae model file: an .npz file is a zip archive, and this one "
                                             "starts with b'hell'"):
        load_model(path)


def test_a_negative_seed_names_the_option(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--seed", "-1"])
    assert "argument --seed: expected an integer ≥ 0, got -1" in capsys.readouterr().err


def test_walk_on_a_run_whose_metrics_lack_a_configuration(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    saved_model(run)
    (run / "metrics.json").write_text(json.dumps({"history": {}}))
    assert main(["walk", "--run", str(run)]) == 2
    assert "metrics.json does not say which data set the model was trained on; pass --dataset" in \
        capsys.readouterr().err
    assert main(["walk", "--run", str(run), "--dataset", "mnist-5k"]) == 0


def test_a_closed_pipe_ends_quietly():
    process = subprocess.Popen([sys.executable, "-m", "nanoae", "smoke", "--steps", "50"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()                                         # the reader is gone, as `| head` leaves it
    _, err = process.communicate(timeout=120)
    assert process.returncode == 141 and b"Traceback" not in err and b"BrokenPipe" not in err, err


# --- every command without matplotlib; --no-figures; --quiet -------------------------------------------------

@pytest.mark.parametrize("command", ["demo", "vae-demo", "train", "denoise", "reduce", "anomaly"])
def test_every_training_command_takes_no_figures_and_quiet(command):
    from nanoae.cli.parser import build_parser
    args = build_parser("x\n\ny").parse_args([command, "--no-figures", "--quiet"])
    assert args.no_figures and args.quiet


def test_without_matplotlib_a_run_goes_on_and_says_so(tmp_path, monkeypatch, capsys):
    import nanoae.cli.commands as commands
    monkeypatch.setattr(commands, "matplotlib_available", lambda: False)
    out = tmp_path / "run"
    assert main(["demo", "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "note: matplotlib is not installed, so this run draws no figures" in printed.err
    assert files(out) == ["metrics.json", "model.npz", "walk.txt"]
    assert "Wrote to" in printed.out and ".png" not in printed.out


def test_quiet_prints_the_results_only(tmp_path, capsys):
    assert train(tmp_path / "run", "--quiet") == 0
    printed = capsys.readouterr()
    assert printed.err == "" and "epoch" not in printed.out and "h1 = ReLU" not in printed.out
    assert "squared error / image" in printed.out


def test_the_python_api_still_refuses_figures_it_cannot_draw(tmp_path, monkeypatch):
    import nanoae.plots.base as base
    from nanoae.plots import PlotsUnavailable
    monkeypatch.setitem(sys.modules, "matplotlib", None)              # import matplotlib now fails
    assert not base.matplotlib_available()
    with pytest.raises(PlotsUnavailable, match="pip install 'nanoae\\[plot\\]'"):
        run_training(TrainConfig(epochs=1, sizes=[784, 8, 2]), tmp_path / "run", figures=True, progress=False)
    assert not (tmp_path / "run").exists()


# --- saved files mutated at random: only the documented errors, and the run folder unchanged ---------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nanoae.models import from_config  # noqa: E402
from nanoae.optim import Adam  # noqa: E402
from nanoae.training import fit, restore  # noqa: E402
from tests.conftest import save_archive, train_a_saved_run  # noqa: E402

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2, 10**12) | st.floats(allow_nan=True)
                           | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=3), max_leaves=6)
DTYPES = ["int8", "int32", "int64", "bool", "float16", "float32", "float64", "complex64", "U3"]


def mutate_json(data, draw):
    """Change, add or delete one value somewhere in a JSON object."""
    node = data
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys or draw(st.booleans()):
            break
        key = draw(st.sampled_from(keys))
        if not isinstance(node[key], (dict, list)) or not node[key]:
            break
        node = node[key]
    if isinstance(node, dict) and node and draw(st.booleans()):
        del node[draw(st.sampled_from(sorted(node)))]
    elif isinstance(node, dict):
        node[draw(st.sampled_from(sorted(node) + ["extra"]))] = draw(JSON_VALUES)
    elif isinstance(node, list) and node:
        node[draw(st.integers(0, len(node) - 1))] = draw(JSON_VALUES)
    return data


def mutate_array(array, draw):
    kind = draw(st.sampled_from(["dtype", "shape", "slice", "value"]))
    if kind == "dtype":
        dtype = draw(st.sampled_from(DTYPES))
        return array.astype(dtype) if dtype != "U3" else np.full(array.shape, "abc")
    if kind == "shape":
        return draw(st.sampled_from([array.ravel(), array[None], array.T.copy(), array.reshape(-1, 1)]))
    if kind == "slice":
        return array.ravel()[: draw(st.integers(0, max(0, array.size - 1)))]
    out = array.astype(np.float64).copy()
    if out.size:
        out.ravel()[draw(st.integers(0, out.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e300]))
    with np.errstate(over="ignore"):                     # 1e300 in float32 is inf, as intended
        return out.astype(array.dtype) if array.dtype.kind == "f" else out


def mutate_file(original: bytes, path, text_key, draw, checksum=False):
    """One random damage to an .npz: its JSON, one array, or its bytes (truncated or one flipped)."""
    path.write_bytes(original)
    how = draw(st.sampled_from(["json", "array", "truncate", "flip"]))
    if how in ("truncate", "flip"):
        cut = draw(st.integers(0, len(original) - 1))
        path.write_bytes(original[:cut] if how == "truncate" else
                         original[:cut] + bytes([original[cut] ^ draw(st.integers(1, 255))]) + original[cut + 1:])
        return how
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    text = json.loads(str(arrays[text_key]))
    if how == "json":
        text = mutate_json(text, draw)
    else:
        name = draw(st.sampled_from(sorted(k for k in arrays if arrays[k].dtype.kind == "f")))
        arrays[name] = mutate_array(arrays[name], draw)
    arrays[text_key] = np.array(json.dumps(text))
    save_archive(path, arrays, checksum)
    return how


TINY = ImageDataset(np.zeros((8, 784), np.uint8), np.zeros(8, np.int64), "tiny")


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A finished run with a checkpoint at epoch 1."""
    return train_a_saved_run(tmp_path_factory, [*FAST, "--quiet"], ("model.npz", "checkpoint.npz"))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_model_file_loads_or_is_a_model_file_error(saved_run, tmp_path, data):
    path = tmp_path / "model.npz"
    mutate_file(saved_run["model.npz"], path, "__config__", data.draw)
    try:
        model = load_model(path)
    except ModelFileError as err:
        assert str(err).startswith(f"{path}: ") and "\n" not in str(err)
        return
    for value in model.named_parameters().values():          # what loads is a sound model
        assert value.dtype in (np.float32, np.float64) and np.isfinite(value).all()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), checksum=st.booleans())
def test_a_mutated_checkpoint_loads_and_resumes_or_is_a_checkpoint_error(saved_run, tmp_path, data, checksum):
    path = tmp_path / "checkpoint.npz"
    mutate_file(saved_run["checkpoint.npz"], path, "meta", data.draw, checksum=checksum)
    try:
        saved = load_checkpoint(path)
        with backend.using("numpy", dtype="float32"):
            model = from_config({"arch": "dense", "sizes": [784, 16, 2], "hidden": "relu", "output": "sigmoid",
                                 "tied": False})
            restore(saved, model, Adam(model))
            history = fit(model, TINY, epochs=saved.epoch, batch_size=4, resume=saved, progress=False)
        assert len(history.train_loss) == saved.epoch
    except CheckpointError as err:
        assert str(err).startswith(f"{path}: ") and "\n" not in str(err)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), checksum=st.booleans())
def test_resuming_a_mutated_checkpoint_never_ends_in_a_traceback_nor_changes_a_refused_run(
        saved_run, tmp_path_factory, capsys, data, checksum):
    folder, originals = saved_run.folder, saved_run
    run = tmp_path_factory.mktemp("mutated") / "run"
    run.mkdir()
    for name in ("model.npz", "metrics.json", "walk.txt"):
        (run / name).write_bytes((folder / name).read_bytes())
    mutate_file(originals["checkpoint.npz"], run / "checkpoint.npz", "meta", data.draw, checksum=checksum)
    before = {name: (run / name).read_bytes() for name in files(run)}
    capsys.readouterr()
    status = main(["train", "--resume", str(run), "--epochs", "2", "--no-figures", "--quiet"])  # anything else raises
    err = capsys.readouterr().err
    assert status in (0, 2), err
    if status == 2:
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert {name: (run / name).read_bytes() for name in files(run)} == before
