"""Recorded results stay viewable without the evaluation images (e.g. a book build on GitHub)."""
from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from ganz.core import data
from ganz.study import figures, profiles
from ganz.core.errors import MissingDataError
from ganz.report.figure import provenance
from ganz.report.pictures import fig3_images, fig4_images, fig8_images

from tiny import tiny_model_file


@pytest.fixture
def real_profile(tmp_path, monkeypatch):
    """A non-synthetic profile on a tiny generator, with made-up CelebA/OOD files and manifest."""
    root = tmp_path / "data"
    (root / "celeba").mkdir(parents=True)
    (root / "ood").mkdir()
    rng = np.random.default_rng(0)
    entries = []
    for split, folder, size, ext in [("train", "celeba", (109, 89), "jpg"),
                                     ("test", "celeba", (109, 89), "jpg"),
                                     ("ood", "ood", (40, 40), "png")]:
        for i in range(2):
            name = f"{split}{i}.{ext}"
            Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(root / folder / name)
            entries.append({"split": split, "name": name,
                            "sha256": data.sha256_file(root / folder / name)})
    monkeypatch.setattr(data, "load_manifest", lambda *a, **k: {"images": entries})
    monkeypatch.setenv("GANZ_DATA", str(root))
    tiny_model_file(tmp_path / "g.safetensors", seed=0, latent_dim=64)
    prof = profiles.Profile("tinyreal", steps=3, n_images=2,
                               models={64: str(tmp_path / "g.safetensors")}, image_size=16)
    monkeypatch.setitem(profiles.PROFILES, "tinyreal", prof)
    return root


def test_recorded_figures_render_without_images(real_profile, tmp_path, monkeypatch):
    with_images = {
        "fig3": figures.fig3("tinyreal", "cpu"),
        "fig4": figures.fig4("tinyreal", "cpu", image="ood0", ratios=[10]),
        "fig8": figures.fig8("tinyreal", "cpu", measurements=[4000]),
    }
    monkeypatch.setenv("GANZ_DATA", str(tmp_path / "nowhere"))
    without = {
        "fig3": figures.fig3("tinyreal", "cpu"),
        "fig4": figures.fig4("tinyreal", "cpu", image="ood0", ratios=[10]),
        "fig8": figures.fig8("tinyreal", "cpu", measurements=[4000]),
    }
    for name, res in without.items():
        ref = with_images[name]
        # the same recorded numbers, the same reconstructions; no originals, and it says so
        np.testing.assert_allclose(res.table["psnr"], ref.table["psnr"])
        assert not any(k.endswith("original") for k in res.images)
        assert any(k.endswith("original") for k in ref.images)
        for key, img in res.images.items():
            np.testing.assert_array_equal(img, ref.images[key])
        assert "note" not in ref.meta and "not on this machine" in provenance(res.meta)
    # every row carries its rate as it was set, beside the one reached (N / d_c)
    t4 = with_images["fig4"].table
    ganz4 = t4[t4["method"] == "ganz"].set_index("adapter")
    assert ganz4.loc["keep_linear", "d_c"] == 64
    random4 = ganz4.loc[["random_linear"]]
    assert 10.0 in set(random4["nominal_ratio"]) and 77 in set(random4["d_c"])  # round(768 / 10)
    assert np.allclose(random4["ratio"], 768 / random4["d_c"])
    wave4 = t4[t4["method"].str.startswith("wavelet")]
    assert set(wave4["nominal_ratio"]) == set(random4["nominal_ratio"]) | {12.0}  # keep: N / d_t
    t8 = with_images["fig8"].table
    assert set(t8["nominal_measurements"]) == {4000} and (t8["measurements"] == 62).all()
    fig3_images(without["fig3"].images, without["fig3"].table)
    fig4_images(without["fig4"].images, without["fig4"].table)
    fig8_images(without["fig8"].images, without["fig8"].table)


def test_unrecorded_results_still_need_the_images(real_profile, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZ_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(MissingDataError, match="GANZ_DATA"):
        figures.fig5("tinyreal", "cpu", ratio=[10])


def test_fig4_runs_a_face_of_the_manifest(real_profile, tmp_path, monkeypatch):
    """Fig. 4's panels (a) and (b) are faces: the runner takes a training or held-out face by
    name (the stand-ins 000001 / 008551 in the book), records its split, and reads it back."""
    from ganz.core.errors import GanzError

    res = figures.fig4("tinyreal", "cpu", image="train1", ratios=[10])
    assert set(res.table["split"]) == {"train"} and set(res.table["image"]) == {"train1.jpg"}
    assert "original" in res.images and "wavelet/R10" in res.images
    monkeypatch.setenv("GANZ_DATA", str(tmp_path / "nowhere"))
    again = figures.fig4("tinyreal", "cpu", image="train1.jpg", ratios=[10])  # the same record
    np.testing.assert_allclose(again.table["psnr"], res.table["psnr"])
    assert "original" not in again.images
    with pytest.raises(GanzError, match="neither an out-of-domain picture"):
        figures.fig4("tinyreal", "cpu", image="nosuch", ratios=[10])
