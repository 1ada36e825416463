"""``python -m nanoae`` and the ``nanoae`` command: the command line, started with nanoae's BLAS setting.

OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` only when it is loaded, and NumPy
loads it as soon as nanoae is imported — before this file runs.  So when the
variable is not set, the command starts itself once more with it set
(``nanoae/fast/blas.py`` says why it matters); set it yourself to choose
another value, or to skip the restart.  Not under a debugger, and only on
Linux, where nanoae's measurements were made.  Under ``python -m nanoae`` the
restart comes before the command line is loaded, so that it is loaded once.
"""
import os
import sys

from nanoae.fast import blas


def restart_with_the_blas_setting() -> None:
    """Replace this process by ``python -m nanoae <the same arguments>`` with the setting, if it lacks it."""
    if blas.VARIABLE not in os.environ and sys.platform.startswith("linux") and sys.gettrace() is None:
        os.execve(sys.executable, [sys.executable, "-m", "nanoae", *sys.argv[1:]], blas.environment())


if __name__ == "__main__":
    restart_with_the_blas_setting()

from nanoae.cli import main as command_line  # noqa: E402  (after the restart above, so loaded once)


def main() -> int:
    restart_with_the_blas_setting()
    return command_line()


if __name__ == "__main__":
    sys.exit(main())
