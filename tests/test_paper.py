"""ganz.report.paper: the transcribed numbers and the paper-vs-ours tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganz.report import claims as paper_claims
from ganz.report import paper


def test_paper_numbers_are_data():
    fig4 = paper.paper_numbers("fig4")
    assert len(fig4) > 0 and fig4["exact"].all() and not fig4["approx"].any()
    assert set(fig4["method"]) == {"ganz", "wavelet_original_code"}
    fig3 = paper.paper_numbers("fig3")  # the labels of the original's committed figures
    assert len(fig3) == 20 and not fig3["approx"].any()
    fig5 = paper.paper_numbers("fig5")
    assert set(fig5["ratio"]) == {10, 30}  # the original's fig. 5 has only these
    assert fig5[fig5["method"] == "ganz"]["approx"].all()
    with pytest.raises(ValueError):
        paper.paper_numbers("fig99")


def _ours(ratios, split="test", psnr=(20.0, 22.0, 24.0), n=3072):
    """Rows at the ratios set (``nominal_ratio``), each reaching N / round(N / R) (``ratio``)."""
    rows = []
    for r in ratios:
        rate = {"ratio": n / round(n / r), "nominal_ratio": float(r)}
        for i, v in enumerate(psnr):
            rows.append({"split": split, "image": f"i{i}", "dim": 64, "adapter": "random_linear",
                         **rate, "method": "ganz", "psnr": v, "bytes": 1000})
            rows.append({"split": split, "image": f"i{i}", "dim": 64, "adapter": "", **rate,
                         "method": "wavelet_original_code", "psnr": v + 10, "bytes": 900})
    return pd.DataFrame(rows)


def test_compare_matches_the_ratio_set_and_reports_both_sides():
    ours = _ours([10, 30, 200]).assign(profile="cpu-small")  # N = 3072: 3072 / 15 = 204.8 reached
    table = paper.compare("fig5", ours)
    row = table[(table["split"] == "test") & (table["ratio"] == "10") &
                (table["method"] == "ganz")].iloc[0]
    assert row["n"] == 3 and row["ours"] == "22.00 [20.0–24.0]" and row["paper_approx"]
    assert row["paper"].startswith("33.50") and row["delta_db"] == pytest.approx(22 - 33.5)
    # a ratio the paper has no number for, and a split we did not run, both stay
    assert ((table["ratio"] == "200") & (table["paper"] == paper.DASH)).any()
    assert ((table["split"] == "ood") & (table["n"] == 0)).any()
    published = paper.compare("fig5", ours, published_only=True)
    assert len(published) < len(table) and (published["paper"] != paper.DASH).all()
    assert (published["n"] > 0).all()
    # only a ratio the paper never printed: our rows stay, with "—" for the paper
    only24 = paper.compare("fig5", _ours([24.0]), published_only=True)
    assert len(only24) == 2 and (only24["ratio"] == "24").all() and (only24["paper"] == paper.DASH).all()


def test_compare_keep_linear_ignores_ratio_and_lists_file_sizes():
    ours = pd.DataFrame({"image": ["jack.png"] * 2, "split": "ood", "dim": 64,
                         "adapter": ["keep_linear", "random_linear"], "ratio": [48.0, 10.0],
                         "nominal_ratio": [48.0, 10.0],
                         "method": "ganz", "psnr": [15.0, 20.0], "bytes": [300, 1300]})
    table = paper.compare("fig4", ours)
    keep = table[table["adapter"] == "keep_linear"].iloc[0]
    assert keep["ours_median"] == 15.0 and keep["paper_median"] == pytest.approx(17.94)
    r10 = table[(table["adapter"] == "random_linear") & (table["ratio"] == "10")].iloc[0]
    assert r10["paper_kib"] == pytest.approx(18.25) and r10["ours_kib"] == pytest.approx(1.27)


def test_compare_fig8_pools_splits_and_matches_rate():
    ours = pd.DataFrame({"split": ["train", "test", "ood"], "image": ["a", "b", "c"],
                         "adapter": "no_linear", "method": "ganz", "measurements": 250,
                         "m_over_n": 250 / 3072, "nominal_measurements": 4000,
                         "psnr": [20.0, 21.0, 22.0]})
    table = paper.compare("fig8", ours)
    row = table[(table["method"] == "ganz") & (table["n"] == 3)].iloc[0]
    assert row["split"] == "all" and row["ours"] == "21.00 [20.0–22.0]"
    assert row["paper"] == "[23.0–32.0]"


def test_summary_and_claims():
    t5 = _ours([10, 30], split="test")
    summary = paper.summary({"fig5": t5})
    assert set(summary.index.get_level_values("figure")) == {"fig5"}
    assert (summary["paper"] != paper.DASH).all()
    claims = paper_claims.claims({"fig5": t5})
    beats = claims[claims["claim"].str.contains("beats")].iloc[0]
    assert beats["holds"] == True  # noqa: E712 (numpy bool)
    shrinks = claims[claims["claim"].str.contains("shrinks")].iloc[0]
    assert shrinks["holds"] == False  # noqa: E712  # constant 10 dB gap in this toy table
    t8 = pd.DataFrame({"split": "test", "image": ["a", "b"], "method": "ganz",
                       "adapter": "no_linear", "m_over_n": 0.08, "psnr": [20.0, 22.0]})
    c8 = paper_claims.claims({"fig8": t8})
    assert c8["holds"].tolist() == [True]
    assert paper_claims.claims({"fig2": t5.assign(dim=np.nan).iloc[:0]})["holds"].isna().all()


def test_ratios_match_only_the_ratio_they_were_set_from():
    """At N = 3072, R = 50 gives d_c = 61 (ratio 50.36); a run at R = 48 is not R = 50."""
    ours = pd.DataFrame({"image": "jack.png", "split": "ood", "dim": 64,
                         "adapter": "random_linear", "ratio": [3072 / 61, 48.0, 3072 / 4],
                         "nominal_ratio": [50.0, 48.0, 768.0],
                         "method": "ganz", "psnr": [20.0, 30.0, 12.0], "bytes": 100})
    table = paper.compare("fig4", ours)
    r50 = table[table["ratio"] == "50"].iloc[0]
    assert r50["n"] == 1 and r50["ours_median"] == 20.0 and r50["paper_median"] == 25.08
    r48 = table[table["ratio"] == "48"]
    assert len(r48) == 1 and r48.iloc[0]["paper"] == paper.DASH and r48.iloc[0]["n"] == 1
    assert table[table["ratio"] == "768"].iloc[0]["ours_median"] == 12.0
    # the reached ratio is never matched: a row set to 48 that reached 50 stays at 48
    near = ours.assign(ratio=[3072 / 61, 3072 / 61, 3072 / 4])
    assert paper.compare("fig4", near).equals(table)


def test_fig3_tolerance_comes_from_the_originals_own_gaps():
    gaps = paper_claims.square_layer_gaps()
    assert len(gaps) == 10 and gaps.min() == pytest.approx(1.20) and gaps.max() == pytest.approx(2.93)
    assert paper_claims.square_tolerance_db() == pytest.approx(2.93)
    rows = [{"split": s, "image": f"{s}{i}", "adapter": a, "ratio": 6.0, "nominal_ratio": 6.0,
             "method": "ganz",
             "psnr": base + (gap if a == "no_linear" else 0)}
            for s, gap in (("train", 2.5), ("ood", 1.5)) for i, base in enumerate((20.0, 24.0))
            for a in ("square_linear", "no_linear")]
    claim = paper_claims.claims({"fig3": pd.DataFrame(rows)}).iloc[0]
    assert claim["holds"] == True and "2.93" in claim["claim"]  # noqa: E712
    rows[1]["psnr"] += 1.0  # train gap 3.5 on one picture -> median 3.0 > 2.93
    rows[3]["psnr"] += 1.0
    assert paper_claims.claims({"fig3": pd.DataFrame(rows)}).iloc[0]["holds"] == False  # noqa: E712
    pooled = paper.compare("fig3", pd.DataFrame(rows))
    ood = pooled[(pooled["split"] == "ood") & (pooled["adapter"] == "no_linear")].iloc[0]
    assert ood["paper"] == "30.61 [27.6–36.6]"  # median [min–max] of the 8 labels


def test_fig4_has_three_panels_and_compares_the_pictures_run():
    pub = paper.paper_numbers("fig4")
    assert set(pub["image"]) == {"034782", "196479", "jack"}
    jack = paper.paper_numbers("fig4", ["jack.png"])
    assert set(jack["image"]) == {"jack"} and len(jack) == 11
    ours = pd.DataFrame({"image": ["jack.png"], "split": "ood", "dim": 64, "adapter": "random_linear",
                         "ratio": 10.0, "nominal_ratio": 10.0, "method": "ganz", "psnr": 20.0,
                         "bytes": 100})
    table = paper.compare("fig4", ours)
    assert set(table["image"]) == {"jack"}
    panels = paper.fig4_panels({"paper": ours})
    assert panels["panel"].tolist() == ["a", "b", "c"]
    assert panels["run_under"].tolist() == ["", "", "paper"]
    assert panels["stand_in"].tolist() == ["000001", "008551", "jack"]
    note = paper.fig4_panels_note({"paper": ours})
    assert "(a) training face `034782`" in note and "`008551` (test) stand in" in note
    assert "Profile `paper` shows panel c only: panels a and b are not run yet" in note
    faces = [ours, ours.assign(image="000001.jpg", split="train"),
             ours.assign(image="008551.jpg", split="test")]
    assert paper.fig4_panels_note({"paper": pd.concat(faces)}) == ""
    both = paper.fig4_panels_note({"paper": ours, "cpu-small": faces})
    assert "Profile `cpu-small` shows all 3" in both and "Profile `paper` shows panel c" in both


def test_fig4_stand_in_faces_compare_with_the_pictures_they_replace():
    assert paper.stand_ins() == {"034782": "000001", "196479": "008551"}
    assert paper.paper_picture("000001.jpg") == "034782" and paper.paper_picture("jack.png") == "jack"
    ours = pd.DataFrame({"image": ["000001.jpg"], "split": "train", "dim": 64,
                         "adapter": "random_linear", "ratio": 10.0, "nominal_ratio": 10.0,
                         "method": "ganz", "psnr": 20.0, "bytes": 100})
    assert set(paper.paper_numbers("fig4", ["000001.jpg"])["image"]) == {"034782"}
    row = paper.compare("fig4", ours, published_only=True).iloc[0]
    assert row["image"] == "034782 (ours: 000001)" and row["paper_median"] == 32.92
    assert row["delta_db"] == round(20.0 - 32.92, 2)
