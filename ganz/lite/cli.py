"""``ganz compress`` without torch, when it can give exactly what the torch path would.

``compress_lite`` runs only for the fast method on a CPU (``--method auto|fast``, ``--device
auto|cpu`` with no CUDA device present), without ``--fit`` or ``--steps``, on plain RGB images of
the model's size, for an adapter the model's bundle carries, with onnxruntime installed and the
bundle made from this very weights file. Anything else returns False and the torch path runs
(which also gives every error message).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_write
from ..core.fileformat import roundtrip
from ..core.errors import GanzError
from ..core.modelfiles import bundle_for, resolve_model
from .compress import LiteModel, stale


def _images(paths: list[Path], size: int) -> np.ndarray | None:
    """uint8 (B, size, size, 3) when every file is a plain RGB image of that size, else None."""
    from PIL import Image

    out = []
    for p in paths:
        try:
            with Image.open(p) as im:
                if im.mode != "RGB" or im.size != (size, size) or im.getexif().get(0x0112, 1) != 1:
                    return None
                out.append(np.asarray(im, dtype=np.uint8))
        except Exception:  # noqa: BLE001 - the torch path reports it properly
            return None
    return np.stack(out)


def lite_model(a: argparse.Namespace) -> LiteModel | None:
    """The bundle to compress with, or None when the torch path must run."""
    if a.method == "paper" or a.fit or a.steps or a.device not in ("auto", "cpu"):
        return None
    if a.device == "auto" and os.path.exists("/dev/nvidiactl"):  # a GPU: the torch path uses it
        return None
    try:
        weights = resolve_model(a.model)
    except GanzError:
        return None  # the torch path says why
    if importlib.util.find_spec("onnxruntime") is None or stale(weights):
        return None  # no bundle, or one of other weights: `python -m ganz.lite.export` makes it
    return LiteModel(bundle_for(weights))


def compress_lite(a: argparse.Namespace, outs: list[Path], adapter: str) -> bool:
    """Compress ``a.images`` into ``outs`` on the lite path; False (nothing written) if it can't."""
    lite = lite_model(a)
    if lite is None:
        return False
    ratio = (a.ratio or 10.0) if adapter == "random_linear" else None
    ad = lite.adapter(adapter, ratio, a.layer_seed)
    x = _images([Path(p) for p in a.images], lite.meta["image_size"])
    if ad is None or x is None:
        return False
    if a.latent_scale is not None and a.latent_scale != float(ad.get("latent_scale", 1.0)):
        return False  # the bundle's matrices are at the model's default scale
    from ..cli import check_outputs, model_inputs

    files, _, _ = lite.compress(x, adapter, ratio, a.layer_seed, a.bits)
    from ..core.fileformat import unpack
    from ..core.metrics import psnr

    rec = lite.decode(ad, np.stack([roundtrip(unpack(f).z, a.bits) for f in files]))
    check_outputs(outs, [*a.images, *model_inputs(a)], a.force)  # nothing appeared meanwhile
    n = lite.meta["num_pixels"]
    for i, (src, dst, data) in enumerate(zip(a.images, outs, files)):
        atomic_write(dst, data)
        print(f"{src} -> {dst}: {len(data)} bytes ({len(data) / 1024:.2f} KiB), "
              f"R = {n / ad['dim']:.4g}, PSNR {psnr(rec[i], x[i]):.2f} dB (fast method)")
    return True
