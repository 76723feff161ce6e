import numpy as np
import pytest

from ganz.core.errors import GanzError
from ganz.core.fileformat import CRC_BYTES, HEADER_BYTES, GanzFile, pack, roundtrip, unpack

GID = "0123456789abcdef" * 4


def sample(bits=32, n=123, side=64):
    z = np.random.default_rng(0).uniform(-1, 1, n).astype(np.float32)
    return GanzFile("random_linear", side, side, 7, GID, z, bits)


@pytest.mark.parametrize("version", [1, 2])
def test_round_trip(version):
    f = sample()
    g = unpack(pack(f, version=version))
    assert np.array_equal(g.z, f.z) and g.adapter == f.adapter and g.seed == 7
    assert g.version == version and GID.startswith(g.generator_id)
    assert g.ratio == pytest.approx(64 * 64 * 3 / 123)


def test_sizes_r10_at_64():
    n = round(64 * 64 * 3 / 10)  # 1229
    assert len(pack(sample(n=n), version=1)) == HEADER_BYTES + 4 * n + CRC_BYTES == 4947
    v2 = len(pack(sample(n=n)))
    assert v2 <= 5 + 1 + 1 + 1 + 2 + 4 + 4 * n + 4  # 18 bytes of overhead at most
    assert len(pack(sample(n=n, bits=8))) <= 18 + n


@pytest.mark.parametrize("bits", [16, 12, 8, 6, 4, 2, 1])
def test_quantized_round_trip(bits):
    f = sample(bits=bits)
    g = unpack(pack(f))
    assert np.array_equal(g.z, roundtrip(f.z, bits))
    step = 2 / ((1 << bits) - 1) if bits < 16 else 1e-3
    assert np.abs(g.z - f.z).max() <= step / 2 + 1e-6
    assert g.bits == bits


@pytest.mark.parametrize("version", [1, 2])
def test_truncated_everywhere(version):
    data = pack(sample(n=20), version=version)
    for cut in range(len(data)):
        with pytest.raises(GanzError):
            unpack(data[:cut])


@pytest.mark.parametrize("bits", [32, 8])
def test_every_bitflip_detected(bits):
    data = bytearray(pack(sample(n=8, bits=bits)))
    for i in range(len(data)):
        for bit in range(8):
            bad = bytearray(data)
            bad[i] ^= 1 << bit
            with pytest.raises(GanzError):
                unpack(bytes(bad))


def test_wrong_magic_version_trailing():
    data = pack(sample())
    with pytest.raises(GanzError, match="magic"):
        unpack(b"XX" + data[2:])
    with pytest.raises(GanzError, match="version"):
        unpack(data[:2] + bytes([9]) + data[3:])
    with pytest.raises(GanzError):
        unpack(data + b"\0")
    old = pack(sample(), version=1)
    with pytest.raises(GanzError, match="version"):
        unpack(old[:4] + bytes([7]) + old[5:])


def test_bad_values_refused():
    f = sample()
    z = f.z.copy()
    z[0] = np.nan
    with pytest.raises(GanzError):
        pack(GanzFile(f.adapter, 64, 64, 0, GID, z))
    with pytest.raises(GanzError):
        pack(GanzFile(f.adapter, 64, 64, 0, GID, f.z, bits=13))
    with pytest.raises(GanzError):
        pack(GanzFile(f.adapter, 64, 64, 0, GID, f.z, bits=8), version=1)


@pytest.mark.parametrize("bits", [32, 16, 8])
def test_latent_scale_round_trip(bits):
    f = sample(bits=bits)
    scaled = GanzFile(f.adapter, 64, 64, 7, GID, f.z, bits, scale=6.0)
    data = pack(scaled)
    assert len(data) == len(pack(f)) + 2  # a float16, only when the scale is not 1
    g = unpack(data)
    assert g.scale == 6.0 and g.bits == bits and np.array_equal(g.z, unpack(pack(f)).z)
    assert unpack(pack(f)).scale == 1.0
    assert pack(g) == data


def test_scale_one_writes_the_earlier_bytes():
    f = sample(bits=8)
    assert pack(f) == pack(GanzFile(f.adapter, 64, 64, 7, GID, f.z, 8, scale=1.0))
    assert not pack(f)[3] & 8


def test_bad_latent_scales_refused():
    from ganz.core.fileformat import as_scale

    f = sample()
    for bad in (0.0, -2.0, float("nan"), float("inf"), 1e6, 3.14159):  # 3.14159: not a float16
        with pytest.raises(GanzError, match="latent scale"):
            pack(GanzFile(f.adapter, 64, 64, 0, GID, f.z, scale=bad))
    with pytest.raises(GanzError, match="version 1"):
        pack(GanzFile(f.adapter, 64, 64, 0, GID, f.z, scale=2.0), version=1)
    assert as_scale(3.14159) == float(np.float16(3.14159))
    with pytest.raises(GanzError):
        as_scale(1e6)


@pytest.mark.parametrize("value", [1.0, 0.0, -4.0, float("inf"), float("nan")])
def test_stored_scale_must_be_positive_finite_and_not_one(value):
    """A hand-made header with a bad scale (and a good CRC) is refused, never decoded."""
    import struct
    import zlib

    data = bytearray(pack(GanzFile("random_linear", 64, 64, 7, GID, sample().z, 8, scale=4.0)))
    pos = data.index(np.float16(4.0).astype("<f2").tobytes(), 5)
    data[pos:pos + 2] = np.float16(value).astype("<f2").tobytes()
    body = bytes(data[:-4])
    with pytest.raises(GanzError, match="latent scale"):
        unpack(body + struct.pack("<I", zlib.crc32(body)))
