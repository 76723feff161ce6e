"""The files and signals around a training run: the resumable CSV log, the samples grid, and
SIGTERM as a request to stop after the current step (``ganz.train.began``)."""
from __future__ import annotations

import csv
import io
import math
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..core.atomic import atomic_write

if TYPE_CHECKING:
    from ..core.models import Generator

LOG_FIELDS = ["step", "images_seen", "loss_real", "loss_fake", "loss_d", "loss_g", "k",
              "m_global", "lr", "seconds", "images_per_s", "val_psnr"]


def complete_row(row: dict, fields) -> bool:
    """A log row written in full (a kill or a full disk can leave a last, partial line)."""
    if None in row or any(row.get(k) is None for k in fields or ()):
        return False
    try:
        int(row.get("step") or "")
    except ValueError:
        return False
    return True


def open_log(path: Path, step: int) -> tuple:
    """(file, csv writer) appending to ``path``, which keeps only its complete rows up to ``step``
    (a resumed run repeats no row after a kill); the rewrite is atomic."""
    rows = []
    if path.is_file():
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            rows = [r for r in reader if complete_row(r, reader.fieldnames) and int(r["step"]) <= step]
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, LOG_FIELDS, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    atomic_write(path, buf.getvalue().encode())
    f = open(path, "a", newline="")
    return f, csv.DictWriter(f, LOG_FIELDS)


def save_grid(G: Generator, path: Path | str, n: int = 64, seed: int = 0) -> None:
    """An 8-wide PNG grid of G(z) for fixed seeded latents z ~ U(-1, 1)."""
    from PIL import Image

    from ..core.pixels import to_uint8

    device = next(G.parameters()).device
    z = torch.rand(n, G.cfg.latent_dim, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    with torch.no_grad():
        imgs = to_uint8(G(z.to(device)))
    cols = min(8, n)
    rows, s = math.ceil(n / cols), G.cfg.image_size
    grid = np.zeros((rows * s, cols * s, 3), np.uint8)
    for i, im in enumerate(imgs):
        grid[(i // cols) * s:(i // cols + 1) * s, (i % cols) * s:(i % cols + 1) * s] = im
    buf = io.BytesIO()
    Image.fromarray(grid).save(buf, format="PNG")
    atomic_write(Path(path), buf.getvalue())


class stop_on_sigterm:
    """While active (main thread only), SIGTERM asks ``trainer`` to stop after its current step
    (sets its ``stop_requested``)."""

    def __init__(self, trainer):
        self.trainer, self.old = trainer, None

    def _handle(self, signum, frame) -> None:  # noqa: ARG002
        self.trainer.stop_requested = True

    def __enter__(self) -> "stop_on_sigterm":
        try:
            self.old = signal.signal(signal.SIGTERM, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self.old = None
        return self

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)
