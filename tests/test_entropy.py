"""The entropy-coded latent (``ganz.core.entropy``, flag bit 4 of a ``.ganz`` file)."""
import zlib

import numpy as np
import pytest

from ganz.core import entropy
from ganz.core.entropy import TOTAL, Prior, Table, table_from_counts
from ganz.core.errors import GanzError
from ganz.core.fileformat import (FLAG_ENTROPY, GanzFile, dequantize, header_bytes, pack,
                                  quantize, roundtrip, unpack)

GID = "fedcba9876543210" * 4


def peaked(bits: int) -> np.ndarray:
    """Counts like a latent's: mass at both bounds, a smooth bump in between."""
    k = 1 << bits
    x = np.linspace(-1, 1, k)
    c = np.exp(-0.5 * (x / 0.35) ** 2) * 10
    c[0] += 3 * k / 8
    c[-1] += 3 * k / 8
    return c + 0.01


def make_prior(gid: str = GID, dims=(64, 256), extra: float = 0.0) -> Prior:
    tables = {}
    for bits in range(2, 9):
        for i, top in enumerate(dims):
            c = peaked(bits) * (1 + i)
            c[0] += i + extra
            tables.setdefault(("random_linear", bits), []).append(
                table_from_counts(c, "random_linear", bits, top if i < len(dims) - 1 else 1 << 20,
                                  top))
    return Prior(gid, tables)


PRIOR = make_prior()


def sample_codes(table: Table, n: int, seed: int = 0) -> np.ndarray:
    p = table.freqs / TOTAL
    return np.random.default_rng(seed).choice(len(p), size=n, p=p)


def latent(table: Table, n: int, seed: int = 0) -> np.ndarray:
    return dequantize(sample_codes(table, n, seed), table.bits)


def file_of(z, bits, n=None, adapter="random_linear"):
    return GanzFile(adapter, 64, 64, 0, GID, np.asarray(z, np.float32), bits, scale=16.0)


def test_tables_are_integer_and_exact():
    for bits in range(2, 9):
        t = PRIOR.table("random_linear", 100, bits)
        assert t.freqs.sum() == TOTAL and t.freqs.min() >= 1 and len(t.freqs) == 1 << bits
    # a table of one huge and many tiny counts still gives every code at least 1
    t = table_from_counts(np.r_[1e9, np.full(255, 1e-9)], "random_linear", 8, 10)
    assert t.freqs.min() == 1 and t.freqs.sum() == TOTAL
    with pytest.raises(GanzError):
        Table("random_linear", 2, 10, np.array([1, 1, 1, 1]))


def test_table_choice_by_dim():
    assert PRIOR.table("random_linear", 64, 4).max_dim == 64
    assert PRIOR.table("random_linear", 65, 4).max_dim == 1 << 20
    assert PRIOR.table("keep_linear", 64, 4) is None
    assert PRIOR.table("random_linear", 64, 9) is None


@pytest.mark.parametrize("bits", [2, 3, 4, 5, 6, 8])
@pytest.mark.parametrize("n", [1, 7, 100, 300, 1229])
def test_round_trip_and_size(bits, n):
    t = PRIOR.table("random_linear", n, bits)
    codes = sample_codes(t, n, seed=n + bits)
    data = t.encode(codes)
    assert not data.endswith(b"\0")
    ideal = t.cost_bits(codes) / 8
    # ANS: a 32-bit head at most, beyond the ideal length (whole bytes)
    assert len(data) <= np.ceil(ideal) + 4
    raw = (n * bits + 7) // 8
    if len(data) < raw:
        assert np.array_equal(t.decode(data, n), codes)


def test_pack_uses_the_prior_and_unpack_reads_it():
    t = PRIOR.table("random_linear", 300, 4)
    f = file_of(latent(t, 300), 4)
    plain, coded = pack(f), pack(f, prior=PRIOR)
    assert len(coded) < len(plain)
    assert coded[3] & FLAG_ENTROPY and not plain[3] & FLAG_ENTROPY
    g = unpack(coded, prior=PRIOR)
    assert np.array_equal(g.z, roundtrip(f.z, 4)) and g.coding == "entropy" and g.table is t
    assert unpack(plain, prior=PRIOR).coding in ("raw", "zlib")
    # the payload is within 5 % of the ideal length under the table
    payload = len(coded) - header_bytes("random_linear", 64, 64, 0, 300, 16.0)
    assert payload <= 1.05 * t.cost_bits(quantize(f.z, 4)) / 8


def test_never_larger_than_the_plain_or_deflated_path():
    rng = np.random.default_rng(1)
    for bits in (2, 4, 8):
        for z in (rng.uniform(-1, 1, 200), np.zeros(200), np.ones(200),
                  latent(PRIOR.table("random_linear", 200, bits), 200)):
            f = file_of(z, bits)
            assert len(pack(f, prior=PRIOR)) <= len(pack(f))


def test_without_the_prior_a_clear_error():
    t = PRIOR.table("random_linear", 300, 4)
    coded = pack(file_of(latent(t, 300), 4), prior=PRIOR)
    with pytest.raises(GanzError, match="prior of generator fedcba98, which this ganz does not have"):
        unpack(coded)
    entropy.register(PRIOR)
    try:
        assert unpack(coded).coding == "entropy"  # found by the file's generator id
    finally:
        entropy._REGISTRY.pop(GID)


def test_another_table_is_refused_by_the_checksum():
    t = PRIOR.table("random_linear", 300, 4)
    coded = pack(file_of(latent(t, 300), 4), prior=PRIOR)
    other = make_prior(extra=5.0)  # other counts for d_c = 300
    with pytest.raises(GanzError, match="another prior table"):
        unpack(coded, prior=other)


def test_every_bitflip_and_truncation_detected():
    t = PRIOR.table("random_linear", 60, 8)
    data = pack(file_of(latent(t, 60, 3), 8), prior=PRIOR)
    assert data[3] & FLAG_ENTROPY
    for cut in range(len(data)):
        with pytest.raises(GanzError):
            unpack(data[:cut], prior=PRIOR)
    for i in range(len(data)):
        for bit in range(8):
            bad = bytearray(data)
            bad[i] ^= 1 << bit
            try:
                g = unpack(bytes(bad), prior=PRIOR)
            except GanzError:
                continue
            # a flip of the flag's own bit may leave a valid file only by a CRC collision
            pytest.fail(f"byte {i} bit {bit}: accepted as {g}")


def test_malformed_payloads_are_one_line_errors():
    t = PRIOR.table("random_linear", 100, 4)
    f = file_of(latent(t, 100), 4)
    good = pack(f, prior=PRIOR)
    head = good[:header_bytes("random_linear", 64, 64, 0, 100, 16.0) - 4]

    def with_payload(payload: bytes, flags: int | None = None) -> bytes:
        body = bytearray(head + payload)
        if flags is not None:
            body[3] = flags
        return bytes(body) + zlib.crc32(t.digest, zlib.crc32(bytes(body))).to_bytes(4, "little")

    refused = 0
    for payload in (b"", b"\0", b"\0\0\0\0", b"\x01", b"\xff" * 10, b"\x01" * 49, b"\xff" * 60,
                    bytes(range(1, 45))):
        try:  # decodes to some latent, or a one-line error; nothing else
            g = unpack(with_payload(payload), prior=PRIOR)
            assert len(g.z) == 100 and np.abs(g.z).max() <= 1
        except GanzError as e:
            assert "\n" not in str(e)
            refused += 1
    assert refused >= 5
    with pytest.raises(GanzError, match="both deflated and entropy-coded"):
        unpack(with_payload(b"\x01", head[3] | 4), prior=PRIOR)


def test_fit_prior_from_latents():
    """``ganz.train.prior.fit_prior``: one valid table per d_c and bit depth, buckets between."""
    from ganz.train.prior import choose_smoothing, fit_prior

    rng = np.random.default_rng(0)
    lat = {d: np.clip(rng.laplace(0, 0.05 * (i + 1), (12, d)), -1, 1).astype(np.float32)
           for i, d in enumerate((100, 400))}
    prior = fit_prior(lat, GID, bits_range=(3, 5))
    assert sorted(prior.tables) == [("random_linear", 3), ("random_linear", 5)]
    t100, t400 = prior.tables[("random_linear", 5)]
    assert (t100.max_dim, t100.fitted_dim) == (200, 100) and t400.max_dim >= 1 << 20
    assert prior.table("random_linear", 200, 5) is t100 and prior.table("random_linear", 201, 5) is t400
    # the cross-validated smoothing: one of the widths and floors tried, about the entropy
    from ganz.train.prior import FLOORS, SIGMAS

    sigma, floor, ce = choose_smoothing(lat[100], 5)
    assert sigma in SIGMAS and floor in FLOORS and 0 < ce < 5
    # round trip through JSON
    again = Prior.from_json(prior.to_json())
    assert all(a.digest == b.digest for k in prior.tables
               for a, b in zip(prior.tables[k], again.tables[k]))


def test_another_generators_prior_is_not_used():
    t = PRIOR.table("random_linear", 300, 4)
    f = GanzFile("random_linear", 64, 64, 0, "0123abcd" * 8, latent(t, 300), 4, scale=16.0)
    assert not pack(f, prior=PRIOR)[3] & FLAG_ENTROPY  # PRIOR is generator fedcba98's
