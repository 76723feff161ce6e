"""The paper's published numbers (``data/paper_numbers.csv``) and "paper vs ours" tables.

The CSV is data transcribed from the paper's figures; this module only reads and aligns it.
Rows are matched to our results on the figure's key columns (``KEYS``); the column ``approx``
marks values read off a plot (the book prints them with ≈). Rules that make the comparison fair
across image sizes:

* rates are matched as they were set, from the columns each row carries: a row's
  ``nominal_ratio`` (the R asked for; its ``ratio`` is N / d_c) against the published R, so a
  run at R = 48 never stands in for R = 50; fig. 8's ``nominal_measurements`` (the paper's M,
  before it is scaled to our N) against the published M, both shown as M / N of the paper's N;
* several published rows under one key (fig. 3's per-picture labels) are pooled as
  median [min–max], like ours;
* the trained layer (``keep_linear``) is matched without its ratio (its ratio is ``N / d``, which
  depends on the image size), and baselines are matched without the GAN's ``dim``/``adapter``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePath

import numpy as np
import pandas as pd

from ..results import published
from ..results.profiles import PAPER_N
from .tables import and_list
from ..results.published import PAPER_CSV, stem as _stem  # noqa: F401

GAN_METHODS = ("ganz",)
DASH = "—"

#: the columns on which each figure's results are compared with the paper's
KEYS: dict[str, list[str]] = {
    "fig2": ["split", "dim", "adapter", "ratio", "method"],
    "fig3": ["split", "adapter", "ratio", "method"],
    "fig4": ["image", "adapter", "ratio", "method"],
    "fig5": ["split", "adapter", "ratio", "method"],
    "fig8": ["split", "adapter", "m_over_n", "method"],
}
#: figures whose published numbers pool all splits (our rows are pooled the same way)
POOLED_SPLITS = {"fig8"}


def paper_numbers(figure: str, images=None) -> pd.DataFrame:
    """``ganz.results.published.paper_numbers``, where a face standing in for one of the paper's
    pictures (``paper_picture``) counts as that picture."""
    return published.paper_numbers(figure, None if images is None else [paper_picture(i) for i in images])


#: the paper's Fig. 4 panels by split: its caption reads (a) train, (b) test, (c) out-of-domain
FIG4_PANELS = {"train": "a", "test": "b", "ood": "c"}


@lru_cache(maxsize=1)
def stand_ins() -> dict[str, str]:
    """The paper's pictures our CelebA copy lacks -> the faces standing in for them (stems;
    the evaluation manifest's ``replaces``): ``{"034782": "000001", "196479": "008551"}``."""
    from ..core.data import load_manifest

    return {_stem(e["replaces"]): _stem(e["name"])
            for picks in load_manifest().get("original", {}).get("figures", {}).values()
            for e in picks if "replaces" in e}


def paper_picture(name: object) -> str:
    """The paper's name for one of our pictures: a stand-in face's original (``000001.jpg`` ->
    ``034782``), else its stem (``jack.png`` -> ``jack``)."""
    stem = _stem(name)
    return {ours: theirs for theirs, ours in stand_ins().items()}.get(stem, stem)


def fig4_panels(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per panel of the paper's Fig. 4: its letter, split and picture, the picture that
    stands in for it here (``stand_in``: a face missing from our CelebA copy) and the profiles of
    ``tables`` (profile -> results table, or a list of them) that ran it (``run_under``, "" if
    none)."""
    pub = paper_numbers("fig4").dropna(subset=["image"]).drop_duplicates("image")
    stand_in = stand_ins()
    tables = {name: pd.concat(t, ignore_index=True) if isinstance(t, (list, tuple)) else t
              for name, t in tables.items()}
    rows = []
    for _, p in pub.iterrows():
        ours = stand_in.get(p["image"], p["image"])
        ran = [name for name, t in tables.items()
               if "image" in t and t["image"].map(_stem).isin({p["image"], ours}).any()]
        rows.append({"panel": FIG4_PANELS.get(p["split"], "?"), "split": p["split"],
                     "picture": p["image"], "stand_in": ours, "run_under": ", ".join(ran)})
    return pd.DataFrame(rows).sort_values("panel", ignore_index=True)


def fig4_panels_note(tables: Mapping[str, pd.DataFrame]) -> str:
    """Sentences on the paper's Fig. 4 panels: which faces stand in for the ones our CelebA copy
    lacks, and per profile of ``tables`` (profile -> results table, or a list of them) which
    panels it ran and which it has not run yet ("" when every profile ran every panel)."""
    panels = fig4_panels(tables)
    kinds = {"train": "training face", "test": "held-out face", "ood": "out-of-domain picture"}

    def name(r: pd.Series) -> str:
        return f"({r['panel']}) {kinds.get(r['split'], r['split'])} `{r['picture']}`"

    ran = {p: {r["panel"] for _, r in panels.iterrows() if p in r["run_under"].split(", ")}
           for p in tables}
    if all(len(v) == len(panels) for v in ran.values()) and ran:
        return ""
    swapped = panels[panels["stand_in"] != panels["picture"]]
    text = [f"The paper's Fig. 4 has {len(panels)} panels: "
            f"{', '.join(name(r) for _, r in panels.iterrows())}."]
    if len(swapped):
        text.append(f"Our CelebA copy lacks {and_list([f'`{p}`' for p in swapped['picture']])}; "
                    f"{and_list([f'`{r.stand_in}` ({r.split})' for r in swapped.itertuples()])} "
                    f"stand in for {'them' if len(swapped) > 1 else 'it'}, as in Figs. 3 and 8.")

    def letters(ps) -> str:
        ps = sorted(ps)
        return f"panel{'s' if len(ps) > 1 else ''} {and_list(ps)}"

    for p, done in ran.items():
        todo = [r["panel"] for _, r in panels.iterrows() if r["panel"] not in done]
        if not done:
            text.append(f"Profile `{p}` has run none of them yet.")
        elif todo:
            gpu = " (its runs need a session on a GPU)" if p == "paper" else ""
            text.append(f"Profile `{p}` shows {letters(done)} only: {letters(todo)} "
                        f"{'are' if len(todo) > 1 else 'is'} not run yet{gpu}.")
        else:
            text.append(f"Profile `{p}` shows all {len(panels)}.")
    text.append("The paper's labels for every panel are in `data/paper_numbers.csv`.")
    return " ".join(text)


def _key_frame(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Normalise key columns to comparable strings ('' = not applicable)."""
    out = df.copy()
    for col in keys:
        if col not in out:
            out[col] = np.nan
    baseline = ~out["method"].isin(GAN_METHODS)
    for col in ("dim", "adapter"):
        if col in keys:
            out.loc[baseline, col] = np.nan
    if "ratio" in keys and "adapter" in out:
        out.loc[out["adapter"].eq("keep_linear"), "ratio"] = np.nan

    def fmt(v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return ""
        if isinstance(v, (int, float, np.integer, np.floating)):
            f = float(v)
            return str(int(f)) if f.is_integer() else f"{f:g}"
        return str(v)

    for col in keys:
        out[col] = out[col].map(fmt)
    if "image" in keys:  # the paper names pictures without their file extension ("jack")
        out["image"] = out["image"].map(lambda name: PurePath(name).stem if name else name)
    return out


SORT_ORDER = ["split", "image", "m_over_n", "measurements", "dim", "ratio", "method", "adapter"]


def _sort_key(col: pd.Series) -> pd.Series:
    """Sort numeric-looking key columns as numbers (blank last), others as text."""
    filled = col.astype(str)
    num = pd.to_numeric(filled.replace("", np.nan), errors="coerce")
    if num.notna().sum() == filled.ne("").sum():
        return num.fillna(np.inf)
    return filled


def _range(median: float, lo: float, hi: float) -> str:
    parts = []
    if not math.isnan(median):
        parts.append(f"{median:.2f}")
    if not (math.isnan(lo) or math.isnan(hi)) and (lo != hi or math.isnan(median)):
        parts.append(f"[{lo:.1f}–{hi:.1f}]")  # one value (one picture) has no range
    return " ".join(parts) if parts else DASH


def compare(figure: str, ours: pd.DataFrame, published_only: bool = False) -> pd.DataFrame:
    """A "paper vs ours" table: median [min–max] PSNR per key (split, ratio, method, …).

    ``ours`` is a runner's tidy table (one row per image × method × setting). Rows present on only
    one side are kept, with "—" on the other. ``published_only`` keeps the settings we ran that the
    paper also gave numbers for; if there are none (e.g. a ratio the paper never printed), it keeps
    our rows, so the table still shows what was run. ``delta_db`` = our median − the paper's median.
    Where the paper printed file sizes, ``ours_kib``/``paper_kib`` give the median file size.
    ``paper_approx`` is True where a published value was read off a plot; ``ours_median``,
    ``paper_median``, ``paper_min`` and ``paper_max`` are the numbers behind the text columns.
    """
    if figure not in KEYS:
        raise ValueError(f"no PSNR comparison for {figure!r}; expected one of {', '.join(KEYS)}")
    keys = KEYS[figure]
    if "psnr" not in ours or "method" not in ours:
        raise ValueError("the results table needs 'method' and 'psnr' columns")
    # a figure of named pictures (fig. 4's panels) is compared on the pictures that were run
    pub = paper_numbers(figure, ours["image"].dropna().unique()
                        if "image" in keys and "image" in ours else None)
    mine = ours.copy()
    if figure in POOLED_SPLITS:
        mine["split"] = "all"
    # rates are compared as set: the ratio R asked for (not N / d_c), and M / N of the paper's M
    if "ratio" in keys:
        mine["ratio"] = mine["nominal_ratio"]
    if "m_over_n" in keys:  # the published M / N of the same M (as printed), else M / N
        printed = dict(zip(pub["measurements"].astype(float), pub["m_over_n"].astype(float)))
        nominal = mine["nominal_measurements"].astype(float)
        mine["m_over_n"] = [printed.get(m, m / PAPER_N) for m in nominal]
    mine = _key_frame(mine, keys)
    if "image" in keys:  # a stand-in face is compared with the paper's picture it replaces
        mine["image"] = mine["image"].map(lambda n: paper_picture(n) if n else n)
    pub = _pool(_key_frame(pub, keys), keys)

    image_col = "image" if "image" in mine else None
    grouped = mine.groupby(keys, sort=False, dropna=False)
    agg = grouped["psnr"].agg(ours_median="median", ours_min="min", ours_max="max").reset_index()
    agg["n"] = (grouped[image_col].nunique().values if image_col else grouped.size().values)
    sizes = pub["file_kb"].notna().any() and "bytes" in mine
    if sizes:  # the paper reports file sizes in KiB (section 3.3)
        agg["ours_kib"] = (grouped["bytes"].median() / 1024).round(2).values

    pub = pub.rename(columns={"psnr": "paper_median", "psnr_min": "paper_min",
                              "psnr_max": "paper_max", "note": "paper_note",
                              "file_kb": "paper_kib"})
    pub = pub[keys + ["paper_median", "paper_min", "paper_max", "paper_kib", "paper_note",
                      "approx"]].rename(columns={"approx": "paper_approx"})
    table = agg.merge(pub, on=keys, how="outer")
    table["n"] = table["n"].fillna(0).astype(int)
    table["ours"] = [_range(m, lo, hi) for m, lo, hi in
                     zip(table["ours_median"], table["ours_min"], table["ours_max"])]
    table["paper"] = [_range(m, lo, hi) for m, lo, hi in
                      zip(table["paper_median"], table["paper_min"], table["paper_max"])]
    table["delta_db"] = (table["ours_median"] - table["paper_median"]).round(2)
    table["ours_median"] = table["ours_median"].round(2)
    table["paper_note"] = table["paper_note"].fillna("")
    table["paper_approx"] = table["paper_approx"].astype("boolean").fillna(False).astype(bool)

    order = [k for k in SORT_ORDER if k in keys]
    table = table.sort_values(order, key=_sort_key, kind="stable")
    if "image" in keys:
        ran = {paper_picture(n): _stem(n) for n in ours["image"].dropna().unique()}
        table["image"] = [f"{i} (ours: {ran[i]})" if ran.get(i, i) != i else i
                          for i in table["image"]]
    columns = keys + ["n", "ours", "paper", "delta_db", "ours_median", "paper_median",
                      "paper_min", "paper_max"]
    columns += ["ours_kib", "paper_kib"] if sizes else []
    columns += ["paper_approx", "paper_note"]
    if published_only:
        both = (table["paper"] != DASH) & (table["n"] > 0)
        table = table[both] if both.any() else table[table["n"] > 0]
    return table[columns].reset_index(drop=True)


def _pool(pub: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One published row per key: several (per-picture labels) become median [min–max]."""
    if not pub.duplicated(keys).any():
        return pub
    grouped = pub.groupby(keys, sort=False)
    out = grouped.agg(psnr=("psnr", "median"), psnr_min=("psnr", "min"),
                      psnr_max=("psnr", "max"), file_kb=("file_kb", "median"),
                      approx=("approx", "any"), note=("note", "first")).reset_index()
    counts = grouped.size().values
    out["note"] = [f"{note} (pooled over {n} pictures)" if n > 1 else note
                   for note, n in zip(out["note"], counts)]
    return out


DEFAULT_ADAPTER = "random_linear"  # left out of the summary's setting text
SETTING_LABELS = {"split": "", "image": "", "dim": "d_t ", "adapter": "", "ratio": "R ",
                  "m_over_n": "M/N "}


def summary(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``compare`` for several figures, stacked, keeping only settings the paper gave numbers for.

    ``tables`` maps a figure name (``"fig5"``) to that runner's tidy table. The result is a
    display table indexed by (figure, setting, method) with columns n, ours, paper and delta_db
    (text, signed; "—" where either side lacks a median); paper values read off a plot get "≈".
    """
    parts = []
    for figure, table in tables.items():
        cmp = compare(figure, table)
        cmp = cmp[cmp["paper"] != DASH].reset_index(drop=True)
        keys = [k for k in KEYS[figure] if k != "method"]
        setting = [", ".join(f"{SETTING_LABELS.get(k, k + ' ')}{row[k]}" for k in keys
                             if row[k] and row[k] != DEFAULT_ADAPTER)
                   for _, row in cmp.iterrows()]
        delta = [DASH if pd.isna(d) else f"{d:+.2f}" for d in cmp["delta_db"]]
        approx = cmp["paper_approx"] if "paper_approx" in cmp else [False] * len(cmp)
        paper = [f"≈ {p}" if a is True and not str(p).startswith("≈") else p  # read off a plot
                 for p, a in zip(cmp["paper"], approx)]
        parts.append(pd.DataFrame({"figure": figure, "setting": setting, "method": cmp["method"],
                                   "n": cmp["n"], "ours": cmp["ours"], "paper": paper,
                                   "delta_db": delta}))
    if not parts:
        table = pd.DataFrame(columns=["figure", "setting", "method", "n", "ours", "paper",
                                      "delta_db"])
    else:
        table = pd.concat(parts, ignore_index=True)
    return table.set_index(["figure", "setting", "method"])
