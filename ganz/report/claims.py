"""The paper's qualitative findings tested on our tables (the claims behind the verdicts): each
claim per figure, whether it holds, and the tolerance it is judged with."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..results.published import paper_numbers

WAVELET_CODE, WAVELET_TEXT = "wavelet_original_code", "wavelet_paper_text"


def square_layer_gaps() -> pd.Series:
    """The original's own no_linear − square_linear gap (dB) per picture, from its fig. 3 labels."""
    p = paper_numbers("fig3")
    m = p[p["method"] == "ganz"].pivot_table(index="image", columns="adapter", values="psnr")
    return (m["no_linear"] - m["square_linear"]).round(2)


def square_tolerance_db() -> float:
    """How close the random square layer must come to no layer for "costs only a little": the
    largest gap the original itself showed (never stricter than the original achieved)."""
    return float(square_layer_gaps().max())


def _medians(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return table.groupby(by, dropna=False)["psnr"].median().reset_index()


def _ganz_random(table: pd.DataFrame) -> pd.DataFrame:
    rows = table[table["method"] == "ganz"]
    if "adapter" in rows:
        rows = rows[rows["adapter"].fillna("").isin(["random_linear", ""])]
    return rows


def _wavelet_beats_ganz(table: pd.DataFrame, wavelet: str, by: list[str]
                        ) -> tuple[bool | None, str]:
    g = _medians(_ganz_random(table), by)
    w = _medians(table[table["method"] == wavelet], [b for b in by if b != "dim"])
    if g.empty or w.empty:
        return None, "no rows"
    m = g.merge(w, on=[b for b in by if b != "dim"], suffixes=("_ganz", "_wav"))
    if m.empty:
        return None, "no matching rows"
    gap = m["psnr_wav"] - m["psnr_ganz"]
    evidence = (f"wavelet − GANZ median gap {gap.min():.1f} to {gap.max():.1f} dB "
                f"over {len(m)} settings")
    return bool((gap > 0).all()), evidence


def claims(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The paper's qualitative findings, each tested on our tables (by figure name).

    Returns one row per claim: ``figure``, ``claim``, ``holds`` (True/False, or None when the
    needed rows are missing) and ``evidence`` (the numbers behind the verdict, medians in dB).
    """
    out: list[dict] = []

    def add(figure: str, claim: str, result: tuple[bool | None, str]) -> None:
        out.append({"figure": figure, "claim": claim, "holds": result[0], "evidence": result[1]})

    t2 = tables.get("fig2")
    if t2 is not None:
        for wavelet, label in ((WAVELET_CODE, "as in the code"), (WAVELET_TEXT, "as in the text")):
            add("fig2", f"the wavelet ({label}) beats GANZ for every training dim and split",
                _wavelet_beats_ganz(t2, wavelet, ["split", "dim"]))
        g = _medians(_ganz_random(t2), ["split", "dim"])
        if g.empty:
            add("fig2", "the smallest training dim gives the best GANZ PSNR", (None, "no rows"))
        else:
            best = g.loc[g.groupby("split")["psnr"].idxmax()]
            smallest = g["dim"].min()
            add("fig2", f"the smallest training dim ({smallest:g}) gives the best GANZ PSNR "
                        f"on every split",
                (bool((best["dim"] == smallest).all()),
                 "best dim per split: " + ", ".join(f"{s} {d:g}" for s, d in
                                                    zip(best["split"], best["dim"]))))
    t3 = tables.get("fig3")
    if t3 is not None and "adapter" in t3:
        m = _medians(t3[t3["method"] == "ganz"], ["split", "adapter"]).pivot(
            index="split", columns="adapter", values="psnr")
        if {"square_linear", "no_linear"} <= set(m.columns):
            cost = m["no_linear"] - m["square_linear"]
            gaps = square_layer_gaps()
            tol = float(gaps.max())
            add("fig3", f"a random square layer costs little: within {tol:.2f} dB of no layer "
                        f"on every split (the original's largest gap)",
                (bool((cost <= tol).all()),
                 "no_linear − square_linear: " + ", ".join(f"{s} {c:+.1f} dB"
                                                           for s, c in cost.items())
                 + f"; the original's: {gaps.min():.2f}–{gaps.max():.2f} dB "
                   f"(median {gaps.median():.2f}) over {len(gaps)} pictures"))
    for fig in ("fig4", "fig5"):
        t = tables.get(fig)
        if t is None:
            continue
        by = ["split", "ratio"]
        add(fig, "the wavelet (as in the code) beats GANZ at every ratio" +
            (" and split" if fig == "fig5" else ""), _wavelet_beats_ganz(t, WAVELET_CODE, by))
        g = _medians(_ganz_random(t), by)
        w = _medians(t[t["method"] == WAVELET_CODE], by)
        m = g.merge(w, on=by, suffixes=("_ganz", "_wav"))
        if m.empty or m["ratio"].nunique() < 2:
            add(fig, "the wavelet's lead shrinks as the ratio grows", (None, "too few ratios"))
        else:
            m["gap"] = m["psnr_wav"] - m["psnr_ganz"]
            ends = m.sort_values("ratio").groupby("split")["gap"].agg(["first", "last"])
            add(fig, "the wavelet's lead shrinks from the smallest to the largest ratio",
                (bool((ends["last"] < ends["first"]).all()),
                 "; ".join(f"{s}: {r['first']:.1f} → {r['last']:.1f} dB"
                           for s, r in ends.iterrows())))
    t8 = tables.get("fig8")
    if t8 is not None:
        pub = paper_numbers("fig8")
        bora = pub.loc[pub["method"] == "bora2017", "psnr"].dropna()
        g = t8[t8["method"] == "ganz"]
        if bora.empty or g.empty:
            add("fig8", "GANZ beats Bora et al.'s best compressive-sensing result",
                (None, "no rows"))
        else:
            by = "m_over_n" if "m_over_n" in g else "measurements"
            med = g.groupby(by)["psnr"].median()
            add("fig8", f"GANZ beats Bora et al.'s best result ({bora.max():.2f} dB) at every "
                        f"measurement rate",
                (bool((med > bora.max()).all()),
                 ", ".join(f"{by} {k:.3g}: {v:.1f} dB" for k, v in med.items())))
    return pd.DataFrame(out, columns=["figure", "claim", "holds", "evidence"])
