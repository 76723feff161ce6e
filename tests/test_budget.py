"""``ganz compress --max-bytes``: the byte budget search and the rate-aware codes."""
import numpy as np
import pytest
import torch

from ganz.cli import main
from ganz.core.budget import BudgetConfig, compress_to_budget, dim_for_budget, smallest_file
from ganz.core.entropy import prior_path
from ganz.core.errors import GanzError
from ganz.core.fileformat import header_bytes, quantize, unpack
from ganz.core.ratequant import RateConfig, payload_bytes, refine_codes


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def tiny_with_prior(tiny_model):
    """The tests' tiny generator with a prior beside its weights."""
    from ganz.core.zoo import load_generator
    from tools.fuzzcases import tiny_prior

    _, model = tiny_model
    tiny_prior(load_generator(model, "cpu")[1]).write(prior_path(model))
    return model


@pytest.fixture
def codec(tiny_with_prior):
    from ganz.core.codec import GanzCodec

    return GanzCodec(tiny_with_prior, "cpu", method="paper")


FEW = BudgetConfig(rate=RateConfig(steps=8))


def test_dim_for_budget_grows_with_the_budget(codec):
    dims = [dim_for_budget(codec.prior, "random_linear", 4, b, 16, 16, 0, 1.0) for b in
            (24, 30, 60, 120, 400)]
    assert dims[0] is not None and dims == sorted(dims) and dims[-1] > 4 * dims[0]
    assert dim_for_budget(codec.prior, "random_linear", 4, 15, 16, 16, 0, 1.0) is None


@pytest.mark.parametrize("budget", [20, 30, 45, 80])
def test_every_file_fits_its_budget(codec, budget):
    from ganz.core.config import InvertConfig

    x = torch.rand(2, 3, 16, 16) * 2 - 1
    out = compress_to_budget(codec, x, budget, cfg=FEW, invert_cfg=InvertConfig(steps=5))
    for ch in out:
        assert len(ch.data) <= budget
        f = codec.parse(ch.data)
        assert len(f.z) == ch.dim and f.bits == ch.bits
        assert codec.decompress(ch.data).shape == (16, 16, 3)
        assert any(t["dim"] == ch.dim and t["bits"] == ch.bits for t in ch.tried)


def test_below_the_smallest_file(codec):
    least = smallest_file(16, 16)
    assert least == header_bytes("random_linear", 16, 16, 0, 1) + 1
    with pytest.raises(GanzError, match=f"below the smallest .ganz file of this model \\({least} "):
        compress_to_budget(codec, torch.zeros(1, 3, 16, 16), least - 1)


def test_refined_codes_beat_rounding_and_fit(codec):
    from ganz.core.config import InvertConfig

    torch.manual_seed(0)
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    ad = codec.adapter("random_linear", None, 60)
    z0 = codec.invert(x, ad, InvertConfig(steps=20)).z
    table = codec.prior.table("random_linear", 60, 4)
    free = refine_codes(codec.G, ad, x, z0, 4, table, RateConfig(steps=15))
    assert np.all(free.mse <= free.first_mse + 1e-12)  # never worse than plain rounding
    plain = [payload_bytes(table, c, 4) for c in quantize(z0.numpy(), 4)]
    room = int(min(plain)) - 3  # tighter than rounding gives: the rate term must cut bytes
    tight = refine_codes(codec.G, ad, x, z0, 4, table, RateConfig(steps=40), max_payload=room)
    assert tight.fits.all() and np.all(tight.payload <= room)
    assert all(payload_bytes(table, c, 4) <= room for c in tight.codes)


def test_cli_max_bytes_and_info(tiny_with_prior, image_file, tmp_path, capsys):
    img = image_file(16)
    f = tmp_path / "f.ganz"
    code, out, err = run(["compress", img, "-o", f, "--max-bytes", 50, "--steps", 5, "--method",
                          "paper", "--model", tiny_with_prior, "-q"], capsys)
    assert code == 0, err
    assert f.stat().st_size <= 50 and "budget 50" in out and "bits" in out and "d_c" in out
    g = unpack(f.read_bytes())
    code, out, err = run(["info", f], capsys)
    assert code == 0, err
    assert f"{len(g.z)} latent values" in out and f"{g.bits} bits" in out
    assert ("latent coding" in out) == (g.coding == "entropy")
    code, _, err = run(["decompress", f, "-o", tmp_path / "r.png", "--model", tiny_with_prior],
                       capsys)
    assert code == 0, err
    # --bits and --ratio fix the setting the search may pick
    code, out, err = run(["compress", img, "-o", tmp_path / "g.ganz", "--max-bytes", 60, "--bits",
                          3, "--ratio", 20, "--steps", 5, "--method", "paper", "--model",
                          tiny_with_prior, "-q"], capsys)
    assert code == 0, err
    g = unpack((tmp_path / "g.ganz").read_bytes())
    assert g.bits == 3 and len(g.z) == round(768 / 20)


@pytest.mark.parametrize("extra, words", [
    (["--max-bytes", 10], ["below the smallest .ganz file", "bytes"]),
    (["--max-bytes", 100, "--bits", 16], ["--bits must be 1 to 12"]),
    (["--max-bytes", 0], ["must be positive"]),
])
def test_cli_budget_errors(tiny_with_prior, image_file, tmp_path, capsys, extra, words):
    img = image_file(16)
    code, out, err = run(["compress", img, "-o", tmp_path / "f.ganz", *extra, "--method", "paper",
                          "--steps", 3, "--model", tiny_with_prior, "-q"], capsys) \
        if extra[1] != 0 else (None, None, None)
    if extra[1] == 0:
        with pytest.raises(SystemExit):
            main(["compress", img, "-o", str(tmp_path / "f.ganz"), *map(str, extra)])
        err = capsys.readouterr().err
    else:
        assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err, err
    assert not (tmp_path / "f.ganz").exists()


@pytest.mark.slow  # four cold `ganz compress` processes: a minute on a loaded CPU
def test_tiny_band_bench(tiny_with_prior, tmp_path):
    """``ganz bench tiny`` on the tiny model: GANZ rows are real CLI files, WebP beside them."""
    from conftest import make_image

    from ganz.study.tinyband import run_tiny_band

    faces = [("a.png", make_image(16, 0)), ("b.png", make_image(16, 1))]
    summary = run_tiny_band(tiny_with_prior, budgets=(40, 70), out_dir=tmp_path, codecs=("webp",),
                            extra_args=("--method", "paper", "--steps", "3"), images=faces,
                            say=lambda line: None, pictures=1, tag="t")
    name = "tiny-band-tiny-t"
    table = __import__("pandas").read_csv(tmp_path / f"{name}.csv")
    assert (tmp_path / f"{name}-summary.csv").is_file() and (tmp_path / f"{name}.json").is_file()
    g = table[table.codec == "ganz"]
    assert len(g) == 4 and g.fits.all() and (g.bytes <= g.budget).all()
    assert (g.payload <= g.payload_zlib_path).all()
    s = summary.set_index(["budget", "codec"])
    assert s.loc[(40, "ganz"), "served"] == 2 and "ganz_wins" in summary
    import numpy as np

    from ganz.core.metrics import psnr

    pics = np.load(tmp_path / f"{name}-pictures.npz")
    assert sorted(pics.files) == ["a.png/40/ganz", "a.png/40/webp", "a.png/70/ganz",
                                  "a.png/70/webp"]  # decoded pictures only, never the originals
    a40 = g[(g.image == "a.png") & (g.budget == 40)].iloc[0]  # the kept picture is the one measured
    assert abs(psnr(faces[0][1], pics["a.png/40/ganz"]) - a40.psnr) < 1e-3


def test_ganz_at_budget_is_a_codec_point(codec):
    from conftest import make_image

    from ganz.baselines.ganzcodec import ganz_at_budget
    from ganz.core.config import InvertConfig

    pt = ganz_at_budget(codec, make_image(16, 2), 40, cfg=FEW, invert_cfg=InvertConfig(steps=5))
    assert pt.num_bytes <= 40 and pt.reachable and pt.recon.shape == (16, 16, 3) and pt.psnr > 0


def _inverted(codec, seed: int, bits: int):
    """A random picture, its 60-value latent (20 steps) and the prior's table at ``bits``."""
    from ganz.core.config import InvertConfig

    torch.manual_seed(seed)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    ad = codec.adapter("random_linear", None, 60)
    z0 = codec.invert(x, ad, InvertConfig(steps=20)).z[0]
    return x, ad, z0, codec.prior.table("random_linear", 60, bits)


def test_progressive_codes_fit_and_decode(codec):
    from ganz.core.ratequant import progressive_codes

    x, ad, z0, table = _inverted(codec, 1, 4)
    plain = payload_bytes(table, quantize(z0.numpy(), 4), 4)
    codes, mse, lam, pay = progressive_codes(codec.G, ad, x, z0, 4, table, plain, steps=5)
    assert codes is not None and pay <= plain and np.isfinite(mse)
    assert codes.min() >= 0 and codes.max() <= 15 and len(codes) == 60


def test_flip_codes_never_worse_and_fit(codec):
    from ganz.core.ratequant import flip_codes

    x, ad, z0, table = _inverted(codec, 2, 3)
    start = quantize(z0.numpy(), 3)
    room = payload_bytes(table, start, 3)
    with torch.no_grad():
        z = torch.as_tensor(start / 7 * 2 - 1, dtype=torch.float32)[None]
        first = float((codec.G.conv(codec.G.first_tensor(ad(z))) - x).pow(2).mean())
    codes, mse, pay = flip_codes(codec.G, ad, x, start, 3, table, room, rounds=5, candidates=8)
    assert mse <= first + 1e-7 and pay <= room == payload_bytes(table, start, 3)
    assert pay == payload_bytes(table, codes, 3) and codes.min() >= 0 and codes.max() <= 7


def test_a_depth_past_its_largest_dim_is_skipped_unless_named(codec):
    from dataclasses import replace

    from ganz.core.config import InvertConfig

    x = torch.rand(1, 3, 16, 16) * 2 - 1
    cfg = replace(FEW, bits=(3, 4), max_dims=((3, 1),), flip_rounds=2)
    ch = compress_to_budget(codec, x, 45, cfg=cfg, invert_cfg=InvertConfig(steps=3))[0]
    assert {t["bits"] for t in ch.tried} == {4}
    ch = compress_to_budget(codec, x, 45, cfg=cfg, invert_cfg=InvertConfig(steps=3), bits=(3,))[0]
    assert ch.bits == 3
