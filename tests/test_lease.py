"""The GPU driver (``tools/gpu``, run by ``scripts/gpu/lease.sh``) on CPU: a deadline mid-stage
still leaves the generator and every finished table in OUT; packs are whole tgz files with
repository paths. The driver's tests are slow (``pytest -m "not slow"`` skips them)."""
from __future__ import annotations

import dataclasses
import tarfile
import time

import pytest
import torch

from ganz.core import paths
from ganz.core.zoo import load_generator
from ganz.study import experiments
from ganz.train import began as T
from tools.gpu import check, driver, drydata, longrun, measure, progress, training
from tools.gpu.options import Options
from tools.gpu.recipe import LONG_MODEL, LONG_RATIO, equal_images, model_cfg, train_cfg
from tools.gpu.session import Session


@pytest.fixture
def dry(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZ_ZOO", str(tmp_path / "zoo"))
    monkeypatch.setenv("GANZ_CACHE", str(tmp_path / "cache"))
    from ganz.core import data

    monkeypatch.setattr(data, "load_manifest", data.load_manifest)  # make_dry_data replaces it
    monkeypatch.setenv("GANZ_DATA", str(tmp_path / "work" / "data"))
    s = Session(Options(out=tmp_path / "out", work=tmp_path / "work", dry=True), end=time.time() + 600)
    drydata.make_dry_data(s.root / "data")
    return s


def members(path) -> set[str]:
    with tarfile.open(path) as tar:
        return set(tar.getnames())


def slow_steps(monkeypatch, seconds: float) -> None:
    step = T.Trainer.train_step

    def slow(self):
        time.sleep(seconds)
        return step(self)

    monkeypatch.setattr(T.Trainer, "train_step", slow)


@pytest.mark.slow
def test_training_stopped_by_deadline_still_returns_the_generator(dry, monkeypatch):
    equal_images(True, dry.opts.equal_epochs)  # decodes (and caches) the training images before the clock starts
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # its first use imports torch._dynamo (s)
    slow_steps(monkeypatch, 0.4)  # one epoch is 16 steps ≥ 6.4 s: a 3-s budget stops mid-epoch
    training.train_stage(dry, 64, budget=3.0, full=True)
    got = members(dry.out / "train-d64.tgz")
    assert {"runs/paper-d64/final.safetensors", "runs/paper-d64/log.csv",
            "runs/paper-d64/samples.png"} <= got
    with tarfile.open(dry.out / "train-d64.tgz") as tar:
        tar.extractall(dry.root / "unpacked", filter="data")
    G, _, meta = load_generator(dry.root / "unpacked/runs/paper-d64/final.safetensors")
    assert meta["stopped"] == "deadline" and 0 < meta["step"] < 16
    assert "ganz/zoo/celeba64-d64.safetensors" not in got  # under one epoch: not published


@pytest.mark.slow
def test_full_stage_publishes_both_names(dry):
    training.train_stage(dry, 64, budget=600.0, full=True)
    got = members(dry.out / "train-d64.tgz")
    assert {"ganz/zoo/celeba64-d64.safetensors", "ganz/zoo/celeba64-d64-final.safetensors",
            "results/paper/training/d64.csv"} <= got
    _, _, meta = load_generator(paths.models_dir() / "celeba64-d64-final.safetensors")
    eq = equal_images(True, dry.opts.equal_epochs)
    assert meta["images_seen"] == eq  # the equal-images snapshot, not the last step
    default = load_generator(paths.models_dir() / "celeba64-d64.safetensors")[2]
    assert default["stopped"] == "end"
    # the original layout: the codec's latent scale, calibrated on held-out faces, in the metadata
    for m in (meta, default):
        assert m["latent_scale"] in (1.0, 2.0, 4.0, 8.0, 16.0)
        scores = {float(k): v for k, v in m["latent_scale_scores"].items()}
        assert m["latent_scale"] == max(scores, key=scores.get)
        assert m["latent_scale_calibration"].startswith("latent scale calibrated")


@pytest.mark.slow
def test_figure_cut_by_its_budget_keeps_the_finished_tables(dry, monkeypatch):
    torch.manual_seed(0)
    from ganz.core.models import Generator

    from ganz.core.zoo import export_generator

    export_generator(Generator(model_cfg(64, dry=True)), paths.models_dir() / "celeba64-d64.safetensors")
    real = experiments.run

    def run(figures, *a, **k):
        if figures[0] == "fig3":
            time.sleep(30)  # a figure that cannot finish in the stage's time
        return real(figures, *a, **k)

    monkeypatch.setattr(experiments, "run", run)
    t0 = time.monotonic()
    measure.experiments_stage(dry, ["fig4", "fig3"], budget=8.0 + (time.monotonic() - t0))
    assert time.monotonic() - t0 < 20, "the stage outran its budget"
    got = members(dry.out / "results-paper.tgz")
    assert any(n.startswith("results/paper/fig4-") and n.endswith(".csv") for n in got)
    assert not any(n.startswith("results/paper/fig3-") for n in got)
    assert not list(dry.out.glob(".*tmp*"))  # no half-written pack


@pytest.mark.slow
def test_zero_budget_skips_stages(dry):
    measure.experiments_stage(dry, ["fig4"], budget=0.0)
    assert not (dry.out / "results-paper.tgz").exists()


def fake_todo(sizes: list[int]) -> list[dict]:
    return [{"x": torch.zeros(n, 3, 4, 4), "names": [f"{i}-{j}" for j in range(n)]} for i, n in enumerate(sizes)]


def test_deadline_sizes_each_inversion_call_and_keeps_finished_jobs(monkeypatch):
    """Under a deadline the first call holds up to 64 images, later calls as many as the measured
    rate says fit; when not one more fits, OutOfTime (the calls made are kept)."""
    from ganz.core.config import InvertConfig
    from ganz.study import jobs
    from ganz.study.profiles import PROFILES

    calls = []

    def invert_chunk(prof, G, cfg, dev, todo, progress=None):
        calls.append([t["x"].shape[0] for t in todo])
        time.sleep(0.02 * sum(t["x"].shape[0] for t in todo))  # 20 ms an image

    monkeypatch.setattr(jobs, "_invert_chunk", invert_chunk)
    cfg = InvertConfig(steps=10)
    prof = PROFILES["paper"]  # invert_max_images 1024
    with pytest.raises(jobs.OutOfTime):
        jobs._compute(prof, None, cfg, torch.device("cpu"), fake_todo([5] * 40),
                      deadline=time.time() + 2.0)
    assert calls[0] == [5] * (jobs.FIRST_CALL_IMAGES // 5)  # whole jobs up to 64 images first
    assert len(calls[1]) > 1  # then as many as fit
    done = sum(map(sum, calls))
    assert 1.0 <= 0.02 * done <= 2.0  # used most of the time, never planned past the deadline
    calls.clear()
    jobs._compute(prof, None, cfg, torch.device("cpu"), fake_todo([5, 5, 3]))  # no deadline: one call
    assert calls == [[5, 5, 3]]


@pytest.mark.slow
def test_second_session_takes_the_next_stages(dry, monkeypatch):
    """With d64 published, ``auto`` runs the figures, then the encoder, the benchmark and the other
    dims (each only when its estimate fits), each packed into its own file."""
    training.train_stage(dry, 64, budget=600.0, full=True)
    for f in dry.out.iterdir():
        f.unlink()
    dry.opts = dataclasses.replace(dry.opts, figs=("fig4",))
    monkeypatch.setenv("GANZ_RESULTS", str(dry.root / "results"))
    monkeypatch.setattr(progress, "train_estimate", lambda s: 1e6)  # no dim fits
    driver.run(dry, "auto")
    names = {p.name for p in dry.out.iterdir()}
    assert {"results-paper.tgz", "encoder.tgz", "bench.tgz"} <= names
    assert not any(n.startswith("train-d") for n in names)
    assert "ganz/zoo/celeba64-d64.encoder.safetensors" in members(dry.out / "encoder.tgz")


@pytest.mark.slow
def test_figure_cut_by_the_deadline_packs_the_jobs_it_finished(dry, monkeypatch, capsys):
    """fig. 5's inversions under the stage's deadline: the first call finishes and is packed;
    the next does not fit, so the figure stops with OutOfTime instead of overrunning."""
    torch.manual_seed(0)
    from ganz.core.models import Generator
    from ganz.core.zoo import export_generator
    from ganz.study import jobs

    export_generator(Generator(model_cfg(64, dry=True)), paths.models_dir() / "celeba64-d64.safetensors")
    monkeypatch.setenv("GANZ_RESULTS", str(dry.root / "results"))
    real = jobs._invert_chunk

    def slow(*a, **k):
        time.sleep(3.0)
        return real(*a, **k)

    monkeypatch.setattr(jobs, "_invert_chunk", slow)
    monkeypatch.setattr(jobs, "FIRST_CALL_IMAGES", 1)
    measure.experiments_stage(dry, ["fig5"], budget=8.0)
    said = capsys.readouterr().out
    assert "fig5: out of time" in said and "jobs left" in said
    got = members(dry.out / "results-paper.tgz")
    assert any(n.startswith("results/paper/jobs/") for n in got)  # the finished call's latents
    assert not any(n.startswith("results/paper/fig5-") for n in got)  # no table from part of a figure


@pytest.mark.slow
def test_a_second_call_on_the_warm_machine_goes_on_from_the_first(tmp_path):
    """lease.sh keeps the zoo and results outside the tree, so a second call of the same commit
    sees what the first made (no unpack in between); another commit starts afresh."""
    import os
    import subprocess

    root = paths.ROOT
    fake = tmp_path / "py"  # stands in for the driver: lists what it sees, then adds a result
    fake.write_text('#!/bin/sh\nls "$GANZ_RESULTS/paper" | grep -c made; test -f "$GANZ_ZOO/celeba64-d64.safetensors" '
                    '&& echo zoo-ok; touch "$GANZ_RESULTS/paper/made-$$"\n')
    fake.chmod(0o755)
    state = tmp_path / "state"

    def call(commit: str) -> str:
        env = {**os.environ, "GANZ_COMMIT": commit}
        return subprocess.run(["bash", str(root / "scripts/gpu/lease.sh"), "auto", "--python", str(fake),
                               "--out", str(tmp_path / f"out-{commit}"), "--work", str(state),
                               "--deadline", "30"], env=env, capture_output=True, text=True,
                              timeout=120).stdout

    first, second, other = call("aaa"), call("aaa"), call("bbb")
    assert first.splitlines()[:2] == ["0", "zoo-ok"] and "going on" not in first
    assert "going on" in second and second.splitlines()[1:3] == ["1", "zoo-ok"]
    assert other.splitlines()[:2] == ["0", "zoo-ok"]


@pytest.mark.slow
def test_a_recorded_gpu_bench_is_not_run_again(dry, monkeypatch, tmp_path):
    """The benchmark writes where ``progress.has_gpu_bench`` looks, so a second call skips it."""
    import json

    from ganz.study import bench

    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "results"))

    def fake(out_dir, **kw):  # what a GPU run records
        (out_dir).mkdir(parents=True, exist_ok=True)
        (out_dir / "inversion-paper-cuda.json").write_text(json.dumps({"cudnn_benchmark": False}))
    monkeypatch.setattr(bench, "run_inversion", fake)
    assert not progress.has_gpu_bench()
    measure.bench_stage(dry, 60)
    assert progress.has_gpu_bench()
    assert members(dry.out / "bench.tgz") == {"results/bench/inversion-paper-cuda.json"}


@pytest.mark.slow
def test_the_long_d64_goes_on_in_the_next_call(dry, monkeypatch):
    """A call's long d64 leaves its training state on the machine; the session's next call goes on
    from it (exact resume: its log continues the first's steps), republishes it and drops the
    R = 10 table of the earlier state; the call that trained it does not train it again."""
    import csv

    from ganz.study.longmodel import long_table_path

    monkeypatch.setenv("GANZ_RESULTS", str(dry.root / "results"))
    longrun.long_stage(dry, 600.0)
    first = load_generator(paths.models_dir() / f"{LONG_MODEL}.safetensors")[2]["step"]
    assert first > 0 and longrun.long_checkpoint(dry).is_file()
    table = long_table_path("paper", 64, LONG_RATIO)
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text("stale\n")
    longrun.long_stages(dry)  # the same call: nothing more
    assert load_generator(paths.models_dir() / f"{LONG_MODEL}.safetensors")[2]["step"] == first
    later = Session(dry.opts, end=time.time() + 600)
    longrun.long_stages(later)
    _, _, meta = load_generator(paths.models_dir() / f"{LONG_MODEL}.safetensors")
    assert meta["step"] == 2 * first and meta["images_seen"] == 2 * first * train_cfg(True).batch_size
    assert not table.exists()
    steps = [int(r["step"]) for r in csv.DictReader(open(later.run_dir("d64-long") / "log.csv"))]
    assert steps == sorted(set(steps)) and steps[-1] == 2 * first
    assert "ganz/zoo/celeba64-d64-long.safetensors" in members(dry.out / "train-d64-long.tgz")


def _dry_long(tmp_path, name: str, epochs: int, tree=None, form: str | None = None) -> str:
    """``lease.sh long --dry`` in its own work folder (a fresh machine); ``tree``: the repository
    it is sent with (``--tree``); ``form``: ``--handoff-form``. Returns its output."""
    import os
    import subprocess
    import sys

    args = ["long", "--dry", "--work", str(tmp_path / f"work-{name}"), "--out", str(tmp_path / f"out-{name}"),
            "--deadline", "1800", "--clock", "ready", "--python", sys.executable, "--long-epochs", str(epochs)]
    args += ["--tree", str(tree)] if tree is not None else []
    args += ["--handoff-form", form] if form else []
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(["bash", str(paths.ROOT / "scripts/gpu/lease.sh"), *args], env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    return r.stdout


def _unpack(out, tree) -> None:
    """unpack.sh of a dry call's OUT into ``tree`` (not this repository)."""
    import subprocess

    r = subprocess.run(["bash", str(paths.ROOT / "scripts/gpu/unpack.sh"), str(out), "--root", str(tree),
                        "--no-tables"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def _run_state(work) -> dict:
    return torch.load(work / "runs/paper-d64-long/latest.pt", weights_only=True)


def _log(work) -> list[dict]:
    import csv

    with open(work / "runs/paper-d64-long/log.csv") as f:
        return [{k: r[k] for k in ("step", "loss_d", "loss_g", "k", "lr")} for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The long d64 for 4 dry epochs in one call: what two 2-epoch sessions must equal."""
    tmp = tmp_path_factory.mktemp("whole")
    _dry_long(tmp, "c", 4)
    return tmp / "work-c"


@pytest.mark.slow
def test_two_dry_sessions_with_a_handoff_equal_one_uninterrupted_run(tmp_path, uninterrupted):
    """``lease.sh long`` on a fresh machine goes on from the state an earlier session handed off:
    session A trains the long d64 for 2 epochs and hands its state off in OUT; unpack.sh puts it
    (and A's tables) into a tree; session B, on a new machine with only that tree, goes on for 2
    more epochs. B ends where one call of 4 epochs ends: the same G, D, k and step bit for bit,
    and the same last log row (the exact form, which fits at toy size; at 64×64 the compact form
    travels: the next test)."""
    said = _dry_long(tmp_path, "a", 2)
    assert "state handed off (exact" in said
    parts = sorted(p.name for p in (tmp_path / "out-a").glob("d64-long-step*"))
    assert len(parts) == 1
    tree = tmp_path / "tree"  # the repository of the next session, as unpack.sh leaves it
    _unpack(tmp_path / "out-a", tree)
    assert sorted(p.name for p in (tree / "lease-state").iterdir()) == parts
    assert (tree / "results/paper/training/long-d64.csv").is_file()
    said = _dry_long(tmp_path, "b", 2, tree=tree)
    step = int(parts[0].split("-step")[1].split(".")[0])
    assert f"train d64-long: resumed at step {step} " in said and "from the handed-off state (exact" in said
    b, c = _run_state(tmp_path / "work-b"), _run_state(uninterrupted)
    assert b["step"] == c["step"] == 2 * step and b["k"] == c["k"]
    for key in ("generator", "discriminator"):
        assert all(torch.equal(b[key][n], c[key][n]) for n in c[key])
    steps = [int(r["step"]) for r in _log(tmp_path / "work-b")]  # B's log goes on from A's rows
    assert steps == sorted(set(steps)) and step in steps and steps[-1] == 2 * step
    assert _log(tmp_path / "work-b")[-1] == _log(uninterrupted)[-1]  # last window: losses, k, lr


@pytest.mark.slow
def test_two_dry_sessions_with_a_compact_handoff_continue_the_run(tmp_path, uninterrupted):
    """The form a 64×64 session hands off (fp16 G and D, no Adam moments): B goes on from A's step
    and k with Adam rebuilt from the last steps' batches, and ends at the same step as the
    uninterrupted run with weights that differ only by the rounding and Adam's restart."""
    said = _dry_long(tmp_path, "a", 2, form="compact")
    assert "state handed off (compact" in said
    tree = tmp_path / "tree"
    _unpack(tmp_path / "out-a", tree)
    said = _dry_long(tmp_path, "b", 2, tree=tree)
    assert "from the handed-off state (compact: Adam rebuilt from" in said
    b, c = _run_state(tmp_path / "work-b"), _run_state(uninterrupted)
    assert b["step"] == c["step"]
    gap = max(float((b["generator"][n] - c["generator"][n]).abs().max()) for n in c["generator"])
    assert 0 < gap < 0.05, gap
    print(f"compact handoff: |G_b - G_c| max {gap:.2e}; k {b['k']:.5f} vs {c['k']:.5f}")


@pytest.mark.slow
@pytest.mark.parametrize("clock", ["start", "ready"])
def test_the_ready_clock_gives_the_stages_their_deadline_whatever_start_up_took(tmp_path, monkeypatch,
                                                                                clock):
    """``--clock ready`` (the dry calls of scripts/test.sh): the deadline counts from the end of
    preflight, so a slow start-up (a loaded machine) does not eat the stages' time; by default it
    counts from the start (a real call: the device command's limit)."""
    seen = {}
    monkeypatch.setattr(check, "preflight", lambda dry: time.sleep(1.5) or [])
    monkeypatch.setattr(driver, "run", lambda s, mode: seen.setdefault("left", s.left()))
    import signal

    old = signal.getsignal(signal.SIGTERM)
    try:
        assert driver.main(["auto", "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work"),
                            "--deadline", "10", "--clock", clock]) == 0
    finally:
        signal.signal(signal.SIGTERM, old)  # main() installs the driver's own handler
    assert (9.5 < seen["left"] <= 10) if clock == "ready" else (seen["left"] < 8.6)
