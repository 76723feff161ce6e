import torch

from ganz.adapters import decode, make_adapter
from ganz.config import InvertConfig, ModelConfig
from ganz.invert import invert
from ganz.models import Generator


def test_inversion_lowers_loss_and_recovers_reachable_image():
    torch.manual_seed(0)
    G = Generator(ModelConfig(16, 4, 8, 8)).eval().requires_grad_(False)
    ad = make_adapter(G, "random_linear", ratio=12)
    z_true = torch.rand(2, ad.input_dim) * 1.6 - 0.8
    with torch.no_grad():
        x = decode(G, ad, z_true)
    start = invert(G, ad, x, InvertConfig(steps=0))
    res = invert(G, ad, x, InvertConfig(steps=150, lr=0.05))
    assert (res.mse < start.mse * 0.2).all()
    assert res.z.abs().max() <= 1


def test_batching_does_not_change_results():
    torch.manual_seed(0)
    G = Generator(ModelConfig(16, 4, 8, 8)).eval().requires_grad_(False)
    ad = make_adapter(G, "random_linear", ratio=20)
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    a = invert(G, ad, x, InvertConfig(steps=20, batch_size=3))
    b = invert(G, ad, x, InvertConfig(steps=20, batch_size=1))
    assert torch.allclose(a.z, b.z, atol=1e-5)


def test_compressive_sensing_measure():
    torch.manual_seed(0)
    G = Generator(ModelConfig(16, 4, 8, 8)).eval().requires_grad_(False)
    ad = make_adapter(G, "no_linear")
    A = torch.randn(100, 16 * 16 * 3) / 10
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    y = x.flatten(1) @ A.t()
    measure = lambda img: img.flatten(1) @ A.t()  # noqa: E731
    start = invert(G, ad, y, InvertConfig(steps=0), measure=measure)
    res = invert(G, ad, y, InvertConfig(steps=60), measure=measure)
    assert (res.mse < start.mse).all()


def test_groups_invert_sets_together_as_if_alone():
    """Several image sets in one batched call start where each would alone and end the same."""
    torch.manual_seed(0)
    G = Generator(ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)).eval()
    G.requires_grad_(False)
    ad = make_adapter(G, "random_linear", ratio=10)
    sets = [torch.rand(n, 3, 16, 16) * 2 - 1 for n in (3, 2, 4)]
    cfg = InvertConfig(steps=15, batch_size=4)  # chunks that cut across the sets
    alone = torch.cat([invert(G, ad, x, cfg).z for x in sets])
    together = invert(G, ad, torch.cat(sets), cfg, groups=[3, 2, 4]).z
    assert torch.allclose(alone, together, atol=1e-5)
    plain = invert(G, ad, torch.cat(sets), cfg).z  # without groups: other starting points
    assert not torch.allclose(alone, plain, atol=1e-3)
