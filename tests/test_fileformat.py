import numpy as np
import pytest

from ganz.errors import GanzError
from ganz.fileformat import CRC_BYTES, HEADER_BYTES, GanzFile, pack, unpack


def sample(bits=32, n=123):
    z = np.random.default_rng(0).uniform(-1, 1, n).astype(np.float32)
    return GanzFile("random_linear", 64, 64, 7, "0123456789abcdef", z, bits)


def test_round_trip_and_size():
    f = sample()
    data = pack(f)
    assert len(data) == HEADER_BYTES + 4 * 123 + CRC_BYTES
    g = unpack(data)
    assert np.array_equal(g.z, f.z) and g.adapter == f.adapter and g.seed == 7
    assert g.ratio == pytest.approx(64 * 64 * 3 / 123)
    h = unpack(pack(sample(bits=16)))
    assert np.allclose(h.z, f.z, atol=1e-3)


def test_r10_size_at_64():
    n = round(64 * 64 * 3 / 10)
    assert len(pack(sample(n=n))) == 27 + 4 * 1229 + 4


@pytest.mark.parametrize("cut", [0, 3, 4, 10, 26, 30, 100])
def test_truncated(cut):
    with pytest.raises(GanzError):
        unpack(pack(sample())[:cut])


def test_every_bitflip_detected():
    data = bytearray(pack(sample(n=8)))
    for i in range(len(data)):
        for bit in (0, 7):
            bad = bytearray(data)
            bad[i] ^= 1 << bit
            with pytest.raises(GanzError):
                unpack(bytes(bad))


def test_wrong_magic_version_trailing():
    data = pack(sample())
    with pytest.raises(GanzError, match="magic"):
        unpack(b"XXXX" + data[4:])
    with pytest.raises(GanzError, match="version"):
        unpack(data[:4] + bytes([9]) + data[5:])
    with pytest.raises(GanzError, match="trailing"):
        unpack(data + b"\0")


def test_nan_refused():
    f = sample()
    z = f.z.copy()
    z[0] = np.nan
    with pytest.raises(GanzError):
        pack(GanzFile(f.adapter, 64, 64, 0, f.generator_id, z))
