"""Compress to a byte budget: ``ganz compress face.png -o f.ganz --max-bytes 200``.

Like ``cwebp -size``: the whole file (header, latent, checksum) fits ``max_bytes``, and within
that the search maximises PSNR over

- the bit depth b (``BudgetConfig.bits``, or the one ``--bits`` names),
- d_c, the latent length (for each b, the largest d_c whose expected payload — d_c times the
  entropy of the prior's table, ``ganz.core.entropy`` — fits the budget times ``overshoot``; or
  the one ``--ratio`` names),
- the file's latent scale: the fast method's latent at that d_c is stored at its own scale, its
  largest value at ±1 (``ratequant.normalize``), so that the b-bit grid covers it;
- the codes themselves: from that latent, progressive quantization (values fixed to their codes
  stage by stage, the free ones re-optimised to make up for them), then the rate-constrained
  rounding (``ganz.core.ratequant.refine_codes``), whose λ follows the budget per image so that
  the codes fit, then greedy ±1 steps of single codes (``ratequant.flip_codes``) that lower the
  error and keep the file within the budget. When none fit, d_c shrinks (``shrink``) and the
  search runs again.

Every candidate is a real file (``GanzCodec.to_file``): its byte count is the one written.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .errors import GanzError
from .fileformat import dequantize, header_bytes
from .ratequant import RateConfig, flip_codes, normalize, progressive_codes, refine_codes

#: smaller is never better: a file needs at least one latent byte
MIN_PAYLOAD = 1
#: bytes an ANS payload takes beyond the ideal length (its 32-bit head, less its zero bytes)
ANS_OVERHEAD = 3


@dataclass(frozen=True)
class BudgetConfig:
    """Settings of the budget search, chosen on training faces of the default model (at d_c = 200,
    12 faces, latents at their own scale, plain rounding: 4 / 5 / 6 bits gave 17.9 / 19.5 / 19.7 dB
    at 3.7 / 4.7 / 5.7 bits per value, float 19.8 dB; at one payload 5 bits is best, 4 close).
    Codes chosen for the picture (progressive stages, code steps) lose far less than rounding, so
    with them a coarser grid at a larger d_c wins: ``bits`` below, measured on validation faces.

    The normalized latents' tables are broad (the cheapest 5-bit code costs ~3.9 bits), so the
    rate-constrained rounding trims a few per cent at a large cost in PSNR: d_c is aimed at a
    payload plain rounding fits (``overshoot`` 1), the rounding trims what the estimate missed."""

    # 3 bits at a larger d_c beside 4: with the six stages and the code steps below, 3 bits gave
    # the best file on 3 of 6 validation faces at 150 B; 5 bits won none (docs/decisions.md)
    bits: tuple[int, ...] = (3, 4)
    # (bit depth, the largest d_c the search tries it at, unless the caller names the depth): at
    # 250 B (d_c = 798) 3 bits lost to 4 on every validation face tried, by 0.7 dB and more
    max_dims: tuple[tuple[int, int], ...] = ((3, 600),)
    overshoot: float = 1.0  # d_c aims at this × the payload budget (expected, under the table)
    shrink: float = 0.93  # d_c factor when no codes fit
    retries: int = 3
    # progressive quantization (``ratequant.progressive_codes``): on 4 validation faces at 250 B,
    # 4 bits, d_c = 538, +0.5 to +2.2 dB over rounding and refinement alone; six stages instead of
    # three: up to +2.2 dB at 3 bits on 6 validation faces at 150 B (4 bits: −0.2 to +0.5 dB)
    progressive: bool = True
    stages: tuple[float, ...] = (0.3, 0.5, 0.65, 0.8, 0.9, 0.95)
    stage_steps: int = 40
    # greedy code steps after the rounding (``ratequant.flip_codes``); 0 turns them off
    flip_rounds: int = 30
    flip_candidates: int = 32
    # after the progressive codes the straight-through steps gained 0.1 dB on 1 of 36 candidates
    # (6 validation faces at 150 B) and nothing on the others: only the rate-constrained
    # rounding is kept, and the code steps above do the search
    rate: RateConfig = field(default_factory=lambda: RateConfig(steps=0))


@dataclass
class BudgetChoice:
    """The file chosen for one image, and every candidate tried (for benches): per candidate
    d_c, bits, the file's scale, whether it fits, the model-space MSE of the float latent, of the
    refinement's start (the progressive codes, or plain rounding) and of the kept codes."""

    data: bytes
    dim: int
    bits: int
    mse: float  # model space
    lam: float
    tried: list[dict]


def smallest_file(height: int, width: int, seed: int = 0, scale: float = 1.0) -> int:
    """Bytes of the smallest ``.ganz`` file: the header and checksum of a one-value latent + 1."""
    return header_bytes("random_linear", height, width, seed, 1, scale) + MIN_PAYLOAD


def bits_per_value(prior, adapter: str, dim: int, bits: int) -> float:
    """Expected bits of one latent value at ``bits`` (the prior table's entropy; else ``bits``)."""
    table = prior.table(adapter, dim, bits) if prior is not None else None
    if table is None:
        return float(bits)
    p = table.freqs / float(table.freqs.sum())
    return float(min(bits, (p * table.code_lengths).sum()))


def dim_for_budget(prior, adapter: str, bits: int, max_bytes: int, height: int, width: int,
                   seed: int, scale: float, overshoot: float = 1.0, max_dim: int | None = None
                   ) -> int | None:
    """The largest d_c whose header plus expected payload (``overshoot`` × its share of the
    budget) fits ``max_bytes``; None when not even d_c = 1 does."""
    best, lo, hi = None, 1, max_dim or height * width * 3
    while lo <= hi:  # the expected size grows with d_c
        d = (lo + hi) // 2
        room = max_bytes - header_bytes(adapter, height, width, seed, d, scale)
        need = min((d * bits + 7) // 8,  # packed codes, or entropy-coded ones
                   math.ceil(d * bits_per_value(prior, adapter, d, bits) / 8) + ANS_OVERHEAD)
        if room >= MIN_PAYLOAD and need <= overshoot * room:
            best, lo = d, d + 1
        else:
            hi = d - 1
    return best


def compress_to_budget(codec, x: torch.Tensor, max_bytes: int, adapter: str = "random_linear",
                       layer_seed: int = 0, latent_scale: float | None = None,
                       cfg: BudgetConfig = BudgetConfig(), invert_cfg=None,
                       dims: tuple[int, ...] | None = None, bits: tuple[int, ...] | None = None,
                       log=None) -> list[BudgetChoice]:
    """One file per image of ``x`` (model space, (B, 3, H, W)), each ≤ ``max_bytes``, of the
    least MSE the search finds. ``dims`` / ``bits``: fix d_c / the bit depth (the CLI's
    ``--ratio`` / ``--bits``). ``GanzError`` (one line) when the budget is below the smallest
    file; ``log(text)`` hears about each candidate."""
    s = codec.cfg.image_size
    scale = codec.default_scale(adapter) if latent_scale is None else latent_scale
    least = smallest_file(s, s, layer_seed, scale)
    if max_bytes < least:
        raise GanzError(f"a budget of {max_bytes} bytes is below the smallest .ganz file of this "
                        f"model ({least} bytes: {least - MIN_PAYLOAD} of header and checksum and "
                        f"one latent byte)")
    fixed = None
    if adapter != "random_linear":
        fixed = codec.adapter(adapter, layer_seed=layer_seed, latent_scale=scale).input_dim
    depths = tuple(bits or cfg.bits)
    if any(b not in range(1, 13) for b in depths):
        raise GanzError("a byte budget quantizes the latent: bit depths 1 to 12")
    n = x.shape[0]
    best: list[BudgetChoice | None] = [None] * n
    tried: list[list[dict]] = [[] for _ in range(n)]
    for b in depths:
        if dims:
            plan = list(dims)
        elif fixed:
            plan = [fixed]
        else:
            d = dim_for_budget(codec.prior, adapter, b, max_bytes, s, s, layer_seed, scale,
                               cfg.overshoot)
            if d is None or (bits is None and d > dict(cfg.max_dims).get(b, d)):
                continue
            plan = [max(1, int(d * cfg.shrink ** k)) for k in range(cfg.retries + 1)]
        todo = np.arange(n)
        for d in dict.fromkeys(plan):  # the planned d_c, largest first, while images lack a fit
            if not len(todo):
                break
            room = max_bytes - header_bytes(adapter, s, s, layer_seed, d, scale)
            if room < MIN_PAYLOAD:
                continue
            ad = codec.adapter(adapter, None, d if adapter == "random_linear" else None,
                               layer_seed=layer_seed, latent_scale=scale)
            xb = x[todo].to(codec.device)
            res = codec.invert(xb, ad, invert_cfg)
            norm = [normalize(zi, scale) for zi in res.z.numpy()]
            zn = torch.from_numpy(np.stack([zi for zi, _ in norm]))
            gain = torch.tensor([si / scale for _, si in norm], dtype=torch.float32)
            table = codec.prior.table(adapter, d, b) if codec.prior is not None else None
            if cfg.progressive:  # progressive quantization per image, then the refinement
                for j in range(len(todo)):
                    codes, _, _, _ = progressive_codes(codec.G, ad, xb[j:j + 1], zn[j], b, table,
                                                       room, float(gain[j]), cfg.stages,
                                                       cfg.stage_steps)
                    if codes is not None:
                        zn[j] = torch.from_numpy(dequantize(codes, b))
            out = refine_codes(codec.G, ad, xb, zn.to(codec.device), b, table, cfg.rate, room,
                               gain=gain)
            if cfg.flip_rounds:
                for f in map(int, np.flatnonzero(out.fits)):
                    codes, m, pay = flip_codes(codec.G, ad, xb[f:f + 1], out.codes[f], b, table,
                                               room, float(gain[f]), cfg.flip_rounds,
                                               cfg.flip_candidates)
                    out.codes[f], out.mse[f], out.payload[f] = codes, m, pay
            left = []
            for j, i in enumerate(todo):
                row = {"dim": d, "bits": b, "scale": norm[j][1], "fits": bool(out.fits[j]),
                       "mse": float(out.mse[j]),
                       "mse_start": float(out.first_mse[j]), "mse_float": float(res.mse[j]),
                       "payload": int(out.payload[j]), "lam": float(out.lam[j])}
                tried[i].append(row)
                if log is not None:
                    log(row)
                if not out.fits[j]:
                    left.append(i)
                    continue
                own = codec.adapter(adapter, None, d if adapter == "random_linear" else None,
                                    layer_seed=layer_seed, latent_scale=norm[j][1])
                data = codec.to_file(dequantize(out.codes[j], b), own, b)
                if len(data) > max_bytes:  # never: the payload counted is pack's (a guard)
                    left.append(i)
                    continue
                cur = best[i]
                if cur is None or out.mse[j] < cur.mse:
                    best[i] = BudgetChoice(data, d, b, float(out.mse[j]), float(out.lam[j]), tried[i])
            todo = np.array(left, dtype=int)
    found: list[BudgetChoice] = []
    for k, choice in enumerate(best):
        if choice is None:
            raise GanzError(f"no file of this model fits {max_bytes} bytes at bit depths "
                            f"{', '.join(map(str, depths))} (image {k + 1}); try a larger budget")
        found.append(choice)
    return found
