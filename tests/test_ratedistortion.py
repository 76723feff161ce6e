"""Rate–distortion experiment (smoke profile) and the DCT-Lasso compressive-sensing baseline."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from ganz import pages
from ganz.report import rdanalysis, rdplots
from ganz.study import figures, jobs, profiles
from ganz.baselines import lasso
from ganz.core.errors import GanzError
from ganz.study import ratedistortion as rd
from ganz.core.adapters import decode, make_adapter
from ganz.baselines.imagecodecs import encode_at_quality
from ganz.core.config import InvertConfig
from ganz.core.pixels import to_uint8
from ganz.core.fileformat import unpack

SMALL = dict(ratios=(20, 100), bits=(32, 8, 4), qat_steps=3, codecs=("jpeg", "webp", "wavelet"),
             steps=5)


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("rd-results")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANZ_RESULTS", str(path))
        yield path


@pytest.fixture(scope="module")
def result(results_dir):
    torch.set_num_threads(1)
    return rd.rd_experiment("smoke", "cpu", **SMALL)


def test_table_schema(result):
    t = result.table
    assert list(t.columns) == rd.COLUMNS
    assert set(t["split"]) == {"test", "ood"}
    assert set(t["method"]) == {"ganz", "ganz_qat", "jpeg", "webp", "wavelet"}
    assert t["reachable"].dtype == bool
    n = profiles.PROFILES["smoke"].n_images
    ganz = t[t["method"] == "ganz"]
    assert len(ganz) == 2 * 3 * 3 * n  # splits × (2 ratios + keep_linear) × bits × images
    qat = t[t["method"] == "ganz_qat"]
    assert set(qat["bits"]) == {8, 4}  # float storage needs no quantization-aware step
    size = profiles.SMOKE_MODEL.image_size
    assert np.allclose(t["bpp"], t["bytes"] * 8 / (size * size))
    assert set(t.loc[~t["method"].isin(rd.GANZ_METHODS), "target"]) == {"matched", "grid"}
    assert (t["profile"] == "smoke").all() and (t["experiment"] == "rd").all()
    assert result.meta["profile"] == "smoke" and result.meta["commit"]


def test_table_is_cached(result, results_dir):
    files = list((results_dir / "smoke").glob("rd-*.csv"))
    assert len(files) == 1
    again = rd.rd_experiment("smoke", "cpu", **SMALL)
    pd.testing.assert_frame_equal(again.table.reset_index(drop=True),
                                  result.table.reset_index(drop=True), check_dtype=False)


def test_ganz_bytes_are_real_file_sizes(result):
    prof = profiles.get_profile("smoke")
    G, gid, _ = profiles.generator_for(prof, 64, torch.device("cpu"))
    names, x = profiles.load_split(prof, "test", None, G.cfg.image_size)
    job = jobs.run_job(prof, G, gid, "random_linear", 20.0, names, x,
                     InvertConfig(steps=SMALL["steps"], seed=0), torch.device("cpu"))
    t = result.table
    for bits in SMALL["bits"]:
        files, rec = rd.ganz_files(G, gid, job.adapter, job.z, bits)
        rows = t[(t["method"] == "ganz") & (t["split"] == "test") & (t["bits"] == bits)
                 & (t["adapter"] == "random_linear") & np.isclose(t["ratio"], 20, rtol=0.02)]
        assert list(rows["bytes"]) == [len(f) for f in files]
        f = unpack(files[0])
        assert f.bits == bits and len(f.z) == job.adapter.input_dim
        with torch.no_grad():
            direct = to_uint8(decode(G, job.adapter, torch.from_numpy(f.z)[None]))[0]
        assert np.array_equal(direct, rec[0])


def test_codec_bytes_are_real_file_sizes(result):
    prof = profiles.get_profile("smoke")
    names, x = profiles.load_split(prof, "ood", None, profiles.SMOKE_MODEL.image_size)
    img = to_uint8(x)[0]
    rows = result.table[(result.table["image"] == names[0]) & (result.table["method"] == "webp")]
    for _, row in rows.head(6).iterrows():
        p = encode_at_quality("webp", img, row["quality"])
        assert p.num_bytes == row["bytes"]
        assert p.psnr == pytest.approx(row["psnr"])


def test_unreachable_budgets_are_kept_and_flagged(result):
    c = result.table[~result.table["method"].isin(rd.GANZ_METHODS)]
    jpeg = c[c["method"] == "jpeg"]
    assert (~jpeg["reachable"]).any()  # a 16×16 JPEG needs ~280 bytes; small budgets fail
    bad = c[~c["reachable"]]
    assert (bad["bytes"] > bad["budget"]).all()  # the smallest file stands in, flagged
    good = c[c["reachable"]]
    assert (good["bytes"] <= good["budget"]).all()
    # every budget asked of a codec has a row: nothing dropped
    for (split, image, _codec), g in c.groupby(["split", "image", "method"]):
        ganz = result.table[(result.table["split"] == split) & (result.table["image"] == image)
                            & result.table["method"].isin(rd.GANZ_METHODS)]
        assert set(ganz["bytes"]) == set(g.loc[g["target"] == "matched", "budget"].astype(int))


def test_summary_and_checks_run(result):
    s = rdanalysis.rd_summary(result.table)
    assert {"split", "method", "bits", "rate", "psnr", "psnr_std", "ssim", "unreachable"} <= set(s.columns)
    check = rdanalysis.bit_depth_check(result.table)
    assert {"gap_db", "byte_ratio", "within_tolerance"} <= set(check.columns)
    assert (check["byte_ratio"] < 1).all()
    m = rdanalysis.matched(result.table)
    assert (m["reachable"] + m["unreachable"] == m["images"]).all()
    assert len(rdanalysis.verdict(result.table)) == 2 * 3
    assert isinstance(rdanalysis.crossover(result.table)["statement"], str)


def test_bd_table_runs(result):
    bd = rdanalysis.bd_table(result.table)
    assert len(bd) == 2 * 2 * 3  # splits × (ganz, ganz_qat) × codecs
    assert {"bd_rate_pct", "bd_psnr_db", "psnr_lo", "psnr_hi", "bpp_lo", "bpp_hi", "note"} <= set(bd.columns)
    assert ((bd["note"] != "") | bd["bd_rate_pct"].notna()).all()  # a nan always says why


def _fake_table(shift: float) -> pd.DataFrame:
    """GANZ: PSNR = 20 + 5·log2(bpp); codec 'jpeg': the same curve needing ``shift``× the rate."""
    rows = []
    for image in ("a", "b"):
        for ratio, bpp in zip((200, 100, 50, 20, 10, 6), (0.25, 0.5, 1, 2, 4, 8)):
            rows.append({"split": "test", "image": image, "method": "ganz", "adapter": "random_linear",
                         "ratio": ratio, "nominal_ratio": float(ratio), "bits": 8, "bpp": bpp,
                         "bytes": bpp * 128, "budget": np.nan,
                         "quality": np.nan, "psnr": 20 + 5 * math.log2(bpp), "ssim": 0.5,
                         "reachable": True, "target": "ganz"})
        for q, bpp in enumerate((0.25, 0.5, 1, 2, 4, 8, 16)):
            rows.append({"split": "test", "image": image, "method": "jpeg", "adapter": "",
                         "ratio": np.nan, "nominal_ratio": np.nan, "bits": np.nan, "bpp": bpp, "bytes": bpp * 128,
                         "budget": bpp * 128, "quality": q, "psnr": 20 + 5 * math.log2(bpp / shift),
                         "ssim": 0.5, "reachable": True, "target": "grid"})
    return pd.DataFrame(rows)


def test_bd_rate_of_a_known_shift():
    bd = rdanalysis.bd_table(_fake_table(2.0)).set_index("codec").loc["jpeg"]
    assert bd["bd_rate_pct"] == pytest.approx(-50.0, abs=0.5)  # GANZ needs half the bytes
    assert bd["bd_psnr_db"] == pytest.approx(5.0, abs=0.05)
    assert bd["bd_rate_median_img"] == pytest.approx(-50.0, abs=0.5)


def test_crossover_of_crossing_lines():
    t = _fake_table(1.0)
    jpeg = t["method"] == "jpeg"
    t.loc[jpeg, "psnr"] = 23 + 2 * np.log2(t.loc[jpeg, "bpp"])  # flatter: meets GANZ at 2 bpp
    c = rdanalysis.crossover(t, "jpeg", "test")
    assert c["bpp"] == pytest.approx(2.0, rel=0.03)
    assert c["low_end"] == "jpeg" and c["high_end"] == "ganz"
    assert "2" in c["statement"]


def test_pareto_drops_dominated_points():
    curve = pd.DataFrame({"bpp": [1, 2, 3, 4], "psnr": [20, 19, 25, 25]})
    assert list(rdanalysis.pareto(curve)["bpp"]) == [1, 3]


def test_qat_is_never_worse_than_rounding():
    torch.manual_seed(0)
    prof = profiles.get_profile("smoke")
    G, _, _ = profiles.generator_for(prof, 64, torch.device("cpu"))
    ad = make_adapter(G, "random_linear", 20.0)
    x = profiles.synthetic_images(2, G.cfg.image_size, 3)
    z = torch.rand(2, ad.input_dim) * 2 - 1
    for bits in (2, 4):
        plain = rd.quantize_latent(z, bits)
        refined = rd.qat_refine(G, ad, x, z, bits, steps=10)
        levels = (1 << bits) - 1
        codes = (refined + 1) / 2 * levels
        assert torch.allclose(codes, codes.round(), atol=1e-4)  # on the b-bit grid
        with torch.no_grad():
            mse = lambda v: (decode(G, ad, v) - x).pow(2).flatten(1).mean(1)  # noqa: E731
            assert (mse(refined) <= mse(plain) + 1e-7).all()


def test_plots_return_figures(result):
    from matplotlib.figure import Figure

    for metric in ("psnr", "ssim"):
        fig = rdplots.plot_rd(result.table, metric)
        assert isinstance(fig, Figure) and fig._repr_png_()[:4] == b"\x89PNG"
    with pytest.raises(GanzError, match="metric"):
        rdplots.plot_rd(result.table, "msssim")


def test_examples_figure(results_dir):
    fig = pages.rd_examples("smoke", "cpu", settings=((100, 8),), picks=(("test", 0),),
                         codecs=("jpeg", "webp"), steps=SMALL["steps"])
    assert len(fig.axes) == 4  # original, GANZ, two codecs
    from ganz.report.figure import MIN_LABEL_PX, MIN_PICTURE_PX, PAGE_PX, legibility

    m = legibility(fig, PAGE_PX)  # reads at the page's width
    assert m["label_px"] >= MIN_LABEL_PX and m["picture_px"] >= MIN_PICTURE_PX, m
    for ax in fig.axes:  # each title within its picture's width (as laid out when saved)
        assert ax.title.get_window_extent().width <= ax.get_window_extent().width + 4, ax.title


# ---------------------------------------------------------------------------- Lasso (fig. 8)
def _cs_setup(m: int = 120, size: int = 16):
    train = profiles.synthetic_images(3, size, 0)
    test = profiles.synthetic_images(3, size, 1)
    A = jobs._measurement_matrix(m, test[0].numel(), 0)
    return train, test, A


def test_dct_matrix_is_orthonormal():
    d = lasso.dct_matrix(8)
    assert torch.allclose(d @ d.T, torch.eye(8, dtype=torch.float64), atol=1e-12)


def test_lasso_beats_the_zero_guess():
    from ganz.core.metrics import psnr

    train, test, A = _cs_setup()
    rows = lasso.lasso_cs_rows([f"t{i}" for i in range(3)], test, "test", A, {"experiment": "x"}, train)
    orig = to_uint8(test)
    zero = to_uint8(torch.zeros_like(test))
    for row, o, z in zip(rows, orig, zero):
        assert row["method"] == "lasso_dct" and row["measurements"] == 120
        assert row["psnr"] > psnr(o, z) + 3


def test_lasso_lambda_comes_from_train_images_only():
    train, test, A = _cs_setup()
    lam, scores = lasso.choose_lambda(train, A)
    assert lam == max(scores, key=scores.get) and lam in lasso.LAMBDA_GRID
    other = profiles.synthetic_images(3, 16, 7)
    for x in (test, other):
        rows = lasso.lasso_cs_rows(["a", "b", "c"], x, "test", A, {}, train)
        assert {r["lambda"] for r in rows} == {lam}


def test_fig8_has_a_lasso_row_per_ganz_row(results_dir):
    res = figures.fig8("smoke", "cpu", measurements=(4000,), n_images=1, steps=2)
    t = res.table
    counts = t.groupby(["split", "method"]).size().unstack()
    assert (counts["lasso_dct"] == counts["ganz"]).all()
    assert t.loc[t["method"] == "lasso_dct", "lasso_lambda"].notna().all()
