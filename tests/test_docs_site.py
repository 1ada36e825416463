"""The documentation site (``make docs``), checked like code: links, the command line reference, every page in a
real browser (no console error, every image loaded, every formula typeset, from ``file://`` and over HTTP),
and the latent explorer decoding as nanoae's decoder does.

These tests read the built site in ``docs/_build/html``. Without it they skip, saying so — except under CI
(``CI`` set), where ``.ci/run`` builds the site first and a missing site fails.
"""
from __future__ import annotations

import functools
import html
import http.server
import importlib
import json
import os
import re
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nanoae import web
from nanoae.models import load_model
from tests.conftest import public_modules
from tests.test_web import assert_the_page_decodes_as

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "_build" / "html"
EXPLORER_RUN = ROOT / "docs" / "_build" / "explorer_run"
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
check_site = importlib.import_module("check_site")

IMAGES_NOT_LOADED = "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
MATHS_NOT_TYPESET = """[...document.querySelectorAll('.math')]
    .filter(m => !m.querySelector('mjx-container') || m.querySelector('mjx-merror')
                 || /\\\\[()\\[\\]]/.test(m.textContent))
    .map(m => m.textContent.slice(0, 60))"""
MATHS_TOO_WIDE = """[...document.querySelectorAll('div.math')]
    .filter(m => m.scrollWidth > m.clientWidth + 1).map(m => m.textContent.slice(0, 60))"""   # at 1280 px wide


BUILT_STAMP = ROOT / "docs" / "_build" / "site-built"           # `make docs` touches it after a good build
SOURCES = ["nanoae/**/*.py", "tutorials/*.py", "docs/**/*.md", "docs/conf.py", "docs/_ext/*.py",
           "benchmarks/*.md", "README.md", "CHANGELOG.md"]


def newest_source() -> Path:
    """The most recently changed file the site is built from (docs/_build and generated pages aside)."""
    paths = [p for pattern in SOURCES for p in ROOT.glob(pattern)
             if "_build" not in p.parts and "generated" not in p.parts and p.name != "cli.md"]
    return max(paths, key=lambda p: p.stat().st_mtime)


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file() or not BUILT_STAMP.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"no site in {SITE}: CI builds it with `make docs` before the tests")
        pytest.skip(f"no site in {SITE} (build it with `make docs`)")
    newest = newest_source()
    if newest.stat().st_mtime > BUILT_STAMP.stat().st_mtime:
        if os.environ.get("CI"):
            pytest.fail(f"the site is older than {newest.relative_to(ROOT)}: CI must build it after checkout")
        pytest.skip(f"the site is older than {newest.relative_to(ROOT)}: rebuild it with `make docs`")
    return SITE


def page_problems(browser, url: str) -> list[str]:
    """What a reader would see go wrong on one page: errors, images that did not load, raw maths."""
    problems = browser.visit(url)
    problems += [f"image not loaded: {src}" for src in browser.evaluate(IMAGES_NOT_LOADED)]
    problems += [f"maths not typeset: {text}" for text in browser.evaluate(MATHS_NOT_TYPESET)]
    problems += [f"maths wider than the page: {text}" for text in browser.evaluate(MATHS_TOO_WIDE)]
    return problems


# the front door ---------------------------------------------------------------------------------------------

def test_the_readme_is_the_short_front_door_and_its_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    assert "make test" in readme and "make docs" in readme
    targets = re.findall(r"\]\(((?:docs|benchmarks|tutorials)/[^)#\s]+)", readme)
    assert any(t.startswith("docs/guide/") for t in targets)
    assert [t for t in targets if not (ROOT / t).exists()] == []


# what the site holds ---------------------------------------------------------------------------------------

def test_every_internal_link_and_anchor_resolves_and_nothing_comes_from_the_network(site):
    assert check_site.problems(site) == []


def test_the_link_checker_catches_a_broken_link_a_missing_anchor_and_a_cdn(tmp_path):
    (tmp_path / "index.html").write_text('<a href="other.html#here">ok</a> <a href="missing.html">x</a>'
                                         '<a href="other.html#nowhere">y</a> <a href="https://example.org">fine</a>'
                                         '<script src="https://cdn.example.org/mathjax.js"></script>'
                                         '<img src="_images/gone.png">')
    (tmp_path / "other.html").write_text('<h1 id="here">other</h1>')
    found = check_site.problems(tmp_path)
    assert len(found) == 4, found
    assert any("missing.html — no such file" in line for line in found)
    assert any("no #nowhere in other.html" in line for line in found)
    assert any("loads https://cdn.example.org/mathjax.js from the network" in line for line in found)
    assert any("_images/gone.png — no such file" in line for line in found)


def test_the_ten_tutorials_are_pages_with_their_figures_inline(site):
    scripts = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
    assert len(scripts) == 10
    for script in scripts:
        page = (site / "tutorials" / f"{script.stem}.html").read_text(encoding="utf-8")
        shows_figures = re.search(r"\bshow\(", script.read_text(encoding="utf-8")) is not None
        assert ('<img' in page) == shows_figures, script.name
        assert "Traceback (most recent call last)" not in page, script.name


def test_the_tutorials_ran_at_build_time(site):
    """An executed notebook has its outputs: tutorial 3 prints its test MSE after the fast run's 2 epochs."""
    page = html.unescape((site / "tutorials" / "03_training_the_2d_autoencoder.html").read_text(encoding="utf-8"))
    assert re.search(r"test MSE per pixel after 2 epochs: 0\.\d{4}", page)


def test_the_api_reference_has_a_page_for_every_public_module(site):
    modules = public_modules()
    missing = [name for name in modules if not (site / "reference" / "generated" / f"{name}.html").is_file()]
    assert len(modules) > 80
    assert missing == []
    fit_page = (site / "reference" / "generated" / "nanoae.training.fit.html").read_text(encoding="utf-8")
    assert 'id="nanoae.training.fit.fit"' in fit_page and 'id="nanoae.training.fit.History"' in fit_page


def test_the_command_line_reference_is_what_help_prints(site):
    """Every command's ``--help``, as the parser prints it at the width the page was made with."""
    import nanoae_site
    from nanoae.cli import command_parser

    os.environ["COLUMNS"] = nanoae_site.HELP_WIDTH
    page = html.unescape(re.sub(r"<[^>]+>", "", (site / "reference" / "cli.html").read_text(encoding="utf-8")))
    parser = command_parser()
    commands = nanoae_site.subcommands(parser)
    assert set(commands) >= {"demo", "train", "walk", "export-web", "pretrain", "reduce", "info"}
    for command in [parser, *commands.values()]:
        assert command.format_help().rstrip() in page, command.prog


def test_maths_is_shipped_with_the_site(site):
    assert (site / "_static" / "mathjax" / "tex-svg-full.js").stat().st_size > 1_000_000
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '_static/mathjax/tex-svg-full.js' in index


# in a real browser -----------------------------------------------------------------------------------------

def test_every_page_opens_from_file_without_an_error_a_missing_image_or_raw_maths(site, browser):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100
    found = {}
    for path in pages:
        problems = page_problems(browser, path.as_uri())
        if problems:
            found[str(path.relative_to(site))] = problems
    assert found == {}


def test_the_browser_check_sees_an_error_a_missing_image_and_raw_maths(tmp_path, browser):
    page = tmp_path / "broken.html"
    page.write_text('<html><body><img src="nowhere.png"><span class="math">\\(x^2\\)</span>'
                    '<div class="math" style="width: 100px; overflow-x: auto; white-space: nowrap">'
                    '<mjx-container>a formula far wider than the hundred pixels it is given</mjx-container></div>'
                    '<script>console.error("planted")</script></body></html>')
    problems = page_problems(browser, page.as_uri())
    assert any("planted" in p for p in problems), problems
    assert any(p.startswith("image not loaded") for p in problems), problems
    assert any(p.startswith("maths not typeset") for p in problems), problems
    assert any(p.startswith("maths wider than the page") for p in problems), problems


@pytest.mark.parametrize("page", ["index.html", "tutorials/01_vector_operations.html",
                                  "tutorials/02_backprop_by_hand.html", "tutorials/05_the_vae.html",
                                  "tutorials/10_how_deep_autoencoders_first_learned.html"])
def test_the_maths_is_typeset_on_the_landing_page_and_in_the_tutorials(site, browser, page):
    assert page_problems(browser, (site / page).as_uri()) == []
    assert browser.evaluate("document.querySelectorAll('.math mjx-container svg').length") >= 1


@pytest.fixture(scope="module")
def served(site):
    """The site over HTTP, as ``python -m http.server`` serves it."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_pages_open_over_http_too(served, browser):
    for page in ["index.html", "tutorials/05_the_vae.html", "guide/index.html", "reference/api.html",
                 "explore.html", "latent_explorer.html"]:
        assert page_problems(browser, served + page) == [], page


def test_the_explorer_page_embeds_the_explorer_and_it_runs(served, browser):
    assert page_problems(browser, served + "explore.html") == []
    frame = ("(() => { const d = document.querySelector('iframe').contentDocument;"
             " return [d.querySelectorAll('canvas').length, d.getElementById('errors').textContent]; })()")
    canvases, errors = browser.evaluate(frame)
    assert canvases >= 1 and errors == ""


def test_the_explorer_decodes_as_nanoaes_decoder_at_five_points(site, browser):
    assert page_problems(browser, (site / "latent_explorer.html").as_uri() + "?probe=1") == []
    assert len(web.PROBE_POINTS) == 5
    assert_the_page_decodes_as(browser, load_model(EXPLORER_RUN / "model.npz"))
    data = json.loads(re.search(r'<script id="nanoae-data" type="application/json">(.*?)</script>',
                                (site / "latent_explorer.html").read_text(encoding="utf-8"), re.S)[1])
    assert len(data["codes"]) == 1000 and data["sizes"] == [784, 128, 64, 2]


# the build's strictness ----------------------------------------------------------------------------------

def test_a_reference_to_something_nanoae_lacks_fails_the_strict_build_and_one_to_numpy_does_not(tmp_path):
    """The site's nitpicky settings: a dangling reference into nanoae is an error, other packages' types not."""
    sphinx_cmd = pytest.importorskip("sphinx.cmd.build", reason="the docs extra (pip install -e '.[docs]')")
    settings = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    nitpick = settings[settings.index("nitpicky = True"):]
    nitpick = nitpick[:nitpick.index("]") + 1]
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(nitpick + "\n", encoding="utf-8")

    def build(signature: str) -> int:
        (source / "index.rst").write_text(f"Test\n====\n\n.. py:function:: {signature}\n", encoding="utf-8")
        return sphinx_cmd.build_main(["-b", "html", "-q", "-W", "-E", str(source), str(tmp_path / "out")])

    assert build("f(x: numpy.ndarray) -> Array") == 0
    assert build("f(x: numpy.ndarray) -> nanoae.layers.NoSuchLayer") != 0
