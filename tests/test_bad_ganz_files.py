"""Hostile ``.ganz`` files: truncated, bit-flipped, odd header fields, absurd sizes, odd latent
values, another generator's files, and the corpus of known-bad files. Each is a ``GanzError`` in the
library and one line on stderr in the CLI, with a non-zero exit and no output file."""
from __future__ import annotations

import re
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ganz.core.codec import GanzCodec
from ganz.core.errors import GanzError
from ganz.core.fileformat import CRC_BYTES, MAX_LATENT, GanzFile, pack, unpack, varint
from ganz.core.zoo import load_generator

from robust import (CORPUS, FAST, assert_one_line_error, check_parsed, cli, crc, decode_or_refuse, fix_crc,
                    make_env, v1, v2)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory)


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


