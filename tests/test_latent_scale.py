"""The latent scale: a ``.ganz`` file's z stays in [−1, 1] and the adapter takes scale·z. The codec
uses the scale calibrated for a model's random layers (its metadata), stores it in each file and
decodes with the file's own; ``ganz publish`` calibrates it for the original layout."""
import numpy as np
import pytest
import torch

from ganz.core.adapters import make_adapter
from ganz.core.codec import GanzCodec
from ganz.core.config import InvertConfig
from ganz.core.errors import GanzError
from ganz.core.fileformat import unpack
from ganz.core.zoo import export_generator
from images import make_image
from tiny import tiny_generator

STEPS = InvertConfig(steps=20)
IMAGES = np.stack([make_image(16, seed=s) for s in (1, 2)])


def _original(tmp_path, name="orig", **meta) -> str:
    G = tiny_generator(0, arch="original")
    path = tmp_path / f"{name}.safetensors"
    export_generator(G, path, **meta)
    return str(path)


def test_adapter_takes_scale_times_z():
    G = tiny_generator(0, arch="original")
    z = torch.rand(3, 200) * 2 - 1
    for name, kw in (("random_linear", {"dim": 40}), ("square_linear", {}), ("no_linear", {}),
                     ("keep_linear", {})):
        d = make_adapter(G, name, **kw).input_dim
        base, scaled = make_adapter(G, name, **kw), make_adapter(G, name, latent_scale=4.0, **kw)
        assert scaled.latent_scale == 4.0 and base.latent_scale == 1.0
        torch.testing.assert_close(scaled(z[:, :d]), base(4.0 * z[:, :d]))
    with pytest.raises(GanzError, match="latent scale"):
        make_adapter(G, "random_linear", dim=40, latent_scale=-1.0)


def test_codec_uses_the_models_scale_for_random_layers_only(tmp_path):
    codec = GanzCodec(_original(tmp_path, latent_scale=6.0), "cpu", method="paper")
    assert codec.default_scale("random_linear") == codec.default_scale("square_linear") == 6.0
    assert codec.default_scale("keep_linear") == codec.default_scale("no_linear") == 1.0
    x = torch.from_numpy(IMAGES).permute(0, 3, 1, 2).float() / 127.5 - 1
    files = codec.compress(x, ratio=10, cfg=STEPS, bits=8)
    f = unpack(files[0])
    assert f.scale == 6.0 and f.bits == 8
    ad = codec.adapter("random_linear", ratio=10)
    want = codec.reconstruct(torch.from_numpy(f.z)[None], ad)
    from ganz.core.pixels import to_uint8

    assert np.array_equal(codec.decompress(files[0]), to_uint8(want)[0])
    # a file keeps its scale whatever the loading model's default
    plain = GanzCodec(_original(tmp_path, "plain", latent_scale=1.0), "cpu", method="paper")
    assert np.array_equal(plain.decompress(files[0]), codec.decompress(files[0]))
    kept = codec.compress(x[:1], adapter="keep_linear", cfg=STEPS)
    assert unpack(kept[0]).scale == 1.0
    asked = codec.compress(x[:1], ratio=10, cfg=STEPS, latent_scale=2.5)
    assert unpack(asked[0]).scale == 2.5


def test_a_wider_reach_fits_what_scale_one_cannot(tmp_path):
    """Targets drawn from latents in [−4, 4]: at scale 1 the box cuts them off, at scale 4 not."""
    G = tiny_generator(0, arch="original").eval().requires_grad_(False)
    ad = make_adapter(G, "random_linear", dim=40)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        x = G.conv(G.first_tensor(ad(4 * (torch.rand(4, 40, generator=g) * 2 - 1))))
    from ganz.core.invert import invert

    def mse(scale):
        a = make_adapter(G, "random_linear", dim=40, latent_scale=scale)
        res = invert(G, a, x, InvertConfig(steps=150))
        with torch.no_grad():
            return float(((G.conv(G.first_tensor(a(res.z))) - x) ** 2).mean())

    assert mse(4.0) < 0.5 * mse(1.0)


def test_bad_metadata_scale_is_one_clear_error(tmp_path):
    with pytest.raises(GanzError, match="latent_scale"):
        GanzCodec(_original(tmp_path, latent_scale=-3), "cpu", method="paper")


def test_the_scale_study_writes_rows_and_resumes(tmp_path, monkeypatch):
    import pandas as pd

    from ganz.results import codecscale as codecscale_table
    from ganz.study import codecscale

    model = _original(tmp_path, latent_scale=4.0)
    out = tmp_path / "scale.csv"
    codecscale.evaluate_scales(model, "smoke", ("test",), 10.0, n_images=2, out=out, steps=10)
    t = pd.read_csv(out)
    assert len(t) == 2 * 2 * 2  # images × scales (1 and the model's 4) × bits (32, 8)
    assert set(t.scale) == {1.0, 4.0} and set(t.bits) == {32, 8}
    assert set(t.model) == {"orig"} and t.image.nunique() == 2  # the model named, not a face
    assert t[t.scale == 4.0].calibrated.all() and not t[t.scale == 1.0].calibrated.any()
    assert (t[t.bits == 8].bytes < t[t.bits == 32].bytes.values).all()
    s = codecscale_table.summary(t)
    assert len(s) == 4 and (s.images == 2).all()
    calls = []
    monkeypatch.setattr(GanzCodec, "invert", lambda *a, **k: calls.append(1))
    codecscale.evaluate_scales(model, "smoke", ("test",), 10.0, n_images=2, out=out, steps=10)
    assert not calls and len(pd.read_csv(out)) == 8  # nothing run again


def test_rate_distortion_latents_use_the_codecs_scale(tmp_path):
    """The codecs table's GANZ files are what ``ganz compress`` writes: random layers at the
    model's scale (its own cache entries), the trained layer at 1; the files store the scale."""
    from ganz.study.jobs import job_path, run_settings
    from ganz.study.profiles import get_profile, load_split
    from ganz.study.ratedistortion import ganz_files

    prof = get_profile("smoke")
    G = tiny_generator(0, arch="original").eval().requires_grad_(False)
    parts = [load_split(prof, "test", 2, 16)]
    cfg = InvertConfig(steps=5)
    settings = [("random_linear", 10.0), ("keep_linear", None)]
    got = run_settings(prof, G, "ab" * 32, settings, parts, cfg, torch.device("cpu"),
                       latent_scale=4.0)
    rand, keep = got[("random_linear", 10.0, None)][0], got[("keep_linear", None, None)][0]
    assert rand.adapter.latent_scale == 4.0 and keep.adapter.latent_scale == 1.0
    plain = make_adapter(G, "random_linear", ratio=10.0, seed=cfg.seed)
    names = parts[0][0]
    assert job_path(prof, "ab" * 32, rand.adapter, cfg, names, None) != \
        job_path(prof, "ab" * 32, plain, cfg, names, None)
    files, _ = ganz_files(G, "ab" * 32, rand.adapter, rand.z, 8)
    assert {unpack(f).scale for f in files} == {4.0}


def _scale_rows(psnrs: dict, scales: tuple, calibrated: float):
    import pandas as pd

    rows = [{"model": "m", "generator": "0eeb", "split": "test", "image": image, "ratio": 10.0,
             "scale": scale, "calibrated": scale == calibrated, "method": "fast", "bits": 32,
             "psnr": p, "at_bound": 0.2 if scale == 1 else 0.05, "device": "cpu", "commit": "abc"}
            for image, values in psnrs.items() for scale, p in zip(scales, values)]
    return pd.DataFrame(rows)


def test_report_compares_the_scales_per_image():
    import pandas as pd

    from ganz.report import latentscale

    table = _scale_rows({"a": (20.0, 22.5), "b": (25.0, 24.0), "c": (23.0, 26.0)}, (1.0, 8.0), 8.0)
    assert latentscale.scale_in_use(table) == 8.0  # no zoo model "m": the flagged rows say
    loop = pd.DataFrame({"split": "test", "image": ["a", "b", "c"], "psnr": [21.0, 27.0, 29.0]})
    c = latentscale.comparison(table, loop)
    assert len(c) == 1
    r = c.iloc[0]
    assert r[latentscale.psnr_column(1.0)] == 23.0 and r[latentscale.psnr_column(8.0)] == 24.0
    assert r.median_gain_db == 2.5 and r.images_better == 2 and r.scale == 8.0
    assert r.figure_loop_median == 27.0
    text = latentscale.verdict(table, target_db=24.0, loop=loop)
    assert "23.00 dB at s = 1 and 24.00 dB at s = 8" in text and "reaches" in text
    assert "uses s = 8" in text and "better on 2 of 3" in text
    assert "(fig. 5) reaches 27.00 dB" in text and "best median" not in text
    assert "is still below" in latentscale.verdict(table, target_db=28.0, loop=loop)
    assert latentscale.verdict(table.query("scale == 1"), loop=loop).startswith("The latent-scale")


def test_report_shows_every_scale_and_names_a_better_one_on_the_test_faces():
    from ganz.report import latentscale

    table = _scale_rows({"a": (20.0, 23.0, 22.0), "b": (21.0, 25.0, 24.0), "c": (22.0, 24.0, 26.0),
                         "d": (19.0, 24.0)}, (1.0, 4.0, 8.0), 8.0)  # "d" lacks s = 8: left out
    c = latentscale.comparison(table, None)
    r = c.iloc[0]
    assert r.images == 3 and r[latentscale.psnr_column(4.0)] == 24.0
    assert r[latentscale.psnr_column(8.0)] == 24.0 and r.median_gain_db == 3.0
    text = latentscale.verdict(table, loop=table.iloc[:0][["split", "image", "psnr"]])
    assert "21.00 dB at s = 1, 24.00 dB at s = 4 and 24.00 dB at s = 8" in text
    assert "best median" not in text  # a tie keeps the scale in use
    text = latentscale.verdict(table, loop=table.iloc[:0][["split", "image", "psnr"]], in_use=4.0)
    assert "uses s = 4" in text and "better on 3 of 3" in text
    table.loc[(table.image == "a") & (table.scale == 8.0), "psnr"] = 25.0
    text = latentscale.verdict(table, loop=table.iloc[:0][["split", "image", "psnr"]], in_use=4.0)
    assert "best median is at s = 8 (+1.00 dB)" in text


def test_fast_calibration_scores_each_scale_with_the_codecs_method():
    from ganz.train.encoder import EncoderTrainConfig, train_encoder
    from ganz.train.publish import score_scales, score_scales_fast

    G = tiny_generator(0, arch="original").eval().requires_grad_(False)
    E, _ = train_encoder(G, None, EncoderTrainConfig(steps=10, batch_size=8, log_every=10,
                                                     channels=8))
    x = torch.from_numpy(IMAGES).permute(0, 3, 1, 2).float() / 127.5 - 1
    scores, limit = score_scales_fast(G, x, E.eval(), (1.0, 4.0), steps=30)
    assert set(scores) == {1.0, 4.0} and limit == 30
    assert all(np.isfinite(v) for v in scores.values())
    assert score_scales_fast(G, x, E, (1.0, 4.0), steps=30, time_limit=0.0)[0] == {}
    adam, ran = score_scales(G, x, (1.0, 4.0), steps=25)
    assert set(adam) == {1.0, 4.0} and ran == 25


def test_fast_calibration_needs_an_encoder(tmp_path):
    from ganz.train.publish import publish

    with pytest.raises(GanzError, match="encoder"):
        publish(_original(tmp_path), "x", "smoke", method="fast")
