"""The committed cpu-small results stay found: the book builds from them without recomputing.

New InvertConfig fields at their legacy values must not change a job's cache key."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ganz.study import figures, jobs
from ganz.core.config import InvertConfig, config_key
from ganz.core.paths import ROOT

COMMITTED = ROOT / "results" / "cpu-small"
JOBS = COMMITTED / "jobs"


def test_legacy_invert_config_key_is_unchanged():
    # the key as it was computed before clamp/precision existed (written out independently)
    legacy = {"steps": 300, "lr": 0.05, "beta1": 0.5, "beta2": 0.999, "schedule": "cosine",
              "init": "normal", "restarts": 1, "seed": 0, "batch_size": 64}
    blob = json.dumps([legacy, "x"], sort_keys=True, separators=(",", ":"))
    assert config_key(InvertConfig(steps=300), "x") == hashlib.sha256(blob.encode()).hexdigest()[:16]
    for changed in (InvertConfig(steps=300, clamp="start"), InvertConfig(steps=300, precision="bf16")):
        assert config_key(changed, "x") != config_key(InvertConfig(steps=300), "x")


@pytest.mark.skipif(not JOBS.is_dir(), reason="no committed cpu-small results")
def test_committed_cpu_small_results_are_found(tmp_path, monkeypatch):
    """Every figure of the book reads its table and latents from the cache (no images, no inversion)."""
    shutil.copytree(COMMITTED, tmp_path / "results" / "cpu-small")  # reads a copy: writes nothing
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("GANZ_DATA", str(tmp_path / "nowhere"))

    def refuse(*a, **k):
        raise AssertionError("a committed cpu-small result was not found: it would be recomputed")

    for name in ("invert", "invert_many"):
        if hasattr(jobs, name):
            monkeypatch.setattr(jobs, name, refuse)
    loaded: set[str] = set()
    real_load = np.load

    def load(path, *a, **k):
        loaded.add(Path(path).name)
        return real_load(path, *a, **k)

    monkeypatch.setattr(np, "load", load)
    for fig in ("fig2", "fig3", "fig4", "fig5", "fig8"):
        res = getattr(figures, fig)("cpu-small", "cpu")
        assert len(res.table) > 0
    committed = {p.name for p in JOBS.glob("*.npz")}
    copied = tmp_path / "results" / "cpu-small"
    assert sorted(p.name for p in copied.rglob("*")) == sorted(p.name for p in COMMITTED.rglob("*"))
    assert loaded and loaded <= committed
    # fig3, fig4 and fig8 redraw their pictures from recorded latents
    assert len(loaded) >= 6 + 6 + 6
