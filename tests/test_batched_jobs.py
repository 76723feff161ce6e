"""Experiments invert many jobs at once: each keeps its cache entry and its latents."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ganz.study import experiments, figures, profiles
from ganz.study import jobs as job_cache
from ganz.study import policy
from ganz.core.adapters import make_adapter
from ganz.core.errors import GanzError
from ganz.core.fileformat import GanzFile, pack
from ganz.core.models import Generator

FIGS = ("fig3", "fig4", "fig5", "fig8")


def _run_all(**kw):
    return {f: getattr(figures, f)("smoke", "cpu", steps=3, **kw) for f in FIGS}


@pytest.mark.slow
def test_prefetch_batches_figures_and_fills_their_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "alone"))
    alone = _run_all()
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "together"))
    counts = experiments.prefetch(FIGS, "smoke", "cpu", steps=3)
    assert len(counts) == 1 and counts[0] > 10  # one round: one generator, all its jobs
    # the round that found nothing missing made the tables, from the batched latents
    assert len(list((tmp_path / "together").rglob("*.csv"))) == len(FIGS)
    jobs = sorted(p.name for p in (tmp_path / "together").rglob("*.npz"))
    assert jobs == sorted(p.name for p in (tmp_path / "alone").rglob("*.npz"))

    def refuse(*a, **k):
        raise AssertionError("prefetch left a job to compute")
    monkeypatch.setattr(job_cache, "invert_many", refuse)
    together = _run_all()
    for f in FIGS:
        np.testing.assert_allclose(together[f].table["psnr"], alone[f].table["psnr"], atol=1e-3)
    assert experiments.prefetch(FIGS, "smoke", "cpu", steps=3) == []


def test_original_loop_profile_keys_and_bytes(tmp_path, monkeypatch):
    prof = dataclasses.replace(profiles.PROFILES["smoke"], name="smoke-orig",
                               invert={"clamp": "start"})
    monkeypatch.setitem(profiles.PROFILES, "smoke-orig", prof)
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    a = figures.fig5("smoke-orig", "cpu", ratio=[10], steps=3, keep_linear=False)
    b = figures.fig5("smoke", "cpu", ratio=[10], steps=3, keep_linear=False)
    assert "once at the start" in a.meta["inversion"] and "every step" in b.meta["inversion"]
    assert {p.name for p in (tmp_path / "smoke-orig").rglob("*.npz")}.isdisjoint(
        p.name for p in (tmp_path / "smoke").rglob("*.npz"))
    assert (a.table.query("method == 'ganz'")["bytes"] > 0).all()


def test_rate_distortion_latents_reuse_fig5_jobs_where_the_loop_is_the_codecs(tmp_path, monkeypatch):
    """The codecs table's latents are fig. 5's cached jobs where the profile's loop keeps z in
    [−1, 1]; a profile with the original loop (z leaves [−1, 1], which no ``.ganz`` file holds)
    gets its own codec-loop jobs, all inverted in one batched call, never one call per job
    (lease 3 spent 60 s a job on two of them)."""
    from ganz.study import ratedistortion as rd

    orig = dataclasses.replace(profiles.PROFILES["smoke"], name="smoke-orig",
                               invert={"clamp": "start"})
    monkeypatch.setitem(profiles.PROFILES, "smoke-orig", orig)
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    calls = []
    real = job_cache.invert_many

    def counted(G, batch, *a, **k):
        calls.append(sum(j.x.shape[0] for j in batch))
        return real(G, batch, *a, **k)
    monkeypatch.setattr(job_cache, "invert_many", counted)
    kw = dict(ratios=[10], steps=3, bits=(32, 8), qat_steps=1)
    sets = 2 * 3 * len(rd.RD_SPLITS)  # (R = 10, keep_linear) × (32, 8, 8-QAT) × splits
    for name, fig5_jobs_reused in (("smoke", True), ("smoke-orig", False)):
        figures.fig5(name, "cpu", ratio=[10], steps=3)
        fig5_jobs = {p.name for p in (tmp_path / name / "jobs").glob("*.npz")}
        calls.clear()
        assert rd.rd_latents(name, "cpu", **kw) == sets
        new = {p.name for p in (tmp_path / name / "jobs").glob("*.npz")} - fig5_jobs
        assert len([n for n in new if n.startswith("qat-")]) == 2 * len(rd.RD_SPLITS)
        if fig5_jobs_reused:
            assert calls == [] and all(n.startswith("qat-") for n in new)
        else:  # 2 settings × 2 splits × 2 images in one call, latents a file can hold
            assert calls == [2 * len(rd.RD_SPLITS) * orig.n_images]
            for n in new - {n for n in new if n.startswith("qat-")}:
                assert np.abs(np.load(tmp_path / name / "jobs" / n)["z"]).max() <= 1 + 1e-6
        calls.clear()
        assert rd.rd_latents(name, "cpu", **kw) == sets and calls == []


def test_unclamped_latent_bytes_are_those_of_float32_files():
    G = Generator(profiles.SMOKE_MODEL)
    ad = make_adapter(G, "random_linear", ratio=10)
    rng = np.random.default_rng(0)
    z = rng.uniform(-3, 3, ad.input_dim).astype(np.float32)
    inside = (z / 3).astype(np.float32)  # as incompressible, within the format's range
    gid = "ab" * 32
    want = len(pack(GanzFile(ad.name, 16, 16, ad.seed, gid, inside)))
    assert job_cache.latent_file_bytes(ad, 16, gid, z) == want
    assert job_cache.latent_file_bytes(ad, 16, gid, inside) == want
    zeros = np.zeros(ad.input_dim, np.float32)  # deflates: counted as pack counts it
    assert job_cache.latent_file_bytes(ad, 16, gid, zeros) == len(
        pack(GanzFile(ad.name, 16, 16, ad.seed, gid, zeros))) < want
    big = np.full(ad.input_dim, 5.0, np.float32)
    assert job_cache.latent_file_bytes(ad, 16, gid, big) < want
    with pytest.raises(GanzError):
        pack(GanzFile(ad.name, 16, 16, ad.seed, gid, z))


def test_precision_parity_reports_each_image(tiny_model):
    from ganz.study.parity import precision_parity

    _, path = tiny_model
    x = profiles.synthetic_images(2, 16, 0)
    df = precision_parity(path, ("bf16", "tf32"), steps=4, x=x)
    assert len(df) == 2 * 2 * 2 and set(df["precision"]) == {"bf16", "tf32"}
    assert (df.query("precision == 'tf32'")["diff_db"] == 0).all()  # no TF32 on a CPU
    assert df["diff_db"].abs().max() < 1.0 and np.isfinite(df["psnr"]).all()


def test_so_far_records_a_partial_table_until_the_whole_one_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    figures.fig5("smoke", "cpu", ratio=[10], steps=3, keep_linear=False)  # a lease cut here
    whole = dict(ratio=[10], steps=3, keep_linear=True)

    def refuse(*a, **k):
        raise AssertionError("so-far inverted a job")
    monkeypatch.setattr(job_cache, "invert_many", refuse)
    part = figures.fig5("smoke", "cpu", policy=policy.so_far(), **whole)
    assert part.meta["missing"] == ["keep_linear on train", "keep_linear on test", "keep_linear on ood"]
    assert "not recorded yet" in part.meta["note"]
    assert set(part.table["ratio"].round()) == {10} and "keep_linear" not in set(part.table["adapter"])
    (partial,) = (tmp_path / "smoke").glob("fig5-*.partial.csv")
    assert not (tmp_path / "smoke" / partial.name.replace(".partial", "")).exists()
    from ganz.report import recorded  # the book reads the partial table, and what it lacks
    shown = recorded.load("fig5", "smoke", **whole)
    assert shown.meta["missing"] == part.meta["missing"] and len(shown.table) == len(part.table)
    monkeypatch.undo()
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    done = figures.fig5("smoke", "cpu", **whole)  # the next lease: the whole table replaces it
    assert "missing" not in done.meta and "keep_linear" in set(done.table["adapter"])
    assert not partial.exists() and not partial.with_suffix(".json").exists()
    with pytest.raises(Exception, match="so-far"):
        experiments.run(["fig4"], "smoke", "cpu", so_far=True)


def test_the_layer_seed_is_the_studys_own_not_the_optimizers(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path))
    import torch

    prof = profiles.get_profile("smoke")
    G, gid, _ = profiles.generator_for(prof, 8, torch.device("cpu"))
    x = profiles.synthetic_images(1, G.cfg.image_size, 0)
    cfg = prof.inversion(2, seed=1)
    setting = ("random_linear", 10.0)

    def adapter_seed(**kw) -> int:
        jobs = job_cache.run_settings(prof, G, gid, [setting], [(["a"], x)], cfg,
                                      torch.device("cpu"), cache=False, **kw)
        return jobs[(*setting, None)][0].adapter.seed

    assert adapter_seed() == 0  # the optimizer's seed 1 leaves the layer alone
    assert adapter_seed(layer_seed=5) == 5
