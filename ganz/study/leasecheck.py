"""Before a GPU lease spends anything: ``preflight`` (what would waste it) and, for the dry run,
synthetic stand-ins of the evaluation images (``make_dry_data``)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


# --------------------------------------------------------------------------- preflight
def preflight(dry: bool, min_free_gib: float = 20.0) -> list[str]:
    """Problems that would waste the lease (empty list: go). Seconds, before anything expensive."""
    problems = []
    for mod in ("torch", "numpy", "pandas", "pywt", "safetensors", "PIL", "skimage", "seaborn"):
        try:
            __import__(mod)
        except Exception as e:  # noqa: BLE001
            problems.append(f"import {mod}: {type(e).__name__}: {e}")
    import torch

    if not dry:
        if not torch.cuda.is_available():
            problems.append("no CUDA device")
        else:
            free, total = torch.cuda.mem_get_info()
            print(f"GPU: {torch.cuda.get_device_name()}, {free / 2**30:.1f} of {total / 2**30:.1f} GiB free")
            if free < min_free_gib * 2**30:
                problems.append(f"only {free / 2**30:.1f} GiB free on the GPU")
    from ..core.data import celeba_dir, load_manifest, ood_dir

    try:
        n = len(list(celeba_dir().glob("*.jpg")))
        ood_dir()
        load_manifest()
        if n < 100:
            problems.append(f"only {n} CelebA images under $GANZ_DATA")
    except Exception as e:  # noqa: BLE001
        problems.append(f"data: {e}")
    print(f"commit: {os.environ.get('GANZ_COMMIT', 'unknown')}; torch {torch.__version__}; "
          f"python {sys.version.split()[0]}")
    if not dry and os.environ.get("GANZ_COMMIT", "unknown") == "unknown":
        problems.append("GANZ_COMMIT not set (prepare.sh writes .commit)")
    return problems


# --------------------------------------------------------------------------- dry-run data
def make_dry_data(root: Path) -> None:
    """Synthetic stand-ins under the manifest's names (and ~100 training fillers), and the
    manifest's checksums replaced by theirs, in this process only."""
    import numpy as np
    from PIL import Image

    from ..core import data

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
