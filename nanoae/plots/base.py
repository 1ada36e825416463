"""What every figure shares: matplotlib loaded on demand, and a PNG written atomically.

Everything arrives in ``nanoae.plots`` as NumPy arrays — the edge where device
data has already been converted with ``backend.to_numpy``.  Each plotting
function writes one PNG atomically and returns its path.  matplotlib is the
``plot`` extra: without it, ``require_matplotlib`` says what to install.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from nanoae.files import atomic_write


class PlotsUnavailable(RuntimeError):
    """matplotlib is not installed."""


def matplotlib_available() -> bool:
    """Whether figures can be drawn here."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def require_matplotlib() -> None:
    """Fail before hours of training, not after, when figures cannot be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotsUnavailable("figures need matplotlib: pip install 'nanoae[plot]' "
                               "(or pass --no-figures)") from None


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend (a clear error without matplotlib)."""
    require_matplotlib()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as a PNG, atomically, and close it."""
    path = Path(path)
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return path


def show(path: str | Path) -> Path:
    """Show a written figure inline when running in a Jupyter kernel (a notebook); in a script, nothing.
    Returns ``path``, so that ``show(plot_losses(...))`` reads as one step."""
    path = Path(path)
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "kernel"):
        from IPython.display import Image, display
        display(Image(filename=str(path)))
    return path
