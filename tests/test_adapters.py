import pytest
import torch

from ganz.adapters import decode, make_adapter, ratio_to_dim
from ganz.config import ModelConfig
from ganz.errors import GanzError
from ganz.models import Generator


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
    G = Generator(ModelConfig(16, 4, 8, 8)).eval()
    z = torch.rand(3, 8) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(decode(G, make_adapter(G, "keep_linear"), z), G(z), atol=1e-6)


def test_random_layer_is_deterministic_from_seed():
    G = Generator(ModelConfig(16, 4, 8, 8))
    a = make_adapter(G, "random_linear", ratio=10, seed=3)
    b = make_adapter(G, "random_linear", ratio=10, seed=3)
    c = make_adapter(G, "random_linear", ratio=10, seed=4)
    assert torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, c.weight)
