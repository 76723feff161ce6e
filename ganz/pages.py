"""What the book's notebooks load: each page's results read from the store, and computed first
where the page allows it. The one place where reading (``ganz.report``) and computing
(``ganz.study``) meet, above both:

- a figure at the page's defaults under a recorded profile (the book) is only read; a missing one
  is the ``stale`` error naming the command that records it;
- a figure at the page's own parameters (``papermill … -p ratio 15``), or under the smoke profile
  (made on the spot by design), is planned, estimated and computed into ``results/<profile>/``
  when that takes at most ``max_minutes`` here (``ganz.study.ondemand``), then read back from the
  store like any recorded result.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from .core.errors import GanzError, MissingDataError
from .report import fig4page, pageparams, rdplots, recorded, runs
from .report.figure import message_figure
from .report.runs import Runs
from .results.bench import BenchResult
from .results.profiles import ExperimentResult, get_profile
from .study import bench, figures, ondemand
from .study import ratedistortion as rd
from .study import policy as run_policy


def fetch(figure: str, profile: str, params: dict, own_run: bool, device: str = "auto",
          max_minutes: float | None = None) -> ExperimentResult:
    """``runs.read_only``, or, for a page's own parameters or the smoke profile, the result
    computed first (``ondemand.compute``, refused beyond ``max_minutes``) and then read."""
    try:
        return recorded.load(figure, profile, **params)
    except GanzError as e:
        if not (str(e).startswith("stale") and (own_run or get_profile(profile).synthetic)):
            raise
    ondemand.compute(figure, profile, device, params, pageparams.describe(figure, params),
                     ondemand.MAX_MINUTES if max_minutes is None else max_minutes)
    return recorded.load(figure, profile, **params)


def load(figure: str, profile: str | None = None, device: str = "auto",
         max_minutes: float | None = None, **params) -> Runs:
    """A figure page's results (``runs.load``), computing what ``fetch`` allows."""
    return runs.load(figure, profile,
                     functools.partial(fetch, device=device, max_minutes=max_minutes), **params)


def load_figures(names: Sequence[str], profile: str | None = None, device: str = "auto"
                 ) -> dict[str, Runs]:
    """``load`` for several figures at their defaults (the summary page)."""
    return runs.load_figures(names, profile, functools.partial(fetch, device=device))


def fig4_stand_ins(profile: str | None = None, device: str = "auto") -> fig4page.Fig4StandIns:
    """Fig. 4 on the faces standing in for the paper's panels (a) and (b)."""
    return fig4page.fig4_stand_ins(profile, functools.partial(fetch, device=device))


def load_codecs(profile: str | None = None, device: str = "auto", bits=None) -> ExperimentResult:
    """The codecs table (``ratedistortion.rd_experiment``) at the bit depths asked for
    (``pageparams.normalise``), read only (the smoke profile computes it): a subset of the
    recorded depths is that table's GANZ rows at those depths, beside every codec's rows."""
    default = pageparams.PAGE_DEFAULTS["codecs"]["bits"]
    wanted = pageparams.normalise("codecs", {"bits": default if bits is None else bits})["bits"]
    try:
        return rd.rd_experiment(profile, device, bits=wanted, policy=run_policy.recorded())
    except GanzError as e:
        if not str(e).startswith("stale") or not set(wanted) < set(default):
            raise
        res = rd.rd_experiment(profile, device, bits=default, policy=run_policy.recorded())
    t = res.table
    ganz = t["method"].astype(str).str.startswith("ganz")
    table = t[~ganz | t["bits"].isin(wanted)].reset_index(drop=True)
    table.attrs.update(t.attrs)
    return ExperimentResult(table, res.images, {**res.meta, "subset_of": recorded.shown_path(
        t.attrs.get("source", ""))})


def rd_examples(profile: str | None = None, device: str = "auto", **params) -> Figure:
    """The codecs page's example pictures (``ratedistortion.example_points``, from the recorded
    latents), drawn by ``rdplots.rd_examples``."""
    try:
        res = rd.example_points(profile, device, policy=run_policy.recorded(), **params)
    except MissingDataError as e:  # every panel is made from the original pictures
        return message_figure(f"Example pictures not shown: {e}")
    return rdplots.rd_examples(res)


def training_logs(profile: str | None = None) -> dict[str, pd.DataFrame]:
    """Each shown profile's training logs (``figures.training_logs``: recorded, or for the smoke
    profile a few steps trained now), by profile; one with no log yet is left out (the last
    one must have logs)."""
    names = runs.book_profiles(profile)
    out = {}
    for i, name in enumerate(names):
        try:
            out[name] = figures.training_logs(name)
        except GanzError:
            if i == len(names) - 1 and not out:
                raise
    return out


def speed_results(profile: str | None = None, device: str = "auto") -> BenchResult:
    """The speed page's benchmark (``bench.load_results``: recorded, or the smoke profile's quick
    benchmark run now)."""
    return bench.load_results(profile, device)
