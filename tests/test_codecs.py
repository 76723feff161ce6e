"""Standard codecs at matched bytes, and Bjøntegaard deltas."""
import math

import numpy as np
import pytest

from ganz.baselines.imagecodecs import (CODECS, available_codecs, bd_psnr, bd_rate, codec_status,
                         encode_at_budget, encode_at_quality, rd_curve)
from ganz.core.errors import GanzError
from ganz.core.metrics import psnr
from images import make_image

AVAILABLE = available_codecs()


IMAGE = make_image(64)


def test_status_explains_every_codec():
    status = codec_status()
    assert set(status) == set(CODECS)
    assert all(status[name] == "available" for name in AVAILABLE)
    assert all(status[name] != "available" for name in set(CODECS) - set(AVAILABLE))
    assert {"jpeg", "wavelet"} <= set(AVAILABLE)


@pytest.mark.parametrize("name", AVAILABLE)
def test_round_trip(name):
    image = make_image(32, seed=1)
    lo, hi = CODECS[name].quality_range(32, 32)
    good = lo + 0.9 * (hi - lo) if CODECS[name].larger_with_knob else lo * 4
    point = encode_at_quality(name, image, good)
    assert point.recon.shape == image.shape and point.recon.dtype == np.uint8
    assert point.psnr > 25 and 0 < point.ssim <= 1
    assert np.array_equal(CODECS[name].decode(CODECS[name].encode(image, point.quality)),
                          point.recon)


def _one_step_larger(name: str, quality: float, steps: int) -> float | None:
    """The knob one search step towards larger files, or None at the end of the range."""
    codec = CODECS[name]
    lo, hi = codec.quality_range(*IMAGE.shape[:2])
    if codec.integer_quality:
        nxt = quality + (1 if codec.larger_with_knob else -1)
    else:
        factor = (hi / lo) ** (2.0 ** -steps)
        nxt = quality * factor if codec.larger_with_knob else quality / factor
    return nxt if lo <= nxt <= hi else None


@pytest.mark.parametrize("name", AVAILABLE)
def test_budget_search_finds_largest_file_under_budget(name):
    smallest = encode_at_budget(name, IMAGE, 1).num_bytes
    steps = 14
    for budget in (smallest + 150, 2 * smallest + 400):
        point = encode_at_budget(name, IMAGE, budget, steps=steps)
        assert point.reachable and point.num_bytes <= budget
        assert point.psnr == psnr(IMAGE, point.recon)
        nxt = _one_step_larger(name, point.quality, steps - 1)
        if nxt is not None:
            assert encode_at_quality(name, IMAGE, nxt).num_bytes > budget


@pytest.mark.parametrize("name", AVAILABLE)
def test_unreachable_budget_is_flagged(name):
    point = encode_at_budget(name, IMAGE, 1)
    assert not point.reachable and point.num_bytes > 1
    assert point.recon.shape == IMAGE.shape


def test_rd_curve_keeps_unreachable_points_and_rises():
    points = rd_curve("jpeg", IMAGE, [10, 600, 1000, 1500])
    assert [p.reachable for p in points] == [False, True, True, True]
    quality = [p.psnr for p in points[1:]]
    assert all(a < b for a, b in zip(quality, quality[1:]))
    assert all(p.num_bytes <= b for p, b in zip(points[1:], [600, 1000, 1500]))


def test_wavelet_budget_is_a_count_of_kept_coefficients():
    point = encode_at_budget("wavelet", IMAGE, 1000)
    assert isinstance(point.quality, int) and point.num_bytes <= 1000
    assert encode_at_quality("wavelet", IMAGE, point.quality + 1).num_bytes > 1000


RATES = np.array([0.2, 0.4, 0.8, 1.6, 3.2])
PSNRS = np.array([26.0, 29.5, 32.5, 35.0, 37.0])


def test_bd_rate_of_a_curve_against_itself_is_zero():
    assert abs(bd_rate(RATES, PSNRS, RATES, PSNRS)) < 1e-9
    assert abs(bd_psnr(RATES, PSNRS, RATES, PSNRS)) < 1e-9


def test_bd_rate_sign_convention():
    # A needs twice B's rate at every PSNR: +100 %; the other way round: -50 %.
    assert bd_rate(2 * RATES, PSNRS, RATES, PSNRS) == pytest.approx(100, abs=1e-6)
    assert bd_rate(RATES, PSNRS, 2 * RATES, PSNRS) == pytest.approx(-50, abs=1e-6)
    assert bd_psnr(RATES, PSNRS + 1, RATES, PSNRS) == pytest.approx(1, abs=1e-9)


def test_bd_is_nan_without_overlap_or_points():
    assert math.isnan(bd_rate(RATES, PSNRS, RATES, PSNRS + 20))
    assert math.isnan(bd_rate(RATES[:3], PSNRS[:3], RATES, PSNRS))
    assert math.isnan(bd_psnr(RATES, PSNRS, RATES * 100, PSNRS))


@pytest.mark.parametrize("call", [
    lambda: encode_at_budget("nope", IMAGE, 100),
    lambda: encode_at_budget("jpeg", IMAGE.astype(np.int16), 100),
    lambda: encode_at_budget("jpeg", IMAGE[..., :2], 100),
    lambda: encode_at_budget("jpeg", IMAGE, 0),
    lambda: rd_curve("jpeg", IMAGE, [100, -1]),
    lambda: encode_at_quality("jpeg", IMAGE, 120),
    lambda: bd_rate(RATES, PSNRS[:4], RATES, PSNRS),
    lambda: bd_rate(-RATES, PSNRS, RATES, PSNRS),
    lambda: bd_psnr(RATES, PSNRS, RATES, np.append(PSNRS[:4], np.inf)),
])
def test_bad_inputs_raise(call):
    with pytest.raises(GanzError):
        call()
