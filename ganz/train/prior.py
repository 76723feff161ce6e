"""Fit the static latent prior of a model on TRAINING faces: ``ganz train-prior``.

1. ``collect_latents``: the fast method's latents (``ganz.core.fast.invert_fast``, default
   settings, the codec's ``random_linear`` at layer seed 0 and the model's latent scale) of
   ``faces`` training faces (evenly spaced over the train split, never validation or test) at
   each d_c of ``DIMS``; cached per d_c under ``.cache/`` (minutes per d_c on a CPU).
2. ``fit_prior``: per d_c and bit depth, the histogram of the quantized codes of the latents as
   a budget file stores them (each at its own scale, largest value ±1: ``ratequant.normalize``),
   smoothed (width and floor chosen by cross-validation over faces), as an integer table
   (``ganz.core.entropy``), written to ``ganz/zoo/<model>.prior.json``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

#: the d_c at which latents are collected (a file's d_c uses the nearest table: see entropy.py)
DIMS = (100, 200, 400, 800, 1600)


def training_faces(n: int, image_size: int, validation_images: int = 64) -> tuple[list[str], np.ndarray]:
    """``n`` faces evenly spaced over the train split (validation excluded): names, uint8 images."""
    from ..core.data import celeba_dir, celeba_split, load_face

    files = celeba_split(celeba_dir(), "train", validation_images)
    picks = [files[i] for i in np.linspace(0, len(files) - 1, n).round().astype(int)]
    return [p.name for p in picks], np.stack([np.asarray(load_face(p, image_size)) for p in picks])


def latents_cache(model: str, dim: int, names: list[str]) -> Path:
    from ..core.paths import cache_dir

    key = hashlib.sha256(json.dumps([model, dim, names, "fast-default"]).encode()).hexdigest()[:12]
    return cache_dir() / f"prior-latents-{Path(model).stem}-d{dim}-{key}.npz"


def collect_latents(model: str, dims=DIMS, faces: int = 24, batch: int = 8,
                    log=print) -> dict[int, np.ndarray]:
    """d_c -> continuous latents (faces, d_c) of training faces (cached)."""
    import torch

    from ..core.atomic import write_npz
    from ..core.codec import GanzCodec
    from ..core.pixels import uint8_to_model

    codec = GanzCodec(model, "cpu", method="fast")
    names, images = training_faces(faces, codec.cfg.image_size)
    x = uint8_to_model(images)
    out = {}
    for d in dims:
        path = latents_cache(model, d, names)
        if path.is_file():
            out[d] = np.load(path)["z"]
            continue
        ad = codec.adapter("random_linear", None, d)
        t0, zs, mse = time.perf_counter(), [], []
        for s in range(0, len(x), batch):
            res = codec.invert(x[s:s + batch], ad)
            zs.append(res.z.numpy())
            mse.append(res.mse.numpy())
            log(f"prior latents d_c={d}: {s + len(zs[-1])}/{len(x)} faces, "
                f"{time.perf_counter() - t0:.0f} s")
        z = np.concatenate(zs)
        write_npz(path, z=z, mse=np.concatenate(mse), names=np.array(names))
        out[d] = z
        torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return out


SIGMAS = (0.0, 0.01, 0.02, 0.04, 0.08, 0.16)  # interior smoothing widths tried (z units)
FLOORS = (0.05, 0.25, 1.0, 4.0)  # pseudo-counts per code tried


def smoothed_counts(codes: np.ndarray, bits: int, sigma: float, floor: float) -> np.ndarray:
    """Histogram of ``codes`` with its interior (not the two bound codes, where the box's clamped
    values pile up) smoothed by a Gaussian of ``sigma`` in z units, plus ``floor`` per code."""
    k = 1 << bits
    c = np.bincount(codes.ravel(), minlength=k).astype(np.float64)
    if sigma > 0 and k > 3:
        width = sigma * (k - 1) / 2  # in codes
        idx = np.arange(1, k - 1)
        kern = np.exp(-0.5 * ((idx[:, None] - idx[None, :]) / max(width, 1e-9)) ** 2)
        kern /= kern.sum(0, keepdims=True)
        c[1:-1] = kern @ c[1:-1]
    return c + floor


def cross_entropy(train: np.ndarray, test: np.ndarray, bits: int, sigma: float, floor: float) -> float:
    """Bits per code of ``test`` under the table fitted on ``train``."""
    c = smoothed_counts(train, bits, sigma, floor)
    return float(-np.log2(c[test.ravel()] / c.sum()).mean())


def choose_smoothing(z: np.ndarray, bits: int, folds: int = 4) -> tuple[float, float, float]:
    """(sigma, floor, bits per code) minimising the cross-entropy over face folds."""
    from ..core.fileformat import quantize

    codes = quantize(z, bits)
    groups = np.arange(len(z)) % folds
    best = None
    for sigma in SIGMAS:
        for floor in FLOORS:
            ce = np.mean([cross_entropy(codes[groups != g], codes[groups == g], bits, sigma, floor)
                          for g in range(folds)])
            if best is None or ce < best[2]:
                best = (sigma, floor, float(ce))
    return best


def fit_prior(latents: dict[int, np.ndarray], generator_sha256: str, adapter: str = "random_linear",
              bits_range=None, meta: dict | None = None):
    """The ``Prior`` of integer tables fitted on ``latents`` (d_c -> (faces, d_c) in [−1, 1]):
    one table per (d_c, bit depth), serving d_c up to the geometric mean with the next d_c."""
    from ..core.entropy import ENTROPY_BITS, Prior, table_from_counts
    from ..core.fileformat import MAX_LATENT, quantize

    from ..core.ratequant import normalize

    latents = {d: np.stack([normalize(zi, 1.0)[0] for zi in z]) for d, z in latents.items()}
    dims = sorted(latents)
    bounds = [int(np.sqrt(a * b)) for a, b in zip(dims, dims[1:])] + [MAX_LATENT]
    tables, fit = {}, {}
    for bits in bits_range or ENTROPY_BITS:
        for d, top in zip(dims, bounds):
            z = latents[d]
            sigma, floor, ce = choose_smoothing(z, bits)
            counts = smoothed_counts(quantize(z, bits), bits, sigma, floor)
            tables.setdefault((adapter, bits), []).append(
                table_from_counts(counts, adapter, bits, top, d))
            fit[f"{bits}/{d}"] = {"sigma": sigma, "floor": floor, "cv_bits_per_value": round(ce, 4),
                                  "values": int(z.size)}
    return Prior(generator_sha256, tables, {**(meta or {}), "fit": fit})


def main(argv: list[str] | None = None, prog: str = "ganz train-prior") -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="celeba64-d64")
    p.add_argument("--faces", type=int, default=24)
    p.add_argument("--dims", type=int, nargs="+", default=list(DIMS))
    p.add_argument("--collect-only", action="store_true")
    a = p.parse_args(argv)
    lat = collect_latents(a.model, a.dims, a.faces, log=lambda s: print(s, file=sys.stderr, flush=True))
    if a.collect_only:
        return 0
    from ..core.entropy import prior_path
    from ..core.modelfiles import resolve_model
    from ..core.zoo import load_generator

    _, sha, _ = load_generator(a.model, "cpu")
    names, _ = training_faces(a.faces, 1)
    meta = {"model": a.model, "faces": a.faces, "split": "train (validation excluded)",
            "first_face": names[0], "last_face": names[-1], "method": "fast (default FastConfig)",
            "adapter_seed": 0, "dims": sorted(lat)}
    prior = fit_prior(lat, sha, meta=meta)
    out = prior_path(resolve_model(a.model))
    prior.write(out)
    print(f"prior: {out} ({out.stat().st_size} bytes)")
    return 0
