"""Compression by latent optimization (paper eq. 1): z* = argmin ‖G(z) − x‖², batched over images.

The original code: z ~ N(0, 1) clamped to [−1, 1] once, Adam lr 0.05, betas (0.5, 0.999), cosine
learning rate, no constraint afterwards (``InvertConfig(clamp="start")``); GANZ's projected
variant clamps z after every step (``clamp="every_step"``, the default: what ``.ganz`` files
store). The best z seen per image is kept (restarts keep the best too).

``invert_many`` runs many jobs (adapters, image sets) of one generator as one batched optimization
without host syncs in the loop (the GPU path); ``invert`` is one adapter with traces and callbacks.
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch

from .adapters import Adapter, decode
from .config import InvertConfig
from .models import Generator
from .progress import progress_bar


@dataclass
class InvertResult:
    z: torch.Tensor  # (B, d_c), float32, CPU; in [-1, 1] unless clamp="start"
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


def starts(n: int, dim: int, cfg: InvertConfig, restart: int,
           groups: Sequence[int] | None = None) -> torch.Tensor:
    """Starting points of ``n`` images made of sets of ``groups`` sizes: row i of a set is its row
    i alone (``initial_z`` with offset 0 per set), whatever else is inverted with it."""
    groups = [n] if groups is None else list(groups)
    if sum(groups) != n or any(g < 0 for g in groups):
        raise ValueError(f"groups {groups} do not add up to the {n} images")
    return torch.cat([torch.empty(0, dim)] + [initial_z(g, dim, cfg, restart, 0) for g in groups if g])


@contextlib.contextmanager
def precision_mode(precision: str, device: torch.device) -> Iterator[None]:
    """CUDA TF32 on for ``tf32``, off otherwise (``fp32`` is fp32); restored afterwards."""
    if device.type != "cuda":
        yield
        return
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = precision == "tf32"
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def conv_forward(G: Generator, flat: torch.Tensor, precision: str = "fp32",
                 channels_last: bool = False) -> torch.Tensor:
    """The conv module on flat inputs (B, width·base²), under bf16 autocast for ``bf16``;
    float32 model-space images out. The adapters stay in float32."""
    first = G.first_tensor(flat)
    if channels_last:
        first = first.contiguous(memory_format=torch.channels_last)
    with torch.autocast(flat.device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        out = G.conv(first)
    return out.float()


def _mse(G: Generator, adapter: Adapter, z: torch.Tensor, x: torch.Tensor,
         measure: Measure | None = None, precision: str = "fp32") -> torch.Tensor:
    if precision == "fp32":
        out = decode(G, adapter, z)
    else:
        out = conv_forward(G, adapter.to(z.device)(z), precision)
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
        loss = _mse(G, adapter, z, x, measure, cfg.precision)
        with torch.no_grad():
            better = loss < best
            best = torch.where(better, loss.detach(), best)
            best_z = torch.where(better[:, None], z.detach(), best_z)
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
        if cfg.clamp == "every_step":
            with torch.no_grad():
                z.clamp_(-1, 1)
        if progress is not None:
            progress.update(1)
    return best_z, best, trace


def invert(G: Generator, adapter: Adapter, x: torch.Tensor, cfg: InvertConfig | None = None,
           trace_every: int = 0, progress: bool | object = False,
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

    ``progress``: True for a tqdm bar, or an object with ``begin(total)``, ``update``, ``close``
    (``ganz.core.progress.Progress``).
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
        total = math.ceil(n / cfg.batch_size) * cfg.restarts * cfg.steps
        # the CLI's own line (``ganz.core.progress.Progress``), else a tqdm bar
        bar = progress.begin(total) if hasattr(progress, "begin") else progress_bar(total, "invert")
    z_starts = [starts(n, adapter.input_dim, cfg, r, groups) for r in range(cfg.restarts)]
    for start in range(0, n, cfg.batch_size):
        xb = x[start:start + cfg.batch_size].to(device)
        for r in range(cfg.restarts):
            z0 = z_starts[r][start:start + xb.shape[0]]
            cb = None if callback is None else (
                lambda s, t, zz, mm, _st=start, _r=r: callback(s, t, zz, mm, _st, _r))
            with precision_mode(cfg.precision, device):
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


@dataclass
class InvertJob:
    """One job of ``invert_many``: an adapter and its targets ``x`` (model-space images, or
    measurements with ``measure``); ``groups`` marks image sets that keep their own starts."""
    adapter: Adapter
    x: torch.Tensor
    measure: Measure | None = None
    groups: Sequence[int] | None = None


def invert_many(G: Generator, jobs: Sequence[InvertJob], cfg: InvertConfig | None = None,
                max_images: int | None = None, progress: bool = False) -> list[InvertResult]:
    """Invert several jobs of one generator as one batched optimization; one result per job.

    Each job's latents are their own parameters (one fused/foreach Adam over the list), its adapter
    maps its slice, and one conv-module pass runs over the concatenated batch. Every image starts
    where a separate ``invert`` call would start it, so its latents equal that call's up to float
    rounding (Adam is elementwise; images do not interact). Best latents are kept per image with
    ``torch.where``: no host sync inside the loop. ``max_images`` bounds the images optimized at
    once (memory); None = all. ``cfg.batch_size`` is not used here. A job's ``seconds`` is its
    share, by images, of the total time.
    """
    cfg = cfg or InvertConfig()
    device = next(G.parameters()).device
    cuda = device.type == "cuda"
    if cuda:
        G.conv.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # torch <2.14 stubs lack it
    ads = [job.adapter.to(device) for job in jobs]
    sizes = [job.x.shape[0] for job in jobs]
    rows = [(j, i) for j, n in enumerate(sizes) for i in range(n)]  # (job, image) in order
    chunk = max(1, max_images or len(rows) or 1)
    z_out = [torch.empty(n, ad.input_dim) for n, ad in zip(sizes, ads)]
    mse_out = [torch.full((n,), float("inf")) for n in sizes]
    bar = None
    if progress:
        bar = progress_bar(math.ceil(len(rows) / chunk) * cfg.restarts * cfg.steps, "invert")
    t0 = time.perf_counter()
    for r in range(cfg.restarts):
        z_starts = [starts(n, ad.input_dim, cfg, r, job.groups) for n, ad, job in zip(sizes, ads, jobs)]
        for c0 in range(0, len(rows), chunk):
            segs: list[tuple[int, int, int]] = []  # (job, first image, end) of this chunk
            for j, i in rows[c0:c0 + chunk]:
                if segs and segs[-1][0] == j:
                    segs[-1] = (j, segs[-1][1], i + 1)
                else:
                    segs.append((j, i, i + 1))
            with precision_mode(cfg.precision, device):
                zs, ms = _optimize_segments(G, [(ads[j], z_starts[j][a:b], jobs[j].x[a:b],
                                                 jobs[j].measure) for j, a, b in segs],
                                            cfg, channels_last=cuda, bar=bar)
            for (j, a, b), zb, mb in zip(segs, zs, ms):
                zb, mb = zb.cpu(), mb.cpu()
                better = mb < mse_out[j][a:b]
                z_out[j][a:b] = torch.where(better[:, None], zb, z_out[j][a:b])
                mse_out[j][a:b] = torch.where(better, mb, mse_out[j][a:b])
    if bar is not None:
        bar.close()
    total = time.perf_counter() - t0
    return [InvertResult(z, m, total * n / max(len(rows), 1)) for z, m, n in zip(z_out, mse_out, sizes)]


def _optimize_segments(G: Generator, segs: list[tuple], cfg: InvertConfig, channels_last: bool,
                       bar=None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One batched optimization of segments (adapter, z0, targets, measure); best z and mse each."""
    device = next(G.parameters()).device
    zs = [z0.to(device).clone().requires_grad_(True) for _, z0, _, _ in segs]
    xs = [x.to(device) for _, _, x, _ in segs]
    opt_kw = {"fused": True} if device.type == "cuda" else {"foreach": True}
    opt = torch.optim.Adam(zs, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), **opt_kw)
    best_z = [z.detach().clone() for z in zs]
    best = [torch.full((z.shape[0],), float("inf"), device=device) for z in zs]
    counts = [z.shape[0] for z in zs]
    for step in range(cfg.steps + 1):
        flat = torch.cat([ad(z) for (ad, _, _, _), z in zip(segs, zs)])
        outs = torch.split(conv_forward(G, flat, cfg.precision, channels_last), counts)
        losses = []
        for k, (out, x) in enumerate(zip(outs, xs)):
            measure = segs[k][3]
            loss = ((measure(out) if measure is not None else out) - x).pow(2).flatten(1).mean(1)
            with torch.no_grad():
                better = loss < best[k]
                best[k] = torch.where(better, loss.detach(), best[k])
                best_z[k] = torch.where(better[:, None], zs[k].detach(), best_z[k])
            losses.append(loss)
        if step == cfg.steps:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg.steps, cfg)
        opt.zero_grad(set_to_none=True)
        torch.cat(losses).sum().backward()
        opt.step()
        if cfg.clamp == "every_step":
            with torch.no_grad():
                for z in zs:
                    z.clamp_(-1, 1)
        if bar is not None:
            bar.update(1)
    return best_z, best
