"""Figures of the book: one function per paper figure, each taking a runner's tidy table.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so a notebook
shows it exactly once (as the cell's value) and nothing leaks between cells. Optional ``paper``
arguments take :func:`ganz.report.paper.paper_numbers` rows and overlay the published values.
"""
from __future__ import annotations

import io
import math
import textwrap
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

METHOD_LABELS = {
    "ganz": "GANZ",
    "wavelet_paper_text": "wavelet, as in the text (d_c coefficients)",
    "wavelet_original_code": "wavelet, as in the code (3·d_c coefficients)",
    "lasso_dct": "Lasso (DCT)",
    "bora2017": "Bora et al. 2017",
}
METHOD_COLORS = {
    "ganz": "#1f77b4",
    "wavelet_paper_text": "#ff7f0e",
    "wavelet_original_code": "#d62728",
    "lasso_dct": "#2ca02c",
    "bora2017": "#7f7f7f",
}
SPLIT_LABELS = {"train": "train (CelebA)", "test": "test (CelebA)", "ood": "out-of-domain",
                "all": "all splits"}
ADAPTER_LABELS = {
    "keep_linear": "trained linear layer",
    "random_linear": "random linear layer",
    "square_linear": "random square layer",
    "no_linear": "no linear layer",
}
SPLIT_ORDER = ["train", "test", "ood"]
WAVELET_CODE, WAVELET_TEXT = "wavelet_original_code", "wavelet_paper_text"
PAPER_STYLE = dict(marker="D", markersize=6, markerfacecolor="none", markeredgewidth=1.4,
                   linestyle="none")


# ---------------------------------------------------------------------------- helpers

class BookFigure(Figure):
    """A pyplot-free Figure that renders itself as PNG in Jupyter (no backend setup needed)."""

    dpi_png = 110

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=self.dpi_png, bbox_inches="tight")
        return buf.getvalue()


def message_figure(text: str, width: float = 7.0) -> BookFigure:
    """A small figure that only says why the real one cannot be drawn here."""
    fig = BookFigure(figsize=(width, 1.2))
    fig.text(0.5, 0.5, textwrap.fill(text, 100), ha="center", va="center", fontsize=9,
             color="#555555")
    return fig


def _check(table: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what}: the table lacks column(s) {', '.join(missing)}")
    if table.empty:
        raise ValueError(f"{what}: the table is empty")
    return table


def _methods(table: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(table["method"]))
    known = [m for m in METHOD_LABELS if m in present]
    return known + [m for m in present if m not in METHOD_LABELS]


def _splits(table: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(table["split"]))
    return [s for s in SPLIT_ORDER if s in present] + [s for s in present if s not in SPLIT_ORDER]


def _palette(methods: Sequence[str]) -> dict[str, str]:
    extra = iter(sns.color_palette("Set2", 8).as_hex())
    return {m: METHOD_COLORS.get(m) or next(extra) for m in methods}


def _figure(ncols: int, nrows: int = 1, width: float = 4.2, height: float = 3.4,
            sharey: bool = True) -> tuple[Figure, np.ndarray]:
    fig = BookFigure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=sharey, squeeze=False)
    return fig, axes


def _boxplot(data: pd.DataFrame, **kwargs) -> None:
    """seaborn's boxplot, minus its deprecation noise under matplotlib ≥ 3.11 (``vert``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"vert: bool was deprecated",
                                category=DeprecationWarning)
        sns.boxplot(data, **kwargs)


def _legend(fig: Figure, handles: list, labels: list[str]) -> None:
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4),
                   frameon=False)


def _ratio_axis(ax) -> None:
    """Log ratio axis with round ticks (1-2-5 steps): actual ratios N / d_c are rarely round."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("compression ratio R = N / d_c")


def _paper_rows(paper: pd.DataFrame | None, **equal: object) -> pd.DataFrame:
    if paper is None or paper.empty:
        return pd.DataFrame()
    rows = paper
    for col, value in equal.items():
        rows = rows[rows[col] == value]
    return rows


# ---------------------------------------------------------------------------- figures

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
    sns.stripplot(data, x="split", y="psnr", hue="adapter", order=splits, hue_order=adapters,
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
        sns.stripplot(sub, x="measurements", y="psnr", hue="method", order=ms,
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
    """BEGAN training curves per latent dim: convergence measure, k, losses and validation PSNR."""
    _check(logs, ["dim", "images_seen", "m_global", "k", "loss_real", "loss_fake"], "training")
    data = logs.assign(dim=logs["dim"].astype(int))
    dims = sorted(data["dim"].unique())
    palette = dict(zip(dims, sns.color_palette("viridis", len(dims)).as_hex()))
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
            for d in dims:
                rows = data[(data["dim"] == d) & data[col].notna()]
                marker = "o" if col == "val_psnr" else None
                ax.plot(rows["images_seen"], rows[col], color=palette[d], lw=1, marker=marker,
                        ms=3)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("images seen")
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=palette[d]) for d in dims]
    _legend(fig, handles, [f"d = {d}" for d in dims])
    return fig


# ---------------------------------------------------------------------------- image grids

def _grid(cells: list[list[np.ndarray | None]], col_titles: Sequence[str] | None = None,
          row_titles: Sequence[str] | None = None,
          cell_titles: list[list[str]] | None = None, size: float = 1.7,
          missing: list[list[str]] | None = None) -> Figure:
    nrows = len(cells)
    ncols = max((len(r) for r in cells), default=0)
    if nrows == 0 or ncols == 0:
        raise ValueError("image grid: no images to show")
    first = next(np.asarray(img) for row in cells for img in row if img is not None)
    aspect = first.shape[0] / first.shape[1]  # cell height / width
    fig = BookFigure(figsize=(size * ncols + (0.6 if row_titles else 0),
                              (size * aspect + 0.3) * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i in range(nrows):
        for j in range(ncols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            img = cells[i][j] if j < len(cells[i]) else None
            if img is not None:
                ax.imshow(np.asarray(img), interpolation="nearest")
            elif missing and missing[i][j]:  # a picture this build leaves out: say so
                ax.imshow(np.full_like(np.asarray(first), 240), interpolation="nearest")
                ax.text(0.5, 0.5, textwrap.fill(missing[i][j], 14), ha="center", va="center",
                        fontsize=7, color="#555555", transform=ax.transAxes)
            title = cell_titles[i][j] if cell_titles and j < len(cell_titles[i]) else ""
            if i == 0 and col_titles and j < len(col_titles):
                title = f"{col_titles[j]}\n{title}" if title else col_titles[j]
            if title:
                ax.set_title(title, fontsize=8)
            if j == 0 and row_titles:
                ax.set_ylabel(row_titles[i], fontsize=8)
    return fig


def image_grid(images: Mapping[str, np.ndarray], columns: Sequence[str] | None = None,
               ncols: int | None = None, size: float = 1.7) -> Figure:
    """Show a runner's ``res.images``.

    With ``columns``, keys ``"<row>/<column>"`` are laid out as a table: one row per distinct
    ``<row>`` prefix (in order of appearance), one column per listed name; missing cells stay
    blank. Without it, every image is shown in order, ``ncols`` per row, titled by its key.
    """
    if not images:
        raise ValueError("image grid: no images")
    if columns is None:
        keys = list(images)
        ncols = ncols or min(len(keys), 6)
        cells = [[images[k] for k in keys[i:i + ncols]] for i in range(0, len(keys), ncols)]
        titles = [keys[i:i + ncols] for i in range(0, len(keys), ncols)]
        return _grid(cells, cell_titles=titles, size=size)
    rows: dict[str, dict[str, np.ndarray]] = {}
    for key, img in images.items():
        prefix, _, name = key.rpartition("/")
        if name in columns:
            rows.setdefault(prefix, {})[name] = img
    if not rows:
        raise ValueError(f"image grid: no key ends in any of {list(columns)}")
    cells = [[r.get(c) for c in columns] for r in rows.values()]
    return _grid(cells, col_titles=list(columns), row_titles=list(rows), size=size)


ORIGINAL_ABSENT = "original not included in this build"
WAVELET_ABSENT = "wavelet picture not included in this build (needs the original)"


def _absent(cells: list[list[np.ndarray | None]], text: str) -> list[list[str]]:
    """``text`` for each blank cell of the first (original) column."""
    return [[text if j == 0 and img is None else "" for j, img in enumerate(row)] for row in cells]


def _psnr_lookup(table: pd.DataFrame | None, **equal: object) -> str:
    if table is None or "psnr" not in table:
        return ""
    rows = table
    for col, value in equal.items():
        if col not in rows:
            return ""
        if isinstance(value, float):  # ratios: N / d_c is rarely the nominal value exactly;
            diff = (rows[col].astype(float) - value).abs()  # the nearest within 5 % (48 vs 50)
            rows = rows[np.isclose(rows[col].astype(float), value, rtol=0.05)
                        & (diff == diff.min())]
        else:
            rows = rows[rows[col] == value]
    values = rows["psnr"].round(6).unique()  # a setting recorded twice (fig. 4's R = N/64) counts once
    return f"{values[0]:.1f} dB" if len(values) == 1 else ""


def _split_image_rows(images: Mapping[str, np.ndarray], names: Sequence[str]
                      ) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    rows: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for key, img in images.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[2] in names:
            rows.setdefault((parts[0], parts[1]), {})[parts[2]] = img
    if not rows:
        raise ValueError(f"image grid: no '<split>/<image>/<name>' keys with names {list(names)}")
    return rows


def fig3_images(images: Mapping[str, np.ndarray], table: pd.DataFrame | None = None) -> Figure:
    """Originals beside their square-layer and no-layer reconstructions, with PSNR if ``table``."""
    names = ["original", "square_linear", "no_linear"]
    rows = _split_image_rows(images, names)
    cells = [[r.get(n) for n in names] for r in rows.values()]
    titles = [["" if n == "original" else
               _psnr_lookup(table, split=s, image=i, adapter=n, method="ganz") for n in names]
              for (s, i) in rows]
    return _grid(cells, col_titles=["original"] + [ADAPTER_LABELS[n] for n in names[1:]],
                 row_titles=[f"{SPLIT_LABELS.get(s, s)}\n{i}" for s, i in rows],
                 cell_titles=titles, missing=_absent(cells, ORIGINAL_ABSENT))


def _ratio_of(name: str) -> float:
    try:
        return float(name[1:])
    except ValueError:
        return math.inf


def _image_wavelet(table: pd.DataFrame | None) -> str | None:
    """The wavelet variant whose pictures the runner returns: the original code's if present."""
    if table is None or "method" not in table:
        return None
    wavelets = [m for m in _methods(table) if m.startswith("wavelet")]
    if WAVELET_CODE in wavelets:
        return WAVELET_CODE
    return wavelets[0] if len(wavelets) == 1 else None


def _keep_ratio(table: pd.DataFrame | None) -> float | None:
    if table is None or "adapter" not in table:
        return None
    rows = table[(table["method"] == "ganz") & (table["adapter"] == "keep_linear")]
    return float(rows["ratio"].iloc[0]) if len(rows) else None


def fig4_images(images: Mapping[str, np.ndarray], table: pd.DataFrame | None = None) -> Figure:
    """One image compressed at each ratio: GANZ on top, the wavelet below; PSNR if ``table``."""
    ratios = sorted({k.split("/", 1)[1] for k in images
                     if k.startswith(("ganz/R", "wavelet/R"))}, key=_ratio_of)
    top = [images.get("original")] + [images.get(f"ganz/{r}") for r in ratios]
    bottom = [None] + [images.get(f"wavelet/{r}") for r in ratios]
    cols = ["original"] + [f"R = {r[1:]}" for r in ratios]
    top_t = [""] + [_psnr_lookup(table, method="ganz", adapter="random_linear",
                                 ratio=_ratio_of(r)) for r in ratios]
    wavelet = _image_wavelet(table)
    bottom_t = [""] + [_psnr_lookup(table, method=wavelet, ratio=_ratio_of(r)) if wavelet else ""
                       for r in ratios]
    if "ganz/keep_linear" in images:
        top.append(images["ganz/keep_linear"])
        bottom.append(images.get("wavelet/keep_linear"))
        cols.append("trained layer")
        top_t.append(_psnr_lookup(table, method="ganz", adapter="keep_linear"))
        keep_ratio = _keep_ratio(table)
        bottom_t.append(_psnr_lookup(table, method=wavelet, ratio=keep_ratio)
                        if wavelet and keep_ratio else "")
    wavelet_label = {WAVELET_CODE: "wavelet\n(original code)",
                     WAVELET_TEXT: "wavelet\n(paper text)"}.get(wavelet or "", "wavelet")
    missing = [[ORIGINAL_ABSENT if img is None else "" for img in top],
               [""] + [WAVELET_ABSENT if img is None else "" for img in bottom[1:]]]
    return _grid([top, bottom], col_titles=cols, row_titles=["GANZ", wavelet_label],
                 cell_titles=[top_t, bottom_t], missing=missing)


def fig7_images(images: Mapping[str, np.ndarray], table: pd.DataFrame | None = None) -> Figure:
    """The sample grid of each generator (keys ``d<dim>``), two per row, as in the paper."""
    keys = sorted((k for k in images if k.startswith("d") and k[1:].isdigit()),
                  key=lambda k: int(k[1:]))
    if not keys:
        raise ValueError("fig7 images: no 'd<dim>' keys")
    titles = []
    for k in keys:
        title = f"d_t = {k[1:]}"
        if table is not None and {"dim", "images_seen"} <= set(table.columns):
            seen = table.loc[table["dim"] == int(k[1:]), "images_seen"]
            if len(seen):
                title += f" ({int(seen.iloc[0]):,} images seen)"
        titles.append(title)
    cells = [[images[k] for k in keys[i:i + 2]] for i in range(0, len(keys), 2)]
    cell_titles = [titles[i:i + 2] for i in range(0, len(keys), 2)]
    return _grid(cells, cell_titles=cell_titles, size=3.4)


def fig8_images(images: Mapping[str, np.ndarray], table: pd.DataFrame | None = None) -> Figure:
    """Originals beside their compressive-sensing reconstructions for each M; PSNR if ``table``."""
    names = sorted({k.rsplit("/", 1)[1] for k in images if k.rsplit("/", 1)[-1][:1] == "M"},
                   key=_ratio_of)
    rows = _split_image_rows(images, ["original", *names])
    cells = [[r.get(n) for n in ["original", *names]] for r in rows.values()]
    titles = [[""] + [_psnr_lookup(table, split=s, image=i, method="ganz",
                                   measurements=_ratio_of(n)) for n in names]
              for (s, i) in rows]
    return _grid(cells, col_titles=["original"] + [f"M = {n[1:]}" for n in names],
                 row_titles=[f"{SPLIT_LABELS.get(s, s)}\n{i}" for s, i in rows],
                 cell_titles=titles, missing=_absent(cells, ORIGINAL_ABSENT))


def provenance(meta: Mapping[str, object]) -> str:
    """What produced a result, in two short lines: profile, model and generator hash, then
    device, torch, commit and creation time.

    Hashes are shortened to 12 hex digits; a runner using several generators may give lists or
    ``{name: value}`` mappings.
    """
    def short(value: object, n: int | None = None) -> str:
        text = str(value)
        return text[:n] if n and len(text) == 64 and all(c in "0123456789abcdef" for c in text) \
            else text

    def get(*names: str, n: int | None = None) -> str:
        for name in names:
            value = meta.get(name)
            if value in (None, "", [], {}):
                continue
            if isinstance(value, Mapping):
                return ", ".join(f"{k}: {short(v, n)}" for k, v in value.items())
            if isinstance(value, (list, tuple)):
                return ", ".join(short(v, n) for v in value)
            return short(value, n)
        return "?"

    parts = [f"profile: {get('profile')}",
             f"model: {get('model', 'model_name', 'models')}",
             f"generator sha256: {get('generator_sha256', 'generator', 'sha256', n=12)}",
             f"device: {get('device')}",
             f"torch: {get('torch', 'torch_version')}",
             f"commit: {get('commit', 'git_commit')[:12]}"]
    created = get("created", "created_at", "time")
    if created != "?":
        parts.append(f"created: {created}")
    text = " | ".join(parts[:3]) + "\n" + " | ".join(parts[3:])
    return text + (f"\nnote: {meta['note']}" if meta.get("note") else "")
