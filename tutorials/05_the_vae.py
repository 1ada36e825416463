# %% [markdown]
# # 5. The variational autoencoder: reparameterisation, the KL term, sampling, the ELBO
#
# The encoder outputs μ and log σ²; z = μ + σ ⊙ ε with ε ~ N(0, I) and σ = exp(½ log σ²) —
# the reparameterisation that lets gradients reach μ and σ. The loss is the negative ELBO:
#
# $$
# \begin{aligned}
# -\mathrm{ELBO} &= -\log p(x \mid z) + \mathrm{KL}\big(\mathcal{N}(\mu, \sigma^2) \,\|\, \mathcal{N}(0, I)\big), \\
# \mathrm{KL} &= -\tfrac{1}{2} \textstyle\sum_j \big(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\big)
# \end{aligned}
# $$
#
# and new digits come from decoding z ~ N(0, I).

# %%
import os
from pathlib import Path

import numpy as np

from nanoae import backend, plots
from nanoae.data import load_mnist_5k
from nanoae.evaluation.log_likelihood import elbo_terms, log_likelihood
from nanoae.models import lecture_vae
from nanoae.training.objectives import ELBO
from nanoae.training import fit

FAST = os.environ.get("NANOAE_TUTORIAL_FAST") == "1"
HERE = Path(__file__).parent if "__file__" in globals() else Path.cwd()   # a notebook has no __file__
OUT = Path(os.environ.get("NANOAE_TUTORIAL_OUT", HERE / "figures"))
OUT.mkdir(parents=True, exist_ok=True)
backend.use("numpy", dtype="float32", seed=0)
train, test = load_mnist_5k()

# %% The reparameterisation, on one digit
vae = lecture_vae()
mu, logvar = vae.encode(test.floats([0]))
z, eps, sigma = vae.reparameterize(mu, logvar)
print(f"μ = {np.round(backend.to_numpy(mu)[0], 3)}, σ = {np.round(backend.to_numpy(sigma)[0], 3)}, "
      f"ε = {np.round(backend.to_numpy(eps)[0], 3)}  →  z = μ + σ·ε = {np.round(backend.to_numpy(z)[0], 3)}")

# %% Training: the ELBO objective
# 100 epochs take a while, so this trains with the fast engine (`engine="fast"`: nanoae/fast/, the same
# arithmetic to rounding, compiled into one step). Leave it out to train through the layers' own code,
# the reference you can step through in a debugger (tutorial 2); the numbers agree (tests/test_engine.py).
history = fit(vae, train, test, objective=ELBO(beta=1.0), epochs=2 if FAST else 100, batch_size=128, lr=3e-3,
              progress=False, engine="fast")
terms = elbo_terms(vae, test)
print(f"test −ELBO = {terms['reconstruction']:.2f} + {terms['kl']:.2f} = {terms['neg_elbo']:.2f} nats per image")
print(f"importance-weighted log p(x) with k = 50: {log_likelihood(vae, test, k=50):.2f} (≥ the ELBO, −{terms['neg_elbo']:.2f})")
plots.show(plots.plot_elbo(history, OUT / "05_elbo.png"))

# %% Sampling new digits from the prior
samples = backend.to_numpy(vae.sample(30))
plots.show(plots.plot_image_grid(samples, OUT / "05_samples.png", "z ~ N(0, I), decoded"))
