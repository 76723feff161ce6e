"""Precision parity: PSNR of inversions at a lower precision (bf16, tf32) against fp32.

    python -m ganz.study.parity --model cpu-small-d64 --images 4 --steps 200

The GPU runs may use bf16 autocast only with this check's difference stated.
"""
from __future__ import annotations

import argparse

import pandas as pd
import torch

from ..core.adapters import decode, make_adapter
from ..core.config import InvertConfig
from ..core.pixels import to_uint8
from ..core.errors import MissingDataError
from ..core.invert import InvertJob, invert_many
from ..core.metrics import psnr
from ..core.zoo import load_generator


def precision_parity(model: str = "cpu-small-d64", precisions=("bf16",), n_images: int = 4,
                     steps: int = 200, settings=(("random_linear", 10.0), ("no_linear", None)),
                     clamp: str = "start", device: str = "cpu",
                     x: torch.Tensor | None = None) -> pd.DataFrame:
    """One row per image × setting × precision: PSNR (uint8) of fp32 and of the other precision.

    Images: the first ``n_images`` test faces (``x`` overrides; synthetic ones when the data are
    absent)."""
    G, _, _ = load_generator(model, device)
    size = G.cfg.image_size
    if x is None:
        try:
            from ..core.data import eval_images

            names, x = eval_images("test", size, limit=n_images)
        except MissingDataError:
            from .profiles import synthetic_images

            names, x = [f"synth-{i}" for i in range(n_images)], synthetic_images(n_images, size, 1)
    else:
        names = [f"image-{i}" for i in range(len(x))]
    orig = to_uint8(x)
    ads = [make_adapter(G, a, r if a == "random_linear" else None) for a, r in settings]
    rows = []
    recs = {}
    for prec in ("fp32", *precisions):
        cfg = InvertConfig(steps=steps, clamp=clamp, precision=prec)
        res = invert_many(G, [InvertJob(ad, x.to(device)) for ad in ads], cfg)
        with torch.no_grad():
            recs[prec] = [to_uint8(decode(G, ad, r.z.to(device))) for ad, r in zip(ads, res)]
    for prec in precisions:
        for (a, r), ref, got in zip(settings, recs["fp32"], recs[prec]):
            for i, name in enumerate(names):
                p32, plow = psnr(orig[i], ref[i]), psnr(orig[i], got[i])
                rows.append({"image": name, "adapter": a, "ratio": r, "precision": prec,
                             "psnr_fp32": p32, "psnr": plow, "diff_db": plow - p32,
                             "psnr_vs_fp32_recon": psnr(ref[i], got[i]), "steps": steps,
                             "device": device, "model": model})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ganz.study.parity", description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cpu-small-d64")
    p.add_argument("--images", type=int, default=4)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--device", default="cpu")
    p.add_argument("--precisions", nargs="+", default=["bf16"])
    a = p.parse_args(argv)
    df = precision_parity(a.model, tuple(a.precisions), a.images, a.steps, device=a.device)
    print(df.round(3).to_string(index=False))
    print(df.groupby(["precision", "adapter"])["diff_db"].describe().round(3).to_string())


if __name__ == "__main__":
    main()
