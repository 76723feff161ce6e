"""What a run is: the profiles (models, images, steps), their generators and evaluation images.

- ``smoke``: a tiny seeded generator made on the spot and synthetic images; seconds on 2 CPU cores,
  no data needed (what nbval runs in CI). Its numbers mean nothing beyond "the code runs".
- ``cpu-small``: our 32×32 BEGANs trained on CPU (``ganz/zoo/cpu-small-d*.safetensors``) on the
  real evaluation images; results committed under ``results/cpu-small/``.
- ``paper``: 64×64 models at the paper's width, 7500 inversion steps (needs a GPU session).
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..core.config import InvertConfig, ModelConfig
from ..core.data import MISSING_DATA_HELP, eval_images, eval_names
from ..core.errors import GanzError, MissingDataError
from ..core.models import Generator
from ..core.runtime import device_name, git_commit
from ..core.zoo import load_generator, weights_id

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
SMOKE_MODEL = ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)


@dataclass
class ExperimentResult:
    table: pd.DataFrame
    images: dict[str, np.ndarray]
    meta: dict


# --------------------------------------------------------------------------- setup
def get_profile(profile: str | None) -> Profile:
    name = profile or os.environ.get("GANZ_PROFILE") or DEFAULT_PROFILE
    if name not in PROFILES:
        raise GanzError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


def generator_for(prof: Profile, dim: int, device: torch.device,
                  equal_budget: bool = False) -> tuple[Generator, str, dict]:
    """The profile's generator for a training latent dim: committed weights, or (smoke) seeded.

    ``equal_budget`` picks the models trained on the same number of images for every dim.
    """
    if prof.synthetic:
        torch.manual_seed(1000 + dim)
        G = Generator(ModelConfig(SMOKE_MODEL.image_size, SMOKE_MODEL.base_size,
                                  SMOKE_MODEL.width, dim)).eval().requires_grad_(False)
        return G.to(device), weights_id(G.state_dict()), {"model": f"smoke-d{dim} (untrained)"}
    models = prof.dim_models if equal_budget else prof.models
    if dim not in models:
        raise GanzError(f"profile {prof.name} has no model for latent dim {dim}")
    try:
        G, gid, meta = load_generator(models[dim], device)
    except GanzError as e:
        raise GanzError(f"profile {prof.name}: {e}. The paper profile's models come from a GPU "
                        f"training session (scripts/gpu/README.md); use profile cpu-small meanwhile") from None
    meta["model"] = models[dim]
    return G, gid, meta


def synthetic_images(n: int, size: int, seed: int) -> torch.Tensor:
    """Smooth seeded test images (blobs on gradients) in model space — no data needed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    out = []
    for _ in range(n):
        img = np.zeros((size, size, 3))
        for c in range(3):
            img[..., c] = rng.uniform(0.2, 0.8) + rng.uniform(-0.3, 0.3) * xx + rng.uniform(-0.3, 0.3) * yy
        for _ in range(3):
            cx, cy, r = rng.uniform(0.2, 0.8, 2).tolist() + [rng.uniform(0.1, 0.3)]
            blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
            img += blob[..., None] * rng.uniform(-0.4, 0.4, 3)
        out.append(np.clip(img, 0, 1))
    arr = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float()
    return arr * 2 - 1


def load_split(prof: Profile, split: str, n_images: int | None, size: int,
               figure: str | None = None) -> tuple[list[str], torch.Tensor]:
    """A split's evaluation images (the profile's image set; ``figure`` picks the original set's
    list for fig. 3 / fig. 8), at most ``n_images``."""
    n = n_images or prof.n_images
    if prof.synthetic:
        x = synthetic_images(n, size, seed=SPLITS.index(split) if split in SPLITS else 9)
        return [f"synth-{split}-{i:02d}" for i in range(n)], x
    return eval_images(split, size, limit=n, image_set=prof.image_set, figure=figure)


#: said under a figure whose originals could not be shown (results recorded, images absent)
NO_IMAGES_NOTE = ("the evaluation images are not on this machine, so originals and wavelet "
                  "pictures are left out; the numbers come from recorded results "
                  f"({MISSING_DATA_HELP})")


def split_or_names(prof: Profile, split: str, n_images: int | None, size: int,
                   figure: str | None = None) -> tuple[list[str], torch.Tensor | None]:
    """``load_split``, or, where the evaluation images are missing, their names alone (x = None):
    enough to show results already recorded for them (``run_job`` refuses to compute without x)."""
    try:
        return load_split(prof, split, n_images, size, figure)
    except MissingDataError:
        return eval_names(split, n_images or prof.n_images, prof.image_set, figure), None


def loop_label(cfg: InvertConfig) -> str:
    """How the latents were optimized, for a figure's provenance."""
    where = ("clamped to [−1, 1] once at the start, then unconstrained (the original code)"
             if cfg.clamp == "start"
             else "clamped to [−1, 1] after every step (GANZ's projected variant)")
    return f"Adam, z {where}, {cfg.precision}"


def meta_for(prof: Profile, dev: torch.device, **extra) -> dict:
    return {"profile": prof.name, "device": device_name(dev), "torch": torch.__version__,
            "inversion": loop_label(prof.inversion()),
            "commit": git_commit(), "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            **extra}
