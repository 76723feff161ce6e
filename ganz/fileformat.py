"""The ``.ganz`` file: a compact versioned header, the latent, and a CRC-32.

Layout (little-endian), version 1::

    offset size field
    0      4    magic b"GANZ"
    4      1    format version (1)
    5      1    adapter code (0 keep_linear, 1 random_linear, 2 square_linear, 3 no_linear)
    6      1    latent storage: 32 = float32, 16 = float16
    7      2    image height
    9      2    image width
    11     4    adapter seed
    15     4    latent length d_c
    19     8    generator identity: first 8 bytes of the SHA-256 of its weights
    27     4·d_c or 2·d_c  latent values
    end-4  4    CRC-32 of everything before it

The compression ratio is not stored: it is N / d_c with N = height·width·3.
Every malformed input raises ``GanzError`` with a one-line message; sizes are checked before
anything is allocated.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from .adapters import ADAPTER_CODES, ADAPTERS
from .errors import GanzError

MAGIC = b"GANZ"
VERSION = 1
SUPPORTED_VERSIONS = (1,)
_HEADER = struct.Struct("<4sBBBHHII8s")
HEADER_BYTES = _HEADER.size  # 27
CRC_BYTES = 4
MAX_LATENT = 1 << 24  # far above any real model; bounds allocation on hostile input
MAX_SIDE = 4096
_DTYPES = {32: np.dtype("<f4"), 16: np.dtype("<f2")}


@dataclass(frozen=True)
class GanzFile:
    """The decoded contents of a .ganz file."""

    adapter: str
    height: int
    width: int
    seed: int
    generator_id: str  # 16 hex digits (the first 8 bytes of the weights' SHA-256)
    z: np.ndarray  # float32 (d_c,)
    bits: int = 32
    version: int = VERSION

    @property
    def num_pixels(self) -> int:
        return self.height * self.width * 3

    @property
    def ratio(self) -> float:
        return self.num_pixels / len(self.z)


def pack(f: GanzFile) -> bytes:
    """Serialize a GanzFile (float32 or float16 latent)."""
    if f.adapter not in ADAPTER_CODES:
        raise GanzError(f"unknown adapter {f.adapter!r}")
    if f.bits not in _DTYPES:
        raise GanzError(f"latent storage of {f.bits} bits is not supported (use 32 or 16)")
    z = np.asarray(f.z, dtype=np.float32).ravel()
    if not np.all(np.isfinite(z)):
        raise GanzError("latent has NaN or infinite values")
    gid = bytes.fromhex(f.generator_id[:16])
    if len(gid) != 8:
        raise GanzError("generator id must have at least 16 hex digits")
    head = _HEADER.pack(MAGIC, VERSION, ADAPTER_CODES[f.adapter], f.bits, f.height, f.width,
                        f.seed % (2**32), len(z), gid)
    body = head + z.astype(_DTYPES[f.bits]).tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def unpack(data: bytes) -> GanzFile:
    """Parse and validate a .ganz file's bytes."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise GanzError("expected bytes")
    data = bytes(data)
    if len(data) < len(MAGIC) or data[:4] != MAGIC:
        raise GanzError("not a .ganz file (bad magic)")
    if len(data) < 5:
        raise GanzError("truncated .ganz file (no version)")
    if data[4] not in SUPPORTED_VERSIONS:
        raise GanzError(f"unsupported .ganz format version {data[4]} (this ganz reads "
                        f"{', '.join(map(str, SUPPORTED_VERSIONS))})")
    if len(data) < HEADER_BYTES + CRC_BYTES:
        raise GanzError(f"truncated .ganz file ({len(data)} bytes, header needs {HEADER_BYTES + CRC_BYTES})")
    _, version, code, bits, h, w, seed, n, gid = _HEADER.unpack_from(data)
    if code >= len(ADAPTERS):
        raise GanzError(f"corrupt .ganz file: unknown adapter code {code}")
    if bits not in _DTYPES:
        raise GanzError(f"corrupt .ganz file: unknown latent storage ({bits} bits)")
    if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
        raise GanzError(f"corrupt .ganz file: image size {h}×{w} out of range")
    if not (0 < n <= MAX_LATENT):
        raise GanzError(f"corrupt .ganz file: latent length {n} out of range")
    expected = HEADER_BYTES + n * _DTYPES[bits].itemsize + CRC_BYTES
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "trailing bytes in"
        raise GanzError(f"{kind} .ganz file ({len(data)} bytes, expected {expected})")
    (crc,) = struct.unpack_from("<I", data, len(data) - CRC_BYTES)
    if zlib.crc32(data[:-CRC_BYTES]) != crc:
        raise GanzError("corrupt .ganz file (checksum mismatch)")
    z = np.frombuffer(data, dtype=_DTYPES[bits], count=n, offset=HEADER_BYTES).astype(np.float32)
    if not np.all(np.isfinite(z)):
        raise GanzError("corrupt .ganz file: latent has NaN or infinite values")
    if np.abs(z).max() > 1.0 + 1e-3:
        raise GanzError("corrupt .ganz file: latent values outside [-1, 1]")
    return GanzFile(ADAPTERS[code], h, w, seed, gid.hex(), z, bits, version)
