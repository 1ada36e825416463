# %% [markdown]
# # 7. Anomaly detection by reconstruction error
#
# Train on one digit only ("normal"). A digit the network has never seen reconstructs badly,
# so the score
#
# $$ s(x) = \tfrac{1}{784} \lVert x - \hat{x} \rVert^2 $$
#
# flags it. The threshold is a quantile of the scores of
# normal digits held aside from training; the ROC AUC summarises every threshold at once.

# %%
import os
import shutil
from pathlib import Path

from nanoae.apps import run_anomaly
from nanoae.plots import show

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

RUN = OUT / "07_anomaly_run"
shutil.rmtree(RUN, ignore_errors=True)                 # this tutorial's own results from an earlier run
# Several autoencoders of many epochs: trained with the fast engine (nanoae/fast/, the same arithmetic
# to rounding); engine="reference" trains through the layers' own code, to step through.
metrics = run_anomaly(RUN, engine="fast", classes=[0, 1, 8], epochs=2 if FAST else 40, show_class=0, progress=False)
for digit, r in metrics["per_class"].items():
    print(f"normal digit {digit}: AUROC {r['auroc']:.3f}, anomalies caught at the threshold "
          f"{r['anomalies_caught']:.0%}, normal digits flagged {r['normal_flagged']:.0%}")
# The figures: 07_anomaly_run/anomaly_scores.png (histograms, ROC) and anomaly_extremes.png
for name in metrics.get("figures", []):
    show(RUN / name)
