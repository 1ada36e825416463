"""What autoencoders are for, each as a measured workflow: denoising, dimensionality reduction,
anomaly detection.  Each ``run_*`` function trains on the shipped digits, returns its metrics and
writes its figures and ``metrics.json`` to a run folder; the CLI's ``denoise``, ``reduce`` and
``anomaly`` commands call them."""
from nanoae.apps.anomaly import run_anomaly
from nanoae.apps.denoising import run_denoising
from nanoae.apps.reduction import run_reduction

__all__ = ["run_denoising", "run_reduction", "run_anomaly", "AutoencoderReducer"]


def __getattr__(name):
    """``AutoencoderReducer`` is imported on first use: its module imports scikit-learn (where installed),
    which takes a second or more — too long to add to every command's start-up."""
    if name == "AutoencoderReducer":
        from nanoae.apps.reducer import AutoencoderReducer
        return AutoencoderReducer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
