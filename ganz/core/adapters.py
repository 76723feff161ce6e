"""Adapters: what replaces the generator's first linear layer ``h0`` at compression time.

Each adapter maps a latent z ∈ [-1, 1]^d_c to the conv module's input (width·base² values);
its compression ratio in degrees of freedom is R = N / d_c (N = H·W·3).

- ``keep_linear``: the trained h0 (d_c = training latent dim);
- ``random_linear``: a fixed-seed random Gaussian matrix with d_c = round(N / R), any R;
- ``square_linear``: the same with d_c = width·base² (R = 6 at the paper's sizes);
- ``no_linear``: z feeds the conv module directly (times a fixed scale), d_c = width·base².

A ``latent_scale`` s (stored in the ``.ganz`` file; default 1) makes the adapter take s·z: its
matrix (or the ``no_linear`` scale) is multiplied by s, the bias is not. The original code's
inversion lets z leave [−1, 1] (to |z| ≈ 50 at 64×64); a ``.ganz`` file's z stays in [−1, 1], so
for the original-style random layers the codec uses the scale calibrated for the generator
(``ganz publish``, saved in its metadata) to give them the same reach.

Random matrices come from NumPy's legacy ``RandomState`` stream, which NumPy keeps frozen across
releases, so a file's seed rebuilds the same layer anywhere. Two styles (``STYLES``):

- ``original`` (natural for ``arch="original"`` generators): the authors' layer, a
  ``torch.nn.Linear(d_c, C)`` at its default initialisation: weight and bias uniform in ±1/√d_c;
  ``no_linear`` feeds z as is (scale 1). The *distribution* is matched, not the authors' torch
  random stream (ours is keyed by the file's seed and frozen).
- ``calibrated`` (natural for ``arch="ganz"``, GANZ's variant): no bias, Gaussian entries at the
  trained h0's scale (N(0, ‖W_h0‖²_F / (C·d_c))) times the generator's ``adapter_gain``: with z
  clamped to [−1, 1], a layer no larger than h0 leaves many z pinned at the bounds, so the gain is
  calibrated once per generator on held-out training faces
  (``ganz.train.publish.calibrate_gain_batched``) and saved with its weights; ``no_linear`` scales z by 3·std(h0)·gain.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .errors import GanzError
from .models import Generator

ADAPTERS = ("keep_linear", "random_linear", "square_linear", "no_linear")
ADAPTER_CODES = {name: i for i, name in enumerate(ADAPTERS)}
STYLES = ("original", "calibrated")


def ratio_to_dim(num_pixels: int, ratio: float) -> int:
    """d_c = round(N / R), at least 1."""
    if not (isinstance(ratio, (int, float)) and math.isfinite(ratio) and ratio > 0):
        raise GanzError(f"compression ratio must be a positive number, got {ratio!r}")
    dim = int(round(num_pixels / ratio))
    if dim < 1:
        raise GanzError(f"ratio {ratio} leaves no latent values for N = {num_pixels}")
    return dim


def random_matrix(rows: int, cols: int, seed: int, std: float) -> torch.Tensor:
    """A frozen-stream Gaussian matrix (rows, cols) with the given entry std, float32."""
    rs = np.random.RandomState(seed % (2**32))
    return torch.from_numpy((rs.standard_normal((rows, cols)) * std).astype(np.float32))


def uniform_linear(rows: int, cols: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A frozen-stream (weight (rows, cols), bias (rows,)) pair, both uniform in ±1/√cols:
    the distribution of ``torch.nn.Linear(cols, rows)``'s default initialisation, float32."""
    rs = np.random.RandomState(seed % (2**32))
    bound = 1.0 / math.sqrt(cols)
    w = rs.uniform(-bound, bound, (rows, cols)).astype(np.float32)
    b = rs.uniform(-bound, bound, rows).astype(np.float32)
    return torch.from_numpy(w), torch.from_numpy(b)


class Adapter(nn.Module):
    """z (B, d_c) -> flat conv-module input (B, width·base²): z Wᵀ (+ b). Fixed, never trained."""

    weight: torch.Tensor  # buffers (register_buffer): empty when the adapter has none
    bias: torch.Tensor

    def __init__(self, name: str, input_dim: int, weight: torch.Tensor | None, scale: float = 1.0,
                 seed: int = 0, bias: torch.Tensor | None = None, style: str = "calibrated",
                 latent_scale: float = 1.0):
        super().__init__()
        self.name, self.input_dim, self.scale, self.seed = name, input_dim, scale, seed
        self.style, self.latent_scale = style, latent_scale  # latent_scale: already in weight/scale
        self.register_buffer("weight", weight if weight is not None else torch.empty(0))
        self.register_buffer("bias", bias if bias is not None else torch.empty(0))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.name == "no_linear":
            return z * self.scale
        out = z @ self.weight.t().to(z.dtype)
        return out + self.bias.to(z.dtype) if self.bias.numel() else out

    def ratio(self, num_pixels: int) -> float:
        return num_pixels / self.input_dim


def h0_output_std(G: Generator) -> float:
    """Std of h0's outputs for z ~ U(-1, 1): ‖W‖_F / sqrt(C) / sqrt(3)."""
    W = G.h0.weight.detach().float()
    return float(W.norm() / math.sqrt(W.shape[0]) / math.sqrt(3.0))


def natural_style(G: Generator) -> str:
    """The adapter style a generator was made for: ``original`` for the original arch."""
    return "original" if G.cfg.arch == "original" else "calibrated"


def make_adapter(G: Generator, name: str = "random_linear", ratio: float | None = None,
                 dim: int | None = None, seed: int = 0, style: str | None = None,
                 latent_scale: float = 1.0) -> Adapter:
    """Build an adapter for ``G``. ``random_linear`` takes ``ratio`` or ``dim``; others take neither.

    ``style`` (``STYLES``; None = ``natural_style(G)``) picks the random layers' distribution and
    the no_linear scale; ``keep_linear`` is the trained h0 in either style. ``latent_scale``: the
    adapter takes latent_scale·z (see the module's docstring)."""
    ad = _make_adapter(G, name, ratio, dim, seed, style)
    if latent_scale != 1.0:
        if not (math.isfinite(latent_scale) and latent_scale > 0):
            raise GanzError(f"latent scale must be a positive number, got {latent_scale!r}")
        ad.latent_scale = float(latent_scale)
        if name == "no_linear":
            ad.scale *= ad.latent_scale
        else:
            ad.weight.mul_(ad.latent_scale)
    return ad


def _make_adapter(G: Generator, name: str, ratio: float | None, dim: int | None, seed: int,
                  style: str | None) -> Adapter:
    cfg = G.cfg
    C = cfg.conv_input_dim
    if name not in ADAPTERS:
        raise GanzError(f"unknown adapter {name!r}; choose one of {', '.join(ADAPTERS)}")
    style = natural_style(G) if style is None else style
    if style not in STYLES:
        raise GanzError(f"unknown adapter style {style!r}; choose one of {', '.join(STYLES)}")
    W = G.h0.weight.detach().float().cpu()
    if name == "keep_linear":
        return Adapter(name, cfg.latent_dim, W.clone(), seed=seed, style=style)
    gain = float(G.adapter_gain)
    if name == "no_linear":
        scale = 1.0 if style == "original" else 3.0 * h0_output_std(G) * gain
        return Adapter(name, C, None, scale=scale, seed=seed, style=style)
    if name == "square_linear":
        dim = C
    elif dim is None:
        if ratio is None:
            raise GanzError("random_linear needs a ratio (or a latent dim)")
        dim = ratio_to_dim(cfg.num_pixels, ratio)
    if dim < 1 or dim > 4 * cfg.num_pixels:
        raise GanzError(f"latent dim {dim} out of range for N = {cfg.num_pixels}")
    if style == "original":
        weight, bias = uniform_linear(C, dim, seed)
        return Adapter(name, dim, weight, seed=seed, bias=bias, style=style)
    std = gain * float(W.norm()) / math.sqrt(C * dim)
    return Adapter(name, dim, random_matrix(C, dim, seed, std), seed=seed, style=style)


def decode(G: Generator, adapter: Adapter, z: torch.Tensor) -> torch.Tensor:
    """G through the adapter: model-space images (B, 3, H, W)."""
    adapter = adapter.to(z.device)
    return G.conv(G.first_tensor(adapter(z)))
