"""The results store: tidy rows from recorded tables, and the committed index kept current."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ganz.core.errors import GanzError
from ganz.core.paths import ROOT
from ganz.results import store


def test_tidy_rows_carry_dc_nominal_ratio_and_bits():
    n = 3 * 32 * 32
    df = pd.DataFrame({"method": ["ganz", "ganz", "wavelet_original_code"],
                       "adapter": ["random_linear", "keep_linear", ""],
                       "ratio": [n / round(n / 10), n / 64, n / round(n / 10)],
                       "d_c": [307, 64, 307], "nominal_ratio": [10.0, n / 64, 10.0],
                       "bytes": [1161, 300, 900], "psnr": [20.0, 18.0, 30.0], "split": "test"})
    side = {"params": {"ratios": [10.0]}, "inversion": {"seed": 3}}
    t = store.tidy(df, "fig5", "cpu-small", "k", side, image_size=32)
    assert list(t.columns) == store.SCHEMA
    assert t["d_c"].tolist() == [307, 64, 307]
    assert t["nominal_ratio"].tolist() == [10.0, n / 64, 10.0]  # keep_linear: its own ratio
    assert t["bits"].tolist()[:2] == [32, 32] and pd.isna(t["bits"].iloc[2])
    assert t["bpp"].iloc[0] == pytest.approx(1161 * 8 / 1024)
    assert t["seed"].tolist()[:2] == [3, 3] and pd.isna(t["seed"].iloc[2])
    assert (t["source"] == "ours").all() and (t["config_key"] == "k").all()
    with pytest.raises(GanzError, match="no rate columns"):  # a table the runners did not write
        store.tidy(df.drop(columns=["d_c", "nominal_ratio"]), "fig5", "cpu-small", "k", side, 32)


def test_paper_rows_share_the_schema():
    p = store.paper_rows()
    assert list(p.columns) == store.SCHEMA and (p["source"] == "paper").all()
    assert {"fig2", "fig3", "fig4", "fig5", "fig8"} <= set(p["figure"])


@pytest.mark.parametrize("profile", ["cpu-small", "paper"])
def test_committed_index_lists_every_table_with_its_sidecar(profile, monkeypatch):
    """Fails when a table is recorded without `python -m ganz.results.store` being run after it."""
    monkeypatch.setenv("GANZ_RESULTS", str(ROOT / "results"))
    root = ROOT / "results" / profile
    committed = pd.read_csv(root / "index.csv")
    now = store.index(profile)
    assert committed["file"].tolist() == now["file"].tolist(), "run python -m ganz.results.store"
    assert committed["rows"].tolist() == now["rows"].tolist()
    assert now["sidecar"].all(), f"tables without a sidecar: {now.loc[~now['sidecar'], 'file'].tolist()}"
    tidy = pd.read_csv(root / "tidy.csv")
    assert len(tidy) == now["rows"].sum() + len(store.paper_rows())


def test_read_returns_what_the_runner_recorded_and_names_the_command_when_not(tmp_path, monkeypatch):
    from ganz.study import figures

    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    with pytest.raises(GanzError, match=r"stale: .*run `ganz run --profile smoke fig3`"):
        store.read("fig3", "smoke")
    made = figures.fig3("smoke", "cpu")
    got = store.read("fig3", "smoke")
    assert got.table["psnr"].tolist() == made.table["psnr"].tolist()
    assert list(got.table.columns) == list(made.table.columns)
    assert list(got.images) == list(made.images)  # the smoke profile's originals are kept too
    assert got.meta["params"] == {"n": 2, "steps": 25} and got.table.attrs["source"].endswith(".csv")
    store.pictures_path(Path(got.table.attrs["source"])).unlink()
    with pytest.raises(GanzError, match="fig3 pictures"):  # a table without its pictures
        store.read("fig3", "smoke")


def test_pictures_leave_originals_and_wavelets_with_the_data(tmp_path):
    img = np.zeros((4, 4, 3), np.uint8)
    images = {"original": img, "ganz/R10": img, "wavelet/R10": img, "test/a.jpg/original": img,
              "test/a.jpg/no_linear": img}
    store.write_pictures(tmp_path / "fig4-k.csv", images)
    assert list(store.read_pictures(tmp_path / "fig4-k.csv")) == ["ganz/R10", "test/a.jpg/no_linear"]


def test_generator_ids_are_read_without_torch(tmp_path):
    from ganz.core.modelfiles import file_weights_id
    from ganz.core.zoo import load_generator
    from tiny import tiny_model_file

    _, path = tiny_model_file(tmp_path / "g.safetensors", seed=0, latent_dim=8)
    assert file_weights_id(path) == load_generator(path)[1]
