"""Shared fixtures: tiny models and images the tests make themselves (no ../shared, no GPU)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganz.core.models import Generator
from tiny import tiny_model_file


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Each test writes results/caches in its own temp folder and uses one thread."""
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "results"))
    torch.set_num_threads(1)


@pytest.fixture
def tiny_model(tmp_path) -> tuple[Generator, str]:
    return tiny_model_file(tmp_path / "tiny.safetensors", seed=0)


def make_image(size: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    img = np.stack([0.5 + 0.3 * xx, 0.4 + 0.3 * yy, 0.6 - 0.2 * xx * yy], -1)
    img += 0.05 * rng.standard_normal(img.shape)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


@pytest.fixture
def image_file(tmp_path):
    def _make(size: int = 16, seed: int = 0, name: str = "face.png") -> str:
        p = tmp_path / name
        Image.fromarray(make_image(size, seed)).save(p)
        return str(p)

    return _make
