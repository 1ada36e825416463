"""Models built from the layers: the autoencoder, the VAE, their presets, and the model file.

    base.py                 what every model shares: it owns its parameters' memory, its input is data
    autoencoder.py          Autoencoder(encoder, decoder)
    dense.py                mlp(sizes), dense_autoencoder(sizes), lecture_autoencoder()
    conv.py                 conv_autoencoder(code_size, channels)
    vae.py                  VAE, dense_vae(sizes), lecture_vae(), classic_vae()
    decoder_likelihoods.py  the VAE decoder's p(x|z): Bernoulli, Gaussian
    saving.py               save_model, load_model, from_config
"""
from nanoae.models.autoencoder import Autoencoder
from nanoae.models.base import Model
from nanoae.models.conv import conv_autoencoder
from nanoae.models.decoder_likelihoods import BernoulliLikelihood, GaussianLikelihood
from nanoae.models.dense import ACTIVATIONS, LECTURE_SIZES, dense_autoencoder, lecture_autoencoder, mlp
from nanoae.models.saving import ModelFileError, from_config, load_model, save_model
from nanoae.models.vae import VAE, classic_vae, dense_vae, lecture_vae

__all__ = ["Model", "Autoencoder", "mlp", "dense_autoencoder", "lecture_autoencoder", "LECTURE_SIZES", "ACTIVATIONS",
           "conv_autoencoder", "VAE", "dense_vae", "lecture_vae", "classic_vae", "BernoulliLikelihood",
           "GaussianLikelihood", "from_config", "save_model", "load_model", "ModelFileError"]
