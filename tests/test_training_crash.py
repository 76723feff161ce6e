"""Training survives being killed: a SIGKILL mid-run or mid-save resumes to the same run, and a
corrupt checkpoint is refused, never overwritten."""
from __future__ import annotations

import csv
import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from ganz.core.config import ModelConfig, TrainConfig
from ganz.core.errors import GanzError
from ganz.train.began import Trainer, train

from robust import ROOT


# --------------------------------------------------------------------------- training crash-safety
TRAIN_CFG = ModelConfig(16, 4, 4, 8)
TRAIN_STEPS = 24
LOSS_COLUMNS = ["step", "images_seen", "loss_real", "loss_fake", "loss_d", "loss_g", "k", "m_global", "lr"]


def train_cfg(steps: int = TRAIN_STEPS, every: int = 1) -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=4, checkpoint_every=every, log_every=1, validation_images=0)


def train_images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)


CHILD = f"""
import sys, time
import torch
torch.set_num_threads(1)
from ganz.train import began as T
from ganz.core.config import ModelConfig, TrainConfig
import numpy as np
step = T.Trainer.train_step
def slow_step(self):  # slow enough that the kill lands mid-run; numerics untouched
    time.sleep(0.05)
    return step(self)
T.Trainer.train_step = slow_step
images = np.random.default_rng(0).integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
T.train(ModelConfig(16, 4, 4, 8), TrainConfig(steps={TRAIN_STEPS}, batch_size=4, checkpoint_every=1,
        log_every=1, validation_images=0), sys.argv[1], "cpu", images=images, progress=False)
"""


def log_rows(folder: Path) -> list[list[str]]:
    with open(folder / "log.csv", newline="") as f:
        return [[r[c] for c in LOSS_COLUMNS] for r in csv.DictReader(f)]


def assert_same_run(a: Trainer, b: Trainer, dir_a: Path, dir_b: Path) -> None:
    assert (a.step, a.k) == (b.step, b.k)
    for p, q in zip([*a.G.state_dict().values(), *a.D.state_dict().values()],
                    [*b.G.state_dict().values(), *b.D.state_dict().values()]):
        assert torch.equal(p, q)
    fa, fb = load_file(str(dir_a / "final.safetensors")), load_file(str(dir_b / "final.safetensors"))
    assert fa.keys() == fb.keys() and all(torch.equal(fa[k], fb[k]) for k in fa)
    assert log_rows(dir_a) == log_rows(dir_b)  # every step logged once, same losses


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("ref")
    return train(TRAIN_CFG, train_cfg(), out, "cpu", images=train_images(), progress=False), out


@pytest.mark.slow
def test_sigkill_during_training_then_resume(reference_run, tmp_path):
    ref, ref_dir = reference_run
    out = tmp_path / "run"
    delay = random.Random().uniform(0.0, 0.5)  # >= 22 steps of >= 50 ms remain after it
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(out)],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out / "latest.pt").exists():
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline, "no first checkpoint"
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"run finished before the kill ({delay:.3f} s)"
    st_ = torch.load(out / "latest.pt", weights_only=True)  # never corrupt
    assert 1 <= st_["step"] < TRAIN_STEPS and not (out / "final.safetensors").exists()
    resumed = train(TRAIN_CFG, train_cfg(), out, "cpu", images=train_images(), progress=False)
    assert_same_run(ref, resumed, ref_dir, out)


def test_kill_during_save_keeps_previous_checkpoint(reference_run, tmp_path, monkeypatch):
    ref, ref_dir = reference_run
    out = tmp_path / "run"
    t = Trainer(TRAIN_CFG, train_cfg(every=4), train_images(), out)
    t.run(progress=False, stop_after=8)  # checkpoints at steps 4 and 8
    real_save = torch.save

    class Died(BaseException):
        pass

    def dying_save(obj, path, *a, **k):  # writes half a checkpoint, then the process "dies"
        buf = io.BytesIO()
        real_save(obj, buf)
        Path(path).write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
        raise Died

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(Died):
        t.run(progress=False)  # dies saving step 12
    monkeypatch.setattr(torch, "save", real_save)
    assert not list(out.glob(".latest.*"))  # the partial write is gone, the checkpoint intact
    assert torch.load(out / "latest.pt", weights_only=True)["step"] == 8
    with open(out / "log.csv", "a") as f:
        f.write("13,52,0.1")  # and a partial log line, as a kill mid-write would leave
    resumed = train(TRAIN_CFG, train_cfg(every=4), out, "cpu", images=train_images(), progress=False)
    assert_same_run(ref, resumed, ref_dir, out)


def test_corrupt_checkpoint_refused_not_overwritten(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "latest.pt").write_bytes(b"PK\x03\x04 truncated")
    t = Trainer(TRAIN_CFG, train_cfg(4), train_images(), out)
    with pytest.raises(GanzError, match="--restart"):
        t.load()
    assert (out / "latest.pt").read_bytes() == b"PK\x03\x04 truncated"  # the user decides


