"""A profile's generators and evaluation images (the profiles themselves: ``ganz.results.profiles``).

- ``smoke``: a tiny seeded generator made on the spot and synthetic images; seconds on 2 CPU cores,
  no data needed (what nbval runs in CI). Its numbers mean nothing beyond "the code runs".
- ``cpu-small``: our 32×32 BEGANs trained on CPU (``ganz/zoo/cpu-small-d*.safetensors``) on the
  real evaluation images; results committed under ``results/cpu-small/``.
- ``paper``: 64×64 models at the paper's width, 7500 inversion steps (needs a GPU session).
"""
from __future__ import annotations

import datetime as _dt

import numpy as np
import torch

from ..core.config import ModelConfig
from ..core.data import eval_images, eval_names
from ..core.errors import GanzError, MissingDataError
from ..core.models import Generator
from ..core.runtime import device_name, git_commit
from ..core.zoo import load_generator, weights_id
from ..results.profiles import (DEFAULT_PROFILE, NO_IMAGES_NOTE, PAPER_N, PROFILES,  # noqa: F401
                                SMOKE_MODEL, SPLITS, ExperimentResult, Profile, get_profile,
                                loop_label)

# --------------------------------------------------------------------------- setup
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




def split_or_names(prof: Profile, split: str, n_images: int | None, size: int,
                   figure: str | None = None) -> tuple[list[str], torch.Tensor | None]:
    """``load_split``, or, where the evaluation images are missing, their names alone (x = None):
    enough to show results already recorded for them (``run_job`` refuses to compute without x)."""
    try:
        return load_split(prof, split, n_images, size, figure)
    except MissingDataError:
        return eval_names(split, n_images or prof.n_images, prof.image_set, figure), None


def meta_for(prof: Profile, dev: torch.device, **extra) -> dict:
    return {"profile": prof.name, "device": device_name(dev), "torch": torch.__version__,
            "inversion": loop_label(prof.inversion()),
            "commit": git_commit(), "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            **extra}
