# %% [markdown]
# # 6. Dimensionality reduction: the autoencoder where you would use PCA
#
# `AutoencoderReducer` and `PCA` share scikit-learn's interface — `fit`, `transform`,
# `inverse_transform` — so one replaces the other in a line. We compare them at code sizes 2
# and 30: reconstruction error, 5-NN accuracy of the codes, and trustworthiness (how well the
# code keeps each image's nearest neighbours).

# %%
import os
from pathlib import Path

from nanoae.apps import AutoencoderReducer, run_reduction
from nanoae.data import load_mnist_5k
from nanoae.evaluation.pca import PCA

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", Path(__file__).parent / "figures"))
OUT.mkdir(parents=True, exist_ok=True)

# %% The shared interface, in three lines each
train, test = load_mnist_5k()
for reducer in (PCA(2), AutoencoderReducer(2, hidden=(128, 64), epochs=1 if FAST else 30)):
    codes = reducer.fit(train.images).transform(test.images)
    print(f"{type(reducer).__name__:<20} codes {codes.shape}, reconstructions "
          f"{reducer.inverse_transform(codes).shape}")

# %% The full comparison (Hinton & Salakhutdinov's 784-1000-500-250-code network)
metrics = run_reduction(OUT / "06_reduction_run", code_sizes=(2, 30),
                        hidden=(64,) if FAST else (1000, 500, 250), epochs=1 if FAST else 10, progress=False)
for size, result in metrics["results"].items():
    for name in ("autoencoder", "pca"):
        r = result[name]
        print(f"{size:>2}-D {name:<12} error {r['squared_error_per_image']:6.2f}  5-NN {r['5nn_accuracy']:.3f}  "
              f"trustworthiness {r['trustworthiness_k5']:.3f}")
