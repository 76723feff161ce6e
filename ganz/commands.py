"""The ``ganz`` subcommands beyond the codec: train, run, bench, publish, train-encoder.

Each is a thin handler over one library call; errors follow ``ganz.cli``'s policy (a ``GanzError``
or ``OSError`` is one line on stderr and exit status 2). Heavy modules are imported inside the
handlers, so ``ganz compress`` starts without them.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def cmd_run(a: argparse.Namespace) -> None:
    from .study.experiments import run

    run(a.figures, a.profile, a.device, a.steps, a.n_images, a.together, a.so_far,
        log=lambda line: print(line, flush=True), image=a.image)


def cmd_bench(a: argparse.Namespace) -> None:
    import dataclasses

    import pandas as pd
    import torch

    from .core.fast import FastConfig
    from .study import bench, speedruns

    if a.what == "tune" and a.rechoose:
        print("choice:", speedruns.rechoose(margin=a.margin, out_dir=a.out))
    elif a.what == "tune":
        r = speedruns.tune_stopping(a.model, a.images, a.max_steps, a.margin, out_dir=a.out,
                                    paper_steps=a.paper_steps)
        print(r["table"].round(3).to_string(index=False))
        print("choice:", r["choice"])
    elif a.what == "compress":
        from .study.compressbench import time_compress

        summary = time_compress(a.model, a.faces, out_dir=a.out,
                                say=lambda line: print(line, file=sys.stderr))
        print(summary.to_string(index=False))
    elif a.what == "tiny":
        from .study.tinyband import run_tiny_band

        summary = run_tiny_band(a.model, a.faces, tuple(a.budgets), out_dir=a.out,
                                pictures=a.pictures, tag=a.tag,
                                say=lambda line: print(line, file=sys.stderr, flush=True))
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(summary.round(2).to_string(index=False))
    elif a.what == "command":
        reps = a.repeats[0] if len(a.repeats) == 1 else a.repeats
        print(speedruns.time_commands(a.model, a.counts, reps, out_dir=a.out,
                                      paper_steps=a.paper_steps).to_string(index=False))
    else:
        if a.threads:
            torch.set_num_threads(a.threads)
        fast = None
        if a.fast_steps:
            fast = dataclasses.replace(bench.QUICK_FAST if a.quick else FastConfig(),
                                       steps=a.fast_steps)
        res = bench.run_inversion(quick=a.quick, model=a.model, n_images=a.n_images,
                                  device=a.device, paper_steps=a.paper_steps, fast=fast,
                                  out_dir=a.out, progress=not a.quiet and sys.stderr.isatty())
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(res.speedups().to_string(index=False))
        print("wrote", *res.meta["files"], sep="\n  ")


def cmd_publish(a: argparse.Namespace) -> None:
    from .core.errors import GanzError
    from .train.publish import publish

    if not a.weights.is_file():
        raise GanzError(f"{a.weights}: no such file")
    from .core.runtime import pick_device

    print(publish(a.weights, a.name, a.profile, copy_log=not a.no_log, gains=tuple(a.gains),
                  device=str(pick_device(a.device)), steps=a.steps, time_limit=a.time_limit,
                  scales=tuple(a.scales), method=a.method, n_validation=a.faces))


def cmd_train(a: argparse.Namespace) -> None:
    import dataclasses
    import time

    from .core.errors import GanzError
    from .core.config import ModelConfig, TrainConfig
    from .core.runtime import pick_device
    from .train.began import train

    deadline = time.monotonic() + a.time_limit if a.time_limit else None
    fields = {f.name for f in dataclasses.fields(ModelConfig)}
    extra = {"arch": a.arch} if a.arch and "arch" in fields else {}
    if a.arch and not extra:
        raise GanzError("--arch needs a ModelConfig with architectures (not in this version)")
    mcfg = ModelConfig(a.image_size, a.base_size, a.width, a.latent_dim, **extra)
    flags = {"steps": a.steps, "epochs": a.epochs, "batch_size": a.batch_size, "lr": a.lr,
             "lr_decay_every": a.lr_decay_every, "checkpoint_every": a.checkpoint_every,
             "log_every": a.log_every, "precision": a.precision,
             "clamp_k": False if a.no_clamp_k else None, "hflip": False if a.no_flip else None,
             "snapshot_at": tuple(a.snapshot_at) if a.snapshot_at else None,
             "snapshot_images": tuple(a.snapshot_images) if a.snapshot_images else None}
    flags = {k: v for k, v in flags.items() if v is not None}
    flags["seed"] = a.seed
    if a.steps and a.epochs is None:
        flags["epochs"] = 0  # --steps counts steps, whatever the recipe's length in epochs
    try:
        tcfg = TrainConfig.original(**flags) if a.recipe == "original" else TrainConfig(**flags)
    except ValueError as e:
        raise GanzError(str(e)) from None
    if a.data:
        os.environ["GANZ_DATA"] = str(a.data)
    dev = a.device if a.device != "auto" else str(pick_device("auto"))
    t = train(mcfg, tcfg, a.out, dev, resume=not a.restart, validate_every=a.validate_every,
              progress=not a.quiet and sys.stderr.isatty(), deadline=deadline)
    print(f"trained to step {t.step}; generator: {a.out / 'final.safetensors'}")


def cmd_train_encoder(a: argparse.Namespace) -> None:
    from .train.encoder import main as train_encoder_main

    train_encoder_main(a.args, prog="ganz train-encoder")


def cmd_train_prior(a: argparse.Namespace) -> None:
    from .train.prior import main as train_prior_main

    train_prior_main(a.args, prog="ganz train-prior")


def _model_and_faces(parser, positive_int, faces: int) -> None:
    """``--model`` and ``--faces`` of the benches that run ``ganz compress`` on test faces."""
    parser.add_argument("--model", help="committed model name or generator path (default: the "
                        "default model)")
    parser.add_argument("--faces", type=positive_int, default=faces,
                        help=f"test faces of the evaluation manifest (default {faces})")


def add_commands(sub, positive_int, positive_float) -> None:
    """Register train, run, bench, publish and train-encoder on the ``ganz`` parser's subparsers."""
    from .study import RUNS

    t = sub.add_parser("train", help="train a BEGAN on CelebA (resumes from OUT/latest.pt)")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--data", type=Path, help="data root (default $GANZ_DATA or data/)")
    t.add_argument("--recipe", choices=["ganz", "original"], default="ganz",
                   help="ganz (default): the project's recipe; original: the original code's "
                   "(Adam 0.9/0.999, batch 32, lr ×0.95 per 12k steps, 50 sorted epochs, no flips, "
                   "k unclamped); the flags below override either")
    t.add_argument("--arch", help="generator/discriminator layout (ModelConfig.arch)")
    t.add_argument("--image-size", type=positive_int, default=64)
    t.add_argument("--base-size", type=positive_int, default=4)
    t.add_argument("--width", type=positive_int, default=128)
    t.add_argument("--latent-dim", type=positive_int, default=64)
    t.add_argument("--steps", type=positive_int, help="steps (default 200000; ignored with --epochs)")
    t.add_argument("--epochs", type=int, help="train this many epochs (original recipe: 50)")
    t.add_argument("--batch-size", type=positive_int)
    t.add_argument("--lr", type=positive_float)
    t.add_argument("--lr-decay-every", type=positive_int)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--checkpoint-every", type=int, help="steps between checkpoints (0: none)")
    t.add_argument("--log-every", type=positive_int)
    t.add_argument("--validate-every", type=int, default=0)
    t.add_argument("--precision", choices=["auto", "bf16", "tf32", "fp32"])
    t.add_argument("--time-limit", type=positive_float, metavar="S",
                   help="stop after S seconds (the generator is still exported); SIGTERM does too")
    t.add_argument("--snapshot-at", type=positive_int, nargs="*")
    t.add_argument("--snapshot-images", type=positive_int, nargs="*",
                   help="also export the generator once this many images were seen")
    t.add_argument("--no-clamp-k", action="store_true", help="do not clamp k (the original code)")
    t.add_argument("--no-flip", action="store_true", help="no horizontal-flip augmentation")
    t.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    t.add_argument("--device", default="auto")
    t.add_argument("-q", "--quiet", action="store_true")
    t.set_defaults(func=cmd_train)

    r = sub.add_parser("run", help="run (or load) the paper's figure experiments; writes results/")
    r.add_argument("figures", nargs="+", choices=RUNS, metavar="FIGURE",
                   help=f"one or more of {', '.join(RUNS)} (codecs: the codecs chapter's table)")
    r.add_argument("--profile", help="smoke, cpu-small or paper (default: $GANZ_PROFILE or cpu-small)")
    r.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    r.add_argument("--steps", type=positive_int, help="inversion steps (default: the profile's)")
    r.add_argument("--n-images", type=positive_int, help="images per split (default: the profile's)")
    r.add_argument("--image", help="fig4's picture: jack (default; the paper's panel c), or the "
                   "faces standing in for panels a and b: 000001 (train), 008551 (test)")
    r.add_argument("--together", action="store_true",
                   help="first invert every missing job of the figures in batched calls (GPU)")
    r.add_argument("--so-far", action="store_true",
                   help="invert nothing: record a partial table from the jobs recorded so far "
                        "(figures 2, 3, 5; the book shows it until the whole table exists)")
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("bench", help="benchmarks: inversion (paper vs fast), tune, command, "
                       "compress, tiny")
    bs = b.add_subparsers(dest="what", required=True)
    i = bs.add_parser("inversion", help="the paper's compressor vs the fast one: PSNR against time")
    i.add_argument("--quick", action="store_true", help="tiny model, synthetic images (seconds)")
    i.add_argument("--model", help="committed model name or generator path (default cpu-small-d64)")
    i.add_argument("--n-images", type=positive_int, help="images per split (default 4; quick 2)")
    i.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    i.add_argument("--paper-steps", type=positive_int, help="paper method's steps (default 7500; quick 300)")
    i.add_argument("--fast-steps", type=positive_int, help="fast method's refinement steps")
    i.add_argument("--threads", type=positive_int, help="torch CPU threads (default: torch's)")
    i.add_argument("--out", type=Path, help="output folder (default results/bench)")
    i.add_argument("-q", "--quiet", action="store_true")
    t = bs.add_parser("tune", help="tune the fast method's stopping rule on training faces")
    t.add_argument("--model", default="cpu-small-d64")
    t.add_argument("--images", type=positive_int, default=8, help="training faces (default 8)")
    t.add_argument("--max-steps", type=positive_int, default=1000)
    t.add_argument("--paper-steps", type=positive_int, help="paper method's steps (default 7500)")
    t.add_argument("--margin", type=float, default=-0.01, help="least mean PSNR gap to the paper (dB)")
    t.add_argument("--rechoose", action="store_true", help="choose again from the recorded table")
    t.add_argument("--out", type=Path)
    c = bs.add_parser("command", help="whole `ganz compress` commands, fast vs paper, cold")
    c.add_argument("--model", default="cpu-small-d64")
    c.add_argument("--counts", type=positive_int, nargs="+", default=[1, 8], help="images per command")
    c.add_argument("--repeats", type=positive_int, nargs="+", default=[3],
                   help="runs per method: one number, or one per count")
    c.add_argument("--paper-steps", type=positive_int, help="paper method's steps (default 7500)")
    c.add_argument("--out", type=Path)
    m = bs.add_parser("compress", help="seconds per face of `ganz compress` as users run it: "
                      "the raw CelebA photo with --fit, and its face pre-cropped")
    _model_and_faces(m, positive_int, 3)
    m.add_argument("--out", type=Path, help="output folder (default results/bench)")
    y = bs.add_parser("tiny", help="a face in 100-250 bytes: ganz compress --max-bytes B against "
                      "WebP and the other codecs at the same budgets, test faces")
    _model_and_faces(y, positive_int, 20)
    y.add_argument("--budgets", type=positive_int, nargs="+", default=[150, 250],
                   help="byte budgets (default 150 250)")
    y.add_argument("--out", type=Path, help="output folder (default results/paper)")
    y.add_argument("--pictures", type=int, default=4,
                   help="faces whose decoded pictures are kept for the book (default 4)")
    y.add_argument("--tag", default="", help="ends the output files' names (tiny-band-MODEL-TAG)")
    b.set_defaults(func=cmd_bench)

    p = sub.add_parser("publish", help="calibrate a trained generator's gain (or, original "
                       "layout, its codec latent scale) and export it to the zoo")
    p.add_argument("weights", type=Path, help="a trained generator (.safetensors)")
    p.add_argument("--name", required=True, help="the model's name in ganz/zoo/")
    p.add_argument("--profile", required=True, help="results/<profile>/training/ gets its log")
    p.add_argument("--no-log", action="store_true", help="do not copy the run's log.csv")
    p.add_argument("--gains", type=positive_float, nargs="+", default=[1.0, 2.0, 4.0, 8.0],
                   help="adapter gains to try on the held-out faces (default 1 2 4 8)")
    p.add_argument("--scales", type=positive_float, nargs="+", default=[1.0, 2.0, 4.0, 8.0, 16.0],
                   help="latent scales to try for the original layout (default 1 2 4 8 16)")
    p.add_argument("--steps", type=positive_int, help="calibration inversion steps (default: 200 "
                   "Adam steps; the fast method's own limit)")
    p.add_argument("--faces", type=positive_int, default=16,
                   help="training faces to calibrate on (default 16)")
    p.add_argument("--method", choices=["adam", "fast"], default="adam",
                   help="adam: a short Adam run, every (scale, face) in one batch (default); fast: "
                        "the codec's fast method, one scale at a time (original layout, needs the "
                        "model's encoder)")
    p.add_argument("--time-limit", type=positive_float, help="seconds calibration may take")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.set_defaults(func=cmd_publish)

    e = sub.add_parser("train-encoder", add_help=False,
                       help="train and export a model's latent encoder (the fast method's start); "
                            "flags: ganz train-encoder --help")
    e.set_defaults(func=cmd_train_encoder, args=[])  # ganz.cli.main passes the flags through
    q = sub.add_parser("train-prior", add_help=False,
                       help="fit a model's static entropy prior (the integer tables --max-bytes "
                            "codes with) on training faces; flags: ganz train-prior --help")
    q.set_defaults(func=cmd_train_prior, args=[])
