"""Fast compression: encoder, projection, invert_fast, the benchmark and the CLI's --method."""
import pandas as pd
import pytest
import torch

from ganz.core.adapters import decode, make_adapter
from ganz.cli import main
from ganz.report import benchplot
from ganz.core.config import InvertConfig
from ganz.core.encoder import encoder_path_for, export_encoder, load_encoder
from ganz.core.errors import GanzError
from ganz.core.fast import FastConfig, invert_fast, project
from ganz.core.invert import invert
from ganz.core.zoo import export_generator, load_generator
from ganz.train.encoder import EncoderTrainConfig, train_encoder

from tiny import tiny_generator


@pytest.fixture(scope="module")
def trained():
    """A tiny seeded generator and an encoder trained on its samples for a few seconds."""
    torch.set_num_threads(1)
    G = tiny_generator(seed=0).eval().requires_grad_(False)
    E, log = train_encoder(G, None, EncoderTrainConfig(steps=120, batch_size=16, log_every=40,
                                                       lr=3e-3, channels=8))
    return G, E, log


def samples(G, n=4, seed=1):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        return G(torch.rand(n, G.cfg.latent_dim, generator=g) * 2 - 1).clamp(-1, 1)


def test_project_is_box_least_squares():
    G = tiny_generator(seed=0)
    ad = make_adapter(G, "random_linear", ratio=10)
    z = torch.rand(3, ad.input_dim) * 2 - 1
    z[:, :5] = 1.0  # some coordinates on the bound
    h = ad(z)
    zp = project(ad, h, iters=300)
    assert zp.abs().max() <= 1
    assert torch.allclose(ad(zp), h, atol=1e-3)
    # outside the box: the projection is feasible and beats plain clamping of the lstsq solution
    h2 = 3 * h
    zc = torch.linalg.lstsq(ad.weight, h2.t()).solution.t().clamp(-1, 1)
    zp2 = project(ad, h2, iters=300)
    assert (ad(zp2) - h2).norm() <= (ad(zc) - h2).norm() + 1e-4
    nl = make_adapter(G, "no_linear")
    assert torch.allclose(project(nl, nl(z[:, :1].expand(3, nl.input_dim) * 0.5)), z[:, :1] * 0.5)


def test_encoder_learns_and_file_roundtrip(trained, tmp_path):
    G, E, log = trained
    assert log["loss_h"].iloc[-1] < log["loss_h"].iloc[0]
    assert set(E.keys()) == {"keep_linear:8:0", "random_linear:77:0"}
    p = tmp_path / "e.safetensors"
    export_encoder(E, p, "a" * 64)
    E2, meta = load_encoder(p, "a" * 64)
    x = samples(G)
    h1, z1 = E(x)
    h2, z2 = E2(x)
    assert torch.allclose(h1, h2, atol=2e-2)  # stored as fp16
    with pytest.raises(GanzError, match="trained for generator"):
        load_encoder(p, "b" * 64)
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(GanzError):
        load_encoder(tmp_path / "junk.safetensors")
    assert encoder_path_for("zoo/m.safetensors").name == "m.encoder.safetensors"


@pytest.mark.parametrize("adapter", ["random_linear", "keep_linear", "square_linear"])
def test_fast_beats_paper_at_equal_steps(trained, adapter):
    G, E, _ = trained
    ad = make_adapter(G, adapter, 10 if adapter == "random_linear" else None)
    x = samples(G, 4, seed=3)
    x = (x + 0.02 * torch.randn(x.shape, generator=torch.Generator().manual_seed(4))).clamp(-1, 1)
    steps = 25
    fast = invert_fast(G, ad, x, E, FastConfig(steps=steps), trace_every=5)
    paper = invert(G, ad, x, InvertConfig(steps=steps))
    assert fast.z.shape == paper.z.shape and fast.z.abs().max() <= 1
    assert fast.mse.mean() < paper.mse.mean()
    with torch.no_grad():  # the returned mse is the returned z's
        assert torch.allclose(((decode(G, ad, fast.z) - x) ** 2).flatten(1).mean(1), fast.mse,
                              rtol=1e-4, atol=1e-7)
    tr = pd.DataFrame(fast.trace)
    tr = tr.sort_values("step")
    first, last = tr.groupby("image").mse.first(), tr.groupby("image").mse.last()
    assert (last <= first).all() and (last < first).any() and tr.seconds.min() > 0
    assert tr.step.max() <= steps and (tr.evals >= tr.step).all()
    # without an encoder it still runs and lowers the loss
    plain = invert_fast(G, ad, x, None, FastConfig(steps=steps, random_starts=1))
    start = invert_fast(G, ad, x, None, FastConfig(steps=0, random_starts=1))
    assert (plain.mse <= start.mse).all()


def test_refine_several_starts_and_batches(trained):
    G, E, _ = trained
    ad = make_adapter(G, "random_linear", ratio=10)
    x = samples(G, 3, seed=5)
    one = invert_fast(G, ad, x, E, FastConfig(steps=10, batch_size=3))
    split = invert_fast(G, ad, x, E, FastConfig(steps=10, batch_size=1))
    assert torch.allclose(one.z, split.z, atol=1e-5)
    many = invert_fast(G, ad, x, E, FastConfig(steps=10, refine=2, random_starts=2), trace_every=5)
    assert many.z.shape == one.z.shape and len(many.trace) == 3 * 3
    seen = []
    invert_fast(G, ad, x, E, FastConfig(steps=10, batch_size=2), trace_every=5,
                callback=lambda step, s, z, m, start, r: seen.append((step, start, z.shape[0])))
    assert seen == [(0, 0, 2), (5, 0, 2), (10, 0, 2), (0, 2, 1), (5, 2, 1), (10, 2, 1)]


@pytest.mark.slow
def test_bench_quick_writes_csvs(tmp_path):
    from ganz.study import bench

    res = bench.run_inversion(quick=True, paper_steps=40, fast=FastConfig(steps=8), out_dir=tmp_path,
                              progress=False)
    for name in ("inversion-quick-cpu.csv", "inversion-quick-cpu-summary.csv", "inversion-quick-cpu.json"):
        assert (tmp_path / name).is_file()
    table = pd.read_csv(tmp_path / "inversion-quick-cpu.csv")
    for col in ("method", "adapter", "split", "image", "step", "seconds", "psnr", "device", "torch", "commit"):
        assert col in table
    assert set(table.method) == {"paper", "fast"} and set(table.split) == {"test", "ood"}
    assert set(table.adapter) == {"random_linear", "keep_linear"}
    summary = pd.read_csv(tmp_path / "inversion-quick-cpu-summary.csv")
    agg = summary[summary.image == "ALL"]
    assert len(agg) == 4 and {"speedup", "paper_final_psnr", "fast_final_psnr",
                              "paper_cpu_seconds_per_image", "flops_per_step_per_image"} <= set(agg)
    assert (agg.gpu_note.str.contains("not measured")).all()
    assert len(res.speedups()) == 4 and len(res.costs()) == 4
    per_image = res.per_image()
    assert len(per_image) == int(agg["images"].sum()) and "ALL" not in set(per_image["image"])
    fig = benchplot.plot_time_to_psnr(res.table, res.summary)
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_load_results_falls_back_to_quick(monkeypatch, tmp_path):
    from ganz.study import bench

    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    monkeypatch.setenv("GANZ_PROFILE", "smoke")
    monkeypatch.setattr(bench, "QUICK_PAPER_STEPS", 30)
    monkeypatch.setattr(bench, "QUICK_FAST", FastConfig(steps=5))
    res = bench.load_results()
    assert "quick" in res.meta["source"] and not res.table.empty
    assert (tmp_path / "bench" / "inversion-quick-cpu.csv").is_file()


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_methods(trained, image_file, tmp_path, capsys):
    G, E, _ = trained
    model = tmp_path / "tiny.safetensors"
    export_generator(G, model)
    img = image_file(16)
    base = ["compress", img, "--steps", 5, "--model", model, "-q", "--device", "cpu"]
    # no encoder yet: auto = paper; fast still works (from zeros)
    code, out, err = run(base + ["-o", tmp_path / "a.ganz"], capsys)
    assert code == 0, err
    assert "paper method" in out
    code, out, err = run(base + ["-o", tmp_path / "b.ganz", "--method", "fast"], capsys)
    assert code == 0, err
    assert "fast method" in out
    # with an encoder beside the generator: auto = fast
    _, gid, _ = load_generator(model)
    export_encoder(E, encoder_path_for(model), gid)
    for method, f in (("auto", "c.ganz"), ("fast", "d.ganz"), ("paper", "e.ganz")):
        code, out, err = run(base + ["-o", tmp_path / f, "--method", method], capsys)
        assert code == 0, err
        assert ("paper method" if method == "paper" else "fast method") in out
        code, _, err = run(["decompress", tmp_path / f, "-o", tmp_path / (f + ".png"), "--model", model],
                           capsys)
        assert code == 0, err
    # an encoder trained for another generator is refused with a one-line error
    export_encoder(E, encoder_path_for(model), "f" * 64)
    code, _, err = run(base + ["-o", tmp_path / "f.ganz", "--method", "fast"], capsys)
    assert code == 2 and "trained for generator" in err and err.count("\n") == 1
