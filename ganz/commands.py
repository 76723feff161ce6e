"""The ``ganz`` subcommands beyond the codec: run, bench, publish, train-encoder.

Each is a thin handler over one library call; errors follow ``ganz.cli``'s policy (a ``GanzError``
or ``OSError`` is one line on stderr and exit status 2). Heavy modules are imported inside the
handlers, so ``ganz compress`` starts without them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_run(a: argparse.Namespace) -> None:
    from .study.experiments import run

    run(a.figures, a.profile, a.device, a.steps, a.n_images, a.together,
        log=lambda line: print(line, flush=True))


def cmd_bench(a: argparse.Namespace) -> None:
    import dataclasses

    import pandas as pd
    import torch

    from .core.fast import FastConfig
    from .study import bench

    if a.threads:
        torch.set_num_threads(a.threads)
    fast = None
    if a.fast_steps:
        fast = dataclasses.replace(bench.QUICK_FAST if a.quick else FastConfig(), steps=a.fast_steps)
    res = bench.run_inversion(quick=a.quick, model=a.model, n_images=a.n_images, device=a.device,
                              paper_steps=a.paper_steps, fast=fast, out_dir=a.out,
                              progress=not a.quiet and sys.stderr.isatty())
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(res.speedups().to_string(index=False))
    print("wrote", *res.meta["files"], sep="\n  ")


def cmd_publish(a: argparse.Namespace) -> None:
    from .core.errors import GanzError
    from .train.publish import publish

    if not a.weights.is_file():
        raise GanzError(f"{a.weights}: no such file")
    print(publish(a.weights, a.name, a.profile, copy_log=not a.no_log, gains=tuple(a.gains)))


def cmd_train_encoder(a: argparse.Namespace) -> None:
    from .core.encoder import main as train_encoder_main

    train_encoder_main(a.args)


def add_commands(sub, positive_int, positive_float) -> None:
    """Register run, bench, publish and train-encoder on the ``ganz`` parser's subparsers."""
    from .study import FIGURES

    r = sub.add_parser("run", help="run (or load) the paper's figure experiments; writes results/")
    r.add_argument("figures", nargs="+", choices=FIGURES, metavar="FIGURE",
                   help=f"one or more of {', '.join(FIGURES)}")
    r.add_argument("--profile", help="smoke, cpu-small or paper (default: $GANZ_PROFILE or cpu-small)")
    r.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    r.add_argument("--steps", type=positive_int, help="inversion steps (default: the profile's)")
    r.add_argument("--n-images", type=positive_int, help="images per split (default: the profile's)")
    r.add_argument("--together", action="store_true",
                   help="first invert every missing job of the figures in batched calls (GPU)")
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("bench", help="the paper's compressor vs the fast one: PSNR against time")
    b.add_argument("--quick", action="store_true", help="tiny model, synthetic images (seconds)")
    b.add_argument("--model", help="committed model name or generator path (default cpu-small-d64)")
    b.add_argument("--n-images", type=positive_int, help="images per split (default 4; quick 2)")
    b.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    b.add_argument("--paper-steps", type=positive_int, help="paper method's steps (default 7500; quick 300)")
    b.add_argument("--fast-steps", type=positive_int, help="fast method's refinement steps")
    b.add_argument("--threads", type=positive_int, help="torch CPU threads (default: torch's)")
    b.add_argument("--out", type=Path, help="output folder (default results/bench)")
    b.add_argument("-q", "--quiet", action="store_true")
    b.set_defaults(func=cmd_bench)

    p = sub.add_parser("publish", help="calibrate a trained generator's gain and export it to the zoo")
    p.add_argument("weights", type=Path, help="a trained generator (.safetensors)")
    p.add_argument("--name", required=True, help="the model's name in ganz/zoo/")
    p.add_argument("--profile", required=True, help="results/<profile>/training/ gets its log")
    p.add_argument("--no-log", action="store_true", help="do not copy the run's log.csv")
    p.add_argument("--gains", type=positive_float, nargs="+", default=[1.0, 2.0, 4.0, 8.0],
                   help="adapter gains to try on the held-out faces (default 1 2 4 8)")
    p.set_defaults(func=cmd_publish)

    e = sub.add_parser("train-encoder", add_help=False,
                       help="train and export a model's latent encoder (the fast method's start); "
                            "flags: ganz train-encoder --help")
    e.set_defaults(func=cmd_train_encoder, args=[])  # ganz.cli.main passes the flags through
