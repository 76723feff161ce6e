"""``ganz eval``: quality and size of .ganz files against their originals and the wavelet baselines."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.codec import GanzCodec
from ..core.data import center_square, open_image
from ..core.errors import GanzError
from ..core.fileformat import unpack
from ..core.metrics import bpp, psnr, ssim
from ..baselines.wavelet import wavelet_baseline

WAVELET_VARIANTS = ("paper_text", "original_code")


def evaluate_files(images: list[Path], files: list[Path], model: str | None = None,
                   device: str = "auto") -> pd.DataFrame:
    """One row per (image, method): PSNR, SSIM, bytes, bpp, ratio; wavelets at the file's ratio."""
    if len(images) != len(files):
        raise GanzError(f"{len(images)} images but {len(files)} .ganz files; give them in pairs")
    codec = GanzCodec(model, device)
    rows = []
    for img_path, f_path in zip(images, files):
        if not f_path.is_file():
            raise GanzError(f"{f_path}: no such file")
        data = f_path.read_bytes()
        try:
            rec = codec.decompress(data)
        except GanzError as e:
            raise GanzError(f"{f_path}: {e}") from None
        h, w = rec.shape[:2]
        import numpy as np

        orig = np.asarray(center_square(open_image(img_path), h))
        ratio = unpack(data).ratio
        rows.append({"image": str(img_path), "method": "ganz", "ratio": ratio, "bytes": len(data),
                     "bpp": bpp(len(data), h, w), "psnr": psnr(orig, rec), "ssim": ssim(orig, rec)})
        for variant in WAVELET_VARIANTS:
            wv = wavelet_baseline(orig, ratio, variant)
            rows.append({"image": str(img_path), "method": f"wavelet_{variant}", "ratio": ratio,
                         "bytes": wv.num_bytes, "bpp": bpp(wv.num_bytes, h, w),
                         "psnr": psnr(orig, wv.recon), "ssim": ssim(orig, wv.recon)})
    return pd.DataFrame(rows)
