"""``ganz compress`` without torch, when it can give exactly what the torch path would.

``compress_lite`` runs for the fast method on a CPU (``--method auto|fast``, ``--device auto|cpu``
with no CUDA device present), for an adapter the model's bundle carries at the model's latent
scale, with onnxruntime installed and the bundle made from this very weights file. ``--fit``
(the crop is done first, by ``ganz.core.images.fit_image``), ``--steps``, ``--bits`` and images in
any mode or orientation ``open_image`` reads take this path too: its input is then what the torch
path's would be. Anything else returns False and the torch path runs.

``load_inputs`` and ``progress_for`` are shared by both paths: the same pixels, the same notes
about crops on stderr, the same progress line.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_write
from ..core.fileformat import roundtrip
from ..core.errors import GanzError
from ..core.modelfiles import bundle_for, model_inputs, resolve_model
from .compress import STEPS, LiteModel, stale


def load_inputs(a: argparse.Namespace, size: int) -> np.ndarray:
    """``a.images`` as uint8 (B, size, size, 3): fitted with ``--fit``, else refused (one line)
    unless of the model's size. Each crop is said on stderr (not with ``-q``)."""
    from ..core.images import load_for_model

    out = []
    for p in a.images:
        arr, how = load_for_model(p, size, a.fit)
        if how.rule != "none" and not getattr(a, "quiet", False):
            print(f"{p}: {how}", file=sys.stderr)
        out.append(arr)
    return np.stack(out)


def progress_for(a: argparse.Namespace):
    """The progress line of ``ganz compress`` (None with ``-q``)."""
    if getattr(a, "quiet", False):
        return None
    from ..core.progress import Progress

    what = str(a.images[0]) if len(a.images) == 1 else f"{len(a.images)} images"
    return Progress(f"compressing {what}")


def lite_model(a: argparse.Namespace) -> LiteModel | None:
    """The bundle to compress with, or None when the torch path must run."""
    if a.method == "paper" or a.device not in ("auto", "cpu"):
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
    if ad is None:
        return False
    if a.latent_scale is not None and a.latent_scale != float(ad.get("latent_scale", 1.0)):
        return False  # the bundle's matrices are at the model's default scale
    x = load_inputs(a, lite.meta["image_size"])
    from ..core.atomic import check_outputs

    files, _, _ = lite.compress(x, adapter, ratio, a.layer_seed, a.bits, steps=a.steps or STEPS,
                                progress=progress_for(a))
    from ..core.fileformat import unpack
    from ..core.metrics import psnr

    rec = lite.decode(ad, np.stack([roundtrip(unpack(f, lite.prior).z, a.bits) for f in files]))
    check_outputs(outs, [*a.images, *model_inputs(a)], a.force)  # nothing appeared meanwhile
    n = lite.meta["num_pixels"]
    for i, (src, dst, data) in enumerate(zip(a.images, outs, files)):
        atomic_write(dst, data)
        print(f"{src} -> {dst}: {len(data)} bytes ({len(data) / 1024:.2f} KiB), "
              f"R = {n / ad['dim']:.4g}, PSNR {psnr(rec[i], x[i]):.2f} dB (fast method)")
    return True
