"""Compression by latent optimization (paper eq. 1): z* = argmin ‖G(z) − x‖², batched over images.

The ``paper`` settings follow the original code: z ~ N(0, 1) clamped to [−1, 1], Adam lr 0.05,
betas (0.5, 0.999), cosine learning rate, z clamped after every step. The best z seen per image is
kept (restarts keep the best too).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from .adapters import Adapter, decode
from .config import InvertConfig
from .models import Generator


@dataclass
class InvertResult:
    z: torch.Tensor  # (B, d_c), float32, CPU, in [-1, 1]
    mse: torch.Tensor  # (B,), model-space MSE of the returned z
    seconds: float
    trace: list[dict] = field(default_factory=list)  # rows: step, seconds, image, mse


def lr_at(step: int, total: int, cfg: InvertConfig) -> float:
    if cfg.schedule == "constant":
        return cfg.lr
    return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * step / max(total, 1)))


def initial_z(n: int, dim: int, cfg: InvertConfig, restart: int, offset: int) -> torch.Tensor:
    """Seeded start per image (independent of batch size): N(0, 1) clamped, or zeros."""
    if cfg.init == "zeros":
        return torch.zeros(n, dim)
    rows = []
    for i in range(n):
        g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + restart * 7919 + offset + i)
        rows.append(torch.randn(dim, generator=g))
    return torch.stack(rows).clamp_(-1, 1)


Measure = Callable[[torch.Tensor], torch.Tensor]


def _mse(G: Generator, adapter: Adapter, z: torch.Tensor, x: torch.Tensor,
         measure: Measure | None = None) -> torch.Tensor:
    out = decode(G, adapter, z)
    if measure is not None:
        out = measure(out)
    return (out - x).pow(2).flatten(1).mean(1)


def invert_batch(G: Generator, adapter: Adapter, x: torch.Tensor, cfg: InvertConfig,
                 z0: torch.Tensor, trace_every: int = 0, progress=None,
                 measure: Measure | None = None, callback: Callable | None = None) -> tuple:
    """Optimize one batch from z0; returns (best z, best mse, trace rows with batch-local index).

    ``callback(step, seconds, best_z, best_mse)`` runs at every trace point (with ``trace_every``);
    its own time is left out of ``seconds`` (e.g. a benchmark copying latents to decode later).
    """
    z = z0.clone().to(x.device).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    best_z = z.detach().clone()
    best = torch.full((x.shape[0],), float("inf"), device=x.device)
    trace, t0 = [], time.perf_counter()
    for step in range(cfg.steps + 1):
        loss = _mse(G, adapter, z, x, measure)
        with torch.no_grad():
            better = loss < best
            best = torch.where(better, loss.detach(), best)
            best_z[better] = z.detach()[better]
        if trace_every and (step % trace_every == 0 or step == cfg.steps):
            el = time.perf_counter() - t0
            trace += [{"step": step, "seconds": el, "image": i, "mse": float(v)}
                      for i, v in enumerate(best.tolist())]
            if callback is not None:
                tc = time.perf_counter()
                callback(step, el, best_z, best)
                t0 += time.perf_counter() - tc
        if step == cfg.steps:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg.steps, cfg)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            z.clamp_(-1, 1)
        if progress is not None:
            progress.update(1)
    return best_z, best, trace


def invert(G: Generator, adapter: Adapter, x: torch.Tensor, cfg: InvertConfig | None = None,
           trace_every: int = 0, progress: bool = False,
           measure: Measure | None = None, callback: Callable | None = None,
           groups: Sequence[int] | None = None) -> InvertResult:
    """Find latents for images ``x`` (B, 3, H, W) in model space; batched by ``cfg.batch_size``.

    ``groups`` (sizes summing to B) marks ``x`` as several image sets inverted together: each set
    starts from the points it would get alone, so its latents are those of a separate call (up to
    float rounding) while the steps are shared (fewer, larger kernels on a GPU).

    ``callback(step, seconds, best_z, best_mse, start, restart)`` runs at each trace point of each
    batch (``start``: index of the batch's first image); its time is not counted.

    With ``measure`` (compressive sensing), ``x`` holds measurements y = measure(image) and the
    loss is ‖measure(G(z)) − y‖².
    """
    cfg = cfg or InvertConfig()
    device = next(G.parameters()).device
    adapter = adapter.to(device)
    n, t0 = x.shape[0], time.perf_counter()
    z_out = torch.empty(n, adapter.input_dim)
    mse_out = torch.full((n,), float("inf"))
    trace: list[dict] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        chunks = math.ceil(n / cfg.batch_size)
        bar = tqdm(total=chunks * cfg.restarts * cfg.steps, desc="invert", unit="step")
    groups = [n] if groups is None else list(groups)
    if sum(groups) != n or any(g < 0 for g in groups):
        raise ValueError(f"groups {groups} do not add up to the {n} images")
    starts = [torch.cat([torch.empty(0, adapter.input_dim)]
                        + [initial_z(g, adapter.input_dim, cfg, r, 0) for g in groups if g])
              for r in range(cfg.restarts)]  # row i of a set = its row i alone, whatever the chunk
    for start in range(0, n, cfg.batch_size):
        xb = x[start:start + cfg.batch_size].to(device)
        for r in range(cfg.restarts):
            z0 = starts[r][start:start + xb.shape[0]]
            cb = None if callback is None else (
                lambda s, t, zz, mm, _st=start, _r=r: callback(s, t, zz, mm, _st, _r))
            zb, mb, tr = invert_batch(G, adapter, xb, cfg, z0, trace_every, bar, measure, cb)
            zb, mb = zb.cpu(), mb.cpu()
            idx = slice(start, start + xb.shape[0])
            better = mb < mse_out[idx]
            z_out[idx][better] = zb[better]
            mse_out[idx] = torch.where(better, mb, mse_out[idx])
            trace += [dict(row, image=row["image"] + start, restart=r) for row in tr]
    if bar is not None:
        bar.close()
    return InvertResult(z_out, mse_out, time.perf_counter() - t0, trace)
