"""Every failure is a sentence, and every saved file has a schema (issue 28, parts 3 and 4).

Through the command line: each kind of failure — a damaged file nested too deeply to parse, a number too
large, no memory left, a full disk, a name too long, a read-only file system — ends as one ``error:`` line
naming the file or the option, exit status 2, and the traceback only with ``--debug``.  Through the
readers: whatever JSON a saved file holds, only the file's own error class comes out, naming the field.
"""
import errno
import json
import os
import shutil
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanoae import backend
from nanoae.cli import main
from tests.conftest import save_archive, train_a_saved_run
from nanoae.cli import commands
from nanoae.models import ModelFileError, dense_autoencoder, dense_vae, load_model, save_model
from nanoae.optim import Adam
from nanoae.runs.hinton2006 import PretrainConfig, read_config
from nanoae.training import CheckpointError, load_checkpoint, restore

FAST = ["--sizes", "784,16,2", "--batch-size", "500", "--no-figures", "--quiet"]      # a run of seconds
SMALL_MODEL = {"arch": "dense", "sizes": [784, 16, 2], "hidden": "relu", "output": "sigmoid", "tied": False}


def train(out, *extra):
    return main(["train", "--epochs", "1", *FAST, "--out", str(out), *extra])


def one_error_line(err: str) -> bool:
    return err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A finished training run with a checkpoint at epoch 1."""
    return train_a_saved_run(tmp_path_factory, FAST)


def copy_run(saved_run, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in saved_run.items():
        (folder / name).write_bytes(data)
    return folder


def rewrite_npz(path, key, change_text, checksum=False):
    """Replace the JSON text under ``key`` by ``change_text(text)``; with ``checksum``, recompute the checkpoint's
    checksum so that it matches: integrity is not trust."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays[key] = np.array(change_text(str(arrays[key])))
    save_archive(path, arrays, checksum)


def json_change(change):
    """A text change that parses the JSON, applies ``change(data)`` (which may return a new value), dumps it."""
    def apply(text):
        data = json.loads(text)
        result = change(data)
        return json.dumps(data if result is None else result)
    return apply


# --- JSON values a damaged file may hold, written as text: nesting too deep for any parser's recursion -----

RAW_VALUES = st.one_of(
    st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),                      # deep lists, up to 5,000 levels
    st.integers(1, 5000).map(lambda n: '{"a": ' * n + "1" + "}" * n),          # deep objects
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-0.0", "true", "false", "null", '"0.1"', '""',
                     "{}", "[]", "1" + "0" * 30, "-" + "9" * 40, "9" * 5000, "2.5", "0", "-1", '"relu"',
                     '[784, 16, 2]', '[true, 2]', '{"extra": 1}']),
    st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=6),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=8).map(lambda v: json.dumps(v)),
)
HOLE = "__the value under test__"


def paths(data, prefix=()):
    """Every place in a JSON document: (path to a value, or path to an object that may gain a key)."""
    yield prefix
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in children:
        yield from paths(value, prefix + (key,))


def damaged_text(data, draw) -> str:
    """The document as JSON text with one value replaced (or one key added) by a drawn raw JSON value."""
    data = json.loads(json.dumps(data))
    where = draw(st.sampled_from(list(paths(data))))
    if not where:
        return draw(RAW_VALUES)                                                # the whole document
    node = data
    for key in where[:-1]:
        node = node[key]
    if isinstance(node, dict) and draw(st.booleans()):
        node[draw(st.sampled_from(["extra", "arch", "sizes", "model", "lr", "dataset", "epoch"]))] = HOLE
    else:
        node[where[-1]] = HOLE
    return json.dumps(data).replace(json.dumps(HOLE), draw(RAW_VALUES), 1)


def assert_only(error_class, call, path):
    """``call()`` succeeds or raises exactly ``error_class``, in one line that names the file."""
    try:
        call()
    except error_class as err:
        assert type(err) is error_class, repr(err)
        assert str(err).startswith(f"{path}") and "\n" not in str(err), str(err)


HYPOTHESIS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPOTHESIS
@given(data=st.data())
def test_any_json_in_a_model_file_loads_or_is_a_model_file_error(saved_run, tmp_path, data):
    path = tmp_path / "model.npz"
    path.write_bytes(saved_run["model.npz"])
    rewrite_npz(path, "__config__", lambda text: damaged_text(json.loads(text), data.draw))
    assert_only(ModelFileError, lambda: load_model(path), path)


@HYPOTHESIS
@given(data=st.data())
def test_any_json_in_a_checkpoint_resumes_or_is_a_checkpoint_error(saved_run, tmp_path, data):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(saved_run["checkpoint.npz"])
    rewrite_npz(path, "meta", lambda text: damaged_text(json.loads(text), data.draw), checksum=True)

    def resume():
        saved = load_checkpoint(path)
        with backend.using("numpy", dtype="float32"):
            model = dense_autoencoder(SMALL_MODEL["sizes"])
            restore(saved, model, Adam(model))
    assert_only(CheckpointError, resume, path)


@HYPOTHESIS
@given(data=st.data())
def test_any_json_in_metrics_json_is_read_or_is_a_value_error(saved_run, tmp_path, data):
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / "metrics.json").write_text(damaged_text(json.loads(saved_run["metrics.json"]), data.draw))
    for read in (commands._trained_on, commands._trained_loss):
        assert_only(ValueError, lambda: read(run), run / "metrics.json")


@HYPOTHESIS
@given(data=st.data())
def test_any_json_in_pretrain_json_is_read_or_is_a_value_error(tmp_path, data):
    from dataclasses import asdict
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / "pretrain.json").write_text(damaged_text(asdict(PretrainConfig()), data.draw))
    assert_only(ValueError, lambda: read_config(run), run / "pretrain.json")


ARM_RESULT = {"arm": "a", "name": "a-pretrained", "squared_error_per_image": 10.5, "5nn_accuracy": 0.8,
              "fine_tuning_seconds": 1.0, "wall_seconds_this_call": 1.2,
              "history": {"train_loss": [1.0], "test_loss": [None], "epoch_seconds": [1.0],
                          "samples_per_second": [10.0], "train_terms": {}, "test_terms": {}}}


@HYPOTHESIS
@given(data=st.data())
def test_any_json_in_an_arms_result_json_is_read_or_is_a_value_error(tmp_path, data):
    from nanoae.schema import ARM_RESULT as SCHEMA, read_json
    path = tmp_path / "result.json"
    path.write_text(damaged_text(ARM_RESULT, data.draw))
    assert_only(ValueError, lambda: read_json(path, SCHEMA, "result"), path)


def test_a_damaged_result_json_stops_the_pretraining_run_before_it_trains(tmp_path, monkeypatch):
    import nanoae.runs.hinton2006 as hinton

    def must_not_train(*args, **kwargs):
        raise AssertionError("fine-tuning started")
    monkeypatch.setattr(hinton, "fit", must_not_train)
    (tmp_path / "result.json").write_text(json.dumps({**ARM_RESULT, "squared_error_per_image": "10.5"}))
    with pytest.raises(ValueError, match=r"result.json: result.squared_error_per_image should be a number ≥ 0, "
                                         r"found the string '10.5'"):
        hinton._fine_tune(PretrainConfig(epochs=1), "a", None, tmp_path, None, None, False, None)


# --- fields the readers used to accept, or refuse without saying which ---------------------------------------

def test_an_unknown_key_in_a_model_config_is_refused(saved_run, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(saved_run["model.npz"])
    rewrite_npz(path, "__config__", json_change(lambda c: c.update(dropout=0.5)))
    with pytest.raises(ModelFileError, match="config has an unknown key 'dropout'"):
        load_model(path)


def test_a_vae_variance_near_zero_is_refused_when_loaded_not_an_overflow_later(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    save_model(dense_vae([784, 16, 2], likelihood="gaussian", variance=0.1), run / "model.npz")
    rewrite_npz(run / "model.npz", "__config__", json_change(lambda c: c.update(variance=1e-320)))
    assert main(["walk", "--run", str(run), "--dataset", "mnist-5k"]) == 2
    err = capsys.readouterr().err
    assert one_error_line(err) and "config.variance should be null or a number from 1e-100 to 1e+100, found the number 1e-320" in err, err


def a_checkpoint(saved_run, tmp_path):
    run = copy_run(saved_run, tmp_path / "run")
    return run, run / "checkpoint.npz"


def resume_status(run, capsys):
    capsys.readouterr()
    status = main(["train", "--resume", str(run), "--epochs", "2", "--no-figures", "--quiet"])
    return status, capsys.readouterr().err


def test_a_learning_rate_saved_as_text_is_named_by_its_field(saved_run, tmp_path, capsys):
    run, path = a_checkpoint(saved_run, tmp_path)
    rewrite_npz(path, "meta", json_change(lambda m: m["config"].update(lr="0.1")), checksum=True)
    status, err = resume_status(run, capsys)
    assert status == 2 and one_error_line(err), err
    assert f"{path}: meta.config.lr should be a positive number, found the string '0.1'" in err


def test_a_checkpoint_from_before_a_setting_existed_resumes_with_its_default(saved_run, tmp_path, capsys):
    """A run folder from an older nanoae (its configuration without ``engine``, say) still resumes: a missing
    setting takes the recipe's default, as when the configuration is built; an unknown one is refused."""
    run, path = a_checkpoint(saved_run, tmp_path)
    def older(meta):
        del meta["config"]["engine"], meta["config"]["contractive"]
    rewrite_npz(path, "meta", json_change(older), checksum=True)
    (run / "metrics.json").unlink()
    status, err = resume_status(run, capsys)
    assert status == 0, err
    run, path = a_checkpoint(saved_run, tmp_path / "unknown")
    rewrite_npz(path, "meta", json_change(lambda m: m["config"].update(learning_rate=0.1)), checksum=True)
    status, err = resume_status(run, capsys)
    assert status == 2 and "meta.config has an unknown key 'learning_rate'" in err, err


def test_a_pretrain_json_from_before_a_setting_existed_is_read_with_its_default(tmp_path):
    from dataclasses import asdict
    run = tmp_path / "run"
    run.mkdir()
    saved = asdict(PretrainConfig(epochs=3))
    del saved["engine"]
    (run / "pretrain.json").write_text(json.dumps(saved))
    config = read_config(run)
    assert config.epochs == 3 and config.engine == PretrainConfig().engine


def test_a_step_count_of_ten_to_the_thirty_is_refused(saved_run, tmp_path):
    _, path = a_checkpoint(saved_run, tmp_path)
    rewrite_npz(path, "meta", json_change(lambda m: m["optimizer"].update(step_count=10**30)), checksum=True)
    with pytest.raises(CheckpointError, match="meta.optimizer.step_count should be an integer ≥ 0 .at most 10.12., "
                                              "found an integer of 31 digits"):
        load_checkpoint(path)


def test_a_generator_state_with_huge_integers_is_a_checkpoint_error_naming_the_field(saved_run, tmp_path, capsys):
    run, path = a_checkpoint(saved_run, tmp_path)
    rewrite_npz(path, "meta", json_change(lambda m: m["rng"]["batches"]["state"].update(state=10**60)),
                checksum=True)
    status, err = resume_status(run, capsys)
    assert status == 2 and one_error_line(err), err
    assert "meta.rng.batches.state.state should be an integer ≥ 0 and ≤ " in err


def test_a_checkpoint_missing_an_adam_moment_is_refused_at_resume(saved_run, tmp_path, capsys):
    run, path = a_checkpoint(saved_run, tmp_path)
    from nanoae.training.checkpoint import _checksum
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    del arrays["optim/encoder.0.W/m"], arrays["checksum"]
    meta = str(arrays.pop("meta"))
    np.savez(path, meta=np.array(meta), checksum=np.array(_checksum(arrays, meta)), **arrays)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    status, err = resume_status(run, capsys)
    assert status == 2 and one_error_line(err), err
    assert "the optimizer state array optim/encoder.0.W/m is missing" in err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before                # the run folder unchanged


def test_three_conv_channels_are_an_option_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--arch", "conv", "--channels", "4,4,4"])
    assert exit_.value.code == 2
    assert "argument --channels: expected two positive integers c1,c2" in capsys.readouterr().err


def test_saving_a_sequential_says_what_save_model_saves_and_how_to_save_its_weights(tmp_path):
    from nanoae.layers import Linear, Sequential
    with pytest.raises(TypeError, match=r"save_model saves the models nanoae's builders make .*a Sequential has "
                                        r"none — save its weights with np.savez"):
        save_model(Sequential(Linear(4, 2)), tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


# --- through the command line: one line, exit 2, the traceback with --debug ----------------------------------

FAILURES = {
    "RecursionError": RecursionError("maximum recursion depth exceeded"),
    "OverflowError": OverflowError("math range error"),
    "MemoryError": MemoryError(),
    "OSError ENOSPC": OSError(errno.ENOSPC, "No space left on device", "runs/x/checkpoint.npz"),
    "OSError EACCES": PermissionError(errno.EACCES, "Permission denied", "runs/x/model.npz"),
}
SAYS = {"RecursionError": "nested too deeply", "OverflowError": "a number too large", "MemoryError": "out of memory",
        "OSError ENOSPC": "runs/x/checkpoint.npz: the disk is full", "OSError EACCES": "runs/x/model.npz: permission"}


def fail_with(monkeypatch, exception):
    def run_training(*args, **kwargs):
        raise exception
    monkeypatch.setattr(commands, "run_training", run_training)


@pytest.mark.parametrize("kind", FAILURES)
def test_each_failure_is_one_error_line_with_exit_status_2(tmp_path, monkeypatch, capsys, kind):
    fail_with(monkeypatch, FAILURES[kind])
    assert train(tmp_path / "run") == 2
    err = capsys.readouterr().err
    assert one_error_line(err) and SAYS[kind] in err, err


@pytest.mark.parametrize("where", ["before the command", "after the command"])
def test_debug_prints_the_traceback_too(tmp_path, monkeypatch, capsys, where):
    fail_with(monkeypatch, OverflowError("math range error"))
    argv = ["train", "--epochs", "1", *FAST, "--out", str(tmp_path / "run")]
    assert main(["--debug", *argv] if where == "before the command" else [*argv, "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "error: a number too large" in err.splitlines()[-1]


def test_a_bug_is_one_line_that_says_how_to_see_the_traceback(tmp_path, monkeypatch, capsys):
    fail_with(monkeypatch, AttributeError("'NoneType' object has no attribute 'shape'"))
    assert train(tmp_path / "run") == 1
    err = capsys.readouterr().err
    assert one_error_line(err) and "unexpected AttributeError" in err and "rerun with --debug" in err, err


def test_a_metrics_json_nested_thousands_deep_is_one_error_line(saved_run, tmp_path, capsys):
    run = copy_run(saved_run, tmp_path / "run")
    (run / "metrics.json").write_text('{"config": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert main(["walk", "--run", str(run)]) == 2
    err = capsys.readouterr().err
    assert one_error_line(err) and f"{run / 'metrics.json'}: JSON is nested too deeply to read" in err, err


def test_a_pretrain_json_nested_thousands_deep_is_one_error_line(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "pretrain.json").write_text('{"sizes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert main(["pretrain", "--resume", str(run), "--no-figures", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert one_error_line(err) and f"{run / 'pretrain.json'}: JSON is nested too deeply" in err, err


def test_a_checkpoint_meta_nested_thousands_deep_is_a_checkpoint_error(saved_run, tmp_path):
    _, path = a_checkpoint(saved_run, tmp_path)
    rewrite_npz(path, "meta", lambda text: text[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
                checksum=True)
    with pytest.raises(CheckpointError, match="the meta is nested too deeply to read"):
        load_checkpoint(path)


def test_a_run_folder_name_longer_than_the_file_system_allows(tmp_path, capsys):
    out = tmp_path / ("x" * 300)
    assert train(out) == 2
    err = capsys.readouterr().err
    assert one_error_line(err) and "longer than the file system allows; choose a shorter one" in err, err


# --- real file systems: a full disk and a read-only one (tmpfs mounts; root only) ----------------------------

@pytest.fixture
def mount(tmp_path):
    """``mount(folder, options)`` mounts a tmpfs there (unmounted after the test); skipped where it cannot."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8); this file-system test is skipped on this machine")
    mounted = []

    def mount_tmpfs(folder, options):
        folder.mkdir(parents=True, exist_ok=True)
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({made.stderr.decode().strip()}); this test is skipped")
        mounted.append(folder)
    yield mount_tmpfs
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_is_one_error_line_and_the_run_can_be_finished(tmp_path, mount, capsys):
    disk = tmp_path / "disk"
    mount(disk, "size=450k")          # room for the small run's first checkpoint (~310 KB), not for a second beside it
    out = disk / "run"
    assert main(["train", "--epochs", "3", "--checkpoint-every", "1", *FAST, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert one_error_line(err), err
    assert f"{out / 'checkpoint.npz'}: the disk is full; free some space; {out} holds checkpoint.npz; " \
           f"carry on (or finish) with: python -m nanoae train --resume {out}" in err
    subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)       # space freed
    assert main(["train", "--resume", str(out), "--no-figures", "--quiet"]) == 0
    assert (out / "metrics.json").is_file()


def test_a_file_system_turned_read_only_mid_run_is_one_error_line(tmp_path, mount, monkeypatch, capsys):
    fit_module = sys.modules["nanoae.training.fit"]          # (nanoae.training.fit is also the function's name)
    real_save, out = fit_module.save_checkpoint, tmp_path / "run"

    def save_on_a_read_only_file_system(path, model, optimizer, epoch, *args):
        if epoch == 2:
            mount(out, "ro,size=16k")                         # a read-only file system over the run folder
        return real_save(path, model, optimizer, epoch, *args)
    monkeypatch.setattr(fit_module, "save_checkpoint", save_on_a_read_only_file_system)
    assert main(["train", "--epochs", "3", "--checkpoint-every", "1", *FAST, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert one_error_line(err) and "the file system is read-only; choose a folder you can write to" in err, err


# --- the schemas say what the code writes ---------------------------------------------------------------------

def test_the_schemas_vocabularies_are_the_codes():
    from nanoae.models import ACTIVATIONS
    from nanoae.runs import TrainConfig, VAEConfig
    from nanoae.runs.hinton2006 import ARMS
    from nanoae.schema.saved import ACTIVATIONS as SCHEMA_ACTIVATIONS, ARM_NAMES, ENGINES as SCHEMA_ENGINES, \
        PRETRAIN_CONFIG, TRAIN_CONFIG, VAE_CONFIG
    from nanoae.training.fit import ENGINES
    assert set(SCHEMA_ACTIVATIONS) == set(ACTIVATIONS) and set(SCHEMA_ENGINES) == set(ENGINES)
    assert ARM_NAMES == ARMS
    for config, schema in ((TrainConfig, TRAIN_CONFIG), (VAEConfig, VAE_CONFIG), (PretrainConfig, PRETRAIN_CONFIG)):
        assert {f.name for f in fields(config)} == set(schema), config.__name__


@pytest.mark.parametrize("make", [
    lambda: dense_autoencoder([784, 16, 2]),
    lambda: dense_autoencoder([784, 16, 2], tied=True),
    lambda: dense_vae([784, 16, 2], likelihood="gaussian"),
    lambda: dense_vae([784, 16, 2], likelihood="gaussian", variance=0.5),
    lambda: __import__("nanoae.models", fromlist=["conv_autoencoder"]).conv_autoencoder(2, (2, 3)),
], ids=["dense", "tied", "vae learned variance", "vae fixed variance", "conv"])
def test_the_model_schema_accepts_every_model_nanoae_builds(tmp_path, make):
    from nanoae.schema import MODEL_CONFIG, check
    save_model(make(), tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        check(json.loads(str(archive["__config__"])), MODEL_CONFIG, "config")
    load_model(tmp_path / "model.npz")


def test_the_checkpoint_and_metrics_schemas_accept_what_a_run_writes(saved_run, tmp_path):
    from nanoae.schema import CHECKPOINT_META, METRICS, check
    with np.load(copy_run(saved_run, tmp_path / "run") / "checkpoint.npz") as archive:
        check(json.loads(str(archive["meta"])), CHECKPOINT_META, "meta")
    check(json.loads(saved_run["metrics.json"]), METRICS, "metrics")
