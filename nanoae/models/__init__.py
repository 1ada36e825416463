"""Models built from the layers: the autoencoder and its presets."""
from nanoae.models.autoencoder import Autoencoder
from nanoae.models.presets import LECTURE_SIZES, dense_autoencoder, from_config, lecture_autoencoder, mlp

__all__ = ["Autoencoder", "mlp", "dense_autoencoder", "lecture_autoencoder", "from_config", "LECTURE_SIZES"]
