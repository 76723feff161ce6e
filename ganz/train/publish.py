"""Publish a trained generator: calibrate its adapter gain on held-out training faces (the
project's adapters only), export it (fp16 safetensors) to ``ganz/zoo/<name>.safetensors`` and copy
its training log to ``results/<profile>/training/d<dim>.csv``.

    ganz publish runs/cpu-small-d64/best.safetensors --name cpu-small-d64 --profile cpu-small

Calibration inverts every (gain, face) pair in one batch, on the GPU when there is one, and fits
its step count to ``--time-limit``. Generators of the original layout (``arch="original"``) are
exported without it: their adapters are the original code's, which have no gain.
"""
from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import torch
from torch import nn

from ..core.adapters import make_adapter
from ..core.data import celeba_array
from ..core.paths import MODELS_DIR, results_dir
from ..core.pixels import uint8_to_model
from ..core.zoo import export_generator, load_generator

MIN_STEPS = 20  # fewer calibration steps than this say nothing: the gain is left as it is


class _RowGain(nn.Module):
    """random_linear at gain 1, each row of the batch scaled by its own gain (= that gain's layer)."""

    def __init__(self, base: nn.Module, row_gain: torch.Tensor):
        super().__init__()
        self.name, self.input_dim = "random_linear", base.input_dim
        self.register_buffer("weight", base.weight.clone())
        self.register_buffer("row_gain", row_gain)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z @ self.weight.t().to(z.dtype)) * self.row_gain[:, None].to(z.dtype)


def calibrate_gain_batched(G, x: torch.Tensor, gains=(1.0, 2.0, 4.0, 8.0), ratio: float = 10.0,
                           steps: int = 200, time_limit: float | None = None) -> tuple[dict, int]:
    """Mean PSNR per gain of R-``ratio`` inversions of ``x`` (all gains in one batch); sets
    ``G.adapter_gain`` to the best. Returns (scores, steps run); steps is 0 (and the gain is
    untouched) when ``time_limit`` leaves fewer than ``MIN_STEPS``."""
    from ..core.adapters import decode
    from ..core.config import InvertConfig
    from ..core.invert import invert
    from ..core.metrics import psnr_model

    dev = next(G.parameters()).device
    G.adapter_gain.fill_(1.0)
    base = make_adapter(G, "random_linear", ratio=ratio)
    n, gains = len(x), list(gains)
    row_gain = torch.tensor(gains, dtype=torch.float32).repeat_interleave(n)
    ad = _RowGain(base, row_gain).to(dev)
    xs = x.repeat(len(gains), 1, 1, 1).to(dev)
    groups = [n] * len(gains)  # each gain's faces start where they would alone
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
    scores = {g: float(psnr[i * n:(i + 1) * n].mean()) for i, g in enumerate(gains)}
    G.adapter_gain.fill_(max(scores, key=scores.get))
    return scores, steps


def publish(weights: Path, name: str, profile: str, n_validation: int = 16,
            copy_log: bool = True, gains: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0),
            device: str = "cpu", steps: int = 200, time_limit: float | None = None) -> dict:
    """Calibrate (where the adapters have a gain), export and record one generator; returns its
    metadata."""
    G, _, meta = load_generator(weights, device)
    train_cfg = meta.get("train_config", {})
    held_out = int(train_cfg.get("validation_images", 64)) if isinstance(train_cfg, dict) else 64
    scores, note = {}, "calibrated"
    if getattr(G.cfg, "arch", "ganz") == "original":
        note = "none: the original layout's adapters have no gain"
    elif held_out == 0:
        note = "none: no faces were held out of training"
    else:
        vimg = celeba_array(G.cfg.image_size, "validation", held_out)[:n_validation]
        x = uint8_to_model(vimg)
        scores, ran = calibrate_gain_batched(G, x, gains, steps=steps, time_limit=time_limit)
        note = f"calibrated ({ran} steps)" if ran else "skipped: no time left"
    out = MODELS_DIR / f"{name}.safetensors"
    keep = {k: v for k, v in meta.items()  # what this export sets itself is not carried over
            if k not in ("format", "config", "path", "source", "gain_scores", "adapter_gain_value",
                         "gain_calibration")}
    gid = export_generator(G, out, **keep, source=str(weights), gain_scores=scores,
                           adapter_gain_value=float(G.adapter_gain), gain_calibration=note)
    if copy_log:
        log = Path(weights).parent / "log.csv"
        if log.is_file():
            dst = results_dir() / profile / "training" / f"d{G.cfg.latent_dim}.csv"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, dst)
    return {"name": name, "path": str(out), "sha256": gid, "gain": float(G.adapter_gain),
            "scores": scores, "calibration": note, "step": meta.get("step")}


def main(argv: list[str] | None = None) -> None:
    from ..core.runtime import pick_device

    p = argparse.ArgumentParser(prog="ganz publish", description=__doc__.splitlines()[0])
    p.add_argument("weights", type=Path)
    p.add_argument("--name", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--no-log", action="store_true", help="do not copy the run's log.csv")
    p.add_argument("--gains", type=float, nargs="+", default=[1.0, 2.0, 4.0, 8.0],
                   help="adapter gains to try on the held-out faces (default 1 2 4 8)")
    p.add_argument("--steps", type=int, default=200, help="calibration inversion steps (default 200)")
    p.add_argument("--time-limit", type=float, help="seconds calibration may take (fewer steps)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    a = p.parse_args(argv)
    print(publish(a.weights, a.name, a.profile, copy_log=not a.no_log, gains=tuple(a.gains),
                  device=str(pick_device(a.device)), steps=a.steps, time_limit=a.time_limit))


if __name__ == "__main__":
    main()
