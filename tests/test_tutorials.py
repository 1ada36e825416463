"""Every tutorial runs, in its fast mode, as a plain script and as a notebook, and shows its figures.

As a script it writes its figures; converted by jupytext and executed cell by cell in a
Jupyter kernel (nbclient), it runs unchanged and shows each figure inline (an image/png
output), as a student opening it in Jupyter would see it.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
FIGURES = {"01": ["01_walk.png"], "02": ["02_gradients.png"],
           "03": ["03_losses.png", "03_latent.png", "03_manifold.png"],
           "04": ["04_denoising_run/denoising.png"], "05": ["05_elbo.png", "05_samples.png"],
           "06": ["06_reduction_run/embeddings.png"], "07": ["07_anomaly_run/anomaly_scores.png"], "08": [],
           "09": ["09_walk_back.png"],
           "10": ["10_cd_k.png", "10_filters.png", "10_pretrain_run/reconstructions.png"]}


def test_there_are_ten_tutorials():
    assert [t.name[:2] for t in TUTORIALS] == ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]


@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda t: t.name)
def test_tutorial_runs_in_fast_mode(tutorial, tmp_path):
    env = dict(os.environ, NANOAE_TUTORIAL_FAST="1", NANOAE_TUTORIAL_OUT=str(tmp_path), MPLBACKEND="Agg",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(tutorial)], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    for figure in FIGURES[tutorial.name[:2]]:
        assert (tmp_path / figure).exists(), f"{tutorial.name} did not write {figure}"
    if tutorial.name.startswith("08"):          # it reads the suite's recorded run back
        assert "lecture network, batch  128, numpy-f32" in result.stdout, result.stdout[-2000:]
        assert "run1: " in result.stdout and "lecture network, batch 8192, cupy" in result.stdout   # the GPU runs


@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda t: t.name)
def test_tutorial_runs_as_a_notebook_with_its_figures_inline(tutorial, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("NANOAE_TUTORIAL_FAST", "1")
    monkeypatch.setenv("NANOAE_TUTORIAL_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = jupytext.read(tutorial)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tutorial.parent)}})
    client.execute()                                      # raises CellExecutionError, with the cell, on failure
    images = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
              if "image/png" in output.get("data", {})]
    assert len(images) >= len(FIGURES[tutorial.name[:2]]), f"{tutorial.name}: {len(images)} figures shown inline"
    for figure in FIGURES[tutorial.name[:2]]:
        assert (tmp_path / figure).exists(), f"{tutorial.name} did not write {figure}"
