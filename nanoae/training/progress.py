"""Training progress on a terminal: a live bar on a TTY, one line per epoch otherwise.

    epoch  3/20 [██████████··········]  52%  loss 0.0412  18,350 samples/s  0:12 elapsed, 0:45 left

Written to ``stream`` (stderr by default).  When the stream is not a terminal
(a log file, CI) the bar is replaced by one line at the end of each epoch.
The time left is the run's remaining steps at the pace of the steps so far.
``label`` (e.g. "denoising AE") starts every line, when several models train
one after the other.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def clock(seconds: float) -> str:
    """0:07, 12:34, 1:02:03."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Progress:
    """A live bar on a terminal, one line per epoch otherwise."""

    def __init__(self, epochs: int, steps_per_epoch: int, stream: TextIO | None = None, width: int = 20,
                 label: str | None = None, first_epoch: int = 1) -> None:
        self.epochs, self.steps_per_epoch, self.width = epochs, steps_per_epoch, width
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.prefix = f"{label}: " if label else ""
        self.steps_to_run = max(1, (epochs - first_epoch + 1) * steps_per_epoch)   # in this call (a resume skips some)
        self.steps_run = 0
        self.run_started = time.perf_counter()
        self._last_draw = 0.0

    def start_epoch(self, epoch: int) -> None:
        self.epoch, self.samples, self.loss_sum, self.steps = epoch, 0, 0.0, 0
        self.started = time.perf_counter()

    def step(self, loss: float, batch_size: int) -> None:
        self.steps += 1
        self.steps_run += 1
        self.samples += batch_size
        self.loss_sum += loss * batch_size
        now = time.perf_counter()
        if self.live and (now - self._last_draw > 0.1 or self.steps == self.steps_per_epoch):
            self._last_draw = now
            done = self.steps / self.steps_per_epoch
            filled = int(done * self.width)
            bar = "█" * filled + "·" * (self.width - filled)
            self.stream.write(f"\r{self.prefix}epoch {self.epoch:>{len(str(self.epochs))}}/{self.epochs} [{bar}] "
                              f"{done:4.0%}  loss {self.loss_sum / self.samples:.4f}  "
                              f"{self.samples_per_second():,.0f} samples/s  {self.times()}")
            self.stream.flush()

    def end_epoch(self, train_loss: float, test_loss: float | None) -> None:
        test = f"  test {test_loss:.4f}" if test_loss is not None else ""
        epoch = f"{self.prefix}epoch {self.epoch:>{len(str(self.epochs))}}/{self.epochs}"
        line = f"{epoch}  train {train_loss:.4f}{test}  {self.samples_per_second():,.0f} samples/s  {self.times()}"
        self.stream.write(("\r" + line + " " * 10 + "\n") if self.live else line + "\n")
        self.stream.flush()

    def samples_per_second(self) -> float:
        return self.samples / max(time.perf_counter() - self.started, 1e-9)

    def times(self) -> str:
        """'0:12 elapsed, 0:45 left' for the whole run."""
        elapsed = time.perf_counter() - self.run_started
        left = elapsed / max(self.steps_run, 1) * (self.steps_to_run - self.steps_run)
        return f"{clock(elapsed)} elapsed, {clock(left)} left"
