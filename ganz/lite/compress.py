"""Compress with the fast method without torch: ONNX Runtime + numpy on a ``.lite`` bundle.

Same objective, starts, refinement and stopping rule as ``ganz.core.fast.invert_fast`` with its
default ``FastConfig`` (candidates: the encoder's head, the projection of its h, zeros; the best
one refined by projected L-BFGS), and the same ``.ganz`` files; only the adapters the bundle
carries (``ganz.lite.export.DEFAULT_ADAPTERS``).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from ..core.fileformat import GanzFile, pack
from ..core.modelfiles import bundle_for, encoder_path_for
from .lbfgs import lbfgs

def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file's bytes: a bundle is used only beside the files it was made from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stale(weights: Path) -> bool:
    """Whether ``weights`` lacks an up-to-date bundle (none, or one made from other weights or
    another encoder)."""
    meta = bundle_for(weights) / "meta.json"
    if not meta.is_file():
        return True
    doc = json.loads(meta.read_text())
    enc = encoder_path_for(weights)
    return (doc.get("file_sha256") != file_sha256(weights) or not enc.is_file()
            or doc.get("encoder_sha256") != file_sha256(enc))


# the fast method's defaults (``ganz.core.fast.FastConfig``; tests/test_lite.py checks them)
STEPS, MEMORY, TOL_DB, TOL_WINDOW, PROJECT_ITERS = 1000, 5, 0.02, 40, 100
#: loss-and-gradient evaluations per L-BFGS iteration, backtracking included: 1.06 on the default
#: model's test faces (results/paper/codec-scale-celeba64-d64-r10.csv, s = 16: ~1060 per 1000)
EVALS_PER_STEP = 1.06


class LiteModel:
    """A bundle's sessions and adapters."""

    def __init__(self, folder: Path | str, threads: int = 0):
        """``threads``: ONNX Runtime's intra-op threads (0: $OMP_NUM_THREADS when set, as torch
        takes it, else all cores)."""
        import onnxruntime as ort

        env = os.environ.get("OMP_NUM_THREADS", "")
        threads = threads or (int(env) if env.isdigit() and int(env) > 0 else 0)

        self.folder = Path(folder)
        self.meta = json.loads((self.folder / "meta.json").read_text())
        so = ort.SessionOptions()
        if threads:
            so.intra_op_num_threads = threads
        prov = ["CPUExecutionProvider"]
        self.lossgrad = ort.InferenceSession(str(self.folder / "lossgrad.onnx"), so, providers=prov)
        self.encoder = ort.InferenceSession(str(self.folder / "encoder.onnx"), so, providers=prov)
        self.decoder = ort.InferenceSession(str(self.folder / "decode.onnx"), so, providers=prov)
        self.arrays = np.load(self.folder / "adapters.npz")
        m = self.meta
        self.shape = (m["width"], m["base_size"], m["base_size"])
        from ..core.entropy import prior_for

        # the model's static prior (ganz/zoo/<model>.prior.json): the same tables, so the same
        # bytes, as the torch path
        self.prior = prior_for(m["generator_sha256"])

    def adapter(self, name: str, ratio: float | None, seed: int) -> dict | None:
        """The bundle's adapter for these settings, or None (then the torch path is needed)."""
        for ad in self.meta["adapters"]:
            if ad["name"] == name and ad["seed"] == seed and (name != "random_linear" or
                                                             float(ad["ratio"]) == float(ratio)):
                t = ad["tag"]
                b = self.arrays[f"{t}.b"]
                return {**ad, "W": self.arrays[f"{t}.W"], "b": b if b.size else None,
                        "pinv": self.arrays[f"{t}.pinv"]}
        return None

    def h_of(self, ad: dict, z: np.ndarray) -> np.ndarray:
        h = z @ ad["W"].T
        return (h + ad["b"] if ad["b"] is not None else h).astype(np.float32)

    def decode(self, ad: dict, z: np.ndarray) -> np.ndarray:
        """uint8 images (B, H, W, 3) for latents z, as ``ganz.core.pixels.to_uint8`` rounds them."""
        h = self.h_of(ad, z.astype(np.float32)).reshape(len(z), *self.shape)
        (img,) = self.decoder.run(None, {"h": h})
        img = np.round((np.clip(img, -1, 1) + 1) * 127.5)
        return img.astype(np.uint8).transpose(0, 2, 3, 1)

    def loss_grad(self, ad: dict, x: np.ndarray):
        def run(z: np.ndarray, rows: np.ndarray):
            h = self.h_of(ad, z).reshape(len(z), *self.shape)
            mse, gh = self.lossgrad.run(None, {"h": h, "x": x[rows]})
            return mse, (gh.reshape(len(z), -1) @ ad["W"]).astype(np.float32)
        return run

    def project(self, ad: dict, h: np.ndarray, iters: int = PROJECT_ITERS) -> np.ndarray:
        """``ganz.core.fast.project``: box-constrained least squares through the adapter (FISTA)."""
        W, lip = ad["W"], ad["lipschitz"]
        if ad["b"] is not None:
            h = h - ad["b"]
        z = np.clip(h @ ad["pinv"].T, -1, 1)
        y, t = z.copy(), 1.0
        for _ in range(iters):
            grad = (y @ W.T - h) @ W
            z_next = np.clip(y - grad / lip, -1, 1)
            t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
            y = z_next + ((t - 1) / t_next) * (z_next - z)
            z, t = z_next, t_next
        return z.astype(np.float32)

    def compress(self, images: np.ndarray, name: str = "random_linear", ratio: float | None = 10.0,
                 seed: int = 0, bits: int = 32, steps: int = STEPS,
                 progress=None) -> tuple[list[bytes], np.ndarray, np.ndarray]:
        """uint8 images (B, H, W, 3) -> (.ganz files, model-space MSE (B,), evaluations (B,)).
        ``steps``: the refinement's iteration limit; ``progress``: a ``ganz.core.progress.Progress``
        (begun once the starts are scored, with the time per iteration they suggest)."""
        ad = self.adapter(name, ratio, seed)
        if ad is None:
            raise ValueError(f"the lite bundle has no adapter {name} at R = {ratio}, seed {seed}")
        x = (images.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0).astype(np.float32)
        outs = self.encoder.run(None, {"x": x})
        h, heads = outs[0], dict(zip(self.meta["heads"], outs[1:]))
        starts = []
        scale = float(ad.get("latent_scale", 1.0))  # heads are trained at scale 1: z / scale
        if ad["head"] in heads:
            starts.append(np.clip(heads[ad["head"]] / scale, -1, 1))
        starts.append(self.project(ad, h))
        starts.append(np.zeros((len(x), ad["dim"]), np.float32))
        run = self.loss_grad(ad, x)
        rows = np.arange(len(x))
        t0 = time.perf_counter()
        scores = np.stack([run(s, rows)[0] for s in starts])
        if progress is not None:  # an iteration costs about EVALS_PER_STEP evaluations
            progress.begin(steps, EVALS_PER_STEP * (time.perf_counter() - t0) / len(starts))
        best = scores.argmin(0)
        z0 = np.stack([starts[k][i] for i, k in enumerate(best)])
        try:
            z, mse, evals = lbfgs(run, z0, steps, MEMORY, tol_db=TOL_DB, tol_window=TOL_WINDOW,
                                  progress=progress)
        finally:
            if progress is not None:
                progress.close()
        s = self.meta["image_size"]
        files = [pack(GanzFile(name, s, s, seed, self.meta["generator_sha256"], zi, bits,
                               scale=scale), prior=self.prior) for zi in z]
        return files, mse, evals
