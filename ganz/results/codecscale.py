"""The codec latent-scale table (``ganz.study.codecscale`` writes it): where it is and its summary."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.paths import results_dir


def table_path(profile: str, model: str, ratio: float) -> Path:
    return results_dir() / profile / f"codec-scale-{model}-r{ratio:g}.csv"


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Median and mean PSNR, mean bytes and the share of z at the box's bounds per
    (split, bits, scale)."""
    g = table.groupby(["split", "bits", "scale"], as_index=False)
    return g.agg(images=("psnr", "size"), median_psnr=("psnr", "median"),
                 mean_psnr=("psnr", "mean"), mean_bytes=("bytes", "mean"),
                 at_bound=("at_bound", "mean"), seconds_per_image=("seconds_per_image", "mean"))
