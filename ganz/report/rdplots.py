"""Rate–distortion plots: the curves of every method per split, and example pictures at equal bytes."""
from __future__ import annotations

import re
from typing import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..core.errors import GanzError
from ..results.profiles import ExperimentResult
from .figure import PAGE_PX, BookFigure
from .pictures import CELL_IN, LABEL_PT
from .rdanalysis import CODEC_NAMES, _codecs_in, _ganz, _splits_in, codec_curve, ganz_curve

CODEC_COLORS = {"jpeg": "#d62728", "webp": "#ff7f0e", "jpeg2000": "#8c564b", "avif": "#9467bd",
                "jpegxl": "#2ca02c", "wavelet": "#7f7f7f"}
SPLIT_TITLES = {"train": "train faces", "test": "test faces (CelebA)", "ood": "out-of-domain images"}


def _bit_colors(bits: Sequence[int]) -> dict[int, tuple]:
    from matplotlib import colormaps

    cmap = colormaps["Blues"]
    bits = sorted(set(bits), reverse=True)
    return {b: cmap(0.95 - 0.6 * i / max(len(bits) - 1, 1)) for i, b in enumerate(bits)}


def plot_rd(table: pd.DataFrame, metric: str = "psnr", splits: Sequence[str] | None = None,
            qat: bool = True) -> Figure:
    """``metric`` (psnr or ssim) against bits per pixel, one panel per split.

    GANZ: one line per bit depth through the random-layer ratios (mean over images, band ± std),
    the trained layer (keep_linear) as a star; QAT as dashed lines. Codecs: mean over images at
    each budget every image could meet (band ± std); an open marker is the codec's smallest file,
    the left end of what it can reach.
    """
    if metric not in ("psnr", "ssim"):
        raise GanzError(f"metric must be psnr or ssim, got {metric!r}")
    splits = list(splits or [s for s in _splits_in(table)])
    fig = BookFigure(figsize=(5.2 * len(splits), 4.2), layout="constrained")
    axes = fig.subplots(1, len(splits), squeeze=False, sharey=True)[0]
    bits_present = sorted(table.loc[_ganz(table), "bits"].dropna().astype(int).unique(), reverse=True)
    colors = _bit_colors(bits_present)
    handles, labels = [], []

    def add(h, label):
        if label not in labels:
            handles.append(h)
            labels.append(label)

    for ax, split in zip(axes, splits):
        for codec in _codecs_in(table):
            c = codec_curve(table, split, codec)
            col = CODEC_COLORS.get(codec, "black")
            ok = c[c["all_reachable"]].sort_values("bpp")
            if len(ok):
                ax.plot(ok["bpp"], ok[metric], "-", color=col, lw=1.4, marker=".", ms=4)
                ax.fill_between(ok["bpp"], ok[metric] - ok[f"{metric}_std"].fillna(0),
                                ok[metric] + ok[f"{metric}_std"].fillna(0), color=col, alpha=0.08, lw=0)
            small = table[(table["split"] == split) & (table["method"] == codec)]
            small = small.loc[small.groupby("image")["bytes"].idxmin()]
            if len(small):
                ax.plot(small["bpp"].mean(), small[metric].mean(), "o", mfc="none", mec=col, ms=9, mew=1.6)
            add(Line2D([], [], color=col, marker=".", lw=1.4), codec)
        for method, style in (("ganz", "-"), ("ganz_qat", "--")):
            if method == "ganz_qat" and not qat:
                continue
            cur = ganz_curve(table, split, method)
            cur = cur[cur["method"] == method]
            for b in bits_present:
                rl = cur[(cur["bits"] == b) & (cur["adapter"] == "random_linear")].sort_values("bpp")
                if len(rl):
                    ax.plot(rl["bpp"], rl[metric], style, color=colors[b], lw=1.8 if style == "-" else 1.2,
                            marker="o" if style == "-" else None, ms=3.5)
                    if style == "-":
                        ax.fill_between(rl["bpp"], rl[metric] - rl[f"{metric}_std"].fillna(0),
                                        rl[metric] + rl[f"{metric}_std"].fillna(0), color=colors[b],
                                        alpha=0.07, lw=0)
                        add(Line2D([], [], color=colors[b], marker="o", ms=3.5, lw=1.8), f"GANZ {b}-bit")
                    else:
                        add(Line2D([], [], color="#1f77b4", ls="--", lw=1.2), "GANZ + QAT (dashed)")
                kl = cur[(cur["bits"] == b) & (cur["adapter"] == "keep_linear")]
                if len(kl) and style == "-":
                    ax.plot(kl["bpp"], kl[metric], "*", color=colors[b], ms=10, mec="black", mew=0.5)
                    add(Line2D([], [], color="#1f77b4", marker="*", ms=10, lw=0, mec="black", mew=0.5),
                        "GANZ, trained first layer")
        ax.set_xscale("log")
        ax.set_xlabel("bits per pixel (real file bytes × 8 / pixels)")
        ax.set_title(SPLIT_TITLES.get(split, split))
        ax.grid(alpha=0.3, which="both", lw=0.5)
    axes[0].set_ylabel("PSNR (dB)" if metric == "psnr" else "SSIM")
    add(Line2D([], [], color="black", marker="o", mfc="none", lw=0, ms=9), "codec's smallest file (cannot go lower)")
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5), frameon=False,
               fontsize=8)
    return fig


def _setting_words(setting: str) -> str:
    """``R100@8bit`` -> "R = 100, 8 bits" (another label as it is)."""
    m = re.fullmatch(r"R([\d.]+)@(\d+)bit", str(setting))
    return f"R = {m.group(1)}, {m.group(2)} bits" if m else str(setting)


def rd_examples(res: ExperimentResult) -> Figure:
    """Side by side: original, GANZ, and every codec at the GANZ file's byte budget, for a low
    and a mid rate (``res``: :func:`ganz.study.ratedistortion.example_points`'s result). A codec
    that cannot make a file that small shows its smallest file, titled in red with its real size
    ("(min)"). At most the page's width (``figure.PAGE_PX``), labels as in the other picture
    grids."""
    t = res.table
    methods = list(dict.fromkeys(t["method"]))
    keys = list(dict.fromkeys(zip(t["split"], t["image"], t["setting"])))
    cell = min(CELL_IN, (PAGE_PX / BookFigure.dpi_png - 0.5) / (len(methods) + 1))
    fig = BookFigure(figsize=(cell * (len(methods) + 1) + 0.3, (cell + 0.7) * len(keys)),
                     layout="constrained")
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    axes = fig.subplots(len(keys), len(methods) + 1, squeeze=False)
    for r, (split, image, setting) in enumerate(keys):
        ax = axes[r, 0]
        ax.imshow(res.images[f"{split}/{image}/original"], interpolation="nearest")
        ax.set_title("original", fontsize=LABEL_PT, pad=2)
        ax.set_ylabel(f"{split}, {_setting_words(setting)}", fontsize=LABEL_PT)
        for c, method in enumerate(methods, start=1):
            ax = axes[r, c]
            row = t[(t["split"] == split) & (t["image"] == image) & (t["setting"] == setting)
                    & (t["method"] == method)].iloc[0]
            ax.imshow(res.images[f"{split}/{image}/{setting}/{method}"], interpolation="nearest")
            label = CODEC_NAMES.get(method, method)
            # three short lines, within a picture's width; red: the codec's smallest file, bigger
            # than the budget ("min")
            size = f"{int(row['bytes'])} B" + ("" if row["reachable"] else " (min)")
            ax.set_title(f"{label}\n{size}\n{row['psnr']:.1f} dB", fontsize=LABEL_PT, pad=2,
                         color="black" if row["reachable"] else "#c00000")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
