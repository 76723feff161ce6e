"""Rate-aware latents: choose the b-bit codes themselves, for distortion + λ·rate under the prior.

Plain rounding of a continuous latent ignores both what the rounding costs the picture and what
each code costs in bits. ``refine_codes`` optimizes the codes q ∈ {0 … 2^b − 1}^d_c of a batch of
images directly, from the continuous latent of the fast method:

- a continuous u in [0, 2^b − 1] per value, rounded in the forward pass (straight-through: the
  gradient of the picture's error passes the rounding unchanged; Yang, Bamler & Mandt 2020 discuss
  this and annealed alternatives), so every loss evaluated is that of real codes;
- the rate is −log2 p(q) under the prior's integer table (``ganz.core.entropy``); its gradient is
  that of the code lengths interpolated linearly between codes;
- per image, loss = MSE(G(z(q)), x) + λ · rate / N (N = 3·H·W pixel values), Adam on u;
- with a byte budget, λ follows the rate (dual ascent, per image): up by a factor while the file
  would not fit, down while it does, so the run ends with the best codes that fit; λ is never
  set by hand. The first iterate is plain rounding, so the result is never worse than it.

The kept codes per image are the ones of least MSE among those whose entropy-coded payload (real
ANS bytes, ``Table.encode``) fits ``max_payload`` (no budget: least MSE + λ·rate).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .adapters import Adapter, decode
from .entropy import Table
from .models import Generator


@dataclass(frozen=True)
class RateConfig:
    """Settings of ``refine_codes`` (tuned on validation faces: ``ganz.study.tinyband``)."""

    steps: int = 60
    lr: float = 0.3  # Adam, in code units
    lam: float = 0.0  # starting λ (per image; a budget moves it)
    lam_floor: float = 0.02  # the λ a budget starts from once a file is too large
    lam_up: float = 1.5  # λ factor per step while too large
    lam_down: float = 0.85  # and while it fits
    seed: int = 0


@dataclass
class CodesResult:
    codes: np.ndarray  # (B, d) int64: the kept codes
    mse: np.ndarray  # (B,) model-space MSE of the kept codes (inf: none fitted)
    payload: np.ndarray  # (B,) bytes of their entropy-coded payload (the plain size if smaller)
    lam: np.ndarray  # (B,) λ at the end
    fits: np.ndarray  # (B,) bool: a fitting code vector was found
    first_mse: np.ndarray  # (B,) MSE of plain rounding (the first iterate)


def payload_bytes(table: Table | None, codes: np.ndarray, bits: int) -> int:
    """Bytes of the latent payload ``pack`` would write for these codes (entropy-coded when that
    is shorter; the deflated form is ignored here: it rarely beats either at these sizes)."""
    raw = (len(codes) * bits + 7) // 8
    if table is None:
        return raw
    return min(raw, len(table.encode(codes)))


def _lengths(table: Table | None, bits: int, device) -> torch.Tensor:
    if table is None:
        return torch.full((1 << bits,), float(bits), device=device)
    return torch.as_tensor(table.code_lengths, dtype=torch.float32, device=device)


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


def refine_codes(G: Generator, adapter: Adapter, x: torch.Tensor, z0: torch.Tensor, bits: int,
                 table: Table | None, cfg: RateConfig = RateConfig(),
                 max_payload: int | None = None, gain: torch.Tensor | None = None) -> CodesResult:
    """The codes per image (see the module's docstring). ``x``: (B, 3, H, W) model space;
    ``z0``: (B, d) continuous latents in [−1, 1]; ``max_payload``: bytes the latent may take;
    ``gain`` (B,): the adapter takes gain·z (a file's own scale over the adapter's)."""
    device = x.device
    K = (1 << bits) - 1
    L = _lengths(table, bits, device)
    slope = torch.diff(L)  # (K,)
    n_pix = x[0].numel()
    u = ((z0.to(device).clamp(-1, 1) + 1) / 2 * K).detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([u], lr=cfg.lr)
    b = x.shape[0]
    lam = torch.full((b,), float(cfg.lam), device=device)
    best_codes = np.zeros(tuple(u.shape), np.int64)
    best_mse = np.full(b, np.inf)
    best_obj = np.full(b, np.inf)
    best_pay = np.zeros(b, np.int64)
    first_mse = np.zeros(b)
    for step in range(cfg.steps + 1):
        q = torch.round(u.detach().clamp(0, K))
        uq = u + (q - u).detach()  # straight-through rounding
        z = uq / K * 2 - 1
        if gain is not None:
            z = z * gain.to(device)[:, None]
        mse = (decode(G, adapter, z) - x).pow(2).flatten(1).mean(1)
        lo = u.clamp(0, K - 1e-4).floor().long()
        frac = u - lo
        soft = (L[lo] + frac * slope[lo]).sum(1)  # interpolated code lengths: rate's gradient
        hard = L[q.long()].sum(1)
        rate = soft + (hard - soft).detach()
        codes = q.long().cpu().numpy()
        m = mse.detach().cpu().numpy().astype(np.float64)
        if step == 0:
            first_mse = m.copy()
        pays = np.array([payload_bytes(table, c, bits) for c in codes])
        fits = np.ones(b, bool) if max_payload is None else pays <= max_payload
        obj = m + lam.cpu().numpy() * hard.detach().cpu().numpy() / n_pix
        better = (m < best_mse) if max_payload is not None else (obj < best_obj)
        keep = fits & better
        best_codes[keep], best_mse[keep], best_pay[keep] = codes[keep], m[keep], pays[keep]
        best_obj[keep] = obj[keep]
        if step == cfg.steps:
            break
        if max_payload is not None:  # dual ascent on λ, per image
            over = torch.as_tensor(~fits, device=device)
            lam = torch.where(over, torch.maximum(lam * cfg.lam_up, torch.full_like(lam, cfg.lam_floor)),
                              lam * cfg.lam_down)
        loss = (mse + lam * rate / n_pix).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            u.clamp_(0, K)
    return CodesResult(best_codes, best_mse, best_pay, lam.cpu().numpy(), np.isfinite(best_mse),
                       first_mse)
