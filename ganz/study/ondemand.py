"""A figure at parameters nobody recorded: plan its missing inversions, measure what they would
cost on this device, and run them with a progress bar only when that is minutes, not hours.

This is what a papermill run with the user's own parameters does (``ganz.report.runs.load``);
the book, at each page's defaults, only reads. A refusal is one line naming the profile that
runs in minutes and the command that records the asked-for one where a GPU is.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import GanzError
from ..core.runtime import device_name
from . import figures
from . import jobs as _jobs
from . import policy
from .profiles import ExperimentResult, get_profile

#: a computation estimated above this many minutes is refused (the ``cpu-small`` figures take
#: a few minutes on 2 CPU cores; the ``paper`` profile's take hours there)
MAX_MINUTES = 30.0
#: the profile that runs in minutes on a CPU, named in a refusal
QUICK_PROFILE = "cpu-small"
#: planning rounds: a figure with several generators (fig. 2's dims) shows its next
#: generator's missing jobs only once the previous one's are recorded
ROUNDS = 8


@dataclass(frozen=True)
class Estimate:
    """The missing inversions of one planning round and their measured cost on a device."""

    jobs: int
    images: int
    steps: int
    seconds: float
    device: str

    def __str__(self) -> str:
        return (f"{self.jobs} inversion job(s), {self.images} images × {self.steps} steps, about "
                f"{_duration(self.seconds)} on {self.device}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _plan(figure: str, profile: str | None, device: str, params: dict) -> list[dict]:
    """The figure's jobs not recorded yet (one round of the ``plan`` policy); [] when all are."""
    pol = policy.plan()
    getattr(figures, figure)(profile, device, policy=pol, **params)
    return pol.planned


def estimate(plans: list[dict]) -> Estimate:
    """What inverting ``plans`` costs: each plan's batched call timed for a few steps on its
    device (``jobs.seconds_per_step``), times its steps and restarts."""
    seconds = sum(_jobs.seconds_per_step(p["prof"], p["G"], p["cfg"], p["dev"], p["todo"])
                  * p["cfg"].steps * p["cfg"].restarts for p in plans)
    images = sum(t["x"].shape[0] for plan in plans for t in plan["todo"])
    return Estimate(sum(len(plan["todo"]) for plan in plans), images,
                    plans[0]["cfg"].steps * plans[0]["cfg"].restarts, seconds,
                    device_name(plans[0]["dev"]))


def compute(figure: str, profile: str | None, device: str, params: dict, flags: str = "",
            max_minutes: float = MAX_MINUTES, log=print) -> ExperimentResult:
    """Record ``figure`` at ``params`` under ``profile``: each round's missing inversions are
    estimated, printed, and run with a progress bar if the estimate is within ``max_minutes``;
    else ``GanzError`` naming the quick profile and the recording command (``flags``: the
    page's papermill flags). Results go where ``ganz run`` writes them (``results/<profile>/``)."""
    prof = get_profile(profile)
    for _ in range(ROUNDS):
        plans = _plan(figure, prof.name, device, params)
        if not plans:
            break
        est = estimate(plans)
        if est.seconds > 60 * max_minutes:
            quick = ("" if prof.name == QUICK_PROFILE else
                     f"use `-p profile {QUICK_PROFILE}` (minutes on a CPU), or ")
            raise GanzError(
                f"{figure} ({flags or 'defaults'}) is not recorded under profile {prof.name}, and "
                f"computing it here would take {est} (over {max_minutes:g} min): {quick}record it "
                f"on a GPU with `papermill notebooks/{figure}.ipynb out.ipynb -p profile "
                f"{prof.name}{' ' + flags if flags else ''}`")
        log(f"{figure}, profile {prof.name}: not recorded; computing {est} "
            f"(written to results/{prof.name}/)")
        for plan in plans:
            _jobs._compute(plan["prof"], plan["G"], plan["cfg"], plan["dev"], plan["todo"],
                           progress=True)
    return getattr(figures, figure)(prof.name, device, **params)

