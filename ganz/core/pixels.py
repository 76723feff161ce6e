"""The one image conversion: uint8 pixels (n, H, W, 3) <-> model space, float (n, 3, H, W) in [-1, 1]."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def uint8_to_model(arr: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (n, H, W, 3), array or tensor (kept on its device) -> float (n, 3, H, W) in [-1, 1]."""
    t = arr if isinstance(arr, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(arr))
    return t.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_model(images: list[Image.Image] | Image.Image) -> torch.Tensor:
    """PIL RGB image(s) -> float tensor (B, 3, H, W) in [-1, 1]."""
    if isinstance(images, Image.Image):
        images = [images]
    return uint8_to_model(np.stack([np.asarray(im, dtype=np.uint8) for im in images]))


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """Model-space tensor (B, 3, H, W) -> uint8 array (B, H, W, 3), rounded and clipped."""
    y = x.detach().float().cpu().clamp(-1, 1).add(1).mul(127.5).round()
    return y.to(torch.uint8).permute(0, 2, 3, 1).numpy()
