"""The paper's experiments as functions returning tidy tables (one per figure), from cached jobs."""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
import torch

from ..baselines.lasso import lasso_cs_rows
from ..baselines.wavelet import wavelet_baseline
from ..core import data as _data
from ..core.data import eval_image, eval_names
from ..core.errors import GanzError, MissingDataError
from ..core.paths import results_dir
from ..core.pixels import to_uint8, uint8_to_model
from ..core.runtime import device_name, git_commit, pick_device
from .jobs import (_cached_table, _table, job_rows, keep_pictures, reconstruct,
                   run_settings, wavelet_rows)
from ..results.calls import DEFAULTS, figure_call
from ..results.profiles import FIG4_STAND_INS
from ..results.store import is_original, partial_note
from .policy import RunPolicy
from .profiles import (NO_IMAGES_NOTE, PAPER_N, SMOKE_MODEL, SPLITS, ExperimentResult, Profile,
                       generator_for, get_profile, load_split, meta_for, split_or_names,
                       synthetic_images)

# --------------------------------------------------------------------------- the figures
def _ratio_sweep(prof: Profile, dev: torch.device, figure: str, dims: Iterable[int],
                 settings: list[tuple[str, float | None]], splits: Iterable[str],
                 n_images: int | None, steps: int | None, seed: int = 0,
                 keep_images: bool = False, equal_budget: bool = False,
                 policy: RunPolicy | None = None) -> tuple[pd.DataFrame, dict, dict]:
    """Shared engine: for each dim × split × (adapter, ratio): GANZ rows + wavelet rows."""
    steps, dims = steps or prof.steps, tuple(dims)
    cfg = prof.inversion(steps, seed)
    rows, images, gens, missing = [], {}, {}, []
    for dim in dims:
        G, gid, gmeta = generator_for(prof, dim, dev, equal_budget)
        gens[dim] = (gid, gmeta.get("model"))
        base = {"experiment": figure, "profile": prof.name, "dim": dim, "torch": torch.__version__,
                "commit": git_commit()}
        parts = {split: split_or_names(prof, split, n_images, G.cfg.image_size, figure)
                 for split in splits}
        by_split: dict[str, list[dict]] = {split: [] for split in parts}
        # every setting and split of this generator: one batched inversion
        all_jobs = run_settings(prof, G, gid, settings, list(parts.values()), cfg, dev,
                                policy=policy)
        for adapter_name, ratio in settings:
            jobs = all_jobs[(adapter_name, ratio, None)]
            for (split, (names, x)), job in zip(parts.items(), jobs):
                tag = adapter_name if adapter_name != "random_linear" else f"R{ratio:g}"
                if job is None:  # left out (so_far / plan policy): not recorded yet
                    missing.append(f"{tag} on {split}" + (f" (dim {dim})" if len(dims) > 1 else ""))
                    continue
                if x is None:  # recorded latents, no pictures to measure against: pictures only
                    rec = reconstruct(G, job)
                else:
                    r, rec = job_rows(job, G, gid, names, x, split, base, steps, ratio)
                    by_split[split] += r + wavelet_rows(names, x, split, r[0]["ratio"],
                                                        r[0]["d_c"], base, r[0]["nominal_ratio"])
                if keep_images:
                    for i, name in enumerate(names):
                        if x is not None:
                            images[f"{split}/{name}/original"] = to_uint8(x[i:i + 1])[0]
                        images[f"{split}/{name}/{tag}"] = rec[i]
        for split_rows in by_split.values():  # split-major, as the tables always were
            rows += split_rows
    table = _table(rows)
    table.attrs["missing"] = missing
    return table, images, gens


def _result(prof: Profile, dev: torch.device, figure: str, params: dict, dims, settings, splits,
            n_images, steps, keep_images=False, equal_budget=False,
            policy: RunPolicy | None = None) -> ExperimentResult:
    gens = [generator_for(prof, d, dev, equal_budget) for d in dims]
    gids = [g[1] for g in gens]
    box: dict = {}

    def sweep(images: bool) -> tuple:
        return _ratio_sweep(prof, dev, figure, dims, settings, splits, n_images, steps,
                            keep_images=images, equal_budget=equal_budget, policy=policy)

    def compute() -> pd.DataFrame:
        df, box["images"], _ = sweep(keep_images)
        return df

    df = _cached_table(prof, figure, params, gids, compute, policy)
    images = box.get("images")
    if keep_images and images is None:  # table was cached: rebuild pictures from cached latents
        _, images, _ = sweep(True)
    keep_pictures(prof, df, images or {}, policy)
    models = [g[2].get("model") for g in gens]
    meta = meta_for(prof, dev, figure=figure, params=params, model=", ".join(map(str, models)),
                    generator=", ".join(g[:12] for g in gids),
                    computed_on=", ".join(sorted(set(df["device"].dropna().astype(str)) - {""})))
    meta = _with_note(meta, images or {})
    if df.attrs.get("missing"):
        meta["missing"] = list(df.attrs["missing"])
        meta["note"] = "; ".join(filter(None, [partial_note(meta["missing"]), meta.get("note")]))
    return ExperimentResult(df, images or {}, meta)


def _with_note(meta: dict, images: dict) -> dict:
    """Add ``NO_IMAGES_NOTE`` when the pictures are reconstructions only (originals absent)."""
    if images and not any(is_original(k) for k in images):
        meta["note"] = NO_IMAGES_NOTE
    return meta


def fig2(profile: str | None = None, device: str = "auto", ratio: float = DEFAULTS["fig2"]["ratio"],
         dims=DEFAULTS["fig2"]["dims"], n_images: int | None = None, steps: int | None = None,
         policy: RunPolicy | None = None) -> ExperimentResult:
    """PSNR at one ratio for each training latent dim, GANZ vs both wavelet variants, per split."""
    prof, dev = get_profile(profile), pick_device(device)
    call = figure_call("fig2", prof, ratio=ratio, dims=dims, n_images=n_images, steps=steps)
    return _result(prof, dev, "fig2", call.params, call.dims, [("random_linear", float(ratio))],
                   SPLITS, call.params["n"], steps, equal_budget=True, policy=policy)


def fig3(profile: str | None = None, device: str = "auto", n_images: int | None = None,
         steps: int | None = None, policy: RunPolicy | None = None) -> ExperimentResult:
    """square_linear vs no_linear (both R = N/(width·base²), 6 at the paper's sizes)."""
    prof, dev = get_profile(profile), pick_device(device)
    call = figure_call("fig3", prof, n_images=n_images, steps=steps)
    return _result(prof, dev, "fig3", call.params, call.dims,
                   [("square_linear", None), ("no_linear", None)], SPLITS, call.params["n"], steps,
                   keep_images=True, policy=policy)




def fig4_picture(prof: Profile, image: str) -> tuple[str, str]:
    """(split, file name) of fig. 4's picture ``image`` (with or without its extension): an
    out-of-domain picture of the profile's image set, or a training or held-out face of the
    evaluation manifest (e.g. ``FIG4_STAND_INS``, the paper's panels (a) and (b))."""
    stem = image.rsplit(".", 1)[0]
    ood = eval_names("ood", image_set=prof.image_set)
    for name in ood:
        if name.rsplit(".", 1)[0] == stem:
            return "ood", name
    manifest = _data.load_manifest()
    for e in manifest["images"] + manifest.get("original", {}).get("images", []):
        if e["split"] in ("train", "test") and e["name"].rsplit(".", 1)[0] == stem:
            return e["split"], e["name"]
    raise GanzError(f"image {image!r} is neither an out-of-domain picture "
                    f"({', '.join(n.rsplit('.', 1)[0] for n in ood)}) nor a face of the "
                    f"evaluation manifest (e.g. {', '.join(FIG4_STAND_INS)})")


def fig4(profile: str | None = None, device: str = "auto", image: str = DEFAULTS["fig4"]["image"],
         ratios=DEFAULTS["fig4"]["ratios"], steps: int | None = None,
         policy: RunPolicy | None = None) -> ExperimentResult:
    """One picture at several ratios (random layers) and keep_linear, vs wavelets: the paper's
    out-of-domain ``jack`` (panel c) by default, or a face (``FIG4_STAND_INS``: panels a, b)."""
    prof, dev = get_profile(profile), pick_device(device)
    call = figure_call("fig4", prof, image=image, ratios=ratios, steps=steps)
    ratios, image, steps_ = call.params["ratios"], call.params["image"], call.params["steps"]
    G, gid, gmeta = generator_for(prof, 64, dev)
    cfg = prof.inversion(steps_)
    split = "ood"
    if prof.synthetic:
        names, x = ["synth-ood-00"], synthetic_images(1, G.cfg.image_size, 2)
    else:
        split, name = fig4_picture(prof, image)
        if split == "ood":
            all_names = eval_names("ood", image_set=prof.image_set)
            i = all_names.index(name)
            _, all_x = split_or_names(prof, "ood", len(all_names), G.cfg.image_size)
            names, x = [name], (None if all_x is None else all_x[i:i + 1])
        else:
            try:
                x = uint8_to_model(np.array(eval_image(split, name, G.cfg.image_size))[None])
            except MissingDataError:
                x = None
            names = [name]
    base = {"experiment": "fig4", "profile": prof.name, "dim": 64, "torch": torch.__version__,
            "commit": git_commit()}
    # the paper's R = 768 is a random layer as small as the trained one (d_c = d_t = 64 at 128×128);
    # at other sizes that ratio is N / d_t, added so the two can still be compared
    same_dim = G.cfg.num_pixels / G.cfg.latent_dim
    extra = [] if any(abs(r - same_dim) < 1e-6 for r in ratios) else [same_dim]
    settings = [("random_linear", float(r)) for r in (*ratios, *extra)] + [("keep_linear", None)]

    def sweep(with_rows: bool) -> tuple[list[dict], dict]:
        rows, images = [], {}
        if x is not None:
            images["original"] = to_uint8(x)[0]
        all_jobs = run_settings(prof, G, gid, settings, [(names, x)], cfg, dev,
                                policy=policy)  # one batched call
        for adapter_name, ratio in settings:
            job = all_jobs[(adapter_name, ratio, None)][0]
            if job is None:  # the plan policy: nothing inverted
                continue
            tag = f"R{ratio:g}" if ratio else "keep_linear"
            images[f"ganz/{tag}"] = reconstruct(G, job)[0]
            if x is None:
                continue
            r = G.cfg.num_pixels / job.adapter.input_dim
            images[f"wavelet/{tag}"] = wavelet_baseline(to_uint8(x)[0], ratio or r,
                                                        "original_code").recon
            if with_rows:
                rows += job_rows(job, G, gid, names, x, split, base, steps_, ratio)[0]
                rows += wavelet_rows(names, x, split, r, job.adapter.input_dim, base, ratio or r)
        return rows, images

    box: dict = {}

    def compute() -> pd.DataFrame:
        rows, box["images"] = sweep(True)
        return _table(rows)

    df = _cached_table(prof, "fig4", call.params, [gid], compute, policy)
    images = box["images"] if "images" in box else sweep(False)[1]  # latents are cached: cheap
    keep_pictures(prof, df, images, policy)
    meta = meta_for(prof, dev, figure="fig4", model=gmeta.get("model"), generator=gid[:12])
    return ExperimentResult(df, images, _with_note(meta, images))


def fig5(profile: str | None = None, device: str = "auto", ratio=DEFAULTS["fig5"]["ratio"],
         n_images: int | None = None, steps: int | None = None, keep_linear: bool = True,
         policy: RunPolicy | None = None) -> ExperimentResult:
    """PSNR vs compression ratio on train / test / out-of-domain images (dim 64), vs wavelets."""
    prof, dev = get_profile(profile), pick_device(device)
    call = figure_call("fig5", prof, ratio=ratio, n_images=n_images, steps=steps,
                       keep_linear=keep_linear)
    ratios = call.params["ratios"]
    settings = [("random_linear", r) for r in ratios] + ([("keep_linear", None)] if keep_linear else [])
    return _result(prof, dev, "fig5", call.params, call.dims, settings, SPLITS, n_images, steps,
                   policy=policy)


def fig7(profile: str | None = None, device: str = "auto", dims=DEFAULTS["fig7"]["dims"],
         n: int = DEFAULTS["fig7"]["n"], seed: int = DEFAULTS["fig7"]["seed"],
         policy: RunPolicy | None = None) -> ExperimentResult:
    """A 2×3 grid of random samples from each training latent dim's generator, recorded like the
    other figures (a table of the models, the grids as its pictures)."""
    prof, dev = get_profile(profile), pick_device(device)
    call = figure_call("fig7", prof, dims=dims, n=n, seed=seed)
    rows, images = [], {}
    for dim in call.dims:
        G, gid, gmeta = generator_for(prof, dim, dev, equal_budget=True)
        g = torch.Generator().manual_seed(seed)
        z = torch.rand(n, dim, generator=g) * 2 - 1
        with torch.no_grad():
            s = to_uint8(G(z.to(dev)))
        cols = 3
        rows_ = int(np.ceil(n / cols))
        grid = np.zeros((rows_ * s.shape[1], cols * s.shape[2], 3), np.uint8)
        for i in range(n):
            r, c = divmod(i, cols)
            grid[r * s.shape[1]:(r + 1) * s.shape[1], c * s.shape[2]:(c + 1) * s.shape[2]] = s[i]
        images[f"d{dim}"] = grid
        rows.append({"dim": dim, "model": gmeta.get("model"), "generator": gid,
                     "images_seen": gmeta.get("images_seen", 0), "step": gmeta.get("step", 0),
                     "device": device_name(dev), "torch": torch.__version__, "commit": git_commit()})
    df = _cached_table(prof, "fig7", call.params, [r["generator"] for r in rows],
                       lambda: pd.DataFrame(rows), policy)
    keep_pictures(prof, df, images, policy)
    meta = meta_for(prof, dev, figure="fig7", model=", ".join(str(r["model"]) for r in rows),
                    generator=", ".join(r["generator"][:12] for r in rows))
    return ExperimentResult(df, images, meta)


def fig8(profile: str | None = None, device: str = "auto", measurements=DEFAULTS["fig8"]["measurements"],
         n_images: int | None = None, steps: int | None = None,
         policy: RunPolicy | None = None) -> ExperimentResult:
    """Compressive sensing with Gaussian measurements through the no_linear model.

    ``measurements`` are the paper's M at N = 128·128·3; at other sizes M is scaled to keep M/N.
    """
    prof, dev = get_profile(profile), pick_device(device)
    call = figure_call("fig8", prof, measurements=measurements, n_images=n_images, steps=steps)
    G, gid, gmeta = generator_for(prof, 64, dev)
    n, steps_ = call.params["n"], call.params["steps"]
    cfg = prof.inversion(steps_)
    N = G.cfg.num_pixels
    base = {"experiment": "fig8", "profile": prof.name, "dim": 64, "torch": torch.__version__,
            "commit": git_commit()}
    measurements = call.params["measurements"]

    def sweep(with_rows: bool) -> tuple[list[dict], dict]:
        rows, images = [], {}
        if with_rows:  # the Lasso's λ: tuned on these only
            train_x = load_split(prof, "train", n, G.cfg.image_size)[1]
        parts = {split: split_or_names(prof, split, n, G.cfg.image_size, "fig8")
                 for split in SPLITS}
        asked = {max(1, int(round(m * N / PAPER_N))): m for m in measurements}
        ms = list(asked)
        all_jobs = run_settings(prof, G, gid, [("no_linear", None)], list(parts.values()), cfg, dev,
                                measurements=ms, policy=policy)  # every split and M: one batched call
        jobs = {M: dict(zip(parts, all_jobs[("no_linear", None, M)])) for M in ms}
        for split, (names, x) in parts.items():
            for M in ms:
                job = jobs[M][split]
                if job is None:  # the plan policy: nothing inverted
                    continue
                if with_rows:
                    r, rec = job_rows(job, G, gid, names, x, split, base, steps_)
                    r += lasso_cs_rows(names, x, split, job.A, base, train_x)  # lasso_dct
                    for row in r:  # M as set (the paper's) beside M at this N
                        row.update(measurements=M, m_over_n=M / N, nominal_measurements=asked[M])
                    rows += r
                else:
                    rec = reconstruct(G, job)
                for i, name in enumerate(names):
                    if x is not None:
                        images[f"{split}/{name}/original"] = to_uint8(x[i:i + 1])[0]
                    images[f"{split}/{name}/M{M}"] = rec[i]
        return rows, images

    box: dict = {}

    def compute() -> pd.DataFrame:
        rows, box["images"] = sweep(True)
        df = _table(rows)
        df["m_over_n"] = df["measurements"] / N
        df["lasso_lambda"] = [row.get("lambda", np.nan) for row in rows]
        df["nominal_measurements"] = [row["nominal_measurements"] for row in rows]
        return df

    df = _cached_table(prof, "fig8", call.params, [gid], compute, policy)
    images = box["images"] if "images" in box else sweep(False)[1]  # latents are cached: cheap
    keep_pictures(prof, df, images, policy)
    meta = meta_for(prof, dev, figure="fig8", model=gmeta.get("model"), generator=gid[:12])
    return ExperimentResult(df, images, _with_note(meta, images))


def training_logs(profile: str | None = None) -> pd.DataFrame:
    """Training curves (loss, k, M_global, validation PSNR) of the profile's generators, one
    ``run`` each: ``d<dim>`` (``training/d<dim>.csv``) and a GPU session's longer dim-64 run,
    ``d64-long`` (``training/long-d64.csv``), where recorded."""
    prof = get_profile(profile)
    if prof.synthetic:
        return _smoke_training_log()
    folder = results_dir() / prof.name / "training"
    logs = {f"d{dim}": (dim, folder / f"d{dim}.csv")
            for dim in sorted(set(prof.models) | set(prof.dim_models))}
    logs["d64-long"] = (64, folder / "long-d64.csv")
    frames = [pd.read_csv(path).assign(dim=dim, run=run) for run, (dim, path) in logs.items()
              if path.is_file()]
    if not frames:
        raise GanzError(f"no training logs under {results_dir() / prof.name / 'training'}")
    return pd.concat(frames, ignore_index=True)


def _smoke_training_log() -> pd.DataFrame:
    """Train the smoke generator for a few steps on synthetic images (seconds) and return its log."""
    import tempfile

    from ..core.config import TrainConfig
    from ..train.began import train

    imgs = to_uint8(synthetic_images(64, SMOKE_MODEL.image_size, 5))
    with tempfile.TemporaryDirectory() as d:
        train(SMOKE_MODEL, TrainConfig(steps=20, batch_size=8, log_every=2, checkpoint_every=10,
                                       validation_images=0), d, "cpu", images=imgs, progress=False)
        return pd.read_csv(f"{d}/log.csv").assign(dim=SMOKE_MODEL.latent_dim,
                                                  run=f"d{SMOKE_MODEL.latent_dim}")
