"""Greedy pretraining and the 2006 experiment: checkpoints that resume exactly, the CLI, the numbers in its table."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanoae import backend, gradcheck
from nanoae.losses import BCELoss
from nanoae.cli import main
from nanoae.data import load_dataset
from nanoae.evaluation import compare_with_pca
from nanoae.models import load_model
from nanoae.rbm import CDSettings, RBMStack, pretrain, unroll
from nanoae.rbm import stack as stack_module
from nanoae.training import CheckpointError
from tests.conftest import BACKENDS

SMALL = ["--sizes", "784,16,4", "--rbm-epochs", "2", "--epochs", "1", "--no-figures", "--quiet"]


def data(n=60, d=20, seed=3):
    return np.random.default_rng(seed).random((n, d))


def trained(path=None, resume=None, sizes=(20, 8, 4)):
    with backend.using("numpy", dtype="float64", seed=5):
        stack = RBMStack(list(sizes))
        histories = pretrain(stack, data(), CDSettings(epochs=3, batch_size=10), seed=7, progress=False,
                             checkpoint=path, resume=resume)
        return {k: v.copy() for k, v in stack.named_parameters().items()}, histories


def interrupted_after(saves: int, monkeypatch, path):
    """Run pretraining, stopping it (KeyboardInterrupt) right after the checkpoint number ``saves``."""
    real, count = stack_module.save_checkpoint, [0]

    def save_then_stop(*args, **kwargs):
        real(*args, **kwargs)
        count[0] += 1
        if count[0] == saves:
            raise KeyboardInterrupt
    with monkeypatch.context() as patch:
        patch.setattr(stack_module, "save_checkpoint", save_then_stop)
        with pytest.raises(KeyboardInterrupt):
            trained(path)


@pytest.mark.parametrize("saves", [1, 3, 4, 5])       # inside RBM 1, at its end, inside RBM 2
def test_pretraining_resumes_bit_for_bit(saves, tmp_path, monkeypatch):
    whole, whole_histories = trained()
    path = tmp_path / "pretrain-checkpoint.npz"
    interrupted_after(saves, monkeypatch, path)
    resumed, resumed_histories = trained(resume=path)
    assert whole.keys() == resumed.keys()
    for name in whole:
        assert np.array_equal(whole[name], resumed[name]), name
    for a, b in zip(whole_histories, resumed_histories):
        assert a.reconstruction_error == b.reconstruction_error and a.free_energy == b.free_energy
    assert [len(h.epoch_seconds) for h in resumed_histories] == [3, 3]


def test_a_checkpoint_of_another_stack_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "pretrain-checkpoint.npz"
    interrupted_after(2, monkeypatch, path)
    with pytest.raises(CheckpointError, match="saved shape|does not fit"):
        trained(resume=path, sizes=(20, 6, 4))


def test_the_experiment_from_the_cli_and_its_numbers(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["pretrain", *SMALL, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| (a) RBM-pretrained |" in printed and "| PCA-4 |" in printed and "3.00 against PCA's 13.87" in printed
    table = json.loads((out / "results.json").read_text())
    rows = {row["arm"]: row for row in table["rows"]}
    assert set(rows) == {"a", "b", "c", "pca"}
    pca_error = rows["pca"]["squared_error_per_image"]
    with backend.using("numpy", dtype="float32"):
        train, test = load_dataset("mnist-5k")
        for arm, folder in (("a", "a-pretrained"), ("b", "b-random"), ("c", "c-relu-adam")):
            model = load_model(out / folder / "model.npz")
            measured = compare_with_pca(model, train, test)
            assert rows[arm]["squared_error_per_image"] == pytest.approx(
                measured["autoencoder"]["squared_error_per_image"], rel=1e-9)
            assert rows[arm]["5nn_accuracy"] == measured["autoencoder"]["5nn_accuracy"]
            assert rows[arm]["pca_ratio"] == pytest.approx(rows[arm]["squared_error_per_image"] / pca_error)
        assert pca_error == pytest.approx(measured["pca"]["squared_error_per_image"])
    assert rows["a"]["training_seconds"] > json.loads((out / "a-pretrained" / "result.json").read_text())[
        "fine_tuning_seconds"]                                        # (a)'s time includes its pretraining
    history = table["config"]
    assert (history["rbm_epochs"], history["epochs"], history["sizes"]) == (2, 1, [784, 16, 4])
    assert main(["pretrain", "--resume", str(out)]) == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_fine_tuning_further_gives_what_a_longer_run_gives(tmp_path, capsys):
    longer, shorter = tmp_path / "longer", tmp_path / "shorter"
    assert main(["pretrain", *SMALL, "--epochs", "2", "--out", str(longer)]) == 0
    assert main(["pretrain", *SMALL, "--out", str(shorter)]) == 0
    assert main(["pretrain", "--resume", str(shorter), "--epochs", "2", "--quiet", "--no-figures"]) == 0
    first = json.loads((longer / "results.json").read_text())
    second = json.loads((shorter / "results.json").read_text())
    assert second["config"]["epochs"] == 2 == json.loads((shorter / "pretrain.json").read_text())["epochs"]
    for a, b in zip(first["rows"], second["rows"]):
        assert (a["arm"], a["squared_error_per_image"], a["5nn_accuracy"]) == (
            b["arm"], b["squared_error_per_image"], b["5nn_accuracy"])
    capsys.readouterr()
    assert main(["pretrain", "--resume", str(shorter), "--epochs", "1"]) == 2
    assert "can only raise" in capsys.readouterr().err


def test_an_interrupted_experiment_carries_on_to_the_same_results(tmp_path, monkeypatch, capsys):
    import nanoae.runs.hinton2006 as recipe
    whole = tmp_path / "whole"
    assert main(["pretrain", *SMALL, "--out", str(whole)]) == 0
    real, calls = recipe.autoencoder_scores, [0]

    def stop_in_arm_b(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:                                  # (b) has trained and saved its checkpoint, not its result
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(recipe, "autoencoder_scores", stop_in_arm_b)
        assert main(["pretrain", *SMALL, "--out", str(out)]) == 130
    message = capsys.readouterr().err
    assert f"carry on with: python -m nanoae pretrain --resume {out}" in message
    assert (out / "a-pretrained" / "result.json").is_file() and not (out / "b-random" / "result.json").exists()
    refused = main(["pretrain", "--resume", str(out), "--lr", "0.5"])
    assert refused == 2 and "--lr cannot be given" in capsys.readouterr().err
    assert main(["pretrain", "--resume", str(out), "--quiet", "--no-figures"]) == 0
    first = json.loads((whole / "results.json").read_text())["rows"]
    second = json.loads((out / "results.json").read_text())["rows"]
    for a, b in zip(first, second):
        assert (a["arm"], a["squared_error_per_image"], a["5nn_accuracy"]) == (
            b["arm"], b["squared_error_per_image"], b["5nn_accuracy"])


def test_chosen_arms_only_and_bad_settings(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["pretrain", *SMALL, "--arms", "b,c", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["b-random", "c-relu-adam", "pretrain.json", "results.json",
                                                      "results.md"]
    capsys.readouterr()
    assert main(["pretrain", "--sizes", "784,4", "--out", str(tmp_path / "x")]) == 2
    assert "at least one hidden layer" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["pretrain", "--arms", "a,d"])
    assert main(["pretrain", "--resume", str(tmp_path)]) == 2
    assert "not a pretraining run folder" in capsys.readouterr().err


@pytest.mark.parametrize("backend_name", BACKENDS)
@settings(max_examples=10)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=3), batch=st.integers(1, 4), seed=st.integers(0, 99))
def test_the_unrolled_network_fine_tunes_with_exact_gradients(backend_name, sizes, batch, seed):
    """What fine-tuning backpropagates through: the unrolled stack (σ layers, a linear code) under the
    cross-entropy summed per image — checked against central differences, as every model is."""
    with backend.using(backend_name, dtype="float64", seed=seed):
        stack = RBMStack([7, *sizes])
        for rbm in stack.rbms:                                 # trained-looking weights and biases, not zeros
            for name, value in rbm.params.items():
                value[...] = backend.asarray(np.random.default_rng(seed).normal(0, 0.7, value.shape))
        model = unroll(stack)
        x = backend.asarray(np.random.default_rng(seed + 1).uniform(0.05, 0.95, (batch, 7)))
        report = gradcheck(model, x, loss=BCELoss(reduction="batchmean"))
        assert report.passed, report
