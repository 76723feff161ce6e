"""Run figures' experiments: ``python -m ganz.study.experiments --profile P fig5 fig2 ...`` (or
``ganz run``); ``prefetch`` first inverts every missing job of several figures in batched calls."""
from __future__ import annotations

import time
from typing import Sequence

from ..core.config import config_key
from ..core.errors import GanzError
from . import FIGURES, RUNS
from . import figures as _figures
from . import jobs as _jobs


def prefetch(figures: Sequence[str] = ("fig3", "fig4", "fig5", "fig8"), profile: str | None = None,
             device: str = "auto", rounds: int = 8, **kw) -> list[int]:
    """Invert every missing job of several figures, batched per generator: each round runs the
    figures only to collect the jobs they still miss (no table is written meanwhile), then
    inverts them in one ``invert_many`` call per generator and writes their cache entries.
    The round that finds nothing missing runs the figures for real (their tables are cached).
    ``kw`` (steps, n_images) goes to each figure that takes it. Returns the number of jobs
    inverted per round."""
    import inspect

    done = []
    for _ in range(rounds):
        _jobs._PLAN = []
        try:
            for name in figures:
                fn = getattr(_figures, name)
                args = {k: v for k, v in kw.items() if k in inspect.signature(fn).parameters}
                try:
                    fn(profile=profile, device=device, **args)
                except _jobs._Planned:
                    pass
            plans = _jobs._PLAN
        finally:
            _jobs._PLAN = None
        if not plans:
            break
        by_gen: dict[tuple, list[dict]] = {}
        for plan in plans:
            by_gen.setdefault((plan["gid"], config_key(plan["cfg"])), []).append(plan)
        count = 0
        for ps in by_gen.values():
            seen, todo = set(), []
            for t in (t for p in ps for t in p["todo"]):
                if t["path"] not in seen:  # a job two figures share is inverted once
                    seen.add(t["path"])
                    todo.append(t)
            _jobs._compute(ps[0]["prof"], ps[0]["G"], ps[0]["cfg"], ps[0]["dev"], todo)
            count += len(todo)
        done.append(count)
    return done


def _runner(name: str):
    if name == "codecs":  # GANZ files at every ratio × bit depth against the codecs, in bytes
        from .ratedistortion import rd_experiment

        return rd_experiment
    return getattr(_figures, name)


#: figures whose tables can be made from the jobs recorded so far (``run(..., so_far=True)``)
SO_FAR_FIGURES = ("fig2", "fig3", "fig5")


def run(figures: Sequence[str], profile: str | None = None, device: str = "auto",
        steps: int | None = None, n_images: int | None = None, together: bool = False,
        so_far: bool = False, log=print, image: str | None = None) -> dict:
    """Run (or load) figures' experiments; ``together`` first inverts every missing job in
    batched calls (GPU); ``so_far`` inverts nothing: a figure with jobs not recorded yet gets a
    partial table of the others (``jobs.SO_FAR``); ``image`` is fig. 4's picture (default
    ``jack``). Returns ``{figure: ExperimentResult}`` and logs one line per figure."""
    unknown = [f for f in figures if f not in RUNS]
    if unknown:
        raise GanzError(f"unknown figure {unknown[0]!r}; choose from {', '.join(RUNS)}")
    if image is not None and "fig4" not in figures:
        raise GanzError("--image picks fig4's picture; name fig4 among the figures")
    if so_far:
        other = [f for f in figures if f not in SO_FAR_FIGURES]
        if other or together:
            raise GanzError(f"--so-far makes tables of {', '.join(SO_FAR_FIGURES)} only, without "
                            f"--together" + (f" (not {other[0]})" if other else ""))
        before, _jobs.SO_FAR = _jobs.SO_FAR, True
        try:
            return run(figures, profile, device, steps, n_images, log=log)
        finally:
            _jobs.SO_FAR = before
    if together:
        t0 = time.perf_counter()
        kw = {k: v for k, v in (("steps", steps), ("n_images", n_images)) if v is not None}
        counts = prefetch([f for f in figures if f in FIGURES and f != "fig7"], profile, device,
                          **kw)
        log(f"inverted {sum(counts)} jobs in {len(counts)} batched rounds "
            f"in {time.perf_counter() - t0:.0f} s")
    out = {}
    for name in figures:
        t0 = time.perf_counter()
        kw = {} if name == "fig7" else {"steps": steps}
        if name not in ("fig4", "fig7"):
            kw["n_images"] = n_images
        if name == "fig4" and image is not None:
            kw["image"] = image
        res = out[name] = _runner(name)(profile=profile, device=device, **kw)
        lacks = f"; partial, not recorded yet: {', '.join(res.meta['missing'])}" \
            if res.meta.get("missing") else ""
        log(f"{name}: {len(res.table)} rows in {time.perf_counter() - t0:.0f} s "
            f"({res.meta['profile']}, {res.meta['device']}){lacks}")
    return out


def record_so_far(profile: str = "paper", device: str = "cpu", log=print) -> None:
    """``run(..., so_far=True)`` for each recorded call (``store.RECORDED_CALLS``) of
    ``SO_FAR_FIGURES`` (after a lease that stopped mid-figure; ``scripts/gpu/unpack.sh``); a
    figure whose generators are not all trained yet is skipped."""
    from .store import RECORDED_CALLS

    before, _jobs.SO_FAR = _jobs.SO_FAR, True
    try:
        for fig in SO_FAR_FIGURES:
            for params in RECORDED_CALLS[fig]:
                t0 = time.perf_counter()
                try:
                    res = getattr(_figures, fig)(profile, device, **params)
                except GanzError as e:
                    log(f"{fig} {params or ''}: skipped: {e}")
                    continue
                lacks = ", ".join(res.meta.get("missing", [])) or "nothing (whole table)"
                log(f"{fig} {params or ''}: {len(res.table)} rows in "
                    f"{time.perf_counter() - t0:.0f} s; not recorded yet: {lacks}")
    finally:
        _jobs.SO_FAR = before


def main(argv: list[str] | None = None) -> int:
    """``python -m ganz.study.experiments ARGS`` is ``ganz run ARGS``."""
    import sys

    from ..cli import main as cli_main

    return cli_main(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
