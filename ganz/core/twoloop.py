"""The L-BFGS two-loop recursion on a batch of rows, for numpy arrays and torch tensors alike
(only ``*``, ``-``, ``+`` and ``.sum(1)``): the torch fast method (``core.fast``) and the
torch-free one (``lite.lbfgs``) share it. Imports nothing."""
from __future__ import annotations


def two_loop(q, S, Y, R, order, gamma):
    """``H q`` per row, H the inverse-Hessian estimate of the curvature pairs ``S``, ``Y`` (rows ×
    memory × dims) with ``R`` = 1 / s·y (0 for an unusable pair), visited in ``order`` (newest
    first), starting from ``gamma`` × identity (gamma per row)."""
    alphas = []
    for k in order:
        a = R[:, k] * (S[:, k] * q).sum(1)
        q = q - a[:, None] * Y[:, k]
        alphas.append(a)
    r = q * gamma[:, None]
    for k, a in zip(reversed(order), reversed(alphas)):
        b = R[:, k] * (Y[:, k] * r).sum(1)
        r = r + S[:, k] * (a - b)[:, None]
    return r
