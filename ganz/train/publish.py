"""Publish a trained generator: calibrate on held-out training faces its adapter gain (the
project's layout) or the codec's latent scale (the original layout), export it (fp16
safetensors) to ``ganz/zoo/<name>.safetensors`` and copy
its training log to ``results/<profile>/training/d<dim>.csv``.

    ganz publish runs/cpu-small-d64/best.safetensors --name cpu-small-d64 --profile cpu-small

Calibration inverts every (gain or scale, face) pair in one batch (z kept in [−1, 1], Adam,
``--steps``), on the GPU when there is one, and fits its step count to ``--time-limit``. The
original layout's adapters are the original code's, which have no gain; a ``.ganz`` file's z stays
in [−1, 1] where the original inversion's roams to |z| ≈ 50, so the codec multiplies z by the
calibrated latent scale (stored in each file). ``ganz publish ganz/zoo/M.safetensors --name M
--no-log`` recalibrates a committed model in place (its weights and id unchanged).
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import torch
from torch import nn

from ..core.adapters import make_adapter
from ..core.data import celeba_array
from ..core.errors import GanzError
from ..core.fileformat import as_scale
from ..core.paths import models_dir, results_dir
from ..core.pixels import uint8_to_model
from ..core.zoo import export_generator, load_generator

MIN_STEPS = 20  # fewer calibration steps than this say nothing: the gain is left as it is
LATENT_SCALES = (1.0, 2.0, 4.0, 8.0, 16.0)  # the original layout's codec scales tried


class _RowScale(nn.Module):
    """random_linear with each row of the batch's z @ Wᵀ scaled by its own factor (bias, if any,
    unscaled): for the project's layers that factor is the adapter gain, for the original code's
    the latent scale; either way that row's adapter exactly."""

    def __init__(self, base: nn.Module, row_scale: torch.Tensor):
        super().__init__()
        self.name, self.input_dim = "random_linear", base.input_dim
        self.register_buffer("weight", base.weight.clone())
        self.register_buffer("bias", base.bias.clone())
        self.register_buffer("row_scale", row_scale)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = (z @ self.weight.t().to(z.dtype)) * self.row_scale[:, None].to(z.dtype)
        return out + self.bias.to(z.dtype) if self.bias.numel() else out


def score_scales(G, x: torch.Tensor, scales=(1.0, 2.0, 4.0, 8.0), ratio: float = 10.0,
                 steps: int = 200, time_limit: float | None = None) -> tuple[dict, int]:
    """Mean PSNR per scale of R-``ratio`` inversions of ``x`` (z kept in [−1, 1], as a ``.ganz``
    file's; every (scale, face) pair in one batch), with the generator's random layer at gain 1
    and latent scale 1 times that scale. Returns (scores, steps run); ({}, 0) when ``time_limit``
    leaves fewer than ``MIN_STEPS``."""
    from ..core.adapters import decode
    from ..core.config import InvertConfig
    from ..core.invert import invert
    from ..core.metrics import psnr_model

    dev = next(G.parameters()).device
    saved = float(G.adapter_gain)
    G.adapter_gain.fill_(1.0)
    base = make_adapter(G, "random_linear", ratio=ratio)
    G.adapter_gain.fill_(saved)
    n, scales = len(x), list(scales)
    row_scale = torch.tensor(scales, dtype=torch.float32).repeat_interleave(n)
    ad = _RowScale(base, row_scale).to(dev)
    xs = x.repeat(len(scales), 1, 1, 1).to(dev)
    groups = [n] * len(scales)  # each scale's faces start where they would alone
    if time_limit is not None:
        t0 = time.perf_counter()
        invert(G, ad, xs, InvertConfig(steps=5, batch_size=len(xs)), groups=groups)
        per_step = (time.perf_counter() - t0) / 5
        steps = min(steps, int(max(time_limit - (time.perf_counter() - t0), 0) / per_step))
    if steps < MIN_STEPS:
        return {}, 0
    res = invert(G, ad, xs, InvertConfig(steps=steps, batch_size=len(xs)), groups=groups)
    with torch.no_grad():
        psnr = psnr_model(xs, decode(G, ad, res.z.to(dev))).cpu()
    return {g: float(psnr[i * n:(i + 1) * n].mean()) for i, g in enumerate(scales)}, steps


def score_scales_fast(G, x: torch.Tensor, encoder, scales=LATENT_SCALES, ratio: float = 10.0,
                      steps: int | None = None, time_limit: float | None = None
                      ) -> tuple[dict, int]:
    """``score_scales`` with the codec's own fast method (the encoder's start, then projected
    L-BFGS to its stopping rule, at most ``steps`` iterations), one scale after another: the
    original layout's latent scale as ``ganz compress`` will use it. A scale not started within
    ``time_limit`` is left out. Returns (scores, step limit)."""
    from ..core.adapters import decode
    from ..core.fast import FastConfig, invert_fast
    from ..core.metrics import psnr_model

    cfg = FastConfig(steps=steps) if steps else FastConfig()
    dev = next(G.parameters()).device
    x = x.to(dev)
    scores, t0 = {}, time.perf_counter()
    for s in scales:
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        ad = make_adapter(G, "random_linear", ratio=ratio, latent_scale=float(s)).to(dev)
        res = invert_fast(G, ad, x, encoder, cfg)
        with torch.no_grad():
            scores[float(s)] = float(psnr_model(x, decode(G, ad, res.z.to(dev))).mean())
    return scores, cfg.steps


def calibrate_gain_batched(G, x: torch.Tensor, gains=(1.0, 2.0, 4.0, 8.0), ratio: float = 10.0,
                           steps: int = 200, time_limit: float | None = None) -> tuple[dict, int]:
    """``score_scales`` over adapter gains; sets ``G.adapter_gain`` to the best (untouched when
    no steps ran)."""
    scores, ran = score_scales(G, x, gains, ratio, steps, time_limit)
    if scores:
        G.adapter_gain.fill_(max(scores, key=scores.get))
    return scores, ran


def publish(weights: Path, name: str, profile: str, n_validation: int = 16,
            copy_log: bool = True, gains: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0),
            device: str = "cpu", steps: int | None = None, time_limit: float | None = None,
            scales: tuple[float, ...] = LATENT_SCALES, method: str = "adam") -> dict:
    """Calibrate, export and record one generator; returns its metadata.

    The project's layout: its adapter gain over ``gains``. The original layout (whose random
    layers are the original code's, without a gain): the codec's latent scale over ``scales``,
    saved in the metadata (``latent_scale``: not part of the weights' id). Publishing a zoo
    model onto itself recalibrates it in place (same weights, same id, its source kept).
    ``method``: ``adam`` (``steps`` Adam steps, default 200, all pairs in one batch) or, for the
    original layout with an encoder beside the weights, ``fast`` (the codec's own method, at most
    ``steps`` L-BFGS iterations, default its own)."""
    if method not in ("adam", "fast"):
        raise GanzError(f"unknown calibration method {method!r} (adam or fast)")
    G, gid, meta = load_generator(weights, device)
    train_cfg = meta.get("train_config", {})
    held_out = int(train_cfg.get("validation_images", 64)) if isinstance(train_cfg, dict) else 64
    original = getattr(G.cfg, "arch", "ganz") == "original"
    extra: dict = {}
    encoder = None
    if method == "fast":
        from ..core.encoder import find_encoder

        encoder = find_encoder(weights, gid, device) if original else None
        if encoder is None:
            raise GanzError(f"{weights}: --method fast calibrates an original-layout model's "
                            f"latent scale from the encoder beside it; there is none (use adam)")
    # faces the GAN never saw when its run held some out, else the train split's last ones (the
    # original recipe trains on all of it; one scalar chosen on training faces, never on test ones)
    faces = "held-out faces" if held_out else "training faces, none held out"
    vimg = celeba_array(G.cfg.image_size, "validation", held_out or n_validation)[:n_validation]
    x = uint8_to_model(vimg)
    if method == "fast":
        scores, ran = score_scales_fast(G, x, encoder, scales, steps=steps, time_limit=time_limit)
        how = f"fast method, at most {ran} L-BFGS iterations"
    elif original:
        scores, ran = score_scales(G, x, scales, steps=steps or 200, time_limit=time_limit)
        how = f"{ran} Adam steps"
    else:
        scores, ran = calibrate_gain_batched(G, x, gains, steps=steps or 200,
                                             time_limit=time_limit)
        how = f"{ran} Adam steps"
    what = "latent scale" if original else "gain"
    note = (f"{what} calibrated ({how} on {len(x)} {faces}; {device})" if scores
            else "skipped: no time left")
    if original and scores:
        extra["latent_scale"] = as_scale(max(scores, key=scores.get))
    if original and not scores and "latent_scale" in meta:
        extra["latent_scale"] = meta["latent_scale"]  # a skipped recalibration keeps the old one
    out = models_dir() / f"{name}.safetensors"
    in_place = Path(weights).resolve() == out.resolve()
    source = meta.get("source", str(weights)) if in_place else str(weights)
    keep = {k: v for k, v in meta.items()  # what this export sets itself is not carried over
            if k not in ("format", "config", "path", "source", "gain_scores", "adapter_gain_value",
                         "gain_calibration", "latent_scale", "latent_scale_scores",
                         "latent_scale_calibration")}
    if original:
        extra.update(latent_scale_scores=scores, latent_scale_calibration=note,
                     gain_calibration="none: the original layout's adapters have no gain")
    else:
        extra.update(gain_calibration=note)
    gid = export_generator(G, out, **keep, source=source, gain_scores={} if original else scores,
                           adapter_gain_value=float(G.adapter_gain), **extra)
    if copy_log:
        log = Path(weights).parent / "log.csv"
        if log.is_file():
            dst = results_dir() / profile / "training" / f"d{G.cfg.latent_dim}.csv"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, dst)
    return {"name": name, "path": str(out), "sha256": gid, "gain": float(G.adapter_gain),
            "latent_scale": extra.get("latent_scale", 1.0), "scores": scores, "calibration": note,
            "step": meta.get("step")}
