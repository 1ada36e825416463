"""Training progress on a terminal: a live bar on a TTY, one line per epoch otherwise.

    epoch  3/20 [██████████··········]  52%  loss 0.0412  18,350 samples/s

Written to ``stream`` (stderr by default).  When the stream is not a terminal
(a log file, CI) the bar is replaced by one line at the end of each epoch.
"""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, epochs: int, steps_per_epoch: int, stream=None, width: int = 20):
        self.epochs, self.steps_per_epoch, self.width = epochs, steps_per_epoch, width
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0

    def start_epoch(self, epoch: int) -> None:
        self.epoch, self.samples, self.loss_sum, self.steps = epoch, 0, 0.0, 0
        self.started = time.perf_counter()

    def step(self, loss: float, batch_size: int) -> None:
        self.steps += 1
        self.samples += batch_size
        self.loss_sum += loss * batch_size
        now = time.perf_counter()
        if self.live and (now - self._last_draw > 0.1 or self.steps == self.steps_per_epoch):
            self._last_draw = now
            done = self.steps / self.steps_per_epoch
            filled = int(done * self.width)
            bar = "█" * filled + "·" * (self.width - filled)
            self.stream.write(f"\repoch {self.epoch:>{len(str(self.epochs))}}/{self.epochs} [{bar}] "
                              f"{done:4.0%}  loss {self.loss_sum / self.samples:.4f}  "
                              f"{self.samples_per_second():,.0f} samples/s")
            self.stream.flush()

    def end_epoch(self, train_loss: float, test_loss: float | None) -> None:
        test = f"  test {test_loss:.4f}" if test_loss is not None else ""
        line = (f"epoch {self.epoch:>{len(str(self.epochs))}}/{self.epochs}  train {train_loss:.4f}{test}  "
                f"{self.samples_per_second():,.0f} samples/s")
        self.stream.write(("\r" + line + " " * 10 + "\n") if self.live else line + "\n")
        self.stream.flush()

    def samples_per_second(self) -> float:
        return self.samples / max(time.perf_counter() - self.started, 1e-9)
