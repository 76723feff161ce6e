"""Run figures' experiments: ``python -m ganz.study.experiments --profile P fig5 fig2 ...`` (or
``ganz run``); ``prefetch`` first inverts every missing job of several figures in batched calls."""
from __future__ import annotations

import time
from typing import Sequence

from ..core.config import config_key
from ..core.errors import GanzError
from . import FIGURES
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


def run(figures: Sequence[str], profile: str | None = None, device: str = "auto",
        steps: int | None = None, n_images: int | None = None, together: bool = False,
        log=print) -> dict:
    """Run (or load) figures' experiments; ``together`` first inverts every missing job in
    batched calls (GPU). Returns ``{figure: ExperimentResult}`` and logs one line per figure."""
    unknown = [f for f in figures if f not in FIGURES]
    if unknown:
        raise GanzError(f"unknown figure {unknown[0]!r}; choose from {', '.join(FIGURES)}")
    if together:
        t0 = time.perf_counter()
        kw = {k: v for k, v in (("steps", steps), ("n_images", n_images)) if v is not None}
        counts = prefetch([f for f in figures if f != "fig7"], profile, device, **kw)
        log(f"inverted {sum(counts)} jobs in {len(counts)} batched rounds "
            f"in {time.perf_counter() - t0:.0f} s")
    out = {}
    for name in figures:
        t0 = time.perf_counter()
        kw = {} if name == "fig7" else {"steps": steps}
        if name not in ("fig4", "fig7"):
            kw["n_images"] = n_images
        res = out[name] = getattr(_figures, name)(profile=profile, device=device, **kw)
        log(f"{name}: {len(res.table)} rows in {time.perf_counter() - t0:.0f} s "
            f"({res.meta['profile']}, {res.meta['device']})")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m ganz.study.experiments ARGS`` is ``ganz run ARGS``."""
    import sys

    from ..cli import main as cli_main

    return cli_main(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
