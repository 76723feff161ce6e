"""Fidelity to the original code: recomputing recorded wavelet rows with the original rule (the
numbers the deviations chapter prints from them are ``ganz.report.deviations``).

``python -m ganz.study.fidelity refresh [--profile cpu-small]`` rewrites the wavelet rows of the
profile's recorded figure tables from the evaluation images (GANZ rows untouched) and prints the
medians before and after; they are kept in ``results/<profile>/wavelet-refresh.csv``
(merged with earlier refreshes: a file's first "before" is kept).
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from ..core.atomic import write_csv
from ..core.errors import GanzError
from ..core.paths import results_dir
from ..results.store import REFRESH_RECORD, WAVELETS, figure_tables


def recompute_wavelet_rows(table: pd.DataFrame, image_size: int, commit: str) -> pd.DataFrame:
    """``table`` with each wavelet row's PSNR, SSIM, bytes and ``psnr_uint8`` recomputed by the
    current rule from the evaluation image it names (GANZ rows and row order unchanged)."""
    from ..core.data import eval_image
    from ..core.metrics import ssim
    from ..baselines.wavelet import wavelet_baseline

    out = table.copy()
    if "psnr_uint8" not in out:
        out["psnr_uint8"] = np.nan
    images: dict[tuple[str, str], np.ndarray] = {}
    for i in np.flatnonzero(out["method"].isin(WAVELETS).to_numpy()):
        row = out.iloc[i]
        key = (row["split"], row["image"])
        if key not in images:
            images[key] = eval_image(row["split"], row["image"], image_size)
        image = images[key]
        w = wavelet_baseline(image, float(row["nominal_ratio"]), row["method"].removeprefix("wavelet_"))
        out.loc[out.index[i], ["psnr", "ssim", "bytes", "psnr_uint8", "commit"]] = [
            w.psnr, ssim(image, w.recon), w.num_bytes, w.psnr_uint8, commit]
    return out


def wavelet_medians(table: pd.DataFrame) -> pd.DataFrame:
    """Median wavelet PSNR per (experiment, split, ratio, method), ratio rounded to 2 decimals."""
    t = table[table["method"].isin(WAVELETS)].copy()
    t["ratio"] = t["ratio"].round(2)
    return t.groupby(["experiment", "split", "ratio", "method"])["psnr"].median().round(2)


def refresh(profile: str = "cpu-small", write: bool = True) -> pd.DataFrame:
    """Recompute the wavelet rows of ``profile``'s recorded tables; before/after medians."""
    from ..core.runtime import git_commit
    from ..results.profiles import get_profile

    prof = get_profile(profile)
    if prof.synthetic:
        raise GanzError(f"profile {profile} has no recorded tables to refresh")
    frames = []
    for path, old in figure_tables(profile).items():
        new = recompute_wavelet_rows(old, prof.image_size, git_commit())
        frames.append(pd.DataFrame({"file": path.name, "before": wavelet_medians(old),
                                    "after": wavelet_medians(new)}))
        if write:
            write_csv(new, path)
    if not frames:
        raise GanzError(f"no recorded wavelet rows under {results_dir() / profile}")
    table = pd.concat(frames).reset_index()
    record = results_dir() / profile / REFRESH_RECORD
    if record.is_file():  # keep the first "before" of each row (a rerun's before is its after)
        first = pd.read_csv(record).set_index(["file", "experiment", "split", "ratio", "method"])
        table = table.set_index(list(first.index.names))
        table["before"] = first["before"].reindex(table.index).fillna(table["before"])
        table = table.reset_index()
    table["delta_db"] = (table["after"] - table["before"]).round(2)
    if write:
        write_csv(table, record)
    return table


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ganz.study.fidelity")
    p.add_argument("command", choices=["refresh"])
    p.add_argument("--profile", default="cpu-small")
    p.add_argument("--dry-run", action="store_true", help="print, write nothing")
    a = p.parse_args(argv)
    with pd.option_context("display.max_rows", 500, "display.width", 160):
        print(refresh(a.profile, write=not a.dry_run).to_string(index=False))


if __name__ == "__main__":
    main()
