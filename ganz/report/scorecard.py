"""The book's scorecard: every number the paper printed beside ours, and the headline.

Read from the recorded results only (``runs.load_figures``), never typed by hand:

* ``numbers(runs)``: one row per published number (fig. 3's per-picture labels pooled per split
  and adapter, as the figure page does), on the profile each figure's verdict rests on: ours,
  the run (profile, image size), the difference, the tolerance, whether it holds, and the main
  cause of the gap;
* ``by_figure(numbers, runs)``: the same, one row per figure, with the verdict's own headings;
* ``images_seen()`` and ``headline(...)``: the main result (held-out faces at R = 10) and its
  main cause, the images the generator saw against the paper's recipe, with the measured gain
  per doubling and what it predicts (stated as a prediction, with its range).
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..results.profiles import get_profile
from . import paper as pp
from . import recorded, verdicts
from .runs import Runs, verdict_for
from .tables import METHOD_NAMES

#: the original code's training split: CelebA 000001–192470 (its test split starts at 192471)
PAPER_TRAIN_FACES = 192_470
#: the headline: the paper's Fig. 5 held-out faces at R = 10
HEADLINE = {"figure": "fig5", "split": "test", "ratio": 10.0}
TOLERANCE_NOTE = (f"A number holds when ours is within ±{verdicts.TIE_DB:g} dB of the paper's "
                  f"(its plotted values are read to about that, and one picture's search moves "
                  f"by about as much), inside a range the paper gave, or above a bound it gave.")
ADAPTER_NAMES = {"keep_linear": "trained layer", "square_linear": "square layer",
                 "no_linear": "no layer"}
#: published results of other methods that GANZ is to beat: judged on our GANZ median
BOUNDS = ("bora2017",)
COLUMNS = ["figure", "what the paper printed", "paper (dB)", "ours (dB)", "run",
           "ours − paper (dB)", "tolerance", "holds", "main cause"]


def paper_images_seen() -> int:
    """Training images the paper's generator saw: the original recipe's epochs over its split."""
    from ..core.config import TrainConfig

    return TrainConfig.original().epochs * PAPER_TRAIN_FACES


def images_seen(profile: str = "paper") -> dict:
    """The profile's default dim-64 model against the paper's recipe: images seen, distinct
    faces, the fraction, and the measured dB per doubling of images seen (per split, from the
    profile's recorded training lengths; empty where only one is recorded)."""
    from ..core.data import train_face_count
    from . import imagesseen

    prof = get_profile(profile)
    facts = recorded.model_facts(prof.models[64])
    ours, theirs = int(facts.get("images_seen") or 0), paper_images_seen()
    slopes = imagesseen.per_doubling(imagesseen.psnr_by_images_seen((profile,)))
    return {"profile": profile, "model": prof.models[64], "ours": ours, "paper": theirs,
            "fraction": ours / theirs if theirs else math.nan,
            "doublings": math.log2(theirs / ours) if ours else math.nan,
            "faces": train_face_count(prof.image_set), "paper_faces": PAPER_TRAIN_FACES,
            "per_doubling": slopes.groupby("split")["dB per doubling"].mean().to_dict()}


def _what(row: pd.Series, figure: str) -> str:
    parts = [METHOD_NAMES.get(row["method"], row["method"])]
    if row.get("image"):
        panel = pp.FIG4_PANELS.get(row.get("split", ""), "")
        parts.append(f"panel ({panel}) `{row['image']}`" if panel else f"`{row['image']}`")
    elif row.get("split") and row["split"] != "all":
        parts.append(verdicts.SPLIT_NAMES.get(row["split"], row["split"]))
    if row.get("dim"):
        parts.append(f"d_t = {row['dim']}")
    if row.get("adapter") in ADAPTER_NAMES:
        parts.append(ADAPTER_NAMES[row["adapter"]])
    if row.get("ratio"):
        parts.append(f"R = {row['ratio']}")
    if row.get("m_over_n"):
        parts.append(f"M/N = {float(row['m_over_n']):.2f}")
    return ", ".join(parts)


def _judge(row: pd.Series) -> tuple[str, str, str]:
    """(tolerance, holds, paper's value as text) for one row of ``paper.compare``; a bound the
    paper gave (Bora et al.'s best) is judged on our GANZ median beside it."""
    approx = "≈ " if row.get("paper_approx") else ""
    ours, med = row["ours_median"], row["paper_median"]
    lo, hi = row.get("paper_min"), row.get("paper_max")
    if row["n"] == 0 or pd.isna(ours):
        return "", "not run", f"{approx}{row['paper']}"
    if row["method"] in BOUNDS:
        return f"GANZ above {med:.2f}", "yes" if ours > med else "no", f"{approx}{med:.2f}"
    if pd.isna(med) and not (pd.isna(lo) or pd.isna(hi)):
        return (f"inside {lo:g}–{hi:g}", "yes" if lo <= ours <= hi else "no",
                f"{approx}{lo:g}–{hi:g}")
    tol = verdicts.TIE_DB
    return f"±{tol:g} dB", "yes" if abs(ours - med) <= tol else "no", f"{approx}{med:.2f}"


def _cause(row: pd.Series, holds: str, model: Mapping, size: int, seen: dict) -> str:
    if holds == "not run":
        return ("face not in our CelebA copy; its stand-in not run yet" if row.get("image")
                else "not recorded yet")
    if holds == "yes":
        return ""
    if row["method"] in BOUNDS:
        return "GANZ falls short of the bound"
    if row["method"].startswith("wavelet"):
        return f"smaller pictures ({size}×{size}, not 128×128); the wavelet needs no training"
    n = int(model.get("images_seen") or 0)
    frac = n / seen["paper"] if seen.get("paper") else math.nan
    return (f"undertrained generator: {n:,} training images, {frac:.1%} of the paper's "
            f"≈ {seen['paper'] / 1e6:.1f} M" + ("" if size == 64 else f"; {size}×{size} pictures"))


def numbers(runs: Mapping[str, Runs]) -> pd.DataFrame:
    """One row per number the paper printed (``COLUMNS``), on each figure's verdict profile."""
    seen = {"paper": paper_images_seen()}
    rows = []
    for figure, r in runs.items():
        if figure not in pp.KEYS:
            continue
        name, res = r.main_profile, r.main
        size = get_profile(name).image_size
        models = recorded.provenance(res)["models"]
        by_dim = {m.get("latent_dim"): m for m in models}
        cmp = pp.compare(figure, res.table)
        keys = [k for k in pp.KEYS[figure] if k not in ("method", "adapter", "dim")]
        ganz = cmp[cmp["method"] == "ganz"].set_index(keys)
        cmp = cmp[cmp["paper"] != pp.DASH]
        for _, row in cmp.iterrows():
            row = row.copy()
            if row["method"] in BOUNDS:  # ours: the GANZ median at the same setting
                at = ganz.loc[[tuple(row[k] for k in keys)]] if len(keys) > 1 else \
                    ganz.loc[[row[keys[0]]]]
                row["ours_median"], row["n"] = at["ours_median"].iloc[0], at["n"].iloc[0]
                row["delta_db"] = float("nan")  # a bound to beat, not the same quantity
            tol, holds, paper_text = _judge(row)
            model = by_dim.get(int(row["dim"]) if row.get("dim") else 64, models[0] if models else {})
            rows.append({"figure": figure, "what the paper printed": _what(row, figure),
                         "paper (dB)": paper_text,
                         "ours (dB)": (f"{row['ours_median']:.2f}" if holds != "not run" else "—"),
                         "run": f"{name}, {size}×{size}",
                         "ours − paper (dB)": ("" if pd.isna(row["delta_db"])
                                               else f"{row['delta_db']:+.2f}"),
                         "tolerance": tol, "holds": holds,
                         "main cause": _cause(row, holds, model, size, seen),
                         "paper's note": row.get("paper_note", "")})
        if figure == "fig4":
            rows += _missing_panels(r, name, size)
    return pd.DataFrame(rows, columns=[*COLUMNS, "paper's note"])


def numbers_table(runs: Mapping[str, Runs]):
    """``numbers`` for reading (the paper's notes are in the CSV), with the tolerance rule."""
    from . import tables

    return tables.show(numbers(runs).drop(columns=["paper's note"]), notes=[TOLERANCE_NOTE])


def _missing_panels(r: Runs, name: str, size: int) -> list[dict]:
    """Fig. 4's panels that were not run, one row each with its number of printed labels."""
    panels = pp.fig4_panels({n: res.table for n, res in r.results.items()})
    pub = pp.paper_numbers("fig4")
    out = []
    for _, p in panels[panels["run_under"] == ""].iterrows():
        k = int((pub["image"] == p["picture"]).sum())
        elsewhere = [other for other in ("paper", "cpu-small") if other != name and any(
            str(c.get("image", "")) == p["stand_in"]
            for c in recorded.recorded_params("fig4", other))]
        ran = (f"run under {', '.join(f'`{o}`' for o in elsewhere)} only (the fig. 4 page)"
               if elsewhere else "not run yet")
        out.append({"figure": "fig4",
                    "what the paper printed": f"panel ({p['panel']}) `{p['picture']}`: {k} labels "
                                              f"(GANZ, trained layer, wavelet at R = 10–768)",
                    "paper (dB)": "see data/paper_numbers.csv", "ours (dB)": "—",
                    "run": f"{name}, {size}×{size}", "ours − paper (dB)": "", "tolerance": "",
                    "holds": "not run",
                    "main cause": f"face not in our CelebA copy; stand-in `{p['stand_in']}` "
                                  f"{ran}", "paper's note": ""})
    return out


def _heads(text: str) -> str:
    """The bold headings of a verdict ("Reproduces", "Partly reproduces", …), counted."""
    heads = [h for h in re.findall(r"\*\*([^*]+?):\*\*", text) if h != "By how much"]
    counts = pd.Series(heads).value_counts() if heads else pd.Series(dtype=int)
    return "; ".join(f"{k.lower()} ×{v}" if v > 1 else k.lower() for k, v in counts.items())


def by_figure(table: pd.DataFrame, runs: Mapping[str, Runs]) -> pd.DataFrame:
    """One row per figure: the run its verdict rests on, how many of the paper's numbers hold,
    the range of our differences, the verdict's headings and the main cause."""
    rows = []
    for figure, r in runs.items():
        t = table[table["figure"] == figure]
        diffs = pd.to_numeric(t["ours − paper (dB)"], errors="coerce").dropna()
        judged = t[t["holds"].isin(["yes", "no"])]
        not_run = int((t["holds"] == "not run").sum())
        causes = [c for c in t.loc[t["holds"] == "no", "main cause"] if c]
        main = verdict_for(figure, r.main, **_verdict_params(r))
        rows.append({"figure": f"Fig. {figure.removeprefix('fig')}", "run": f"{r.main_profile}, "
                                               f"{get_profile(r.main_profile).image_size}²",
                     "numbers within tolerance": (f"{(judged['holds'] == 'yes').sum()} of "
                                                  f"{len(judged)}" if len(judged) else "—")
                     + (f" ({not_run} not run)" if not_run else ""),
                     "ours − paper (dB)": (f"{diffs.min():+.1f} to {diffs.max():+.1f}"
                                           if len(diffs) else "—"),
                     "the page's verdict": _heads(main.text),
                     "main cause": (pd.Series(causes).value_counts().index[0] if causes else "")})
    return pd.DataFrame(rows)


def _verdict_params(r: Runs) -> dict:
    from . import pageparams
    from .runs import figure_ratios

    if r.figure in ("fig4", "fig5"):
        key = figure_ratios(r.figure)
        return {"ratios": r.params.get(key, pageparams.PAGE_DEFAULTS[r.figure][key])}
    return {}


def headline(table: pd.DataFrame, seen: Mapping) -> str:
    """The main result and its main cause, in a short paragraph (Markdown)."""
    split = verdicts.SPLIT_NAMES[HEADLINE["split"]]
    row = table[(table["figure"] == HEADLINE["figure"])
                & table["what the paper printed"].str.startswith("GANZ")
                & table["what the paper printed"].str.contains(split)
                & table["what the paper printed"].str.endswith(f"R = {HEADLINE['ratio']:g}")]
    if row.empty:
        return ""
    row = row.iloc[0]
    ours, theirs = float(row["ours (dB)"]), float(row["paper (dB)"].lstrip("≈ "))
    text = (f"**The main result.** On {split} at R = {HEADLINE['ratio']:g} (Fig. 5) our median "
            f"PSNR is **{ours:.2f} dB** (profile `{row['run'].replace(', ', '`, ', 1)} pictures) "
            f"against the paper's ≈ {theirs:.1f} dB "
            f"({ours - theirs:+.1f} dB; the paper's value is the median of the points its plot "
            f"shows, so probably low). ")
    slopes = seen.get("per_doubling", {})
    text += (f"**Main cause:** our generator `{seen['model']}` saw {seen['ours']:,} training "
             f"images, {seen['fraction']:.1%} of the paper's ≈ {seen['paper'] / 1e6:.1f} M "
             f"({seen['paper'] // seen['paper_faces']} epochs of {seen['paper_faces']:,} faces), "
             f"drawn from {seen['faces']:,} distinct faces.")
    if HEADLINE["split"] in slopes:
        s = slopes[HEADLINE["split"]]
        lo, hi = min(slopes.values()), max(slopes.values())
        d = seen["doublings"]
        text += (f" Between its two recorded training lengths the PSNR on {split} rose "
                 f"{s:+.2f} dB per doubling of the images seen ({lo:+.2f} to {hi:+.2f} over the "
                 f"three splits). *A prediction, not a measurement:* carried over the "
                 f"{d:.1f} doublings to the paper's images, that slope gives {s * d:+.1f} dB "
                 f"({lo * d:+.1f} to {hi * d:+.1f}), so about {ours + s * d:.1f} dB "
                 f"({ours + lo * d:.1f}–{ours + hi * d:.1f}) against the paper's "
                 f"≈ {theirs:.1f}. It rests on two points, and gains per doubling tend to shrink "
                 f"with longer training, so take it as an upper estimate of what more images of "
                 f"these faces alone would give.")
    return text


def landing(figures=("fig2", "fig3", "fig4", "fig5", "fig8"), profile: str | None = None,
            csv: str = "scorecard.csv"):
    """The landing page's scorecard: the headline, one row per figure, the tolerance rule, and
    the full table (every number) written to ``downloads/<csv>`` for the page to link."""
    from IPython.display import Markdown

    from . import tables
    from .runs import load_figures

    runs = load_figures(list(figures), profile)
    full = numbers(runs)
    tables.download(full, csv)
    seen = images_seen(runs[HEADLINE["figure"]].main_profile)
    per_fig = tables.show(by_figure(full, runs), notes=[TOLERANCE_NOTE])
    return Scorecard(Markdown(headline(full, seen)), per_fig, full, seen)


@dataclass
class Scorecard:
    """What the landing page shows: the headline paragraph (``Markdown``), the per-figure table
    (``tables.Table``); ``full`` is every number, ``seen`` the images-seen facts."""

    headline: object
    per_figure: object
    full: pd.DataFrame
    seen: dict
