"""The fuzzer's cases: valid ``.ganz`` files from a tiny seeded generator, and the mutations that
turn them into hostile ones (``make_case(seed, i, pool)`` is a pure function of its arguments)."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from ganz.core.config import ModelConfig
from ganz.core.fileformat import (ADAPTERS, CRC_BYTES, FLAG_ENTROPY, HEADER_BYTES, MAX_LATENT,
                                  dequantize, pack, varint)

TINY = ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)

SPECIAL_FLOATS = [np.nan, np.inf, -np.inf, 1.0, -1.0, 1.0009, 1.002, -1.5, 2.0, 65504.0, 1e30,
                  -0.0, 0.0, 1e-45, 6e-8, -np.nan]


#: the tiny generator's prior (``seed_files`` sets it): entropy-coded files' CRCs cover a table's
#: digest, which the mutators below recompute so that mutations reach the checks behind it
PRIOR: list = [None]


def _table_of(body: bytes):
    """The prior table an entropy-coded (flag bit 4) version-2 body names, else None."""
    f = parse_v2(body + b"\0" * CRC_BYTES)
    if f is None or not f["flags"] & FLAG_ENTROPY or PRIOR[0] is None:
        return None
    return PRIOR[0].table(ADAPTERS[f["flags"] & 3], f["vals"][3], f["bits"])


def with_crc(body: bytes) -> bytes:
    table = _table_of(body)
    crc = zlib.crc32(body) if table is None else zlib.crc32(table.digest, zlib.crc32(body))
    return body + struct.pack("<I", crc)


def fix_crc(data: bytes) -> bytes:
    """Recompute the trailing CRC so a mutation reaches the checks behind the checksum (with the
    table's digest where the file is entropy-coded and the prior has its table)."""
    if len(data) < CRC_BYTES:
        return data
    return with_crc(data[:-CRC_BYTES])


# --------------------------------------------------------------------------- valid seed files
def make_generator(seed: int, folder: Path) -> Path:
    from ganz.core.models import Generator
    from ganz.core.zoo import export_generator

    torch.manual_seed(seed)
    path = folder / "fuzz-tiny.safetensors"
    export_generator(Generator(TINY), path)
    from ganz.core.entropy import prior_path
    from ganz.core.zoo import load_generator

    tiny_prior(load_generator(path, "cpu")[1]).write(prior_path(path))  # found beside the weights
    return path


def tiny_prior(generator_sha256: str):
    """A prior for the fuzzer's generator: peaked tables (mass at the bounds, a bump between) for
    random_linear at every entropy bit depth, one for d_c ≤ 100 and one above."""
    from ganz.core.entropy import ENTROPY_BITS, Prior, table_from_counts

    tables = {}
    for bits in ENTROPY_BITS:
        x = np.linspace(-1, 1, 1 << bits)
        for i, top in enumerate((100, MAX_LATENT)):
            c = np.exp(-0.5 * (x / (0.3 + 0.2 * i)) ** 2) * 8 + 1e-3
            c[0] += (1 << bits) / 4
            c[-1] += (1 << bits) / 3
            tables.setdefault(("random_linear", bits), []).append(
                table_from_counts(c, "random_linear", bits, top))
    return Prior(generator_sha256, tables)


def seed_files(codec, rng: np.random.Generator) -> list[bytes]:
    """Valid files for every adapter, format version and latent storage, assorted ratios and seeds."""
    from ganz.core.fileformat import GanzFile

    files = []
    specs = [("random_linear", r, s) for r in (1.0, 3.0, 10.0, 96.0, 768.0) for s in (0, 7, 2**32 - 1)]
    specs += [("keep_linear", None, 0), ("square_linear", None, 3), ("no_linear", None, 0)]
    for k, (name, ratio, seed) in enumerate(specs):
        ad = codec.adapter(name, ratio, layer_seed=seed)
        z = rng.uniform(-1, 1, ad.input_dim).astype(np.float32)
        z[: min(3, len(z))] = [1.0, -1.0, 0.0][: min(3, len(z))]
        if k % 4 == 0:
            z = np.round(z * 2) / 2  # a few values only: the payload deflates (zlib flag)
        s = TINY.image_size
        for bits in (32, 16):
            files.append(pack(GanzFile(name, s, s, seed, codec.generator_sha256, z, bits), version=1))
        for bits in (32, 16, 12, 8, 3, 1):
            files.append(codec.to_file(z, ad, bits))
    PRIOR[0] = codec.prior
    if codec.prior is not None:  # entropy-coded files: latents drawn from the prior's tables
        s = TINY.image_size
        for ratio in (3.0, 10.0, 96.0):
            for seed, bits in ((0, 2), (0, 4), (7, 6), (0, 8), (2**32 - 1, 5)):
                ad = codec.adapter("random_linear", ratio, layer_seed=seed)
                t = codec.prior.table("random_linear", ad.input_dim, bits)
                codes = rng.choice(1 << bits, size=ad.input_dim, p=t.freqs / t.freqs.sum())
                files.append(codec.to_file(dequantize(codes, bits), ad, bits))
    return files


# --------------------------------------------------------------------------- mutators
# Version 1 header fields: (offset, struct code); version 2 is parsed and rebuilt (varints).
V1_FIELDS = ((0, "4s"), (4, "B"), (5, "B"), (6, "B"), (7, "H"), (9, "H"), (11, "I"), (15, "I"),
             (19, "8s"))
VARINT_EDGE = [0, 1, 2, 15, 16, 17, 127, 128, 255, 256, 767, 768, 769, 3072, 3073, 4096, 4097,
               65535, MAX_LATENT, MAX_LATENT + 1, 2**31, 2**32 - 1, 2**32, 2**35 - 1, 2**35, 2**49]


def _edge(rng: np.random.Generator, values: list[int], bits: int) -> int:
    if rng.random() < 0.7:
        return int(values[rng.integers(len(values))])
    return int(rng.integers(0, 2**bits, dtype=np.uint64)) if bits < 64 else int(rng.integers(0, 2**62))


def parse_v2(data: bytes) -> dict | None:
    """The fields of a version-2 file, leniently (None when there is no such header)."""
    end = len(data) - CRC_BYTES
    if end < 9 or data[:3] != b"GZ\x02":
        return None
    pos, vals = 5, []
    for _ in range(4):
        v = shift = 0
        while True:
            if pos >= end or shift > 70:
                return None
            b = data[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        vals.append(v)
    if pos + 4 > end:
        return None
    return {"flags": data[3], "bits": data[4], "vals": vals, "gid": data[pos:pos + 4],
            "payload": data[pos + 4:end]}


def build_v2(flags: int, bits: int, vals: list[int], gid: bytes, payload: bytes, pads=(0, 0, 0, 0),
             magic: bytes = b"GZ", version: int = 2, crc: bool = True) -> bytes:
    body = (magic + bytes([version & 255, flags & 255, bits & 255])
            + b"".join(varint(v, p) for v, p in zip(vals, pads)) + gid + payload)
    return with_crc(body) if crc else body + b"\0\0\0\0"


def m_truncate(rng, data, pool):
    return data[: rng.integers(0, max(len(data), 1))]


def m_flip(rng, data, pool):
    if not data:
        return data
    b = bytearray(data)
    for _ in range(rng.integers(1, 9)):
        i = rng.integers(len(b))
        b[i] ^= 1 << int(rng.integers(8))
    return bytes(b)


def m_flip_fixcrc(rng, data, pool):
    if len(data) <= CRC_BYTES:
        return m_flip(rng, data, pool)
    return fix_crc(m_flip(rng, data[:-CRC_BYTES], pool) + data[-CRC_BYTES:])


def m_splice(rng, data, pool):
    other = pool[rng.integers(len(pool))]
    out = data[: rng.integers(0, len(data) + 1)] + other[rng.integers(0, len(other) + 1):]
    return fix_crc(out) if rng.random() < 0.5 else out


def _header_v1(rng, data):
    b = bytearray(data.ljust(HEADER_BYTES + CRC_BYTES, b"\0"))
    for _ in range(rng.integers(1, 4)):
        off, code = V1_FIELDS[rng.integers(len(V1_FIELDS))]
        size = struct.calcsize(code)
        if code == "4s":
            new = [b"GANZ", b"ganz", b"GZ\x02\0", b"\0\0\0\0", b"\x89PNG", rng.bytes(4)][rng.integers(6)]
        elif code == "8s":
            new = [rng.bytes(8), b"\0" * 8, bytes(b[off:off + 4]) + rng.bytes(4)][rng.integers(3)]
        else:
            lists = {"B": [0, 1, 2, 3, 4, 8, 12, 13, 16, 17, 31, 32, 33, 99, 127, 128, 255],
                     "H": [0, 1, 15, 16, 17, 255, 4096, 4097, 32768, 65535],
                     "I": [0, 1, 7, 8, 127, 128, 767, 768, 769, 3072, 3073, MAX_LATENT, MAX_LATENT + 1,
                           2**31, 2**32 - 1]}
            new = struct.pack("<" + code, _edge(rng, lists[code], size * 8))
        b[off:off + size] = new
    return bytes(b)


def _header_v2(rng, f):
    fields = dict(f, pads=[0, 0, 0, 0], magic=b"GZ", version=2)
    for _ in range(rng.integers(1, 4)):
        which = rng.integers(8)
        if which == 0:
            fields["magic"] = [b"GZ", b"GA", b"gz", b"\0\0", rng.bytes(2)][rng.integers(5)]
        elif which == 1:
            fields["version"] = _edge(rng, [0, 1, 2, 3, 99, 255], 8)
        elif which == 2:
            fields["flags"] = _edge(rng, [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x11, 0x14, 0x18, 0x1F,
                                          0x20, 0x80, 0xFF], 8)
        elif which == 3:
            fields["bits"] = _edge(rng, [0, 1, 2, 8, 12, 13, 15, 16, 17, 31, 32, 33, 64, 255], 8)
        elif which in (4, 5):
            vals = list(fields["vals"])
            vals[rng.integers(4)] = _edge(rng, VARINT_EDGE, 64)
            fields["vals"] = vals
        elif which == 6:
            pads = list(fields["pads"])
            pads[rng.integers(4)] = int(rng.integers(1, 8))
            fields["pads"] = pads
        else:
            fields["gid"] = [rng.bytes(4), b"\0" * 4, rng.bytes(int(rng.integers(0, 8)))][rng.integers(3)]
    return build_v2(fields["flags"], fields["bits"], fields["vals"], fields["gid"], fields["payload"],
                    fields["pads"], fields["magic"], fields["version"], crc=rng.random() < 0.8)


def m_header(rng, data, pool):
    """Header fields set to edge or random values (the CRC recomputed 80 % of the time)."""
    f = parse_v2(data)
    if f is not None:
        return _header_v2(rng, f)
    out = _header_v1(rng, data)
    return fix_crc(out) if rng.random() < 0.8 else out


def _special_floats(rng, n: int, dtype: str) -> bytes:
    z = rng.uniform(-1, 1, n)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(rng.integers(1, 4)):
            if n:
                z[rng.integers(n)] = SPECIAL_FLOATS[rng.integers(len(SPECIAL_FLOATS))]
        return z.astype(dtype).tobytes()


def m_latent(rng, data, pool):
    """Float latents holding NaN, ±inf, values past ±1, subnormals (valid CRC)."""
    f = parse_v2(data)
    if f is not None:
        bits = [32, 16][rng.integers(2)]
        n = min(f["vals"][3], 100_000)
        payload = _special_floats(rng, n, "<f4" if bits == 32 else "<f2")
        flags = f["flags"] & 3
        if rng.random() < 0.3:
            payload, flags = zlib.compress(payload), flags | 4
        return build_v2(flags, bits, f["vals"], f["gid"], payload)
    if len(data) < HEADER_BYTES + CRC_BYTES or data[6] not in (16, 32):
        return m_flip(rng, data, pool)
    dt = "<f4" if data[6] == 32 else "<f2"
    n = (len(data) - HEADER_BYTES - CRC_BYTES) // np.dtype(dt).itemsize
    return with_crc(data[:HEADER_BYTES] + _special_floats(rng, n, dt))


_BOMBS: dict[int, bytes] = {}


def _zeros_deflated(size: int) -> bytes:
    if size not in _BOMBS:
        _BOMBS[size] = zlib.compress(bytes(size), 9)
    return _BOMBS[size]


def m_length(rng, data, pool):
    """A new latent length, with a payload of matching size when affordable (valid CRC)."""
    f = parse_v2(data)
    r = rng.random()
    if f is not None:
        n = _edge(rng, VARINT_EDGE, 20)
        vals = list(f["vals"])
        vals[3] = n
        bits = f["bits"]
        size = n * 4 if bits == 32 else n * 2 if bits == 16 else (n * bits + 7) // 8
        flags = f["flags"] & 3
        if size <= 8 * MAX_LATENT and r < 0.4:  # a zlib bomb: tiny file, big declared latent
            bomb = _zeros_deflated(max(0, size + int(rng.integers(-1, 2))))
            return build_v2(flags | 4, bits, vals, f["gid"], bomb)
        if size <= 400_000 and r < 0.8:
            return build_v2(flags, bits, vals, f["gid"], rng.bytes(size) if bits not in (16, 32)
                            else rng.uniform(-1, 1, n).astype("<f4" if bits == 32 else "<f2").tobytes())
        return build_v2(f["flags"], bits, vals, f["gid"], f["payload"][: rng.integers(0, 64)])
    data = data.ljust(HEADER_BYTES + CRC_BYTES, b"\0")
    width = 4 if data[6] == 32 else 2
    n = _edge(rng, [0, 1, 2, 7, 8, 9, 767, 768, 769, 3072, 3073, MAX_LATENT, MAX_LATENT + 1,
                    2**31, 2**32 - 1], 32)
    head = bytearray(data[:HEADER_BYTES])
    head[15:19] = struct.pack("<I", n)
    if n <= 100_000 and r < 0.8:
        z = rng.uniform(-1, 1, n).astype("<f4" if width == 4 else "<f2")
        return with_crc(bytes(head) + z.tobytes())
    return with_crc(bytes(head) + data[HEADER_BYTES:-CRC_BYTES][: rng.integers(0, 64) * width])


def m_random(rng, data, pool):
    body = rng.bytes(int(rng.integers(0, 400)))
    r = rng.random()
    if r < 0.25:
        return body
    if r < 0.5:
        return [b"GANZ\x01", b"GZ\x02", b"GZ\x02\x05\x08"][rng.integers(3)] + body
    f = parse_v2(data)
    if f is not None and r < 0.75:  # a valid header, a random (maybe "deflated") payload
        return build_v2(f["flags"] | (4 if rng.random() < 0.5 else 0), f["bits"], f["vals"], f["gid"], body)
    return with_crc(data[:HEADER_BYTES] + body)


def m_entropy(rng, data, pool):
    """An entropy-coded latent's payload truncated, extended, zero-padded, bit-flipped or random,
    or an entropy flag on another file's payload (valid CRC, table digest included)."""
    f = parse_v2(data)
    if f is None:
        return m_random(rng, data, pool)
    payload, r = f["payload"], rng.random()
    if r < 0.2:
        payload = payload[: rng.integers(0, len(payload) + 1)]
    elif r < 0.35:
        payload = payload + rng.bytes(int(rng.integers(1, 9)))
    elif r < 0.5:
        payload = payload + b"\0" * int(rng.integers(1, 9))
    elif r < 0.75 and payload:
        b = bytearray(payload)
        for _ in range(rng.integers(1, 4)):
            b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
        payload = bytes(b)
    else:
        payload = rng.bytes(int(rng.integers(0, 2 * len(payload) + 2)))
    flags = (f["flags"] & ~4) | FLAG_ENTROPY if rng.random() < 0.9 else f["flags"] | FLAG_ENTROPY
    vals = list(f["vals"])
    if rng.random() < 0.2:
        vals[3] = _edge(rng, VARINT_EDGE[:14], 20)
    return build_v2(flags, f["bits"], vals, f["gid"], payload)


def m_insert_delete(rng, data, pool):
    i = int(rng.integers(0, len(data) + 1))
    if rng.random() < 0.5:
        out = data[:i] + rng.bytes(int(rng.integers(1, 17))) + data[i:]
    else:
        out = data[:i] + data[i + int(rng.integers(1, 17)):]
    return fix_crc(out) if rng.random() < 0.5 else out


def m_trailing(rng, data, pool):
    out = data + rng.bytes(int(rng.integers(1, 33)))
    return fix_crc(out) if rng.random() < 0.5 else out


def m_repeat(rng, data, pool):
    return data * int(rng.integers(2, 4))


def m_unchanged(rng, data, pool):
    return data


MUTATORS = {f.__name__[2:]: f for f in (
    m_truncate, m_flip, m_flip_fixcrc, m_splice, m_header, m_latent, m_length, m_random,
    m_insert_delete, m_trailing, m_repeat, m_unchanged, m_entropy)}
WEIGHTS = {"truncate": 10, "flip": 12, "flip_fixcrc": 8, "splice": 8, "header": 20, "latent": 10,
           "length": 10, "random": 8, "insert_delete": 6, "trailing": 4, "repeat": 2, "unchanged": 2,
           "entropy": 10}


def make_case(seed: int, i: int, pool: list[bytes]) -> tuple[str, bytes]:
    rng = np.random.default_rng([seed, i])
    names = list(MUTATORS)
    p = np.array([WEIGHTS[n] for n in names], dtype=float)
    name = names[rng.choice(len(names), p=p / p.sum())]
    data = pool[rng.integers(len(pool))]
    if name != "unchanged" and rng.random() < 0.15:  # sometimes stack two mutations
        data = MUTATORS[names[rng.integers(len(names))]](rng, data, pool)
    return name, bytes(MUTATORS[name](rng, data, pool))
