import csv

import numpy as np
import torch

from ganz.core.config import ModelConfig, TrainConfig
from ganz.train.began import Trainer, batch_indices
from ganz.core.zoo import load_generator

CFG = ModelConfig(16, 4, 4, 8)


def images(n=40):
    return np.random.default_rng(0).integers(0, 256, (n, 16, 16, 3), dtype=np.uint8)


def tcfg(steps):
    return TrainConfig(steps=steps, batch_size=4, checkpoint_every=3, log_every=1, validation_images=0)


def test_three_plus_three_equals_six(tmp_path):
    a = Trainer(CFG, tcfg(6), images(), tmp_path / "a")
    a.run(progress=False)
    b = Trainer(CFG, tcfg(6), images(), tmp_path / "b")
    b.run(progress=False, stop_after=3)
    assert b.step == 3
    c = Trainer(CFG, tcfg(6), images(), tmp_path / "b")  # fresh process state, resumes from disk
    assert c.load() and c.step == 3
    c.run(progress=False)
    assert c.step == 6 and a.k == c.k
    for p, q in zip(a.G.state_dict().values(), c.G.state_dict().values()):
        assert torch.equal(p, q)
    rows = list(csv.DictReader(open(tmp_path / "b" / "log.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5, 6]  # no step lost or repeated
    ra = list(csv.DictReader(open(tmp_path / "a" / "log.csv")))
    assert [r["loss_d"] for r in ra] == [r["loss_d"] for r in rows]


def test_export_is_loadable(tmp_path):
    t = Trainer(CFG, tcfg(2), images(), tmp_path)
    t.run(progress=False)
    G, gid, meta = load_generator(tmp_path / "final.safetensors")
    assert G.cfg == CFG and len(gid) == 64 and meta["step"] == 2


def test_batches_cover_epoch_without_repeats():
    seen = torch.cat([batch_indices(40, s, 8, 0) for s in range(5)])
    assert sorted(seen.tolist()) == list(range(40))


def test_k_clamped_unless_disabled(tmp_path):
    from dataclasses import replace

    t = Trainer(CFG, replace(tcfg(3), lambda_k=10.0), images(), tmp_path / "c")
    t.run(progress=False)
    assert 0.0 <= t.k <= 1.0
    u = Trainer(CFG, replace(tcfg(3), lambda_k=10.0, clamp_k=False), images(), tmp_path / "u")
    u.run(progress=False)
    assert u.k != t.k
