import pytest
import torch

from ganz.config import ModelConfig
from ganz.models import Discriminator, Generator, conv_module_flops


@pytest.mark.parametrize("size,base,conv_in", [(64, 4, 2048), (128, 8, 8192)])
def test_paper_shapes(size, base, conv_in):
    cfg = ModelConfig(image_size=size, base_size=base, width=128, latent_dim=64)
    assert cfg.conv_input_dim == conv_in
    assert cfg.num_pixels // conv_in == 6  # no_linear is R = 6 at both sizes
    # tiny width for the forward pass: same topology
    small = ModelConfig(image_size=size, base_size=base, width=4, latent_dim=16)
    G, D = Generator(small), Discriminator(small)
    z = torch.rand(2, 16) * 2 - 1
    x = G(z)
    assert x.shape == (2, 3, size, size)
    assert D(x).shape == x.shape
    assert D.encoder(x).shape == (2, 16)


def test_bad_config():
    with pytest.raises(ValueError):
        ModelConfig(image_size=48, base_size=5)
    with pytest.raises(ValueError):
        ModelConfig(width=0)


def test_flops_grow_with_size():
    a = conv_module_flops(ModelConfig(64, 4, 128, 64))
    b = conv_module_flops(ModelConfig(128, 8, 128, 64))
    assert b > 3.5 * a
