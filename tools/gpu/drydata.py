"""The dry run's images: synthetic stand-ins under the manifest's names, so every stage runs on
CPU without the real data."""
from __future__ import annotations

import os
from pathlib import Path


def make_dry_data(root: Path) -> None:
    """Synthetic stand-ins under the manifest's names (and ~100 training fillers) in ``root``,
    ``GANZ_DATA`` pointed there and the manifest's checksums replaced by theirs, in this process
    only."""
    import numpy as np
    from PIL import Image

    from ganz.core import data

    real = data.load_manifest()
    entries = [dict(e) for e in real["images"]]
    original = dict(real.get("original", {}), images=[dict(e) for e in
                                                       real.get("original", {}).get("images", [])])
    (root / "celeba").mkdir(parents=True, exist_ok=True)
    (root / "ood").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:109, 0:89] / 100.0
    every = entries + original["images"]  # both image sets: seeded (cpu-small) and original (paper)
    names = {f"{i:06d}.jpg" for i in range(1, 101)} | {e["name"] for e in every if e["split"] != "ood"}
    for name in sorted(names):
        a, b, c = rng.uniform(0.2, 0.8, 3)
        img = np.stack([a + 0.3 * xx, b + 0.3 * yy, c - 0.2 * xx * yy], -1)
        img = np.clip(img + 0.05 * rng.standard_normal(img.shape), 0, 1)
        Image.fromarray((img * 255).astype(np.uint8)).save(root / "celeba" / name, quality=90)
    for name in sorted({e["name"] for e in every if e["split"] == "ood"}):
        Image.fromarray(rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)).save(root / "ood" / name)
    for e in every:
        folder = root / ("ood" if e["split"] == "ood" else "celeba")
        e["sha256"] = data.sha256_file(folder / e["name"])
    manifest = {"images": entries, **({"original": original} if original["images"] else {})}
    data.load_manifest = lambda *a, **k: manifest
    os.environ["GANZ_DATA"] = str(root)
