"""Rate–distortion analysis of ``ganz.study.ratedistortion``'s tables (reads only): summaries per rate
bucket, head-to-head at equal bytes, Bjøntegaard deltas, crossovers and verdicts, bit-depth checks."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..results.profiles import SPLITS
from ..results.rdschema import GANZ_METHODS, RATE_EDGES

def _ganz(table: pd.DataFrame) -> pd.Series:
    return table["method"].isin(GANZ_METHODS)


def distinct(table: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct encoding: a codec file reached from several budgets counts once."""
    codec = table[~_ganz(table)].drop_duplicates(["split", "image", "method", "quality", "bytes"])
    return pd.concat([table[_ganz(table)], codec]).sort_index()


def rate_bucket(bpp: pd.Series) -> pd.Series:
    """Octave buckets of bits per pixel, labelled like '0.25–0.5'."""
    labels = [f"{lo:g}–{hi:g}" if math.isfinite(hi) else f"≥{lo:g}"
              for lo, hi in zip(RATE_EDGES[:-1], RATE_EDGES[1:])]
    return pd.cut(bpp, RATE_EDGES, right=False, labels=labels)


def rd_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std of PSNR and SSIM per split, method, bit depth (GANZ) and bpp octave.

    Codec files reached from several budgets count once; ``unreachable`` counts the points that
    are a codec's smallest file standing in for a budget it could not reach.
    """
    d = distinct(table).assign(rate=lambda t: rate_bucket(t["bpp"]))
    d["bits"] = d["bits"].astype("Int64")
    g = d.groupby(["split", "method", "bits", "rate"], dropna=False, observed=True, sort=True)
    out = g.agg(n=("psnr", "size"), unreachable=("reachable", lambda r: int((~r).sum())),
                bpp=("bpp", "mean"), psnr=("psnr", "mean"), psnr_std=("psnr", "std"),
                ssim=("ssim", "mean"), ssim_std=("ssim", "std"))
    return out.reset_index().round({"bpp": 3, "psnr": 2, "psnr_std": 2, "ssim": 3, "ssim_std": 3})


def ganz_curve(table: pd.DataFrame, split: str, variant: str = "ganz") -> pd.DataFrame:
    """Mean points (over images) of each GANZ setting (adapter, ratio, bits) on ``split``.

    ``variant="ganz_qat"`` pools plain and QAT points (an encoder may keep whichever is better).
    """
    methods = ("ganz",) if variant == "ganz" else GANZ_METHODS
    rows = table[(table["split"] == split) & table["method"].isin(methods)]
    g = rows.groupby(["method", "adapter", "ratio", "nominal_ratio", "bits"], dropna=False)
    return g.agg(bytes=("bytes", "mean"), bpp=("bpp", "mean"), psnr=("psnr", "mean"),
                 psnr_std=("psnr", "std"), ssim=("ssim", "mean"), ssim_std=("ssim", "std"),
                 n=("psnr", "size")).reset_index().sort_values("bpp")


def codec_curve(table: pd.DataFrame, split: str, codec: str) -> pd.DataFrame:
    """Mean points of one codec per budget on ``split``; ``all_reachable`` tells whether every
    image's file met the budget (only those points make the codec's curve)."""
    rows = table[(table["split"] == split) & (table["method"] == codec)]
    n_images = rows["image"].nunique()
    g = rows.groupby("budget")
    out = g.agg(bytes=("bytes", "mean"), bpp=("bpp", "mean"), psnr=("psnr", "mean"),
                psnr_std=("psnr", "std"), ssim=("ssim", "mean"), ssim_std=("ssim", "std"),
                n=("psnr", "size"), unreachable=("reachable", lambda r: int((~r.astype(bool)).sum())))
    out = out.reset_index()
    out["all_reachable"] = (out["unreachable"] == 0) & (out["n"] >= n_images)
    return out.sort_values("bpp")


def pareto(curve: pd.DataFrame, metric: str = "psnr") -> pd.DataFrame:
    """The points no other point beats (fewer or equal bpp and higher ``metric``), by bpp."""
    c = curve.sort_values(["bpp", metric], ascending=[True, False])
    keep, best = [], -math.inf
    for idx, v in zip(c.index, c[metric]):
        if v > best:
            keep.append(idx)
            best = v
    return c.loc[keep]


def envelope(table: pd.DataFrame, split: str, method: str, metric: str = "psnr") -> pd.DataFrame:
    """The best-setting curve of a method on a split: GANZ over all ratios and bit depths, or a
    codec over its reachable budgets."""
    if method in GANZ_METHODS:
        return pareto(ganz_curve(table, split, method), metric)
    c = codec_curve(table, split, method)
    return pareto(c[c["all_reachable"]], metric)


def _codecs_in(table: pd.DataFrame) -> list[str]:
    return [m for m in dict.fromkeys(table["method"]) if m not in GANZ_METHODS]


def _splits_in(table: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(table["split"]))
    return [s for s in SPLITS if s in present] + [s for s in present if s not in SPLITS]


def _variants_in(table: pd.DataFrame) -> list[str]:
    return [m for m in GANZ_METHODS if (table["method"] == m).any()]


def _per_image_bd(table: pd.DataFrame, split: str, variant: str, codec: str) -> list[float]:
    """BD-rate per image: that image's GANZ frontier against its codec frontier (distinct
    reachable files)."""
    from ..baselines.imagecodecs import bd_rate

    methods = ("ganz",) if variant == "ganz" else GANZ_METHODS
    rows = distinct(table[table["split"] == split])
    out = []
    for _, img in rows.groupby("image"):
        g = pareto(img[img["method"].isin(methods)])
        c = pareto(img[(img["method"] == codec) & img["reachable"]])
        if len(g) >= 4 and len(c) >= 4:
            out.append(bd_rate(g["bpp"], g["psnr"], c["bpp"], c["psnr"]))
    return [v for v in out if math.isfinite(v)]


def _overlap(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    return (max(a.min(), b.min()), min(a.max(), b.max())) if len(a) and len(b) else (math.nan, math.nan)


def bd_table(table: pd.DataFrame) -> pd.DataFrame:
    """Bjøntegaard deltas of the GANZ envelope (best ratio and bit depth) against each codec.

    ``bd_rate_pct`` > 0: GANZ needs that many percent *more* bytes than the codec for the same
    PSNR (averaged over the overlapping PSNR range ``psnr_lo``–``psnr_hi``); ``bd_psnr_db`` > 0:
    GANZ has that much *higher* PSNR at the same rate (over ``bpp_lo``–``bpp_hi``). Both use mean
    curves over the split's images; ``bd_rate_median_img`` is the median of per-image BD-rates.
    nan (with a note) where the curves do not overlap or have fewer than 4 points.
    """
    from ..baselines.imagecodecs import bd_psnr, bd_rate

    rows = []
    for split in _splits_in(table):
        for variant in _variants_in(table):
            g = envelope(table, split, variant)
            for codec in _codecs_in(table):
                c = envelope(table, split, codec)
                p_lo, p_hi = _overlap(g["psnr"], c["psnr"])
                r_lo, r_hi = _overlap(g["bpp"], c["bpp"])
                note = ""
                if len(g) < 4 or len(c) < 4:
                    note = f"too few points (GANZ {len(g)}, {codec} {len(c)}; need 4)"
                    br = bp = math.nan
                else:
                    br = bd_rate(g["bpp"], g["psnr"], c["bpp"], c["psnr"])
                    bp = bd_psnr(g["bpp"], g["psnr"], c["bpp"], c["psnr"])
                    if not math.isfinite(br):
                        note = "PSNR ranges do not overlap"
                    if not math.isfinite(bp):
                        note = (note + "; " if note else "") + "bpp ranges do not overlap"
                per_image = _per_image_bd(table, split, variant, codec)
                rows.append({"split": split, "ganz": variant, "codec": codec,
                             "bd_rate_pct": br, "bd_psnr_db": bp,
                             "psnr_lo": p_lo if p_hi > p_lo else math.nan,
                             "psnr_hi": p_hi if p_hi > p_lo else math.nan,
                             "bpp_lo": r_lo if r_hi > r_lo else math.nan,
                             "bpp_hi": r_hi if r_hi > r_lo else math.nan,
                             "ganz_points": len(g), "codec_points": len(c),
                             "bd_rate_median_img": float(np.median(per_image)) if per_image else math.nan,
                             "images_with_bd": len(per_image), "note": note})
    return pd.DataFrame(rows).round({"bd_rate_pct": 1, "bd_psnr_db": 2, "psnr_lo": 2, "psnr_hi": 2,
                                     "bpp_lo": 3, "bpp_hi": 3, "bd_rate_median_img": 1})


def _gap_on_overlap(g: pd.DataFrame, c: pd.DataFrame, metric: str = "psnr",
                    samples: int = 400) -> tuple[np.ndarray, np.ndarray] | None:
    """GANZ − codec ``metric`` along log-bpp over the overlap of the two envelopes (linear
    interpolation between points), or None without overlap."""
    lo, hi = _overlap(g["bpp"], c["bpp"])
    if not (len(g) >= 2 and len(c) >= 2 and hi > lo):
        return None
    t = np.linspace(math.log(lo), math.log(hi), samples)
    ga = np.interp(t, np.log(g["bpp"].to_numpy()), g[metric].to_numpy())
    ca = np.interp(t, np.log(c["bpp"].to_numpy()), c[metric].to_numpy())
    return np.exp(t), ga - ca


def _intervals(b: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        if (not m or i == len(mask) - 1) and start is not None:
            end = i if m else i - 1
            out.append((float(b[start]), float(b[end])))
            start = None
    return out


def _crossings(b: np.ndarray, gap: np.ndarray) -> list[float]:
    out = []
    for i in range(len(gap) - 1):
        if gap[i] == 0 or gap[i] * gap[i + 1] < 0:
            f = gap[i] / (gap[i] - gap[i + 1]) if gap[i] != gap[i + 1] else 0.0
            out.append(float(math.exp(math.log(b[i]) + f * (math.log(b[i + 1]) - math.log(b[i])))))
    return out


def crossover(table: pd.DataFrame, codec: str = "jpeg", split: str = "test",
              variant: str = "ganz", metric: str = "psnr") -> dict:
    """Where the GANZ envelope crosses a codec's envelope (mean curves, log-bpp interpolation).

    Returns the crossing bpp values (``crossings``; ``bpp`` is the first or None), who leads at
    the low and high end of the overlap, the ranges, and a one-sentence ``statement``.
    """
    g, c = envelope(table, split, variant, metric), envelope(table, split, codec, metric)
    out = {"split": split, "codec": codec, "ganz": variant, "metric": metric,
           "ganz_bpp": (float(g["bpp"].min()), float(g["bpp"].max())) if len(g) else None,
           "codec_bpp": (float(c["bpp"].min()), float(c["bpp"].max())) if len(c) else None,
           "crossings": [], "bpp": None, "low_end": None, "high_end": None}
    out.update(_per_image_crossings(table, split, variant, codec, metric))
    per_image = ""
    if out["images_crossing"]:
        per_image = (f" Image by image (each image's own curves, including budgets only some images "
                     f"reach), GANZ hands the lead to {codec} at a median {out['bpp_median_img']:.3g} bpp "
                     f"(quartiles {out['bpp_q1_img']:.3g}–{out['bpp_q3_img']:.3g}; "
                     f"{out['images_crossing']} of {out['images']} images).")
    res = _gap_on_overlap(g, c, metric)
    if res is None:
        out["statement"] = (f"On {split}, GANZ ({_range(out['ganz_bpp'])} bpp) and {codec} "
                            f"({_range(out['codec_bpp'])} bpp) share no rate range: no crossover "
                            f"of the mean curves.{per_image}")
        return out
    b, gap = res
    out["crossings"] = _crossings(b, gap)
    out["bpp"] = out["crossings"][0] if out["crossings"] else None
    out["low_end"] = "ganz" if gap[0] > 0 else codec
    out["high_end"] = "ganz" if gap[-1] > 0 else codec
    unit = "dB" if metric == "psnr" else ""
    where = f"over {b[0]:.3g}–{b[-1]:.3g} bpp, where both exist"
    if out["crossings"]:
        xs = ", ".join(f"{v:.3g}" for v in out["crossings"])
        out["statement"] = (f"On {split}, GANZ crosses {codec} at {xs} bpp ({metric}, mean curves; "
                            f"{_leader(out['low_end'])} leads below, {_leader(out['high_end'])} above; {where}).")
    else:
        lead = _leader(out["low_end"])
        out["statement"] = (f"On {split}, {lead} leads {codec if lead == 'GANZ' else 'GANZ'} {where} "
                            f"(gap {np.min(np.abs(gap)):.2f}–{np.max(np.abs(gap)):.2f} {unit}); no crossover.")
    if len(c) and len(g) and g["bpp"].min() < c["bpp"].min():
        out["statement"] += (f" Below {c['bpp'].min():.3g} bpp {codec} cannot make a file for every "
                             f"image at all; GANZ goes down to {g['bpp'].min():.3g} bpp.")
    out["statement"] += per_image
    return out


def _per_image_crossings(table: pd.DataFrame, split: str, variant: str, codec: str,
                         metric: str = "psnr") -> dict:
    """Per image, the first rate at which the codec overtakes GANZ (GANZ leading just below);
    each image's frontier uses every distinct file it got, so budgets that only some images can
    meet count too. Median and quartiles over the images where that happens."""
    methods = ("ganz",) if variant == "ganz" else GANZ_METHODS
    rows = distinct(table[table["split"] == split])
    found, n = [], 0
    for _, img in rows.groupby("image"):
        n += 1
        g = pareto(img[img["method"].isin(methods)], metric)
        c = pareto(img[(img["method"] == codec) & img["reachable"]], metric)
        res = _gap_on_overlap(g, c, metric)
        if res is None:
            continue
        b, gap = res
        for i in range(len(gap) - 1):
            if gap[i] > 0 >= gap[i + 1]:
                found.append(_crossings(b[i:i + 2], gap[i:i + 2])[0])
                break
    q = np.percentile(found, [25, 50, 75]) if found else [math.nan] * 3
    return {"images": n, "images_crossing": len(found), "bpp_q1_img": float(q[0]),
            "bpp_median_img": float(q[1]), "bpp_q3_img": float(q[2])}


def _leader(who: str | None) -> str:
    return "GANZ" if who == "ganz" else str(who)


def _range(r) -> str:
    return "none" if r is None else f"{r[0]:.3g}–{r[1]:.3g}"


def verdict(table: pd.DataFrame, variant: str = "ganz", metric: str = "psnr") -> pd.DataFrame:
    """Per split and codec: the bpp ranges where the GANZ envelope leads and where the codec
    does (mean curves), the crossings, the largest gaps each way, and where only GANZ exists."""
    rows = []
    for split in _splits_in(table):
        for codec in _codecs_in(table):
            g, c = envelope(table, split, variant, metric), envelope(table, split, codec, metric)
            cross = crossover(table, codec, split, variant, metric)
            res = _gap_on_overlap(g, c, metric)
            fmt = lambda iv: ", ".join(f"{a:.3g}–{b:.3g}" for a, b in iv) or "—"  # noqa: E731
            row = {"split": split, "codec": codec,
                   "codec_min_bpp": float(c["bpp"].min()) if len(c) else math.nan,
                   "ganz_min_bpp": float(g["bpp"].min()) if len(g) else math.nan,
                   "ganz_only_below": (float(c["bpp"].min()) if len(c) and len(g)
                                       and g["bpp"].min() < c["bpp"].min() else math.nan),
                   "ganz_leads_bpp": "—", "codec_leads_bpp": "—", "crossings": "—",
                   "max_ganz_lead": math.nan, "max_codec_lead": math.nan}
            if res is not None:
                b, gap = res
                row.update(ganz_leads_bpp=fmt(_intervals(b, gap > 0)),
                           codec_leads_bpp=fmt(_intervals(b, gap <= 0)),
                           crossings=", ".join(f"{v:.3g}" for v in cross["crossings"]) or "none",
                           max_ganz_lead=float(max(gap.max(), 0.0)),
                           max_codec_lead=float(max(-gap.min(), 0.0)))
            rows.append(row)
    return pd.DataFrame(rows).round({"codec_min_bpp": 3, "ganz_min_bpp": 3, "ganz_only_below": 3,
                                     "max_ganz_lead": 2, "max_codec_lead": 2})


def matched(table: pd.DataFrame, method: str = "ganz") -> pd.DataFrame:
    """Head to head at equal bytes: each GANZ setting against each codec's file for the same
    image with at most that many bytes. ``ganz_wins`` counts images where GANZ has the higher
    PSNR among those the codec could reach; ``unreachable`` those it could not."""
    g = table[table["method"] == method]
    c = table[(table["target"] == "matched") & ~_ganz(table)]
    j = g.merge(c, left_on=["split", "image", "bytes"], right_on=["split", "image", "budget"],
                suffixes=("", "_codec"))
    j["win"] = (j["psnr"] > j["psnr_codec"]) & j["reachable_codec"]
    j["delta"] = (j["psnr"] - j["psnr_codec"]).where(j["reachable_codec"])
    keys = ["split", "adapter", "ratio", "bits", "method_codec"]
    out = j.groupby(keys).agg(bytes=("bytes", "mean"), bpp=("bpp", "mean"), ganz_psnr=("psnr", "mean"),
                              codec_psnr=("psnr_codec", lambda s: s[j.loc[s.index, "reachable_codec"]].mean()),
                              delta_psnr=("delta", "mean"), ganz_wins=("win", "sum"),
                              reachable=("reachable_codec", "sum"), images=("image", "size"))
    out = out.reset_index().rename(columns={"method_codec": "codec"})
    out["unreachable"] = out["images"] - out["reachable"]
    out["bits"] = out["bits"].astype(int)
    return out.sort_values(["split", "codec", "bpp"]).round(
        {"bytes": 1, "bpp": 3, "ganz_psnr": 2, "codec_psnr": 2, "delta_psnr": 2})


def bit_depth_check(table: pd.DataFrame, bits: int = 8, reference: int = 32,
                    tolerance: float = 0.3, method: str = "ganz") -> pd.DataFrame:
    """Quantized against float latents per split and setting: mean PSNR of each, the gap
    (reference − quantized, dB), the file-size ratio, and whether the gap is within
    ``tolerance`` dB (the codec's goal: 8 bits within 0.3 dB of float32 at ¼ of the bytes).
    ``payload_ratio`` is the latent's own share, bits/reference, before headers."""
    g = table[(table["method"] == method) & table["bits"].isin([bits, reference])]
    absent = sorted({bits, reference} - {int(b) for b in g["bits"].dropna()})
    if absent:  # the page was asked for other bit depths
        return pd.DataFrame({"note": [f"not compared: no GANZ files at "
                                      f"{', '.join(map(str, absent))} bits on this page"]})
    p = g.pivot_table(index=["split", "adapter", "ratio"], columns="bits",
                      values=["psnr", "bytes"], aggfunc="mean")
    out = pd.DataFrame({
        f"psnr_{reference}": p[("psnr", reference)], f"psnr_{bits}": p[("psnr", bits)],
        f"bytes_{reference}": p[("bytes", reference)], f"bytes_{bits}": p[("bytes", bits)]})
    out["gap_db"] = out[f"psnr_{reference}"] - out[f"psnr_{bits}"]
    out["byte_ratio"] = out[f"bytes_{bits}"] / out[f"bytes_{reference}"]
    out["payload_ratio"] = bits / reference
    out["within_tolerance"] = out["gap_db"] <= tolerance
    return out.reset_index().round({f"psnr_{reference}": 2, f"psnr_{bits}": 2, "gap_db": 3,
                                    "byte_ratio": 3, f"bytes_{reference}": 1, f"bytes_{bits}": 1})


def qat_gain(table: pd.DataFrame) -> pd.DataFrame:
    """What quantization-aware refinement buys: mean PSNR/SSIM of plain rounding and of QAT per
    split and bit depth (same files sizes up to zlib), the mean and largest per-image gain."""
    keys = ["split", "image", "adapter", "ratio", "bits"]
    plain = table[table["method"] == "ganz"].set_index(keys)[["psnr", "ssim", "bytes"]]
    qat = table[table["method"] == "ganz_qat"].set_index(keys)[["psnr", "ssim", "bytes"]]
    if qat.empty:
        return pd.DataFrame(columns=["split", "bits", "psnr_plain", "psnr_qat", "gain_db",
                                     "max_gain_db", "ssim_gain", "n"])
    j = plain.join(qat.add_suffix("_qat"), how="inner").reset_index()
    j["gain"] = j["psnr_qat"] - j["psnr"]
    out = j.groupby(["split", "bits"]).agg(psnr_plain=("psnr", "mean"), psnr_qat=("psnr_qat", "mean"),
                                           gain_db=("gain", "mean"), max_gain_db=("gain", "max"),
                                           ssim_gain=("ssim_qat", "mean"), n=("gain", "size"))
    out["ssim_gain"] -= j.groupby(["split", "bits"])["ssim"].mean()
    out = out.reset_index()
    out["bits"] = out["bits"].astype(int)
    return out.round({"psnr_plain": 2, "psnr_qat": 2, "gain_db": 3, "max_gain_db": 3, "ssim_gain": 4})


def smallest_files(table: pd.DataFrame) -> pd.DataFrame:
    """Per split and method: the mean size of the smallest file made for each image, in bytes
    and bpp — below it, a codec cannot go (GANZ: its smallest setting)."""
    d = table.groupby(["split", "method", "image"])[["bytes", "bpp"]].min()
    return d.groupby(["split", "method"]).mean().round(3).reset_index()


#: the codecs' names as the page writes them
CODEC_NAMES = {"jpeg": "JPEG", "webp": "WebP", "jpeg2000": "JPEG 2000", "avif": "AVIF",
               "jpegxl": "JPEG XL", "wavelet": "wavelet", "ganz": "GANZ", "ganz_qat": "GANZ + QAT"}


def matched_summary(table: pd.DataFrame, bits: int = 8, method: str = "ganz") -> pd.DataFrame:
    """``matched`` at ``bits``-bit latents, one row per split and codec: the GANZ settings
    compared, the images GANZ wins among those the codec reached, the median and range over
    settings of the mean PSNR difference (GANZ − codec, where the codec reached the budget), and
    the images the codec could not make a file that small for. The whole of ``matched`` is the
    page's CSV."""
    m = matched(table, method)
    m = m[m["bits"] == bits]
    rows = []
    for (split, codec), g in m.groupby(["split", "codec"], sort=False):
        d = g["delta_psnr"].dropna()
        rows.append({"split": split, "codec": CODEC_NAMES.get(codec, codec),
                     "GANZ settings": len(g),
                     "GANZ wins / images the codec reached":
                         f"{int(g['ganz_wins'].sum())} / {int(g['reachable'].sum())}",
                     "GANZ − codec, median (dB)": round(float(d.median()), 2) if len(d) else math.nan,
                     "GANZ − codec, range (dB)": (f"{d.min():+.2f} to {d.max():+.2f}" if len(d)
                                                  else math.nan),
                     "images out of the codec's reach": int(g["unreachable"].sum())})
    return pd.DataFrame(rows)


def rd_means(table: pd.DataFrame, bits: int = 8) -> pd.DataFrame:
    """``rd_summary`` read across: mean PSNR (dB) per split and rate bucket (bits per pixel),
    one column per method (GANZ and GANZ + QAT at ``bits``-bit latents, every codec). The whole
    of ``rd_summary`` (every bit depth, SSIM, spreads, counts) is the page's CSV."""
    s = rd_summary(table)
    s = s[s["bits"].isna() | (s["bits"] == bits)]
    s = s.assign(method=[CODEC_NAMES.get(m, m) + (f" ({bits}-bit)" if m in GANZ_METHODS else "")
                         for m in s["method"]])
    wide = s.pivot_table(index=["split", "rate"], columns="method", values="psnr",
                         aggfunc="first", observed=True, sort=True)
    order = sorted(wide.columns, key=lambda c: (not c.startswith("GANZ"), c))
    wide = wide[order]
    wide.columns = [f"{c} (dB)" for c in wide.columns]
    return wide.reset_index().rename(columns={"rate": "bits per pixel"})
