"""Image quality and rate: PSNR (paper eq. 2), SSIM, bits per pixel."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # psnr needs no torch: the lite compress path imports this module
    import torch


def psnr(x: np.ndarray, y: np.ndarray, max_value: float = 255.0) -> float:
    """PSNR in dB between two images of the same shape (eq. 2: 20·log10(MAX) − 10·log10(MSE))."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch {x.shape} vs {y.shape}")
    mse = np.mean((x - y) ** 2)
    return float("inf") if mse == 0 else float(20 * np.log10(max_value) - 10 * np.log10(mse))


def psnr_model(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR (B,) of model-space batches in [-1, 1] (values clamped to the pixel range)."""
    mse = (x.clamp(-1, 1) - y.clamp(-1, 1)).div(2).pow(2).flatten(1).mean(1)
    return -10 * mse.clamp_min(1e-12).log10()


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    """SSIM of two uint8 RGB images (H, W, 3), scikit-image's Gaussian-window variant."""
    from skimage.metrics import structural_similarity

    side = min(x.shape[0], x.shape[1])
    win = min(7, side if side % 2 else side - 1)
    return float(structural_similarity(x, y, channel_axis=-1, data_range=255, win_size=win,
                                       gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False))


def bpp(num_bytes: int, height: int, width: int) -> float:
    """Bits per pixel of a file of ``num_bytes`` for an H×W image."""
    return 8.0 * num_bytes / (height * width)
