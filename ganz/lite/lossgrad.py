"""The conv module's loss and its input gradient, written out (no autograd), for ONNX export.

``LossGrad(conv_module)(h, x)`` returns the per-image MSE of conv_module(h) against x (model space)
and d(sum of MSEs)/dh, by the chain rule written in plain tensor ops (transposed convolutions,
ELU derivatives, sum-pooling for nearest upsampling), so that ``torch.onnx.export`` can trace it
into a graph ONNX Runtime runs without torch. Both layouts of ``ganz.core.models``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core.models import ConvModule, OriginalConvModule


def _elu_grad(a: torch.Tensor) -> torch.Tensor:
    return torch.where(a > 0, torch.ones_like(a), torch.exp(torch.clamp(a, max=0.0)))


def _up(x: torch.Tensor, factor: int) -> torch.Tensor:
    return x if factor == 1 else F.interpolate(x, scale_factor=float(factor), mode="nearest")


def _up_back(g: torch.Tensor, factor: int) -> torch.Tensor:
    """The gradient through nearest upsampling by ``factor``: a sum over each block."""
    return g if factor == 1 else F.avg_pool2d(g, factor) * float(factor * factor)


def _conv(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    return F.conv2d(x, conv.weight, conv.bias, padding=1)


def _conv_back(g: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    return F.conv_transpose2d(g, conv.weight, padding=1)


class LossGrad(nn.Module):
    """(h (B, width, base, base), x (B, 3, H, W)) -> (mse (B,), dmse/dh (B, width, base, base))."""

    def __init__(self, conv_module: nn.Module):
        super().__init__()
        if not isinstance(conv_module, (ConvModule, OriginalConvModule)):
            raise TypeError(f"unknown conv module {type(conv_module).__name__}")
        self.m = conv_module
        self.original = isinstance(conv_module, OriginalConvModule)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._original(h, x) if self.original else self._ganz(h, x)

    @staticmethod
    def _loss(out: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        diff = out - x
        n = diff[0].numel()
        return (diff * diff).flatten(1).sum(1) / n, diff * (2.0 / n)

    def _ganz(self, h, x):
        n, blocks, cache, y = self.m.cfg.width, self.m.blocks, [], h
        for i, block in enumerate(blocks):
            if i > 0:
                y = torch.cat([_up(y, 2), _up(h, 2 ** i)], 1)
            a1 = _conv(y, block[0])
            a2 = _conv(F.elu(a1), block[2])
            cache.append((a1, a2))
            y = F.elu(a2)
        loss, g = self._loss(_conv(y, self.m.to_rgb), x)
        g = _conv_back(g, self.m.to_rgb)
        gh = torch.zeros_like(h)
        for i in reversed(range(len(blocks))):
            a1, a2 = cache[i]
            g = _conv_back(g * _elu_grad(a2), blocks[i][2])
            g = _conv_back(g * _elu_grad(a1), blocks[i][0])
            if i > 0:
                gh = gh + _up_back(g[:, n:], 2 ** i)
                g = _up_back(g[:, :n], 2)
            else:
                gh = gh + g
        return loss, gh

    def _original(self, h, x):
        n, blocks, cache, y = self.m.cfg.width, self.m.blocks, [], h
        last = len(blocks) - 1
        for i, block in enumerate(blocks):
            a1 = _conv(_up(y, 2), block[0])
            a2 = _conv(F.elu(a1), block[2])
            cache.append((a1, a2))
            y = F.elu(a2)
            if i < last:
                y = torch.cat([y, _up(h, 2 ** (i + 1))], 1)
        pre = _conv(y, self.m.to_rgb)
        loss, g = self._loss(2.0 * F.elu(pre) - 1.0, x)
        g = _conv_back(2.0 * g * _elu_grad(pre), self.m.to_rgb)
        gh = torch.zeros_like(h)
        for i in reversed(range(len(blocks))):
            if i < last:
                gh = gh + _up_back(g[:, n:], 2 ** (i + 1))
                g = g[:, :n]
            a1, a2 = cache[i]
            g = _conv_back(g * _elu_grad(a2), blocks[i][2])
            g = _up_back(_conv_back(g * _elu_grad(a1), blocks[i][0]), 2)
        return loss, gh + g
