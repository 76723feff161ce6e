"""One call on a lent GPU, planned to return something whatever happens.

``scripts/gpu/lease.sh`` runs it; ``scripts/gpu/README.md`` has the plan and the measurements.

    python -m tools.gpu.driver auto|train|experiments|long --out OUT --work DIR --deadline S [flags]

The stages share the time left until the deadline: training the paper profile's generators (the
original layout and recipe), publishing them, the paper profile's figures, the encoder, the GPU
benchmark, the long d64, the codecs table's latents. Each stage packs what it finished into OUT the
moment it ends (``train-d<dim>.tgz``, ``results-paper.tgz``, ``encoder.tgz``, ``bench.tgz``; with
the log at most 8 files), paths relative to the repository, so ``scripts/gpu/unpack.sh`` only
extracts them; the long d64 also hands its state off in ``d64-long-step<N>.state<i>of<n>`` parts.
``--dry`` runs the same code on CPU at toy size on synthetic images. ``--help`` lists every flag.
"""
from __future__ import annotations

import argparse
import sys
import time

from . import check, drydata, longrun, measure, progress, training
from .clock import Stopped, stop_on_sigterm
from .options import add_flags, from_args
from .recipe import DIM_FIGS, model_name
from .session import MIN_STAGE_S, Session

MODES = ("auto", "train", "experiments", "long")


def run(s: Session, mode: str) -> None:
    """The next stages not yet done, in order: d64 (with its equal-images snapshot); the paper
    figures at dim 64; the encoder of d64; the GPU benchmark; dims 128/256/512, each only when it
    fits whole; figs. 7 and 2 once every dim exists; then, in a call with at least ``long_min_s``
    left, d64 trained again for as long as the call allows, and on in the session's next call
    (``celeba64-d64-long``), then its PSNR at R = 10; the codecs table's latents (not a paper
    figure: last). ``long``: the long d64 only, then its table."""
    o = s.opts
    if mode == "long":  # on from its handed-off state, then its table
        longrun.long_stages(s)
        if progress.has_long(s) and not progress.has_long_eval() and s.left() - 10 >= MIN_STAGE_S:
            s.guarded("long d64 eval", lambda: longrun.long_eval_stage(s, s.left() - 10))
        return
    have64 = progress.has_model(s, model_name(64))
    if mode in ("auto", "train") and not have64:
        training.train_stage(s, 64, o.train_share * s.left() if mode == "auto" else s.left() - 10,
                             True)
        if mode == "auto":
            measure.experiments_stage(s, o.figs, s.left() - 5)
        return
    if not have64:
        s.say("experiments: no celeba64-d64 generator in the zoo; run mode train first")
        return
    if mode in ("auto", "experiments"):
        measure.experiments_stage(s, o.figs, (o.train_share if mode == "auto" else 1.0) * s.left() - 5)
    if mode in ("auto", "train") and not progress.has_encoder(s):
        budget = min(o.encoder_s, s.left() - 10)
        if budget >= 30 or (s.dry and budget >= MIN_STAGE_S):
            s.guarded("encoder", lambda: training.encoder_stage(s, 64, budget))
    if mode in ("auto", "experiments") and not progress.has_gpu_bench() and progress.has_encoder(s):
        budget = min(o.bench_s, s.left() - 10)
        if budget >= MIN_STAGE_S:
            s.guarded("bench", lambda: measure.bench_stage(s, budget))
    if mode in ("auto", "train"):
        for dim in progress.missing_dims(s):
            need = progress.train_estimate(s)
            if need > s.left() - 10:
                s.say(f"train d{dim}: skipped, needs ~{need:.0f} s, {s.left():.0f} s left")
                continue
            s.guarded(f"train d{dim}", lambda dim=dim: training.train_stage(s, dim, s.left() - 10,
                                                                            full=False))
    if mode in ("auto", "experiments") and not progress.missing_dims(s) and \
            progress.has_model(s, model_name(64, True)):
        measure.experiments_stage(s, DIM_FIGS, s.left() - 5)
    if mode in ("auto", "train") and not progress.missing_dims(s):
        longrun.long_stages(s)
    if mode in ("auto", "experiments") and progress.has_long(s) and not progress.has_long_eval():
        budget = s.left() - 10
        if budget >= MIN_STAGE_S:
            s.guarded("long d64 eval", lambda: longrun.long_eval_stage(s, budget))
    if mode in ("auto", "experiments") and progress.has_whole(s, "fig5") and \
            not progress.has_rd_latents(s):
        budget = min(o.rd_s, s.left() - 10)
        if budget >= MIN_STAGE_S:
            s.guarded("rd latents", lambda: measure.rd_stage(s, budget))


def main(argv: list[str] | None = None) -> int:
    t0 = time.time()
    p = argparse.ArgumentParser(prog="python -m tools.gpu.driver", description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=MODES)
    add_flags(p)
    a = p.parse_args(argv)
    try:
        opts = from_args(a)
    except ValueError as e:
        p.error(str(e))
    s = Session(opts, (t0 if opts.started is None else opts.started) + opts.deadline)
    if opts.dry:
        drydata.make_dry_data(opts.work / "data")
    problems = check.preflight(opts.dry)
    if problems:
        s.say("preflight failed: " + "; ".join(problems))
        return 3
    if opts.clock == "ready":  # the deadline counts from here, not the start
        s.end = time.time() + opts.deadline
    s.say(f"preflight ok; mode {a.mode}")
    if not opts.dry:
        import torch

        torch.backends.cudnn.benchmark = True  # fixed shapes for thousands of steps
    stop_on_sigterm()
    try:
        run(s, a.mode)
    except Stopped:
        s.say("stopped by SIGTERM")
    s.say("finished; OUT holds: " + ", ".join(sorted(p.name for p in opts.out.iterdir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
