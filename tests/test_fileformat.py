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
