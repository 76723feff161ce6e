"""Publish a trained generator: calibrate its adapter gain on held-out training faces, export it
(fp16 safetensors) to ``ganz/zoo/<name>.safetensors`` and copy its training log to
``results/<profile>/training/d<dim>.csv``.

    python -m ganz.train.publish runs/cpu-small-d64/best.safetensors --name cpu-small-d64 --profile cpu-small
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch

from ..core.adapters import calibrate_gain
from ..core.data import celeba_array
from ..core.paths import MODELS_DIR, results_dir
from ..core.zoo import export_generator, load_generator


def publish(weights: Path, name: str, profile: str, n_validation: int = 16,
            copy_log: bool = True, gains: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)) -> dict:
    """Calibrate, export and record one generator; returns its metadata."""
    G, _, meta = load_generator(weights)
    size, vimg = G.cfg.image_size, None
    train_cfg = meta.get("train_config", {})
    held_out = int(train_cfg.get("validation_images", 64))
    vimg = celeba_array(size, "validation", held_out)[:n_validation]
    x = torch.from_numpy(vimg).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    scores = calibrate_gain(G, x, gains)
    out = MODELS_DIR / f"{name}.safetensors"
    keep = {k: v for k, v in meta.items()  # what this export sets itself is not carried over
            if k not in ("format", "config", "path", "source", "gain_scores", "adapter_gain_value")}
    gid = export_generator(G, out, **keep, source=str(weights), gain_scores=scores,
                           adapter_gain_value=float(G.adapter_gain))
    if copy_log:
        log = Path(weights).parent / "log.csv"
        if log.is_file():
            dst = results_dir() / profile / "training" / f"d{G.cfg.latent_dim}.csv"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, dst)
    return {"name": name, "path": str(out), "sha256": gid, "gain": float(G.adapter_gain),
            "scores": scores, "step": meta.get("step")}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ganz.train.publish", description=__doc__.splitlines()[0])
    p.add_argument("weights", type=Path)
    p.add_argument("--name", required=True)
    p.add_argument("--profile", required=True)
    p.add_argument("--no-log", action="store_true", help="do not copy the run's log.csv")
    p.add_argument("--gains", type=float, nargs="+", default=[1.0, 2.0, 4.0, 8.0],
                   help="adapter gains to try on the held-out faces (default 1 2 4 8)")
    a = p.parse_args(argv)
    print(publish(a.weights, a.name, a.profile, copy_log=not a.no_log, gains=tuple(a.gains)))


if __name__ == "__main__":
    main()
