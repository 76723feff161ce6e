"""A second dim-64 generator trained for longer than the default one (a GPU session's
``celeba64-d64-long``), measured at one ratio on fig. 5's images with fig. 5's inversion, so its
rows sit beside the default model's fig. 5 rows: does more training lift the PSNR?"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ..core.atomic import write_csv
from ..core.paths import results_dir
from ..core.runtime import git_commit, pick_device
from ..core.zoo import load_generator
from .jobs import job_rows, run_settings
from .policy import RunPolicy
from .profiles import SPLITS, get_profile, load_split


def long_table_path(profile: str, dim: int, ratio: float) -> Path:
    return results_dir() / profile / f"long-d{dim}-r{ratio:g}.csv"


def evaluate_long(profile: str, device: str, model: str, ratio: float = 10.0,
                  steps: int | None = None, n_images: int | None = None,
                  policy: RunPolicy | None = None) -> Path:
    """Invert fig. 5's train, test and OOD images at ``ratio`` through ``model`` (one batched
    call; each job cached under the profile's ``jobs/`` like fig. 5's) and write one row per image
    (fig. 5's columns plus the model and its images seen) to ``long-d<dim>-r<ratio>.csv``."""
    prof, dev = get_profile(profile), pick_device(device)
    G, gid, meta = load_generator(model, dev)
    cfg = prof.inversion(steps)
    parts = [load_split(prof, split, n_images, G.cfg.image_size) for split in SPLITS]
    setting = ("random_linear", float(ratio))
    jobs = run_settings(prof, G, gid, [setting], parts, cfg, dev, policy=policy)[(*setting, None)]
    base = {"experiment": "long", "profile": prof.name, "dim": G.cfg.latent_dim, "model": model,
            "images_seen": meta.get("images_seen"), "torch": torch.__version__,
            "commit": git_commit()}
    rows: list[dict] = []
    for split, (names, x), job in zip(SPLITS, parts, jobs):
        rows += job_rows(job, G, gid, names, x, split, base, cfg.steps, float(ratio))[0]
    path = long_table_path(prof.name, G.cfg.latent_dim, ratio)
    write_csv(pd.DataFrame(rows), path)
    return path
