"""The measuring stages: the paper profile's figures, the GPU benchmark of the codec's two
methods, and the latents of the codecs table. Inversions are sized to end in time
(the run's ``deadline``); a stage cut short keeps every job it finished and packs it."""
from __future__ import annotations

import time
import traceback

from .clock import StageTimeout, Stopped, alarm
from .recipe import fig_call, model_name
from .session import MIN_STAGE_S, Session


def experiments_stage(s: Session, figs, budget: float) -> None:
    """Each figure in turn until ``budget`` runs out; results repacked after each one. A figure
    cut short keeps every job it finished, and the next call starts from them."""
    from ganz.study import experiments, jobs

    stop_at = time.monotonic() + budget
    extra = {"steps": 5, "n_images": 1} if s.dry else {}
    for fig in figs:
        left = stop_at - time.monotonic()
        if left < MIN_STAGE_S:
            s.say(f"{fig}: skipped, {left:.0f} s left")
            continue
        t0 = time.monotonic()
        name, kw = fig_call(fig)
        try:
            with alarm(left):
                experiments.run([name], "paper", s.device(), deadline=time.time() + left, **extra,
                                **kw)
            s.say(f"{fig}: done in {time.monotonic() - t0:.0f} s")
        except (StageTimeout, jobs.OutOfTime) as e:
            why = f": {e}" if str(e) else ""
            s.say(f"{fig}: out of time after {time.monotonic() - t0:.0f} s{why} "
                  f"(finished jobs are kept)")
        except Stopped:
            s.pack_results()
            raise
        except Exception as e:  # noqa: BLE001 - the next figure may still run
            s.say(f"{fig}: failed: {type(e).__name__}: {e}")
            traceback.print_exc()
        s.pack_results()


def bench_stage(s: Session, budget: float) -> None:
    """``ganz bench inversion`` on this device with the paper profile's model: the paper method
    (7,500 steps) against the fast one at R = 10 on held-out faces; packed at once."""
    import torch

    from ganz.core.paths import results_dir
    from ganz.study import bench

    t0 = time.monotonic()
    n = 2 if s.dry else s.opts.bench_images
    out = results_dir() / "bench"  # where ``progress.has_gpu_bench`` looks: a second call skips it
    kw = dict(quick=True) if s.dry else dict(model=model_name(64))
    s.say(f"bench inversion: {n} test faces, R = 10, {budget:.0f} s at most")
    started = time.time() - 1
    tuned, torch.backends.cudnn.benchmark = torch.backends.cudnn.benchmark, False
    try:  # cuDNN as `ganz compress` runs it (no autotuning) for both methods
        with alarm(budget):
            bench.run_inversion(n_images=n, device=s.device(), out_dir=out,
                                settings=(("random_linear", 10.0),), splits=("test",),
                                progress=False, **kw)
    except StageTimeout:
        s.say(f"bench inversion: out of time after {time.monotonic() - t0:.0f} s")
        return
    finally:
        torch.backends.cudnn.benchmark = tuned
    s.say(f"bench inversion: done in {time.monotonic() - t0:.0f} s")
    s.pack("bench.tgz", {f"results/bench/{p.name}": p for p in out.glob("inversion-*")
                         if p.is_file() and p.stat().st_mtime >= started})


def rd_stage(s: Session, budget: float) -> None:
    """The GPU part of the codecs chapter at 64×64: every latent ``rd_experiment`` needs (the
    test and OOD jobs of fig. 5's settings with the codec's projection, inverted in
    deadline-sized batched calls, and their QAT refinements at 8, 6 and 4 bits), cached under
    ``results/paper/jobs/`` and packed; the codec rows are made later on any CPU."""
    from ganz.study import policy
    from ganz.study.ratedistortion import rd_latents

    kw = dict(steps=5, n_images=1, qat_steps=2) if s.dry else {}
    def latents(deadline: float) -> str:
        return f"{rd_latents('paper', s.device(), policy=policy.compute(deadline), **kw)} latent sets"

    s.bounded("rd latents", budget, latents)
