"""Where a run happens: the device it asks for, the device's name, and the commit of the code."""
from __future__ import annotations

import os
import platform
import subprocess
from functools import lru_cache

import torch

from .errors import GanzError
from .paths import ROOT


def pick_device(device: str = "auto") -> torch.device:
    """``auto`` (CUDA when there is one), ``cpu``, ``cuda[:N]``; a one-line error otherwise."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GanzError("--device cuda requested but no CUDA GPU is available")
    try:
        return torch.device(device)
    except RuntimeError:
        raise GanzError(f"unknown device {device!r} (use auto, cpu or cuda)") from None


def device_name(dev: torch.device) -> str:
    """The GPU's name, or the CPU's architecture and thread count."""
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)"


def git(*args: str) -> str:
    """``git ARGS`` in the project's root: its output, or "" when git or the repository is missing."""
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, text=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


@lru_cache(maxsize=None)
def git_commit() -> str:
    """The code's commit (12 hex digits): $GANZ_COMMIT in a copy without .git (a GPU session's copy), else
    git's, else "unknown"."""
    if os.environ.get("GANZ_COMMIT"):
        return os.environ["GANZ_COMMIT"]
    return git("rev-parse", "--short=12", "HEAD") or "unknown"

