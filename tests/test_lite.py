"""ganz.lite: the torch-free compress path agrees with the torch one."""
from __future__ import annotations

import numpy as np
import torch

from ganz.core.adapters import make_adapter
from ganz.core.fast import _loss_grad, lbfgs_batch
from ganz.core.models import Generator
from ganz.lite.lbfgs import lbfgs
from tiny import TINY


def _problem():
    torch.manual_seed(0)
    G = Generator(TINY).eval().requires_grad_(False)
    ad = make_adapter(G, "keep_linear")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        x = G(torch.rand(3, TINY.latent_dim, generator=g) * 2 - 1)
    x = (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    return G, ad, x, torch.zeros(3, ad.input_dim)


def test_numpy_lbfgs_follows_the_torch_one():
    G, ad, x, z0 = _problem()

    def loss_grad(z: np.ndarray, rows: np.ndarray):
        f, g = _loss_grad(G, ad, torch.from_numpy(z), x[torch.from_numpy(rows)])
        return f.numpy(), g.numpy()

    for steps in (1, 3, 6):  # step for step while far from convergence
        stats: dict = {}
        zt, ft, _ = lbfgs_batch(G, ad, x, z0, steps, 5, stats=stats)
        zn, fn, evals = lbfgs(loss_grad, z0.numpy(), steps, 5)
        np.testing.assert_allclose(fn, ft.numpy(), rtol=1e-5)
        np.testing.assert_allclose(zn, zt.numpy(), atol=1e-5)
        assert (evals == stats["evals"].numpy()).all()
    # to the end, with the stopping rule: the same minimum (near it, rounding decides how many
    # backtracking passes each takes)
    stats = {}
    zt, ft, _ = lbfgs_batch(G, ad, x, z0, 60, 5, tol_db=0.02, tol_window=10, stats=stats)
    zn, fn, evals = lbfgs(loss_grad, z0.numpy(), 60, 5, tol_db=0.02, tol_window=10)
    np.testing.assert_allclose(fn, ft.numpy(), rtol=1e-3)
    assert np.abs(zn - zt.numpy()).max() < 1e-2 and (np.abs(zn) <= 1).all()
    assert (np.abs(evals - stats["evals"].numpy()) <= 0.3 * stats["evals"].numpy()).all()


import pytest  # noqa: E402

from ganz.lite.lossgrad import LossGrad  # noqa: E402
from tiny import tiny_generator  # noqa: E402


@pytest.mark.parametrize("arch", ["ganz", "original"])
def test_written_out_gradient_is_autograds(arch):
    G = tiny_generator(3, arch=arch, image_size=32).eval().requires_grad_(False)
    g = torch.Generator().manual_seed(0)
    h = torch.randn(2, G.cfg.width, G.cfg.base_size, G.cfg.base_size, generator=g)
    x = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    hr = h.clone().requires_grad_(True)
    want = (G.conv(hr) - x).pow(2).flatten(1).mean(1)
    (want_g,) = torch.autograd.grad(want.sum(), hr)
    with torch.no_grad():
        loss, grad = LossGrad(G.conv)(h, x)
    torch.testing.assert_close(loss, want.detach(), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(grad, want_g, rtol=1e-4, atol=1e-7)
