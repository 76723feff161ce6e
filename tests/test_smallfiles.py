"""The codecs chapter's tiny-file section reads ``ganz bench tiny``'s tables as recorded."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ganz.report import smallfiles


def _rows(faces, budget, codec, psnrs, fits, size=None):
    return [{"image": f, "budget": budget, "codec": codec, "fits": ok, "bytes": size or budget - i,
             "psnr": p, "ssim": p / 40, "seconds": 10.0 + i, "cpu_seconds": 9.0 + i}
            for i, (f, p, ok) in enumerate(zip(faces, psnrs, fits))]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    root = tmp_path / "paper"
    root.mkdir()
    faces = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    band = (_rows(faces, 150, "ganz", [20, 21, 19, 22], [True] * 4)
            + _rows(faces, 150, "webp", [24, 25, 0, 0], [True, True, False, False], size=170)
            + _rows(faces, 250, "ganz", [23, 24, 22, 25], [True] * 4)
            + _rows(faces, 250, "webp", [26, 23, 27, 28], [True] * 4))
    curve = (_rows(faces[:2], 80, "ganz", [17, 18], [True, True])
             + _rows(faces[:2], 80, "webp", [0, 0], [False, False], size=170))
    pd.DataFrame(band).to_csv(root / "tiny-band-celeba64-d64.csv", index=False)
    pd.DataFrame(curve).to_csv(root / "tiny-band-celeba64-d64-curve.csv", index=False)
    (root / "tiny-band-celeba64-d64.json").write_text(json.dumps({"model": "celeba64-d64",
                                                                 "faces": faces, "budgets": [150, 250]}))
    pics = {f"{f}/150/{c}": np.full((8, 8, 3), 9, np.uint8) for f in faces[:2] for c in ("ganz", "webp")}
    np.savez(root / "tiny-band-celeba64-d64-pictures.npz", **pics)
    return smallfiles.load("paper")


def test_served_counts_wins_and_medians(run):
    t = smallfiles.served(run.band).set_index(["budget (B)", "codec"])
    assert t.loc[(150, "GANZ"), "faces served"] == "4 of 4"
    assert t.loc[(150, "GANZ"), "median PSNR (dB)"] == 20.5
    assert t.loc[(150, "WebP"), "faces served"] == "2 of 4"
    assert t.loc[(150, "WebP"), "GANZ wins"] == "2 of 4"  # the two WebP cannot fit
    assert t.loc[(250, "WebP"), "GANZ wins"] == "1 of 4"  # b: 24 > 23


def test_curve_uses_the_faces_of_the_curve_run(run):
    pts = smallfiles.curve_points(run).set_index(["codec", "budget"])
    assert set(pts.index.get_level_values("budget")) == {80, 150, 250}
    assert pts.loc[("ganz", 150), "faces"] == 2 and pts.loc[("ganz", 150), "psnr"] == 20.5
    assert pts.loc[("webp", 80), "served"] == 0 and np.isnan(pts.loc[("webp", 80), "psnr"])


def test_plot_draws_the_medians(run):
    fig = smallfiles.plot_curve(run)
    ganz = next(line for line in fig.axes[0].lines if line.get_label() == "GANZ")
    pts = smallfiles.curve_points(run)
    g = pts[pts["codec"] == "ganz"].sort_values("bytes")
    assert list(ganz.get_ydata()) == list(g["psnr"])


def test_bd_needs_overlapping_curves(run):
    bd = smallfiles.bd_against(run)
    assert bd["BD-rate of GANZ (%)"].isna().all() and (bd["note"] != "").all()


def test_verdict_reads_the_table(run):
    text = smallfiles.verdict(run)
    assert "GANZ wrote a file for 4 of 4 faces" in text and "median 20.50 dB" in text
    assert "150-byte target (a file for every face, none above 150 B, median ≥ 20 dB) holds" in text
    # at 250 B: GANZ 23.5 median vs WebP 26.5
    assert "GANZ's median is 23.50 dB against WebP's 26.50 dB (-3.00 dB)" in text


def test_pictures_and_absent_run(run, tmp_path, monkeypatch):
    fig = smallfiles.picture_grid(run, 150)
    assert len(fig.axes) == 2 * 3  # two faces: original, GANZ, WebP
    with pytest.raises(ValueError):
        smallfiles.picture_grid(run, 999)
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "none"))
    assert smallfiles.load_or_none("paper") is None
    assert "not recorded" in smallfiles.shown(None, "served").data


def test_a_run_without_pictures_says_so(run):
    run.pictures.clear()
    fig = smallfiles.shown(run, "pictures", budget=150)
    assert "No pictures at 150 bytes" in fig.texts[0].get_text()
