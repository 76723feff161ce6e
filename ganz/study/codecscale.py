"""What the codec's latent scale does to ``ganz compress`` itself: one model, one ratio, the
codec's own method (the fast one where an encoder is committed), the profile's evaluation faces,
once per latent scale, each file stored as float32 and as 8-bit codes.

A ``.ganz`` file's z stays in [−1, 1]; the original code's inversion lets z roam (|z| ≈ 50 at
64×64), and at scale 1 its random layer's outputs cannot reach what the trained first layer makes.
The scale is chosen on training faces (``ganz publish``); this table measures it on the test
faces and the out-of-domain pictures, beside scale 1, so the book can show what it changed.

    python -m ganz.study.codecscale --model celeba64-d64 --splits test ood

Rows are written after each (split, scale), and a rerun skips what the table holds already.
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core.atomic import write_csv
from ..core.codec import GanzCodec
from ..core.fileformat import roundtrip
from ..core.metrics import psnr, ssim
from ..core.pixels import to_uint8
from ..core.runtime import device_name, git_commit
from ..results.codecscale import summary, table_path
from .profiles import get_profile, load_split

BITS = (32, 8)
KEY = ["generator", "split", "ratio", "scale", "steps"]


def evaluate_scales(model: str = "celeba64-d64", profile: str = "paper",
                    splits: tuple[str, ...] = ("test",), ratio: float = 10.0,
                    scales: tuple[float, ...] | None = None, n_images: int | None = None,
                    device: str = "cpu", out: Path | None = None, steps: int | None = None) -> Path:
    """Compress each split's faces at ``ratio`` once per latent scale (default: 1 and the model's
    calibrated one) with the codec's default method (``steps``: its step limit, default its
    own); one row per (image, scale, bits)."""
    prof = get_profile(profile)
    codec = GanzCodec(model, device)
    cfg = codec.default_config()
    if steps:
        cfg = dataclasses.replace(cfg, steps=steps)
    scales = tuple(scales) if scales else tuple(sorted({1.0, codec.latent_scale}))
    name = Path(str(model)).stem
    path = Path(out) if out else table_path(prof.name, name, ratio)
    old = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=KEY)
    done = set(map(tuple, old[KEY].astype(str).values)) if len(old) else set()
    rows = old.to_dict("records")
    for split in splits:
        names, x = load_split(prof, split, n_images, codec.cfg.image_size)
        originals = to_uint8(x)
        for scale in scales:
            ad = codec.adapter("random_linear", ratio, latent_scale=scale)
            if tuple(map(str, (codec.generator_id, split, float(ratio), ad.latent_scale,
                               cfg.steps))) in done:
                continue
            t0 = time.perf_counter()
            res = codec.invert(x, ad, cfg)
            seconds = (time.perf_counter() - t0) / len(x)
            evals = getattr(res, "evals", None)  # the fast method counts its evaluations
            for bits in BITS:
                z = torch.from_numpy(np.stack([roundtrip(zi, bits) for zi in res.z.numpy()]))
                rec = to_uint8(codec.reconstruct(z, ad))
                for i, image in enumerate(names):
                    rows.append({
                        "model": name, "generator": codec.generator_id,
                        "profile": prof.name, "split": split, "image": image,
                        "ratio": float(ratio), "scale": ad.latent_scale,
                        "calibrated": ad.latent_scale == codec.latent_scale,
                        "method": codec.method, "steps": cfg.steps, "bits": bits,
                        "bytes": len(codec.to_file(res.z[i].numpy(), ad, bits)),
                        "psnr": psnr(rec[i], originals[i]), "ssim": ssim(rec[i], originals[i]),
                        "at_bound": float((res.z[i].abs() > 0.999).float().mean()),
                        "evals": int(evals[i]) if evals is not None else 0,
                        "seconds_per_image": seconds, "device": device_name(codec.device),
                        "torch": torch.__version__, "commit": git_commit()})
            write_csv(pd.DataFrame(rows), path)  # durable after each (split, scale)
    return path


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ganz.study.codecscale",
                                description=__doc__.splitlines()[0])
    p.add_argument("--model", default="celeba64-d64")
    p.add_argument("--profile", default="paper")
    p.add_argument("--splits", nargs="+", default=["test"])
    p.add_argument("--ratio", type=float, default=10.0)
    p.add_argument("--scales", type=float, nargs="+", help="default: 1 and the model's calibrated one")
    p.add_argument("--n-images", type=int)
    p.add_argument("--device", default="cpu")
    p.add_argument("--steps", type=int, help="the method's step limit (default its own)")
    a = p.parse_args(argv)
    path = evaluate_scales(a.model, a.profile, tuple(a.splits), a.ratio,
                           tuple(a.scales) if a.scales else None, a.n_images, a.device,
                           steps=a.steps)
    print(path)
    print(summary(pd.read_csv(path)).to_string(index=False))


if __name__ == "__main__":
    main()
