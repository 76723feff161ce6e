"""Run figures' experiments (``ganz run --profile P fig5 fig2 ...``); ``prefetch`` first inverts
every missing job of several figures in batched calls."""
from __future__ import annotations

import time
from typing import Sequence

from ..core.config import config_key
from ..core.errors import GanzError
from . import FIGURES, RUNS
from . import figures as _figures
from . import jobs as _jobs
from . import policy


#: the arguments ``run`` passes to each figure besides profile, device and policy
FIGURE_ARGS = {"fig2": ("steps", "n_images"), "fig3": ("steps", "n_images"), "fig4": ("steps", "image"),
               "fig5": ("steps", "n_images"), "fig7": (), "fig8": ("steps", "n_images"),
               "codecs": ("steps", "n_images")}


def _args(figure: str, **given) -> dict:
    """The given arguments ``figure`` takes (``FIGURE_ARGS``), None ones left to its defaults."""
    return {k: v for k, v in given.items() if k in FIGURE_ARGS[figure] and v is not None}


def prefetch(figures: Sequence[str] = ("fig3", "fig4", "fig5", "fig8"), profile: str | None = None,
             device: str = "auto", rounds: int = 8, deadline: float | None = None,
             steps: int | None = None, n_images: int | None = None) -> list[int]:
    """Invert every missing job of several figures, batched per generator: each round runs the
    figures under the ``plan`` policy (nothing inverted, nothing written) to collect the jobs they
    still miss, then inverts them in one ``invert_many`` call per generator (by ``deadline``, if
    given) and writes their cache entries. When a round finds nothing missing, the figures run
    for real from the cached latents (their tables are written) and it ends. Returns the number
    of jobs inverted per round."""
    done = []
    for _ in range(rounds):
        plans: list[dict] = []
        for name in figures:
            pol = policy.plan()
            _runner(name)(profile=profile, device=device, policy=pol,
                          **_args(name, steps=steps, n_images=n_images))
            plans += pol.planned
        if not plans:
            for name in figures:
                _runner(name)(profile=profile, device=device, policy=policy.compute(deadline),
                              **_args(name, steps=steps, n_images=n_images))
            break
        by_gen: dict[tuple, list[dict]] = {}
        for p in plans:
            by_gen.setdefault((p["gid"], config_key(p["cfg"])), []).append(p)
        count = 0
        for ps in by_gen.values():
            seen, todo = set(), []
            for t in (t for p in ps for t in p["todo"]):
                if t["path"] not in seen:  # a job two figures share is inverted once
                    seen.add(t["path"])
                    todo.append(t)
            _jobs._compute(ps[0]["prof"], ps[0]["G"], ps[0]["cfg"], ps[0]["dev"], todo,
                           deadline=deadline)
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
        so_far: bool = False, deadline: float | None = None, log=print,
        image: str | None = None) -> dict:
    """Run (or load) figures' experiments; ``together`` first inverts every missing job in
    batched calls (GPU); ``so_far`` inverts nothing: a figure with jobs not recorded yet gets a
    partial table of the others (the ``so_far`` policy); ``deadline`` (``time.time()``): the
    inversions are sized to end before it (``jobs.OutOfTime`` when not one more fits); ``image``
    is fig. 4's picture (default ``jack``). Returns ``{figure: ExperimentResult}`` and logs one
    line per figure."""
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
    if together:
        t0 = time.perf_counter()
        counts = prefetch([f for f in figures if f in FIGURES and f != "fig7"], profile, device,
                          deadline=deadline, steps=steps, n_images=n_images)
        log(f"inverted {sum(counts)} jobs in {len(counts)} batched rounds "
            f"in {time.perf_counter() - t0:.0f} s")
    out = {}
    for name in figures:
        t0 = time.perf_counter()
        pol = policy.so_far() if so_far else policy.compute(deadline)
        res = out[name] = _runner(name)(profile=profile, device=device, policy=pol,
                                        **_args(name, steps=steps, n_images=n_images, image=image))
        lacks = f"; partial, not recorded yet: {', '.join(res.meta['missing'])}" \
            if res.meta.get("missing") else ""
        log(f"{name}: {len(res.table)} rows in {time.perf_counter() - t0:.0f} s "
            f"({res.meta['profile']}, {res.meta['device']}){lacks}")
    return out


def record_so_far(profile: str = "paper", device: str = "cpu", log=print) -> None:
    """``run(..., so_far=True)`` for each recorded call (``store.RECORDED_CALLS``) of
    ``SO_FAR_FIGURES`` (after a GPU session that stopped mid-figure; ``scripts/gpu/unpack.sh``); a
    figure whose generators are not all trained yet is skipped."""
    from ..results.store import RECORDED_CALLS

    for fig in SO_FAR_FIGURES:
        for params in RECORDED_CALLS[fig]:
            t0 = time.perf_counter()
            try:
                res = getattr(_figures, fig)(profile, device, policy=policy.so_far(), **params)
            except GanzError as e:
                log(f"{fig} {params or ''}: skipped: {e}")
                continue
            lacks = ", ".join(res.meta.get("missing", [])) or "nothing (whole table)"
            log(f"{fig} {params or ''}: {len(res.table)} rows in "
                f"{time.perf_counter() - t0:.0f} s; not recorded yet: {lacks}")
