"""ganz.report.plots and ganz.report.pictures on small synthetic tidy tables (no data, no models, fast)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from ganz.report import figure, paper, pictures, plots

N = 3072
METHODS = ("ganz", "wavelet_paper_text", "wavelet_original_code")


def _rows(experiment: str, ratios=(6, 10, 30), dims=(64,), adapters=("random_linear",),
          images=2, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for split in ("train", "test", "ood"):
        for i in range(images):
            for dim in dims:
                for r in ratios:
                    for method in METHODS:
                        for adapter in adapters if method == "ganz" else ("",):
                            d_c = round(N / r)
                            rows.append({
                                "experiment": experiment, "profile": "test",
                                "image": f"{split}-{i}", "split": split, "dim": dim,
                                "adapter": adapter, "ratio": N / d_c, "d_c": d_c,
                                "nominal_ratio": float(r), "method": method,
                                "measurements": np.nan, "psnr": 40 - 5 * np.log10(r) +
                                rng.normal(), "ssim": 0.5, "bytes": 4 * d_c + 40,
                                "steps": 10, "seconds": 0.1, "device": "cpu", "torch": "x",
                                "commit": "abc", "generator": "f" * 64})
    return pd.DataFrame(rows)


def _img(h=32, w=32, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _is_png_figure(fig) -> None:
    assert isinstance(fig, Figure)
    assert fig.axes
    png = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_fig2_with_and_without_paper():
    table = _rows("fig2", ratios=(10,), dims=(64, 128, 256))
    _is_png_figure(plots.fig2(table))
    _is_png_figure(plots.fig2(table, paper=paper.paper_numbers("fig2")))


def test_fig2_baselines_without_dim_are_repeated():
    table = _rows("fig2", ratios=(10,), dims=(64, 128))
    table.loc[table["method"] != "ganz", "dim"] = np.nan
    fig = plots.fig2(table)
    assert len(fig.axes) == 3


def test_fig3():
    table = _rows("fig3", ratios=(6,), adapters=("square_linear", "no_linear"))
    _is_png_figure(plots.fig3(table[table["method"] == "ganz"]))


def test_fig4_and_fig5():
    table = _rows("fig5", ratios=(6, 10, 20, 50, 100, 200))
    keep = table[(table["method"] == "ganz")].groupby("split").head(1).assign(
        adapter="keep_linear", ratio=N / 64, nominal_ratio=N / 64, d_c=64)
    both = pd.concat([table, keep], ignore_index=True)
    _is_png_figure(plots.fig5(both, paper=paper.paper_numbers("fig5")))
    one = both[both["image"] == "ood-0"]
    _is_png_figure(plots.fig4(one, paper=paper.paper_numbers("fig4")))


def test_fig5_single_ratio():
    _is_png_figure(plots.fig5(_rows("fig5", ratios=(24,))))


def test_fig8():
    table = _rows("fig8", ratios=(6,))
    table = table[table["method"] == "ganz"].assign(adapter="no_linear")
    table = pd.concat([table.assign(measurements=250), table.assign(measurements=625)])
    _is_png_figure(plots.fig8(table, paper=paper.paper_numbers("fig8")))


def test_training_curves():
    logs = pd.DataFrame({"dim": np.repeat([64, 128], 5), "step": np.tile(range(5), 2),
                         "images_seen": np.tile(range(0, 80, 16), 2),
                         "loss_real": 0.3, "loss_fake": 0.1, "k": 0.01, "m_global": 0.2,
                         "val_psnr": [np.nan, 12, np.nan, 13, np.nan] * 2})
    _is_png_figure(plots.training(logs))


def test_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="lacks column"):
        plots.fig5(pd.DataFrame({"psnr": [1.0]}))


def test_image_grids():
    images = {f"{s}/{s}-0/{n}": _img(seed=i) for i, (s, n) in enumerate(
        (s, n) for s in ("train", "ood") for n in ("original", "square_linear", "no_linear"))}
    fig = pictures.fig3_images(images)
    assert len(fig.axes) == 6
    fig = pictures.image_grid(images, columns=["original", "no_linear"])
    assert len(fig.axes) == 4
    fig = pictures.image_grid(images, ncols=4)
    assert len(fig.axes) == 8  # 6 images on a 2×4 grid
    fig4 = {"original": _img(), "ganz/R10": _img(), "wavelet/R10": _img(), "ganz/R768": _img(),
            "wavelet/R768": _img(), "ganz/keep_linear": _img(), "wavelet/keep_linear": _img()}
    table = pd.DataFrame({"method": ["ganz", "ganz", "wavelet_original_code"],
                          "adapter": ["random_linear", "keep_linear", ""],
                          "ratio": [N / 307, N / 64, N / 307], "nominal_ratio": [10.0, N / 64, 10.0],
                          "psnr": [20.0, 18.0, 30.0]})
    fig = pictures.fig4_images(fig4, table)
    titles = [ax.get_title() for ax in fig.axes]
    assert any("20.0 dB" in t for t in titles) and any("30.0 dB" in t for t in titles)
    assert len(fig.axes) == 8  # 2 rows × (original, R10, R768, trained layer)
    samples = {f"d{d}": _img(64, 96, d) for d in (64, 128)}
    assert len(pictures.fig7_images(samples).axes) == 2
    cs = {"test/a/original": _img(), "test/a/M250": _img(), "test/a/M625": _img()}
    assert len(pictures.fig8_images(cs).axes) == 3
    with pytest.raises(ValueError):
        pictures.image_grid({})


def test_provenance_line():
    line = figure.provenance({"profile": "cpu-small", "model": "cpu-small-d64",
                             "generator": "a" * 64, "device": "cpu", "torch": "2.0",
                             "commit": "0123456789abcdef"})
    assert "profile: cpu-small" in line and "a" * 12 in line and "a" * 13 not in line
    assert "commit: 0123456789ab" in line


def test_a_longer_run_of_a_dim_is_its_own_curve():
    """A lease's longer dim-64 run (``run`` ``d64-long``) is drawn and judged beside d64, not
    merged into it."""
    from ganz.report import verdicts

    log = pd.DataFrame({"dim": 64, "step": range(5), "images_seen": range(0, 80, 16),
                        "loss_real": 0.3, "loss_fake": 0.1, "k": 0.01,
                        "m_global": [0.5, 0.4, 0.3, 0.2, 0.1]})
    logs = pd.concat([log.assign(run="d64"), log.assign(run="d64-long", m_global=0.2)])
    _is_png_figure(plots.training(logs))
    v = verdicts.training(logs)
    assert v.facts == {"falling": 1, "models": 2, "flat": 1, "rising": 0}
    assert "- d_t = 64: M_global" in v.text and "- d_t = 64, long run: M_global" in v.text


def test_fig5_draws_each_methods_median_per_ratio():
    """The drawn lines are the table's medians: per split, one line per method through its
    median PSNR at each ratio, in the palette's order of methods."""
    from matplotlib.colors import to_hex

    table = _rows("fig5", ratios=(6, 10, 30), images=3)
    fig = plots.fig5(table)
    palette = figure._palette(figure._methods(table))
    for ax, split in zip(fig.axes, figure._splits(table)):
        drawn = {to_hex(line.get_color()): list(line.get_ydata()) for line in ax.lines
                 if line.get_marker() == "o"}
        for method in METHODS:
            want = (table[(table["split"] == split) & (table["method"] == method)]
                    .groupby("ratio")["psnr"].median().sort_index())
            assert drawn[to_hex(palette[method])] == pytest.approx(list(want.values))


def test_fig4_draws_the_medians_and_the_trained_layer():
    table = _rows("fig4", ratios=(10, 20, 50), images=1)
    one = table[table["image"] == "ood-0"]
    keep = one[one["method"] == "ganz"].head(1).assign(adapter="keep_linear", ratio=N / 64,
                                                       nominal_ratio=N / 64, psnr=33.0)
    fig = plots.fig4(pd.concat([one, keep], ignore_index=True))
    ganz = next(line for line in fig.axes[0].lines if line.get_label() == "GANZ")
    want = one[one["method"] == "ganz"].groupby("ratio")["psnr"].median()
    assert list(ganz.get_xdata()) == pytest.approx(list(want.index))
    assert list(ganz.get_ydata()) == pytest.approx(list(want.values))
    star = next(line for line in fig.axes[0].lines if line.get_marker() == "*")
    assert list(star.get_ydata()) == [33.0] and list(star.get_xdata()) == pytest.approx([N / 64])


def test_strip_plots_are_the_same_whatever_numpys_global_stream():
    table = _rows("fig3", ratios=(6,), adapters=("square_linear", "no_linear"))
    ganz = table[table["method"] == "ganz"]
    np.random.seed(1)
    first = plots.fig3(ganz)._repr_png_()
    np.random.seed(2)
    state = np.random.get_state()
    assert plots.fig3(ganz)._repr_png_() == first
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # the stream is left as it was
