"""The fast method's stopping rule, its tuning replay, the full-run headline and the speed
chapter's read-only loaders."""
import numpy as np
import pandas as pd
import pytest
import torch

from ganz.core.errors import GanzError
from ganz.core.fast import FastConfig, invert_fast, lbfgs_batch
from ganz.study.speedruns import replay_rule
from tiny import fitting_problem



@pytest.fixture(scope="module")
def problem():
    torch.set_num_threads(1)
    return fitting_problem()


def test_stopping_rule_stops_each_image_on_its_own(problem):
    G, ad, x, z0 = problem
    free, strict = {}, {}
    _, f_free, tr_free = lbfgs_batch(G, ad, x, z0, 200, 5, trace_every=1, stats=free)
    _, f_stop, tr_stop = lbfgs_batch(G, ad, x, z0, 200, 5, trace_every=1, tol_db=0.05,
                                     tol_window=5, stats=strict)
    assert (strict["evals"] <= free["evals"]).all() and (strict["evals"] < free["evals"]).any()
    assert (f_stop >= f_free - 1e-7).all()  # stopping earlier cannot do better
    tr = pd.DataFrame(tr_stop)
    for i in range(3):  # after an image stops, its loss stays put and it costs nothing more
        c = tr[tr.image == i].sort_values("step")
        stop = int(strict["iterations"][i])
        after = c[c.step >= stop]
        assert after.mse.nunique() == 1 and after.evals.nunique() == 1
        # where it stopped, the PSNR gain over the window was below the tolerance
        m = c.set_index("step").mse
        if stop >= 5 and stop < 200 and int(strict["evals"][i]) > stop:
            gain = 10 * np.log10(m[stop - 5] / m[stop])
            assert gain < 0.05
    # the replay on the unstopped trace reproduces the stop of the live rule
    trf = pd.DataFrame(tr_free)
    for i in range(3):
        step, _, ev = replay_rule(trf[trf.image == i], 0.05, 5)
        assert step == int(strict["iterations"][i]) and ev == int(strict["evals"][i])


def test_invert_fast_reports_evals(problem):
    G, ad, x, _ = problem
    off = invert_fast(G, ad, x, None, FastConfig(steps=60, tol_db=0.0))
    on = invert_fast(G, ad, x, None, FastConfig(steps=60, tol_db=0.05, tol_window=5))
    assert off.evals.shape == (3,) and (off.evals >= off.iterations).all()
    assert (on.evals <= off.evals).all() and (on.iterations <= 60).all()


def test_replay_rule_synthetic_curve():
    mse = 0.1 * 10 ** (-np.minimum(np.arange(50), 20) / 10)  # 1 dB per step, then flat
    c = pd.DataFrame({"step": np.arange(50), "mse": mse, "evals": np.arange(50) + 1})
    step, m, ev = replay_rule(c, 0.5, 3)
    assert step == 23 and ev == 24 and m == pytest.approx(mse[20])
    assert replay_rule(c.head(10), 0.5, 3)[0] == 9  # never stopped: the last step


def test_headline_columns_and_facts(tmp_path, monkeypatch):
    from ganz.report import speedbook
    from ganz.study import bench

    res = bench.run_inversion(quick=True, paper_steps=40, fast=FastConfig(steps=30), out_dir=tmp_path,
                              progress=False, settings=(("keep_linear", None),), splits=("test",))
    agg = res.summary[res.summary.image == "ALL"].iloc[0]
    assert agg["speedup_full_run"] == pytest.approx(agg["paper_run_seconds"] / agg["fast_run_seconds"])
    per = res.per_image()
    assert (per["psnr_gap_db"] == (per["fast_final_psnr"] - per["paper_final_psnr"]).round(3)).all()
    assert agg["images_fast_lower"] == int((res.summary.loc[res.summary.image != "ALL", "psnr_gap_db"] < 0).sum())
    table = res.speedups()
    assert list(table.columns[:3]) == ["adapter", "split", "speed-up, full runs"]
    facts = speedbook.speed_facts(res)
    assert facts["full_keep_test"] == pytest.approx(agg["speedup_full_run"])
    assert np.isnan(facts["cmd1_speedup"])  # no whole-command results given


def test_load_side_is_read_only(tmp_path, monkeypatch):
    from ganz.report import speedbook

    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    monkeypatch.setattr(speedbook, "COMMITTED_DIR", tmp_path / "none")
    with pytest.raises(GanzError, match="stale.*ganz bench command"):
        speedbook.load_side("command", "cpu-small")
    assert speedbook.load_side("tuning", "smoke") is None
    d = tmp_path / "bench"
    d.mkdir()
    pd.DataFrame({"adapter": ["keep_linear"], "tol_db": [0.01]}).to_csv(d / "stop-tuning-cpu-small.csv")
    pd.DataFrame({"adapter": ["keep_linear"]}).to_csv(d / "stop-tuning-cpu-small-images.csv")
    got = speedbook.load_side("tuning", "cpu-small")
    assert got["meta"] == {} and len(got["table"]) == 1


def test_lbfgs_turns_cudnn_autotuning_off_and_restores_it(problem, monkeypatch):
    """Its shapes change as images stop: autotuning each one stalled the GPU benchmark."""
    import torch

    from ganz.core import fast

    G, ad, x, z0 = problem
    seen = []
    real = fast._loss_grad

    def spy(*a, **k):
        seen.append(torch.backends.cudnn.benchmark)
        return real(*a, **k)

    monkeypatch.setattr(fast, "_loss_grad", spy)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    lbfgs_batch(G, ad, x, z0, 5, 3)
    assert seen and not any(seen)
    assert torch.backends.cudnn.benchmark is True


def test_stalls_split_a_trace_into_steady_time_and_stalls():
    from ganz.report.speedbook import stalls

    steps = np.arange(0, 60, 3)
    fast = 0.5 + 0.01 * np.arange(len(steps))
    fast[10:] += 2.0  # one 2-s stall between recorded steps 27 and 30
    rows = [{"method": "fast", "step": s, "seconds": t, "image": i} for s, t in zip(steps, fast)
            for i in range(2)]
    rows += [{"method": "paper", "step": s, "seconds": 0.02 * s, "image": 0} for s in steps]
    out = stalls(pd.DataFrame(rows)).set_index("method")
    assert out.loc["fast", "stalls"] == 1 and abs(out.loc["fast", "stall_seconds"] - 2.01) < 1e-9
    assert abs(out.loc["fast", "steady_seconds"] - 0.01 * 18) < 1e-9
    assert out.loc["fast", "start_seconds"] == 0.5 and out.loc["paper", "stalls"] == 0


@pytest.mark.slow
def test_compress_bench_times_fit_and_precropped(tmp_path):
    """``ganz bench compress`` on synthetic photos (one CelebA-sized, one other) and a tiny model:
    a row per (photo, mode), the same file either way, a summary and the load recorded."""
    import json

    import pandas as pd
    from PIL import Image

    from ganz.study.compressbench import time_compress
    from images import make_image
    from tiny import tiny_model_file

    _, model = tiny_model_file(tmp_path / "tiny.safetensors")
    photos = []
    for i, (h, w) in enumerate([(109, 89), (30, 40)]):
        photos.append(tmp_path / f"p{i}.png")
        Image.fromarray(make_image(max(h, w), seed=i)[:h, :w]).save(photos[-1])
    lines = []
    summary = time_compress(model, photos=photos, out_dir=tmp_path / "out", steps=2,
                            say=lines.append)
    assert len(lines) == 4 and lines[1].endswith("s left")
    runs = pd.read_csv(tmp_path / "out" / "compress-tiny-cpu.csv")
    assert len(runs) == 4 and set(runs["mode"]) == {"fit", "precropped"}
    assert runs["same_file"].all() and (runs["wall_seconds"] > 0).all()
    assert list(summary["mode"]) == ["fit", "precropped"] and (summary["faces"] == 2).all()
    meta = json.loads((tmp_path / "out" / "compress-tiny-cpu.json").read_text())
    assert meta["faces"] == ["p0.png", "p1.png"] and len(meta["load_average_start"]) == 3
