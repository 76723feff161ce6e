"""The lease plan in FLOPs: ``python -m ganz.study.lease plan`` prints, per stage, the FLOPs
counted on meta tensors and the time they take at a planning rate (no GPU needed)."""
from __future__ import annotations

import dataclasses
import os

PEAK_FLOPS = 990e12  # H100 SXM dense bf16
EFFICIENCY = 0.30


# --------------------------------------------------------------------------- FLOP plan
def step_flops(mcfg, tcfg) -> int:
    """FLOPs of one training step (counted on meta tensors, the step's own passes)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ..core.models import Discriminator, Generator

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

    from ..core.models import Generator

    with torch.device("meta"):
        G = Generator(mcfg).requires_grad_(False)
        h = torch.zeros(1, mcfg.conv_input_dim, requires_grad=True)
        with FlopCounterMode(display=False) as fc:
            G.conv(G.first_tensor(h)).sum().backward()
    return fc.get_total_flops()


def plan(n_train: int = 8550, image_steps: dict | None = None) -> str:
    """The README's table: per stage, FLOPs and the time at 30 % of the H100's bf16 peak."""
    from .lease import OTHER_DIMS, Lease

    lease = Lease.__new__(Lease)
    lease.dry = False
    rate = PEAK_FLOPS * EFFICIENCY
    rows = ["| stage | work | FLOPs | time at 30 % of 990 TFLOP/s |", "| --- | --- | --- | --- |"]
    tcfg = lease.train_cfg()
    per_epoch = n_train // tcfg.batch_size
    eq_steps = int(os.environ.get("EQUAL_EPOCHS", "15")) * per_epoch
    for dim in (64, *OTHER_DIMS):
        f = step_flops(lease.model_cfg(dim), tcfg)
        steps = tcfg.epochs * per_epoch if dim == 64 else eq_steps
        what = f"{tcfg.epochs} epochs" if dim == 64 else f"{steps // per_epoch} epochs (equal images)"
        rows.append(f"| train d{dim} | {steps:,} steps × {f / 1e12:.2f} TFLOP ({what}) | "
                    f"{steps * f / 1e15:.1f} PFLOP | {steps * f / rate:.0f} s |")
    fi = inversion_flops(lease.model_cfg(64))
    for fig, n in (image_steps or {}).items():
        rows.append(f"| {fig} | {n:,} image-steps × {fi / 1e9:.2f} GFLOP | {n * fi / 1e15:.1f} PFLOP | "
                    f"{n * fi / rate:.0f} s |")
    return "\n".join(rows)


def count_image_steps(figs=None) -> dict[str, int]:
    """Image-steps each figure inverts at the paper profile's settings (counted by running the
    figures with 1 step on toy generators and synthetic images, × the profile's 7,500 steps)."""
    import tempfile

    from ..core import invert
    from .lease import DIM_FIGS, PAPER_FIGS, fig_call

    figs = figs or PAPER_FIGS + DIM_FIGS
    from . import jobs, profiles
    from .experiments import run

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
