"""What a run is: the profiles (models, images, steps) and a figure's result, as data (no torch).

- ``smoke``: a tiny seeded generator made on the spot and synthetic images; seconds on 2 CPU cores,
  no data needed (what nbval runs in CI). Its numbers mean nothing beyond "the code runs".
- ``cpu-small``: our 32×32 BEGANs trained on CPU (``ganz/zoo/cpu-small-d*.safetensors``) on the
  real evaluation images; results committed under ``results/cpu-small/``.
- ``paper``: 64×64 models at the paper's width, 7500 inversion steps (needs a GPU).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.config import InvertConfig, ModelConfig
from ..core.errors import MISSING_DATA_HELP, GanzError

SPLITS = ("train", "test", "ood")
PAPER_N = 128 * 128 * 3  # the paper's N, for scaling measurement counts (fig. 8)


@dataclass(frozen=True)
class Profile:
    name: str
    steps: int  # inversion steps
    n_images: int  # per split
    models: dict = field(hash=False)  # training latent dim -> committed model (best checkpoint)
    # the same dims at an equal number of training images seen (Figs. 2 and 7 compare dims)
    dim_models: dict = field(hash=False, default_factory=dict)
    image_size: int = 32
    synthetic: bool = False
    dim_images: int | None = None  # images per split for Fig. 2 (default: n_images)
    image_set: str = "seeded"  # evaluation lists (ganz.core.data.IMAGE_SETS): "original" = the code's
    # InvertConfig fields of the profile's inversions (none: GANZ's projected loop, fp32)
    invert: dict = field(hash=False, default_factory=dict)
    invert_max_images: int | None = None  # images optimized at once by ``invert_many`` (memory)

    def inversion(self, steps: int | None = None, seed: int = 0) -> InvertConfig:
        """The profile's inversion settings at ``steps`` (default: the profile's)."""
        return InvertConfig(**{**self.invert, "steps": steps or self.steps, "seed": seed})


PROFILES = {
    "smoke": Profile("smoke", steps=25, n_images=2, models={}, image_size=16, synthetic=True),
    "cpu-small": Profile("cpu-small", steps=300, n_images=20, models={64: "cpu-small-d64"},
                         dim_models={64: "cpu-small-d64-s1250", 128: "cpu-small-d128",
                                     256: "cpu-small-d256", 512: "cpu-small-d512"}, image_size=32,
                         dim_images=8),
    "paper": Profile("paper", steps=7500, n_images=20, models={64: "celeba64-d64"},
                     dim_models={d: f"celeba64-d{d}-final" for d in (64, 128, 256, 512)},
                     image_size=64, image_set="original", invert_max_images=1024,
                     # the original loop; bf16 autocast of the conv module: PSNR within ±0.012 dB
                     # of fp32 on cpu-small (``python -m ganz.study.parity``, 4 test faces, 300 steps)
                     invert={"clamp": "start", "precision": "bf16"}),
}
DEFAULT_PROFILE = "cpu-small"
#: the faces that stand in for the paper's Fig. 4 panels (a) train 034782 and (b) test 196479,
#: which our CelebA copy lacks (the same stand-ins as Figs. 3 and 8: the manifest's ``replaces``)
FIG4_STAND_INS = ("000001", "008551")
SMOKE_MODEL = ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)
#: said under a figure whose originals could not be shown (results recorded, images absent)
NO_IMAGES_NOTE = ("the evaluation images are not on this machine, so originals and wavelet "
                  "pictures are left out; the numbers come from recorded results "
                  f"({MISSING_DATA_HELP})")


@dataclass
class ExperimentResult:
    table: pd.DataFrame
    images: dict[str, np.ndarray]
    meta: dict


def get_profile(profile: str | None) -> Profile:
    name = profile or os.environ.get("GANZ_PROFILE") or DEFAULT_PROFILE
    if name not in PROFILES:
        raise GanzError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


def loop_label(cfg: InvertConfig) -> str:
    """How the latents were optimized, for a figure's provenance."""
    where = ("clamped to [−1, 1] once at the start, then unconstrained (the original code)"
             if cfg.clamp == "start"
             else "clamped to [−1, 1] after every step (GANZ's projected variant)")
    return f"Adam, z {where}, {cfg.precision}"
