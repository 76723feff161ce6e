"""BEGAN networks (Berthelot et al. 2017) as used by the paper (its Fig. 1 and Fig. 6).

The generator is a first linear layer ``h0`` (latent -> width×base×base, no bias) followed by the
*conv module*. GANZ swaps ``h0`` for another adapter at compression time (see ``ganz.core.adapters``).
Two layouts (``ModelConfig.arch``):

- ``ganz``: blocks of two 3×3 convs (with bias) + ELU at the base resolution and after each
  nearest ×2 upsampling, every block after the first also seeing the upsampled first tensor
  (BEGAN's skip connections), and a last 3×3 conv to RGB (no activation);
- ``original``: the authors' ``SimpleGenerator`` generalised to any size: per up-step an ×2
  upsampling then two 3×3 convs without bias + ELU, every block but the last followed by the first
  tensor upsampled to its resolution (concatenated), no block at the base resolution, and a to-RGB
  conv without bias followed by an ELU. Its images are in [0, 1] inside; at the module boundary
  both layouts speak model space [-1, 1] (``Generator`` returns 2·native − 1, the discriminator
  converts its input with (x + 1)/2 and its output back).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig


def _conv(c_in: int, c_out: int, stride: int = 1, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=bias)


class ConvModule(nn.Module):
    """Everything of the generator after ``h0``: maps (B, width, base, base) to (B, 3, H, W)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        n = cfg.width
        self.blocks = nn.ModuleList()
        for i in range(cfg.num_upsamples + 1):
            c_in = n if i == 0 else 2 * n
            self.blocks.append(nn.Sequential(_conv(c_in, n), nn.ELU(), _conv(n, n), nn.ELU()))
        self.to_rgb = _conv(n, 3)

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x = x0
        for i, block in enumerate(self.blocks):
            if i > 0:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
                skip = F.interpolate(x0, size=x.shape[-2:], mode="nearest")
                x = torch.cat([x, skip], dim=1)
            x = block(x)
        return self.to_rgb(x)


class OriginalConvModule(nn.Module):
    """The original layout after ``h0``: (B, width, base, base) -> model-space (B, 3, H, W)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        n = cfg.width
        self.blocks = nn.ModuleList(
            nn.Sequential(_conv(n if i == 0 else 2 * n, n, bias=False), nn.ELU(),
                          _conv(n, n, bias=False), nn.ELU())
            for i in range(cfg.num_upsamples))
        self.to_rgb = _conv(n, 3, bias=False)

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x, last = x0, len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            x = block(F.interpolate(x, scale_factor=2.0, mode="nearest"))
            if i < last:
                x = torch.cat([x, F.interpolate(x0, size=x.shape[-2:], mode="nearest")], dim=1)
        return 2.0 * F.elu(self.to_rgb(x)) - 1.0  # native [0, 1] -> model space


def _conv_module(cfg: ModelConfig) -> nn.Module:
    return OriginalConvModule(cfg) if cfg.arch == "original" else ConvModule(cfg)


class Generator(nn.Module):
    """G(z) = conv_module(h0(z)); images come out in roughly [-1, 1]."""

    adapter_gain: torch.Tensor  # a buffer (register_buffer, below)

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.h0 = nn.Linear(cfg.latent_dim, cfg.conv_input_dim, bias=False)
        self.conv = _conv_module(cfg)
        # Scale of GANZ's random adapters relative to h0 (calibrated after training, see
        # ganz.train.publish.calibrate_gain_batched). A buffer, so it is saved and part of the weights' hash.
        self.register_buffer("adapter_gain", torch.tensor(1.0))

    def first_tensor(self, flat: torch.Tensor) -> torch.Tensor:
        """Reshape a flat conv-module input (B, width·base²) to (B, width, base, base)."""
        c = self.cfg
        return flat.view(flat.shape[0], c.width, c.base_size, c.base_size)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.conv(self.first_tensor(self.h0(z)))


class Encoder(nn.Module):
    """Discriminator encoder: strided convs with growing channels, then a linear to the latent."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        n, reps = cfg.width, cfg.num_upsamples + 1
        layers: list[nn.Module] = [_conv(3, n), nn.ELU()]
        for i in range(reps):
            c = n * (i + 1)
            layers += [_conv(c, c), nn.ELU(), _conv(c, c), nn.ELU()]
            if i < reps - 1:
                layers += [_conv(c, n * (i + 2), stride=2), nn.ELU()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(n * reps * cfg.base_size**2, cfg.latent_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).flatten(1))


class OriginalEncoder(nn.Module):
    """The original ``SimpleDiscriminator`` encoder: conv 3->n (with bias) + ELU, then per down-step
    a conv c->c and a strided conv c->c+n (no bias, ELU after each); no conv at the last scale;
    a linear (no bias) to the latent. Takes model-space images (converted to [0, 1] inside)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        n = cfg.width
        layers: list[nn.Module] = [_conv(3, n), nn.ELU()]
        for i in range(cfg.num_upsamples):
            c = n * (i + 1)
            layers += [_conv(c, c, bias=False), nn.ELU(), _conv(c, c + n, stride=2, bias=False), nn.ELU()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(n * (cfg.num_upsamples + 1) * cfg.base_size**2, cfg.latent_dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features((x + 1.0) * 0.5).flatten(1))


class Discriminator(nn.Module):
    """BEGAN's discriminator is an auto-encoder: D(x) = decoder(encoder(x)), model space in and out."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = OriginalEncoder(cfg) if cfg.arch == "original" else Encoder(cfg)
        self.decoder = Generator(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv_module_flops(cfg: ModelConfig) -> int:
    """Multiply-adds ×2 of one forward pass of the conv module for one image (convs only)."""
    flops, n, s = 0, cfg.width, cfg.base_size
    if cfg.arch == "original":
        for i in range(cfg.num_upsamples):
            s *= 2
            flops += 2 * 9 * s * s * ((n if i == 0 else 2 * n) * n + n * n)
        return flops + 2 * 9 * s * s * n * 3
    for i in range(cfg.num_upsamples + 1):
        c_in = n if i == 0 else 2 * n
        flops += 2 * 9 * s * s * (c_in * n + n * n)
        if i < cfg.num_upsamples:
            s *= 2
    flops += 2 * 9 * s * s * n * 3
    return flops


def encoder_conv_flops(cfg: ModelConfig) -> int:
    """Multiply-adds ×2 of one forward pass of the discriminator's encoder (convs + linear)."""
    n, s, reps = cfg.width, cfg.image_size, cfg.num_upsamples + 1
    flops = 2 * 9 * s * s * 3 * n
    for i in range(reps):
        c = n * (i + 1)
        if cfg.arch == "original":
            if i < reps - 1:
                flops += 2 * 9 * s * s * c * c + 2 * 9 * (s // 2) ** 2 * c * (c + n)
        else:
            flops += 2 * 2 * 9 * s * s * c * c
            if i < reps - 1:
                flops += 2 * 9 * (s // 2) ** 2 * c * (c + n)
        s = s // 2 if i < reps - 1 else s
    return flops + 2 * n * reps * cfg.base_size**2 * cfg.latent_dim


def inversion_step_flops(cfg: ModelConfig, input_dim: int | None = None) -> int:
    """FLOPs of one inversion step for one image: forward + backward ≈ 3× the forward of the conv
    module and the adapter (a linear input_dim -> width·base²; none when ``input_dim`` is None)."""
    adapter = 2 * input_dim * cfg.conv_input_dim if input_dim else 0
    return 3 * (conv_module_flops(cfg) + adapter)
