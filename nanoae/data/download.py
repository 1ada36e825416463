"""Fetching a file so that a failure leaves nothing behind.

The body is streamed to a temporary file beside the target, checked by the
caller's ``verify(path)`` (a SHA-256 comparison), and only then renamed into
place — atomically.  A network error, a truncated body, an HTTP error or wrong
bytes raise ``DataError`` and delete the temporary file; the target never
exists half-written.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from nanoae.data.idx import DataError


def download(url: str, target: str | Path, verify: Callable[[Path], None], timeout: float = 60.0,
             chunk: int = 1 << 20) -> Path:
    """Fetch ``url`` to ``target``: streamed to a temporary file, checked by ``verify``, then renamed into place."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    expected = response.headers.get("Content-Length")
                    received = 0
                    while block := response.read(chunk):
                        out.write(block)
                        received += len(block)
            except urllib.error.HTTPError as err:
                raise DataError(f"{url}: the server answered {err.code} {err.reason}") from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
                raise DataError(f"{url}: download failed ({getattr(err, 'reason', err)})") from None
            if expected is not None and received != int(expected):
                raise DataError(f"{url}: truncated download ({received} of {expected} bytes)")
            out.flush()
            os.fsync(out.fileno())
        verify(Path(temporary))                         # raises DataError on wrong bytes
        os.replace(temporary, target)
        return target
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
