"""The codecs chapter's tiny-file section: a face in 80–1,200 bytes, GANZ against the image codecs.

Reads what ``ganz bench tiny`` recorded under ``results/<profile>/`` (nothing is computed here):

- ``tiny-band-<model>.csv`` (+ ``-summary.csv``, ``.json``, ``-pictures.npz``): the test faces at
  the band's budgets (150 and 250 bytes): whole files, one row per face × budget × codec;
- ``tiny-band-<model>-curve.csv`` (…): the first faces of the same list at budgets from 80 bytes
  to 1.2 KB, for the bytes-vs-PSNR curve.

Rules: a face a codec cannot fit within the budget is *not served* and counts as a loss for that
codec; medians of PSNR and SSIM are over the faces served; the curve uses the faces that both
runs hold, so every point is the same faces.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..baselines.imagecodecs import bd_rate
from ..core.paths import results_dir
from .figure import BookFigure
from .tables import and_list
from .pictures import _grid

MODEL = "celeba64-d64"
CODEC_LABELS = {"ganz": "GANZ", "webp": "WebP", "jpeg": "JPEG", "avif": "AVIF", "jpegxl": "JPEG XL",
                "jpeg2000": "JPEG 2000"}
CODEC_ORDER = list(CODEC_LABELS)


@dataclass
class TinyBand:
    """What ``ganz bench tiny`` recorded: the band (all faces, two budgets), the curve (fewer
    faces, more budgets, may be empty), their run facts, and the kept pictures."""

    band: pd.DataFrame
    curve: pd.DataFrame
    meta: dict
    curve_meta: dict
    pictures: dict[str, np.ndarray]

    @property
    def rows(self) -> pd.DataFrame:
        """The band's rows and the curve's, together."""
        return pd.concat([self.band, self.curve], ignore_index=True)


def _stem(model: str, tag: str = "") -> str:
    return f"tiny-band-{model}" + (f"-{tag}" if tag else "")


def recorded(profile: str = "paper", model: str = MODEL) -> bool:
    return (results_dir() / profile / f"{_stem(model)}.csv").is_file()


def load(profile: str = "paper", model: str = MODEL) -> TinyBand:
    """The recorded run; a ``FileNotFoundError`` naming the command when it is not."""
    root = results_dir() / profile
    band_csv = root / f"{_stem(model)}.csv"
    if not band_csv.is_file():
        raise FileNotFoundError(f"{band_csv} is not recorded: run `ganz bench tiny` (about 2 min "
                                f"per face and budget on a 2-core CPU)")

    def read(tag: str) -> tuple[pd.DataFrame, dict]:
        csv, meta = root / f"{_stem(model, tag)}.csv", root / f"{_stem(model, tag)}.json"
        if not csv.is_file():
            return pd.DataFrame(columns=["image", "budget", "codec", "fits", "bytes", "psnr",
                                         "ssim"]), {}
        return pd.read_csv(csv), (json.loads(meta.read_text()) if meta.is_file() else {})

    band, meta = read("")
    curve, curve_meta = read("curve")
    pics: dict[str, np.ndarray] = {}
    for tag in ("", "curve"):
        p = root / f"{_stem(model, tag)}-pictures.npz"
        if p.is_file():
            with np.load(p) as z:
                pics.update({k: z[k] for k in z.files})
    return TinyBand(band, curve, meta, curve_meta, pics)


def load_or_none(profile: str = "paper", model: str = MODEL) -> TinyBand | None:
    """``load``, or None where nothing is recorded (the section then says so)."""
    return load(profile, model) if recorded(profile, model) else None


NOT_RECORDED = ("The tiny-file run is not recorded in this build's results folder "
                "(`results/paper/tiny-band-celeba64-d64.csv`; `ganz bench tiny` records it).")


def shown(run: TinyBand | None, part: str, **kw):
    """One part of the section for the page: ``served``, ``curve``, ``bd``, ``seconds`` (tables),
    ``plot``, ``pictures`` (``budget=``), ``verdict``, ``provenance`` (Markdown); a note saying
    the run is not recorded where it is not."""
    from IPython.display import Markdown

    from . import tables
    from .figure import message_figure

    if run is None:
        return message_figure(NOT_RECORDED) if part in ("plot", "pictures") else Markdown(NOT_RECORDED)
    if part == "served":
        return tables.show(served(run.band), decimals={"median PSNR (dB)": 2, "median SSIM": 3,
                                                       "median bytes": 0})
    if part == "curve":
        table = curve_table(run)
        return tables.show(table, decimals={c: 2 for c in table.columns if c.endswith("(dB)")})
    if part == "bd":
        return tables.show(bd_against(run), decimals={"BD-rate of GANZ (%)": 1})
    if part == "seconds":
        return tables.show(encode_seconds(run), decimals={"median_wall_s": 0, "median_cpu_s": 0,
                                                          "max_wall_s": 0})
    if part == "plot":
        return plot_curve(run)
    if part == "pictures":
        try:
            return picture_grid(run, kw["budget"])
        except ValueError:
            return message_figure(f"No pictures at {kw['budget']} bytes were kept by the recorded "
                                  f"run (`ganz bench tiny --pictures N` keeps them).")
    if part == "verdict":
        return Markdown(verdict(run))
    if part == "provenance":
        return Markdown(provenance(run))
    raise ValueError(f"unknown part {part!r}")


def _label(codec: str) -> str:
    return CODEC_LABELS.get(codec, codec)


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    rank = {c: i for i, c in enumerate(CODEC_ORDER)}
    return df.sort_values(["budget", "codec"], key=lambda s: s.map(rank) if s.name == "codec" else s)


def served(table: pd.DataFrame) -> pd.DataFrame:
    """Per budget and codec: faces served of all, median PSNR and SSIM of those served, median
    bytes, and (other codecs) the faces where GANZ wins: it fits and the codec does not, or both
    fit and GANZ's PSNR is higher."""
    rows = []
    fits = table["fits"].astype(bool)
    for (budget, codec), g in _ordered(table.assign(fits=fits)).groupby(["budget", "codec"],
                                                                        sort=False):
        ok = g[g["fits"]]
        row = {"budget (B)": int(budget), "codec": _label(codec),
               "faces served": f"{len(ok)} of {len(g)}",
               "median PSNR (dB)": ok["psnr"].median() if len(ok) else math.nan,
               "median SSIM": ok["ssim"].median() if len(ok) else math.nan,
               "median bytes": ok["bytes"].median() if len(ok) else math.nan}
        if codec != "ganz":
            row["GANZ wins"] = f"{_wins(table, budget, codec)} of {len(g)}"
        else:
            row["GANZ wins"] = ""
        rows.append(row)
    return pd.DataFrame(rows)


def _wins(table: pd.DataFrame, budget: int, codec: str) -> int:
    at = table[table["budget"] == budget]
    gz = at[at["codec"] == "ganz"].set_index("image")
    other = at[at["codec"] == codec].set_index("image")
    wins = 0
    for img in other.index.intersection(gz.index):
        a, b = gz.loc[img], other.loc[img]
        if bool(a["fits"]) and (not bool(b["fits"]) or a["psnr"] > b["psnr"]):
            wins += 1
    return wins


def curve_points(run: TinyBand) -> pd.DataFrame:
    """The bytes-vs-PSNR points: per codec and budget, over the faces both runs hold, median bytes,
    PSNR and SSIM of the faces served and how many were served."""
    faces = set(run.curve["image"]) if len(run.curve) else set(run.band["image"])
    both = run.rows
    both = both[both["image"].isin(faces)].assign(fits=lambda d: d["fits"].astype(bool))
    rows = []
    for (codec, budget), g in both.groupby(["codec", "budget"]):
        ok = g[g["fits"]]
        rows.append({"codec": codec, "budget": int(budget), "faces": len(g), "served": len(ok),
                     "bytes": ok["bytes"].median() if len(ok) else math.nan,
                     "psnr": ok["psnr"].median() if len(ok) else math.nan,
                     "ssim": ok["ssim"].median() if len(ok) else math.nan})
    return pd.DataFrame(rows)


def curve_table(run: TinyBand) -> pd.DataFrame:
    """``curve_points`` for reading: one row per budget, per codec its median PSNR and the faces
    served (a dash where it served none)."""
    pts = curve_points(run)
    out = pd.DataFrame({"budget (B)": sorted(pts["budget"].unique())})
    for codec in [c for c in CODEC_ORDER if c in set(pts["codec"])]:
        p = pts[pts["codec"] == codec].set_index("budget")
        out[f"{_label(codec)} PSNR (dB)"] = [p.loc[b, "psnr"] if b in p.index else math.nan
                                             for b in out["budget (B)"]]
        out[f"{_label(codec)} served"] = [f"{p.loc[b, 'served']}/{p.loc[b, 'faces']}"
                                          if b in p.index else "" for b in out["budget (B)"]]
    return out


def bd_against(run: TinyBand) -> pd.DataFrame:
    """BD-rate of GANZ against each codec on the median curves, over the budgets where both served
    every face (so the medians are of the same faces): negative, GANZ needs fewer bytes."""
    pts = curve_points(run)
    full = pts[pts["served"] == pts["faces"]]
    g = full[full["codec"] == "ganz"].sort_values("bytes")
    rows = []
    for codec in [c for c in CODEC_ORDER if c != "ganz" and c in set(pts["codec"])]:
        o = full[full["codec"] == codec].sort_values("bytes")
        value = bd_rate(g["bytes"], g["psnr"], o["bytes"], o["psnr"]) if len(g) and len(o) else math.nan
        lo = max(g["psnr"].min(), o["psnr"].min()) if len(g) and len(o) else math.nan
        hi = min(g["psnr"].max(), o["psnr"].max()) if len(g) and len(o) else math.nan
        note = "" if not math.isnan(value) else (
            "curves do not overlap in PSNR, or fewer than 4 points each" if len(g) and len(o)
            else "no budget where both served every face")
        rows.append({"against": _label(codec), "BD-rate of GANZ (%)": value,
                     "GANZ points": len(g), "codec points": len(o),
                     "PSNR overlap (dB)": f"{lo:.1f}–{hi:.1f}" if not math.isnan(value) else "",
                     "note": note})
    return pd.DataFrame(rows)


def plot_curve(run: TinyBand) -> BookFigure:
    """Median PSNR and SSIM against median file size (log bytes), one line per codec; a point
    where a codec served only some faces is drawn hollow and labelled with the count."""
    pts = curve_points(run)
    fig = BookFigure(figsize=(9.0, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, metric, name in ((axes[0], "psnr", "median PSNR (dB)"), (axes[1], "ssim", "median SSIM")):
        for codec in [c for c in CODEC_ORDER if c in set(pts["codec"])]:
            p = pts[(pts["codec"] == codec) & (pts["served"] > 0)].sort_values("bytes")
            if not len(p):
                continue
            line, = ax.plot(p["bytes"], p[metric], "-", lw=2.2 if codec == "ganz" else 1.3,
                            label=_label(codec))
            whole = p["served"] == p["faces"]
            ax.plot(p.loc[whole, "bytes"], p.loc[whole, metric], "o", color=line.get_color())
            ax.plot(p.loc[~whole, "bytes"], p.loc[~whole, metric], "o", mfc="white",
                    color=line.get_color())
            for _, r in p[~whole].iterrows():
                ax.annotate(f"{r['served']}/{r['faces']}", (r["bytes"], r[metric]), fontsize=8,
                            xytext=(3, -10), textcoords="offset points", color=line.get_color())
        ax.set_xscale("log")
        ax.set_xlabel("file size, bytes (whole file, log scale)", fontsize=10)
        ax.set_ylabel(name, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=9)
    return fig


def _original(face: str, size: int) -> np.ndarray | None:
    """The test face as the run saw it (the face box at the model's size), where this build has
    the data; None where it has not (the originals are never committed)."""
    from ..core.data import celeba_dir, load_face
    from ..core.errors import MissingDataError

    try:
        path = celeba_dir() / face
        return np.asarray(load_face(path, size)) if path.is_file() else None
    except MissingDataError:
        return None


def picture_grid(run: TinyBand, budget: int) -> BookFigure:
    """The kept faces at one budget: the original (drawn from the data, where this build has it),
    then each codec's decoded file; a codec that cannot fit the face is shown with its smallest
    file and titled with its size."""
    faces = list(dict.fromkeys(k.split("/")[0] for k in run.pictures))
    codecs = [c for c in CODEC_ORDER if any(k == f"{f}/{budget}/{c}" for f in faces
                                           for k in run.pictures)]
    if not faces or not codecs:
        raise ValueError(f"no pictures recorded at {budget} bytes")
    table = run.rows
    size = int(run.meta.get("image_size") or next(iter(run.pictures.values())).shape[0])
    cells, titles, missing = [], [], []
    for f in faces:
        original = run.pictures.get(f"{f}/original")
        if original is None:
            original = _original(f, size)
        row, trow = [original], ["original" if not cells else ""]
        missing.append(["original not included in this build"] + [""] * len(codecs))
        for c in codecs:
            row.append(run.pictures.get(f"{f}/{budget}/{c}"))
            hit = table[(table["image"] == f) & (table["budget"] == budget) & (table["codec"] == c)]
            if len(hit):
                h = hit.iloc[0]
                tag = f"{int(h['bytes'])} B, {h['psnr']:.1f} dB"
                trow.append(tag if bool(h["fits"]) else f"cannot fit: {int(h['bytes'])} B")
            else:
                trow.append("")
        cells.append(row)
        titles.append(trow)
    cols = ["original"] + [_label(c) for c in codecs]
    return _grid(cells, col_titles=cols, cell_titles=[[""] + t[1:] for t in titles], size=1.9,
                 missing=missing)


def verdict(run: TinyBand) -> str:
    """The section's verdict, every number read from the recorded band: the 150-byte target, the
    250-byte comparison with WebP (an unserved face a loss), and where GANZ loses."""
    t = run.band.assign(fits=run.band["fits"].astype(bool))
    out = []
    for budget in sorted(t["budget"].unique()):
        at = t[t["budget"] == budget]
        g = at[at["codec"] == "ganz"]
        ok = g[g["fits"]]
        text = (f"**At {int(budget)} bytes** GANZ wrote a file for {len(ok)} of {len(g)} faces "
                f"(largest {int(ok['bytes'].max()) if len(ok) else 0} B), median "
                f"{ok['psnr'].median():.2f} dB PSNR, {ok['ssim'].median():.3f} SSIM.")
        others = []
        for codec in [c for c in CODEC_ORDER if c != "ganz" and c in set(at["codec"])]:
            o = at[at["codec"] == codec]
            n_ok = int(o["fits"].sum())
            med = o.loc[o["fits"], "psnr"].median()
            others.append(f"{_label(codec)} served {n_ok} of {len(o)}"
                          + (f" (median {med:.2f} dB)" if n_ok else "")
                          + f", GANZ wins on {_wins(t, budget, codec)} of {len(o)}")
        out.append(text + " " + "; ".join(others) + ".")
    target = t[(t["codec"] == "ganz") & (t["budget"] == 150)]
    if len(target):
        ok = target[target["fits"]]
        holds = len(ok) == len(target) and (target["bytes"] <= 150).all() and ok["psnr"].median() >= 20
        out.append(f"The 150-byte target (a file for every face, none above 150 B, median ≥ 20 dB) "
                   f"{'holds' if holds else 'does not hold'}.")
    at250 = t[t["budget"] == 250]
    if len(at250) and {"ganz", "webp"} <= set(at250["codec"]):
        def med0(c):  # an unserved face counts as a loss: 0 dB
            g = at250[at250["codec"] == c]
            return float(np.median(np.where(g["fits"], g["psnr"].fillna(0), 0.0)))
        gap = med0("ganz") - med0("webp")
        out.append(f"At 250 bytes, counting a face a codec cannot fit as 0 dB, GANZ's median is "
                   f"{med0('ganz'):.2f} dB against WebP's {med0('webp'):.2f} dB "
                   f"({gap:+.2f} dB): " + ("GANZ is ahead." if gap >= 0 else
                                           "**GANZ loses** to WebP where WebP can write a file; "
                                           "it wins only on the faces WebP cannot fit."))
    if len(run.curve):
        pts = curve_points(run)
        above = []
        for budget in sorted(pts["budget"].unique()):
            at = pts[pts["budget"] == budget].set_index("codec")
            if "ganz" not in at.index:
                continue
            better = [c for c in CODEC_ORDER if c != "ganz" and c in at.index
                      and at.loc[c, "served"] == at.loc[c, "faces"]
                      and at.loc[c, "psnr"] > at.loc["ganz", "psnr"]]
            if better:
                above.append(f"{int(budget)} B ({and_list(_label(c) for c in better)})")
        if above:
            out.append(f"On the curve's {int(pts['faces'].max())} faces, a codec that serves every "
                       f"face has a higher median PSNR than GANZ at " + "; ".join(above) + ".")
    return "\n\n".join(out)


def provenance(run: TinyBand) -> str:
    """One line: model, faces, budgets, commit, CPU and threads of each recorded run."""
    parts = []
    for name, m in (("band", run.meta), ("curve", run.curve_meta)):
        if m:
            parts.append(f"{name}: model `{m.get('model')}`, {len(m.get('faces', []))} test faces, "
                         f"budgets {', '.join(map(str, m.get('budgets', [])))} B, commit "
                         f"`{m.get('commit')}`, {m.get('cpu')} ({m.get('threads') or 'default'} "
                         f"threads), {m.get('created', '')[:10]}, load average "
                         f"{(m.get('load_average_start') or ['?'])[0]} at the start")
    return "Recorded by `ganz bench tiny`; " + "; ".join(parts) + "."


def encode_seconds(run: TinyBand) -> pd.DataFrame:
    """GANZ's wall and CPU seconds per face (one cold ``ganz compress --max-bytes`` process)."""
    both = run.rows
    g = both[both["codec"] == "ganz"]
    return (g.groupby("budget")
             .agg(faces=("image", "size"), median_wall_s=("seconds", "median"),
                  median_cpu_s=("cpu_seconds", "median"), max_wall_s=("seconds", "max"))
             .reset_index().rename(columns={"budget": "budget (B)"}))
