"""The tiny generator the tests build (16×16 images, width 8, latent dim 8), in one place."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from ganz.core.config import ModelConfig
from ganz.core.models import Generator
from ganz.core.zoo import export_generator

TINY = ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)


def tiny_generator(seed: int | None = None, **changes) -> Generator:
    """A tiny generator; ``seed`` seeds torch first (None: the global RNG as it is); ``changes``
    replace fields of ``TINY`` (e.g. ``arch="original"``, ``latent_dim=64``)."""
    if seed is not None:
        torch.manual_seed(seed)
    return Generator(dataclasses.replace(TINY, **changes) if changes else TINY)


def tiny_model_file(path: Path | str, seed: int | None = 0, **changes) -> tuple[Generator, str]:
    """A tiny generator exported to ``path``: (the generator, the path as a string)."""
    G = tiny_generator(seed, **changes)
    export_generator(G, path)
    return G, str(path)


def fitting_problem(n: int = 3):
    """A tiny seeded generator, its keep_linear adapter, ``n`` noisy images it can nearly draw
    and a zero start: (G, adapter, x, z0), for the refinement tests."""
    from ganz.core.adapters import make_adapter

    torch.manual_seed(0)
    G = Generator(TINY).eval().requires_grad_(False)
    ad = make_adapter(G, "keep_linear")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        x = G(torch.rand(n, TINY.latent_dim, generator=g) * 2 - 1)
    x = (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    return G, ad, x, torch.zeros(n, ad.input_dim)
