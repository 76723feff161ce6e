"""Rate–distortion: GANZ files against the codecs people use, counted in real bytes.

The paper counted 32-bit floats and compared only with wavelets. Here every GANZ point is a real
``.ganz`` file (format v2: compact header, latents as float32/float16 or uniformly quantized),
and every baseline point a real file of that codec, so "bytes" means ``len(file)`` on both sides.

For each evaluation split (test faces and out-of-domain pictures by default):

* **GANZ**: the latents of each ratio of fig. 5 (random first layer; plus the trained first layer,
  ``keep_linear``) packed at each bit depth; PSNR/SSIM of the decoded uint8 image. They come from
  the profile's inversion with the codec's projection (z kept in [−1, 1] every step, what a
  ``.ganz`` file holds; :func:`codec_inversion`): where that is the profile's own loop (cpu-small)
  fig. 5's cached jobs are reused; the paper profile's original loop lets z leave [−1, 1] (to |z|
  ≈ 50), so its codec latents are inverted anew, all missing jobs in batched calls, with the random
  layers at the codec's latent scale for the model (``ganz.core.codec``; stored in each file).
* **GANZ + QAT** (method ``ganz_qat``): for the quantized bit depths, a few Adam steps on the
  latent with the forward pass through the quantizer and a straight-through gradient, starting
  from the float latent; the best quantized latent seen is kept (never worse than plain rounding
  in model-space MSE).
* **Codecs**: every codec of :mod:`ganz.baselines.imagecodecs` available here, at *matched bytes* (the largest
  file not above each GANZ file's size, per image) and on a bpp grid (0.05 to 8 bpp). A budget
  below the codec's smallest file is kept with ``reachable=False`` (the point is then that
  smallest file), never dropped.

MS-SSIM is not reported: its usual five scales with an 11×11 window need images of at least
about 161 pixels a side, and ours are 32×32 (64×64 in the paper profile).

The analysis of these tables is ``ganz.report.rdanalysis``; their plots ``ganz.report.rdplots``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from ..baselines.imagecodecs import available_codecs, encode_at_budget, rd_curve
from ..core.adapters import Adapter, decode
from ..core.atomic import write_npz
from ..core.codec import model_latent_scale
from ..core.config import InvertConfig, config_key
from ..core.errors import GanzError
from ..core.fileformat import QUANT_BITS, GanzFile, pack, unpack
from ..core.metrics import bpp as bits_per_pixel
from ..core.metrics import psnr, ssim
from ..core.models import Generator
from ..core.paths import results_dir
from ..core.pixels import to_uint8
from ..core.runtime import device_name, git_commit, pick_device
from ..results.calls import as_tuple
from .jobs import Job, _cached_table, run_job, run_settings
from ..results.rdschema import EXAMPLE_SETTINGS, GANZ_METHODS, RATE_EDGES  # noqa: F401
from .policy import RunPolicy
from .profiles import ExperimentResult, Profile, generator_for, get_profile, load_split, meta_for

EXPERIMENT = "rd"
FIG5_RATIOS = (6, 10, 20, 24, 30, 50, 100, 200)  # fig. 5's sweep (its jobs reused where they fit)
RD_SPLITS = ("test", "ood")
BITS = (32, 16, 8, 6, 4)
# 0.05–2 bpp is the usual range; at 32×32 the standard codecs' smallest files already sit at
# 0.7–2.6 bpp, so the grid goes on to 8 bpp to give each of them a curve of its own.
BPP_GRID = (0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5,
            4.0, 5.0, 6.0, 8.0)
QAT_STEPS = 50
QAT_LR = 1.0  # Adam learning rate in units of the quantizer's step 2 / (2^b − 1)
COLUMNS = ["experiment", "profile", "image", "split", "method", "codec", "adapter", "ratio", "bits",
           "target", "budget", "quality", "bytes", "bpp", "psnr", "ssim", "reachable", "device",
           "torch", "commit", "generator", "d_c", "nominal_ratio"]
_FORMAT_VERSION = 2  # bump when the rows change meaning (part of the table's cache key); 2: the
# wavelet codec at level 4 (was capped by pywt's dwt_max_level: 2 at 32×32)


# --------------------------------------------------------------------------- GANZ points
def quantize_latent(z: torch.Tensor, bits: int) -> torch.Tensor:
    """The b-bit grid value a ``.ganz`` file stores for z (what a decoder sees)."""
    levels = (1 << bits) - 1
    return torch.round((z.clamp(-1, 1) + 1) / 2 * levels) / levels * 2 - 1


def quantize_ste(z: torch.Tensor, bits: int) -> torch.Tensor:
    """Quantized forward value, identity gradient (straight-through estimator)."""
    return z + (quantize_latent(z, bits) - z).detach()


def qat_refine(G: Generator, adapter: Adapter, x: torch.Tensor, z: torch.Tensor, bits: int,
               steps: int = QAT_STEPS, lr: float = QAT_LR) -> torch.Tensor:
    """Quantization-aware refinement of float latents ``z`` (B, d_c) for images ``x``.

    Adam on a float latent whose forward pass goes through the b-bit quantizer (straight-through
    gradient); learning rate ``lr`` quantizer steps. Returns the best *quantized* latent seen per
    image (step 0 is plain rounding, so the result is never worse in model-space MSE).
    """
    dev = next(G.parameters()).device
    x = x.to(dev)
    w = z.detach().clone().float().to(dev).requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr * 2.0 / ((1 << bits) - 1), betas=(0.5, 0.999))
    best = torch.full((len(x),), math.inf, device=dev)
    best_z = quantize_latent(w.detach(), bits)
    for step in range(steps + 1):
        zq = quantize_ste(w, bits)
        loss = (decode(G, adapter, zq) - x).pow(2).flatten(1).mean(1)
        with torch.no_grad():
            better = loss < best
            best = torch.where(better, loss.detach(), best)
            best_z[better] = zq.detach()[better]
        if step == steps:
            break
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            w.clamp_(-1, 1)
    return best_z.cpu()


def _qat_job(prof: Profile, G: Generator, gid: str, adapter: Adapter, names: list[str],
             x: torch.Tensor, z: torch.Tensor, bits: int, cfg: InvertConfig, steps: int,
             lr: float) -> torch.Tensor:
    """:func:`qat_refine`, cached as ``results/<profile>/jobs/qat-<key>.npz``."""
    scale = getattr(adapter, "latent_scale", 1.0)
    key = config_key("qat", gid, adapter.name, adapter.input_dim, cfg, names, bits, steps, lr,
                     *([{"latent_scale": scale}] if scale != 1.0 else []))
    path = results_dir() / prof.name / "jobs" / f"qat-{key}.npz"
    if path.is_file():
        return torch.from_numpy(np.load(path)["z"])
    zq = qat_refine(G, adapter, x, z, bits, steps, lr)
    write_npz(path, z=zq.numpy(), names=np.array(names),
              device=np.str_(device_name(next(G.parameters()).device)))
    return zq


def ganz_files(G: Generator, gid: str, adapter: Adapter, z: torch.Tensor,
               bits: int) -> tuple[list[bytes], np.ndarray]:
    """Pack each latent as a real ``.ganz`` file at ``bits`` and decode the files again:
    (files, uint8 reconstructions (B, H, W, 3))."""
    size = G.cfg.image_size
    files = [pack(GanzFile(adapter.name, size, size, adapter.seed, gid, zi, bits,
                           scale=getattr(adapter, "latent_scale", 1.0)))
             for zi in z.numpy().astype(np.float32)]
    z_dec = torch.from_numpy(np.stack([unpack(f).z for f in files]))
    with torch.no_grad():
        rec = to_uint8(decode(G, adapter, z_dec.to(next(G.parameters()).device)))
    return files, rec


def _ganz_rows(files: list[bytes], rec: np.ndarray, orig: np.ndarray, names: list[str],
               base: dict, **fields) -> list[dict]:
    h, w = orig.shape[1:3]
    return [{**base, **fields, "image": name, "codec": "ganz", "target": "ganz",
             "budget": np.nan, "quality": np.nan, "bytes": len(files[i]),
             "bpp": bits_per_pixel(len(files[i]), h, w), "psnr": psnr(orig[i], rec[i]),
             "ssim": ssim(orig[i], rec[i]), "reachable": True}
            for i, name in enumerate(names)]


# --------------------------------------------------------------------------- codec points
def grid_budgets(height: int, width: int, grid: Iterable[float] = BPP_GRID) -> list[int]:
    """Byte budgets of a bpp grid for an image size (at least 1 byte each)."""
    return sorted({max(1, int(round(b * height * width / 8))) for b in grid})


def _codec_rows(image: np.ndarray, name: str, matched: Iterable[int], grid: Iterable[int],
                codecs: Sequence[str], base: dict) -> list[dict]:
    matched, grid = sorted(set(matched)), sorted(set(grid))
    budgets = sorted(set(matched) | set(grid))
    rows = []
    for codec in codecs:
        points = dict(zip(budgets, rd_curve(codec, image, budgets)))
        for target, chosen in (("matched", matched), ("grid", grid)):
            for budget in chosen:
                p = points[budget]
                rows.append({**base, "image": name, "method": codec, "codec": codec,
                             "adapter": "", "ratio": np.nan, "bits": np.nan, "target": target,
                             "budget": budget, "quality": p.quality, "bytes": p.num_bytes,
                             "bpp": p.bpp, "psnr": p.psnr, "ssim": p.ssim,
                             "reachable": bool(p.reachable)})
    return rows


# --------------------------------------------------------------------------- the experiment
def codec_inversion(prof: Profile, steps: int | None = None):
    """The profile's inversion settings with the codec's projection: latents stay in [−1, 1], the
    range a ``.ganz`` file stores (``clamp="every_step"``; precision and the rest as the profile's)."""
    return dataclasses.replace(prof.inversion(steps), clamp="every_step")


def _table_jobs(prof: Profile, G: Generator, gid: str, parts, cfg: InvertConfig,
                dev: torch.device, ratios: Sequence[float], keep_linear: bool,
                latent_scale: float = 1.0, policy: RunPolicy | None = None) -> list[list[Job | None]]:
    """Every job of the table, per image set one per setting (``_settings``); all the missing ones
    inverted together in batched calls; the random layers at the codec's ``latent_scale``."""
    settings = _settings(ratios, keep_linear)
    got = run_settings(prof, G, gid, settings, parts, cfg, dev, latent_scale=latent_scale,
                       policy=policy)
    return [[got[(*s, None)][i] for s in settings] for i in range(len(parts))]


def _latents(prof: Profile, G: Generator, gid: str, names: list[str], x: torch.Tensor,
             jobs: Sequence[Job], cfg: InvertConfig, bits: Sequence[int], qat_steps: int):
    """Every GANZ point of one image set: (job, bits, method, latents), the float latents of its
    ``jobs`` and, at quantized depths, their QAT refinement (cached)."""
    for job in jobs:
        if job is None:  # left out by the plan policy
            continue
        for b in bits:
            yield job, b, "ganz", job.z
            if qat_steps and b in QUANT_BITS:
                yield job, b, "ganz_qat", _qat_job(prof, G, gid, job.adapter, names, x, job.z, b,
                                                   cfg, qat_steps, QAT_LR)


def rd_latents(profile: str | None = None, device: str = "auto", bits=BITS, ratios=None,
               n_images: int | None = None, steps: int | None = None, splits=RD_SPLITS,
               keep_linear: bool = True, qat_steps: int | None = None,
               policy: RunPolicy | None = None) -> int:
    """Make (or find) every latent ``rd_experiment`` with the same arguments needs, codecs aside:
    the GPU part of the table (a GPU session runs it; the codec rows are then made on any CPU).
    Returns how many latent sets it went through."""
    prof, dev = get_profile(profile), pick_device(device)
    ratios = tuple(float(r) for r in (as_tuple(ratios) if ratios is not None else FIG5_RATIOS))
    qat_steps = (5 if prof.synthetic else QAT_STEPS) if qat_steps is None else qat_steps
    G, gid, gmeta = generator_for(prof, 64, dev)
    cfg = codec_inversion(prof, steps)
    parts = [load_split(prof, split, n_images, G.cfg.image_size) for split in as_tuple(splits)]
    bits = tuple(int(b) for b in as_tuple(bits))
    jobs_ = _table_jobs(prof, G, gid, parts, cfg, dev, ratios, keep_linear, model_latent_scale(gmeta),
                        policy)
    return sum(1 for (names, x), jobs in zip(parts, jobs_)
               for _ in _latents(prof, G, gid, names, x, jobs, cfg, bits, qat_steps))


def _settings(ratios: Sequence[float], keep_linear: bool) -> list[tuple[str, float | None]]:
    return [("random_linear", float(r)) for r in ratios] + ([("keep_linear", None)] if keep_linear else [])


def _codec_versions() -> dict:
    import PIL

    out = {"pillow": PIL.__version__}
    try:
        import imagecodecs

        out["imagecodecs"] = imagecodecs.__version__
    except ImportError:
        pass
    return out


def rd_experiment(profile: str | None = None, device: str = "auto", bits=BITS, ratios=None,
                  n_images: int | None = None, steps: int | None = None, splits=RD_SPLITS,
                  keep_linear: bool = True, qat_steps: int | None = None,
                  codecs: Sequence[str] | None = None, grid=BPP_GRID,
                  policy: RunPolicy | None = None) -> ExperimentResult:
    """GANZ at every ratio × bit depth against every available codec, in real bytes.

    ``ratios``, ``n_images`` and ``steps`` default to fig. 5's, so its cached latents are used
    (the inversions run only if missing). ``qat_steps=0`` skips the ``ganz_qat`` method; its
    default is 50 steps (5 for the smoke profile, whose numbers mean nothing anyway).
    The table is cached as ``results/<profile>/rd-<key>.csv``.
    """
    prof, dev = get_profile(profile), pick_device(device)
    ratios = tuple(float(r) for r in (as_tuple(ratios) if ratios is not None else FIG5_RATIOS))
    bits = tuple(int(b) for b in as_tuple(bits))
    for b in bits:
        if b not in (32, 16) and b not in QUANT_BITS:
            raise GanzError(f"bit depth {b} is not stored by .ganz files (32, 16 or 1..12)")
    splits = as_tuple(splits)
    codecs = tuple(codecs) if codecs is not None else tuple(available_codecs())
    grid = tuple(float(g) for g in grid)
    steps_ = steps or prof.steps
    if qat_steps is None:
        qat_steps = 5 if prof.synthetic else QAT_STEPS
    G, gid, gmeta = generator_for(prof, 64, dev)
    params = {"ratios": ratios, "keep_linear": keep_linear, "bits": bits, "splits": splits,
              "n": n_images or prof.n_images, "steps": steps_, "qat_steps": qat_steps,
              "qat_lr": QAT_LR, "codecs": codecs, "grid": grid, "version": _FORMAT_VERSION}
    scale = model_latent_scale(gmeta)  # the codec's, for the random layers (1: not in the key)
    if scale != 1.0:
        params["latent_scale"] = scale

    def compute() -> pd.DataFrame:
        cfg = codec_inversion(prof, steps_)
        base = {"experiment": EXPERIMENT, "profile": prof.name, "torch": torch.__version__,
                "commit": git_commit(), "generator": gid}
        cpu = device_name(torch.device("cpu"))
        rows: list[dict] = []
        parts = [load_split(prof, split, n_images, G.cfg.image_size) for split in splits]
        table_jobs = _table_jobs(prof, G, gid, parts, cfg, dev, ratios, keep_linear, scale, policy)
        settings = _settings(ratios, keep_linear)
        for split, (names, x), jobs in zip(splits, parts, table_jobs):
            orig = to_uint8(x)
            sizes: dict[str, set[int]] = {n: set() for n in names}
            ganz_rows: list[dict] = []
            asked = {id(job): r for (_, r), job in zip(settings, jobs)}  # each job's ratio as set
            for job, b, method, z in _latents(prof, G, gid, names, x, jobs, cfg, bits, qat_steps):
                ad = job.adapter
                files, rec = ganz_files(G, gid, ad, z, b)
                reached = G.cfg.num_pixels / ad.input_dim
                ganz_rows += _ganz_rows(files, rec, orig, names, base, method=method, bits=b,
                                        split=split, adapter=ad.name, ratio=reached,
                                        d_c=ad.input_dim, nominal_ratio=asked[id(job)] or reached,
                                        device=job.device)
                for name, f in zip(names, files):
                    sizes[name].add(len(f))
            rows += ganz_rows
            budgets = grid_budgets(*orig.shape[1:3], grid)
            for i, name in enumerate(names):
                rows += _codec_rows(orig[i], name, sizes[name], budgets, codecs,
                                    {**base, "split": split, "device": cpu, "generator": ""})
        df = pd.DataFrame(rows)
        return df[COLUMNS]

    df = _normalize(_cached_table(prof, EXPERIMENT, params, [gid], compute, policy))
    meta = meta_for(prof, dev, figure=EXPERIMENT, params=params, model=gmeta.get("model"),
                       generator=gid[:12], codecs=", ".join(codecs), codec_versions=_codec_versions(),
                       image_size=G.cfg.image_size,
                       computed_on=", ".join(sorted(set(df["device"].dropna().astype(str)) - {""})))
    return ExperimentResult(df, {}, meta)




def _normalize(df: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes whether the table was just computed or read back from its CSV."""
    df = df.copy()
    for col in ("experiment", "profile", "image", "split", "method", "codec", "adapter", "target",
                "device", "torch", "commit", "generator"):
        df[col] = df[col].fillna("").astype(str)
    for col in ("ratio", "nominal_ratio", "d_c", "bits", "budget", "quality", "bpp", "psnr", "ssim"):
        df[col] = df[col].astype(float)
    df["bytes"] = df["bytes"].astype(int)
    df["reachable"] = df["reachable"].astype(bool)
    return df


EXAMPLE_PICKS = (("test", 0), ("ood", 0))  # (split, index) of the pictured images


def example_points(profile: str | None = None, device: str = "auto",
                   settings: Sequence[tuple[float, int]] = EXAMPLE_SETTINGS,
                   picks: Sequence[tuple[str, int]] = EXAMPLE_PICKS,
                   codecs: Sequence[str] | None = None, n_images: int | None = None,
                   steps: int | None = None, policy: RunPolicy | None = None) -> ExperimentResult:
    """Reconstructions behind :func:`rd_examples`: for each picked image and (ratio, bits), the
    GANZ file and every codec's file at the same byte budget (from cached latents)."""
    prof, dev = get_profile(profile), pick_device(device)
    codecs = tuple(codecs) if codecs is not None else tuple(available_codecs())
    G, gid, gmeta = generator_for(prof, 64, dev)
    cfg = codec_inversion(prof, steps)
    rows, images = [], {}
    for split, index in picks:
        names, x = load_split(prof, split, n_images, G.cfg.image_size)
        orig = to_uint8(x)
        name = names[index]
        images[f"{split}/{name}/original"] = orig[index]
        for ratio, b in settings:
            job = run_job(prof, G, gid, "random_linear", float(ratio), names, x, cfg, dev,
                          latent_scale=model_latent_scale(gmeta), policy=policy)
            if job is None:  # left out by the plan policy
                continue
            files, rec = ganz_files(G, gid, job.adapter, job.z[index:index + 1], b)
            tag = f"R{ratio:g}@{b}bit"
            budget = len(files[0])
            images[f"{split}/{name}/{tag}/ganz"] = rec[0]
            rows.append({"split": split, "image": name, "setting": tag, "method": "ganz",
                         "bytes": budget, "psnr": psnr(orig[index], rec[0]),
                         "ssim": ssim(orig[index], rec[0]), "reachable": True})
            for codec in codecs:
                p = encode_at_budget(codec, orig[index], budget)
                images[f"{split}/{name}/{tag}/{codec}"] = p.recon
                rows.append({"split": split, "image": name, "setting": tag, "method": codec,
                             "bytes": p.num_bytes, "psnr": p.psnr, "ssim": p.ssim,
                             "reachable": p.reachable})
    meta = meta_for(prof, dev, figure="rd-examples", model=gmeta.get("model"), generator=gid[:12])
    return ExperimentResult(pd.DataFrame(rows), images, meta)
