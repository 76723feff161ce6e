"""Preflight: what would waste a GPU call, found in seconds before anything expensive runs."""
from __future__ import annotations

import os
import sys

PACKAGES = ("torch", "numpy", "pandas", "pywt", "safetensors", "PIL", "skimage", "seaborn")


def preflight(dry: bool, min_free_gib: float = 20.0) -> list[str]:
    """Problems that would waste the call (empty list: go): a package that does not import, no CUDA
    device or too little free memory on it (not ``dry``), missing images, no commit id."""
    problems = []
    for mod in PACKAGES:
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
    from ganz.core.data import celeba_dir, load_manifest, ood_dir

    try:
        n = len(list(celeba_dir().glob("*.jpg")))
        ood_dir()
        load_manifest()
        if n < 100:
            problems.append(f"only {n} CelebA images under $GANZ_DATA")
    except Exception as e:  # noqa: BLE001
        problems.append(f"data: {e}")
    commit = os.environ.get("GANZ_COMMIT", "unknown")  # the provenance every result records
    print(f"commit: {commit}; torch {torch.__version__}; python {sys.version.split()[0]}")
    if not dry and commit == "unknown":
        problems.append("GANZ_COMMIT not set (prepare.sh writes .commit)")
    return problems
