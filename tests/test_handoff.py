"""A training run handed from one lease to a later one (``ganz.train.handoff``): the exact form
goes on bit for bit; the compact form keeps the step, k and the data position, rounds the weights
to fp16 and rebuilds Adam's moments from gradient-only steps."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ganz.core.config import ModelConfig, TrainConfig
from ganz.core.errors import GanzError
from ganz.train import handoff as H
from ganz.train.began import Trainer

CFG = ModelConfig(16, 4, 4, 8)


def images(n=40):
    return np.random.default_rng(0).integers(0, 256, (n, 16, 16, 3), dtype=np.uint8)


def cfg(**kw):
    return TrainConfig.original(batch_size=4, epochs=3, checkpoint_every=0, log_every=1, **kw)


def trainer(path, **kw) -> Trainer:
    return Trainer(CFG, cfg(**kw), images(), path)


def weights(t: Trainer) -> list[torch.Tensor]:
    return [*t.G.state_dict().values(), *t.D.state_dict().values()]


def test_exact_handoff_goes_on_bit_for_bit(tmp_path):
    whole = trainer(tmp_path / "whole")
    whole.run(progress=False, grid=False)
    first = trainer(tmp_path / "first")
    first.run(progress=False, grid=False, stop_after=12)
    parts = H.save_handoff(first, tmp_path / "out", "run", form="exact")
    assert [p.name for p in parts] == ["run-step12.state0of1"]
    later = trainer(tmp_path / "later")  # a fresh machine: only the parts
    info = H.load_handoff(later, tmp_path / "out", "run")
    assert info == {"form": "exact", "step": 12, "k": first.k, "rebuilt": 0}
    later.run(progress=False, grid=False)
    assert later.step == whole.step == 30 and later.k == whole.k
    assert all(torch.equal(a, b) for a, b in zip(weights(later), weights(whole)))


def test_compact_handoff_keeps_the_step_k_and_data_position(tmp_path):
    """What differs from an uninterrupted run: the weights are rounded to fp16 and Adam's moments
    are rebuilt from the last steps' batches (no weight moves while rebuilding)."""
    whole = trainer(tmp_path / "whole")
    whole.run(progress=False, grid=False)
    first = trainer(tmp_path / "first")
    first.run(progress=False, grid=False, stop_after=12)
    H.save_handoff(first, tmp_path / "out", "run", form="compact")
    later = trainer(tmp_path / "later")
    info = H.load_handoff(later, tmp_path / "out", "run")
    assert info["form"] == "compact" and info["step"] == 12 and info["rebuilt"] == 12  # ≤ the step
    assert later.k == first.k  # k and the step are kept exactly
    for a, b in zip(weights(later), weights(first)):  # only the fp16 rounding; the rebuild moved none
        assert torch.equal(a, b.half().float()) if b.is_floating_point() else torch.equal(a, b)
    for opt in (later.opt_g, later.opt_d):  # both Adams as if started 12 steps ago
        st = next(iter(opt.state.values()))
        assert float(st["step"]) == 12 and st["exp_avg_sq"].abs().sum() > 0
    later.run(progress=False, grid=False)
    assert later.step == whole.step == 30 and np.isfinite(later.k)
    gap = max(float((a - b).abs().max()) for a, b in zip(weights(later), weights(whole)))
    assert 0 < gap < 0.05  # the same run, not the same bits


def test_rebuilding_moments_moves_no_weight_and_no_step(tmp_path):
    t = trainer(tmp_path / "t")
    t.run(progress=False, grid=False, stop_after=5)
    before, k = [w.clone() for w in weights(t)], t.k
    assert t.rebuild_moments(100) == 5
    assert t.step == 5 and t.k == k and all(torch.equal(a, b) for a, b in zip(before, weights(t)))
    assert t.lr(t.step) == cfg().lr  # the schedule reads the step as before


def test_parts_are_split_found_whole_and_replaced(tmp_path):
    t = trainer(tmp_path / "t")
    t.run(progress=False, grid=False, stop_after=2)
    parts = H.save_handoff(t, tmp_path, "run", form="exact", part_bytes=20_000)
    assert len(parts) > 2 and all(p.stat().st_size <= 20_000 for p in parts)
    assert H.find_parts(tmp_path, "run") == {2: parts}
    t.run(progress=False, grid=False, stop_after=1)
    newer = H.save_handoff(t, tmp_path, "run", form="exact")
    assert H.find_parts(tmp_path, "run") == {3: newer} and not any(p.exists() for p in parts)
    (tmp_path / "run-step9.state0of2").write_bytes(b"half")  # an incomplete set is not a state
    assert H.read_handoff(tmp_path, "run")["step"] == 3


def test_another_run_is_refused(tmp_path):
    t = trainer(tmp_path / "t")
    t.run(progress=False, grid=False, stop_after=2)
    H.save_handoff(t, tmp_path / "out", "run")
    with pytest.raises(GanzError, match="another run: seed"):
        H.load_handoff(trainer(tmp_path / "u", seed=1), tmp_path / "out", "run")
    other = Trainer(ModelConfig(16, 4, 4, 16), cfg(), images(), tmp_path / "v")
    with pytest.raises(GanzError, match="model config"):
        H.load_handoff(other, tmp_path / "out", "run")


def test_forms_by_size():
    """At 64×64 only the compact form fits a lease: ~29 MB in two parts (exact: ~174 MB)."""
    mcfg = ModelConfig(latent_dim=64, arch="original", image_size=64, base_size=4, width=128)
    n = H.compact_bytes(mcfg)
    assert 28e6 < n < 30e6 and -(-n // H.PART_BYTES) == 2 and n < H.MAX_BYTES
