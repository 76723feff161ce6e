"""Which images and random numbers a BEGAN training step uses: pure functions of (seed, step, stream).

The data order, flips and latents of step s are the same whether or not the run was interrupted,
so a resumed run repeats no step and loses none (``ganz.train.began``).
"""
from __future__ import annotations

import torch

from ..core.errors import GanzError


def step_seed(seed: int, step: int, stream: int) -> int:
    """The seed of one random stream (data order: 101; a rank's flips and latents: 1000 + rank)."""
    return ((seed * 1_000_003 + step) * 31 + stream) % (2**63)


def step_rng(seed: int, step: int, stream: int) -> torch.Generator:
    return torch.Generator().manual_seed(step_seed(seed, step, stream))


def steps_per_epoch(n: int, global_batch: int) -> int:
    per_epoch = n // global_batch
    if per_epoch == 0:
        raise GanzError(f"training set of {n} images is smaller than the batch {global_batch}")
    return per_epoch


def epoch_permutation(n: int, epoch: int, seed: int) -> torch.Tensor:
    """The seeded order of the ``n`` training images in ``epoch``."""
    return torch.randperm(n, generator=step_rng(seed, epoch, 101))


def batch_indices(n: int, step: int, global_batch: int, seed: int, shuffle: bool = True) -> torch.Tensor:
    """Indices of step ``step`` (drop-last epochs), a pure function of step: a seeded permutation
    per epoch, or (``shuffle=False``, the original code) the sorted order every epoch."""
    epoch, pos = divmod(step, steps_per_epoch(n, global_batch))
    if not shuffle:
        return torch.arange(pos * global_batch, (pos + 1) * global_batch)
    perm = epoch_permutation(n, epoch, seed)
    return perm[pos * global_batch:(pos + 1) * global_batch]
