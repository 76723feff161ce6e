"""Figures of the book: one function per paper figure, each taking a runner's tidy table.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so a notebook
shows it exactly once (as the cell's value) and nothing leaks between cells. Optional ``paper``
arguments take :func:`ganz.report.paper.paper_numbers` rows and overlay the published values.
The pictures (originals beside reconstructions) are ``ganz.report.pictures``.
"""
from __future__ import annotations

from pathlib import PurePath

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from .figure import (ADAPTER_LABELS, METHOD_COLORS, METHOD_LABELS, PAPER_STYLE, SPLIT_LABELS, _boxplot,
                     _check, _figure, _legend, _methods, _palette, _paper_rows, _ratio_axis, _splits,
                     run_label, run_order, training_runs)


def _stripplot(data: pd.DataFrame, **kw) -> None:
    """``seaborn.stripplot`` with its jitter drawn from a fixed seed: the same table always gives
    the same picture (seaborn draws the jitter from NumPy's global stream, which is then left as
    it was)."""
    state = np.random.get_state()
    np.random.seed(0)
    try:
        sns.stripplot(data, **kw)
    finally:
        np.random.set_state(state)


def fig2(table: pd.DataFrame, paper: pd.DataFrame | None = None) -> Figure:
    """PSNR against the GAN's training latent dim at a fixed ratio, one panel per split.

    Boxes span the images of a split; the baselines do not depend on the GAN and are repeated at
    every dim. Paper values (if given) are hollow diamonds with their published range.
    """
    _check(table, ["split", "dim", "method", "psnr"], "fig2")
    dims = sorted(table.loc[table["method"] == "ganz", "dim"].dropna().unique().astype(int))
    if not dims:
        dims = sorted(table["dim"].dropna().unique().astype(int))
    parts = []
    for method, rows in table.groupby("method", sort=False):
        if rows["dim"].isna().all() and method != "ganz":
            parts.extend(rows.assign(dim=d) for d in dims)
        else:
            parts.append(rows)
    data = pd.concat(parts, ignore_index=True)
    data = data[data["dim"].notna()].assign(dim=lambda d: d["dim"].astype(int))
    methods, splits = _methods(data), _splits(data)
    palette = _palette(methods)
    fig, axes = _figure(len(splits))
    for ax, split in zip(axes[0], splits):
        sub = data[data["split"] == split]
        _boxplot(sub, x="dim", y="psnr", hue="method", order=dims, hue_order=methods,
                    palette=palette, ax=ax, fliersize=2, linewidth=0.8, legend=False)
        for _, p in _paper_rows(paper, split=split).iterrows():
            if p["method"] not in methods:
                continue
            slot = methods.index(p["method"])
            width = 0.8 / len(methods)
            xs = ([dims.index(int(p["dim"]))] if not pd.isna(p["dim"]) and int(p["dim"]) in dims
                  else range(len(dims)))
            for x in xs:
                xpos = x - 0.4 + width * (slot + 0.5)
                lo, hi = p["psnr_min"], p["psnr_max"]
                mid = p["psnr"] if not pd.isna(p["psnr"]) else np.nanmean([lo, hi])
                yerr = None if pd.isna(lo) else [[mid - lo], [hi - mid]]
                ax.errorbar(xpos, mid, yerr=yerr, color="black", capsize=3, **PAPER_STYLE)
        ax.set_title(SPLIT_LABELS.get(split, split))
        ax.set_xlabel("training latent dim d_t")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(axis="y", alpha=0.3)
    handles = [Line2D([], [], color=palette[m], lw=6) for m in methods]
    labels = [METHOD_LABELS.get(m, m) for m in methods]
    if paper is not None and not paper.empty:
        handles.append(Line2D([], [], color="black", **PAPER_STYLE))
        labels.append("paper (128×128)")
    _legend(fig, handles, labels)
    return fig


def fig3(table: pd.DataFrame) -> Figure:
    """PSNR of the random square layer vs no linear layer, per split (one dot per image)."""
    _check(table, ["split", "adapter", "psnr"], "fig3")
    data = table[table["method"] == "ganz"] if "method" in table else table
    adapters = [a for a in ("square_linear", "no_linear") if a in set(data["adapter"])]
    adapters += [a for a in dict.fromkeys(data["adapter"]) if a not in adapters]
    splits = _splits(data)
    fig, axes = _figure(1, width=5.5, height=3.6)
    ax = axes[0, 0]
    palette = dict(zip(adapters, sns.color_palette("deep", len(adapters)).as_hex()))
    _boxplot(data, x="split", y="psnr", hue="adapter", order=splits, hue_order=adapters,
                palette=palette, ax=ax, fliersize=0, linewidth=0.8, boxprops=dict(alpha=0.35),
                legend=False)
    _stripplot(data, x="split", y="psnr", hue="adapter", order=splits, hue_order=adapters,
                  palette=palette, dodge=True, ax=ax, size=4, legend=False)
    ax.set_xticks(range(len(splits)))
    ax.set_xticklabels([SPLIT_LABELS.get(s, s) for s in splits])
    ax.set_xlabel("")
    ax.set_ylabel("PSNR (dB)")
    ax.grid(axis="y", alpha=0.3)
    handles = [Line2D([], [], color=palette[a], marker="o", lw=0) for a in adapters]
    _legend(fig, handles, [ADAPTER_LABELS.get(a, a) for a in adapters])
    return fig


def fig4(table: pd.DataFrame, paper: pd.DataFrame | None = None) -> Figure:
    """PSNR against ratio for one image: GANZ (random layer) vs the wavelets, and the trained layer.

    The trained layer (``keep_linear``) is a star at its own ratio N/d. Paper values (if given) are
    hollow diamonds at the same nominal ratios (the paper's image has 16× more pixels).
    """
    _check(table, ["method", "ratio", "psnr"], "fig4")
    methods = _methods(table)
    palette = _palette(methods)
    fig, axes = _figure(1, width=6.0, height=4.0)
    ax = axes[0, 0]
    adapter = table["adapter"] if "adapter" in table else pd.Series("", index=table.index)
    keep = table[(table["method"] == "ganz") & (adapter == "keep_linear")]
    curves = table.drop(index=keep.index)
    for method in methods:
        rows = curves[curves["method"] == method].groupby("ratio")["psnr"].median()
        if rows.empty:
            continue
        ax.plot(rows.index, rows.values, marker="o", color=palette[method],
                label=METHOD_LABELS.get(method, method))
    for _, row in keep.iterrows():
        ax.plot(row["ratio"], row["psnr"], marker="*", markersize=13, color=palette["ganz"],
                linestyle="none", label="GANZ, trained linear layer")
    pub = _paper_rows(paper)
    if not pub.empty and "image" in table and "image" in pub:  # the panel of this picture only
        stems = {PurePath(str(i)).stem for i in table["image"].dropna()}
        pub = pub[pub["image"].isna() | pub["image"].astype(str).isin(stems)]
    for _, p in pub.iterrows():
        color = palette.get(p["method"], "black")
        ax.plot(p["ratio"], p["psnr"], color=color, **PAPER_STYLE)
    if not pub.empty:
        ax.plot([], [], color="black", label="paper (128×128, same R)", **PAPER_STYLE)
    _ratio_axis(ax)
    ax.set_ylabel("PSNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    if "image" in table and table["image"].nunique() == 1:
        ax.set_title(f"image: {table['image'].iloc[0]}")
    return fig


def fig5(table: pd.DataFrame, paper: pd.DataFrame | None = None) -> Figure:
    """PSNR against ratio per split: median line and min–max band per method.

    Rows with the trained layer (``keep_linear``) are drawn as stars at their ratio. Paper values
    (if given) are hollow diamonds with their published min–max range.
    """
    _check(table, ["split", "method", "ratio", "psnr"], "fig5")
    methods, splits = _methods(table), _splits(table)
    palette = _palette(methods)
    adapter = table["adapter"] if "adapter" in table else pd.Series("", index=table.index)
    is_keep = (table["method"] == "ganz") & (adapter == "keep_linear")
    fig, axes = _figure(len(splits))
    for ax, split in zip(axes[0], splits):
        sub = table[(table["split"] == split) & ~is_keep]
        for method in methods:
            stats = (sub[sub["method"] == method].groupby("ratio")["psnr"]
                     .agg(["median", "min", "max"]).sort_index())
            if stats.empty:
                continue
            ax.plot(stats.index, stats["median"], marker="o", ms=4, color=palette[method])
            if len(stats) == 1:  # a single ratio has no band to draw: show its range as a bar
                ax.errorbar(stats.index, stats["median"],
                            yerr=[stats["median"] - stats["min"], stats["max"] - stats["median"]],
                            color=palette[method], capsize=3, lw=0, elinewidth=1)
            ax.fill_between(stats.index, stats["min"], stats["max"], color=palette[method],
                            alpha=0.15, lw=0)
        keep = table[(table["split"] == split) & is_keep].groupby("ratio")["psnr"]
        for r, vals in keep:
            ax.errorbar(r, vals.median(), yerr=[[vals.median() - vals.min()],
                                                [vals.max() - vals.median()]],
                        marker="*", ms=11, color=palette.get("ganz"), capsize=3)
        pub = _paper_rows(paper, split=split)
        for _, p in pub.iterrows():
            yerr = (None if pd.isna(p["psnr_min"]) else
                    [[p["psnr"] - p["psnr_min"]], [p["psnr_max"] - p["psnr"]]])
            ax.errorbar(p["ratio"], p["psnr"], yerr=yerr, color=palette.get(p["method"], "k"),
                        capsize=3, **PAPER_STYLE)
        _ratio_axis(ax)
        ax.set_title(SPLIT_LABELS.get(split, split))
        ax.set_ylabel("PSNR (dB)")
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=palette[m], marker="o", ms=4) for m in methods]
    labels = [METHOD_LABELS.get(m, m) for m in methods]
    if is_keep.any():
        handles.append(Line2D([], [], color=palette["ganz"], marker="*", ms=11, lw=0))
        labels.append("GANZ, trained linear layer")
    if paper is not None and not paper.empty:
        handles.append(Line2D([], [], color="black", **PAPER_STYLE))
        labels.append("paper (128×128), median [min–max]")
    _legend(fig, handles, labels)
    return fig


def fig8(table: pd.DataFrame, paper: pd.DataFrame | None = None) -> Figure:
    """Compressive sensing: PSNR per image against the number of measurements M, per split.

    If ``paper`` is given, Bora et al.'s best reported error (as PSNR) is a dashed line and the
    paper's GANZ range a grey band.
    """
    _check(table, ["split", "method", "measurements", "psnr"], "fig8")
    methods, splits = _methods(table), _splits(table)
    palette = _palette(methods)
    ms = sorted(table["measurements"].dropna().unique().astype(int))
    data = table.assign(measurements=table["measurements"].astype(int))
    fig, axes = _figure(len(splits), width=3.6)
    pub = _paper_rows(paper)
    for ax, split in zip(axes[0], splits):
        sub = data[data["split"] == split]
        _stripplot(sub, x="measurements", y="psnr", hue="method", order=ms,
                      hue_order=methods, palette=palette, dodge=len(methods) > 1, ax=ax, size=5,
                      legend=False)
        if not pub.empty:
            ranges = pub[pub["method"] == "ganz"]
            if not ranges.empty:
                ax.axhspan(ranges["psnr_min"].min(), ranges["psnr_max"].max(), color="0.85",
                           zorder=0)
            for v in pub.loc[pub["method"] == "bora2017", "psnr"].dropna().unique():
                ax.axhline(v, color=METHOD_COLORS["bora2017"], ls="--", lw=1)
        ax.set_title(SPLIT_LABELS.get(split, split))
        ax.set_xlabel("measurements M")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(axis="y", alpha=0.3)
    handles = [Line2D([], [], color=palette[m], marker="o", lw=0) for m in methods]
    labels = [METHOD_LABELS.get(m, m) for m in methods]
    if not pub.empty:
        handles += [Line2D([], [], color="0.85", lw=8),
                    Line2D([], [], color=METHOD_COLORS["bora2017"], ls="--")]
        labels += ["paper's GANZ range (128×128)", "Bora et al. 2017, best reported"]
    _legend(fig, handles, labels)
    return fig


def training(logs: pd.DataFrame) -> Figure:
    """BEGAN training curves per run (latent dim; a longer run of a dim dashed): convergence
    measure, k, losses and validation PSNR."""
    _check(logs, ["dim", "images_seen", "m_global", "k", "loss_real", "loss_fake"], "training")
    data = training_runs(logs)
    runs = run_order(data)
    palette = dict(zip(runs, sns.color_palette("viridis", len(runs)).as_hex()))
    panels = [("m_global", "convergence measure M_global"), ("k", "equilibrium term k"),
              ("loss_real", "L(x), autoencoder loss on real images"),
              ("val_psnr", "validation PSNR of inversion (dB)")]
    fig, axes = _figure(2, 2, width=5.0, height=3.3, sharey=False)
    for ax, (col, title) in zip(axes.flat, panels):
        if col not in data or data[col].isna().all():
            ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            for r in runs:
                rows = data[(data["run"] == r) & data[col].notna()]
                marker = "o" if col == "val_psnr" else None
                ax.plot(rows["images_seen"], rows[col], color=palette[r], lw=1, marker=marker,
                        ms=3, ls="--" if "-" in r else "-")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("images seen")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v else "0"))
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=palette[r], ls="--" if "-" in r else "-") for r in runs]
    _legend(fig, handles, [run_label(r) for r in runs])
    return fig
