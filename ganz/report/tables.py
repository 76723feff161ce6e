"""Tables made for reading in the book: formatted numbers with units, a dash (with a footnote)
for missing values, nothing truncated, a scrollable container, and full tables as CSV files.

``show(df)`` returns an HTML object (``_repr_html_``) with every row and the full text of every
cell; a long table is better summarised on the page and offered whole with ``download``.
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.atomic import write_csv

DASH = "—"
DASH_NOTE = "— : not applicable, or not reported by that side."
#: column → (heading, decimals); a heading names the unit
COLUMN_FORMATS: dict[str, tuple[str, int | None]] = {
    "psnr": ("PSNR (dB)", 2), "ssim": ("SSIM", 3), "ratio": ("R = N / d_c", 1),
    "bytes": ("bytes (B)", 0), "seconds": ("time per image (s)", 2), "steps": ("steps", 0),
    "dim": ("d_t", 0), "n": ("images", 0), "delta_db": ("ours − paper (dB)", 2),
    "ours": ("ours: median [min–max] (dB)", None), "paper": ("paper: median [min–max] (dB)", None),
    "ours_kib": ("ours (KiB)", 2), "paper_kib": ("paper (KiB)", 2), "paper_note": ("paper's note", None),
    "ours_median": ("ours median (dB)", 2), "paper_median": ("paper median (dB)", 2),
    "paper_approx": ("paper's value read off a plot", None), "image": ("picture", None),
    "split": ("split", None), "adapter": ("first layer", None),
    "m_over_n": ("M / N", 3), "measurements": ("M", 0), "images_seen": ("training images seen", 0),
    "step": ("training step", 0), "mean": ("mean", 2), "std": ("std", 2), "min": ("min", 2),
    "25%": ("25 %", 2), "50%": ("median", 2), "75%": ("75 %", 2), "max": ("max", 2),
    "count": ("images", 0), "m_global": ("M_global", 4), "k": ("k", 4), "val_psnr":
    ("validation PSNR (dB)", 2), "loss_real": ("L(x)", 4), "loss_fake": ("L(G(z))", 4),
    # the codecs chapter (ganz.report.rdanalysis)
    "bpp": ("bits per pixel", 3), "bd_rate_pct": ("BD-rate (%)", 1),
    "bd_psnr_db": ("BD-PSNR (dB)", 2), "psnr_lo": ("PSNR from (dB)", 2),
    "psnr_hi": ("PSNR to (dB)", 2), "bpp_lo": ("bits per pixel from", 3),
    "bpp_hi": ("bits per pixel to", 3), "ganz_points": ("GANZ points", 0),
    "codec_points": ("codec points", 0),
    "bd_rate_median_img": ("BD-rate, median over images (%)", 1),
    "images_with_bd": ("images with a BD-rate", 0),
    "codec_min_bpp": ("codec's smallest file (bits per pixel)", 3),
    "ganz_min_bpp": ("GANZ's smallest file (bits per pixel)", 3),
    "ganz_only_below": ("only GANZ below (bits per pixel)", 3),
    "ganz_leads_bpp": ("GANZ leads at (bits per pixel)", None),
    "codec_leads_bpp": ("codec leads at (bits per pixel)", None),
    "crossings": ("curves cross at (bits per pixel)", None),
    "max_ganz_lead": ("largest GANZ lead (dB)", 2), "max_codec_lead": ("largest codec lead (dB)", 2),
    "gap_db": ("gap (dB)", 3), "byte_ratio": ("bytes, ratio", 3),
    "payload_ratio": ("latent bits, ratio", 3), "within_tolerance": ("within tolerance", None),
}


#: values of key columns as a reader writes them (the code's names stay in the CSV files)
VALUE_WORDS: dict[str, dict[str, str]] = {
    "method": {"ganz": "GANZ", "ganz_qat": "GANZ + QAT", "jpeg": "JPEG", "webp": "WebP",
               "jpeg2000": "JPEG 2000", "avif": "AVIF", "jpegxl": "JPEG XL",
               "wavelet_original_code": "wavelet (as in the code)",
               "wavelet_paper_text": "wavelet (as in the text)", "lasso_dct": "Lasso (DCT)",
               "bora2017": "Bora et al."},
    "adapter": {"random_linear": "random", "keep_linear": "trained", "square_linear":
                "random square", "no_linear": "none"},
}
VALUE_WORDS["codec"] = VALUE_WORDS["ganz"] = VALUE_WORDS["method"]


#: the methods' names in the book's tables
METHOD_NAMES = {"ganz": "GANZ", "wavelet_original_code": "wavelet (as in the code)",
                "wavelet_paper_text": "wavelet (as in the text)", "bora2017": "Bora et al."}


def and_list(items) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(float(value))
    return isinstance(value, str) and value.strip() in ("", "nan", "NaN", "<NA>", "None", DASH)


def fmt(value: object, decimals: int | None = None) -> str:
    """One cell as text: numbers rounded (thousands separated), missing values as a dash."""
    if is_missing(value):
        return DASH
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if decimals is None:
            decimals = 0 if v.is_integer() else 2
        text = f"{v:,.{decimals}f}"
        return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text
    return str(value)


#: words of a snake_case column name as a reader writes them; a unit suffix becomes "(unit)"
WORDS = {"psnr": "PSNR", "ssim": "SSIM", "flops": "FLOPs", "lr": "learning rate", "evals":
         "evaluations", "kib": "KiB", "bpp": "bits per pixel", "speedup": "speed-up",
         "gpu": "GPU", "cpu": "CPU", "r10": "R = 10", "tol": "tolerance", "db": "dB",
         "qat": "QAT", "ganz": "GANZ", "bd": "BD", "img": "image"}
UNITS = {"db": "dB", "s": "s", "seconds": "s", "ms": "ms", "kib": "KiB", "bytes": "B", "mb": "MB"}


def humanize(name: str) -> str:
    """``psnr_gap_db`` → "PSNR gap (dB)", ``paper_run_seconds`` → "paper run (s)"; names
    with spaces or capitals are kept as they are."""
    if " " in name or name != name.lower() or "_" not in name:
        return WORDS.get(name, name)
    words = name.split("_")
    if len(words) == 2 and words[0] in ("psnr", "bytes", "ssim") and words[1].isdigit():
        unit = " (dB)" if words[0] == "psnr" else ""
        return f"{WORDS.get(words[0], words[0])} at {words[1]} bits{unit}"  # psnr_8: 8-bit latents
    unit = UNITS.get(words[-1]) if len(words) > 1 else None
    if unit:
        words = words[:-1]
    text = " ".join(WORDS.get(w, w) for w in words)
    return f"{text} ({unit})" if unit else text


def _heading(col: object) -> str:
    if isinstance(col, tuple):
        return " ".join(_heading(c) for c in col if str(c))
    known = COLUMN_FORMATS.get(str(col))
    return known[0] if known else humanize(str(col))


def _column_decimals(col: pd.Series) -> int | None:
    """One rounding per column: 0 decimals where every number in it is whole, else 2 (None for
    a column without floats: each value as it is)."""
    values = [float(v) for v in col if isinstance(v, (float, np.floating)) and not is_missing(v)]
    if not values:
        return None
    return 0 if all(v.is_integer() for v in values) else 2


def formatted(df: pd.DataFrame, decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """``df`` (index reset, duplicates dropped) as strings, with unit headings."""
    # a named index is data (shown as columns); an unnamed one is pandas' row numbers (dropped)
    named = any(n is not None for n in df.index.names)
    out = df.reset_index() if named else df.reset_index(drop=True)
    out = out.drop_duplicates().reset_index(drop=True)
    decimals = dict(decimals or {})
    cols = {}
    for col in out.columns:
        key = col[-1] if isinstance(col, tuple) else col
        d = decimals.get(str(key), COLUMN_FORMATS.get(str(key), ("", None))[1])
        if d is None:
            d = _column_decimals(out[col])
        words = VALUE_WORDS.get(str(key), {})
        cols[_heading(col)] = [words.get(v, fmt(v, d)) if isinstance(v, str) else fmt(v, d)
                               for v in out[col]]
    return pd.DataFrame(cols)


class Table:
    """An HTML table for the book (all rows, full cell text, scrollable if wide)."""

    def __init__(self, df: pd.DataFrame, caption: str = "", notes: Sequence[str] = ()):
        self.df, self.caption, self.notes = df, caption, list(notes)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.df.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                       for row in self.df.itertuples(index=False))
        notes = list(self.notes)
        if any(DASH in str(v) for v in self.df.to_numpy().ravel()) and DASH_NOTE not in notes:
            notes.append(DASH_NOTE)
        cap = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        foot = "".join(f"<p class='ganz-table-note'>{html.escape(n)}</p>" for n in notes)
        return (f"<div class='ganz-table'><table class='table'>{cap}<thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>{foot}</div>")

    def __repr__(self) -> str:  # plain-text fallback (tests, terminals)
        return self.df.to_string(index=False)


def show(df: pd.DataFrame, caption: str = "", notes: Sequence[str] = (),
         decimals: Mapping[str, int] | None = None) -> Table:
    """``df`` formatted for reading (see the module docstring)."""
    return Table(formatted(df, decimals), caption, notes)


def paper_vs_ours(cmp: pd.DataFrame, approx: Sequence[bool] | None = None) -> Table:
    """A ``paper.compare`` table for reading: ``approx`` marks paper values read off a plot (≈)."""
    t = cmp.drop(columns=[c for c in ("ours_median", "paper_median", "paper_min", "paper_max",
                                      "paper_approx") if c in cmp]).copy()
    notes = []
    if approx is not None and "paper" in t:
        flags = list(approx)
        t["paper"] = [f"≈ {p}" if a and not is_missing(p) else p for p, a in zip(t["paper"], flags)]
        if any(flags):
            notes.append("≈ : the paper's value is approximate (read off its plot or stated "
                         "loosely), not a printed number.")
    if "paper_note" in t:  # the paper's notes once each, below the table
        t, more = footnotes(t.rename(columns={"paper_note": "note"}), "note")
        notes += more
    return show(t, notes=notes)


def footnotes(df: pd.DataFrame, column: str) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with the long texts of ``column`` replaced by numbers, and the numbered texts, each
    once, to show below the table (a column of sentences makes every row tall)."""
    numbers: dict[str, int] = {}
    for text in df[column]:
        if not is_missing(text) and str(text).strip():
            numbers.setdefault(str(text).strip(), len(numbers) + 1)
    out = df.copy()
    out[column] = [numbers.get(str(v).strip()) if not is_missing(v) else None for v in df[column]]
    texts = [f"{i}: {text[:1].upper()}{text[1:]}" + ("" if text.endswith(".") else ".")
             for text, i in numbers.items()]
    return out, texts


def show_with_notes(df: pd.DataFrame, column: str = "note", caption: str = "",
                    notes: Sequence[str] = ()) -> Table:
    """``show`` with ``column``'s texts as numbered notes below the table (``footnotes``)."""
    if column not in df:
        return show(df, caption, notes)
    t, more = footnotes(df, column)
    return show(t, caption, [*notes, *more])


def download(df: pd.DataFrame, name: str, folder: str | Path = "downloads") -> Path:
    """Write ``df`` whole as CSV beside the notebook (linked from the page with ``{download}``)."""
    path = Path(folder) / name
    named = any(n is not None for n in df.index.names)  # a named index is data: keep it
    write_csv(df.reset_index() if named else df, path)
    return path


class Note:
    """A short paragraph shown in place of a table that is absent, saying why."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return f"<p class='ganz-table-missing'>{html.escape(self.text)}</p>"

    def __repr__(self) -> str:
        return self.text


class Stack:
    """Several tables (or notes) shown one after the other as one output."""

    def __init__(self, *items: object):
        self.items = [i for i in items if i is not None]

    def _repr_html_(self) -> str:
        return "".join(i._repr_html_() if hasattr(i, "_repr_html_")
                       else f"<p>{html.escape(str(i))}</p>" for i in self.items)

    def __repr__(self) -> str:
        return "\n\n".join(map(repr, self.items))
