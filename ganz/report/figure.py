"""What every figure of the book shares: labels and colours, a Figure that shows itself once in a
notebook without pyplot, a figure that only says why the real one is missing, the provenance line."""
from __future__ import annotations

import io
import textwrap
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
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


class BookFigure(Figure):
    """A pyplot-free Figure that renders itself as PNG in Jupyter (no backend setup needed)."""

    dpi_png = 110
    pad_inches = 0.1  # around the tight bounding box (0 for figures made of others' PNGs)

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=self.dpi_png, bbox_inches="tight",
                     pad_inches=self.pad_inches)
        return buf.getvalue()


#: how wide (px) the book shows a picture of a cell tagged full-width in a 1280 px window; a PNG
#: wider than this is scaled down to it (and opens at full size on a click)
PAGE_PX = 900
#: the smallest text (px) and picture (px, a face or a reconstruction) a reader should get at that
#: width: the book's legibility bar for picture grids
MIN_LABEL_PX, MIN_PICTURE_PX = 11.0, 96.0


def legibility(fig: Figure, shown_px: float = PAGE_PX, per_picture: int = 1) -> dict[str, float]:
    """How ``fig`` reads when its PNG is shown at most ``shown_px`` wide: ``width_px`` (the PNG's
    own width), ``scale`` (≤ 1), ``label_px`` (its smallest non-empty text) and ``picture_px``
    (the narrower side of its smallest image, divided by ``per_picture`` when one image holds
    that many pictures side by side, e.g. a grid of samples)."""
    from matplotlib.image import AxesImage
    from matplotlib.text import Text
    from PIL import Image

    dpi = getattr(fig, "dpi_png", 110)
    png = fig._repr_png_() if hasattr(fig, "_repr_png_") else None
    if png is None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        png = buf.getvalue()
    width = Image.open(io.BytesIO(png)).width
    scale = min(1.0, shown_px / width)
    fig.set_dpi(dpi)
    fig.canvas.draw()
    fonts = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    sides = []
    for im in fig.findobj(AxesImage):
        box = im.get_window_extent()
        w = min(box.width, im.axes.get_window_extent().width)
        h = min(box.height, im.axes.get_window_extent().height)
        sides.append(min(w / per_picture, h))
    return {"width_px": float(width), "scale": scale,
            "label_px": min(fonts, default=float("inf")) * dpi / 72 * scale,
            "picture_px": min(sides, default=float("inf")) * scale}


def message_figure(text: str, width: float = 7.0) -> BookFigure:
    """A small figure that only says why the real one cannot be drawn here."""
    fig = BookFigure(figsize=(width, 1.2))
    fig.text(0.5, 0.5, textwrap.fill(text, 100), ha="center", va="center", fontsize=9,
             color="#555555")
    return fig


def training_runs(logs: pd.DataFrame) -> pd.DataFrame:
    """``logs`` with a ``run`` column (``d<dim>`` where a log has none)."""
    if "run" not in logs:
        logs = logs.assign(run=["d%d" % d for d in logs["dim"].astype(int)])
    return logs


def run_label(run: str) -> str:
    """``d64`` → "d_t = 64"; ``d64-long`` → "d_t = 64, long run"."""
    dim, _, extra = run.removeprefix("d").partition("-")
    return f"d_t = {dim}" + (f", {extra} run" if extra else "")


def run_order(logs: pd.DataFrame) -> list[str]:
    """The runs of ``training_runs(logs)`` by latent dim, a dim's longer run after it."""
    runs = logs[["run", "dim"]].drop_duplicates("run")
    return [r for _, r in sorted(zip(runs["dim"].astype(int), runs["run"]),
                                 key=lambda x: (x[0], len(x[1]), x[1]))]


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
