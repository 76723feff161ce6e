"""Absolute project paths, resolved from this file so code runs from any working directory; the
ones an environment variable may move are functions, read at each call."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # ganz/ (this file is ganz/core/paths.py)
ROOT = PACKAGE_DIR.parent
DATA_DIR = ROOT / "data"


def models_dir() -> Path:
    """The committed generators' folder: $GANZ_ZOO or ganz/zoo/."""
    return Path(os.environ.get("GANZ_ZOO", PACKAGE_DIR / "zoo"))


def cache_dir() -> Path:
    """Where derived data is cached (e.g. decoded CelebA arrays): $GANZ_CACHE or .cache/."""
    return Path(os.environ.get("GANZ_CACHE", ROOT / ".cache"))


def results_dir() -> Path:
    """Where results are read and written: $GANZ_RESULTS (read at each call) or results/."""
    return Path(os.environ.get("GANZ_RESULTS", ROOT / "results"))
