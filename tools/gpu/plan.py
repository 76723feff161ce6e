"""The GPU session's plan in FLOPs: per stage, the FLOPs counted on meta tensors and the time they
take at a planning rate (no GPU needed).

    python -m tools.gpu.plan [--equal-epochs 15]
"""
from __future__ import annotations

import argparse
import dataclasses
import os

from .recipe import DIM_FIGS, OTHER_DIMS, PAPER_FIGS, fig_call, model_cfg, train_cfg

PEAK_FLOPS = 990e12  # H100 SXM dense bf16
EFFICIENCY = 0.30


def step_flops(mcfg, tcfg) -> int:
    """FLOPs of one training step (counted on meta tensors, the step's own passes)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ganz.core.models import Discriminator, Generator

    B, s = tcfg.batch_size, mcfg.image_size
    with torch.device("meta"):
        G, D = Generator(mcfg), Discriminator(mcfg)
        x, z = torch.zeros(B, 3, s, s), torch.zeros(B, mcfg.latent_dim)
        with FlopCounterMode(display=False) as fc:
            D.requires_grad_(False)
            f = G(z)
            (f - D(f)).abs().mean().backward()
            D.requires_grad_(True)
            with torch.no_grad():
                fd = G(z)
            (torch.cat([x, fd]) - D(torch.cat([x, fd]))).abs().mean().backward()
    return fc.get_total_flops()


def inversion_flops(mcfg) -> int:
    """FLOPs of one inversion step of one image (conv module forward + input gradient)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ganz.core.models import Generator

    with torch.device("meta"):
        G = Generator(mcfg).requires_grad_(False)
        h = torch.zeros(1, mcfg.conv_input_dim, requires_grad=True)
        with FlopCounterMode(display=False) as fc:
            G.conv(G.first_tensor(h)).sum().backward()
    return fc.get_total_flops()


def plan(n_train: int = 8550, image_steps: dict | None = None, equal_epochs: int = 15) -> str:
    """The README's table: per stage, FLOPs and the time at 30 % of the H100's bf16 peak."""
    rate = PEAK_FLOPS * EFFICIENCY
    rows = ["| stage | work | FLOPs | time at 30 % of 990 TFLOP/s |", "| --- | --- | --- | --- |"]
    tcfg = train_cfg(dry=False)
    per_epoch = n_train // tcfg.batch_size
    eq_steps = equal_epochs * per_epoch
    for dim in (64, *OTHER_DIMS):
        f = step_flops(model_cfg(dim, dry=False), tcfg)
        steps = tcfg.epochs * per_epoch if dim == 64 else eq_steps
        what = f"{tcfg.epochs} epochs" if dim == 64 else f"{steps // per_epoch} epochs (equal images)"
        rows.append(f"| train d{dim} | {steps:,} steps × {f / 1e12:.2f} TFLOP ({what}) | "
                    f"{steps * f / 1e15:.1f} PFLOP | {steps * f / rate:.0f} s |")
    fi = inversion_flops(model_cfg(64, dry=False))
    for fig, n in (image_steps or {}).items():
        rows.append(f"| {fig} | {n:,} image-steps × {fi / 1e9:.2f} GFLOP | {n * fi / 1e15:.1f} PFLOP | "
                    f"{n * fi / rate:.0f} s |")
    return "\n".join(rows)


def count_image_steps(figs=None) -> dict[str, int]:
    """Image-steps each figure inverts at the paper profile's settings (counted by running the
    figures with 1 step on toy generators and synthetic images, × the profile's 7,500 steps)."""
    import tempfile

    from ganz.core import invert
    from ganz.study import jobs, profiles
    from ganz.study.experiments import run

    figs = figs or PAPER_FIGS + DIM_FIGS
    counts: dict[str, int] = {}
    real = invert.invert_batch
    current = [""]

    def counting(G, adapter, x, cfg, z0, *a, **k):
        counts[current[0]] = counts.get(current[0], 0) + x.shape[0]
        return real(G, adapter, x, cfg.__class__(**{**cfg.__dict__, "steps": 1}), z0, *a, **k)

    real_many = jobs.invert_many

    def counting_many(G, jobs, cfg=None, *a, **k):
        cfg = cfg or invert.InvertConfig()
        counts[current[0]] = counts.get(current[0], 0) + cfg.restarts * sum(j.x.shape[0] for j in jobs)
        return real_many(G, jobs, cfg.__class__(**{**cfg.__dict__, "steps": 1}), *a, **k)

    invert.invert_batch = counting
    jobs.invert_many = counting_many
    prof = profiles.PROFILES["paper"]
    toy = dataclasses.replace(prof, synthetic=True, image_size=16)
    profiles.PROFILES["paper-count"] = toy
    old = os.environ.get("GANZ_RESULTS")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GANZ_RESULTS"] = tmp
        try:
            for fig in figs:
                current[0] = fig
                name, kw = fig_call(fig)
                run([name], "paper-count", "cpu", steps=1, log=lambda line: None, **kw)
        finally:
            invert.invert_batch = real
            jobs.invert_many = real_many
            del profiles.PROFILES["paper-count"]
            if old is None:
                os.environ.pop("GANZ_RESULTS", None)
            else:
                os.environ["GANZ_RESULTS"] = old
    return {f: c * prof.steps for f, c in counts.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.gpu.plan", description=__doc__.splitlines()[0])
    p.add_argument("--equal-epochs", type=int, default=15,
                   help="epochs of the equal-images budget of figs. 2 and 7")
    a = p.parse_args(argv)
    print(plan(image_steps=count_image_steps(), equal_epochs=a.equal_epochs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
