"""Inversion jobs and their cache: one generator, adapter, ratio, image list and settings is a job,
stored as ``results/<profile>/jobs/<key>.npz`` (the latents); a figure's table is cached as
``results/<profile>/<figure>-<key>.csv``. Only what is missing is computed, in batched calls."""
from __future__ import annotations

import dataclasses
import sys
import time
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from ..baselines.wavelet import wavelet_baseline
from ..core.adapters import Adapter, decode, make_adapter
from ..core.codec import SCALED_ADAPTERS
from ..core.atomic import write_csv, write_npz
from ..core.config import InvertConfig, config_key
from ..core.errors import MISSING_DATA_HELP
from ..core.errors import GanzError, MissingDataError
from ..core.fileformat import GanzFile, pack
from ..core.invert import InvertJob, invert_many
from ..core.metrics import psnr, ssim
from ..core.models import Generator
from ..core.paths import results_dir
from ..core.pixels import to_uint8
from ..core.runtime import device_name
from .policy import RunPolicy
from .profiles import Profile



def stale(prof: "Profile", what: str, figure: str = "FIGURE") -> GanzError:
    """The error for a result that a read-only caller finds missing (``store.not_recorded``)."""
    from ..results.store import not_recorded

    return not_recorded(prof.name, what, figure)



# --------------------------------------------------------------------------- inversion jobs
@dataclasses.dataclass(frozen=True)
class Job:
    """One inversion job's record: latents of its images, seconds per image, its adapter, the
    device that computed it, and (compressive sensing) the measurement matrix."""

    z: torch.Tensor
    seconds: float
    adapter: Adapter
    device: str
    A: torch.Tensor | None = None


def run_job(prof: Profile, G: Generator, gid: str, adapter_name: str, ratio: float | None,
            names: list[str], x: torch.Tensor | None, cfg: InvertConfig, dev: torch.device,
            measurements: int | None = None, cache: bool = True, latent_scale: float = 1.0,
            policy: RunPolicy | None = None) -> Job | None:
    """Invert images ``x`` (cached by everything that determines the result); returns z and timing
    (None: left out by the ``so_far`` or ``plan`` policy).

    ``x = None`` (images not on this machine) only reads a recorded result."""
    return run_jobs(prof, G, gid, adapter_name, ratio, [(names, x)], cfg, dev, measurements,
                    cache, latent_scale, policy)[0]


def run_jobs(prof: Profile, G: Generator, gid: str, adapter_name: str, ratio: float | None,
             parts: Sequence[tuple[list[str], torch.Tensor | None]], cfg: InvertConfig,
             dev: torch.device, measurements: int | None = None, cache: bool = True,
             latent_scale: float = 1.0, policy: RunPolicy | None = None) -> list[Job | None]:
    """``run_job`` for several image sets (e.g. the splits) at one setting (see ``run_settings``)."""
    return run_settings(prof, G, gid, [(adapter_name, ratio)], parts, cfg, dev, (measurements,),
                        cache, latent_scale=latent_scale,
                        policy=policy)[(adapter_name, ratio, measurements)]


def job_path(prof: Profile, gid: str, ad: Adapter, cfg: InvertConfig, names: list[str],
             measurements: int | None) -> Path:
    """A job's cache file. The adapter style joins the key only when it is not GANZ's calibrated
    one, and the latent scale only when it is not 1, so earlier cached runs keep their keys."""
    extra = [] if ad.style == "calibrated" else [{"style": ad.style}]
    if getattr(ad, "latent_scale", 1.0) != 1.0:  # the codec's scale (rate–distortion latents)
        extra.append({"latent_scale": ad.latent_scale})
    key = config_key(gid, ad.name, ad.input_dim, cfg, names, measurements, *extra)
    return results_dir() / prof.name / "jobs" / f"{key}.npz"


def run_settings(prof: Profile, G: Generator, gid: str, settings: Sequence[tuple[str, float | None]],
                 parts: Sequence[tuple[list[str], torch.Tensor | None]], cfg: InvertConfig,
                 dev: torch.device, measurements: Sequence[int | None] = (None,), cache: bool = True,
                 style: str | None = None, latent_scale: float = 1.0,
                 policy: RunPolicy | None = None, layer_seed: int = 0
                 ) -> dict[tuple, list[Job | None]]:
    """Every (adapter, ratio) setting × measurement count × image set of one generator; returns
    ``{(adapter, ratio, M): [job per image set]}``. Each job keeps its own cache entry and starting
    points; all those not yet recorded are inverted in one ``invert_many`` call (same latents as
    separate calls up to float rounding). ``style``: adapter style (None: the generator's own);
    ``latent_scale``: the codec's scale of the random layers (``ganz.core.codec``; 1 elsewhere);
    ``policy``: what a job not recorded yet becomes (``ganz.study.policy``; default: computed);
    ``layer_seed``: the random layers' seed, apart from the optimizer's (``cfg.seed``), as in the
    codec's files.
    Under the ``plan`` policy every job is None (recorded ones are not even read)."""
    policy = policy or RunPolicy()
    missing = "compute" if policy.missing == "recorded" and prof.synthetic else policy.missing
    out: dict[tuple, list[Job | None]] = {}
    todo: list[dict] = []
    for adapter_name, ratio in settings:
        ad = make_adapter(G, adapter_name, ratio if adapter_name == "random_linear" else None,
                          seed=layer_seed, style=style,
                          latent_scale=latent_scale if adapter_name in SCALED_ADAPTERS else 1.0)
        for M in measurements:
            A = _measurement_matrix(M, G.cfg.num_pixels, cfg.seed)
            jobs: list[Job | None] = []
            for names, x in parts:
                path = job_path(prof, gid, ad, cfg, names, M)
                recorded = cache and path.is_file()
                if missing == "plan" and (recorded or x is None):
                    jobs.append(None)  # recorded, or not computable here: nothing to plan
                elif recorded:
                    d = np.load(path)
                    jobs.append(Job(torch.from_numpy(d["z"]), float(d["seconds"]), ad,
                                    str(d["device"]), A))
                elif missing == "so_far":
                    jobs.append(None)
                elif missing == "recorded":
                    raise stale(prof, f"latents for {adapter_name} (job {path.stem})")
                elif x is None:
                    raise MissingDataError(f"no recorded {prof.name} result for these images, and "
                                           f"computing it needs them: {MISSING_DATA_HELP}")
                else:
                    jobs.append(None)
                    todo.append({"out": jobs, "index": len(jobs) - 1, "adapter": ad, "A": A,
                                 "names": names, "x": x, "path": path if cache else None})
            out[(adapter_name, ratio, M)] = jobs
    if todo and missing == "plan":
        policy.planned.append({"G": G, "gid": gid, "cfg": cfg, "dev": dev, "prof": prof,
                               "todo": todo})
    elif todo:
        _compute(prof, G, cfg, dev, todo, deadline=policy.deadline)
    return out


def _compute(prof: Profile, G: Generator, cfg: InvertConfig, dev: torch.device,
             todo: list[dict], progress: bool | None = None, deadline: float | None = None) -> None:
    """Invert ``run_settings``' missing jobs in batched ``invert_many`` calls of at most
    ``prof.invert_max_images`` images (whole jobs), writing each call's cache entries as soon as
    it ends. Under a ``deadline`` (``time.time()``) the calls are sized to end before it: the first
    holds whole jobs up to ``FIRST_CALL_IMAGES`` (at least one), each later one as many jobs as
    the last call's seconds per image-step say fit (``OutOfTime`` when not even one does), so a
    stopped figure loses no finished job."""
    pending = list(todo)
    cap = prof.invert_max_images or sum(t["x"].shape[0] for t in todo)
    per_image_step = None  # seconds, measured by the previous call
    while pending:
        fits = cap
        if deadline is not None:
            left = deadline - time.time()
            if per_image_step is None:  # small calls cost about the same (launch-bound): measure
                fits = min(cap, max(FIRST_CALL_IMAGES, pending[0]["x"].shape[0]))
            else:
                fits = min(cap, int(SAFETY * left / (per_image_step * cfg.steps * cfg.restarts)))
            if fits < pending[0]["x"].shape[0]:
                raise OutOfTime(f"{len(pending)} of {len(todo)} jobs left, {left:.0f} s left")
        chunk, n = [], 0
        while pending and (not chunk or n + pending[0]["x"].shape[0] <= fits):
            n += pending[0]["x"].shape[0]
            chunk.append(pending.pop(0))
        t0 = time.perf_counter()
        _invert_chunk(prof, G, cfg, dev, chunk, progress)
        per_image_step = (time.perf_counter() - t0) / max(n * cfg.steps * cfg.restarts, 1)


SAFETY = 0.85  # share of the time left that a deadline-sized call may plan to use
FIRST_CALL_IMAGES = 64  # the first call under a deadline: whole jobs up to this many images (small
# calls are launch-bound on a GPU: on an H100, 20- and 80-image calls both ran at 5.3 ms a step)


class OutOfTime(GanzError):
    """Raised by ``_compute`` when not one more job can finish before its deadline."""


def _invert_chunk(prof: Profile, G: Generator, cfg: InvertConfig, dev: torch.device,
                  todo: list[dict], progress: bool | None = None) -> None:
    """Invert ``todo`` in one ``invert_many`` call; write each job's cache entry. A progress bar
    when ``progress`` (None: when stderr is a terminal)."""
    groups, batch = _batch(todo, dev)
    results = invert_many(G, batch, cfg, max_images=prof.invert_max_images,
                          progress=sys.stderr.isatty() if progress is None else progress)
    for ts, res, job in zip(groups.values(), results, batch):
        per_image = res.seconds / max(job.x.shape[0], 1)
        for t, z in zip(ts, torch.split(res.z, list(job.groups))):
            if t["path"] is not None:
                write_npz(t["path"], z=z.numpy(), seconds=np.float64(per_image),
                          device=np.str_(device_name(dev)), names=np.array(t["names"]))
            t["out"][t["index"]] = Job(z, per_image, t["adapter"], device_name(dev), t["A"])


def _batch(todo: list[dict], dev: torch.device) -> tuple[dict[tuple, list[dict]], list[InvertJob]]:
    """``todo`` as ``invert_many``'s jobs: one InvertJob per (adapter, A), its image sets as groups."""
    groups: dict[tuple, list[dict]] = {}
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
    return groups, batch


def seconds_per_step(prof: Profile, G: Generator, cfg: InvertConfig, dev: torch.device,
                     todo: list[dict]) -> float:
    """Measured, not assumed: seconds per optimization step of inverting ``todo`` in one batched
    call on ``dev`` (nothing written), from a 1-step and a 4-step run so start-up cancels out."""
    _, batch = _batch(todo, dev)

    def run(steps: int) -> float:
        t0 = time.perf_counter()
        invert_many(G, batch, dataclasses.replace(cfg, steps=steps, restarts=1),
                    max_images=prof.invert_max_images)
        return time.perf_counter() - t0

    one = run(1)
    return max(run(4) - one, 0.0) / 3 or one


def _measurement_matrix(m: int | None, n: int, seed: int) -> torch.Tensor | None:
    """Gaussian A = randn(M, N)/sqrt(M), seeded (compressive sensing; N values per image)."""
    if m is None:
        return None
    g = torch.Generator().manual_seed(10_000 + seed)
    return torch.randn(m, n, generator=g) / m**0.5


def job_rows(job: Job, G: Generator, gid: str, names: list[str], x: torch.Tensor, split: str,
             base: dict, steps: int, nominal: float | None = None) -> tuple[list[dict], np.ndarray]:
    """Tidy rows for a finished job (decoded, quantized to uint8, measured) and the reconstructions.
    Each row carries its rate as set: ``d_c`` and ``nominal_ratio`` (the ratio asked for, or N / d_c
    for a layer whose size no ratio sets); ``ratio`` is the one reached, N / d_c."""
    ad = job.adapter
    rec = reconstruct(G, job)
    orig = to_uint8(x)
    size = G.cfg.image_size
    rows = []
    for i, name in enumerate(names):
        nbytes = latent_file_bytes(ad, size, gid, job.z[i].numpy())
        rows.append({**base, "image": name, "split": split, "adapter": ad.name,
                     "ratio": G.cfg.num_pixels / ad.input_dim, "d_c": ad.input_dim,
                     "nominal_ratio": G.cfg.num_pixels / ad.input_dim if nominal is None else nominal,
                     "method": "ganz",
                     "psnr": psnr(orig[i], rec[i]), "ssim": ssim(orig[i], rec[i]),
                     "bytes": nbytes if job.A is None else np.nan, "steps": steps,
                     "seconds": job.seconds, "device": job.device, "generator": gid})
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


def reconstruct(G: Generator, job: Job) -> np.ndarray:
    """A job's images decoded and quantized: uint8 (n, H, W, 3)."""
    dev = next(G.parameters()).device
    with torch.no_grad():
        return to_uint8(decode(G, job.adapter, job.z.to(dev)))


def wavelet_rows(names: list[str], x: torch.Tensor, split: str, ratio: float, d_c: int, base: dict,
                 nominal: float | None = None) -> list[dict]:
    """Both wavelet variants for each image, at the rate of a GANZ setting (``ratio`` = N / ``d_c``);
    ``nominal`` (default ``ratio``) is the ratio as set (10, not N / round(N / 10)), which the
    original's count uses. ``psnr`` is the PSNR as the
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
                         "d_c": d_c, "nominal_ratio": ratio if nominal is None else nominal,
                         "method": f"wavelet_{variant}", "psnr": w.psnr,
                         "ssim": ssim(orig[i], w.recon), "bytes": w.num_bytes, "steps": np.nan,
                         "seconds": np.nan, "device": "", "generator": "",
                         "psnr_uint8": w.psnr_uint8})
    return rows


COLUMNS = ["experiment", "profile", "image", "split", "dim", "adapter", "ratio", "method",
           "measurements", "psnr", "ssim", "bytes", "steps", "seconds", "device", "torch",
           "commit", "generator", "psnr_uint8", "d_c", "nominal_ratio"]


def _table(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in COLUMNS:
        if c not in df:
            df[c] = np.nan
    return df[COLUMNS]


def _cached_table(prof: Profile, figure: str, params: dict, gids: list[str], compute,
                  policy: RunPolicy | None = None) -> pd.DataFrame:
    """The figure's table: read where recorded, else made by ``compute()`` and written (whole, or
    partial under the ``so_far`` policy); under ``recorded`` a partial table is read as such and
    a missing one is the ``stale`` error; under ``plan`` nothing is written."""
    from ..results import store

    policy = policy or RunPolicy()
    missing = "compute" if policy.missing == "recorded" and prof.synthetic else policy.missing
    read_only = policy.missing == "recorded"

    key = config_key(figure, params, sorted(gids))
    path = results_dir() / prof.name / f"{figure}-{key}.csv"
    partial = store.partial_path(path)

    def sidecar(table: Path, missing: list[str] | None = None) -> None:
        store.write_sidecar(table, figure, prof.name, key, params, gids,
                            dataclasses.asdict(prof.inversion(params.get("steps"))), missing)

    if path.is_file():
        df = pd.read_csv(path)
        df.attrs["source"] = str(path)
        if policy.writes and not store.sidecar_path(path).is_file():
            sidecar(path)  # a table recorded before sidecars existed
        return df
    if read_only and partial.is_file():  # the jobs recorded so far, and which are not
        df = pd.read_csv(partial)
        df.attrs["source"] = str(partial)
        df.attrs["missing"] = (store.read_sidecar(partial) or {}).get("missing") or ["unknown"]
        return df
    if missing == "recorded":
        picture = params.get("image", "jack") if figure == "fig4" else "jack"
        raise stale(prof, f"{figure} table ({path.name})",
                    figure + ("" if picture == "jack" else f" --image {picture}"))
    df = compute()
    if missing == "plan":
        return df
    df.attrs["computed"] = True  # its pictures are written with it (``keep_pictures``)
    lacks = df.attrs.get("missing")
    if lacks:  # so_far: only the jobs recorded so far
        write_csv(df, partial)
        sidecar(partial, lacks)
        df.attrs["source"] = str(partial)
        return df
    write_csv(df, path)
    sidecar(path)
    df.attrs["source"] = str(path)
    for old in (partial, store.sidecar_path(partial)):  # the whole table replaces the partial one
        old.unlink(missing_ok=True)
    return df


def keep_pictures(prof: Profile, df: pd.DataFrame, images: dict, policy: RunPolicy | None) -> None:
    """Write a figure's pictures beside its table (``store.write_pictures``) when the table was
    just made, or was recorded without them; never under a read-only or planning policy."""
    from ..results import store

    policy = policy or RunPolicy()
    source = df.attrs.get("source")
    if not (images and source and (policy.writes or prof.synthetic)):
        return
    table = Path(source)
    if df.attrs.get("computed") or not store.pictures_path(table).is_file():
        store.write_pictures(table, images, originals=prof.synthetic)

