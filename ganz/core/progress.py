"""One progress line on stderr for a command that runs longer than a few seconds (no torch).

On a terminal the line is rewritten in place — ``compressing face.png: step 120/1000, ~95 s
left`` — and erased at the end, so stdout's own lines stay as they were. Anywhere else (a pipe,
a log file) it prints one plain line when the estimate is first known and nothing more. A run
estimated under ``min_seconds`` (3) shows nothing.

The estimate is the number of steps left times the time per step, measured as the run goes
(before the first step: the per-step time the caller expects, when it gives one). Iterative
compressors may stop early (the fast method's own rule), so it is an upper bound when they do.
"""
from __future__ import annotations

import sys
import time


def seconds_text(s: float) -> str:
    if s < 60:
        return f"{s:.0f} s"
    m, s = divmod(int(round(s)), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


class Progress:
    """``begin(total)``, then ``update(k)`` after each k steps, then ``close()``; works as the
    ``progress`` object ``ganz.core.invert.invert`` and ``ganz.core.fast.invert_fast`` take."""

    def __init__(self, label: str, stream=None, tty: bool | None = None, every: float = 0.5,
                 clock=time.perf_counter, min_seconds: float = 3.0):
        self.label, self.stream = label, stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.every, self.clock, self.min_seconds = every, clock, min_seconds
        self.total, self.n = 0, 0
        self.per_step: float | None = None
        self._t_step1: float | None = None
        self._t_last_print: float | None = None
        self._announced = False
        self._width = 0

    def begin(self, total: int, per_step: float | None = None) -> Progress:
        """``total`` steps at most; ``per_step``: expected seconds per step, if known already."""
        self.total, self.n, self.per_step, self._t_step1 = int(total), 0, per_step, None
        if per_step is not None:
            self._show(force=True)
        return self

    def left(self) -> float | None:
        """Seconds left, from the measured time per step (or the expected one before any)."""
        if self.n >= 2 and self._t_step1 is not None:
            self.per_step = (self.clock() - self._t_step1) / (self.n - 1)
        if self.per_step is None:
            return None
        return max(self.total - self.n, 0) * self.per_step

    def update(self, k: int = 1) -> None:
        self.n += k
        if self.n == 1:
            self._t_step1 = self.clock()  # the first step carries warm-up: measure from after it
        if self.n >= 2:
            self._show()

    def _show(self, force: bool = False) -> None:
        left = self.left()
        if left is None or (not self._width and not self._announced and left < self.min_seconds):
            return  # nothing to say about a run this short
        if not self.tty:
            if not self._announced:
                self._announced = True
                self._write(f"{self.label}: up to {self.total} steps, ~{seconds_text(left)} "
                            f"estimated\n")
            return
        now = self.clock()
        if not force and self._t_last_print is not None and now - self._t_last_print < self.every:
            return
        self._t_last_print = now
        text = f"{self.label}: step {self.n}/{self.total}, ~{seconds_text(left)} left"
        self._write("\r" + text.ljust(self._width))
        self._width = len(text)

    def close(self) -> None:
        """Erase the line (terminal); nothing else."""
        if self.tty and self._width:
            self._write("\r" + " " * self._width + "\r")
            self._width = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr never stops the work
            pass

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress_bar(total: int, desc: str, unit: str = "step", initial: int = 0):
    """A tqdm bar on stderr: redrawn in place on a terminal; elsewhere (a notebook, a log) a
    line every 10 s, so a long run neither floods its output nor stays silent."""
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr,
                mininterval=0.1 if tty else 10.0, dynamic_ncols=tty, ascii=not tty)
