"""A run folder's lock: one run per folder, for the whole run.

    lock_run_folder(out)         take the lock, or refuse (ValueError) naming the run that holds it
    unlock_run_folder(out, fd)   give it back (the lock file removed)

The lock is the file ``.nanoae.lock`` in the run folder, holding the run's pid, host and start
time, kept open with an exclusive ``flock``.  The kernel drops a flock when its process dies, so
a lock file left by a killed run is taken over.  Where there is no flock (Windows, some network
file systems) the recorded pid and host decide; a lock from another host is taken as held.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from pathlib import Path

try:
    import fcntl
except ImportError:                  # Windows: no flock; the lock file's pid and host decide instead
    fcntl = None                    # type: ignore[assignment]

LOCK_FILE = ".nanoae.lock"          # {"pid", "host", "since"} of the run that holds the folder


def lock_run_folder(out: Path, resuming: bool = False) -> int:
    """Take ``out``'s lock for this run, or refuse with a ValueError naming the run that holds it.

    The lock is the file ``.nanoae.lock``, holding this run's pid, host and start time, kept open with an
    exclusive ``flock`` on it.  The kernel drops a flock when its process dies, so a lock file left by a
    killed run holds no flock, and is taken over.  Returns the open file descriptor, for ``unlock_run_folder``.
    """
    path = out / LOCK_FILE
    while True:
        if path.is_symlink():
            raise ValueError(f"{path} is a symbolic link, not nanoae's lock file; remove it")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        held = _flock(fd)
        previous = _holder(fd, wait=held is False)
        if held is False or (held is None and previous and _alive(previous)):
            os.close(fd)
            advice = "wait for it to finish" + ("" if resuming else ", or choose another --out")
            if held is None:
                advice += f"; if it is no longer running, remove {path}"
            raise ValueError(f"run folder {out} is in use by another nanoae run ({_describe(previous)}); {advice}")
        if _still_at(fd, path):
            break
        os.close(fd)                            # its holder removed it as we opened it: start again
    if previous:
        logging.getLogger(__name__).warning(f"taking over {path}, left by a run that is no longer running "
                                            f"({_describe(previous)})")
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(me).encode())
    os.fsync(fd)
    return fd


def unlock_run_folder(out: Path, fd: int) -> None:
    """Remove the lock file, then let go of its flock: in that order, so that no run takes a lock being removed
    (without flock, on Windows, the file is closed first: Windows removes no open file)."""
    if fcntl is None:
        os.close(fd)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out / LOCK_FILE)
    except OSError:                             # a folder gone read-only: the flock still goes with the fd
        pass
    finally:
        if fcntl is not None:
            os.close(fd)


def _flock(fd: int):
    """True: this run now holds fd's flock; False: another process does; None: no flock here."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:                             # a file system without flock
        return None
    return True


def _holder(fd: int, wait: bool) -> dict:
    """The lock file's {"pid", "host", "since"}; {} if empty or unreadable (``wait``: give its holder a moment
    to write it)."""
    for _ in range(20 if wait else 1):
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            holder = json.loads(os.read(fd, 4096) or b"null")
        except ValueError:
            holder = None
        if isinstance(holder, dict):
            return holder
        if wait:
            time.sleep(0.05)
    return {}


def _alive(holder: dict) -> bool:
    """Without flock: whether the lock's run may still be running (on another host, nanoae cannot tell)."""
    if holder.get("host") != socket.gethostname() or os.name == "nt":
        return True
    try:
        os.kill(int(holder.get("pid")), 0)           # type: ignore[arg-type]  # None: TypeError, caught below
    except ProcessLookupError:
        return False
    except (OSError, TypeError, ValueError, OverflowError):
        return True                             # PermissionError: alive, another user's
    return True


def _describe(holder: dict) -> str:
    if not holder:
        return "its details are not written yet"
    return f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')}"


def _still_at(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return False
