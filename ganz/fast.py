"""Fast compression: a learned first guess, then a short refinement of the paper's objective.

``invert_fast`` minimizes the same ‖G(z) − x‖² over z ∈ [−1, 1]^d_c as ``ganz.invert.invert`` (and
returns the same ``InvertResult``), but instead of 7500 Adam steps from a random z it

1. builds a few candidate starts per image: the encoder's head for this adapter (when it has one),
   the encoder's conv-module input h projected onto the adapter (box-constrained least squares
   through the adapter's fixed matrix: ``project``), optionally zeros and seeded random starts;
2. scores them with one forward pass and keeps the ``refine`` best per image;
3. refines them with a short Adam run (its own learning rate and cosine schedule, clamped to the
   box, best z kept) and returns the best per image.

Without an encoder it still works (zeros / random starts + the short schedule), only less well.
``ganz.bench`` measures it against the paper's method.
"""
from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, replace

import torch

from .adapters import Adapter
from .config import InvertConfig
from .encoder import LatentEncoder, head_key
from .invert import InvertResult, _mse, initial_z, invert_batch
from .models import Generator


@dataclass(frozen=True)
class FastConfig:
    """Settings of ``invert_fast`` (tuned on the cpu-small generator; see ``ganz.bench``)."""

    steps: int = 300
    lr: float = 0.03
    beta1: float = 0.9
    beta2: float = 0.999
    schedule: str = "cosine"
    starts: tuple[str, ...] = ("head", "project", "zeros")  # candidate starts (when available)
    random_starts: int = 0  # seeded N(0, 1) clamped starts, as the paper's
    refine: int = 1  # candidates refined per image (the best-scoring ones)
    project_iters: int = 100
    seed: int = 0
    batch_size: int = 64

    def adam(self) -> InvertConfig:
        return InvertConfig(steps=self.steps, lr=self.lr, beta1=self.beta1, beta2=self.beta2,
                            schedule=self.schedule, seed=self.seed, batch_size=self.batch_size)


_LIPSCHITZ: "weakref.WeakKeyDictionary[Adapter, tuple]" = weakref.WeakKeyDictionary()


def _solver(adapter: Adapter) -> tuple[torch.Tensor, float]:
    """Cached (pseudo-inverse of the adapter matrix, its squared spectral norm)."""
    W = adapter.weight
    hit = _LIPSCHITZ.get(adapter)
    if hit is not None and hit[0].device == W.device and hit[2] == W.data_ptr():
        return hit[0], hit[1]
    Wd = W.double().cpu()
    pinv = torch.linalg.pinv(Wd).float().to(W.device)
    lip = float(torch.linalg.matrix_norm(Wd, ord=2) ** 2)
    _LIPSCHITZ[adapter] = (pinv, lip, W.data_ptr())
    return pinv, lip


@torch.no_grad()
def project(adapter: Adapter, h: torch.Tensor, iters: int = 100) -> torch.Tensor:
    """z ∈ [−1, 1]^d_c minimizing ‖adapter(z) − h‖² (h: flat conv-module inputs, (B, C)).

    Least squares through the pseudo-inverse, clamped, then ``iters`` accelerated projected
    gradient steps (FISTA) on the box-constrained problem. ``no_linear`` is exact: h / scale.
    """
    if adapter.name == "no_linear":
        return (h / adapter.scale).clamp(-1, 1)
    W = adapter.weight.to(h.device, h.dtype)  # (C, d)
    pinv, lip = _solver(adapter)
    z = (h @ pinv.to(h.device, h.dtype).t()).clamp(-1, 1)
    y, t = z.clone(), 1.0
    for _ in range(iters):
        grad = (y @ W.t() - h) @ W
        z_next = (y - grad / lip).clamp(-1, 1)
        t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
        y = z_next + ((t - 1) / t_next) * (z_next - z)
        z, t = z_next, t_next
    return z


@torch.no_grad()
def candidates(G: Generator, adapter: Adapter, x: torch.Tensor, encoder: LatentEncoder | None,
               cfg: FastConfig, offset: int = 0) -> dict[str, torch.Tensor]:
    """Named candidate starts (each (B, d_c) in the box) for a batch of images."""
    out: dict[str, torch.Tensor] = {}
    d = adapter.input_dim
    if encoder is not None and ("head" in cfg.starts or "project" in cfg.starts):
        h, zs = encoder(x)
        key = head_key(adapter)
        if "head" in cfg.starts and key in zs:
            out["head"] = zs[key].clamp(-1, 1)
        if "project" in cfg.starts:
            out["project"] = project(adapter, h, cfg.project_iters)
    if "zeros" in cfg.starts:
        out["zeros"] = torch.zeros(x.shape[0], d, device=x.device)
    for r in range(cfg.random_starts):
        z = initial_z(x.shape[0], d, InvertConfig(seed=cfg.seed), r, offset)
        out[f"random{r}"] = z.to(x.device)
    if not out:
        out["zeros"] = torch.zeros(x.shape[0], d, device=x.device)
    return out


def invert_fast(G: Generator, adapter: Adapter, x: torch.Tensor, encoder: LatentEncoder | None = None,
                cfg: FastConfig | None = None, trace_every: int = 0, progress: bool = False,
                callback=None) -> InvertResult:
    """Latents for images ``x`` (B, 3, H, W) in model space, fast; same result type as ``invert``.

    ``trace`` rows (with ``trace_every``) and ``callback(step, seconds, best_z, best_mse, start,
    restart)`` count time from the call, so the encoder and the start selection are included.
    """
    cfg = cfg or FastConfig()
    device = next(G.parameters()).device
    adapter = adapter.to(device)
    if encoder is not None:
        encoder = encoder.to(device)
    n, t_call = x.shape[0], time.perf_counter()
    z_out = torch.empty(n, adapter.input_dim)
    mse_out = torch.full((n,), float("inf"))
    trace: list[dict] = []
    adam = cfg.adam()
    paused = [0.0]  # time spent inside the caller's callback, left out of all timings
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=-(-n // cfg.batch_size) * cfg.steps, desc="invert (fast)", unit="step")
    for start in range(0, n, cfg.batch_size):
        xb = x[start:start + cfg.batch_size].to(device)
        b = xb.shape[0]
        cands = candidates(G, adapter, xb, encoder, cfg, start)
        with torch.no_grad():
            stack = torch.stack(list(cands.values()))  # (K, b, d)
            losses = torch.stack([_mse(G, adapter, c, xb) for c in stack])  # (K, b)
        k = max(1, min(cfg.refine, stack.shape[0]))
        order = losses.argsort(dim=0)[:k]  # (k, b): best candidates per image
        z0 = torch.cat([stack[order[j], torch.arange(b, device=device)] for j in range(k)])
        x_rep = xb.repeat(k, 1, 1, 1)
        offset = time.perf_counter() - t_call - paused[0]

        def reduce(zz: torch.Tensor, mm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            mm = mm.view(k, b)
            best = mm.argmin(0)
            ar = torch.arange(b, device=mm.device)
            return zz.view(k, b, -1)[best, ar], mm[best, ar]

        cb = None
        if callback is not None:
            def cb(step, seconds, zz, mm, _start=start, _off=offset):
                tc = time.perf_counter()
                zb_, mb_ = reduce(zz, mm)
                callback(step, seconds + _off, zb_, mb_, _start, 0)
                paused[0] += time.perf_counter() - tc

        zr, mr, tr = invert_batch(G, adapter, x_rep, adam, z0, trace_every, bar, None, cb)
        zb, mb = reduce(zr, mr)
        z_out[start:start + b] = zb.cpu()
        mse_out[start:start + b] = mb.cpu()
        if tr:
            by_step: dict[int, dict] = {}
            for row in tr:
                i = row["image"] % b
                cur = by_step.setdefault((row["step"], i), dict(row, image=i + start,
                                                                seconds=row["seconds"] + offset))
                cur["mse"] = min(cur["mse"], row["mse"])
            trace += list(by_step.values())
    if bar is not None:
        bar.close()
    return InvertResult(z_out, mse_out, time.perf_counter() - t_call - paused[0], trace)


def with_steps(cfg: FastConfig, steps: int | None) -> FastConfig:
    return cfg if steps is None else replace(cfg, steps=steps)
