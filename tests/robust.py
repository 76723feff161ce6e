"""Shared by the robustness tests (test_bad_*.py, test_atomic_writes.py): tiny models and valid
``.ganz`` files in every format variant, CRC fixing, and the one-line CLI error check."""
from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

from ganz.cli import main
from ganz.core.codec import GanzCodec
from ganz.core.errors import GanzError
from ganz.core.fileformat import CRC_BYTES, MAX_LATENT, GanzFile, pack, unpack, varint
from tiny import tiny_model_file


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


def make_env(tmp_path_factory) -> Env:
    torch.set_num_threads(1)
    return Env(tmp_path_factory.mktemp("robust"))


