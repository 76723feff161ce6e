"""The codec's latent scale on the paper-size model, read from the recorded table
(``ganz.study.codecscale``): median PSNR of ``ganz compress``'s files per split, bit depth and
scale, and a verdict computed from it."""
from __future__ import annotations

import pandas as pd

from ..core.paths import results_dir
from ..results.codecscale import summary, table_path
from . import tables

HEADINGS = {"bits": "latent bits", "images": "images", "scale": "scale in use",
            "median_gain_db": "median gain over s = 1 (dB)",
            "images_better": "images better than s = 1",
            "at_bound_scale_1": "z at ±1, s = 1", "at_bound_in_use": "z at ±1, scale in use",
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


def scale_in_use(table: pd.DataFrame) -> float:
    """The latent scale the codec uses now for the table's model: its zoo metadata when the zoo
    still holds the same weights, else the scale the table's newest rows call calibrated."""
    from ..core.codec import model_latent_scale
    from ..core.errors import GanzError
    from ..core.zoo import load_generator

    try:
        _, gid, meta = load_generator(str(table["model"].iloc[0]))
        if str(table["generator"].iloc[0]) == gid[:len(str(table["generator"].iloc[0]))]:
            return model_latent_scale(meta)
    except GanzError:
        pass
    flagged = table[table["calibrated"].astype(bool)]
    return float(flagged["scale"].iloc[-1]) if len(flagged) else 1.0


def per_image(t: pd.DataFrame, value: str = "psnr") -> pd.DataFrame:
    """One split and bit depth's ``value`` as image × scale, over images measured at every scale."""
    return t.pivot_table(index="image", columns="scale", values=value).dropna()


def psnr_column(scale: float) -> str:
    return f"median PSNR, s = {scale:g} (dB)"


def comparison(table: pd.DataFrame, loop: pd.DataFrame | None = None,
               in_use: float | None = None) -> pd.DataFrame:
    """One row per (split, bits) over the images measured at every scale: the median PSNR at each
    recorded scale, then for the scale in use (default: ``scale_in_use``) its per-image median
    gain over scale 1, on how many images it did better, the share of z at the bounds, and (from
    ``loop``, the figures' unbounded inversion of the same faces) that loop's median."""
    in_use = scale_in_use(table) if in_use is None else float(in_use)
    rows = []
    for (split, bits), t in table.groupby(["split", "bits"], sort=False):
        wide = per_image(t)
        scales = sorted(wide.columns)
        if 1.0 not in scales or in_use not in scales or in_use == 1.0:
            continue
        bound = per_image(t, "at_bound").loc[wide.index]
        row = {"split": split, "bits": int(bits), "images": len(wide)}
        row.update({psnr_column(s): wide[s].median() for s in scales})
        gain = wide[in_use] - wide[1.0]
        row.update(scale=in_use, median_gain_db=gain.median(), images_better=int((gain > 0).sum()),
                   at_bound_scale_1=bound[1.0].mean(), at_bound_in_use=bound[in_use].mean())
        if loop is not None:
            same = loop[(loop["split"] == split) & loop["image"].isin(wide.index)]
            row["figure_loop_median"] = same["psnr"].median() if len(same) == len(wide) \
                else float("nan")
        rows.append(row)
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
            loop: pd.DataFrame | None = None, in_use: float | None = None) -> str:
    """Markdown: each recorded scale's median on the test faces at 32 bits, what the scale in use
    changed against scale 1, and the target median (default: the recorded table)."""
    table = recorded_table() if table is None else table
    if table is None:
        return NOT_RECORDED
    in_use = scale_in_use(table) if in_use is None else float(in_use)
    c = comparison(table, figure_loop(table) if loop is None else loop, in_use)
    test = c[(c.split == "test") & (c.bits == 32)] if len(c) else c
    if test.empty:
        return "The latent-scale table has no test-face rows at scale 1 and the scale in use yet."
    r = test.iloc[0]
    medians = {s: r[psnr_column(s)] for s in sorted(table.scale.unique())
               if pd.notna(r.get(psnr_column(s)))}  # the comparison's, not computed again
    listed = [f"{v:.2f} dB at s = {k:g}" for k, v in sorted(medians.items())]
    best = max(medians, key=medians.get)
    row = table[(table.split == "test") & (table.scale == in_use)].iloc[-1]
    reached = "reaches" if medians[in_use] >= target_db else "is still below"
    text = (f"On the {r.images} held-out test faces at R = {row.ratio:g}, `ganz compress` with "
            f"`{row.model}` ({row.method} method, float32 latents) gives a median PSNR of "
            + (", ".join(listed[:-1]) + " and " + listed[-1]) + ". "
            f"The codec uses s = {in_use:g}, chosen on training faces (`ganz publish`): a median "
            f"gain of {r.median_gain_db:+.2f} dB over scale 1 per face, better on "
            f"{r.images_better} of {r.images} faces.")
    if medians[best] > medians[in_use]:
        text += (f" The test faces' best median is at s = {best:g} "
                 f"({medians[best] - medians[in_use]:+.2f} dB); the scale is not re-chosen on "
                 f"them, since they are held out.")
    text += f" The median in use {reached} the {target_db:g} dB the project aims for."
    if pd.notna(r.get("figure_loop_median", float("nan"))):
        text += (f" The figures' unbounded loop (fig. 5) reaches {r.figure_loop_median:.2f} dB "
                 f"on the same faces; no file can hold its latents.")
    return text + f" Recorded on {row.device}, commit {row.commit}."


__all__ = ["comparison", "recorded_table", "scale_in_use", "show", "summary", "verdict"]
