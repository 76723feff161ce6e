"""Robustness: hostile .ganz files, odd images, unsafe checkpoints, killed training runs, atomic writes.

Nothing may crash, hang, write garbage or lose work. A bad input is a ``GanzError`` in the library
and, in the CLI, exactly one line on stderr, a non-zero exit, no traceback and no output file.
The long fuzz is a benchmark, ``python -m tools.fuzz --cases 10000`` (not run here).
"""
from __future__ import annotations

import csv
import io
import os
import pickle
import random
import re
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from safetensors.torch import load_file, save_file

from ganz.core import atomic
from ganz.cli import main
from ganz.core.codec import GanzCodec
from ganz.core.config import ModelConfig, TrainConfig
from ganz.core.data import open_image
from ganz.core.errors import GanzError
from ganz.core.fileformat import CRC_BYTES, MAX_LATENT, GanzFile, pack, unpack, varint
from ganz.core.models import Generator
from ganz.train.began import Trainer, train
from ganz.core.zoo import FORMAT, load_generator
from tiny import TINY, tiny_model_file

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"
FAST = settings(deadline=None, database=None,  # no .hypothesis/ folder in the checkout
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# --------------------------------------------------------------------------- helpers
def crc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


def fix_crc(data: bytes) -> bytes:
    return crc(data[:-CRC_BYTES]) if len(data) >= CRC_BYTES else data


def v2(flags: int, bits: int, h: int, w: int, seed: int, n: int, gid: bytes, payload: bytes,
       pads=(0, 0, 0, 0), version: int = 2) -> bytes:
    return crc(b"GZ" + bytes([version, flags, bits]) + varint(h, pads[0]) + varint(w, pads[1])
               + varint(seed, pads[2]) + varint(n, pads[3]) + gid + payload)


def v1(code: int, bits: int, h: int, w: int, seed: int, n: int, gid: bytes, payload: bytes,
       version: int = 1) -> bytes:
    return crc(struct.pack("<4sBBBHHII8s", b"GANZ", version, code, bits, h, w, seed, n, gid) + payload)


def cli(argv, cap) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = cap.readouterr()
    return code, out.out, out.err


def assert_one_line_error(code: int, err: str) -> None:
    assert code != 0
    assert err.count("\n") == 1 and err.endswith("\n"), f"not exactly one stderr line: {err!r}"
    assert err.startswith("ganz ") and "error" in err and "Traceback" not in err, err


class no_visible_warnings(warnings.catch_warnings):
    """Fails if the code warns: outside pytest, Python prints warnings as extra stderr lines."""

    def __init__(self):
        super().__init__(record=True)

    def __enter__(self):
        self.log = super().__enter__()
        warnings.simplefilter("always")
        return self.log

    def __exit__(self, *exc):
        super().__exit__(*exc)
        shown = [w for w in self.log if not issubclass(w.category, (DeprecationWarning,
                                                                   PendingDeprecationWarning))]
        assert not shown, [str(w.message) for w in shown]


def check_parsed(f: GanzFile) -> None:
    """What unpack accepts is sane and re-serializes to the same contents (no garbage)."""
    assert 0 < f.height <= 4096 and 0 < f.width <= 4096 and 0 < len(f.z) <= MAX_LATENT
    assert f.z.dtype == np.float32 and np.all(np.isfinite(f.z)) and np.abs(f.z).max() <= 1.001
    g = unpack(pack(f, version=f.version))
    assert (g.adapter, g.height, g.width, g.seed, g.bits, g.generator_id) == \
        (f.adapter, f.height, f.width, f.seed, f.bits, f.generator_id)
    assert np.array_equal(g.z, f.z)


def decode_or_refuse(codec: GanzCodec, data: bytes) -> None:
    """unpack and decompress each either succeed sanely or raise GanzError (nothing else)."""
    try:
        f = unpack(data)
    except GanzError as e:
        assert str(e) and "\n" not in str(e)
        with pytest.raises(GanzError):
            codec.decompress(data)
        return
    check_parsed(f)
    try:
        img = codec.decompress(data)
    except GanzError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert img.dtype == np.uint8 and img.shape == (16, 16, 3)


# --------------------------------------------------------------------------- fixtures
class Env:
    """A tiny generator on disk, its codec, valid files in every format variant, another model."""

    def __init__(self, folder: Path):
        self.model = folder / "tiny.safetensors"
        tiny_model_file(self.model, seed=0)
        self.other_model = folder / "other.safetensors"
        tiny_model_file(self.other_model, seed=1)
        self.codec = GanzCodec(self.model, "cpu")
        self.sha = self.codec.generator_sha256
        self.gid1, self.gid2 = bytes.fromhex(self.sha[:16]), bytes.fromhex(self.sha[:8])
        rng = np.random.default_rng(0)
        self.z = rng.uniform(-1, 1, 77).astype(np.float32)
        zq = np.round(self.z * 2) / 2  # few distinct values: the v2 payload deflates

        def f(z, bits, ad="random_linear", seed=5):
            return GanzFile(ad, 16, 16, seed, self.sha, z, bits)

        self.valid = {
            "v2_f32": pack(f(self.z, 32)), "v2_f16": pack(f(self.z, 16)), "v2_q8": pack(f(self.z, 8)),
            "v2_q3": pack(f(self.z, 3)), "v2_zlib": pack(f(zq, 32)),
            "v1_f32": pack(f(self.z, 32), version=1), "v1_f16": pack(f(self.z, 16), version=1),
        }
        assert self.valid["v2_zlib"][3] & 4, "expected a deflated payload"
        small = rng.uniform(-1, 1, 8).astype(np.float32)  # keep_linear: d_c = latent_dim = 8
        self.small = {"v2_q8": pack(f(small, 8, "keep_linear", 0)),
                      "v1_f16": pack(f(small, 16, "keep_linear", 0), version=1)}
        for data in [*self.valid.values(), *self.small.values()]:
            self.codec.decompress(data)  # all decode


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Env:
    torch.set_num_threads(1)
    return Env(tmp_path_factory.mktemp("robust"))


# --------------------------------------------------------------------------- .ganz: truncation
def test_truncation_at_every_offset_is_refused(env):
    for _name, data in env.valid.items():
        for cut in range(len(data)):
            with pytest.raises(GanzError):
                unpack(data[:cut])
            with pytest.raises(GanzError):
                env.codec.decompress(data[:cut])


def test_cli_truncation_at_every_offset(env, tmp_path, capsys):
    out = tmp_path / "out.png"
    for name, data in env.small.items():
        for cut in range(len(data)):
            f = tmp_path / f"{name}_{cut}.ganz"
            f.write_bytes(data[:cut])
            code, _, err = cli(["decompress", f, "-o", out, "--model", env.model, "--device", "cpu"], capsys)
            assert_one_line_error(code, err)
            assert str(f) in err and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".ganz"]  # no temp files left


# --------------------------------------------------------------------------- .ganz: bit flips
@settings(FAST, max_examples=120)
@given(which=st.sampled_from(["v2_f32", "v2_f16", "v2_q8", "v2_q3", "v2_zlib", "v1_f32", "v1_f16"]),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), min_size=1, max_size=3,
                      unique=True))
def test_bit_flips_are_detected(env, which, flips):
    data = bytearray(env.valid[which])
    flips = {(i % len(data), b) for i, b in flips}
    for i, b in flips:
        data[i] ^= 1 << b
    # CRC-32 detects every error of up to 3 bits in files this size
    with pytest.raises(GanzError):
        unpack(bytes(data))
    with pytest.raises(GanzError):
        env.codec.decompress(bytes(data))


@settings(FAST, max_examples=20)
@given(which=st.sampled_from(["v2_q8", "v1_f16"]), pos=st.integers(0, 10**6), bit=st.integers(0, 7))
def test_cli_bit_flip_one_line(env, tmp_path, capsys, which, pos, bit):
    data = bytearray(env.small[which])
    data[pos % len(data)] ^= 1 << bit
    f, out = tmp_path / "flip.ganz", tmp_path / "flip.png"
    f.write_bytes(bytes(data))
    code, _, err = cli(["decompress", f, "-o", out, "--model", env.model], capsys)
    assert_one_line_error(code, err)
    assert not out.exists()


# --------------------------------------------------------------------------- .ganz: header fields
V1_FIELDS = [(4, "B"), (5, "B"), (6, "B"), (7, "H"), (9, "H"), (11, "I"), (15, "I"), (19, "8s")]


@settings(FAST, max_examples=100)
@given(which=st.sampled_from(["v1_f32", "v1_f16"]), field=st.sampled_from(V1_FIELDS),
       value=st.one_of(st.integers(0, 2**64 - 1), st.sampled_from(
           [0, 1, 2, 3, 4, 12, 15, 16, 17, 32, 33, 77, 78, 255, 256, 768, 4096, 4097, 65535,
            MAX_LATENT, MAX_LATENT + 1, 2**32 - 1])),
       recompute_crc=st.booleans())
def test_v1_header_field_values(env, which, field, value, recompute_crc):
    data = bytearray(env.valid[which])
    off, code = field
    size = struct.calcsize(code)
    data[off:off + size] = (value % 2**(8 * size)).to_bytes(size, "little")
    data = fix_crc(bytes(data)) if recompute_crc else bytes(data)
    decode_or_refuse(env.codec, data)


@settings(FAST, max_examples=100)
@given(which=st.sampled_from(["v2_f32", "v2_q8", "v2_zlib", "v2_f16"]),
       version=st.sampled_from([2, 2, 2, 1, 3, 255]), flags=st.integers(0, 255),
       bits=st.sampled_from([0, 1, 8, 12, 13, 16, 17, 32, 33, 255]),
       sizes=st.tuples(*[st.sampled_from([0, 1, 16, 17, 4096, 4097, 2**32 - 1, 2**35 - 1])
                         for _ in range(2)]),
       seed=st.sampled_from([0, 5, 2**32 - 1, 2**32]),
       n=st.sampled_from([0, 1, 76, 77, 78, 768, 769, MAX_LATENT, MAX_LATENT + 1, 2**35 - 1]),
       pads=st.tuples(*[st.integers(0, 4) for _ in range(4)]),
       change=st.integers(0, 6))
def test_v2_header_field_values(env, which, version, flags, bits, sizes, seed, n, pads, change):
    data = env.valid[which]
    orig = {"version": 2, "flags": data[3], "bits": data[4], "h": 16, "w": 16, "seed": 5, "n": 77}
    new = dict(orig)
    # change one field (or, for change == 6, all of them at once)
    picks = {0: ("version", version), 1: ("flags", flags), 2: ("bits", bits), 3: ("h", sizes[0]),
             4: ("w", sizes[1]), 5: ("seed", seed)}
    if change < 6:
        key, val = picks[change]
        new[key] = val
    else:
        new.update(version=version, flags=flags, bits=bits, h=sizes[0], w=sizes[1], seed=seed, n=n)
    head_len = 5 + sum(len(varint(orig[k])) for k in ("h", "w", "seed", "n")) + 4
    payload = data[head_len:-CRC_BYTES]
    blob = v2(new["flags"], new["bits"], new["h"], new["w"], new["seed"], new["n"],
              data[head_len - 4:head_len], payload, pads, new["version"])
    decode_or_refuse(env.codec, blob)
    if change < 6 and new == orig and not any(pads):
        assert unpack(blob).z.shape == (77,)


@settings(FAST, max_examples=60)
@given(prefix=st.sampled_from([b"", b"GANZ", b"GANZ\x01", b"GZ", b"GZ\x02", b"GZ\x02\x05\x20"]),
       body=st.binary(max_size=300), with_crc=st.booleans())
def test_random_bytes(env, prefix, body, with_crc):
    data = prefix + body
    decode_or_refuse(env.codec, crc(data) if with_crc else data)


def test_wrong_magic_and_version(env):
    good1, good2 = env.valid["v1_f32"], env.valid["v2_f32"]
    for data, match in [(b"XXXX" + good1[4:], "magic"), (b"\x89PNG" + good2[4:], "magic"),
                        (b"", "magic"), (b"G", "magic"), (b"GZ", "version"),
                        (good1[:4] + b"\x63" + good1[5:], "version"),
                        (fix_crc(good1[:4] + b"\x02" + good1[5:]), "version"),
                        (fix_crc(good2[:2] + b"\x63" + good2[3:]), "version"),
                        (fix_crc(good2[:2] + b"\x01" + good2[3:]), "magic|version"),
                        (fix_crc(good2[:2] + b"\x00" + good2[3:]), "version")]:
        with pytest.raises(GanzError, match=match):
            unpack(data)


# --------------------------------------------------------------------------- .ganz: sizes
ABSURD = {
    "v1 n=2^32-1": lambda e: v1(1, 32, 16, 16, 0, 2**32 - 1, e.gid1, b""),
    "v1 n=MAX+1": lambda e: v1(1, 32, 16, 16, 0, MAX_LATENT + 1, e.gid1, b"\0" * 64),
    "v1 n=0": lambda e: v1(1, 32, 16, 16, 0, 0, e.gid1, b""),
    "v1 65535x65535": lambda e: v1(1, 32, 65535, 65535, 0, 77, e.gid1, e.z.tobytes()),
    "v1 claims MAX, short": lambda e: v1(1, 32, 16, 16, 0, MAX_LATENT, e.gid1, b"\0" * 8),
    "v2 n=2^35-1": lambda e: v2(1, 32, 16, 16, 0, 2**35 - 1, e.gid2, b""),
    "v2 n=2^49 (long varint)": lambda e: v2(1, 32, 16, 16, 0, 2**49, e.gid2, b""),
    "v2 claims MAX, short": lambda e: v2(1, 12, 16, 16, 0, MAX_LATENT, e.gid2, b"\0" * 8),
    "v2 0x0 image": lambda e: v2(1, 32, 0, 0, 0, 77, e.gid2, e.z.tobytes()),
    "v2 seed 2^32": lambda e: v2(1, 32, 16, 16, 2**32, 77, e.gid2, e.z.tobytes()),
    "v2 deflate, declared +1": lambda e: v2(5, 32, 16, 16, 0, MAX_LATENT, e.gid2,
                                            zlib.compress(bytes(4 * MAX_LATENT + 1))),
}


@pytest.mark.parametrize("case", sorted(ABSURD))
def test_absurd_sizes_refused_before_allocating(env, case, tmp_path, capsys):
    data = ABSURD[case](env)
    tracemalloc.start()
    try:
        with pytest.raises(GanzError):
            unpack(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # nothing is allocated, except a deflated payload: inflated at most to its declared size + 1
    limit = 3 * 4 * MAX_LATENT if "deflate" in case else 1 << 20
    assert peak < limit, f"{case}: {peak} bytes allocated before refusing"
    f, out = tmp_path / "absurd.ganz", tmp_path / "absurd.png"
    f.write_bytes(data)
    code, _, err = cli(["decompress", f, "-o", out, "--model", env.model], capsys)
    assert_one_line_error(code, err)
    assert not out.exists()


@pytest.mark.parametrize("bits", [32, 12])
def test_deflate_bomb_is_bounded(env, bits):
    """A few KB declaring 2^20 latent values: parsed within bounds, refused by the 16×16 model."""
    size = 4 * MAX_LATENT if bits == 32 else (MAX_LATENT * bits + 7) // 8
    data = v2(5, bits, 16, 16, 0, MAX_LATENT, env.gid2, zlib.compress(bytes(size), 9))
    assert len(data) < 5000
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        assert len(unpack(data).z) == MAX_LATENT
        with pytest.raises(GanzError, match="ratio below 1"):
            env.codec.decompress(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20 and time.perf_counter() - t0 < 10


def test_huge_ganz_file_not_read(env, tmp_path, capsys):
    f = tmp_path / "huge.ganz"
    with open(f, "wb") as fh:
        fh.truncate(1 << 30)  # sparse: 1 GiB on paper, nothing on disk
    code, _, err = cli(["decompress", f, "-o", tmp_path / "h.png", "--model", env.model], capsys)
    assert_one_line_error(code, err)
    assert "too large" in err and not (tmp_path / "h.png").exists()


def test_ratio_below_one_refused(env, tmp_path, capsys):
    """More latent values than pixel values is refused at decode (and at compress)."""
    z = np.zeros(769, np.float32)
    data = pack(GanzFile("random_linear", 16, 16, 0, env.sha, z, 16))
    with pytest.raises(GanzError, match="ratio below 1"):
        env.codec.decompress(data)
    img = tmp_path / "im.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(img)
    code, _, err = cli(["compress", img, "-o", tmp_path / "x.ganz", "--ratio", "0.5", "--steps", 2,
                        "--model", env.model, "-q"], capsys)
    assert_one_line_error(code, err)
    assert "ratio below 1" in err and not (tmp_path / "x.ganz").exists()


# --------------------------------------------------------------------------- .ganz: latent values
@pytest.mark.parametrize("kind", ["v1_f32_nan", "v1_f32_inf", "v1_f32_-inf", "v1_f16_inf",
                                  "v2_f32_nan", "v2_f16_inf", "v2_zlib_nan", "v1_f32_big",
                                  "v2_f16_big"])
def test_nan_inf_and_out_of_range_latents(env, kind, tmp_path, capsys):
    version, dtype, special = kind.split("_")
    value = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "big": 1.5}[special]
    z = env.z.astype(np.float64)
    z[[3, 40]] = value
    if version == "v1":
        data = v1(1, 32 if dtype == "f32" else 16, 16, 16, 5, 77, env.gid1,
                  z.astype("<f4" if dtype == "f32" else "<f2").tobytes())
    else:
        payload = z.astype("<f2" if dtype == "f16" else "<f4").tobytes()
        flags = 1 | (4 if dtype == "zlib" else 0)
        data = v2(flags, 16 if dtype == "f16" else 32, 16, 16, 5, 77, env.gid2,
                  zlib.compress(payload) if dtype == "zlib" else payload)
    match = "outside" if special == "big" else "NaN or infinite"
    with pytest.raises(GanzError, match=match):
        unpack(data)
    f, out = tmp_path / "nan.ganz", tmp_path / "nan.png"
    f.write_bytes(data)
    code, _, err = cli(["decompress", f, "-o", out, "--model", env.model], capsys)
    assert_one_line_error(code, err)
    assert match.split()[0] in err and not out.exists()


def test_pack_refuses_what_unpack_would(env):
    for bad in [GanzFile("random_linear", 16, 16, 0, env.sha, np.array([np.nan], np.float32)),
                GanzFile("random_linear", 16, 16, 0, env.sha, np.array([1.5], np.float32)),
                GanzFile("random_linear", 70000, 16, 0, env.sha, env.z),
                GanzFile("random_linear", 16, 16, 0, "not hex at all!!", env.z),
                GanzFile("random_linear", 16, 16, 0, env.sha, np.zeros(0, np.float32)),
                GanzFile("nope", 16, 16, 0, env.sha, env.z)]:
        for version in (1, 2):
            with pytest.raises(GanzError):
                pack(bad, version=version)


def test_generator_mismatch_refused(env, tmp_path, capsys):
    f = tmp_path / "g.ganz"
    f.write_bytes(env.valid["v2_f32"])
    other = GanzCodec(env.other_model, "cpu")
    with pytest.raises(GanzError, match="generator"):
        other.decompress(env.valid["v1_f32"])
    code, _, err = cli(["decompress", f, "-o", tmp_path / "g.png", "--model", env.other_model], capsys)
    assert_one_line_error(code, err)
    assert "generator" in err and "--model" in err and not (tmp_path / "g.png").exists()


def test_decompress_several_is_all_or_nothing(env, tmp_path, capsys):
    good, bad = tmp_path / "a.ganz", tmp_path / "b.ganz"
    good.write_bytes(env.valid["v2_f32"])
    bad.write_bytes(env.valid["v2_f32"][:-1])
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = cli(["decompress", good, bad, "-o", out, "--model", env.model], capsys)
    assert_one_line_error(code, err)
    assert "b.ganz" in err and list(out.iterdir()) == []


def test_input_not_a_regular_file(env, tmp_path, capsys):
    for p, says in ((tmp_path, "is a folder"), (tmp_path / "missing.ganz", "no such file"),
                    (Path("/dev/zero"), "not a regular file")):
        for cmd in ("decompress", "compress", "info"):
            out = tmp_path / ("x.png" if cmd == "decompress" else "x.ganz")
            code, _, err = cli([cmd, p, *([] if cmd == "info" else ["-o", out, "--model", env.model])],
                               capsys)
            assert_one_line_error(code, err)
            assert says in err, err
    assert not (tmp_path / "x.png").exists()


# --------------------------------------------------------------------------- corpus
EXPECTED = {  # name -> (what unpack says, what decompress says); None = succeeds
    "valid.ganz": (None, None), "valid_v1.ganz": (None, None), "valid_q8.ganz": (None, None),
    "empty.ganz": ("magic", "magic"), "truncated.ganz": ("checksum|truncated",) * 2,
    "truncated_v1.ganz": ("truncated",) * 2, "bitflip.ganz": ("checksum",) * 2,
    "badmagic.ganz": ("magic",) * 2, "version99.ganz": ("version 99",) * 2,
    "version99_v1.ganz": ("version 99",) * 2, "hugelen.ganz": ("out of range",) * 2,
    "hugelen_v2.ganz": ("out of range",) * 2, "hugeimage.ganz": ("out of range",) * 2,
    "nan.ganz": ("NaN",) * 2, "inf16.ganz": ("NaN",) * 2, "outofrange.ganz": ("outside",) * 2,
    "trailing.ganz": ("checksum|trailing",) * 2, "wronggen.ganz": (None, "generator"),
    "wrongsize.ganz": (None, "32×32"), "badadapter_len.ganz": (None, "latent values"),
    "ratio05.ganz": (None, "ratio below 1"), "zbomb.ganz": (None, "ratio below 1"),
    "badzlib.ganz": ("compressed",) * 2, "random.ganz": ("magic",) * 2,
    "png_as_ganz.ganz": ("magic",) * 2,
}


def test_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.glob("*.ganz")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name, tmp_path, capsys):
    data = (CORPUS / name).read_bytes()
    model = CORPUS / "tiny.safetensors"
    lib, dec = EXPECTED[name]
    if lib is None:
        check_parsed(unpack(data))
    else:
        with pytest.raises(GanzError, match=lib):
            unpack(data)
    out = tmp_path / "out.png"
    code, stdout, err = cli(["decompress", CORPUS / name, "-o", out, "--model", model, "--device", "cpu"],
                            capsys)
    if dec is None:
        assert code == 0 and err == "", err
        assert np.asarray(Image.open(out)).shape == (16, 16, 3)
    else:
        assert_one_line_error(code, err)
        assert re.search(dec, err), err
        assert not out.exists()


def test_corpus_unsafe_checkpoint(capsys):
    with pytest.raises(GanzError, match="not a loadable weights file"):
        load_generator(CORPUS / "evil.pt")
    assert "payload executed" not in capsys.readouterr().out


# --------------------------------------------------------------------------- images
def odd_image(kind: str, folder: Path) -> Path:
    rng = np.random.default_rng(1)
    rgb = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
    p = folder / {"cmyk_jpeg": "im.jpg", "cmyk_tiff": "im.tif", "tiff_deflate": "im.tif"}.get(kind, "im.png")
    if kind == "gray":
        Image.fromarray(rgb[..., 0]).save(p)
    elif kind == "rgba":
        Image.fromarray(np.dstack([rgb, rng.integers(0, 256, (16, 16), dtype=np.uint8)])).save(p)
    elif kind == "la":
        Image.fromarray(rgb[..., 0]).convert("LA").save(p)
    elif kind == "16bit":
        Image.fromarray((rng.random((16, 16)) * 65535).astype(np.uint16)).save(p)
    elif kind == "palette":
        Image.fromarray(rgb).convert("P").save(p)
    elif kind == "palette_transparent":
        Image.fromarray(rgb).convert("P").save(p, transparency=0)
    elif kind == "bilevel":
        Image.fromarray(rgb[..., 0]).convert("1").save(p)
    elif kind in ("cmyk_jpeg", "cmyk_tiff"):
        Image.fromarray(rgb).convert("CMYK").save(p)
    elif kind == "tiff_deflate":
        Image.fromarray(rgb).save(p, compression="tiff_deflate")
    return p


ODD = ["gray", "rgba", "la", "16bit", "palette", "palette_transparent", "bilevel", "cmyk_jpeg",
       "cmyk_tiff", "tiff_deflate"]


@pytest.mark.parametrize("kind", ODD)
def test_odd_images_compress(env, kind, tmp_path, capfd):
    img = odd_image(kind, tmp_path)
    out = tmp_path / "o.ganz"
    with no_visible_warnings():
        code, stdout, err = cli(["compress", img, "-o", out, "--steps", 2, "--model", env.model, "-q"], capfd)
    assert code == 0 and err == "", err
    assert "PSNR" in stdout
    f = unpack(out.read_bytes())
    assert (f.height, f.width) == (16, 16)


def test_image_conversions_are_faithful(tmp_path):
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    Image.fromarray(gray).save(tmp_path / "g.png")
    a = np.asarray(open_image(tmp_path / "g.png"))
    assert a.shape == (16, 16, 3) and np.array_equal(a[..., 0], gray) and np.array_equal(a[..., 2], gray)
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:8, :, 3] = 255  # top opaque red-ish, bottom fully transparent -> white
    Image.fromarray(rgba).save(tmp_path / "a.png")
    a = np.asarray(open_image(tmp_path / "a.png"))
    assert (a[:8] == [200, 0, 0]).all() and (a[8:] == 255).all()
    deep = (np.arange(256, dtype=np.uint16).reshape(16, 16) * 257)  # full 16-bit range
    Image.fromarray(deep).save(tmp_path / "d.png")
    assert np.array_equal(np.asarray(open_image(tmp_path / "d.png"))[..., 1], gray)
    dark = np.full((16, 16), 256, np.uint16)  # a dark 16-bit image stays dark (256/65535)
    Image.fromarray(dark).save(tmp_path / "dark.png")
    assert np.asarray(open_image(tmp_path / "dark.png")).max() <= 2
    rgb = (np.random.default_rng(0).random((16, 16, 3)) * 255).astype(np.uint8)
    pal = Image.fromarray(rgb).convert("P")
    pal.save(tmp_path / "p.png")
    assert np.array_equal(np.asarray(open_image(tmp_path / "p.png")), np.asarray(pal.convert("RGB")))
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "c.tif")
    assert np.abs(np.asarray(open_image(tmp_path / "c.tif")).astype(int) - rgb).max() <= 2


def test_exif_rotation_applied(env, tmp_path, capsys):
    im = np.zeros((8, 16, 3), np.uint8)  # 16 wide, 8 high: left half red, right half blue
    im[:, :8] = [255, 0, 0]
    im[:, 8:] = [0, 0, 255]
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    p = tmp_path / "rot.jpg"
    Image.fromarray(im).save(p, exif=exif.tobytes(), quality=95)
    a = np.asarray(open_image(p)).astype(int)
    assert a.shape == (16, 8, 3)  # now 8 wide, 16 high: the left (red) half is on top
    assert a[2, 4, 0] > 200 and a[2, 4, 2] < 60 and a[13, 4, 2] > 200 and a[13, 4, 0] < 60
    code, _, err = cli(["compress", p, "-o", tmp_path / "rot.ganz", "--fit", "--steps", 2,
                        "--model", env.model, "-q"], capsys)
    assert code == 0, err


def test_one_pixel_image(env, tmp_path, capsys):
    p = tmp_path / "one.png"
    Image.fromarray(np.full((1, 1, 3), 90, np.uint8)).save(p)
    code, _, err = cli(["compress", p, "-o", tmp_path / "one.ganz", "--steps", 2, "--model", env.model,
                        "-q"], capsys)
    assert_one_line_error(code, err)
    assert "1×1" in err and "--fit" in err and not (tmp_path / "one.ganz").exists()
    code, _, err = cli(["compress", p, "-o", tmp_path / "one.ganz", "--fit", "--steps", 2,
                        "--model", env.model, "-q"], capsys)
    assert code == 0, err
    assert unpack((tmp_path / "one.ganz").read_bytes()).height == 16


def png_header_only(w: int, h: int) -> bytes:
    """A tiny PNG whose IHDR claims w×h pixels (the pixel data is absent)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("wh", [(20000, 20000), (10000, 10000), (8000, 8000)])
def test_huge_png_refused_before_decoding(env, wh, tmp_path, capfd):
    p = tmp_path / "huge.png"
    p.write_bytes(png_header_only(*wh))
    assert p.stat().st_size < 100
    tracemalloc.start()
    try:
        with no_visible_warnings():
            code, _, err = cli(["compress", p, "-o", tmp_path / "h.ganz", "--fit", "--model", env.model],
                               capfd)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_one_line_error(code, err)
    assert ("too large" in err or "larger than" in err) and peak < 32 << 20
    assert not (tmp_path / "h.ganz").exists()


def test_broken_images_one_line(env, tmp_path, capfd):
    rgb = (np.random.default_rng(2).random((16, 16, 3)) * 255).astype(np.uint8)
    blobs = {}
    for fmt in ("JPEG", "PNG"):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, fmt)
        blobs[fmt] = buf.getvalue()
    tif = io.BytesIO()
    Image.fromarray(rgb).save(tif, "TIFF", compression="tiff_deflate")
    t = bytearray(tif.getvalue())
    t[20] ^= 0xFF  # corrupt deflate stream: libtiff complains on fd 2 by itself
    cases = {"notes.txt.png": b"this is not an image\n", "empty.png": b"",
             "trunc.jpg": blobs["JPEG"][: len(blobs["JPEG"]) // 2],
             "trunc.png": blobs["PNG"][: len(blobs["PNG"]) // 2],
             "head.jpg": blobs["JPEG"][:40], "head.png": blobs["PNG"][:40],
             "corrupt.tif": bytes(t)}
    for name, blob in cases.items():
        p = tmp_path / name
        p.write_bytes(blob)
        out = tmp_path / (name + ".ganz")
        with no_visible_warnings():
            code, _, err = cli(["compress", p, "-o", out, "--steps", 2, "--model", env.model, "-q"], capfd)
        assert_one_line_error(code, err)
        assert name in err and not out.exists()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_refused_or_exact(tmp_path, fmt):
    """Cut at every 8th byte: refused, or (PNG missing only its trailer) exactly the same pixels."""
    rgb = (np.random.default_rng(3).random((16, 16, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt)
    data = buf.getvalue()
    full = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    p = tmp_path / f"t.{fmt.lower()}"
    for cut in range(0, len(data), 8):
        p.write_bytes(data[:cut])
        try:
            got = np.asarray(open_image(p))
        except GanzError:
            continue
        assert np.array_equal(got, full), f"cut at {cut} decoded to different pixels"


# --------------------------------------------------------------------------- checkpoints
class Payload:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickled_object_checkpoint_refused(env, tmp_path, capsys):
    marker = tmp_path / "payload_ran"
    evil = tmp_path / "evil.pt"
    torch.save({"generator": Payload(str(marker)), "model_config": TINY.__dict__}, evil)
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(Payload(str(marker))))
    for path in (evil, raw):
        with pytest.raises(GanzError, match="not a loadable weights file"):
            load_generator(path)
        with no_visible_warnings():
            code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", tmp_path / "x.png",
                                "--model", path], capsys)
        assert_one_line_error(code, err)
    assert not marker.exists(), "unsafe unpickling ran the payload"
    # a training checkpoint made of the same is refused on resume too
    (tmp_path / "run").mkdir()
    os.replace(evil, tmp_path / "run" / "latest.pt")
    t = Trainer(ModelConfig(16, 4, 4, 8), TrainConfig(steps=1, batch_size=4, validation_images=0),
                np.zeros((8, 16, 16, 3), np.uint8), tmp_path / "run")
    with pytest.raises(GanzError, match="not a readable checkpoint"), no_visible_warnings():
        t.load()
    assert not marker.exists()


def _state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return {k: v.half().contiguous() for k, v in Generator(TINY).state_dict().items()}


def _meta(cfg: dict | None = None, **extra) -> dict[str, str]:
    import json

    return {"format": FORMAT, "config": json.dumps(cfg or TINY.__dict__), **extra}


def test_unexpected_keys_and_shapes_named(tmp_path, capsys):
    st_ = _state()
    extra = dict(st_, **{"h1.weight": torch.zeros(2, 2, dtype=torch.half)})
    save_file(extra, str(tmp_path / "extra.safetensors"), metadata=_meta())
    with pytest.raises(GanzError, match=r"unexpected \['h1.weight'\]"):
        load_generator(tmp_path / "extra.safetensors")
    missing = {k: v for k, v in st_.items() if k != "h0.weight"}
    save_file(missing, str(tmp_path / "missing.safetensors"), metadata=_meta())
    with pytest.raises(GanzError, match=r"missing \['h0.weight'\]"):
        load_generator(tmp_path / "missing.safetensors")
    shaped = dict(st_, **{"h0.weight": torch.zeros(128, 9, dtype=torch.half)})
    save_file(shaped, str(tmp_path / "shape.safetensors"), metadata=_meta())
    with pytest.raises(GanzError, match=r"h0.weight \(128, 9\) != \(128, 8\)"):
        load_generator(tmp_path / "shape.safetensors")
    torch.save({"generator": extra, "model_config": TINY.__dict__}, tmp_path / "extra.pt")
    with pytest.raises(GanzError, match="h1.weight"):
        load_generator(tmp_path / "extra.pt")
    torch.save({"generator": [1, 2], "model_config": TINY.__dict__}, tmp_path / "list.pt")
    with pytest.raises(GanzError, match="dict of tensors"):
        load_generator(tmp_path / "list.pt")
    code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", tmp_path / "x.png",
                        "--model", tmp_path / "shape.safetensors"], capsys)
    assert_one_line_error(code, err)
    assert "h0.weight" in err


def test_hostile_model_config_allocates_nothing(tmp_path):
    huge = dict(image_size=1 << 16, base_size=1, width=1 << 20, latent_dim=1 << 30)
    save_file(_state(), str(tmp_path / "huge.safetensors"), metadata=_meta(huge))
    t0 = time.perf_counter()
    with pytest.raises(GanzError, match="do not match"):
        load_generator(tmp_path / "huge.safetensors")
    assert time.perf_counter() - t0 < 5
    for bad in ('{"image_size": -1}', "[1, 2]", "not json", '{"image_size": 16, "evil": 1}'):
        save_file(_state(), str(tmp_path / "b.safetensors"), metadata={"format": FORMAT, "config": bad})
        with pytest.raises(GanzError, match="bad model config"):
            load_generator(tmp_path / "b.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(GanzError, match="not a valid safetensors"):
        load_generator(tmp_path / "junk.safetensors")


def test_foreign_metadata_is_kept_as_text(tmp_path):
    save_file(_state(), str(tmp_path / "m.safetensors"), metadata=_meta(note="made elsewhere"))
    G, gid, meta = load_generator(tmp_path / "m.safetensors")
    assert meta["note"] == "made elsewhere" and G.cfg == TINY


def test_files_made_with_older_exports_still_decode(tmp_path):
    """An export from before ``adapter_gain`` existed keeps its id: its .ganz files decode."""
    old_state = {k: v for k, v in _state().items() if k != "adapter_gain"}
    save_file(old_state, str(tmp_path / "old.safetensors"), metadata=_meta())
    from ganz.core.zoo import weights_id

    old_id = weights_id(old_state)  # what the codec of that time wrote into its files
    codec = GanzCodec(tmp_path / "old.safetensors", "cpu")
    assert codec.generator_sha256 == old_id
    z = np.random.default_rng(0).uniform(-1, 1, 77).astype(np.float32)
    img = codec.decompress(pack(GanzFile("random_linear", 16, 16, 5, old_id, z, 32)))
    assert img.shape == (16, 16, 3)


# --------------------------------------------------------------------------- bit-exact decoding
@pytest.mark.slow
def test_decoding_is_bit_exact_across_processes(tmp_path, capsys):
    model, f = CORPUS / "tiny.safetensors", CORPUS / "valid.ganz"
    outs = [tmp_path / f"in{i}.png" for i in range(2)]
    for out in outs:  # twice in a row in this process
        code, _, err = cli(["decompress", f, "-o", out, "--model", model, "--device", "cpu"], capsys)
        assert code == 0, err
    bad = tmp_path / "bad.ganz"
    bad.write_bytes((CORPUS / "bitflip.ganz").read_bytes())
    def args(src, dst):
        return ["decompress", str(src), "-o", str(dst), "--model", str(model), "--device", "cpu"]

    outs += [tmp_path / "proc0.png", tmp_path / "proc1.png"]
    # two fresh interpreters side by side: `python -m ganz decompress`, and one that then also
    # decodes a corrupt file, to see its stderr is exactly one line in a real process
    second = (f"import sys; from ganz.cli import main; assert main({args(f, outs[3])!r}) == 0; "
              f"sys.exit(main({args(bad, tmp_path / 'bad.png')!r}))")
    env_vars = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen(cmd, env=env_vars, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for cmd in ([sys.executable, "-m", "ganz", *args(f, outs[2])], [sys.executable, "-c", second])]
    (out0, err0), (out1, err1) = (p.communicate(timeout=300) for p in procs)
    assert procs[0].returncode == 0, err0
    assert_one_line_error(procs[1].returncode, err1)
    assert "bad.ganz" in err1 and "checksum" in err1 and not (tmp_path / "bad.png").exists()
    blobs = [o.read_bytes() for o in outs]
    assert all(b == blobs[0] for b in blobs), "decoding differs between runs or processes"


# --------------------------------------------------------------------------- training crash-safety
TRAIN_CFG = ModelConfig(16, 4, 4, 8)
TRAIN_STEPS = 24
LOSS_COLUMNS = ["step", "images_seen", "loss_real", "loss_fake", "loss_d", "loss_g", "k", "m_global", "lr"]


def train_cfg(steps: int = TRAIN_STEPS, every: int = 1) -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=4, checkpoint_every=every, log_every=1, validation_images=0)


def train_images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)


CHILD = f"""
import sys, time
import torch
torch.set_num_threads(1)
from ganz.train import began as T
from ganz.core.config import ModelConfig, TrainConfig
import numpy as np
step = T.Trainer.train_step
def slow_step(self):  # slow enough that the kill lands mid-run; numerics untouched
    time.sleep(0.05)
    return step(self)
T.Trainer.train_step = slow_step
images = np.random.default_rng(0).integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
T.train(ModelConfig(16, 4, 4, 8), TrainConfig(steps={TRAIN_STEPS}, batch_size=4, checkpoint_every=1,
        log_every=1, validation_images=0), sys.argv[1], "cpu", images=images, progress=False)
"""


def log_rows(folder: Path) -> list[list[str]]:
    with open(folder / "log.csv", newline="") as f:
        return [[r[c] for c in LOSS_COLUMNS] for r in csv.DictReader(f)]


def assert_same_run(a: Trainer, b: Trainer, dir_a: Path, dir_b: Path) -> None:
    assert (a.step, a.k) == (b.step, b.k)
    for p, q in zip([*a.G.state_dict().values(), *a.D.state_dict().values()],
                    [*b.G.state_dict().values(), *b.D.state_dict().values()]):
        assert torch.equal(p, q)
    fa, fb = load_file(str(dir_a / "final.safetensors")), load_file(str(dir_b / "final.safetensors"))
    assert fa.keys() == fb.keys() and all(torch.equal(fa[k], fb[k]) for k in fa)
    assert log_rows(dir_a) == log_rows(dir_b)  # every step logged once, same losses


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("ref")
    return train(TRAIN_CFG, train_cfg(), out, "cpu", images=train_images(), progress=False), out


@pytest.mark.slow
def test_sigkill_during_training_then_resume(reference_run, tmp_path):
    ref, ref_dir = reference_run
    out = tmp_path / "run"
    delay = random.Random().uniform(0.0, 0.5)  # >= 22 steps of >= 50 ms remain after it
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(out)],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out / "latest.pt").exists():
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline, "no first checkpoint"
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"run finished before the kill ({delay:.3f} s)"
    st_ = torch.load(out / "latest.pt", weights_only=True)  # never corrupt
    assert 1 <= st_["step"] < TRAIN_STEPS and not (out / "final.safetensors").exists()
    resumed = train(TRAIN_CFG, train_cfg(), out, "cpu", images=train_images(), progress=False)
    assert_same_run(ref, resumed, ref_dir, out)


def test_kill_during_save_keeps_previous_checkpoint(reference_run, tmp_path, monkeypatch):
    ref, ref_dir = reference_run
    out = tmp_path / "run"
    t = Trainer(TRAIN_CFG, train_cfg(every=4), train_images(), out)
    t.run(progress=False, stop_after=8)  # checkpoints at steps 4 and 8
    real_save = torch.save

    class Died(BaseException):
        pass

    def dying_save(obj, path, *a, **k):  # writes half a checkpoint, then the process "dies"
        buf = io.BytesIO()
        real_save(obj, buf)
        Path(path).write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
        raise Died

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(Died):
        t.run(progress=False)  # dies saving step 12
    monkeypatch.setattr(torch, "save", real_save)
    assert not list(out.glob(".latest.*"))  # the partial write is gone, the checkpoint intact
    assert torch.load(out / "latest.pt", weights_only=True)["step"] == 8
    with open(out / "log.csv", "a") as f:
        f.write("13,52,0.1")  # and a partial log line, as a kill mid-write would leave
    resumed = train(TRAIN_CFG, train_cfg(every=4), out, "cpu", images=train_images(), progress=False)
    assert_same_run(ref, resumed, ref_dir, out)


def test_corrupt_checkpoint_refused_not_overwritten(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "latest.pt").write_bytes(b"PK\x03\x04 truncated")
    t = Trainer(TRAIN_CFG, train_cfg(4), train_images(), out)
    with pytest.raises(GanzError, match="--restart"):
        t.load()
    assert (out / "latest.pt").read_bytes() == b"PK\x03\x04 truncated"  # the user decides


# --------------------------------------------------------------------------- atomic writes
def test_atomic_write_failure_leaves_old_or_nothing(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "out.bin"
    atomic.atomic_write(target, b"old contents")
    real = Path.write_bytes

    def half_then_fail(self, data):
        real(self, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_fail)
    with pytest.raises(OSError):
        atomic.atomic_write(target, b"new contents that never fully arrive")
    with pytest.raises(OSError):
        atomic.atomic_write(tmp_path / "sub" / "fresh.bin", b"x" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]  # no temp, no partial


def test_atomic_csv_and_npz_failures(tmp_path, monkeypatch):
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2]})
    atomic.write_csv(df, tmp_path / "t.csv")

    def fail(*a, **k):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic.write_csv(pd.DataFrame({"a": [3, 4, 5]}), tmp_path / "t.csv")
    with pytest.raises(OSError):
        atomic.write_npz(tmp_path / "t.npz", x=np.arange(5))
    monkeypatch.undo()
    assert pd.read_csv(tmp_path / "t.csv")["a"].tolist() == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_cli_output_failure_is_one_line(env, tmp_path, capsys, monkeypatch):
    out = tmp_path / "o.png"

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", out,
                        "--model", CORPUS / "tiny.safetensors"], capsys)
    monkeypatch.undo()
    assert_one_line_error(code, err)
    assert "No space left" in err and list(tmp_path.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", blocker / "o.png",
                        "--model", CORPUS / "tiny.safetensors"], capsys)
    assert_one_line_error(code, err)


# --------------------------------------------------------------------------- the long fuzz, briefly
def test_fuzz_benchmark_runs(tmp_path, capsys):
    """``python -m tools.fuzz`` (10,000 cases as a benchmark) works; here only 150 cases."""
    import json

    from tools import fuzz

    out = tmp_path / "bench" / "fuzz.json"
    assert fuzz.main(["--cases", "150", "--seed", "7", "--out", str(out), "-q"]) == 0
    summary = json.loads(out.read_text())
    assert summary["cases"] == 150 and summary["crashes"] == summary["hangs"] == 0
    assert summary["targets"]["unpack"]["refused"] > 0 and summary["distinct_errors"] > 5
    assert "0 crashes" in capsys.readouterr().out
