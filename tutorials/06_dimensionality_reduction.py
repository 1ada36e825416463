# %% [markdown]
# # 6. Dimensionality reduction: the autoencoder where you would use PCA
#
# `AutoencoderReducer` and `PCA` share scikit-learn's interface — `fit`, `transform`,
# `inverse_transform` — so one replaces the other in a line. We compare them at code sizes 2
# and 30: reconstruction error, 5-NN accuracy of the codes, and trustworthiness (how well the
# code keeps each image's nearest neighbours).

# %%
import os
import shutil
from pathlib import Path

from nanoae.apps import AutoencoderReducer, run_reduction
from nanoae.data import load_mnist_5k
from nanoae.evaluation.pca import PCA
from nanoae.plots import show

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

# %% The shared interface, in three lines each
train, test = load_mnist_5k()
for reducer in (PCA(2, images=True), AutoencoderReducer(2, hidden=(128, 64), epochs=1 if FAST else 30, images=True,
                                                             engine="fast")):   # 30 epochs: the fast engine
    codes = reducer.fit(train.images).transform(test.images)
    print(f"{type(reducer).__name__:<20} codes {codes.shape}, reconstructions "
          f"{reducer.inverse_transform(codes).shape}")

# %% The full comparison (Hinton & Salakhutdinov's 784-1000-500-250-code network)
RUN = OUT / "06_reduction_run"
shutil.rmtree(RUN, ignore_errors=True)                 # this tutorial's own results from an earlier run
metrics = run_reduction(RUN, code_sizes=(2, 30), hidden=(64,) if FAST else (1000, 500, 250),
                        epochs=1 if FAST else 10, progress=False,
                        engine="fast")     # two 2.8-million-parameter networks, 10 epochs each: the fast engine
for size, result in metrics["results"].items():
    for name in ("autoencoder", "pca"):
        r = result[name]
        print(f"{size:>2}-D {name:<12} error {r['squared_error_per_image']:6.2f}  5-NN {r['5nn_accuracy']:.3f}  "
              f"trustworthiness {r['trustworthiness_k5']:.3f}")
for name in metrics.get("figures", []):
    show(RUN / name)
