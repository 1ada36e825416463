"""The command line: the demo writes everything it promises; bad options are clear messages."""
import json
import subprocess
import sys

import pytest


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nanoae", *args], capture_output=True, text=True, cwd=cwd)


def run_ok(tmp_path_factory, *args):
    """Run a command that writes a run folder; it must succeed. Returns (result, folder)."""
    out = tmp_path_factory.mktemp("runs") / "run"
    result = run(*args, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return result, out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    return run_ok(tmp_path_factory, "demo", "--epochs", "2")


def test_demo_writes_the_figures_the_model_and_the_metrics(demo_run):
    _, out = demo_run
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "model.npz", "metrics.json", "walk.txt", "losses.png", "reconstructions.png", "latent.png", "manifold.png"])
    for name in ("losses.png", "reconstructions.png", "latent.png", "manifold.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_metrics_hold_losses_configuration_and_seed(demo_run):
    metrics = json.loads((demo_run[1] / "metrics.json").read_text())
    assert metrics["config"]["seed"] == 0 and metrics["config"]["sizes"] == [784, 128, 64, 2]
    assert len(metrics["history"]["train_loss"]) == 2 and metrics["final_test_loss"] > 0
    assert set(metrics["comparison_with_pca"]) == {"code_size", "autoencoder", "pca"}


def test_demo_prints_the_walk_and_the_comparison(demo_run):
    result, out = demo_run
    assert "h1 = ReLU(W1 x + b1)" in result.stdout and "MSE = 1/784" in result.stdout
    assert "autoencoder" in result.stdout and "PCA" in result.stdout
    assert (out / "walk.txt").read_text().strip() in result.stdout


def test_progress_goes_to_stderr_one_line_per_epoch(demo_run):
    result, _ = demo_run
    assert [line.split()[1] for line in result.stderr.splitlines() if line.startswith("epoch")] == ["1/2", "2/2"]


def test_walk_command_reads_a_run_folder(demo_run):
    result = run("walk", "--run", str(demo_run[1]), "--index", "123")
    assert result.returncode == 0, result.stderr
    assert "Test image #123" in result.stdout and "z  = W3 h2 + b3" in result.stdout


def test_train_with_options(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--sizes", "784,32,3", "--epochs", "1", "--batch-size", "500", "--lr", "0.01",
                 "--loss", "bce", "--tied", "--dtype", "float64", "--seed", "7", "--out", str(out), "--no-figures")
    assert result.returncode == 0, result.stderr
    config = json.loads((out / "metrics.json").read_text())["config"]
    assert (config["sizes"], config["loss"], config["tied"], config["dtype"], config["seed"]) == (
        [784, 32, 3], "bce", True, "float64", 7)
    assert not list(out.glob("*.png"))


@pytest.mark.parametrize("args, message", [
    (["train", "--epochs", "-1"], "argument --epochs: expected a number of epochs from 0 to 100,000, got -1"),
    (["train", "--epochs", "ten"], "argument --epochs: expected a number of epochs from 0 to 100,000, got 'ten'"),
    (["train", "--batch-size", "0"], "argument --batch-size: expected a positive integer, got 0"),
    (["train", "--lr", "-0.1"], "argument --lr: expected a positive number, got -0.1"),
    (["train", "--lr", "nan"], "argument --lr: expected a positive number"),
    (["train", "--sizes", "784,abc"], "sizes must be comma-separated integers"),
    (["train", "--loss", "hinge"], "invalid choice: 'hinge'"),
    (["train", "--backend", "tpu"], "invalid choice: 'tpu'"),
    (["demo", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["walk"], "the following arguments are required: --run"),
])
def test_bad_options_are_usage_errors(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "--sizes", "100,2"], "sizes must start with 784"),
    (["train", "--batch-size", "5000"], "batch size 5000 is larger than the 4000 training examples"),
    (["train", "--walk-index", "1000"], "walk index must be between 0 and 999"),
    (["walk", "--run", "no-such-folder"], "no-such-folder: no such nanoae model file"),
])
def test_bad_values_are_clear_errors_and_write_nothing(tmp_path, args, message):
    result = run(*args, "--out", str(tmp_path / "out")) if args[0] == "train" else run(*args)
    assert result.returncode == 2 and f"error: {message}" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_existing_run_folder_is_never_overwritten(tmp_path):
    (tmp_path / "keep.txt").write_text("precious")
    result = run("demo", "--epochs", "1", "--out", str(tmp_path))
    assert result.returncode == 2 and "already exists and is not empty" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_cupy_without_cupy_is_a_clear_message_not_a_traceback(tmp_path):
    result = run("demo", "--backend", "cupy", "--epochs", "1", "--out", str(tmp_path / "gpu"))
    if result.returncode == 0:
        pytest.skip("CuPy and a GPU are present: there is no error to check")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: the 'cupy' backend needs" in result.stderr


def test_smoke_run_passes_its_gradient_check_and_learns():
    result = run("smoke", "--steps", "200", "--backend", "emulated")
    assert result.returncode == 0, result.stderr
    assert "PASS" in result.stdout
    losses = [float(line.split()[-1]) for line in result.stdout.splitlines() if line.startswith("step")]
    assert losses[-1] < losses[0] / 10


def test_demo_runs_end_to_end_on_the_emulated_device(tmp_path):
    """Walk, PCA comparison and figures convert device arrays explicitly: no leak on a 'GPU'."""
    result = run("demo", "--backend", "emulated", "--epochs", "1", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "manifold.png").exists()


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    return run_ok(tmp_path_factory, "vae-demo", "--epochs", "2")


def test_vae_demo_writes_its_figures_and_likelihoods(vae_run):
    result, out = vae_run
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "model.npz", "metrics.json", "elbo.png", "latent.png", "manifold.png", "samples.png", "interpolation.png"])
    metrics = json.loads((out / "metrics.json").read_text())
    elbo = metrics["test_elbo_nats_per_image"]
    assert elbo["neg_elbo"] == pytest.approx(elbo["reconstruction"] + elbo["kl"])
    assert set(metrics["test_log_likelihood_nats_per_image"]) == {"1", "50", "500"}
    assert set(metrics["history"]["train_terms"]) == {"reconstruction", "kl", "neg_elbo"}
    assert "−ELBO = reconstruction + KL" in result.stdout and "k = 500" in result.stdout


def test_train_a_vae_with_options(tmp_path):
    out = tmp_path / "vae"
    result = run("train", "--model", "vae", "--sizes", "784,64,5", "--epochs", "1", "--beta", "0.5",
                 "--warmup-epochs", "2", "--likelihood", "gaussian", "--iw-samples", "1,5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["config"]["beta"], metrics["config"]["likelihood"]) == (0.5, "gaussian")
    assert (out / "samples.png").exists() and not (out / "manifold.png").exists()     # 5-D: no 2-D grid


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "vae", "--tied"], "--tied cannot be used with --model vae"),
    (["train", "--beta", "2"], "--beta cannot be used with --model ae"),
    (["train", "--model", "vae", "--sizes", "784,2"], "VAE sizes must start with 784 and name a hidden"),
])
def test_options_of_the_other_model_are_clear_errors(args, message):
    result = run(*args)
    assert result.returncode == 2 and f"error: {message}" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "vae", "--beta", "-1"], "argument --beta: expected a number ≥ 0"),
    (["train", "--model", "vae", "--iw-samples", "0,50"], "expected comma-separated numbers of importance samples k ≥ 1"),
])
def test_bad_vae_options_are_usage_errors(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_walk_follows_a_vae_through_its_sampling_step(vae_run):
    result = run("walk", "--run", str(vae_run[1]))
    assert result.returncode == 0, result.stderr
    for line in ("μ      = Wμ h2 + bμ", "ε      = drawn from N(0, I)", "z      = μ + σ ⊙ ε", "−ELBO = −log p(x|z) + KL"):
        assert line in result.stdout, line


def test_vae_demo_runs_on_the_emulated_device(tmp_path):
    result = run("vae-demo", "--backend", "emulated", "--epochs", "1", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "interpolation.png").exists()


@pytest.mark.parametrize("args, files", [
    (["denoise", "--epochs", "1", "--levels", "0.2"], ["denoising.png", "metrics.json", "psnr.png"]),
    (["reduce", "--epochs", "1", "--hidden", "16", "--code-sizes", "2"],
     ["embeddings.png", "metrics.json", "reconstructions.png"]),
    (["anomaly", "--epochs", "1", "--classes", "1"], ["anomaly_extremes.png", "anomaly_scores.png", "metrics.json"]),
])
def test_application_commands_write_their_figures(tmp_path_factory, args, files):
    result, out = run_ok(tmp_path_factory, *args)
    assert sorted(p.name for p in out.iterdir()) == files
    assert "Wrote to" in result.stdout


def test_train_with_sparse_codes_and_weight_decay(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--epochs", "1", "--l1", "0.01", "--weight-decay", "1e-4", "--no-figures",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["config"]["l1"], metrics["config"]["weight_decay"]) == (0.01, 1e-4)
    assert set(metrics["history"]["train_terms"]) == {"reconstruction", "penalty"}


def test_train_a_contractive_autoencoder(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--epochs", "1", "--sizes", "784,32,2", "--hidden", "sigmoid", "--contractive", "0.1",
                 "--no-figures", "--out", str(out))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["contractive"] == 0.1
    terms = metrics["history"]["train_terms"]
    assert set(terms) == {"reconstruction", "penalty"} and all(p > 0 for p in terms["penalty"])
    refused = run("train", "--arch", "conv", "--contractive", "0.1", "--no-figures", "--out", str(tmp_path / "c"))
    assert refused.returncode == 2 and "--contractive needs a dense encoder" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "c").exists()


@pytest.mark.parametrize("args, message", [
    (["denoise", "--corruption", "blur"], "invalid choice: 'blur'"),
    (["denoise", "--levels", "a,b"], "expected comma-separated noise levels ≥ 0"),
    (["anomaly", "--classes", "12"], "expected comma-separated digits 0-9"),
    (["anomaly", "--quantile", "1.5"], "expected a number in (0, 1)"),
    (["reduce", "--hidden", "0"], "expected comma-separated positive integers"),
    (["train", "--l1", "-1"], "argument --l1: expected a number ≥ 0"),
    (["train", "--contractive", "-0.5"], "argument --contractive: expected a number ≥ 0"),
])
def test_bad_application_options_are_usage_errors(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_full_size_fashion_mnist_through_the_cli(tmp_path):
    from pathlib import Path
    if not Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")
    out = tmp_path / "fashion"
    result = run("train", "--dataset", "fashion-mnist", "--epochs", "1", "--batch-size", "256", "--no-figures",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_size"] == 10000 and metrics["config"]["dataset"] == "fashion-mnist"
    walked = run("walk", "--run", str(out), "--index", "9999")           # the walk finds the run's data set
    assert walked.returncode == 0 and "Test image #9999" in walked.stdout


def test_resume_through_the_cli(tmp_path):
    out = tmp_path / "run"
    first = run("train", "--epochs", "1", "--checkpoint-every", "1", "--no-figures", "--out", str(out))
    assert first.returncode == 0, first.stderr
    again = run("train", "--resume", str(out), "--epochs", "2", "--no-figures")
    assert again.returncode == 0, again.stderr
    assert "Resuming" in again.stdout and "epoch 2/2" in again.stderr
    assert len(json.loads((out / "metrics.json").read_text())["history"]["train_loss"]) == 2
    refused = run("train", "--resume", str(out), "--lr", "0.5")
    assert refused.returncode == 2 and "--lr cannot be given" in refused.stderr


def test_train_the_conv_autoencoder_with_figures(tmp_path_factory):
    result, out = run_ok(tmp_path_factory, "train", "--arch", "conv", "--epochs", "1", "--channels", "4,8")
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "model.npz", "metrics.json", "losses.png", "reconstructions.png", "latent.png", "manifold.png"])
    config = json.loads((out / "metrics.json").read_text())["config"]
    assert (config["arch"], config["channels"], config["lr"]) == ("conv", [4, 8], 5e-4)
    refused = run("train", "--arch", "conv", "--tied")
    assert refused.returncode == 2 and "apply to the dense one" in refused.stderr


@pytest.mark.parametrize("options, engine", [([], "fast"), (["--engine", "reference"], "reference"),
                                             (["--engine", "fast"], "fast")])
def test_train_says_its_engine_on_the_first_line_and_trains_with_it(tmp_path, monkeypatch, capsys, options, engine):
    """The command line trains with the fast engine unless told otherwise, says which on its first line, and
    really uses it: the engine's compile is called exactly when the line says fast."""
    from nanoae import cli, fast
    compiled = []
    real_compile = fast.compile
    monkeypatch.setattr(fast, "compile", lambda *a: compiled.append(1) or real_compile(*a))
    code = cli.main(["train", "--sizes", "784,16,2", "--epochs", "1", "--batch-size", "500", "--no-figures",
                     "--seed", "0", "--out", str(tmp_path / "run"), *options])
    assert code == 0
    assert capsys.readouterr().out.splitlines()[0] == cli.ENGINE_LINE[engine]
    assert bool(compiled) == (engine == "fast")
    config = json.loads((tmp_path / "run" / "metrics.json").read_text())["config"]
    assert config["engine"] == engine


def test_the_engine_line_names_the_other_engine():
    from nanoae import cli
    assert cli.ENGINE_LINE["fast"].startswith("engine: fast") and "--engine reference" in cli.ENGINE_LINE["fast"]
    assert cli.ENGINE_LINE["reference"].startswith("engine: reference") and "--engine fast" in \
        cli.ENGINE_LINE["reference"]
