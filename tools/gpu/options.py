"""The driver's settings: one frozen ``Options``, set by its command-line flags (``add_flags``).

Every tunable of a call is a flag; none is read from the environment (the ``GANZ_*`` paths, the
product's own configuration, are the only environment the driver sees). A value left at None takes
the default of its mode (``dry``: toy sizes on CPU; else the paper profile on a GPU).
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from .recipe import PAPER_FIGS

CLOCKS = ("start", "ready")
HANDOFF_FORMS = ("exact", "compact")

# name: (dry default, GPU default) of the settings whose default depends on the mode
BY_MODE = {
    "equal_epochs": (1, 15),
    "long_min_s": (20.0, 400.0),  # the first GPU session's d64 trained 276 s
    "long_resume_min_s": (5.0, 60.0),
    "long_eval_s": (5.0, 75.0),  # the R = 10 table of the long d64 takes ~40 s on a GPU
    "long_epochs": (2, None),
}


@dataclasses.dataclass(frozen=True)
class Options:
    """One call of the driver. ``deadline`` seconds count from ``started`` (clock ``start``; None:
    the driver's own start) or from the end of preflight (clock ``ready``)."""

    out: Path = Path("/tmp/ganz_out")
    work: Path = Path("/tmp/ganz_work")
    dry: bool = False
    deadline: float = 540.0
    clock: str = "start"
    started: float | None = None
    long_state: Path | None = None
    handoff_form: str | None = None
    figs: tuple[str, ...] = PAPER_FIGS
    train_share: float = 0.6
    encoder_s: float = 90.0
    bench_s: float = 120.0
    rd_s: float = 300.0
    bench_images: int = 16
    equal_epochs: int | None = None
    long_min_s: float | None = None
    long_resume_min_s: float | None = None
    long_eval_s: float | None = None
    long_epochs: int | None = None

    def __post_init__(self):
        for name, (dry, gpu) in BY_MODE.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, dry if self.dry else gpu)
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "work", Path(self.work))
        object.__setattr__(self, "figs", tuple(self.figs))
        if self.long_state is not None:
            object.__setattr__(self, "long_state", Path(self.long_state))
        if not self.deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds, not {self.deadline}")
        if self.clock not in CLOCKS:
            raise ValueError(f"clock must be one of {CLOCKS}, not {self.clock!r}")
        if self.handoff_form not in (None, *HANDOFF_FORMS):
            raise ValueError(f"handoff form must be one of {HANDOFF_FORMS}, not {self.handoff_form!r}")
        if not 0 < self.train_share <= 1:
            raise ValueError(f"train share must be in (0, 1], not {self.train_share}")
        if self.equal_epochs < 1 or self.bench_images < 1:
            raise ValueError("equal epochs and bench images must be at least 1")


def add_flags(p: argparse.ArgumentParser) -> None:
    """The flags that set ``Options`` (their destinations are its field names)."""
    d = Options()
    p.add_argument("--out", type=Path, default=d.out, help="where the packed files go (default %(default)s)")
    p.add_argument("--work", type=Path, default=d.work,
                   help="the driver's runs and the dry run's images (default %(default)s)")
    p.add_argument("--dry", action="store_true", help="CPU, toy sizes, synthetic images")
    p.add_argument("--deadline", type=float, default=d.deadline,
                   help="seconds the whole call may take (default %(default)s)")
    p.add_argument("--clock", choices=CLOCKS, default=d.clock,
                   help="count the deadline from --started (start) or from the end of preflight "
                        "(ready: the stages get their time however long start-up took)")
    p.add_argument("--started", type=float, default=None,
                   help="Unix time the start clock counts from (default: the driver's start)")
    p.add_argument("--long-state", type=Path, default=None,
                   help="folder of a long d64 state handed off by an earlier session")
    p.add_argument("--handoff-form", choices=HANDOFF_FORMS, default=None,
                   help="force the form of the long d64's handed-off state (default: the richest that fits)")
    p.add_argument("--figs", nargs="+", default=list(d.figs), help="the paper figures at dim 64")
    p.add_argument("--train-share", type=float, default=d.train_share,
                   help="share of the time left for the first training and the figures (auto)")
    p.add_argument("--encoder-s", type=float, default=d.encoder_s, help="encoder stage cap, seconds")
    p.add_argument("--bench-s", type=float, default=d.bench_s, help="GPU benchmark cap, seconds")
    p.add_argument("--rd-s", type=float, default=d.rd_s, help="rate-distortion latents cap, seconds")
    p.add_argument("--bench-images", type=int, default=d.bench_images, help="benchmark test faces")
    p.add_argument("--equal-epochs", type=int, default=None,
                   help="epochs of the equal-images budget of figs. 2 and 7 (default 15; dry 1)")
    p.add_argument("--long-min-s", type=float, default=None,
                   help="seconds a call needs left to start the long d64 (default 400; dry 20)")
    p.add_argument("--long-resume-min-s", type=float, default=None,
                   help="training seconds a later call needs to go on with it (default 60; dry 5)")
    p.add_argument("--long-eval-s", type=float, default=None,
                   help="seconds kept for its R = 10 table (default 75; dry 5)")
    p.add_argument("--long-epochs", type=int, default=None,
                   help="epochs the long d64 trains a call at most (default: until the deadline; dry 2)")


def from_args(a: argparse.Namespace) -> Options:
    names = {f.name for f in dataclasses.fields(Options)}
    return Options(**{k: v for k, v in vars(a).items() if k in names})
