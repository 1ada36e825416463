# %% [markdown]
# # 4. Denoising
#
# Corrupt the input afresh every batch, x̃ = x + σ·n clipped to [0, 1], and ask the network for
# the clean x:
#
# $$
# \tilde{x} = \operatorname{clip}_{[0, 1]}(x + \sigma n), \quad n \sim \mathcal{N}(0, I), \qquad
# L = \big\lVert x - f_\text{dec}(f_\text{enc}(\tilde{x})) \big\rVert^2 .
# $$
#
# The clean digit stays the target; the noise is never stored. We compare with the same network trained on clean digits, given the same noisy input.

# %%
import os
import shutil
from pathlib import Path

from nanoae.apps import run_denoising
from nanoae.plots import show

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

RUN = OUT / "04_denoising_run"
shutil.rmtree(RUN, ignore_errors=True)                 # this tutorial's own results from an earlier run
# Several autoencoders of many epochs: trained with the fast engine (nanoae/fast/, the same arithmetic
# to rounding); engine="reference" trains through the layers' own code, to step through.
metrics = run_denoising(RUN, engine="fast", kind="gaussian", train_level=0.3, levels=[0.1, 0.3, 0.5],
                        epochs=1 if FAST else 20, progress=False)
print(f"{'σ':>4}  {'images':<14} PSNR (dB)")
for row in metrics["results"]:
    print(f"{row['level']:>4}  {row['images']:<14} {row['psnr_db']:6.2f}")
# The figures: 04_denoising_run/denoising.png (clean / noisy / denoised / plain) and psnr.png
for name in metrics.get("figures", []):
    show(RUN / name)
