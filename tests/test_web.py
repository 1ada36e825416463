"""The latent explorer: the exported decoder is nanoae's decoder, number for number, in Python and in a browser."""
import json
import re

import numpy as np
import pytest

from nanoae import web
from nanoae.cli import main
from nanoae.data import load_mnist_5k
from nanoae.functional import sigmoid
from nanoae.models import dense_autoencoder, dense_vae, lecture_autoencoder, lecture_vae, save_model

POINTS = np.array([[0.0, 0.0], [1.5, -0.5], [-3.0, 2.0], [0.25, 4.0], [-1.0, -1.0]])      # (5, 2)


def randomised(model, seed=0):
    """Every weight and bias drawn at random, so that no layer hides behind a zero bias."""
    model.theta[...] = np.random.default_rng(seed).normal(0, 0.3, size=model.theta.shape)
    return model


MODELS = {
    "lecture autoencoder": lambda: lecture_autoencoder(),
    "tied autoencoder": lambda: lecture_autoencoder(tied=True),
    "leaky ReLU autoencoder": lambda: dense_autoencoder([784, 32, 2], hidden="leaky_relu"),
    "tanh autoencoder, linear output": lambda: dense_autoencoder([784, 32, 2], hidden="tanh", output="identity"),
    "lecture VAE": lambda: lecture_vae(),
    "Gaussian VAE": lambda: dense_vae([784, 32, 2], likelihood="gaussian"),
}


@pytest.fixture(scope="module")
def test_digits():
    return load_mnist_5k()[1]


def decode_like_the_page(data, z):
    """The page's JavaScript decoder, line for line, in NumPy: h ← f(W h + b) per layer, then the output."""
    functions = {"identity": lambda v, a: v, "relu": lambda v, a: np.maximum(v, 0), "sigmoid": lambda v, a: sigmoid(v),
                 "leaky_relu": lambda v, a: np.where(v > 0, v, a * v), "tanh": lambda v, a: np.tanh(v)}
    h = np.asarray(z, dtype=np.float64)
    for layer in data["decoder"]:
        h = functions[layer["activation"]](np.array(layer["W"]) @ h + np.array(layer["b"]), layer.get("slope"))
    return functions[data["output"]](h, None)


@pytest.mark.parametrize("build", MODELS.values(), ids=MODELS.keys())
def test_the_exported_decoder_is_the_models_decoder(build, test_digits):
    model = randomised(build())
    data = json.loads(json.dumps(web.export(model, test_digits, 20)))       # through JSON, as the page gets it
    expected = model.decode(POINTS)
    for z, image in zip(POINTS, expected):
        np.testing.assert_allclose(decode_like_the_page(data, z), image, rtol=0, atol=1e-12)


@pytest.mark.parametrize("build", [lecture_autoencoder, lecture_vae], ids=["autoencoder", "VAE"])
def test_the_codes_are_the_first_test_digits_codes_and_a_vae_gives_its_mean(build, test_digits):
    model = randomised(build())
    data = web.export(model, test_digits, 30)
    codes = model.encode(test_digits.floats(np.arange(30)))
    np.testing.assert_array_equal(data["codes"], codes[0] if isinstance(codes, tuple) else codes)
    assert data["labels"] == test_digits.labels[:30].tolist()


def test_points_beyond_the_test_set_place_every_test_digit_once(test_digits):
    data = web.export(lecture_autoencoder(), test_digits.subset(np.arange(7)), 1000)
    assert len(data["codes"]) == len(data["labels"]) == 7


def test_a_code_that_is_not_2_d_is_refused(test_digits):
    with pytest.raises(ValueError, match="2-D code plane.*has 5 dimensions"):
        web.export(dense_autoencoder([784, 16, 5]), test_digits, 10)


def test_the_page_is_self_contained_and_inlines_the_data(test_digits):
    data = web.export(randomised(lecture_autoencoder()), test_digits, 50)
    page = web.page(data)
    assert "http://" not in page and "https://" not in page and " src=" not in page     # nothing to fetch
    inlined = re.search(r'<script id="nanoae-data" type="application/json">(.*?)</script>', page, re.S)[1]
    assert json.loads(inlined) == data
    assert "window.nanoaeDecode" in page and web.DECODE_JS in page


# the real browser: the page's JavaScript, run by Chromium, against model.decode ------------------------------

def assert_the_page_decodes_as(browser, model) -> None:
    """The open page's ``?probe=1`` output (``web.PROBE_POINTS`` decoded by its JavaScript, in #probe) is
    ``model.decode`` at those points, to 1e-5."""
    probe = browser.evaluate("JSON.parse(document.getElementById('probe').textContent)")
    assert [entry["z"] for entry in probe] == [list(z) for z in web.PROBE_POINTS]
    expected = model.decode(np.array(web.PROBE_POINTS))
    for entry, image in zip(probe, expected):
        np.testing.assert_allclose(entry["x"], image, rtol=0, atol=1e-5)


def errors_shown(browser) -> str:
    """What the page's own error handler wrote into #errors."""
    return browser.evaluate("document.getElementById('errors').textContent")


@pytest.mark.parametrize("build", [lecture_autoencoder, lecture_vae], ids=["autoencoder", "VAE"])
def test_the_page_decodes_in_a_browser_as_nanoae_does(build, test_digits, tmp_path, browser):
    model = randomised(build())
    page_path = tmp_path / "latent_explorer.html"
    page_path.write_text(web.page(web.export(model, test_digits, 200)), encoding="utf-8")
    assert browser.visit(f"{page_path.as_uri()}?probe=1") == []
    assert errors_shown(browser) == ""
    assert_the_page_decodes_as(browser, model)


def test_a_script_error_in_the_page_is_reported_in_the_errors_element(test_digits, tmp_path, browser):
    page = web.page(web.export(lecture_autoencoder(), test_digits, 10))
    page_path = tmp_path / "broken.html"
    page_path.write_text(page.replace("window.nanoaeDecode =", "plantedMistake(); window.nanoaeDecode ="), "utf-8")
    browser.visit(f"{page_path.as_uri()}?probe=1")
    assert "plantedMistake" in errors_shown(browser)


# the command -------------------------------------------------------------------------------------------------

@pytest.fixture
def run_folder(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    save_model(randomised(lecture_vae()), folder / "model.npz")
    return folder


def test_export_web_writes_the_page_into_the_run_folder(run_folder, capsys):
    assert main(["export-web", str(run_folder)]) == 0
    page = (run_folder / "latent_explorer.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "window.nanoaeDecode" in page
    assert "latent_explorer.html" in capsys.readouterr().out


def test_export_web_takes_out_points_and_json(run_folder, tmp_path):
    assert main(["export-web", str(run_folder / "model.npz"), "--out", str(tmp_path / "page.html"),
                 "--points", "10", "--json", str(tmp_path / "data.json")]) == 0
    data = json.loads((tmp_path / "data.json").read_text())
    assert (tmp_path / "page.html").is_file() and len(data["codes"]) == 10 and data["model"] == "VAE"


def test_export_web_refuses_a_5_d_code_in_one_line(tmp_path, capsys):
    save_model(dense_autoencoder([784, 16, 5]), tmp_path / "model.npz")
    assert main(["export-web", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "2-D" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "latent_explorer.html").exists()


def test_export_web_names_a_missing_run_in_one_line(tmp_path, capsys):
    assert main(["export-web", str(tmp_path / "no-such-run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no-such-run" in err and len(err.strip().splitlines()) == 1
