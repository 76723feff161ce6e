"""Rate-aware latents: choose the b-bit codes themselves, for distortion + λ·rate under the prior.

Plain rounding of a continuous latent ignores both what the rounding costs the picture and what
each code costs in bits. ``refine_codes`` chooses the codes q ∈ {0 … 2^b − 1}^d_c of a batch of
images from a continuous u (the fast method's latent, in code units):

- **rate-constrained rounding** (entropy-constrained scalar quantization): each value takes the
  code q minimising (u − q)² + λ·ℓ(q), ℓ the code length under the
  prior's integer table (``ganz.core.entropy``); λ = 0 is plain rounding. With a byte budget,
  λ is the least that makes the entropy-coded payload (real ANS bytes) fit: a bisection per
  image (``fit_codes``), no generator evaluation, never set by hand;
- **straight-through refinement**: Adam on u for the picture's error, each forward pass through
  the codes that rounding gives (the gradient passes the rounding unchanged; Yang, Bamler & Mandt
  2020 compare this with annealed alternatives), so every loss evaluated is that of real codes
  that fit the budget. The first iterate is the rounding of the fast method's latent, and the
  codes of least error are kept, so the result is never worse than rounding alone.

``flip_codes`` then searches the codes themselves: greedy ±1 steps of single codes, chosen by the
gradient and each tried exactly, kept only when they lower the error and the payload still fits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import torch

from .adapters import Adapter, decode
from .entropy import Table
from .models import Generator


@dataclass(frozen=True)
class RateConfig:
    """Settings of ``refine_codes`` (chosen on training faces)."""

    # 20 steps at lr 0.1 gained 0.0–0.5 dB over rounding (4 training faces, d_c = 200, 4 and 5 bits)
    steps: int = 20  # straight-through refinement steps (0: rate-constrained rounding only)
    lr: float = 0.1  # Adam, in code units
    bisections: int = 24  # of λ per image and step


@dataclass
class CodesResult:
    codes: np.ndarray  # (B, d) int64: the kept codes
    mse: np.ndarray  # (B,) model-space MSE of the kept codes (inf: none fitted)
    payload: np.ndarray  # (B,) bytes of their entropy-coded payload (the plain size if smaller)
    lam: np.ndarray  # (B,) the λ of their rounding
    fits: np.ndarray  # (B,) bool: codes that fit were found
    first_mse: np.ndarray  # (B,) MSE of the first iterate (the fast method's latent, rounded)


def normalize(z: np.ndarray, scale: float) -> tuple[np.ndarray, float]:
    """The same latent with its largest |value| at 1: (z', s') with s'·z' = scale·z (s' a float16
    value, as a file stores it; z' clipped to [−1, 1] where float16 rounding makes it pass).

    The fast method's latents of one model differ in size by 50× from face to face (at the
    default model's latent scale 16, many faces need |z| < 0.1): at a fixed scale a b-bit grid
    spends most of its levels where no value lies. Stored with its own scale, every file's codes
    use the whole grid (measured on 12 training faces at d_c = 200: +1.4 dB at the same entropy)."""
    from .fileformat import as_scale

    z = np.asarray(z, dtype=np.float32)
    m = float(np.abs(z).max())
    if not m > 0:
        return z.copy(), float(scale)
    s = as_scale(scale * m)
    return np.clip(z * np.float32(scale / s), -1, 1).astype(np.float32), s


def payload_bytes(table: Table | None, codes: np.ndarray, bits: int) -> int:
    """Bytes of the latent payload ``pack`` would write for these codes (entropy-coded when that
    is shorter; the deflated form is ignored here: at these sizes it rarely beats either)."""
    raw = (len(codes) * bits + 7) // 8
    if table is None:
        return raw
    return min(raw, len(table.encode(codes)))


def round_codes(u: np.ndarray, lengths: np.ndarray, lam: float) -> np.ndarray:
    """Per value, the code of least (u − q)² + λ·ℓ(q) (λ = 0: the nearest)."""
    if lam == 0:
        return np.clip(np.rint(u), 0, len(lengths) - 1).astype(np.int64)
    cand = np.arange(len(lengths), dtype=np.float64)
    cost = (u[..., None] - cand) ** 2 + lam * lengths
    return cost.argmin(-1).astype(np.int64)


def fit_codes(u: np.ndarray, table: Table | None, bits: int, max_payload: int | None,
              bisections: int = 24) -> tuple[np.ndarray | None, float, int]:
    """(codes, λ, payload bytes) of one latent ``u`` (code units): plain rounding when it fits
    ``max_payload`` (or there is none), else rate-constrained rounding at the least λ found that
    fits; (None, λ, bytes) when no λ does (a table-less latent only fits by rounding)."""
    lengths = table.code_lengths if table is not None else np.full(1 << bits, float(bits))
    codes = round_codes(u, lengths, 0.0)
    pay = payload_bytes(table, codes, bits)
    if max_payload is None or pay <= max_payload:
        return codes, 0.0, pay
    if table is None:
        return None, 0.0, pay
    lo, hi = 0.0, 0.05
    while True:  # a λ that fits, if any: the cheapest codes everywhere at the most
        codes = round_codes(u, lengths, hi)
        pay = payload_bytes(table, codes, bits)
        if pay <= max_payload:
            break
        if hi > 1e4:
            return None, hi, pay
        lo, hi = hi, hi * 4
    best = (codes, hi, pay)
    for _ in range(bisections):
        mid = (lo + hi) / 2
        codes = round_codes(u, lengths, mid)
        pay = payload_bytes(table, codes, bits)
        if pay <= max_payload:
            hi, best = mid, (codes, mid, pay)
        else:
            lo = mid
    return best


class _Masked(torch.nn.Module):
    """An adapter whose input holds some values fixed: z = fixed + mask·v, then ``gain``·z."""

    fixed: torch.Tensor  # buffers (register_buffer)
    mask: torch.Tensor

    def __init__(self, base: Adapter, fixed: torch.Tensor, mask: torch.Tensor, gain: float):
        super().__init__()
        self.base, self.gain = base, float(gain)
        self.name, self.input_dim = base.name, base.input_dim
        self.register_buffer("fixed", fixed)
        self.register_buffer("mask", mask)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.base((self.fixed + self.mask * v) * self.gain)


def progressive_codes(G: Generator, adapter: Adapter, x: torch.Tensor, z0: torch.Tensor, bits: int,
                      table: Table | None, max_payload: int | None = None, gain: float = 1.0,
                      stages: tuple[float, ...] = (0.5, 0.75, 0.9), steps: int = 40
                      ) -> tuple[np.ndarray | None, float, float, int]:
    """Codes of one image by progressive quantization: at each stage the values nearest their
    codes (those of the rate-constrained rounding that fits ``max_payload``) are fixed there and
    the others re-optimised for the picture (projected L-BFGS, ``steps`` at most), so the
    still-free values make up for the rounding of the fixed ones; then every value is rounded.
    ``x``: (1, 3, H, W); ``z0``: (d,) in [−1, 1]. Returns (codes or None, MSE, λ, payload)."""
    from .fast import lbfgs_batch

    K = (1 << bits) - 1
    dev = x.device
    z = z0.detach().to(dev).float().clone()
    fixed = torch.zeros_like(z, dtype=torch.bool)
    d = len(z)
    codes: np.ndarray | None
    lam: float
    pay: int
    for frac in (*stages, 1.0):  # runs at least once (1.0): codes, lam and pay are set
        u = ((z.clamp(-1, 1) + 1) / 2 * K).cpu().numpy().astype(np.float64)
        codes, lam, pay = fit_codes(u, table, bits, max_payload)
        if codes is None:
            return None, float("inf"), lam, pay
        zq = torch.as_tensor(codes / K * 2 - 1, dtype=torch.float32, device=dev)
        if frac >= 1.0:
            z = zq
            break
        err = (z - zq).abs()
        err[fixed] = -1.0  # already fixed: first in line
        n_fix = int(round(frac * d))
        fixed = torch.zeros_like(fixed)
        fixed[torch.argsort(err)[:n_fix]] = True
        z = torch.where(fixed, zq, z)
        masked = _Masked(adapter, torch.where(fixed, zq, torch.zeros_like(z)),
                         (~fixed).float(), gain).to(dev)
        # an Adapter by duck typing: lbfgs_batch only calls it (through decode)
        v, _, _ = lbfgs_batch(G, cast(Adapter, masked), x, z[None], steps, 5, tol_db=0.02,
                              tol_window=10)
        z = torch.where(fixed, zq, v[0].clamp(-1, 1))
    with torch.no_grad():
        mse = float((decode(G, adapter, (z * gain)[None]) - x).pow(2).mean())
    return codes, mse, lam, pay


def refine_codes(G: Generator, adapter: Adapter, x: torch.Tensor, z0: torch.Tensor, bits: int,
                 table: Table | None, cfg: RateConfig = RateConfig(),
                 max_payload: int | None = None, gain: torch.Tensor | None = None) -> CodesResult:
    """The codes per image (see the module's docstring). ``x``: (B, 3, H, W) model space;
    ``z0``: (B, d) continuous latents in [−1, 1]; ``max_payload``: bytes the latent may take;
    ``gain`` (B,): the adapter takes gain·z (a file's own scale over the adapter's)."""
    device = x.device
    K = (1 << bits) - 1
    u = ((z0.to(device).clamp(-1, 1) + 1) / 2 * K).detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([u], lr=cfg.lr)
    b, d = u.shape
    best_codes = np.zeros((b, d), np.int64)
    best_mse = np.full(b, np.inf)
    best_pay = np.zeros(b, np.int64)
    best_lam = np.zeros(b)
    first_mse = np.full(b, np.inf)
    for step in range(cfg.steps + 1):
        un = u.detach().cpu().numpy().astype(np.float64)
        fitted = [fit_codes(un[i], table, bits, max_payload, cfg.bisections) for i in range(b)]
        ok = np.array([c is not None for c, _, _ in fitted])
        if not ok.any():
            break  # nothing fits (a table-less latent: rounding never changes its size)
        q = torch.as_tensor(np.stack([c if c is not None else np.rint(un[i]).astype(np.int64)
                                      for i, (c, _, _) in enumerate(fitted)]),
                            dtype=torch.float32, device=device)
        uq = u + (q - u).detach()  # straight-through rounding
        z = uq / K * 2 - 1
        if gain is not None:
            z = z * gain.to(device)[:, None]
        mse = (decode(G, adapter, z) - x).pow(2).flatten(1).mean(1)
        m = mse.detach().cpu().numpy().astype(np.float64)
        if step == 0:
            first_mse = np.where(ok, m, np.inf)
        keep = ok & (m < best_mse)
        for i in np.flatnonzero(keep):
            codes_i, lam_i, pay_i = fitted[i]
            assert codes_i is not None  # keep ⊆ ok: these codes fit
            best_codes[i], best_mse[i], best_lam[i], best_pay[i] = codes_i, m[i], lam_i, pay_i
        if step == cfg.steps:
            break
        opt.zero_grad()
        mse.sum().backward()
        opt.step()
        with torch.no_grad():
            u.clamp_(0, K)
    return CodesResult(best_codes, best_mse, best_pay, best_lam, np.isfinite(best_mse), first_mse)


def flip_codes(G: Generator, adapter: Adapter, x: torch.Tensor, codes: np.ndarray, bits: int,
               table: Table | None, max_payload: int | None = None, gain: float = 1.0,
               rounds: int = 30, candidates: int = 32) -> tuple[np.ndarray, float, int]:
    """Greedy discrete descent on the codes of one image: per round, the ``candidates`` codes
    whose ±1 step the gradient says lowers the error most are each tried exactly (one batched
    decode), and the best step that lowers the error and keeps the payload within
    ``max_payload`` is taken (with every other improving step too, when that is better still);
    stops after ``rounds`` or when no step helps. ``x``: (1, 3, H, W). Returns (codes, MSE,
    payload bytes); never worse than the codes it starts from."""
    K = (1 << bits) - 1
    dev = x.device
    q = torch.as_tensor(np.asarray(codes), dtype=torch.float32, device=dev)

    def mse_of(qb: torch.Tensor) -> torch.Tensor:
        return (decode(G, adapter, (qb / K * 2 - 1) * gain) - x).pow(2).flatten(1).mean(1)

    def fits(qv: torch.Tensor) -> tuple[bool, int]:
        pay = payload_bytes(table, qv.cpu().numpy().astype(np.int64), bits)
        return max_payload is None or pay <= max_payload, pay

    with torch.no_grad():
        cur = float(mse_of(q[None])[0])
    pay = fits(q)[1]
    for _ in range(rounds):
        with torch.enable_grad():
            qg = q.clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(mse_of(qg[None]).sum(), qg)
        step = -torch.sign(grad)
        ok = (step != 0) & (q + step >= 0) & (q + step <= K)
        score = torch.where(ok, grad.abs(), torch.full_like(grad, -1.0))
        top = torch.argsort(score, descending=True)[:candidates]
        top = top[score[top] > 0]
        if not len(top):
            break
        trial = q.repeat(len(top), 1)
        trial[torch.arange(len(top), device=dev), top] += step[top]
        with torch.no_grad():
            m = mse_of(trial).cpu().numpy()
        better = [k for k in np.argsort(m) if m[k] < cur]
        better = [k for k in better if fits(trial[k])[0]]
        if not better:
            break
        new_q, new_m = trial[better[0]], float(m[better[0]])
        if len(better) > 1:
            both = q.clone()
            both[top[better]] += step[top[better]]
            with torch.no_grad():
                mb = float(mse_of(both[None])[0])
            if mb < new_m and fits(both)[0]:
                new_q, new_m = both, mb
        q, cur = new_q, new_m
        pay = fits(q)[1]
    return q.cpu().numpy().astype(np.int64), cur, pay
