"""``ganz eval``: quality and size of .ganz files against their originals and the wavelet baselines.

A ``.ganz`` file records the size it decodes to, not how its original was cropped, so an
original of another size is fitted by the one crop ``ganz compress --fit`` uses
(``ganz.core.images.fit_image``: a CelebA photo's face box, else the centre square); ``report``
is told what was compared with what.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.codec import codec_for_file
from ..core.errors import GanzError
from ..core.fileformat import unpack
from ..core.images import fit_image, open_image
from ..core.metrics import bpp, psnr, ssim
from ..baselines.wavelet import wavelet_baseline

WAVELET_VARIANTS = ("paper_text", "original_code")


def evaluate_files(images: list[Path], files: list[Path], model: str | None = None,
                   device: str = "auto", report: Callable[[str], None] | None = None
                   ) -> pd.DataFrame:
    """One row per (image, method): PSNR, SSIM, bytes, bpp, ratio; wavelets at the file's ratio.

    ``model``: None decodes each file with the committed model its generator id names.
    ``report(line)``: one line per pair, saying the sizes compared and the crop applied."""
    if len(images) != len(files):
        raise GanzError(f"{len(images)} images but {len(files)} .ganz files; give them in pairs")
    codecs: dict = {}
    rows = []
    for img_path, f_path in zip(images, files):
        if not f_path.is_file():
            raise GanzError(f"{f_path}: no such file")
        data = f_path.read_bytes()
        try:
            header = unpack(data)
            codec = codec_for_file(header, model, device, codecs)
            rec = codec.decompress(data)
        except GanzError as e:
            raise GanzError(f"{f_path}: {e}") from None
        h, w = rec.shape[:2]
        im, how = fit_image(open_image(img_path), h)
        orig = np.asarray(im)
        if report is not None:
            name = Path(codec.meta.get("path", "model")).name.removesuffix(".safetensors")
            report(f"compared {img_path} ({how}) with {f_path} ({w}×{h}, decoded by {name})")
        ratio = header.ratio
        rows.append({"image": str(img_path), "method": "ganz", "ratio": ratio, "bytes": len(data),
                     "bpp": bpp(len(data), h, w), "psnr": psnr(orig, rec), "ssim": ssim(orig, rec)})
        for variant in WAVELET_VARIANTS:
            wv = wavelet_baseline(orig, ratio, variant)
            rows.append({"image": str(img_path), "method": f"wavelet_{variant}", "ratio": ratio,
                         "bytes": wv.num_bytes, "bpp": bpp(wv.num_bytes, h, w),
                         "psnr": psnr(orig, wv.recon), "ssim": ssim(orig, wv.recon)})
    return pd.DataFrame(rows)
