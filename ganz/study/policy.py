"""What a figure call does with an inversion job whose latents are not recorded yet: an argument,
passed from the caller down to ``ganz.study.jobs``, never a module-wide mode.

- ``compute`` (the default): invert it, in batched calls; with a ``deadline`` (``time.time()``)
  the calls are sized to end before it, and ``jobs.OutOfTime`` stops the figure when not one
  more job fits;
- ``recorded``: only read: a missing job or table is the ``stale`` error naming the command that
  records it (the smoke profile, made on the spot by design, still computes);
- ``so_far``: leave it out: the figure's table is made from the jobs recorded so far and written
  as ``<figure>-<key>.partial.csv`` (after a GPU session that stopped mid-figure);
- ``plan``: collect it in ``planned`` (one entry per generator and inversion setting), invert
  nothing and write nothing; the figure returns a table without those jobs' rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Missing = Literal["compute", "recorded", "so_far", "plan"]


@dataclass
class RunPolicy:
    missing: Missing = "compute"
    deadline: float | None = None  # compute: time.time() by which inversions must end
    planned: list[dict] = field(default_factory=list)  # plan: the jobs found missing

    def __post_init__(self) -> None:
        if self.missing not in ("compute", "recorded", "so_far", "plan"):
            raise ValueError(f"unknown policy {self.missing!r}")
        if self.deadline is not None and self.missing != "compute":
            raise ValueError("a deadline applies to the compute policy only")

    @property
    def writes(self) -> bool:
        """Whether the figure's table (whole or partial) may be written."""
        return self.missing in ("compute", "so_far")


def compute(deadline: float | None = None) -> RunPolicy:
    return RunPolicy("compute", deadline)


def recorded() -> RunPolicy:
    return RunPolicy("recorded")


def so_far() -> RunPolicy:
    return RunPolicy("so_far")


def plan() -> RunPolicy:
    return RunPolicy("plan")
