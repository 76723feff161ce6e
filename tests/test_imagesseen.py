"""PSNR against training images seen: medians from the recorded rows of each training length of
the dim-64 model, over the faces every length recorded, and the gain per doubling."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from ganz.core.zoo import export_generator
from ganz.report import imagesseen
from tiny import tiny_generator

SEEN = {"celeba64-d64-final": 1000, "celeba64-d64": 4000, "celeba64-d64-long": 16000}


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """Three tiny models under the paper profile's names, and a results folder to fill."""
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    monkeypatch.setenv("GANZ_ZOO", str(zoo))
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "results"))
    gids = {name: export_generator(tiny_generator(seed=i), zoo / f"{name}.safetensors",
                                   images_seen=n) for i, (name, n) in enumerate(SEEN.items())}
    folder = tmp_path / "results" / "paper"
    folder.mkdir(parents=True)
    return gids, folder


def rows(gid: str, psnrs: dict, split: str = "test", ratio: float = 10.0, steps: int = 7500,
         adapter: str = "random_linear") -> list[dict]:
    return [{"image": img, "split": split, "adapter": adapter, "ratio": 3 * 64 * 64 / round(3 * 64 * 64 / ratio),
             "nominal_ratio": ratio, "method": "ganz",
             "psnr": v, "steps": steps, "generator": gid, "ssim": 0.5} for img, v in psnrs.items()]


def test_medians_per_length_over_common_faces_and_gain_per_doubling(recorded):
    gids, folder = recorded
    short = rows(gids["celeba64-d64-final"], {"a": 20.0, "b": 22.0, "c": 90.0})
    pd.DataFrame(short).to_csv(folder / "fig2-k1.partial.csv", index=False)
    base = (rows(gids["celeba64-d64"], {"a": 23.0, "b": 25.0})  # no face c: c is left out
            + rows(gids["celeba64-d64"], {"a": 1.0, "b": 1.0}, ratio=24.0)  # other ratio
            + rows(gids["celeba64-d64"], {"a": 1.0, "b": 1.0}, adapter="keep_linear")
            + rows(gids["celeba64-d64"], {"a": 1.0, "b": 1.0}, steps=25))  # other steps
    pd.DataFrame(base).to_csv(folder / "fig5-k2.csv", index=False)
    pd.DataFrame(base[:2]).to_csv(folder / "fig5-k3.csv", index=False)  # the same job again
    t = imagesseen.psnr_by_images_seen(("paper",))
    assert t["model"].tolist() == ["celeba64-d64-final", "celeba64-d64"]
    assert t["median_psnr"].tolist() == [21.0, 24.0] and t["images"].tolist() == [2, 2]
    steps = imagesseen.per_doubling(t)
    assert steps["dB per doubling"].tolist() == [1.5]  # 3 dB over 4× the images
    v = imagesseen.verdict(t, ("paper",))
    assert v.facts["db_per_doubling"] == 1.5 and "not recorded yet" in v.text

    pd.DataFrame(rows(gids["celeba64-d64-long"], {"a": 26.0, "b": 28.0})).to_csv(
        folder / "long-d64-r10.csv", index=False)
    t = imagesseen.psnr_by_images_seen(("paper",))
    assert t["images_seen"].tolist() == [1000, 4000, 16000] and t["median_psnr"].iloc[-1] == 27.0
    v = imagesseen.verdict(t, ("paper",))
    assert v.facts["last_db"] == 27.0 and "not recorded yet" not in v.text
    assert math.isclose(v.facts["db_per_doubling"], 1.5)
    assert imagesseen.show_table(t).shape == (3, 2)  # images seen + the one split


def test_nothing_recorded_says_so(recorded):
    t = imagesseen.psnr_by_images_seen(("paper", "smoke"))
    assert t.empty and imagesseen.per_doubling(t).empty
    assert "No profile" in imagesseen.verdict(t, ("paper",)).text
    imagesseen.plot(t)  # a message figure, no error
