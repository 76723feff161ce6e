"""Stopping on time: ``alarm`` raises ``StageTimeout`` when a stage's budget is spent (a backstop:
the stages size their own work), and ``stop_on_sigterm`` turns the command's own timeout into
``Stopped``, so the driver packs what it has and leaves."""
from __future__ import annotations

import signal


class StageTimeout(Exception):
    """A stage's budget is spent (``alarm``)."""


class Stopped(Exception):
    """SIGTERM from outside (the command's own timeout): pack and leave."""


class alarm:
    """Raise ``StageTimeout`` in the main thread after ``seconds`` (a figure stops between steps)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def _fire(self, signum, frame):  # noqa: ARG002
        raise StageTimeout

    def __enter__(self):
        self.old = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.01))
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)


def stop_on_sigterm() -> None:
    """From now on SIGTERM raises ``Stopped`` once; a second one is ignored (packing must not be
    interrupted)."""

    def stop(signum, frame):  # noqa: ARG001
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stopped

    signal.signal(signal.SIGTERM, stop)
