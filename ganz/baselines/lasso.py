"""Compressive-sensing baseline for fig. 8: a Lasso in the 2-D DCT basis (as in Bora et al. 2017).

We see y = A x for an image x (model space, flattened in (3, H, W) order) and a Gaussian A of
shape (M, N). The image is assumed sparse in the orthonormal per-channel 2-D DCT: x = Ψ c.
The Lasso estimate solves

    min_c  (1 / 2M) ‖y − A Ψ c‖²  +  λ ‖c‖₁

(scikit-learn's normalization, so λ reads like its ``alpha``), here by FISTA: Ψ is orthonormal,
so the gradient's Lipschitz constant is ‖A‖₂² / M and no matrix A Ψ is ever formed (the DCT is
applied as D X Dᵀ per channel). Everything runs in float64 torch, which honours
``torch.set_num_threads`` (NumPy's BLAS does not, and crawls on a busy machine).

λ is a hyper-parameter. :func:`choose_lambda` picks it on the *train* split's images only (the
best mean PSNR over a log grid); test and out-of-domain images never influence it.
"""
from __future__ import annotations

import hashlib
import time

import numpy as np
import torch

from ..core.pixels import to_uint8
from ..core.runtime import device_name
from ..core.metrics import psnr, ssim

LAMBDA_GRID = tuple(float(v) for v in np.geomspace(1e-5, 1e-1, 13))  # 3 per decade
_CHOSEN: dict[str, tuple[float, dict[float, float]]] = {}


def _as_tensor(v) -> torch.Tensor:
    return torch.as_tensor(np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v),
                           dtype=torch.float64)


def dct_matrix(n: int) -> torch.Tensor:
    """The orthonormal DCT-II matrix D (n, n): coefficients = D @ signal."""
    k = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(n, dtype=torch.float64)[None, :]
    d = torch.cos(torch.pi * (2 * i + 1) * k / (2 * n)) * (2.0 / n) ** 0.5
    d[0] /= 2 ** 0.5
    return d


def measure(x, A) -> torch.Tensor:
    """y = A x for a batch of model-space images (n, 3, H, W) -> (n, M), float64."""
    x = _as_tensor(x)
    return x.reshape(len(x), -1) @ _as_tensor(A).T


def _spectral_norm_sq(A: torch.Tensor, iters: int = 50) -> float:
    """‖A‖₂² by power iteration on AᵀA (seeded; a little slack added for safety)."""
    v = torch.randn(A.shape[1], generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for _ in range(iters):
        v = A.T @ (A @ v)
        v /= v.norm()
    return float((A @ v).norm() ** 2) * 1.01


def dct_lasso(y, A, shape: tuple[int, int, int], lam, iters: int = 400,
              tol: float = 1e-6) -> np.ndarray:
    """FISTA for the DCT Lasso; returns images (n, 3, H, W) in model space (not clipped).

    ``y``: measurements (n, M); ``A``: (M, N) with N = 3·H·W; ``shape`` = (3, H, W); ``lam`` a
    number or one value per row of ``y``. Stops early once the coefficients change by less than
    ``tol`` (relative) in an iteration.
    """
    y, A = _as_tensor(y), _as_tensor(A)
    y = y.reshape(-1, A.shape[0])
    m, n = A.shape[0], len(y)
    lam = torch.as_tensor(lam, dtype=torch.float64).reshape(-1, 1).expand(n, 1)
    c_, h, w = shape
    dh, dw = dct_matrix(h), dct_matrix(w)
    step = m / _spectral_norm_sq(A)

    def synth(c):  # coefficients -> flat images (inverse 2-D DCT per channel)
        return (dh.T @ c.reshape(n, c_, h, w) @ dw).reshape(n, -1)

    def analyse(v):  # flat images -> coefficients (the adjoint of synth)
        return (dh @ v.reshape(n, c_, h, w) @ dw.T).reshape(n, -1)

    c = torch.zeros(n, A.shape[1], dtype=torch.float64)
    v, t = c.clone(), 1.0
    for _ in range(iters):
        u = v - step * analyse((synth(v) @ A.T - y) @ A) / m
        c_new = torch.sign(u) * torch.clamp(u.abs() - step * lam, min=0.0)
        t_new = (1 + (1 + 4 * t * t) ** 0.5) / 2
        v = c_new + (t - 1) / t_new * (c_new - c)
        change = float((c_new - c).norm() / c_new.norm().clamp_min(1e-12))
        c, t = c_new, t_new
        if change < tol:
            break
    return synth(c).reshape(n, *shape).numpy()


def _uint8(x) -> np.ndarray:
    return to_uint8(_as_tensor(x).float())


def _fingerprint(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(_as_tensor(a).numpy(), dtype=np.float32)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def choose_lambda(train_x, A, grid=LAMBDA_GRID, iters: int = 400) -> tuple[float, dict[float, float]]:
    """The λ of ``grid`` with the best mean PSNR on ``train_x`` (train images only), and the
    mean PSNR of every λ tried. All λ run as one batch; memoized on (A, images, grid, iters)."""
    key = _fingerprint(train_x, A) + repr(tuple(grid)) + str(iters)
    if key not in _CHOSEN:
        train_x = _as_tensor(train_x)
        k, grid = len(train_x), [float(g) for g in grid]
        y = measure(train_x, A).repeat(len(grid), 1)  # λ-major: rows j·k .. j·k + k − 1
        lams = torch.tensor(grid, dtype=torch.float64).repeat_interleave(k)
        rec = _uint8(dct_lasso(y, A, tuple(train_x.shape[1:]), lams, iters))
        orig = _uint8(train_x)
        scores = {lam: float(np.mean([psnr(orig[i], rec[j * k + i]) for i in range(k)]))
                  for j, lam in enumerate(grid)}
        _CHOSEN[key] = (max(scores, key=scores.get), scores)
    return _CHOSEN[key]


def lasso_cs_rows(names: list[str], x, split: str, A, base: dict, train_x,
                  grid=LAMBDA_GRID, iters: int = 400) -> list[dict]:
    """Tidy fig. 8 rows (method ``lasso_dct``) for images ``x`` measured with ``A``.

    λ comes from :func:`choose_lambda` on ``train_x`` (the train split), never from ``x``; it is
    recorded in the ``lambda`` column (fig. 8's table keeps only its own columns).
    """
    if A is None:
        return []
    lam, _ = choose_lambda(train_x, A, grid, iters)
    x = _as_tensor(x)
    t0 = time.perf_counter()
    rec = _uint8(dct_lasso(measure(x, A), A, tuple(x.shape[1:]), lam, iters))
    seconds = (time.perf_counter() - t0) / max(len(names), 1)
    orig = _uint8(x)
    m, n = A.shape
    rows = []
    for i, name in enumerate(names):
        rows.append({**base, "image": name, "split": split, "adapter": "", "ratio": np.nan,
                     "method": "lasso_dct", "measurements": m, "m_over_n": m / n,
                     "psnr": psnr(orig[i], rec[i]), "ssim": ssim(orig[i], rec[i]),
                     "bytes": np.nan, "steps": iters, "seconds": seconds, "lambda": lam,
                     "device": device_name(torch.device("cpu")),
                     "generator": ""})
    return rows


def lasso_images(x, A, train_x, grid=LAMBDA_GRID, iters: int = 400) -> np.ndarray:
    """uint8 reconstructions (n, H, W, 3) of ``x`` from A x, λ chosen on ``train_x``."""
    lam, _ = choose_lambda(train_x, A, grid, iters)
    x = _as_tensor(x)
    return _uint8(dct_lasso(measure(x, A), A, tuple(x.shape[1:]), lam, iters))
