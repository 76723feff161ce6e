"""The book's pictures: originals beside their reconstructions, in grids, one function per figure."""
from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .figure import (ADAPTER_LABELS, PAGE_PX, SPLIT_LABELS, WAVELET_CODE, WAVELET_TEXT, BookFigure,
                     _methods)

#: text of the grids (points; 9 pt is 13.75 px at the book's 110 dpi) and the side of one picture
#: (inches: 1.1 in is 121 px): sized so that a grid of up to 8 pictures across, or two grids of 3
#: side by side, is at most ``figure.PAGE_PX`` wide and reads at that width (labels >= 11 px,
#: pictures >= 96 px; tests/test_pictures.py measures it)
LABEL_PT = 9.0
CELL_IN = 1.1


def _grid(cells: list[list[np.ndarray | None]], col_titles: Sequence[str] | None = None,
          row_titles: Sequence[str] | None = None,
          cell_titles: list[list[str]] | None = None, size: float = CELL_IN,
          missing: list[list[str]] | None = None) -> Figure:
    nrows = len(cells)
    ncols = max((len(r) for r in cells), default=0)
    if nrows == 0 or ncols == 0:
        raise ValueError("image grid: no images to show")
    # as wide as the page at most: a wide grid gets smaller pictures, not a scaled-down PNG
    size = min(size, (PAGE_PX / BookFigure.dpi_png - 0.65) / ncols)
    first = next(np.asarray(img) for row in cells for img in row if img is not None)
    aspect = first.shape[0] / first.shape[1]  # cell height / width
    lines = max((t.count("\n") + 1 for row in (cell_titles or []) for t in row if t), default=0)
    head = 0.2 * max(lines, 1) + 0.1
    head_lines = max((textwrap.fill(t, 13).count("\n") + 1 for t in col_titles or []), default=0)
    fig = BookFigure(figsize=(size * ncols + (0.45 if row_titles else 0),
                              (size * aspect + head) * nrows + 0.2 * head_lines),
                     layout="constrained")
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
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
                        fontsize=LABEL_PT - 1, color="#555555", transform=ax.transAxes)
            title = cell_titles[i][j] if cell_titles and j < len(cell_titles[i]) else ""
            if i == 0 and col_titles and j < len(col_titles):
                head = textwrap.fill(col_titles[j], 13)  # within its picture's width
                title = f"{head}\n{title}" if title else head
            if title:
                ax.set_title(title, fontsize=LABEL_PT, pad=2)
            if j == 0 and row_titles:
                ax.set_ylabel(row_titles[i], fontsize=LABEL_PT)
    return fig


def image_grid(images: Mapping[str, np.ndarray], columns: Sequence[str] | None = None,
               ncols: int | None = None, size: float = CELL_IN) -> Figure:
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
                 row_titles=[f"{SPLIT_LABELS.get(s, s)}\n{i.rsplit('.', 1)[0]}" for s, i in rows],
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
    return float(rows["nominal_ratio"].iloc[0]) if len(rows) else None


def fig4_images(images: Mapping[str, np.ndarray], table: pd.DataFrame | None = None) -> Figure:
    """One image compressed at each ratio: GANZ on top, the wavelet below; PSNR if ``table``."""
    ratios = sorted({k.split("/", 1)[1] for k in images
                     if k.startswith(("ganz/R", "wavelet/R"))}, key=_ratio_of)
    top = [images.get("original")] + [images.get(f"ganz/{r}") for r in ratios]
    bottom = [None] + [images.get(f"wavelet/{r}") for r in ratios]
    cols = ["original"] + [f"R = {r[1:]}" for r in ratios]
    top_t = [""] + [_psnr_lookup(table, method="ganz", adapter="random_linear",
                                 nominal_ratio=_ratio_of(r)) for r in ratios]
    wavelet = _image_wavelet(table)
    bottom_t = [""] + [_psnr_lookup(table, method=wavelet, nominal_ratio=_ratio_of(r)) if wavelet else ""
                       for r in ratios]
    if "ganz/keep_linear" in images:
        top.append(images["ganz/keep_linear"])
        bottom.append(images.get("wavelet/keep_linear"))
        cols.append("trained layer")
        top_t.append(_psnr_lookup(table, method="ganz", adapter="keep_linear"))
        keep_ratio = _keep_ratio(table)
        bottom_t.append(_psnr_lookup(table, method=wavelet, nominal_ratio=keep_ratio)
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
                 row_titles=[f"{SPLIT_LABELS.get(s, s)}\n{i.rsplit('.', 1)[0]}" for s, i in rows],
                 cell_titles=titles, missing=_absent(cells, ORIGINAL_ABSENT))


def sample_grids(grids: Mapping[str, np.ndarray], face: int | Mapping[str, int], rows: int = 3,
                 cols: int = 4, per_row: int = 2) -> Figure:
    """Training sample grids (``title -> 8-wide grid of faces``, ``face`` px each, or per title),
    each cut to its first ``rows`` x ``cols`` faces so that a face reads at the page's width
    (>= 96 px), two grids per row; the whole grids stay in their PNG files."""
    if not grids:
        raise ValueError("sample grids: none")
    side = {t: face if isinstance(face, int) else face[t] for t in grids}
    crops = [np.asarray(g)[:rows * side[t], :cols * side[t]] for t, g in grids.items()]
    titles = list(grids)
    cells = [crops[i:i + per_row] for i in range(0, len(crops), per_row)]
    cell_titles = [titles[i:i + per_row] for i in range(0, len(titles), per_row)]
    size = (PAGE_PX / BookFigure.dpi_png - 0.65) / per_row  # as wide as the page allows
    return _grid(cells, cell_titles=cell_titles, size=size)
