import pytest
import torch

from ganz.core.config import ModelConfig
from ganz.core.models import Discriminator, Generator, conv_module_flops, count_parameters, inversion_step_flops


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


def _original_generator_shapes(size: int, base: int, ch: int, latent: int) -> list[tuple]:
    """The authors' SimpleGenerator layer list (model.py), generalised: linear (no bias), one
    UpBlock per ×2 step (ConvBlock in_ch1 -> ch, ConvBlock ch -> ch, no biases; in_ch1 = ch for
    the first, 2·ch after a concatenation), to-RGB conv (no bias)."""
    ups = {2: 1, 4: 2, 8: 3, 16: 4, 32: 5}[size // base]
    shapes = [(base * base * ch, latent)]
    for i in range(ups):
        shapes += [(ch, ch if i == 0 else 2 * ch, 3, 3), (ch, ch, 3, 3)]
    return shapes + [(3, ch, 3, 3)]


def _original_discriminator_shapes(size: int, base: int, ch: int, latent: int) -> list[tuple]:
    """SimpleDiscriminator: conv 3 -> ch with bias, DownBlock(ch, m) for m = 1..num_dns (conv
    ch·m -> ch·m, strided conv ch·m -> ch·(m+1), no biases), linear (no bias), SimpleGenerator."""
    num_dns = {4: 2, 8: 3, 16: 4, 32: 5}[size // base]
    shapes = [(ch, 3, 3, 3), (ch,)]
    for m in range(1, num_dns + 1):
        shapes += [(ch * m, ch * m, 3, 3), (ch * (m + 1), ch * m, 3, 3)]
    shapes.append((latent, (size // 2**num_dns) ** 2 * (num_dns + 1) * ch))
    return shapes + _original_generator_shapes(size, base, ch, latent)


@pytest.mark.parametrize("size,base", [(128, 8), (64, 4)])
def test_original_arch_matches_the_authors_layout(size, base):
    cfg = ModelConfig(size, base, 128, 64, arch="original")
    with torch.device("meta"):
        G, D = Generator(cfg), Discriminator(cfg)
    g_shapes = [tuple(p.shape) for p in G.parameters()]
    d_shapes = [tuple(p.shape) for p in D.parameters()]
    assert g_shapes == _original_generator_shapes(size, base, 128, 64)
    assert d_shapes == _original_discriminator_shapes(size, base, 128, 64)
    assert cfg.conv_input_dim * 6 == cfg.num_pixels  # square_linear / no_linear stay at R = 6
    if size == 128:  # the released SimpleGenerator / SimpleDiscriminator at latent 64, by hand
        assert count_parameters(G) == 64 * 8192 + 9 * (128 * 128 * 2 + 3 * (256 * 128 + 128 * 128) + 128 * 3)
        assert count_parameters(G) == 2_149_760
        assert count_parameters(D) == 15_096_704


@pytest.mark.parametrize("size,base", [(32, 4), (64, 4)])
def test_original_arch_speaks_model_space(size, base):
    cfg = ModelConfig(size, base, 4, 8, arch="original")
    assert cfg.native_scale == 0.5 and ModelConfig().native_scale == 1.0
    torch.manual_seed(0)
    G, D = Generator(cfg).eval(), Discriminator(cfg).eval()
    seen = {}
    G.conv.to_rgb.register_forward_hook(lambda m, i, o: seen.update(rgb=o))
    D.encoder.features[0].register_forward_hook(lambda m, i, o: seen.update(d_in=i[0]))
    z = torch.rand(3, 8) * 2 - 1
    with torch.no_grad():
        x = G(z)
        native = torch.nn.functional.elu(seen["rgb"])  # the original's output, in [0, 1] units
        assert x.shape == (3, 3, size, size)
        assert torch.allclose(x, 2 * native - 1, atol=1e-6)
        assert x.min() > -3  # ELU > -1 natively
        assert D(x).shape == x.shape and D.encoder(x).shape == (3, 8)
        assert torch.allclose(seen["d_in"], (x + 1) / 2, atol=1e-6)
    assert ModelConfig(**{"image_size": 32, "base_size": 4, "width": 8, "latent_dim": 8}).arch == "ganz"
    with pytest.raises(ValueError, match="arch"):
        ModelConfig(arch="paper")


def test_inversion_flops_per_image_step():
    # counted by hand for 64×64, width 128: ganz = base block + 4 up-blocks, original = 4 up-blocks
    def conv(s, cin, cout):
        return 2 * 9 * s * s * cin * cout
    ganz = conv(4, 128, 128) + conv(4, 128, 128) + sum(
        conv(s, 256, 128) + conv(s, 128, 128) for s in (8, 16, 32, 64)) + conv(64, 128, 3)
    orig = conv(8, 128, 128) * 2 + sum(
        conv(s, 256, 128) + conv(s, 128, 128) for s in (16, 32, 64)) + conv(64, 128, 3)
    assert conv_module_flops(ModelConfig(64, 4, 128, 64)) == ganz
    assert conv_module_flops(ModelConfig(64, 4, 128, 64, arch="original")) == orig
    assert inversion_step_flops(ModelConfig(64, 4, 128, 64), 1229) == 3 * (ganz + 2 * 1229 * 2048)
