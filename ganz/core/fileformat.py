"""The ``.ganz`` file: a compact versioned header, the latent, and a CRC-32.

Layout of version 1 (little-endian)::

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

Version 2 (written by default since 0.2; version 1 files still decode) is compact, because at
these sizes every header byte matters, and can store quantized latents::

    2      magic b"GZ"
    1      format version (2)
    1      adapter code (bits 0-1), payload deflated with zlib (bit 2), latent scale follows (bit 3),
           payload entropy-coded with the model's prior (bit 4)
    1      latent storage: 32 float32, 16 float16, 1..12 uniform quantization to that many bits
    varint height, width, adapter seed, latent length d_c (LEB128: 1 byte below 128)
    2      only with bit 3: the latent scale s (float16, finite, > 0, not 1); absent: s = 1
    4      generator identity: first 4 bytes of the SHA-256 of its weights
    ...    latent: floats, or b-bit codes q = round((z + 1) / 2 · (2^b − 1)) packed MSB-first
           (deflated with bit 2; ANS-coded with bit 4)
    4      CRC-32 of everything before it (bit 4: followed by the prior table's digest)

Bit 4 of the flags (added with the entropy models; never with bit 2): the b-bit codes are
entropy-coded with the generator's static prior (``ganz.core.entropy``: an integer table per adapter, d_c range and b,
fitted on training faces, shipped beside the model as ``<model>.prior.json``) by ``constriction``'s
ANS, its 32-bit words little-endian with the trailing zero bytes dropped; the CRC-32 then covers
everything before it followed by the table's 8-byte digest (not stored), so the file decodes only
with that very table. A writer uses it only when it is shorter than both the packed codes and
their deflated form; files without the bit are byte for byte what earlier versions wrote.

The stored latent lies in [−1, 1]; the decoder feeds s·z to the adapter. The scale lets a random
first layer's input reach beyond [−1, 1] (the original code's unconstrained latents do) while the
codes keep their fixed range; a file with s = 1 has no scale field, and is byte for byte what
earlier versions wrote. Readers from before the scale refuse a scaled file (unknown flag).

The compression ratio is not stored: it is N / d_c with N = height·width·3.
Every malformed input raises ``GanzError`` with a one-line message; sizes are checked before
anything is allocated.
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from .errors import GanzError

# the wire codes of the adapters, kept here so that reading a header needs no torch
# (``ganz.core.adapters`` holds the same tuple; tests/test_golden.py checks that they agree)
ADAPTERS = ("keep_linear", "random_linear", "square_linear", "no_linear")
ADAPTER_CODES = {name: i for i, name in enumerate(ADAPTERS)}

MAGIC = b"GANZ"  # version 1
MAGIC2 = b"GZ"  # version 2
VERSION = 2
SUPPORTED_VERSIONS = (1, 2)
QUANT_BITS = tuple(range(1, 13))
_HEADER = struct.Struct("<4sBBBHHII8s")
HEADER_BYTES = _HEADER.size  # 27
CRC_BYTES = 4
MAX_LATENT = 1 << 20  # far above any real model (49152 at R = 1, 128×128); bounds allocation
MAX_SIDE = 4096
FLOAT16_MAX = 65504.0
_DTYPES: dict[int, np.dtype] = {32: np.dtype("<f4"), 16: np.dtype("<f2")}
FLAG_ZLIB, FLAG_SCALE, FLAG_ENTROPY = 4, 8, 16
CODINGS = ("raw", "zlib", "entropy")  # how a v2 file's latent payload is stored


@dataclass(frozen=True)
class GanzFile:
    """The decoded contents of a .ganz file."""

    adapter: str
    height: int
    width: int
    seed: int
    generator_id: str  # hex prefix of the weights' SHA-256 (16 digits in v1, 8 in v2)
    z: np.ndarray  # float32 (d_c,)
    bits: int = 32
    version: int = VERSION
    scale: float = 1.0  # the decoder feeds scale·z to the adapter (a float16 value; v2 only)
    # how the payload was stored (``CODINGS``; set by ``unpack``, ignored by ``pack``) and, for
    # "entropy", the prior table used
    coding: str = field(default="raw", compare=False)
    table: object = field(default=None, compare=False, repr=False)

    @property
    def num_pixels(self) -> int:
        return self.height * self.width * 3

    @property
    def ratio(self) -> float:
        return self.num_pixels / len(self.z)


def quantize(z: np.ndarray, bits: int) -> np.ndarray:
    """Uniform codes q ∈ [0, 2^b − 1] for z ∈ [−1, 1]."""
    levels = (1 << bits) - 1
    return np.rint((np.clip(z, -1, 1) + 1) / 2 * levels).astype(np.int64)


def dequantize(q: np.ndarray, bits: int) -> np.ndarray:
    return (q.astype(np.float64) / ((1 << bits) - 1) * 2 - 1).astype(np.float32)


def roundtrip(z: np.ndarray, bits: int) -> np.ndarray:
    """What a decoder sees of ``z`` stored at ``bits``."""
    z = np.asarray(z, dtype=np.float32)
    if bits == 32:
        return z.copy()
    if bits == 16:
        return z.astype(np.float16).astype(np.float32)
    return dequantize(quantize(z, bits), bits)


def _pack_codes(q: np.ndarray, bits: int) -> bytes:
    shifts = np.arange(bits - 1, -1, -1)
    return np.packbits(((q[:, None] >> shifts) & 1).astype(np.uint8).ravel()).tobytes()


def _unpack_codes(raw: bytes, n: int, bits: int) -> np.ndarray:
    # bits -> 16-bit big-endian words with uint8 temporaries only (~19 bytes per code, not the
    # ~100 of an int64 bit matrix: a hostile deflated payload declaring 2^20 codes stays cheap)
    flat = np.unpackbits(np.frombuffer(raw, np.uint8), count=n * bits).reshape(n, bits)
    words = np.zeros((n, 16), np.uint8)
    words[:, 16 - bits:] = flat
    return np.packbits(words, axis=1).view(">u2").ravel().astype(np.int64)


def varint(v: int, pad: int = 0) -> bytes:
    """Unsigned LEB128. ``pad`` adds redundant zero groups: a non-canonical encoding that
    ``unpack`` must refuse (only tests and ``tools.fuzz`` make those)."""
    groups = []
    while True:
        groups.append(v & 0x7F)
        v >>= 7
        if not v:
            break
    groups += [0] * pad
    return bytes(g | (0x80 if i < len(groups) - 1 else 0) for i, g in enumerate(groups))


def _read_varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    for _i in range(5):  # at most 35 bits
        if pos >= end:
            raise GanzError("truncated .ganz file (header)")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos
    raise GanzError("corrupt .ganz file: header number too long")


def _check_latent(f: GanzFile) -> np.ndarray:
    if f.adapter not in ADAPTER_CODES:
        raise GanzError(f"unknown adapter {f.adapter!r}")
    if f.bits not in _DTYPES and f.bits not in QUANT_BITS:
        raise GanzError(f"latent storage of {f.bits} bits is not supported (32, 16 or 1..12)")
    z = np.asarray(f.z, dtype=np.float32).ravel()
    if not np.all(np.isfinite(z)):
        raise GanzError("latent has NaN or infinite values")
    if len(z) == 0 or len(z) > MAX_LATENT:
        raise GanzError(f"latent length {len(z)} out of range")
    # never write a file that unpack would refuse
    if f.bits in _DTYPES and np.abs(z).max() > 1.0 + 1e-3:
        raise GanzError("latent values outside [-1, 1]")
    if not (0 < f.height <= MAX_SIDE and 0 < f.width <= MAX_SIDE):
        raise GanzError(f"image size {f.height}×{f.width} out of range (1..{MAX_SIDE})")
    if not all(c in "0123456789abcdefABCDEF" for c in f.generator_id):
        raise GanzError(f"generator id {f.generator_id!r} is not hexadecimal")
    check_scale(f.scale)
    return z


def check_scale(scale: float) -> float:
    """``scale`` as a file stores it: a finite positive float16 value, else ``GanzError``."""
    try:
        s = float(scale)
    except (TypeError, ValueError):
        raise GanzError(f"latent scale must be a number, got {scale!r}") from None
    if not (math.isfinite(s) and 0 < s <= FLOAT16_MAX) or float(np.float16(s)) != s:
        raise GanzError(f"latent scale {scale!r} is not a positive float16 value "
                        f"(use fileformat.as_scale to round one)")
    return s


def as_scale(value: float) -> float:
    """The float16 value nearest ``value`` (> 0, finite): the scales a file can hold."""
    v = float(value)
    s = float(np.float16(v)) if math.isfinite(v) and 0 < v <= FLOAT16_MAX else 0.0
    if not s > 0:
        raise GanzError(f"latent scale must be a positive number up to 65504, got {value!r}")
    return s


def pack(f: GanzFile, version: int = VERSION, prior=None) -> bytes:
    """Serialize a GanzFile: version 2 (compact, quantization) unless ``version=1`` is asked.

    ``prior`` (a ``ganz.core.entropy.Prior``): quantized codes are entropy-coded with its table
    for this adapter, d_c and bit depth when that is shorter than the packed and deflated forms."""
    z = _check_latent(f)
    if version == 1:
        if f.scale != 1.0:
            raise GanzError("format version 1 cannot store a latent scale")
        return _pack_v1(f, z)
    if version != 2:
        raise GanzError(f"cannot write .ganz format version {version}")
    table = coded = None
    if f.bits in _DTYPES:
        payload = z.astype(_DTYPES[f.bits]).tobytes()
    else:
        codes = quantize(z, f.bits)
        payload = _pack_codes(codes, f.bits)
        mine = prior is not None and prior.generator_sha256.startswith(f.generator_id[:8].lower())
        table = prior.table(f.adapter, len(z), f.bits) if mine else None  # never another's prior
    deflated = zlib.compress(payload, 9)
    use_zlib = len(deflated) < len(payload)
    if table is not None:
        coded = table.encode(codes)
        if len(coded) >= min(len(payload), len(deflated)):
            table = None  # the plain or deflated codes are shorter: stored as before
    gid = bytes.fromhex(f.generator_id[:8])
    if len(gid) != 4:
        raise GanzError("generator id must have at least 8 hex digits")
    scaled = float(f.scale) != 1.0
    if table is not None:
        assert coded is not None  # encoded above whenever a table is kept
        flags, body_payload = FLAG_ENTROPY, coded
    else:
        flags, body_payload = (FLAG_ZLIB, deflated) if use_zlib else (0, payload)
    flags |= ADAPTER_CODES[f.adapter] | (FLAG_SCALE if scaled else 0)
    head = (MAGIC2 + bytes([2, flags, f.bits]) + varint(f.height) + varint(f.width)
            + varint(f.seed % (2**32)) + varint(len(z))
            + (np.float16(f.scale).astype("<f2").tobytes() if scaled else b"") + gid)
    body = head + body_payload
    return body + struct.pack("<I", _crc(body, table))


def _crc(body: bytes, table) -> int:
    """The file's CRC-32: of ``body``, followed by the prior table's digest when entropy-coded."""
    crc = zlib.crc32(body)
    return crc if table is None else zlib.crc32(table.digest, crc)


def header_bytes(adapter: str, height: int, width: int, seed: int, dim: int,
                 scale: float = 1.0) -> int:
    """Bytes of a version-2 file that are not the latent payload (header and CRC)."""
    return (5 + len(varint(height)) + len(varint(width)) + len(varint(seed % 2**32))
            + len(varint(dim)) + (2 if float(scale) != 1.0 else 0) + 4 + CRC_BYTES)


def _pack_v1(f: GanzFile, z: np.ndarray) -> bytes:
    if f.bits not in _DTYPES:
        raise GanzError("format version 1 stores only float32 or float16 latents")
    gid = bytes.fromhex(f.generator_id[:16])
    if len(gid) != 8:
        raise GanzError("generator id must have at least 16 hex digits")
    head = _HEADER.pack(MAGIC, 1, ADAPTER_CODES[f.adapter], f.bits, f.height, f.width,
                        f.seed % (2**32), len(z), gid)
    body = head + z.astype(_DTYPES[f.bits]).tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def _finish(adapter_code: int, bits: int, h: int, w: int, n: int) -> None:
    if adapter_code >= len(ADAPTERS):
        raise GanzError(f"corrupt .ganz file: unknown adapter code {adapter_code}")
    if bits not in _DTYPES and bits not in QUANT_BITS:
        raise GanzError(f"corrupt .ganz file: unknown latent storage ({bits} bits)")
    if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
        raise GanzError(f"corrupt .ganz file: image size {h}×{w} out of range")
    if not (0 < n <= MAX_LATENT):
        raise GanzError(f"corrupt .ganz file: latent length {n} out of range")


def _checked_z(z: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(z)):
        raise GanzError("corrupt .ganz file: latent has NaN or infinite values")
    if np.abs(z).max() > 1.0 + 1e-3:
        raise GanzError("corrupt .ganz file: latent values outside [-1, 1]")
    return z


def unpack(data: bytes, prior=None) -> GanzFile:
    """Parse and validate a .ganz file's bytes (versions 1 and 2).

    An entropy-coded file (flag bit 4) is decoded with ``prior`` (a ``ganz.core.entropy.Prior``)
    when that is the prior of the generator the file names, else with the one ``entropy.prior_for``
    finds for it."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise GanzError("expected bytes")
    data = bytes(data)
    if data[:4] == MAGIC:
        return _unpack_v1(data)
    if data[:2] != MAGIC2:
        raise GanzError("not a .ganz file (bad magic)")
    if len(data) < 3:
        raise GanzError("truncated .ganz file (no version)")
    if data[2] != 2:
        raise GanzError(f"unsupported .ganz format version {data[2]} (this ganz reads "
                        f"{', '.join(map(str, SUPPORTED_VERSIONS))})")
    end = len(data) - CRC_BYTES
    if end < 5 + 4 + 4:
        raise GanzError(f"truncated .ganz file ({len(data)} bytes)")
    (crc,) = struct.unpack_from("<I", data, end)
    entropy = bool(data[3] & FLAG_ENTROPY)
    if not entropy and zlib.crc32(data[:end]) != crc:
        raise GanzError("corrupt .ganz file (checksum mismatch, or truncated)")
    flags, bits = data[3], data[4]
    if flags & ~0b11111:
        raise GanzError(f"corrupt .ganz file: unknown flags {flags:#x}")
    if entropy and flags & FLAG_ZLIB:
        raise GanzError("corrupt .ganz file: both deflated and entropy-coded")
    pos = 5
    h, pos = _read_varint(data, pos, end)
    w, pos = _read_varint(data, pos, end)
    seed, pos = _read_varint(data, pos, end)
    n, pos = _read_varint(data, pos, end)
    _finish(flags & 3, bits, h, w, n)
    if seed >= 2**32:
        raise GanzError("corrupt .ganz file: seed out of range")
    scale = 1.0
    if flags & FLAG_SCALE:
        if pos + 2 > end:
            raise GanzError("truncated .ganz file (header)")
        scale = float(np.frombuffer(data, "<f2", 1, pos)[0])
        pos += 2
        if not (math.isfinite(scale) and scale > 0) or scale == 1.0:
            raise GanzError(f"corrupt .ganz file: latent scale {scale} (must be finite, > 0, not 1)")
    if pos + 4 > end:
        raise GanzError("truncated .ganz file (header)")
    gid, pos = data[pos:pos + 4], pos + 4
    payload = data[pos:end]
    adapter = ADAPTERS[flags & 3]
    table, coding = None, "zlib" if flags & FLAG_ZLIB else "raw"
    if entropy:
        table, coding = _entropy_table(prior, gid.hex(), adapter, n, bits), "entropy"
        if _crc(data[:end], table) != crc:
            raise GanzError("corrupt .ganz file (checksum mismatch, or truncated, or written with "
                            "another prior table)")
        z = dequantize(table.decode(payload, n), bits)
        return GanzFile(adapter, h, w, seed, gid.hex(), _checked_z(z), bits, 2, scale, coding, table)
    size = n * _DTYPES[bits].itemsize if bits in _DTYPES else (n * bits + 7) // 8
    if flags & FLAG_ZLIB:
        d = zlib.decompressobj()
        try:
            payload = d.decompress(payload, size + 1)  # bounded: never more than expected + 1
        except zlib.error:
            raise GanzError("corrupt .ganz file (bad compressed latent)") from None
        if not d.eof or d.unconsumed_tail or d.unused_data:
            raise GanzError("corrupt .ganz file (compressed latent has the wrong length)")
    if len(payload) != size:
        kind = "truncated" if len(payload) < size else "trailing bytes in"
        raise GanzError(f"{kind} .ganz file (latent of {len(payload)} bytes, expected {size})")
    if bits in _DTYPES:
        z = np.frombuffer(payload, dtype=_DTYPES[bits], count=n).astype(np.float32)
    else:
        z = dequantize(_unpack_codes(payload, n, bits), bits)
    return GanzFile(adapter, h, w, seed, gid.hex(), _checked_z(z), bits, 2, scale, coding)


def _entropy_table(prior, gid: str, adapter: str, n: int, bits: int):
    """The prior table an entropy-coded file names, or a one-line ``GanzError``."""
    if bits not in QUANT_BITS:
        raise GanzError(f"corrupt .ganz file: entropy-coded {bits}-bit floats")
    if prior is None or not prior.generator_sha256.startswith(gid):  # not this file's generator
        from .entropy import prior_for

        prior = prior_for(gid)
    if prior is None:
        raise GanzError(f"the latent is entropy-coded with the prior of generator {gid}, which "
                        f"this ganz does not have (ganz/zoo/<model>.prior.json)")
    table = prior.table(adapter, n, bits)
    if table is None:
        raise GanzError(f"corrupt .ganz file: no prior table for {adapter}, d_c = {n}, {bits} bits")
    return table


def _unpack_v1(data: bytes) -> GanzFile:
    if len(data) < 5:
        raise GanzError("truncated .ganz file (no version)")
    if data[4] != 1:
        raise GanzError(f"unsupported .ganz format version {data[4]} (this ganz reads "
                        f"{', '.join(map(str, SUPPORTED_VERSIONS))})")
    if len(data) < HEADER_BYTES + CRC_BYTES:
        raise GanzError(f"truncated .ganz file ({len(data)} bytes, header needs {HEADER_BYTES + CRC_BYTES})")
    _, version, code, bits, h, w, seed, n, gid = _HEADER.unpack_from(data)
    _finish(code, bits, h, w, n)
    if bits not in _DTYPES:
        raise GanzError(f"corrupt .ganz file: unknown latent storage ({bits} bits)")
    expected = HEADER_BYTES + n * _DTYPES[bits].itemsize + CRC_BYTES
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "trailing bytes in"
        raise GanzError(f"{kind} .ganz file ({len(data)} bytes, expected {expected})")
    (crc,) = struct.unpack_from("<I", data, len(data) - CRC_BYTES)
    if zlib.crc32(data[:-CRC_BYTES]) != crc:
        raise GanzError("corrupt .ganz file (checksum mismatch)")
    z = np.frombuffer(data, dtype=_DTYPES[bits], count=n, offset=HEADER_BYTES).astype(np.float32)
    return GanzFile(ADAPTERS[code], h, w, seed, gid.hex(), _checked_z(z), bits, 1)
