"""Fidelity to the original code: its image lists, recorded ratios mapped back, chapter numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ganz.core import data
from ganz.report import deviations
from ganz.study import fidelity
from ganz.core.errors import MissingDataError
from ganz.study.profiles import PROFILES
from test_data import fake_celeba


def fake_root(tmp_path, n=400, ood=("airplane", "campfire", "ferns", "horsehead_nebula", "jack",
                                    "obama", "ocean", "snow_tree", "subway", "zebra")):
    fake_celeba(tmp_path / "celeba", n, (89, 109))
    (tmp_path / "ood").mkdir()
    for i, name in enumerate(ood):
        Image.new("RGB", (40, 30), (i * 20, 50, 90)).save(tmp_path / "ood" / f"{name}.png")
    return tmp_path


def test_original_lists_take_the_first_of_each_sorted_split(tmp_path):
    root = fake_root(tmp_path)
    lists = data.original_lists(root)
    names = {s: [e["name"] for e in lists["images"] if e["split"] == s] for s in ("train", "test", "ood")}
    assert names["train"] == [f"{i:06d}.jpg" for i in range(1, 21)]
    assert names["test"] == [f"{i:06d}.jpg" for i in range(381, 401)]  # 95 % of 400 = 380 train
    assert len(names["ood"]) == 10
    fig8 = lists["figures"]["fig8"]
    assert [e["name"] for e in fig8] == ["000001.jpg", "000381.jpg", "jack.png"]
    assert [e.get("replaces") for e in fig8] == ["034782.jpg", "196479.jpg", None]
    assert [e["split"] for e in lists["figures"]["fig3"]] == ["train", "test"] + ["ood"] * 8
    (tmp_path / "ood" / "jack.png").unlink()
    with pytest.raises(MissingDataError, match="jack"):
        data.original_lists(root)


def test_committed_manifest_has_both_sets():
    seeded = data.eval_names("train")
    original = data.eval_names("train", image_set="original")
    assert len(seeded) == len(original) == 20 and seeded != original
    assert original[:2] == ["000001.jpg", "000002.jpg"]
    assert data.eval_names("ood", image_set="original", figure="fig8") == ["jack.png"]
    assert len(data.eval_names("ood", image_set="original", figure="fig3")) == 8
    assert PROFILES["paper"].image_set == "original" and PROFILES["cpu-small"].image_set == "seeded"


def test_image_list_differences_from_the_manifest():
    table = deviations.image_list_differences("cpu-small")
    fig2 = table[table["figure"] == "fig2"].set_index("split")
    assert (fig2["ours_n"] == PROFILES["cpu-small"].dim_images).all()
    assert (fig2["original_n"] == 20).all()
    paper = deviations.image_list_differences("paper")
    assert (paper["ours_n"] == paper["original_n"]).all()
    assert (paper["shared"] == paper["original_n"]).all()
    assert set(deviations.stand_ins()["original"]) == {"034782.jpg", "196479.jpg"}


def test_recompute_leaves_ganz_rows_alone(monkeypatch):
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    monkeypatch.setattr(data, "eval_image", lambda split, name, size: image)
    table = pd.DataFrame({"experiment": "fig5", "split": "ood", "image": "x.png",
                          "ratio": [3072 / 307, 3072 / 307, 3072 / 307], "nominal_ratio": 10.0,
                          "method": ["ganz", "wavelet_paper_text", "wavelet_original_code"],
                          "psnr": [20.0, 1.0, 1.0], "ssim": 0.0, "bytes": 0, "commit": "old"})
    new = fidelity.recompute_wavelet_rows(table, 32, "new")
    assert new.loc[0, ["psnr", "ssim", "bytes", "commit"]].tolist() == [20.0, 0.0, 0, "old"]
    assert new["commit"].tolist() == ["old", "new", "new"]
    assert new["psnr"].iloc[2] > new["psnr"].iloc[1] > 1.0
    assert new["psnr_uint8"].iloc[1:].notna().all()
