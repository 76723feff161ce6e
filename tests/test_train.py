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


# --------------------------------------------------------------------------- recipes, speed paths
def test_original_recipe_preset():
    o = TrainConfig.original()
    assert (o.beta1, o.beta2, o.batch_size, o.lr, o.lr_decay_every, o.lr_decay_factor) == \
        (0.9, 0.999, 32, 1e-4, 12_000, 0.95)
    assert (o.recipe, o.epochs, o.hflip, o.shuffle, o.clamp_k, o.validation_images) == \
        ("original", 50, False, False, False, 0)
    assert TrainConfig.original(batch_size=8).batch_size == 8


def test_sorted_order_without_shuffling():
    idx = torch.cat([batch_indices(40, s, 8, 0, shuffle=False) for s in range(6)])
    assert idx.tolist() == list(range(40)) + list(range(8))  # epoch 2 starts over in the same order


def orig_cfg(**kw):
    return TrainConfig.original(batch_size=4, epochs=1, checkpoint_every=0, log_every=1, **kw)


def test_original_recipe_trains_resumes_and_k_follows_g_term(tmp_path):
    from dataclasses import replace

    t = Trainer(CFG, orig_cfg(), images(), tmp_path / "o")
    assert t.total_steps == 10  # one epoch of 40 images, batch 4
    rows = []
    for _ in range(3):
        k0 = t.k
        s = t.train_step().tolist()  # loss_real, loss_fake, loss_d, loss_g, k, m_global
        rows.append(s)
        assert abs(t.k - (k0 + 0.001 * (0.5 * s[0] - s[3]))) < 1e-6  # k from G's term
    assert rows[0][1] != rows[0][3]  # separate latents: D's fake term differs from G's term
    a = Trainer(CFG, replace(orig_cfg(), checkpoint_every=2), images(), tmp_path / "a")
    a.run(progress=False, grid=False)
    b = Trainer(CFG, replace(orig_cfg(), checkpoint_every=2), images(), tmp_path / "b")
    b.run(progress=False, stop_after=4, grid=False)
    c = Trainer(CFG, replace(orig_cfg(), checkpoint_every=2), images(), tmp_path / "b")
    assert c.load() and c.step == 4
    c.run(progress=False, grid=False)
    assert c.step == a.step == 10 and a.k == c.k
    assert all(torch.equal(p, q) for p, q in zip(a.G.state_dict().values(), c.G.state_dict().values()))


def test_k_unclamped_in_original_recipe(tmp_path):
    t = Trainer(CFG, orig_cfg(lambda_k=10.0, gamma=0.0), images(), tmp_path)
    t.run(progress=False, grid=False)
    assert t.k < 0.0  # gamma 0: k only falls, and nothing holds it at 0


def test_native_scale_scales_losses(tmp_path, monkeypatch):
    a = Trainer(CFG, orig_cfg(), images(), tmp_path / "a")
    b = Trainer(CFG, orig_cfg(), images(), tmp_path / "b")
    b.loss_scale = 0.5
    sa, sb = a.train_step(), b.train_step()
    assert torch.allclose(sb[:4], 0.5 * sa[:4], rtol=1e-5)  # same weights, same batch, half the units


def test_bf16_step_close_to_fp32(tmp_path):
    """CPU bf16 autocast against fp32: one step's losses agree to bf16 rounding (~1 %)."""
    fp = Trainer(CFG, orig_cfg(precision="fp32"), images(), tmp_path / "f")
    bf = Trainer(CFG, orig_cfg(precision="bf16"), images(), tmp_path / "b")
    sf, sb = fp.train_step(), bf.train_step()
    assert torch.allclose(sb[:4], sf[:4], rtol=2e-2, atol=1e-3)
    assert not torch.equal(sb, sf)  # it did run in bf16


def test_deadline_and_stop_request_export_the_generator(tmp_path):
    import time

    t = Trainer(CFG, orig_cfg(), images(), tmp_path / "d")
    assert t.run(progress=False, deadline=time.monotonic() - 1) == "deadline"
    assert t.step == 0 and (tmp_path / "d" / "final.safetensors").is_file()
    u = Trainer(CFG, orig_cfg(), images(), tmp_path / "s")
    step = u.train_step

    def stop_after_two():
        out = step()
        u.stop_requested = u.step >= 2
        return out

    u.train_step = stop_after_two
    assert u.run(progress=False) == "signal" and u.step == 2
    _, _, meta = load_generator(tmp_path / "s" / "final.safetensors")
    assert meta["stopped"] == "signal" and meta["step"] == 2
    assert (tmp_path / "s" / "samples.png").is_file()
    rows = list(csv.DictReader(open(tmp_path / "s" / "log.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2]
    assert not (tmp_path / "s" / "latest.pt").exists()  # checkpoint_every=0: none written


def test_log_rows_average_the_window(tmp_path):
    t = Trainer(CFG, TrainConfig(steps=4, batch_size=4, checkpoint_every=0, log_every=2,
                                 validation_images=0), images(), tmp_path / "w")
    ref = Trainer(CFG, TrainConfig(steps=4, batch_size=4, checkpoint_every=0, log_every=1,
                                   validation_images=0), images(), tmp_path / "r")
    t.run(progress=False, grid=False)
    ref.run(progress=False, grid=False)
    w = list(csv.DictReader(open(tmp_path / "w" / "log.csv")))
    r = list(csv.DictReader(open(tmp_path / "r" / "log.csv")))
    assert [int(x["step"]) for x in w] == [2, 4]
    mean = (float(r[0]["loss_d"]) + float(r[1]["loss_d"])) / 2
    assert abs(float(w[0]["loss_d"]) - mean) < 1e-4


def test_snapshot_at_images_seen(tmp_path):
    t = Trainer(CFG, orig_cfg(snapshot_images=(10,)), images(), tmp_path / "i")
    t.run(progress=False, grid=False)
    _, _, meta = load_generator(tmp_path / "i" / "generator_images10.safetensors")
    assert meta["step"] == 3 and meta["images_seen"] == 12  # first step with ≥ 10 images seen


def test_cli_train_original_recipe(tmp_path, monkeypatch):
    from ganz import cli

    seen = {}

    def fake_train(mcfg, tcfg, out, dev, **kw):
        seen.update(tcfg=tcfg, kw=kw)

        class T:
            step = 0
        return T()

    monkeypatch.setattr("ganz.train.began.train", fake_train)
    assert cli.main(["train", "--out", str(tmp_path), "--recipe", "original", "--batch-size", "8",
                     "--time-limit", "5", "--checkpoint-every", "0", "--device", "cpu", "-q"]) == 0
    t = seen["tcfg"]
    assert (t.recipe, t.batch_size, t.epochs, t.beta1, t.checkpoint_every) == ("original", 8, 50, 0.9, 0)
    assert seen["kw"]["deadline"] is not None
    assert cli.main(["train", "--out", str(tmp_path), "--steps", "7", "--recipe", "original",
                     "--device", "cpu", "-q"]) == 0
    assert (seen["tcfg"].steps, seen["tcfg"].epochs) == (7, 0)
    assert cli.main(["train", "--out", str(tmp_path), "--device", "cpu", "-q"]) == 0
    assert seen["tcfg"] == TrainConfig()  # no flags: the project's recipe, unchanged
