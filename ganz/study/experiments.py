"""The paper's experiments as functions returning tidy tables (one per figure), cached on disk.

Profiles:
- ``smoke``: a tiny seeded generator made on the spot and synthetic images; seconds on 2 CPU cores,
  no data needed (what nbval runs in CI). Its numbers mean nothing beyond "the code runs".
- ``cpu-small``: our 32×32 BEGANs trained on CPU (``ganz/zoo/cpu-small-d*.safetensors``) on the
  real evaluation images; results committed under ``results/cpu-small/``.
- ``paper``: 64×64 models at the paper's width, 7500 inversion steps (needs a GPU session).

An inversion "job" (one generator, adapter, ratio, split, image list and settings) is cached as
``results/<profile>/jobs/<key>.npz`` (the latents); a figure's table is cached as
``results/<profile>/<figure>-<key>.csv``. Only what is missing is computed.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from ..core.adapters import Adapter, decode, make_adapter
from ..core.atomic import write_csv, write_npz
from ..core.config import InvertConfig, ModelConfig, config_key
from ..core.data import MISSING_DATA_HELP, eval_images, eval_names
from ..core.pixels import to_uint8
from ..core.runtime import device_name, git_commit, pick_device
from ..core.errors import GanzError, MissingDataError
from ..core.fileformat import GanzFile, pack
from ..core.invert import InvertJob, invert_many
from ..baselines.lasso import lasso_cs_rows
from ..core.metrics import psnr, ssim
from ..core.models import Generator
from ..core.paths import results_dir
from ..baselines.wavelet import wavelet_baseline
from ..core.zoo import load_generator, weights_id

SPLITS = ("train", "test", "ood")
PAPER_N = 128 * 128 * 3  # the paper's N, for scaling measurement counts (fig. 8)


@dataclass(frozen=True)
class Profile:
    name: str
    steps: int  # inversion steps
    n_images: int  # per split
    models: dict = field(hash=False)  # training latent dim -> committed model (best checkpoint)
    # the same dims at an equal number of training images seen (Figs. 2 and 7 compare dims)
    dim_models: dict = field(hash=False, default_factory=dict)
    image_size: int = 32
    synthetic: bool = False
    dim_images: int | None = None  # images per split for Fig. 2 (default: n_images)
    image_set: str = "seeded"  # evaluation lists (ganz.core.data.IMAGE_SETS): "original" = the code's
    # InvertConfig fields of the profile's inversions (none: GANZ's projected loop, fp32)
    invert: dict = field(hash=False, default_factory=dict)
    invert_max_images: int | None = None  # images optimized at once by ``invert_many`` (memory)

    def inversion(self, steps: int | None = None, seed: int = 0) -> InvertConfig:
        """The profile's inversion settings at ``steps`` (default: the profile's)."""
        return InvertConfig(**{**self.invert, "steps": steps or self.steps, "seed": seed})


PROFILES = {
    "smoke": Profile("smoke", steps=25, n_images=2, models={}, image_size=16, synthetic=True),
    "cpu-small": Profile("cpu-small", steps=300, n_images=20, models={64: "cpu-small-d64"},
                         dim_models={64: "cpu-small-d64-s1250", 128: "cpu-small-d128",
                                     256: "cpu-small-d256", 512: "cpu-small-d512"}, image_size=32,
                         dim_images=8),
    "paper": Profile("paper", steps=7500, n_images=20, models={64: "celeba64-d64"},
                     dim_models={d: f"celeba64-d{d}-final" for d in (64, 128, 256, 512)},
                     image_size=64, image_set="original", invert_max_images=1024,
                     # the original loop; bf16 autocast of the conv module: PSNR within ±0.012 dB
                     # of fp32 on cpu-small (``python -m ganz.study.parity``, 4 test faces, 300 steps)
                     invert={"clamp": "start", "precision": "bf16"}),
}
DEFAULT_PROFILE = "cpu-small"
SMOKE_MODEL = ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)
#: set by the report side (``ganz.report.recorded.read_only``): a missing result is an error, not computed
READ_ONLY = False


def stale(prof: "Profile", what: str, figure: str = "FIGURE") -> GanzError:
    """The error for a result that a read-only caller (the book) finds missing."""
    return GanzError(f"stale: no recorded {prof.name} {what}; run `python -m ganz.study.experiments "
                     f"--profile {prof.name} {figure}` and commit results/{prof.name}/")


@dataclass
class ExperimentResult:
    table: pd.DataFrame
    images: dict[str, np.ndarray]
    meta: dict


# --------------------------------------------------------------------------- setup
def get_profile(profile: str | None) -> Profile:
    name = profile or os.environ.get("GANZ_PROFILE") or DEFAULT_PROFILE
    if name not in PROFILES:
        raise GanzError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


def generator_for(prof: Profile, dim: int, device: torch.device,
                  equal_budget: bool = False) -> tuple[Generator, str, dict]:
    """The profile's generator for a training latent dim: committed weights, or (smoke) seeded.

    ``equal_budget`` picks the models trained on the same number of images for every dim.
    """
    if prof.synthetic:
        torch.manual_seed(1000 + dim)
        G = Generator(ModelConfig(SMOKE_MODEL.image_size, SMOKE_MODEL.base_size,
                                  SMOKE_MODEL.width, dim)).eval().requires_grad_(False)
        return G.to(device), weights_id(G.state_dict()), {"model": f"smoke-d{dim} (untrained)"}
    models = prof.dim_models if equal_budget else prof.models
    if dim not in models:
        raise GanzError(f"profile {prof.name} has no model for latent dim {dim}")
    try:
        G, gid, meta = load_generator(models[dim], device)
    except GanzError as e:
        raise GanzError(f"profile {prof.name}: {e}. The paper profile's models come from a GPU "
                        f"training session (issue 5); use profile cpu-small meanwhile") from None
    meta["model"] = models[dim]
    return G, gid, meta


def synthetic_images(n: int, size: int, seed: int) -> torch.Tensor:
    """Smooth seeded test images (blobs on gradients) in model space — no data needed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    out = []
    for _ in range(n):
        img = np.zeros((size, size, 3))
        for c in range(3):
            img[..., c] = rng.uniform(0.2, 0.8) + rng.uniform(-0.3, 0.3) * xx + rng.uniform(-0.3, 0.3) * yy
        for _ in range(3):
            cx, cy, r = rng.uniform(0.2, 0.8, 2).tolist() + [rng.uniform(0.1, 0.3)]
            blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
            img += blob[..., None] * rng.uniform(-0.4, 0.4, 3)
        out.append(np.clip(img, 0, 1))
    arr = torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float()
    return arr * 2 - 1


def load_split(prof: Profile, split: str, n_images: int | None, size: int,
               figure: str | None = None) -> tuple[list[str], torch.Tensor]:
    """A split's evaluation images (the profile's image set; ``figure`` picks the original set's
    list for fig. 3 / fig. 8), at most ``n_images``."""
    n = n_images or prof.n_images
    if prof.synthetic:
        x = synthetic_images(n, size, seed=SPLITS.index(split) if split in SPLITS else 9)
        return [f"synth-{split}-{i:02d}" for i in range(n)], x
    return eval_images(split, size, limit=n, image_set=prof.image_set, figure=figure)


#: said under a figure whose originals could not be shown (results recorded, images absent)
NO_IMAGES_NOTE = ("the evaluation images are not on this machine, so originals and wavelet "
                  "pictures are left out; the numbers come from recorded results "
                  f"({MISSING_DATA_HELP})")


def split_or_names(prof: Profile, split: str, n_images: int | None, size: int,
                   figure: str | None = None) -> tuple[list[str], torch.Tensor | None]:
    """``load_split``, or, where the evaluation images are missing, their names alone (x = None):
    enough to show results already recorded for them (``run_job`` refuses to compute without x)."""
    try:
        return load_split(prof, split, n_images, size, figure)
    except MissingDataError:
        return eval_names(split, n_images or prof.n_images, prof.image_set, figure), None


def loop_label(cfg: InvertConfig) -> str:
    """How the latents were optimized, for a figure's provenance."""
    where = ("clamped to [−1, 1] once at the start, then unconstrained (the original code)"
             if cfg.clamp == "start"
             else "clamped to [−1, 1] after every step (GANZ's projected variant)")
    return f"Adam, z {where}, {cfg.precision}"


def meta_for(prof: Profile, dev: torch.device, **extra) -> dict:
    return {"profile": prof.name, "device": device_name(dev), "torch": torch.__version__,
            "inversion": loop_label(prof.inversion()),
            "commit": git_commit(), "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            **extra}


# --------------------------------------------------------------------------- inversion jobs
def run_job(prof: Profile, G: Generator, gid: str, adapter_name: str, ratio: float | None,
            names: list[str], x: torch.Tensor | None, cfg: InvertConfig, dev: torch.device,
            measurements: int | None = None, cache: bool = True) -> dict:
    """Invert images ``x`` (cached by everything that determines the result); returns z and timing.

    ``x = None`` (images not on this machine) only reads a recorded result."""
    return run_jobs(prof, G, gid, adapter_name, ratio, [(names, x)], cfg, dev, measurements,
                    cache)[0]


def run_jobs(prof: Profile, G: Generator, gid: str, adapter_name: str, ratio: float | None,
             parts: Sequence[tuple[list[str], torch.Tensor | None]], cfg: InvertConfig,
             dev: torch.device, measurements: int | None = None, cache: bool = True) -> list[dict]:
    """``run_job`` for several image sets (e.g. the splits) at one setting (see ``run_settings``)."""
    return run_settings(prof, G, gid, [(adapter_name, ratio)], parts, cfg, dev, (measurements,),
                        cache)[(adapter_name, ratio, measurements)]


class _Planned(Exception):
    """Raised inside a figure by ``run_settings`` while ``prefetch`` only collects missing jobs."""


_PLAN: list[dict] | None = None  # set by ``prefetch``: missing jobs are collected, not computed


def job_path(prof: Profile, gid: str, ad: Adapter, cfg: InvertConfig, names: list[str],
             measurements: int | None) -> Path:
    """A job's cache file. The adapter style joins the key only when it is not GANZ's calibrated
    one, so the cached runs of the ganz-arch generators keep their keys."""
    extra = [] if ad.style == "calibrated" else [{"style": ad.style}]
    key = config_key(gid, ad.name, ad.input_dim, cfg, names, measurements, *extra)
    return results_dir() / prof.name / "jobs" / f"{key}.npz"


def run_settings(prof: Profile, G: Generator, gid: str, settings: Sequence[tuple[str, float | None]],
                 parts: Sequence[tuple[list[str], torch.Tensor | None]], cfg: InvertConfig,
                 dev: torch.device, measurements: Sequence[int | None] = (None,), cache: bool = True,
                 style: str | None = None) -> dict[tuple, list[dict]]:
    """Every (adapter, ratio) setting × measurement count × image set of one generator; returns
    ``{(adapter, ratio, M): [job per image set]}``. Each job keeps its own cache entry and starting
    points; all those not yet recorded are inverted in one ``invert_many`` call (same latents as
    separate calls up to float rounding). ``style``: adapter style (None: the generator's own)."""
    out: dict[tuple, list[dict | None]] = {}
    todo: list[dict] = []
    for adapter_name, ratio in settings:
        ad = make_adapter(G, adapter_name, ratio if adapter_name == "random_linear" else None,
                          seed=cfg.seed, style=style)
        for M in measurements:
            A = _measurement_matrix(M, G.cfg.num_pixels, cfg.seed)
            jobs: list[dict | None] = []
            for names, x in parts:
                path = job_path(prof, gid, ad, cfg, names, M)
                if cache and path.is_file():
                    d = np.load(path)
                    jobs.append({"z": torch.from_numpy(d["z"]), "seconds": float(d["seconds"]),
                                 "adapter": ad, "device": str(d["device"]), "A": A})
                elif READ_ONLY and not prof.synthetic:
                    raise stale(prof, f"latents for {adapter_name} (job {path.stem})")
                elif x is None:
                    raise MissingDataError(f"no recorded {prof.name} result for these images, and "
                                           f"computing it needs them: {MISSING_DATA_HELP}")
                else:
                    jobs.append(None)
                    todo.append({"out": jobs, "index": len(jobs) - 1, "adapter": ad, "A": A,
                                 "names": names, "x": x, "path": path if cache else None})
            out[(adapter_name, ratio, M)] = jobs
    if todo and _PLAN is not None:
        _PLAN.append({"G": G, "gid": gid, "cfg": cfg, "dev": dev, "prof": prof, "todo": todo})
        raise _Planned()
    if todo:
        _compute(prof, G, cfg, dev, todo)
    return out  # type: ignore[return-value]


def _compute(prof: Profile, G: Generator, cfg: InvertConfig, dev: torch.device,
             todo: list[dict]) -> None:
    """Invert ``run_settings``' missing jobs in one ``invert_many`` call; write each cache entry."""
    groups: dict[tuple, list[dict]] = {}  # one InvertJob per (adapter, A): its image sets as groups
    for t in todo:
        groups.setdefault((id(t["adapter"]), id(t["A"])), []).append(t)
    batch = []
    for ts in groups.values():
        target = torch.cat([t["x"] for t in ts]).to(dev)
        measure = None
        if ts[0]["A"] is not None:
            A_dev = ts[0]["A"].to(dev)
            measure = lambda img, A_dev=A_dev: img.flatten(1) @ A_dev.t()  # noqa: E731
            target = measure(target)
        batch.append(InvertJob(ts[0]["adapter"], target, measure, [len(t["names"]) for t in ts]))
    results = invert_many(G, batch, cfg, max_images=prof.invert_max_images,
                          progress=sys.stderr.isatty())
    for ts, res, job in zip(groups.values(), results, batch):
        per_image = res.seconds / max(job.x.shape[0], 1)
        for t, z in zip(ts, torch.split(res.z, list(job.groups))):
            if t["path"] is not None:
                write_npz(t["path"], z=z.numpy(), seconds=np.float64(per_image),
                          device=np.str_(device_name(dev)), names=np.array(t["names"]))
            t["out"][t["index"]] = {"z": z, "seconds": per_image, "adapter": t["adapter"],
                                    "device": device_name(dev), "A": t["A"]}


def prefetch(figures: Sequence[str] = ("fig3", "fig4", "fig5", "fig8"), profile: str | None = None,
             device: str = "auto", rounds: int = 8, **kw) -> list[int]:
    """Invert every missing job of several figures, batched per generator: each round runs the
    figures only to collect the jobs they still miss (no table is written meanwhile), then
    inverts them in one ``invert_many`` call per generator and writes their cache entries.
    The round that finds nothing missing runs the figures for real (their tables are cached).
    ``kw`` (steps, n_images) goes to each figure that takes it. Returns the number of jobs
    inverted per round."""
    global _PLAN
    import inspect

    done = []
    for _ in range(rounds):
        _PLAN = []
        try:
            for name in figures:
                fn = globals()[name]
                args = {k: v for k, v in kw.items() if k in inspect.signature(fn).parameters}
                try:
                    fn(profile=profile, device=device, **args)
                except _Planned:
                    pass
            plans = _PLAN
        finally:
            _PLAN = None
        if not plans:
            break
        by_gen: dict[tuple, list[dict]] = {}
        for plan in plans:
            by_gen.setdefault((plan["gid"], config_key(plan["cfg"])), []).append(plan)
        count = 0
        for ps in by_gen.values():
            seen, todo = set(), []
            for t in (t for p in ps for t in p["todo"]):
                if t["path"] not in seen:  # a job two figures share is inverted once
                    seen.add(t["path"])
                    todo.append(t)
            _compute(ps[0]["prof"], ps[0]["G"], ps[0]["cfg"], ps[0]["dev"], todo)
            count += len(todo)
        done.append(count)
    return done


def _measurement_matrix(m: int | None, n: int, seed: int) -> torch.Tensor | None:
    """Gaussian A = randn(M, N)/sqrt(M), seeded (compressive sensing; N values per image)."""
    if m is None:
        return None
    g = torch.Generator().manual_seed(10_000 + seed)
    return torch.randn(m, n, generator=g) / m**0.5


def job_rows(job: dict, G: Generator, gid: str, names: list[str], x: torch.Tensor, split: str,
             base: dict, steps: int) -> tuple[list[dict], np.ndarray]:
    """Tidy rows for a finished job (decoded, quantized to uint8, measured) and the reconstructions."""
    ad = job["adapter"]
    rec = reconstruct(G, job)
    orig = to_uint8(x)
    size = G.cfg.image_size
    rows = []
    for i, name in enumerate(names):
        nbytes = latent_file_bytes(ad, size, gid, job["z"][i].numpy())
        rows.append({**base, "image": name, "split": split, "adapter": ad.name,
                     "ratio": G.cfg.num_pixels / ad.input_dim, "method": "ganz",
                     "psnr": psnr(orig[i], rec[i]), "ssim": ssim(orig[i], rec[i]),
                     "bytes": nbytes if job.get("A") is None else np.nan, "steps": steps,
                     "seconds": job["seconds"], "device": job["device"], "generator": gid})
    return rows, rec


def latent_file_bytes(ad: Adapter, size: int, gid: str, z: np.ndarray) -> int:
    """Bytes of the float32 ``.ganz`` file of one image's latents. The format refuses latents
    outside [−1, 1] (the original, unclamped loop makes them); for those this is the size the same
    file would have if it held them: same header, float32 payload, deflated when that is smaller
    (pack's rule), so the count stays honest without a format change."""
    z = np.asarray(z, np.float32)
    clipped = np.clip(z, -1, 1)
    n = len(pack(GanzFile(ad.name, size, size, ad.seed, gid, clipped)))
    if np.array_equal(clipped, z):
        return n

    def payload(v: np.ndarray) -> int:
        raw = v.tobytes()
        return min(len(raw), len(zlib.compress(raw, 9)))
    return n - payload(clipped) + payload(z)


def reconstruct(G: Generator, job: dict) -> np.ndarray:
    """A job's images decoded and quantized: uint8 (n, H, W, 3)."""
    dev = next(G.parameters()).device
    with torch.no_grad():
        return to_uint8(decode(G, job["adapter"], job["z"].to(dev)))


def wavelet_rows(names: list[str], x: torch.Tensor, split: str, ratio: float, base: dict,
                 nominal: float | None = None) -> list[dict]:
    """Both wavelet variants for each image; ``nominal`` (default ``ratio``) is the ratio as set
    (10, not N / round(N / 10)), which the original's count uses. ``psnr`` is the PSNR as the
    original computed it (float reconstruction, MAX = 1), ``psnr_uint8`` that of the 8-bit image
    the blob decodes to; a variant that refuses the ratio (original_code, R < 6) gives no rows."""
    orig = to_uint8(x)
    rows = []
    for variant in ("paper_text", "original_code"):
        for i, name in enumerate(names):
            try:
                w = wavelet_baseline(orig[i], ratio if nominal is None else nominal, variant)
            except GanzError:
                if variant == "original_code":
                    break
                raise
            rows.append({**base, "image": name, "split": split, "adapter": "", "ratio": ratio,
                         "method": f"wavelet_{variant}", "psnr": w.psnr,
                         "ssim": ssim(orig[i], w.recon), "bytes": w.num_bytes, "steps": np.nan,
                         "seconds": np.nan, "device": "", "generator": "",
                         "psnr_uint8": w.psnr_uint8})
    return rows


COLUMNS = ["experiment", "profile", "image", "split", "dim", "adapter", "ratio", "method",
           "measurements", "psnr", "ssim", "bytes", "steps", "seconds", "device", "torch",
           "commit", "generator", "psnr_uint8"]


def _table(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in df:
            df[c] = np.nan
    return df[COLUMNS]


def _cached_table(prof: Profile, figure: str, params: dict, gids: list[str], compute) -> pd.DataFrame:
    key = config_key(figure, params, sorted(gids))
    path = results_dir() / prof.name / f"{figure}-{key}.csv"
    if path.is_file():
        df = pd.read_csv(path)
        df.attrs["source"] = str(path)
        return df
    if READ_ONLY and not prof.synthetic:
        raise stale(prof, f"{figure} table ({path.name})", figure)
    df = compute()
    write_csv(df, path)
    return df


def _as_tuple(v) -> tuple:
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,)


# --------------------------------------------------------------------------- the figures
def _ratio_sweep(prof: Profile, dev: torch.device, figure: str, dims: Iterable[int],
                 settings: list[tuple[str, float | None]], splits: Iterable[str],
                 n_images: int | None, steps: int | None, seed: int = 0,
                 keep_images: bool = False, equal_budget: bool = False) -> tuple[pd.DataFrame, dict, dict]:
    """Shared engine: for each dim × split × (adapter, ratio): GANZ rows + wavelet rows."""
    steps = steps or prof.steps
    cfg = prof.inversion(steps, seed)
    rows, images, gens = [], {}, {}
    for dim in dims:
        G, gid, gmeta = generator_for(prof, dim, dev, equal_budget)
        gens[dim] = (gid, gmeta.get("model"))
        base = {"experiment": figure, "profile": prof.name, "dim": dim, "torch": torch.__version__,
                "commit": git_commit()}
        parts = {split: split_or_names(prof, split, n_images, G.cfg.image_size, figure)
                 for split in splits}
        by_split: dict[str, list[dict]] = {split: [] for split in parts}
        # every setting and split of this generator: one batched inversion
        all_jobs = run_settings(prof, G, gid, settings, list(parts.values()), cfg, dev)
        for adapter_name, ratio in settings:
            jobs = all_jobs[(adapter_name, ratio, None)]
            for (split, (names, x)), job in zip(parts.items(), jobs):
                if x is None:  # recorded latents, no pictures to measure against: pictures only
                    rec = reconstruct(G, job)
                else:
                    r, rec = job_rows(job, G, gid, names, x, split, base, steps)
                    by_split[split] += r + wavelet_rows(names, x, split, r[0]["ratio"], base,
                                                        ratio or r[0]["ratio"])
                if keep_images:
                    tag = adapter_name if adapter_name != "random_linear" else f"R{ratio:g}"
                    for i, name in enumerate(names):
                        if x is not None:
                            images[f"{split}/{name}/original"] = to_uint8(x[i:i + 1])[0]
                        images[f"{split}/{name}/{tag}"] = rec[i]
        for split_rows in by_split.values():  # split-major, as the tables always were
            rows += split_rows
    return _table(rows), images, gens


def _result(prof: Profile, dev: torch.device, figure: str, params: dict, dims, settings, splits,
            n_images, steps, keep_images=False, equal_budget=False) -> ExperimentResult:
    gens = [generator_for(prof, d, dev, equal_budget) for d in dims]
    gids = [g[1] for g in gens]
    box: dict = {}

    def sweep(images: bool) -> tuple:
        return _ratio_sweep(prof, dev, figure, dims, settings, splits, n_images, steps,
                            keep_images=images, equal_budget=equal_budget)

    def compute() -> pd.DataFrame:
        df, box["images"], _ = sweep(keep_images)
        return df

    df = _cached_table(prof, figure, params, gids, compute)
    images = box.get("images")
    if keep_images and images is None:  # table was cached: rebuild pictures from cached latents
        _, images, _ = sweep(True)
    models = [g[2].get("model") for g in gens]
    meta = meta_for(prof, dev, figure=figure, params=params, model=", ".join(map(str, models)),
                    generator=", ".join(g[:12] for g in gids),
                    computed_on=", ".join(sorted(set(df["device"].dropna().astype(str)) - {""})))
    return ExperimentResult(df, images or {}, _with_note(meta, images or {}))


def _with_note(meta: dict, images: dict) -> dict:
    """Add ``NO_IMAGES_NOTE`` when the pictures are reconstructions only (originals absent)."""
    if images and not any(k == "original" or k.endswith("/original") for k in images):
        meta["note"] = NO_IMAGES_NOTE
    return meta


def fig2(profile: str | None = None, device: str = "auto", ratio: float = 10,
         dims=(64, 128, 256, 512), n_images: int | None = None, steps: int | None = None) -> ExperimentResult:
    """PSNR at one ratio for each training latent dim, GANZ vs both wavelet variants, per split."""
    prof, dev = get_profile(profile), pick_device(device)
    dims = _as_tuple(dims)
    n_images = n_images or prof.dim_images or prof.n_images
    params = {"ratio": ratio, "dims": dims, "n": n_images, "steps": steps or prof.steps}
    return _result(prof, dev, "fig2", params, dims, [("random_linear", float(ratio))], SPLITS,
                   n_images, steps, equal_budget=True)


def fig3(profile: str | None = None, device: str = "auto", n_images: int | None = None,
         steps: int | None = None) -> ExperimentResult:
    """square_linear vs no_linear (both R = N/(width·base²), 6 at the paper's sizes)."""
    prof, dev = get_profile(profile), pick_device(device)
    # the original set has its own fig. 3 list (1 train, 1 test, 8 ood): not cut
    n = n_images or (prof.n_images if prof.image_set == "original" else min(prof.n_images, 4))
    params = {"n": n, "steps": steps or prof.steps}
    return _result(prof, dev, "fig3", params, (64,), [("square_linear", None), ("no_linear", None)],
                   SPLITS, n, steps, keep_images=True)


def fig4(profile: str | None = None, device: str = "auto", image: str = "jack",
         ratios=(10, 20, 50, 100, 768), steps: int | None = None) -> ExperimentResult:
    """One out-of-domain image at several ratios (random layers) and keep_linear, vs wavelets."""
    prof, dev = get_profile(profile), pick_device(device)
    ratios = _as_tuple(ratios)
    G, gid, gmeta = generator_for(prof, 64, dev)
    steps_ = steps or prof.steps
    cfg = prof.inversion(steps_)
    if prof.synthetic:
        names, x = ["synth-ood-00"], synthetic_images(1, G.cfg.image_size, 2)
    else:
        all_names = eval_names("ood", image_set=prof.image_set)
        stems = [n.rsplit(".", 1)[0] for n in all_names]
        if image not in stems:
            raise GanzError(f"image {image!r} not among the out-of-domain images: {', '.join(stems)}")
        i = stems.index(image)
        _, all_x = split_or_names(prof, "ood", len(all_names), G.cfg.image_size)
        names, x = [all_names[i]], (None if all_x is None else all_x[i:i + 1])
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
        all_jobs = run_settings(prof, G, gid, settings, [(names, x)], cfg, dev)  # one batched call
        for adapter_name, ratio in settings:
            job = all_jobs[(adapter_name, ratio, None)][0]
            tag = f"R{ratio:g}" if ratio else "keep_linear"
            images[f"ganz/{tag}"] = reconstruct(G, job)[0]
            if x is None:
                continue
            r = G.cfg.num_pixels / job["adapter"].input_dim
            images[f"wavelet/{tag}"] = wavelet_baseline(to_uint8(x)[0], ratio or r,
                                                        "original_code").recon
            if with_rows:
                rows += job_rows(job, G, gid, names, x, "ood", base, steps_)[0]
                rows += wavelet_rows(names, x, "ood", r, base, ratio or r)
        return rows, images

    box: dict = {}

    def compute() -> pd.DataFrame:
        rows, box["images"] = sweep(True)
        return _table(rows)

    params = {"image": image, "ratios": ratios, "steps": steps_}
    df = _cached_table(prof, "fig4", params, [gid], compute)
    images = box["images"] if "images" in box else sweep(False)[1]  # latents are cached: cheap
    meta = meta_for(prof, dev, figure="fig4", model=gmeta.get("model"), generator=gid[:12])
    return ExperimentResult(df, images, _with_note(meta, images))


def fig5(profile: str | None = None, device: str = "auto", ratio=(6, 10, 20, 24, 30, 50, 100, 200),
         n_images: int | None = None, steps: int | None = None, keep_linear: bool = True) -> ExperimentResult:
    """PSNR vs compression ratio on train / test / out-of-domain images (dim 64), vs wavelets."""
    prof, dev = get_profile(profile), pick_device(device)
    ratios = tuple(float(r) for r in _as_tuple(ratio))
    settings = [("random_linear", r) for r in ratios] + ([("keep_linear", None)] if keep_linear else [])
    params = {"ratios": ratios, "keep_linear": keep_linear, "n": n_images or prof.n_images,
              "steps": steps or prof.steps}
    return _result(prof, dev, "fig5", params, (64,), settings, SPLITS, n_images, steps)


def fig7(profile: str | None = None, device: str = "auto", dims=(64, 128, 256, 512), n: int = 6,
         seed: int = 0) -> ExperimentResult:
    """A 2×3 grid of random samples from each training latent dim's generator."""
    prof, dev = get_profile(profile), pick_device(device)
    rows, images = [], {}
    for dim in _as_tuple(dims):
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
                     "images_seen": gmeta.get("images_seen", 0), "step": gmeta.get("step", 0)})
    meta = meta_for(prof, dev, figure="fig7", model=", ".join(str(r["model"]) for r in rows),
                    generator=", ".join(r["generator"][:12] for r in rows))
    return ExperimentResult(pd.DataFrame(rows), images, meta)


def fig8(profile: str | None = None, device: str = "auto", measurements=(4000, 10000),
         n_images: int | None = None, steps: int | None = None) -> ExperimentResult:
    """Compressive sensing with Gaussian measurements through the no_linear model.

    ``measurements`` are the paper's M at N = 128·128·3; at other sizes M is scaled to keep M/N.
    """
    prof, dev = get_profile(profile), pick_device(device)
    G, gid, gmeta = generator_for(prof, 64, dev)
    n = n_images or min(prof.n_images, 3)
    steps_ = steps or prof.steps
    cfg = prof.inversion(steps_)
    N = G.cfg.num_pixels
    base = {"experiment": "fig8", "profile": prof.name, "dim": 64, "torch": torch.__version__,
            "commit": git_commit()}
    measurements = _as_tuple(measurements)

    def sweep(with_rows: bool) -> tuple[list[dict], dict]:
        rows, images = [], {}
        if with_rows:  # the Lasso's λ: tuned on these only
            train_x = load_split(prof, "train", n, G.cfg.image_size)[1]
        parts = {split: split_or_names(prof, split, n, G.cfg.image_size, "fig8")
                 for split in SPLITS}
        ms = [max(1, int(round(m * N / PAPER_N))) for m in measurements]
        all_jobs = run_settings(prof, G, gid, [("no_linear", None)], list(parts.values()), cfg, dev,
                                measurements=ms)  # every split and M: one batched inversion
        jobs = {M: dict(zip(parts, all_jobs[("no_linear", None, M)])) for M in ms}
        for split, (names, x) in parts.items():
            for M in ms:
                job = jobs[M][split]
                if with_rows:
                    r, rec = job_rows(job, G, gid, names, x, split, base, steps_)
                    for row in r:
                        row.update(measurements=M, m_over_n=M / N)
                    rows += r
                    rows += lasso_cs_rows(names, x, split, job["A"], base, train_x)  # lasso_dct
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
        return df

    params = {"measurements": measurements, "n": n, "steps": steps_}
    df = _cached_table(prof, "fig8", params, [gid], compute)
    images = box["images"] if "images" in box else sweep(False)[1]  # latents are cached: cheap
    meta = meta_for(prof, dev, figure="fig8", model=gmeta.get("model"), generator=gid[:12])
    return ExperimentResult(df, images, _with_note(meta, images))


def training_logs(profile: str | None = None) -> pd.DataFrame:
    """Training curves (loss, k, M_global, validation PSNR) of the profile's generators."""
    prof = get_profile(profile)
    if prof.synthetic:
        return _smoke_training_log()
    frames = []
    for dim in sorted(set(prof.models) | set(prof.dim_models)):
        path = results_dir() / prof.name / "training" / f"d{dim}.csv"
        if path.is_file():
            frames.append(pd.read_csv(path).assign(dim=dim))
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
        return pd.read_csv(f"{d}/log.csv").assign(dim=SMOKE_MODEL.latent_dim)


def main(argv: list[str] | None = None) -> None:
    """``python -m ganz.study.experiments --profile P fig5 fig2 ...``: run (or load) figures' experiments."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m ganz.study.experiments")
    p.add_argument("figures", nargs="+", choices=["fig2", "fig3", "fig4", "fig5", "fig7", "fig8"])
    p.add_argument("--profile")
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, help="inversion steps (default: the profile's)")
    p.add_argument("--n-images", type=int, help="images per split (default: the profile's)")
    p.add_argument("--together", action="store_true",
                   help="first invert every missing job of the figures in batched calls (GPU)")
    a = p.parse_args(argv)
    if a.together:
        t0 = time.perf_counter()
        kw = {k: v for k, v in (("steps", a.steps), ("n_images", a.n_images)) if v is not None}
        counts = prefetch([f for f in a.figures if f != "fig7"], a.profile, a.device, **kw)
        print(f"inverted {sum(counts)} jobs in {len(counts)} batched rounds "
              f"in {time.perf_counter() - t0:.0f} s", flush=True)
    for name in a.figures:
        t0 = time.perf_counter()
        kw = {} if name == "fig7" else {"steps": a.steps}
        if name not in ("fig4", "fig7"):
            kw["n_images"] = a.n_images
        res = globals()[name](profile=a.profile, device=a.device, **kw)
        print(f"{name}: {len(res.table)} rows in {time.perf_counter() - t0:.0f} s "
              f"({res.meta['profile']}, {res.meta['device']})", flush=True)


if __name__ == "__main__":
    main()
