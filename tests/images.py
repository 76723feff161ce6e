"""Test images the tests make themselves (no ../shared)."""
from __future__ import annotations

import numpy as np


def make_image(size: int, seed: int = 0) -> np.ndarray:
    """Smooth colour gradients, a rectangle, a disc and mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.stack([40 + 180 * x, 30 + 190 * y, 200 - 150 * (x + y) / 2], axis=-1)
    image[size // 8: size // 3, size // 2: size - size // 8] = (230, 40, 60)
    image[(x - 0.3) ** 2 + (y - 0.7) ** 2 < 0.03] = (20, 60, 200)
    image += rng.normal(0, 4, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)
