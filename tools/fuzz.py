"""A long fuzz of ``.ganz`` decoding: a benchmark, not part of the default test run.

    python -m tools.fuzz --cases 10000 [--seed S] [--out results/bench/fuzz.json]

Valid files (format versions 1 and 2, every adapter and latent storage) made with a tiny seeded
generator are mutated (truncated, bit-flipped, spliced, header fields set to random or edge values,
non-canonical varints, latents set to NaN/inf/out-of-range values, lengths changed, deflate bombs,
random bytes) and fed to ``fileformat.unpack`` and ``GanzCodec.decompress``. Each case must either
decode or raise ``GanzError``; anything else is a *crash*, a case running past the time limit is
a *hang*, and a *violation* is an accepted file that breaks an invariant (a parsed file that does
not re-serialize and re-parse to the same contents, a decoded image of the wrong shape or type,
``unpack`` refusing what ``decompress`` accepts, a decode that differs when repeated). The summary
(counts, distinct error messages with digits stripped, peak memory and the cases that raised it,
the slowest case, the first crashes with their bytes) is written atomically as JSON. Exit status
1 if anything crashed, hung or broke an invariant.

Case ``i`` of seed ``S`` is a pure function of (S, i): ``--first I --cases 1`` replays it.
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import resource
import signal
import struct
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from ganz.core.atomic import atomic_write
from ganz.core.config import ModelConfig
from ganz.core.errors import GanzError
from ganz.core.fileformat import CRC_BYTES, HEADER_BYTES, MAX_LATENT, pack, unpack, varint

TINY = ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)

SPECIAL_FLOATS = [np.nan, np.inf, -np.inf, 1.0, -1.0, 1.0009, 1.002, -1.5, 2.0, 65504.0, 1e30,
                  -0.0, 0.0, 1e-45, 6e-8, -np.nan]


class _Hang(BaseException):
    """Raised by the per-case alarm; a BaseException so library ``except Exception`` can't eat it."""


def _alarm(signum, frame):  # noqa: ARG001
    raise _Hang()


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


def fix_crc(data: bytes) -> bytes:
    """Recompute the trailing CRC so a mutation reaches the checks behind the checksum."""
    if len(data) < CRC_BYTES:
        return data
    return with_crc(data[:-CRC_BYTES])


def normalize(msg: str) -> str:
    """An error message with generator ids and digits stripped (to count distinct messages)."""
    msg = re.sub(r"0x[0-9a-f]+", "0x", msg.splitlines()[0] if msg else msg)
    msg = re.sub(r"(generator|model is) [0-9a-f]+", r"\1 <id>", msg)
    return re.sub(r"[0-9]+", "", msg)


# --------------------------------------------------------------------------- valid seed files
def make_generator(seed: int, folder: Path) -> Path:
    from ganz.core.models import Generator
    from ganz.core.zoo import export_generator

    torch.manual_seed(seed)
    path = folder / "fuzz-tiny.safetensors"
    export_generator(Generator(TINY), path)
    return path


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
            fields["flags"] = _edge(rng, [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0xFF], 8)
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
    m_insert_delete, m_trailing, m_repeat, m_unchanged)}
WEIGHTS = {"truncate": 10, "flip": 12, "flip_fixcrc": 8, "splice": 8, "header": 20, "latent": 10,
           "length": 10, "random": 8, "insert_delete": 6, "trailing": 4, "repeat": 2, "unchanged": 2}


def make_case(seed: int, i: int, pool: list[bytes]) -> tuple[str, bytes]:
    rng = np.random.default_rng([seed, i])
    names = list(MUTATORS)
    p = np.array([WEIGHTS[n] for n in names], dtype=float)
    name = names[rng.choice(len(names), p=p / p.sum())]
    data = pool[rng.integers(len(pool))]
    if name != "unchanged" and rng.random() < 0.15:  # sometimes stack two mutations
        data = MUTATORS[names[rng.integers(len(names))]](rng, data, pool)
    return name, bytes(MUTATORS[name](rng, data, pool))


# --------------------------------------------------------------------------- running
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Stats:
    def __init__(self) -> None:
        self.counts = {t: Counter() for t in ("unpack", "decompress")}
        self.errors: Counter = Counter()
        self.crashes: list[dict] = []
        self.hangs: list[dict] = []
        self.violations: list[dict] = []

    def record(self, kind: str, target: str, case: int, mutator: str, data: bytes, **extra) -> None:
        self.counts[target][kind] += 1
        entry = {"target": target, "case": case, "mutator": mutator, "bytes": len(data),
                 "hex": data[:512].hex(), **extra}
        dest = {"crashes": self.crashes, "hangs": self.hangs, "violations": self.violations}[kind]
        if len(dest) < 25:
            dest.append(entry)


def roundtrip_problem(f) -> str | None:
    """A parsed file must re-serialize (same version) and re-parse to the same contents."""
    try:
        g = unpack(pack(f, version=f.version))
    except GanzError as e:
        return f"a parsed file does not re-serialize: {e}"
    same = ((g.adapter, g.height, g.width, g.seed, g.bits, g.version, g.generator_id)
            == (f.adapter, f.height, f.width, f.seed, f.bits, f.version, f.generator_id)
            and np.array_equal(g.z, f.z))
    return None if same else "a parsed file re-serializes to different contents"


WALL_FACTOR = 10  # wall-clock limit = this × the CPU limit (a busy machine is not a hang)


def _arm(limit: float) -> None:
    signal.setitimer(signal.ITIMER_PROF, limit)  # CPU seconds: catches loops on a loaded machine
    signal.setitimer(signal.ITIMER_REAL, limit * WALL_FACTOR)  # and anything stuck without CPU


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)


def run_target(target: str, fn, data: bytes, limit: float, stats: Stats, case: int,
               mutator: str):
    """Call fn(data) under the per-case alarms; returns (result or None, CPU seconds)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out, kind = None, "ok"
    _arm(limit)
    try:
        out = fn(data)
    except GanzError as e:
        kind = "refused"
        msg = str(e)
        if "\n" in msg or not msg:
            stats.record("violations", target, case, mutator, data,
                         problem=f"error message not one line: {msg!r}")
        stats.errors[normalize(msg)] += 1
    except _Hang:
        kind = "hangs"
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - anything that is not GanzError is a crash
        kind = "crashes"
        tb = traceback.extract_tb(e.__traceback__)
        stats.record("crashes", target, case, mutator, data, error=f"{type(e).__name__}: {e}"[:500],
                     where=[f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in tb[-4:]])
    finally:
        _disarm()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    if kind in ("ok", "refused"):
        stats.counts[target][kind] += 1
    if kind == "hangs" or cpu > limit:  # (a slow C call the alarm could not interrupt)
        stats.record("hangs", target, case, mutator, data, cpu_seconds=round(cpu, 3),
                     wall_seconds=round(wall, 3))
    return out, cpu


def fuzz(cases: int, seed: int = 0, limit: float = 2.0, first: int = 0,
         progress: bool = True) -> dict:
    from ganz.core.codec import GanzCodec

    torch.set_num_threads(1)
    stats = Stats()
    mutators: Counter = Counter()
    slowest = {"cpu_seconds": 0.0}
    old = {sig: signal.signal(sig, _alarm) for sig in (signal.SIGALRM, signal.SIGPROF)}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            codec = GanzCodec(make_generator(seed, Path(tmp)), "cpu")
            pool = seed_files(codec, np.random.default_rng(seed))
            for data in pool:  # the seeds themselves must decode
                codec.decompress(data)
            base_rss = last_rss = _rss_mb()
            memory_jumps: list[dict] = []
            t_start, c_start = time.perf_counter(), time.process_time()
            for i in range(first, first + cases):
                name, data = make_case(seed, i, pool)
                mutators[name] += 1
                f, s1 = run_target("unpack", unpack, data, limit, stats, i, name)
                if f is not None:
                    problem = roundtrip_problem(f)
                    if problem:
                        stats.record("violations", "unpack", i, name, data, problem=problem)
                img, s2 = run_target("decompress", codec.decompress, data, limit, stats, i, name)
                if img is not None:
                    problem = None
                    if not (isinstance(img, np.ndarray) and img.dtype == np.uint8
                            and img.shape == (TINY.image_size, TINY.image_size, 3)):
                        problem = (f"decoded image {getattr(img, 'dtype', type(img))} "
                                   f"{getattr(img, 'shape', '')}")
                    elif f is None:
                        problem = "decompress accepted a file unpack refuses"
                    elif i % 10 == 0 and not np.array_equal(img, codec.decompress(data)):
                        problem = "decoding twice gave different images"
                    if problem:
                        stats.record("violations", "decompress", i, name, data, problem=problem)
                rss = _rss_mb()
                if rss > last_rss + 8 and len(memory_jumps) < 25:  # which cases raised the peak
                    memory_jumps.append({"case": i, "mutator": name, "bytes": len(data),
                                         "peak_rss_mb": round(rss, 1)})
                last_rss = max(last_rss, rss)
                if s1 + s2 > slowest["cpu_seconds"]:
                    slowest = {"cpu_seconds": round(s1 + s2, 4), "case": i, "mutator": name,
                               "bytes": len(data)}
                if progress and (i - first + 1) % 1000 == 0:
                    print(f"fuzz: {i - first + 1}/{cases} cases, {sum(stats.counts['unpack'].values())} "
                          f"run, {len(stats.crashes)} crashes", file=sys.stderr, flush=True)
            seconds, cpu = time.perf_counter() - t_start, time.process_time() - c_start
    finally:
        _disarm()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    n_crash = sum(c["crashes"] for c in stats.counts.values())
    n_hang = sum(c["hangs"] for c in stats.counts.values())
    n_viol = sum(c["violations"] for c in stats.counts.values())
    return {
        "tool": "tools.fuzz", "seed": seed, "first_case": first, "cases": cases,
        "cpu_limit_s": limit, "wall_limit_s": limit * WALL_FACTOR,
        "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "cases_per_s": round(cases / max(seconds, 1e-9), 1),
        "crashes": n_crash, "hangs": n_hang, "violations": n_viol,
        "distinct_errors": len(stats.errors),
        "targets": {t: {k: c.get(k, 0) for k in ("ok", "refused", "crashes", "hangs", "violations")}
                    for t, c in stats.counts.items()},
        "mutators": dict(sorted(mutators.items())),
        "errors": dict(stats.errors.most_common()),
        "baseline_rss_mb": round(base_rss, 1), "peak_rss_mb": round(_rss_mb(), 1),
        "slowest_case": slowest, "memory_jumps": memory_jumps,
        "crash_cases": stats.crashes, "hang_cases": stats.hangs, "violation_cases": stats.violations,
        "seed_files": len(pool),
        "platform": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": np.__version__, "machine": platform.machine()},
    }


def main(argv: list[str] | None = None) -> int:
    from ganz.core.paths import results_dir

    p = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--first", type=int, default=0, help="index of the first case (to replay one)")
    p.add_argument("--time-limit", type=float, default=2.0,
                   help="CPU seconds per case before it is a hang (wall clock: 10× that)")
    p.add_argument("--out", type=Path, default=results_dir() / "bench" / "fuzz.json")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)
    if a.cases < 1 or a.time_limit <= 0 or a.first < 0:
        p.error("--cases and --time-limit must be positive, --first not negative")
    summary = fuzz(a.cases, a.seed, a.time_limit, a.first, progress=not a.quiet)
    atomic_write(a.out, (json.dumps(summary, indent=1) + "\n").encode())
    print(f"{summary['cases']} cases in {summary['seconds']} s: {summary['crashes']} crashes, "
          f"{summary['hangs']} hangs, {summary['violations']} violations, "
          f"{summary['distinct_errors']} distinct errors, peak RSS {summary['peak_rss_mb']} MB "
          f"-> {a.out}")
    return 1 if summary["crashes"] or summary["hangs"] or summary["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
