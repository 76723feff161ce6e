import torch

from ganz.core.adapters import decode, make_adapter
from ganz.core.config import InvertConfig
from ganz.core.invert import InvertJob, invert, invert_many
from tiny import tiny_generator


def test_inversion_lowers_loss_and_recovers_reachable_image():
    torch.manual_seed(0)
    G = tiny_generator().eval().requires_grad_(False)
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
    G = tiny_generator().eval().requires_grad_(False)
    ad = make_adapter(G, "random_linear", ratio=20)
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    a = invert(G, ad, x, InvertConfig(steps=20, batch_size=3))
    b = invert(G, ad, x, InvertConfig(steps=20, batch_size=1))
    assert torch.allclose(a.z, b.z, atol=1e-5)


def test_compressive_sensing_measure():
    torch.manual_seed(0)
    G = tiny_generator().eval().requires_grad_(False)
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
    G = tiny_generator().eval()
    G.requires_grad_(False)
    ad = make_adapter(G, "random_linear", ratio=10)
    sets = [torch.rand(n, 3, 16, 16) * 2 - 1 for n in (3, 2, 4)]
    cfg = InvertConfig(steps=15, batch_size=4)  # chunks that cut across the sets
    alone = torch.cat([invert(G, ad, x, cfg).z for x in sets])
    together = invert(G, ad, torch.cat(sets), cfg, groups=[3, 2, 4]).z
    assert torch.allclose(alone, together, atol=1e-5)
    plain = invert(G, ad, torch.cat(sets), cfg).z  # without groups: other starting points
    assert not torch.allclose(alone, plain, atol=1e-3)


def test_clamp_start_is_the_original_unconstrained_loop():
    torch.manual_seed(0)
    G = tiny_generator().eval().requires_grad_(False)
    ad = make_adapter(G, "random_linear", ratio=12)
    x = torch.rand(3, 3, 16, 16) * 4 - 2  # partly out of reach: latents are pushed outward
    free = invert(G, ad, x, InvertConfig(steps=60, lr=0.1, clamp="start"))
    proj = invert(G, ad, x, InvertConfig(steps=60, lr=0.1, clamp="every_step"))
    assert free.z.abs().max() > 1.0 and proj.z.abs().max() <= 1.0
    assert free.mse.mean() < proj.mse.mean()
    # both start from the same clamped N(0, 1) point
    first = invert(G, ad, x, InvertConfig(steps=0, clamp="start")).z
    assert torch.equal(first, invert(G, ad, x, InvertConfig(steps=0)).z) and first.abs().max() <= 1


def test_invert_config_refuses_typos():
    import pytest

    for bad in ({"clamp": "every-step"}, {"schedule": "cosin"}, {"init": "zero"},
                {"precision": "fp16"}, {"steps": -1}, {"batch_size": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            InvertConfig(**bad)
    assert InvertConfig.paper().clamp == "start" and InvertConfig().clamp == "every_step"


def _many_setup():
    torch.manual_seed(0)
    G = tiny_generator(arch="original").eval().requires_grad_(False)
    A = torch.randn(50, 16 * 16 * 3) / 50**0.5
    measure = lambda img: img.flatten(1) @ A.t()  # noqa: E731
    sets = [torch.rand(n, 3, 16, 16) * 2 - 1 for n in (3, 2)]
    jobs = [InvertJob(make_adapter(G, "random_linear", ratio=10), torch.cat(sets), groups=[3, 2]),
            InvertJob(make_adapter(G, "random_linear", ratio=30, style="calibrated"), sets[1]),
            InvertJob(make_adapter(G, "no_linear"), measure(sets[0]), measure=measure),
            InvertJob(make_adapter(G, "keep_linear"), sets[0])]
    return G, jobs


def test_invert_many_equals_separate_calls():
    G, jobs = _many_setup()
    for clamp in ("start", "every_step"):
        cfg = InvertConfig(steps=12, clamp=clamp, restarts=2, lr=0.1)
        together = invert_many(G, jobs, cfg)
        chunked = invert_many(G, jobs, cfg, max_images=4)  # chunks that cut across the jobs
        for job, a, b in zip(jobs, together, chunked):
            alone = invert(G, job.adapter, job.x, cfg, measure=job.measure, groups=job.groups)
            assert a.z.shape == alone.z.shape
            assert torch.allclose(a.z, alone.z, atol=1e-5)
            assert torch.allclose(a.mse, alone.mse, rtol=1e-4)
            assert torch.allclose(b.z, alone.z, atol=1e-5)
        assert max(float(r.z.abs().max()) for r in together) > 1.0 or clamp == "every_step"


def test_invert_many_bf16_stays_close_to_fp32():
    G, jobs = _many_setup()
    fp32 = invert_many(G, jobs[:1], InvertConfig(steps=10))[0]
    bf16 = invert_many(G, jobs[:1], InvertConfig(steps=10, precision="bf16"))[0]
    assert not torch.equal(fp32.z, bf16.z)
    assert (bf16.z - fp32.z).abs().mean() < 0.02  # Adam's steps are sign-like: a few z move more
    assert torch.allclose(bf16.mse, fp32.mse, rtol=0.05)
