"""Fast compression: a learned first guess, then a short refinement of the paper's objective.

``invert_fast`` minimizes the same ‖G(z) − x‖² over z ∈ [−1, 1]^d_c as ``ganz.core.invert.invert`` (and
returns the same ``InvertResult``), but instead of 7500 Adam steps from a random z it

1. builds a few candidate starts per image: the encoder's head for this adapter (when it has one),
   the encoder's conv-module input h projected onto the adapter (box-constrained least squares
   through the adapter's fixed matrix: ``project``), optionally zeros and seeded random starts;
2. scores them with one forward pass and keeps the ``refine`` best per image;
3. refines them with a projected L-BFGS run per image (batched: ``lbfgs_batch``), which converges
   in a few hundred evaluations where the paper's Adam needs thousands; ``optimizer="adam"``
   instead runs a short Adam schedule (its own learning rate, cosine, clamped, best z kept).
   Each image stops by its own rule, which needs no target PSNR: when its PSNR gained less than
   ``tol_db`` over its last ``tol_window`` iterations (or its line search fails).

Measured on the cpu-small generator (validation faces and out-of-domain pictures that are not the
benchmark's): from the encoder's start, L-BFGS with a 5-pair history reached the paper's final
PSNR within about 300–600 iterations where Adam (any of lr 0.01–0.05, 100–300 steps) stayed
0.6–1.2 dB short at R = 10, and a Gauss–Newton/CG refinement was slower still.

Without an encoder it still works (zeros / random starts), only less well.
``ganz.study.bench`` measures it against the paper's method.
"""
from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from .adapters import Adapter
from .config import InvertConfig
from .encoder import LatentEncoder, head_key
from .invert import InvertResult, _mse, initial_z, invert_batch
from .models import Generator
from .twoloop import two_loop


@dataclass(frozen=True)
class FastConfig:
    """Settings of ``invert_fast`` (tuned on the cpu-small generator; see ``ganz.study.bench``)."""

    optimizer: str = "lbfgs"  # "lbfgs" (projected, per image) | "adam" (the paper's, short)
    steps: int = 1000  # most refinement iterations (images stop earlier by the rule below)
    # stopping rule (L-BFGS, per image, no target needed): stop an image once its PSNR gained less
    # than ``tol_db`` dB over its last ``tol_window`` iterations; 0 turns the rule off. Tuned on
    # training faces only (``ganz bench tune``; results/bench/stop-tuning-*.csv)
    tol_db: float = 0.02
    tol_window: int = 40
    memory: int = 5  # L-BFGS history (longer histories did worse: the free set keeps changing)
    lr: float = 0.03  # Adam only
    beta1: float = 0.9
    beta2: float = 0.999
    schedule: str = "cosine"
    starts: tuple[str, ...] = ("head", "project", "zeros")  # candidate starts (when available)
    random_starts: int = 0  # seeded N(0, 1) clamped starts, as the paper's
    refine: int = 1  # candidates refined per image (the best-scoring ones)
    project_iters: int = 100
    bound_eps: float = 0.0  # ε-active set width of the L-BFGS refinement (0.05–0.15 did worse)
    head_scale: float = 1.0  # >1 pushes the head's tanh outputs onto the bounds (1.25–1.5: no gain)
    seed: int = 0
    batch_size: int = 64

    def adam(self) -> InvertConfig:
        return InvertConfig(steps=self.steps, lr=self.lr, beta1=self.beta1, beta2=self.beta2,
                            schedule=self.schedule, seed=self.seed, batch_size=self.batch_size)


@dataclass
class FastResult(InvertResult):
    """``InvertResult`` plus the cost per image: refinement evaluations (forward+backward passes,
    all refined candidates summed) and L-BFGS iterations (Adam: its steps)."""

    evals: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.long))
    iterations: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.long))


_LIPSCHITZ: "weakref.WeakKeyDictionary[Adapter, tuple]" = weakref.WeakKeyDictionary()


def _solver(adapter: Adapter) -> tuple[torch.Tensor, float]:
    """Cached (pseudo-inverse of the adapter matrix, its squared spectral norm)."""
    W = adapter.weight
    hit = _LIPSCHITZ.get(adapter)
    if hit is not None and hit[0].device == W.device and hit[2] == W.data_ptr():
        return hit[0], hit[1]
    Wd = W.double().cpu()
    if Wd.shape[1] <= Wd.shape[0]:  # full column rank (random layers): normal equations, ~20× cheaper
        gram = Wd.t() @ Wd
        pinv = torch.linalg.solve(gram, Wd.t()).float().to(W.device)
        lip = float(torch.linalg.eigvalsh(gram)[-1])
    else:
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
    if adapter.bias.numel():  # the original-style layers: z Wᵀ + b
        h = h - adapter.bias.to(h.device, h.dtype)
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
            # heads are trained at latent scale 1: the same h at scale s is z / s
            scale = cfg.head_scale / getattr(adapter, "latent_scale", 1.0)
            out["head"] = (zs[key] * scale).clamp(-1, 1)
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


def _loss_grad(G: Generator, adapter: Adapter, z: torch.Tensor, x: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image MSE (B,) and its gradient (B, d) (images are independent: one backward)."""
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        loss = _mse(G, adapter, z, x)
        (grad,) = torch.autograd.grad(loss.sum(), z)
    return loss.detach(), grad


@contextlib.contextmanager
def no_autotuning() -> Iterator[None]:
    """cuDNN's autotuning (``cudnn.benchmark``) off inside the block, restored after. L-BFGS's
    batch shrinks as images stop and each backtracking pass evaluates a subset, so most passes
    bring a new shape, and with autotuning on each new shape is timed afresh: in the second
    GPU benchmark (H100, ``results/bench/inversion-paper-cuda.csv``) 14 such stalls took
    42.8 s of the fast method's 54.0 s, the steady iterations 9.7 s."""
    old = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = old


def lbfgs_batch(G: Generator, adapter: Adapter, x: torch.Tensor, z0: torch.Tensor, steps: int,
                memory: int = 10, trace_every: int = 0, progress=None, callback=None,
                first_step: float = 0.1, max_backtracks: int = 8, bound_eps: float = 0.0,
                tol_db: float = 0.0, tol_window: int = 20, stats: dict | None = None) -> tuple:
    """Projected L-BFGS on each image's own problem, batched: min MSE(G(z), x) over z ∈ [−1, 1]^d.

    Per image: the gradient is restricted to the free coordinates (not held at a bound by a
    gradient pushing outwards), an L-BFGS direction is built from that image's last ``memory``
    steps (two-loop recursion), the step is projected onto the box and backtracked until the
    Armijo condition holds. The images share forward/backward passes but not line searches;
    an image whose line search fails is converged and leaves the batch, and so does one whose
    PSNR (10·log10 of its MSE ratio) rose by less than ``tol_db`` dB over its last ``tol_window``
    iterations (``tol_db`` > 0): a stopped image costs nothing more. Same return value as
    ``ganz.core.invert.invert_batch``: (z, mse, trace rows); ``stats``, when given, receives per-image
    ``evals`` (forward+backward passes) and ``iterations`` (CPU tensors).
    """
    with no_autotuning():
        return _lbfgs(G, adapter, x, z0, steps, memory, trace_every, progress, callback, first_step,
                      max_backtracks, bound_eps, tol_db, tol_window, stats)


def _lbfgs(G: Generator, adapter: Adapter, x: torch.Tensor, z0: torch.Tensor, steps: int,
           memory: int, trace_every: int, progress, callback, first_step: float,
           max_backtracks: int, bound_eps: float, tol_db: float, tol_window: int,
           stats: dict | None) -> tuple:
    b, d = z0.shape
    dev = x.device
    z = z0.detach().clone().to(dev).clamp_(-1, 1)
    f, g = _loss_grad(G, adapter, z, x)
    S = torch.zeros(b, memory, d, device=dev)
    Y = torch.zeros(b, memory, d, device=dev)
    rho = torch.zeros(b, memory, device=dev)  # 0 = empty slot
    slot = 0
    active = torch.ones(b, dtype=torch.bool, device=dev)
    evals = torch.ones(b, dtype=torch.long)  # forward+backward passes per image (cost measure)
    trace: list[dict] = []
    t0 = time.perf_counter()
    ar = torch.arange(b, device=dev)
    iters = torch.zeros(b, dtype=torch.long)
    hist = f.new_zeros(tol_window + 1, b) if tol_db > 0 else None  # ring of the last f values
    if hist is not None:
        hist[0] = f

    def record(step: int) -> None:
        nonlocal t0
        if trace_every and (step % trace_every == 0 or step == steps or not active.any()):
            el = time.perf_counter() - t0
            trace.extend({"step": step, "seconds": el, "image": i, "mse": float(v), "evals": int(e)}
                         for i, (v, e) in enumerate(zip(f.tolist(), evals.tolist())))
            if callback is not None:
                tc = time.perf_counter()
                callback(step, el, z, f)
                t0 += time.perf_counter() - tc

    record(0)
    for step in range(1, steps + 1):
        if not active.any():
            break
        idx = ar[active]
        zi, gi = z[idx], g[idx]
        # ε-active set (Bertsekas' projected Newton): coordinates at or within ``bound_eps`` of a
        # bound, with the gradient pushing outwards, go to the bound; L-BFGS acts on the others
        near = ((zi <= -1 + bound_eps) & (gi > 0)) | ((zi >= 1 - bound_eps) & (gi < 0))
        free = ~near
        q = gi * free
        # two-loop recursion, newest pair first (slots form a ring ending at slot - 1)
        order = [(slot - 1 - j) % memory for j in range(memory)]
        Si, Yi, Ri = S[idx], Y[idx], rho[idx]
        # the pairs restricted to this step's free coordinates (stale bound coordinates dropped)
        Si, Yi = Si * free[:, None], Yi * free[:, None]
        sy_ = (Si * Yi).sum(2)
        ok_pair = (Ri > 0) & (sy_ > 1e-10 * (Yi ** 2).sum(2).clamp_min(1e-30))
        Ri = torch.where(ok_pair, 1.0 / sy_.clamp_min(1e-30), torch.zeros_like(Ri))
        newest = order[0]
        yy = (Yi[:, newest] ** 2).sum(1)
        has = Ri[:, newest] > 0
        gamma = torch.where(has, 1.0 / (Ri[:, newest] * yy).clamp_min(1e-30), torch.zeros_like(yy))
        r = two_loop(q, Si, Yi, Ri, order, gamma)
        direction = -r * free - gi.sign() * near
        # no history, or not a descent direction: a scaled projected-gradient step
        gd = (gi * direction).sum(1)
        fallback = (~has) | (gd >= 0)
        if fallback.any():
            gf = gi * free
            scale = first_step / gf.abs().amax(1).clamp_min(1e-12)
            direction = torch.where(fallback[:, None], -gf * scale[:, None], direction)
        t = torch.ones(len(idx), device=dev)
        todo = torch.ones(len(idx), dtype=torch.bool, device=dev)
        z_new, f_new, g_new = zi.clone(), f[idx].clone(), gi.clone()
        ok = torch.zeros(len(idx), dtype=torch.bool, device=dev)
        for _ in range(max_backtracks + 1):
            j = todo.nonzero().squeeze(1)
            if len(j) == 0:
                break
            cand = (zi[j] + t[j, None] * direction[j]).clamp(-1, 1)
            fc, gc = _loss_grad(G, adapter, cand, x[idx[j]])
            evals[idx[j].cpu()] += 1
            armijo = fc <= f[idx[j]] + 1e-4 * (gi[j] * (cand - zi[j])).sum(1)
            acc = j[armijo]
            z_new[acc], f_new[acc], g_new[acc] = cand[armijo], fc[armijo], gc[armijo]
            ok[acc] = True
            todo[acc] = False
            t[j[~armijo]] *= 0.5
        # update history for the images that moved; the others are converged
        s_vec, y_vec = z_new - zi, g_new - gi
        sy = (s_vec * y_vec).sum(1)
        good = ok & (sy > 1e-10 * (y_vec ** 2).sum(1).clamp_min(1e-30))
        S[idx, slot] = torch.where(good[:, None], s_vec, S[idx, slot])
        Y[idx, slot] = torch.where(good[:, None], y_vec, Y[idx, slot])
        rho[idx, slot] = torch.where(good, 1.0 / sy.clamp_min(1e-30), torch.zeros_like(sy))
        slot = (slot + 1) % memory
        z[idx], f[idx], g[idx] = z_new, f_new, g_new
        # a failed line search: with history, forget it and retry from the gradient next time;
        # already from the (projected) gradient, the image is converged and leaves the batch
        stuck = ~ok & has & ~fallback
        rho[idx[stuck]] = 0.0
        active[idx[~ok & ~stuck]] = False
        iters[idx.cpu()] += 1
        if hist is not None:
            hist[step % (tol_window + 1)] = f
            if step >= tol_window:  # PSNR gained over the last tol_window iterations, in dB
                old = hist[(step - tol_window) % (tol_window + 1), idx]
                gain = 10 * torch.log10(old.clamp_min(1e-30) / f[idx].clamp_min(1e-30))
                active[idx[gain < tol_db]] = False
        if progress is not None:
            progress.update(1)
        record(step)
    if stats is not None:
        stats["evals"], stats["iterations"] = evals, iters
    return z, f, trace


def invert_fast(G: Generator, adapter: Adapter, x: torch.Tensor, encoder: LatentEncoder | None = None,
                cfg: FastConfig | None = None, trace_every: int = 0, progress: bool | object = False,
                callback=None) -> FastResult:
    """Latents for images ``x`` (B, 3, H, W) in model space, fast; same result type as ``invert``.

    ``trace`` rows (with ``trace_every``) and ``callback(step, seconds, best_z, best_mse, start,
    restart)`` count time from the call, so the encoder and the start selection are included.
    ``progress``: True for a tqdm bar, or an object with ``begin(total)``, ``update``, ``close``
    (``ganz.core.progress.Progress``).
    """
    cfg = cfg or FastConfig()
    device = next(G.parameters()).device
    adapter = adapter.to(device)
    if encoder is not None:
        encoder = encoder.to(device)
    n, t_call = x.shape[0], time.perf_counter()
    z_out = torch.empty(n, adapter.input_dim)
    mse_out = torch.full((n,), float("inf"))
    evals_out = torch.zeros(n, dtype=torch.long)
    iters_out = torch.zeros(n, dtype=torch.long)
    trace: list[dict] = []
    adam = cfg.adam()
    paused = [0.0]  # time spent inside the caller's callback, left out of all timings
    bar = None
    if progress:
        total = -(-n // cfg.batch_size) * cfg.steps
        if hasattr(progress, "begin"):  # the CLI's own line (``ganz.core.progress.Progress``)
            bar = progress.begin(total)
        else:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, desc="invert (fast)", unit="step")
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

        def reduce(zz: torch.Tensor, mm: torch.Tensor, k: int = k, b: int = b
                   ) -> tuple[torch.Tensor, torch.Tensor]:
            mm = mm.view(k, b)
            best = mm.argmin(0)
            ar = torch.arange(b, device=mm.device)
            return zz.view(k, b, -1)[best, ar], mm[best, ar]

        def report(step, seconds, zz, mm, _start=start, _off=offset):
            tc = time.perf_counter()
            zb_, mb_ = reduce(zz, mm)
            callback(step, seconds + _off, zb_, mb_, _start, 0)
            paused[0] += time.perf_counter() - tc

        cb = report if callback is not None else None

        stats: dict = {}
        if cfg.optimizer == "lbfgs":
            zr, mr, tr = lbfgs_batch(G, adapter, x_rep, z0, cfg.steps, cfg.memory, trace_every, bar,
                                     cb, bound_eps=cfg.bound_eps, tol_db=cfg.tol_db,
                                     tol_window=cfg.tol_window, stats=stats)
        else:
            zr, mr, tr = invert_batch(G, adapter, x_rep, adam, z0, trace_every, bar, None, cb)
            stats = {"evals": torch.full((k * b,), cfg.steps + 1), "iterations": torch.full((k * b,), cfg.steps)}
        zb, mb = reduce(zr, mr)
        evals_out[start:start + b] = stats["evals"].view(k, b).sum(0)
        iters_out[start:start + b] = stats["iterations"].view(k, b).amax(0)
        z_out[start:start + b] = zb.cpu()
        mse_out[start:start + b] = mb.cpu()
        if tr:
            by_step: dict[tuple, dict] = {}
            for row in tr:  # the k copies of an image: best mse, summed cost
                i = row["image"] % b
                ev = row.get("evals", row["step"] + 1)
                cur = by_step.get((row["step"], i))
                if cur is None:
                    by_step[(row["step"], i)] = dict(row, image=i + start, evals=ev,
                                                     seconds=row["seconds"] + offset)
                else:
                    cur["mse"] = min(cur["mse"], row["mse"])
                    cur["evals"] += ev
            trace += list(by_step.values())
    if bar is not None:
        bar.close()
    return FastResult(z_out, mse_out, time.perf_counter() - t_call - paused[0], trace, evals_out,
                      iters_out)
