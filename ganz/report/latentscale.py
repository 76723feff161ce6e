"""The codec's latent scale on the paper-size model, read from the recorded table
(``ganz.study.codecscale``): median PSNR of ``ganz compress``'s files per split, bit depth and
scale, and a verdict computed from it."""
from __future__ import annotations

import pandas as pd

from ..study.codecscale import summary, table_path
from . import tables

HEADINGS = {"bits": "latent bits", "scale": "calibrated scale s", "images": "images",
            "median_psnr_scale_1": "median PSNR, s = 1 (dB)",
            "median_psnr_calibrated": "median PSNR, calibrated s (dB)",
            "median_gain_db": "median gain (dB)", "images_better": "images better at s",
            "at_bound_scale_1": "z at ±1, s = 1", "at_bound_calibrated": "z at ±1, calibrated s",
            "figure_loop_median": "figures' loop, median (dB)"}
SHOW_NOTE = ("Per-image gains, then their median; 'z at ±1' is the share of latent values held "
             "at the box's bounds. The figures' loop is fig. 5's recorded inversion of the same "
             "faces (the original's: z unbounded, 7,500 Adam steps), which no file can store.")
NOT_RECORDED = ("The latent-scale table of the paper-size model is not recorded yet "
                "(`python -m ganz.study.codecscale`).")


def recorded_table(profile: str = "paper", model: str = "celeba64-d64",
                   ratio: float = 10.0) -> pd.DataFrame | None:
    path = table_path(profile, model, ratio)
    return pd.read_csv(path) if path.is_file() else None


def figure_loop(table: pd.DataFrame, profile: str = "paper") -> pd.DataFrame:
    """The figures' own inversion of the same faces at the same ratio (fig. 5's recorded rows:
    the original loop, z unbounded, the profile's steps): (split, image, psnr)."""
    from ..core.paths import results_dir

    gid = str(table["generator"].iloc[0])
    ratio = float(table["ratio"].iloc[0])
    parts = [pd.read_csv(f) for f in sorted((results_dir() / profile).glob("fig5-*.csv"))]
    if not parts:
        return pd.DataFrame(columns=["split", "image", "psnr"])
    f = pd.concat(parts, ignore_index=True)
    f = f[(f["method"] == "ganz") & (f["adapter"] == "random_linear")
          & ((f["ratio"].astype(float) - ratio).abs() < 0.01 * ratio)
          & f["generator"].astype(str).str.startswith(gid)]
    return f.drop_duplicates(["split", "image"])[["split", "image", "psnr"]]


def comparison(table: pd.DataFrame, loop: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (split, bits): median PSNR at scale 1 and at the calibrated scale, the gain,
    on how many faces the calibrated scale did better, the share of z at the bounds, and (from
    ``loop``, the figures' unbounded inversion of the same faces) that loop's median."""
    rows = []
    for (split, bits), t in table.groupby(["split", "bits"], sort=False):
        one, cal = t[t.scale == 1.0], t[t.calibrated.astype(bool)]
        if one.empty or cal.empty or cal.scale.iloc[0] == 1.0:
            continue
        both = one.merge(cal, on="image", suffixes=("_1", "_cal"))
        rows.append({"split": split, "bits": int(bits), "scale": float(cal.scale.iloc[0]),
                     "images": len(both), "median_psnr_scale_1": both.psnr_1.median(),
                     "median_psnr_calibrated": both.psnr_cal.median(),
                     "median_gain_db": (both.psnr_cal - both.psnr_1).median(),
                     "images_better": int((both.psnr_cal > both.psnr_1).sum()),
                     "at_bound_scale_1": both.at_bound_1.mean(),
                     "at_bound_calibrated": both.at_bound_cal.mean()})
        if loop is not None:
            same = loop[(loop["split"] == split) & loop["image"].isin(both["image"])]
            rows[-1]["figure_loop_median"] = same["psnr"].median() if len(same) == len(both) \
                else float("nan")
    return pd.DataFrame(rows)


def show(table: pd.DataFrame | None = None):
    """The comparison for reading (default: the recorded table), or a note that none is recorded."""
    from IPython.display import Markdown

    table = recorded_table() if table is None else table
    if table is None:
        return Markdown(NOT_RECORDED)
    c = comparison(table, figure_loop(table)).rename(columns=HEADINGS)
    return tables.show(c, caption="ganz compress at each latent scale: median PSNR per split "
                       "and latent storage", notes=[SHOW_NOTE])


def verdict(table: pd.DataFrame | None = None, target_db: float = 28.0,
            loop: pd.DataFrame | None = None) -> str:
    """Markdown: what the calibrated scale changed on the test faces at 32 bits, against the
    issue's target median (default: the recorded table)."""
    table = recorded_table() if table is None else table
    if table is None:
        return NOT_RECORDED
    c = comparison(table, figure_loop(table) if loop is None else loop)
    test = c[(c.split == "test") & (c.bits == 32)] if len(c) else c
    if test.empty:
        return "The latent-scale table has no test-face rows at both scales yet."
    r = test.iloc[0]
    row = table.iloc[0]
    reached = "reaches" if r.median_psnr_calibrated >= target_db else "is still below"
    return (f"On the {r.images} held-out test faces at R = {row.ratio:g}, `ganz compress` with "
            f"`{row.model}` ({row.method} method) gives a median PSNR of "
            f"{r.median_psnr_scale_1:.2f} dB at latent scale 1 and "
            f"{r.median_psnr_calibrated:.2f} dB at the calibrated scale {r.scale:g} "
            f"(median gain {r.median_gain_db:+.2f} dB; better on {r.images_better} of "
            f"{r.images} faces). The median {reached} the {target_db:g} dB the project aims for."
            + (f" The figures' unbounded loop (fig. 5) reaches {r.figure_loop_median:.2f} dB on "
               f"the same faces; no file can hold its latents." if pd.notna(
                   r.get("figure_loop_median", float("nan"))) else "")
            + f" Recorded on {row.device}, commit {row.commit}.")


__all__ = ["comparison", "recorded_table", "show", "summary", "verdict"]
