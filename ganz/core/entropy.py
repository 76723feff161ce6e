"""Entropy models of the latent codes: static integer tables, coded with ``constriction``'s ANS.

A model's prior (``ganz/zoo/<model>.prior.json``, beside its weights; fitted on training faces'
latents only by ``ganz train-prior``) holds, per (adapter, bit depth b), a few tables,
each for a range of latent lengths d_c: integer frequencies of the 2^b codes, every one ≥ 1,
summing to 2^PRECISION. A file of d_c values at b bits uses the first table whose ``max_dim`` is
≥ d_c. Integer tables, no floats: the encoder and every decoder (torch, ``ganz.lite``, CPU, GPU)
code the same bits, and the codes are i.i.d. under the table (the random first layer treats its
inputs alike).

The payload is constriction's ``AnsCoder`` (stack, 32-bit words, little-endian) with its trailing
zero bytes dropped (the last word is never zero: a decoder pads back to whole words). A file's
CRC-32 then covers its bytes followed by the table's 8-byte digest, so a file decodes only with the
very table it was written with. Needs no torch.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import GanzError

PRECISION = 24  # table totals: 2^24 (constriction's precision for categorical models)
TOTAL = 1 << PRECISION
PRIOR_VERSION = 1
ENTROPY_BITS = tuple(range(2, 9))  # bit depths a prior may hold tables for
PRIOR_SUFFIX = ".prior.json"


@dataclass(frozen=True, eq=False)
class Table:
    """One integer table: ``freqs`` (2^bits,) ≥ 1, summing to ``TOTAL``."""

    adapter: str
    bits: int
    max_dim: int  # serves d_c ≤ max_dim (and > the previous table's)
    freqs: np.ndarray = field(repr=False)
    fitted_dim: int = 0  # the d_c its latents were collected at (information only)

    def __post_init__(self):
        f = np.asarray(self.freqs)
        if (f.ndim != 1 or len(f) != 1 << self.bits or f.dtype.kind not in "iu" or f.min() < 1
                or int(f.sum()) != TOTAL):
            raise GanzError(f"prior table {self.adapter} b={self.bits}: {len(f)} frequencies must "
                            f"be ≥ 1 and sum to 2^{PRECISION}")
        object.__setattr__(self, "freqs", f.astype(np.int64))

    @property
    def digest(self) -> bytes:
        """8 bytes naming this table's contents (the file's CRC covers them)."""
        h = hashlib.sha256(f"ganz-prior-table|{self.bits}|".encode())
        h.update(self.freqs.astype("<u4").tobytes())
        return h.digest()[:8]

    @property
    def code_lengths(self) -> np.ndarray:
        """−log2 p of each code, in bits."""
        return PRECISION - np.log2(self.freqs.astype(np.float64))

    def cost_bits(self, codes: np.ndarray) -> float:
        """The ideal (empirical-entropy) length of ``codes`` under this table, in bits."""
        return float(self.code_lengths[np.asarray(codes, dtype=np.int64)].sum())

    def _model(self):
        import constriction

        return constriction.stream.model.Categorical(self.freqs / float(TOTAL), perfect=False)

    def encode(self, codes: np.ndarray) -> bytes:
        import constriction

        codes = np.asarray(codes, dtype=np.int32)
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(codes, self._model())
        return coder.get_compressed().astype("<u4").tobytes().rstrip(b"\0")

    def decode(self, payload: bytes, n: int) -> np.ndarray:
        import constriction

        if len(payload) >= (n * self.bits + 7) // 8:  # a writer stores such a latent unencoded
            raise GanzError("corrupt .ganz file (entropy-coded latent not shorter than the plain one)")
        pad = -len(payload) % 4
        words = np.frombuffer(payload + b"\0" * pad, dtype="<u4").astype(np.uint32)
        try:
            coder = constriction.stream.stack.AnsCoder(words)
            codes = coder.decode(self._model(), n)
            empty = coder.is_empty()
        except (ValueError, RuntimeError, OverflowError) as e:
            raise GanzError(f"corrupt .ganz file (bad entropy-coded latent: "
                            f"{' '.join(str(e).split())[:80]})") from None
        if not empty:
            raise GanzError("corrupt .ganz file (entropy-coded latent has the wrong length)")
        return np.asarray(codes, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Prior:
    """The tables of one generator."""

    generator_sha256: str
    tables: dict[tuple[str, int], list[Table]]  # (adapter, bits) -> tables by increasing max_dim
    meta: dict = field(default_factory=dict)

    def table(self, adapter: str, dim: int, bits: int) -> Table | None:
        for t in self.tables.get((adapter, bits), []):
            if dim <= t.max_dim:
                return t
        return None

    def to_json(self) -> dict:
        tables = [{"adapter": t.adapter, "bits": t.bits, "max_dim": t.max_dim,
                   "fitted_dim": t.fitted_dim, "freqs": [int(v) for v in t.freqs]}
                  for key in sorted(self.tables) for t in self.tables[key]]
        return {"version": PRIOR_VERSION, "precision": PRECISION,
                "generator_sha256": self.generator_sha256, "meta": self.meta, "tables": tables}

    @classmethod
    def from_json(cls, doc: dict) -> "Prior":
        if doc.get("version") != PRIOR_VERSION or doc.get("precision") != PRECISION:
            raise GanzError(f"prior of version {doc.get('version')}, precision "
                            f"{doc.get('precision')}: this ganz reads version {PRIOR_VERSION}, "
                            f"precision {PRECISION}")
        tables: dict[tuple[str, int], list[Table]] = {}
        for t in doc["tables"]:
            if t["bits"] not in ENTROPY_BITS:
                raise GanzError(f"prior table of {t['bits']} bits (supported: 2..8)")
            tables.setdefault((t["adapter"], t["bits"]), []).append(
                Table(t["adapter"], t["bits"], int(t["max_dim"]),
                      np.array(t["freqs"], dtype=np.int64), int(t.get("fitted_dim", 0))))
        for _key, ts in tables.items():
            ts.sort(key=lambda t: t.max_dim)
        return cls(doc["generator_sha256"], tables, doc.get("meta", {}))

    def write(self, path: Path | str) -> None:
        from .atomic import atomic_write

        atomic_write(path, (json.dumps(self.to_json(), separators=(",", ":")) + "\n").encode())


def load_prior(path: Path | str) -> Prior:
    try:
        return Prior.from_json(json.loads(Path(path).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise GanzError(f"{path}: not a readable prior ({' '.join(str(e).split())[:80]})") from None


def prior_path(weights: Path | str) -> Path:
    """Where the prior of the weights file ``weights`` lives: ``<stem>.prior.json`` beside it."""
    w = Path(weights)
    return w.with_name(w.name.removesuffix(".safetensors") + PRIOR_SUFFIX)


_REGISTRY: dict[str, Prior] = {}
_SCANNED: set[Path] = set()


def register(prior: Prior) -> Prior:
    """Make ``prior`` findable by its generator id (``prior_for``) in this process."""
    _REGISTRY[prior.generator_sha256] = prior
    return prior


def prior_beside(weights: Path | str | None, generator_sha256: str) -> Prior | None:
    """The prior a codec of the weights file ``weights`` codes with: the one beside it when it is
    this generator's (registered, so that ``unpack`` finds it too), else None; without a path,
    ``prior_for`` the generator."""
    if weights is None:
        return prior_for(generator_sha256)
    p = prior_path(weights)
    if p.is_file():
        prior = load_prior(p)
        if prior.generator_sha256 == generator_sha256:
            return register(prior)
    return None


def prior_for(generator_id: str) -> Prior | None:
    """The prior of the generator whose SHA-256 starts with ``generator_id`` (registered, or one
    of the committed models' ``ganz/zoo/*.prior.json``), or None."""
    from .paths import models_dir

    gid = generator_id.lower()
    for sha, prior in _REGISTRY.items():
        if sha.startswith(gid):
            return prior
    for p in sorted(models_dir().glob(f"*{PRIOR_SUFFIX}")):
        if p in _SCANNED:
            continue
        _SCANNED.add(p)
        prior = register(load_prior(p))
        if prior.generator_sha256.startswith(gid):
            return prior
    return None


# --------------------------------------------------------------------------- fitting
def table_from_counts(counts: np.ndarray, adapter: str, bits: int, max_dim: int,
                      fitted_dim: int = 0) -> Table:
    """An integer table from (smoothed, positive) counts: each code ≥ 1, total exactly 2^24,
    the rounding remainder given to the most frequent codes."""
    p = np.asarray(counts, dtype=np.float64)
    if len(p) != 1 << bits or not np.all(np.isfinite(p)) or p.min() <= 0:
        raise GanzError("table counts must be positive, one per code")
    p = p / p.sum()
    f = np.maximum(1, np.floor(p * TOTAL)).astype(np.int64)
    rest = TOTAL - int(f.sum())
    order = np.argsort(-p, kind="stable")
    i = 0
    while rest != 0:
        k = order[i % len(order)]
        if rest > 0:
            step = min(rest, max(1, rest // len(order) + 1))
            f[k] += step
            rest -= step
        elif f[k] > 1:
            step = min(-rest, int(f[k]) - 1)
            f[k] -= step
            rest += step
        i += 1
    return Table(adapter, bits, max_dim, f, fitted_dim)


def entropy_bits(codes: np.ndarray, bits: int) -> float:
    """The empirical entropy of ``codes`` (their own histogram), total bits."""
    c = np.bincount(np.asarray(codes, dtype=np.int64).ravel(), minlength=1 << bits).astype(np.float64)
    p = c[c > 0] / c.sum()
    return float(-(c[c > 0] * np.log2(p)).sum())


def ideal_bytes(bits: float) -> int:
    return math.ceil(bits / 8)
