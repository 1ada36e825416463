"""nanoae: autoencoders from scratch in NumPy, on the GPU through CuPy by one switch.

The package, floor by floor; each imports only from the floors above it:

    backend, emulated    the array module (NumPy / CuPy / the emulated device), dtype, seeded generator
    functional           formulas used in several places: stable sigmoid, BCE on logits, logsumexp, log 2π
    files                atomic writing, JSON, the pickle-free .npz reader
    initializers         Xavier and He initialisation
    gradcheck            central-difference gradient checks: the correctness oracle
    fast                 the fast path, all of it: flat parameter storage, threaded in-place optimizer
                         updates, subnormal flushing, the BLAS setting — nanoae.fast.disable() turns it off
    layers               Linear, activations, convolutions, pooling, Sequential, tied weights;
                         every backward(dout) returns ∂L/∂input
    losses               MSE, BCE, BCE on logits, the Gaussian KL term
    optim                SGD, Adam, AdamW (each rule in its textbook form, and a fast form), clipping, schedules
    data                 the shipped digits, full-size data sets, minibatches, corruptions
    models               Autoencoder, VAE (each owns its parameters' memory), presets, decoder likelihoods,
                         the model file
    training             fit, the objectives (reconstruction, ELBO), checkpoints, progress
    evaluation           metrics, PCA, the VAE's log-likelihood estimate, the walk through the network;
                         the scikit-learn estimator base (scikit-learn optional)
    plots                figures (matplotlib)
    interop              the bridge to PyTorch: to_torch, from_torch (PyTorch optional)
    rbm                  restricted Boltzmann machines, contrastive divergence, greedy pretraining and
                         unrolling into a deep autoencoder (Hinton & Salakhutdinov 2006)
    runs                 a run from a configuration to a run folder: the autoencoder and VAE recipes,
                         the 2006 pretraining experiment
    apps                 denoising, dimensionality reduction, anomaly detection
    cli                  python -m nanoae <command>
"""
from nanoae import backend, data, fast, initializers, layers, losses, models, optim
from nanoae.gradcheck import gradcheck, gradcheck_loss, numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = ["backend", "data", "fast", "initializers", "layers", "losses", "models", "optim",
           "gradcheck", "gradcheck_loss", "numerical_gradient", "rel_error", "__version__"]
