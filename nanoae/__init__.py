"""nanoae: autoencoders from scratch in NumPy, on the GPU through CuPy by one switch.

The package, floor by floor; each imports only from the floors above it::

    backend, emulated    the array module (NumPy / CuPy / the emulated device), dtype, seeded generator
    limits               every size limit nanoae enforces, checked before anything is allocated
    functional           formulas used in several places: stable sigmoid, BCE on logits, logsumexp, log 2π
    files                atomic writing, JSON, the pickle-free .npz reader
    initializers         Xavier and He initialisation
    gradcheck            central-difference gradient checks: the correctness oracle
    parameters           θ and g: a model's parameters and gradients as two flat vectors, the layers' views
    layers               Linear, activations, convolutions, pooling, Sequential, tied weights;
                         every backward(dout) returns ∂L/∂input
    losses               MSE, BCE, BCE on logits, the Gaussian KL term
    optim                SGD, Adam, AdamW (each rule as its formulas, per parameter), clipping, schedules
    data                 the shipped digits, full-size data sets, minibatches, corruptions
    schema               what each saved JSON file may hold, and the one validator that checks it
    models               Autoencoder, VAE (each owns its parameters' memory), presets, decoder likelihoods,
                         the model file, a model's size checked before it is built
    training             fit (the loop a student reads), the objectives (reconstruction, ELBO, penalties),
                         checkpoints, progress
    evaluation           metrics, PCA, the VAE's log-likelihood estimate, the walk through the network;
                         the scikit-learn estimator base (scikit-learn optional)
    plots                figures (matplotlib)
    interop              the bridge to PyTorch: to_torch, from_torch (PyTorch optional)
    fast                 the fast ENGINE, built on all of the maths above: compiles a model, its objective and
                         its optimizer into one training step (fused across layers, buffers allocated once,
                         one update over θ); fit(engine="fast") and the command line use it; nothing above
                         imports it (but fit's compile_step, inside the function: the reference never loads it)
    rbm                  restricted Boltzmann machines, contrastive divergence, greedy pretraining and
                         unrolling into a deep autoencoder (Hinton & Salakhutdinov 2006): maths that uses
                         training's progress and checkpoints, on the engine's floor, importing nothing from it
    runs                 a run from a configuration to a run folder (locked for that run alone): the
                         autoencoder and VAE recipes, the 2006 pretraining experiment
    apps                 denoising, dimensionality reduction, anomaly detection
    web                  the latent explorer page: a 2-D run's decoder, run live in the browser
    cli                  python -m nanoae <command>
"""
from nanoae import backend, data, initializers, layers, losses, models, optim, parameters
from nanoae.gradcheck import gradcheck, gradcheck_loss, numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = ["backend", "data", "parameters", "initializers", "layers", "losses", "models", "optim",
           "gradcheck", "gradcheck_loss", "numerical_gradient", "rel_error", "__version__"]
