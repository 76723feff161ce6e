"""The book's picture grids read at the page's width: labels >= 11 px, pictures >= 96 px."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ganz.report import pictures
from ganz.report.figure import MIN_LABEL_PX, MIN_PICTURE_PX, PAGE_PX, legibility
from ganz.report.runs import stacked

RNG = np.random.default_rng(0)
OOD = ["campfire", "ferns", "horsehead_nebula", "jack", "obama", "ocean", "snow_tree", "subway"]


def _img(size: int, h: int = 1, w: int = 1) -> np.ndarray:
    return RNG.integers(0, 255, (h * size, w * size, 3), dtype=np.uint8)


def fig3_set(size: int) -> dict:
    names = [("train", "000001"), ("test", "008551"), *(("ood", n) for n in OOD)]
    return {f"{s}/{n}/{k}": _img(size) for s, n in names
            for k in ("original", "square_linear", "no_linear")}


def fig4_set(size: int) -> tuple[dict, pd.DataFrame]:
    tags = ["R10", "R20", "R48", "R50", "R100", "R768"]
    images = {"original": _img(size), "ganz/keep_linear": _img(size),
              "wavelet/keep_linear": _img(size)}
    images |= {f"{m}/{t}": _img(size) for m in ("ganz", "wavelet") for t in tags}
    rows = [{"method": m, "adapter": "random_linear" if m == "ganz" else None,
             "ratio": float(t[1:]), "nominal_ratio": float(t[1:]), "psnr": 20.0 + i}
            for i, t in enumerate(tags) for m in ("ganz", "wavelet_original_code")]
    rows.append({"method": "ganz", "adapter": "keep_linear", "ratio": 48.0, "nominal_ratio": 48.0,
                 "psnr": 21.5})
    return images, pd.DataFrame(rows)


def fig8_set(size: int) -> dict:
    return {f"{s}/{n}/{k}": _img(size) for s, n in (("train", "000001"), ("test", "008551"),
                                                   ("ood", "jack"))
            for k in ("original", "M1000", "M2500")}


def grids(size: int):
    images4, table4 = fig4_set(size)
    yield "fig3", pictures.fig3_images(fig3_set(size)), 1
    yield "fig4", pictures.fig4_images(images4, table4), 1
    yield "fig8", pictures.fig8_images(fig8_set(size)), 1
    # fig. 7: each picture is a 2 x 3 grid of samples; a sample is a third of its width
    yield "fig7", pictures.fig7_images({f"d{d}": _img(size, 2, 3) for d in (64, 128, 256, 512)}), 3


@pytest.mark.parametrize("size", [32, 64])
def test_grids_read_at_page_width(size):
    for name, fig, per in grids(size):
        m = legibility(fig, PAGE_PX, per)
        assert m["width_px"] <= PAGE_PX + 2, (name, m)  # never scaled down on the page
        assert m["label_px"] >= MIN_LABEL_PX, (name, m)
        assert m["picture_px"] >= MIN_PICTURE_PX, (name, m)


def test_fig4_titles_carry_psnr_and_fit():
    images, table = fig4_set(64)
    fig = pictures.fig4_images(images, table)
    titles = [ax.get_title() for ax in fig.axes]
    assert "R = 10\n20.0 dB" in titles and "trained layer\n21.5 dB" in titles


def test_two_profiles_side_by_side_only_when_they_fit():
    tall = pictures.fig3_images(fig3_set(64))
    both = stacked({"profile paper": tall, "profile cpu-small": pictures.fig3_images(fig3_set(32))})
    one = legibility(tall, PAGE_PX)
    m = legibility(both, PAGE_PX)
    assert m["width_px"] <= PAGE_PX + 2  # side by side and not scaled: the grids keep their size
    assert m["width_px"] < 2.5 * one["width_px"] and m["scale"] == 1.0
    wide = pictures.fig4_images(*fig4_set(64))
    pair = stacked({"a": wide, "b": wide})
    assert legibility(pair, PAGE_PX)["width_px"] <= PAGE_PX + 2  # one below the other


def test_legibility_flags_a_small_grid():
    images, table = fig4_set(64)
    fig = pictures.fig4_images(images, table)
    m = legibility(fig, 400)  # a page half as wide would shrink it below the bar
    assert m["scale"] < 0.5 and m["label_px"] < MIN_LABEL_PX and m["picture_px"] < MIN_PICTURE_PX


def test_titles_stay_within_their_picture():
    images, table = fig4_set(64)
    for fig in (pictures.fig3_images(fig3_set(64)), pictures.fig4_images(images, table),
                pictures.fig8_images(fig8_set(32))):
        fig._repr_png_()  # the layout as saved (a draw before savefig lays out otherwise)
        fig.canvas.draw()
        for ax in fig.axes:
            title, box = ax.title, ax.get_window_extent()
            if title.get_text():
                assert title.get_window_extent().width <= box.width + 4, title.get_text()


def test_long_titles_wrap_within_the_stack():
    wide = pictures.fig4_images(*fig4_set(32))
    title = ("Panel (a): training face 000001, standing in for the paper's 034782; profile "
             "cpu-small: 32×32 images, cpu-small-d64, cpu (x86_64, 2 threads)")
    m = legibility(stacked({title: wide, title + " ": wide}), PAGE_PX)
    assert m["width_px"] <= PAGE_PX + 2


def test_training_sample_grids_read_at_page_width():
    grids = {f"paper: d{d}, last step": _img(64, 8, 8) for d in (64, 128, 256, 512)}
    fig = pictures.sample_grids(grids, face=64)
    m = legibility(fig, PAGE_PX, per_picture=4)  # each cell: 4 faces across (3 rows)
    assert m["width_px"] <= PAGE_PX + 2 and m["label_px"] >= MIN_LABEL_PX
    assert m["picture_px"] >= MIN_PICTURE_PX, m  # a quarter of a cell's width: one face
