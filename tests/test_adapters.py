import pytest
import torch

from ganz.core.adapters import decode, make_adapter, ratio_to_dim
from ganz.core.config import ModelConfig
from ganz.core.errors import GanzError
from ganz.core.models import Generator
from tiny import tiny_generator


def test_ratio_arithmetic():
    assert ratio_to_dim(12288, 10) == 1229
    assert ratio_to_dim(49152, 10) == 4915
    assert ratio_to_dim(49152, 768) == 64
    with pytest.raises(GanzError):
        ratio_to_dim(100, 0)
    with pytest.raises(GanzError):
        ratio_to_dim(100, float("nan"))


def test_adapters_dims_and_ratios():
    cfg = ModelConfig(64, 4, 8, 32)  # conv input 128
    G = Generator(cfg)
    N = cfg.num_pixels
    assert make_adapter(G, "keep_linear").input_dim == 32
    assert make_adapter(G, "random_linear", ratio=24).input_dim == round(N / 24)
    assert make_adapter(G, "square_linear").input_dim == 128
    nl = make_adapter(G, "no_linear")
    assert nl.input_dim == 128 and nl.ratio(N) == N / 128
    with pytest.raises(GanzError):
        make_adapter(G, "bogus")
    with pytest.raises(GanzError):
        make_adapter(G, "random_linear")


def test_keep_linear_matches_generator():
    G = tiny_generator().eval()
    z = torch.rand(3, 8) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(decode(G, make_adapter(G, "keep_linear"), z), G(z), atol=1e-6)


def test_random_layer_is_deterministic_from_seed():
    G = tiny_generator()
    a = make_adapter(G, "random_linear", ratio=10, seed=3)
    b = make_adapter(G, "random_linear", ratio=10, seed=3)
    c = make_adapter(G, "random_linear", ratio=10, seed=4)
    assert torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, c.weight)


def test_original_style_layers_are_torch_linear_default_distribution():
    G = Generator(ModelConfig(32, 4, 16, 8, arch="original"))  # C = 256
    ad = make_adapter(G, "random_linear", dim=400, seed=5)
    assert ad.style == "original" and ad.weight.shape == (256, 400) and ad.bias.shape == (256,)
    bound = 1 / 400**0.5
    for t in (ad.weight, ad.bias):
        assert t.abs().max() <= bound and t.abs().max() > 0.95 * bound
    w = ad.weight.double()
    assert abs(float(w.mean())) < 0.02 * bound
    assert abs(float(w.var()) / (1 / (3 * 400)) - 1) < 0.02  # U(±a): variance a²/3
    assert abs(float(ad.bias.double().var()) / (1 / (3 * 400)) - 1) < 0.2
    z = torch.rand(2, 400) * 2 - 1
    assert torch.allclose(ad(z), z @ ad.weight.t() + ad.bias, atol=1e-6)
    assert torch.equal(make_adapter(G, "random_linear", dim=400, seed=5).bias, ad.bias)
    assert not torch.equal(make_adapter(G, "random_linear", dim=400, seed=6).bias, ad.bias)
    sq = make_adapter(G, "square_linear")
    assert sq.input_dim == 256 and sq.bias.abs().max() <= 1 / 16
    nl = make_adapter(G, "no_linear")
    assert nl.scale == 1.0 and torch.equal(nl(torch.ones(1, 256)), torch.ones(1, 256))
    keep = make_adapter(G, "keep_linear")
    assert torch.equal(keep.weight, G.h0.weight) and keep.bias.numel() == 0


def test_styles_can_be_swapped_as_named_variants():
    G = tiny_generator(arch="original")
    cal = make_adapter(G, "random_linear", ratio=10, style="calibrated")
    assert cal.style == "calibrated" and cal.bias.numel() == 0
    Gg = tiny_generator()
    assert make_adapter(Gg, "random_linear", ratio=10).style == "calibrated"
    assert make_adapter(Gg, "random_linear", ratio=10, style="original").bias.numel() == 256 // 2
    with pytest.raises(GanzError, match="style"):
        make_adapter(G, "random_linear", ratio=10, style="uniform")


# decoded pixels of the committed cpu-small models, recorded before adapter styles and the
# original arch existed: the ganz arch and its calibrated adapters must not change by one bit
CPU_SMALL_DECODES = {
    "cpu-small-d64/keep_linear": "c697e2946e48d33d",
    "cpu-small-d64/random_linear": "37e95bd3aeb35306",
    "cpu-small-d64/square_linear": "cb52031171723acf",
    "cpu-small-d64/no_linear": "80b6813f37ebc317",
    "cpu-small-d64/G": "ee7d243f83ff766a",
    "cpu-small-d128/keep_linear": "8a4422f0971ccb7a",
    "cpu-small-d128/random_linear": "8e7f2be5f5cb1e39",
    "cpu-small-d128/square_linear": "5ead9bcaedbe2c14",
    "cpu-small-d128/no_linear": "7c0f3998bb00b6b4",
    "cpu-small-d128/G": "8a0766d85f791c8a",
}


def test_cpu_small_decoding_is_unchanged():
    import hashlib

    from ganz.core.pixels import to_uint8
    from ganz.core.paths import PACKAGE_DIR
    from ganz.core.zoo import load_generator

    got = {}
    for m in ("cpu-small-d64", "cpu-small-d128"):
        path = PACKAGE_DIR / "zoo" / f"{m}.safetensors"
        if not path.is_file():
            pytest.skip("committed cpu-small models absent")
        G, _, _ = load_generator(path)
        assert G.cfg.arch == "ganz"
        g = torch.Generator().manual_seed(7)
        for name, kw in [("keep_linear", {}), ("random_linear", {"ratio": 10}), ("square_linear", {}),
                         ("no_linear", {})]:
            ad = make_adapter(G, name, seed=3, **kw)
            z = torch.rand(2, ad.input_dim, generator=g) * 2 - 1
            with torch.no_grad():
                got[f"{m}/{name}"] = hashlib.sha256(to_uint8(decode(G, ad, z)).tobytes()).hexdigest()[:16]
        with torch.no_grad():
            img = to_uint8(G(torch.rand(2, G.cfg.latent_dim, generator=g) * 2 - 1))
        got[f"{m}/G"] = hashlib.sha256(img.tobytes()).hexdigest()[:16]
    assert got == CPU_SMALL_DECODES


def test_fast_projection_removes_the_bias():
    from ganz.core.fast import project

    G = tiny_generator(arch="original")
    ad = make_adapter(G, "random_linear", dim=40, seed=1)
    z = torch.rand(3, 40) * 1.6 - 0.8
    assert torch.allclose(project(ad, ad(z)), z, atol=1e-3)
