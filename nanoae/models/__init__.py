"""Models built from the layers: the autoencoder and its presets."""
from nanoae.models.autoencoder import Autoencoder
from nanoae.models.conv_presets import conv_autoencoder
from nanoae.models.likelihoods import BernoulliLikelihood, GaussianLikelihood
from nanoae.models.presets import LECTURE_SIZES, dense_autoencoder, from_config, lecture_autoencoder, mlp
from nanoae.models.vae import VAE, classic_vae, dense_vae, lecture_vae

__all__ = ["Autoencoder", "mlp", "dense_autoencoder", "lecture_autoencoder", "from_config", "LECTURE_SIZES",
           "conv_autoencoder", "VAE", "dense_vae", "lecture_vae", "classic_vae", "BernoulliLikelihood", "GaussianLikelihood"]
