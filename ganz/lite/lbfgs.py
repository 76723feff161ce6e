"""The fast method's projected L-BFGS in numpy (no torch): ``ganz.core.fast.lbfgs_batch`` step for
step, on any ``loss_grad(z, rows) -> (mse (k,), grad (k, d))`` (the rows of the batch to evaluate).

Per image: the gradient restricted to the free coordinates (not held at a bound by a gradient
pushing outwards), a direction from that image's last ``memory`` steps (two-loop recursion), the
step projected onto [-1, 1]^d and backtracked until the Armijo condition holds. An image whose
line search fails from the projected gradient, or whose PSNR rose by less than ``tol_db`` over its
last ``tol_window`` iterations, stops and costs nothing more.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.twoloop import two_loop

LossGrad = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def lbfgs(loss_grad: LossGrad, z0: np.ndarray, steps: int, memory: int = 5,
          first_step: float = 0.1, max_backtracks: int = 8, tol_db: float = 0.0,
          tol_window: int = 20, progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimize each image's MSE over z ∈ [-1, 1]^d from ``z0`` (B, d), float32. Returns
    (z (B, d), mse (B,), evals (B,): loss-and-gradient evaluations per image).
    ``progress.update(1)`` after each iteration, when given."""
    b, d = z0.shape
    z = np.clip(z0.astype(np.float32), -1, 1)
    allrows = np.arange(b)
    f, g = loss_grad(z, allrows)
    S = np.zeros((b, memory, d), np.float32)
    Y = np.zeros((b, memory, d), np.float32)
    rho = np.zeros((b, memory), np.float32)  # 0 = empty slot
    slot = 0
    active = np.ones(b, bool)
    evals = np.ones(b, np.int64)
    hist = np.zeros((tol_window + 1, b), np.float32) if tol_db > 0 else None
    if hist is not None:
        hist[0] = f
    for step in range(1, steps + 1):
        if not active.any():
            break
        idx = allrows[active]
        zi, gi = z[idx], g[idx]
        near = ((zi <= -1) & (gi > 0)) | ((zi >= 1) & (gi < 0))
        free = ~near
        q = gi * free
        order = [(slot - 1 - j) % memory for j in range(memory)]
        Si, Yi = S[idx] * free[:, None], Y[idx] * free[:, None]
        sy_ = (Si * Yi).sum(2)
        ok_pair = (rho[idx] > 0) & (sy_ > 1e-10 * np.maximum((Yi ** 2).sum(2), 1e-30))
        Ri = np.where(ok_pair, 1.0 / np.maximum(sy_, 1e-30), 0.0).astype(np.float32)
        newest = order[0]
        yy = (Yi[:, newest] ** 2).sum(1)
        has = Ri[:, newest] > 0
        gamma = np.where(has, 1.0 / np.maximum(Ri[:, newest] * yy, 1e-30), 0.0).astype(np.float32)
        r = two_loop(q, Si, Yi, Ri, order, gamma)
        direction = -r * free - np.sign(gi) * near
        gd = (gi * direction).sum(1)
        fallback = ~has | (gd >= 0)
        if fallback.any():
            gf = gi * free
            scale = first_step / np.maximum(np.abs(gf).max(1), 1e-12)
            direction = np.where(fallback[:, None], -gf * scale[:, None], direction)
        t = np.ones(len(idx), np.float32)
        todo = np.ones(len(idx), bool)
        z_new, f_new, g_new = zi.copy(), f[idx].copy(), gi.copy()
        ok = np.zeros(len(idx), bool)
        for _ in range(max_backtracks + 1):
            j = np.flatnonzero(todo)
            if len(j) == 0:
                break
            cand = np.clip(zi[j] + t[j, None] * direction[j], -1, 1)
            fc, gc = loss_grad(cand, idx[j])
            evals[idx[j]] += 1
            armijo = fc <= f[idx[j]] + 1e-4 * (gi[j] * (cand - zi[j])).sum(1)
            acc = j[armijo]
            z_new[acc], f_new[acc], g_new[acc] = cand[armijo], fc[armijo], gc[armijo]
            ok[acc] = True
            todo[acc] = False
            t[j[~armijo]] *= 0.5
        s_vec, y_vec = z_new - zi, g_new - gi
        sy = (s_vec * y_vec).sum(1)
        good = ok & (sy > 1e-10 * np.maximum((y_vec ** 2).sum(1), 1e-30))
        S[idx, slot] = np.where(good[:, None], s_vec, S[idx, slot])
        Y[idx, slot] = np.where(good[:, None], y_vec, Y[idx, slot])
        rho[idx, slot] = np.where(good, 1.0 / np.maximum(sy, 1e-30), 0.0)
        slot = (slot + 1) % memory
        z[idx], f[idx], g[idx] = z_new, f_new, g_new
        stuck = ~ok & has & ~fallback
        rho[idx[stuck]] = 0.0
        active[idx[~ok & ~stuck]] = False
        if hist is not None:
            hist[step % (tol_window + 1)] = f
            if step >= tol_window:
                old = hist[(step - tol_window) % (tol_window + 1), idx]
                gain = 10 * np.log10(np.maximum(old, 1e-30) / np.maximum(f[idx], 1e-30))
                active[idx[gain < tol_db]] = False
        if progress is not None:
            progress.update(1)
    return z, f, evals
