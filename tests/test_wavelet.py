"""The wavelet baseline: level choice, coefficient counts, honest bytes, blob round trip."""
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import pywt
from PIL import Image

from ganz.core.errors import GanzError
from ganz.core.metrics import psnr
from ganz.baselines.wavelet import (above_kth, wavelet_baseline, wavelet_decode, wavelet_encode,
                          wavelet_keep, wavelet_level, wavelet_threshold)
from images import make_image


@pytest.mark.parametrize("size, level", [(8, 3), (16, 4), (32, 4), (64, 4), (128, 4), (256, 4)])
def test_level(size, level):
    assert wavelet_level(size) == level


def test_psnr_rises_with_kept_coefficients_and_bytes():
    image = make_image(64)
    results = [wavelet_keep(image, keep) for keep in (8, 32, 128, 512, 2048)]
    quality = [psnr(image, r.recon) for r in results]
    sizes = [r.num_bytes for r in results]
    assert all(a < b for a, b in zip(quality, quality[1:]))
    assert all(a < b for a, b in zip(sizes, sizes[1:]))
    assert [r.kept for r in results] == [24, 96, 384, 1536, 6144]


def test_keeping_everything_is_near_lossless():
    image = make_image(32)
    assert psnr(image, wavelet_keep(image, 32 * 32).recon) > 50


def test_bytes_are_values_plus_compressed_bitmap():
    image = make_image(64)
    r32, r16 = wavelet_keep(image, 100), wavelet_keep(image, 100, value_bits=16)
    assert r32.num_bytes == len(r32.blob) and r16.num_bytes == len(r16.blob)
    assert r32.num_bytes - r16.num_bytes == 300 * 2
    assert r32.num_bytes > 300 * 4
    assert abs(psnr(image, r32.recon) - psnr(image, r16.recon)) < 0.1


@pytest.mark.parametrize("value_bits", [32, 16])
@pytest.mark.parametrize("size", [32, 64])
def test_blob_round_trip_equals_recon(size, value_bits):
    image = make_image(size, seed=size)
    result = wavelet_keep(image, 150, value_bits=value_bits)
    assert np.array_equal(wavelet_decode(result.blob, image.shape), result.recon)
    assert wavelet_encode(image, 150, value_bits=value_bits) == result.blob


def test_explicit_level_round_trip():
    image = make_image(64)
    result = wavelet_keep(image, 200, level=1)
    assert np.array_equal(wavelet_decode(result.blob), result.recon)
    assert result.recon.shape == image.shape and result.recon.dtype == np.uint8


def _reference(image, ratio, level=4):
    """The original's rule written out plainly (float32 in [0, 1], sort, threshold, no clip)."""
    unit = image.astype(np.float32) / 255
    divisor = max(1, ratio // 3)
    out = np.zeros(unit.shape, np.float32)
    for c in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr, slices = pywt.coeffs_to_array(
                pywt.wavedec2(unit[..., c], "db4", mode="periodization", level=level))
        magnitudes = np.sort(np.abs(arr).ravel())[::-1]
        arr = arr * (np.abs(arr) > magnitudes[int(magnitudes.size / divisor)])
        out[..., c] = pywt.waverec2(pywt.array_to_coeffs(arr, slices, output_format="wavedec2"),
                                    "db4", mode="periodization")
    return out, 10 * np.log10(1 / np.mean((out.astype(np.float64) - unit) ** 2))


@pytest.mark.parametrize("size, ratio", [(32, 10), (32, 50), (64, 20), (64, 200), (128, 30)])
def test_original_code_matches_an_independent_replica(size, ratio):
    image = make_image(size, seed=ratio)
    expected, expected_db = _reference(image, ratio)
    result = wavelet_baseline(image, ratio, "original_code")
    assert result.psnr == pytest.approx(expected_db, abs=1e-6)
    assert np.array_equal(result.recon, np.clip(np.rint(expected.astype(np.float64) * 255),
                                                 0, 255).astype(np.uint8))
    assert result.psnr_uint8 == pytest.approx(psnr(image, result.recon), abs=1e-9)
    assert np.array_equal(wavelet_decode(result.blob, image.shape), result.recon)
    assert result.kept <= 3 * int(size * size / (ratio // 3))


def test_level_four_even_below_the_pywt_maximum():
    """At 32 px pywt's dwt_max_level is 2; the original still goes to level 4."""
    image = make_image(32)
    result = wavelet_baseline(image, 100, "original_code")
    assert result.blob[4] == 4
    capped = wavelet_threshold(image, int(32 * 32 / 33), level=2)
    assert result.psnr > capped.psnr


def test_ties_at_the_threshold_are_all_dropped():
    magnitude = np.array([5.0, 4.0, 3.0, 3.0, 3.0, 1.0])
    assert above_kth(magnitude, 2).tolist() == [True, True, False, False, False, False]
    assert above_kth(magnitude, 1).tolist() == [True, False, False, False, False, False]
    assert above_kth(magnitude, 5).sum() == 5


def test_black_image_keeps_nothing():
    image = np.zeros((32, 32, 3), np.uint8)  # every coefficient is 0: all tie at the threshold
    result = wavelet_baseline(image, 10, "original_code")
    assert result.kept == 0
    assert np.array_equal(wavelet_decode(result.blob), image)


@pytest.mark.parametrize("ratio", [1, 3, 5.9])
def test_original_rule_refuses_ratios_below_six(ratio):
    with pytest.raises(GanzError, match=">= 6"):
        wavelet_baseline(make_image(32), ratio, "original_code")


def test_paper_text_keeps_a_third_of_the_original_count():
    image = make_image(64)
    ratio = 12  # 3 divides R: the original's count is exactly 3·d_c
    text = wavelet_baseline(image, ratio, "paper_text")
    code = wavelet_baseline(image, ratio, "original_code")
    d_c = round(image.size / ratio)
    assert text.kept <= d_c and code.kept <= 3 * d_c
    assert text.kept > 0.9 * d_c and code.kept > 0.9 * 3 * d_c
    assert code.psnr > text.psnr and code.num_bytes > text.num_bytes
    assert text.blob[4] == code.blob[4] == 4


def test_float_psnr_is_unclipped_and_unquantized():
    image = make_image(64)
    result = wavelet_baseline(image, 10, "original_code")
    assert result.psnr != result.psnr_uint8
    assert abs(result.psnr - result.psnr_uint8) < 1.0


JACK = Path(os.environ.get("GANZ_DATA", "data")) / "ood" / "jack.png"


@pytest.mark.skipif(not JACK.is_file(), reason="the out-of-domain images are not on this machine")
def test_jack_reproduces_the_papers_fig4_wavelet_labels():
    image = np.asarray(Image.open(JACK).convert("RGB"))
    assert image.shape == (128, 128, 3)
    r10 = wavelet_baseline(image, 10, "original_code")
    assert r10.psnr == pytest.approx(42.71, abs=0.01)  # the paper's label, as the code computed it
    assert r10.psnr_uint8 == pytest.approx(42.60, abs=0.01)  # the 8-bit image a user gets
    labels = {20: 37.00, 50: 31.64, 100: 28.61, 768: 21.40}  # the replica's values, within 0.01
    for ratio, label in labels.items():
        assert wavelet_baseline(image, ratio, "original_code").psnr == pytest.approx(label,
                                                                                     abs=0.01)


@pytest.mark.parametrize("call", [
    lambda im: wavelet_keep(im.astype(np.float32), 10),
    lambda im: wavelet_keep(im[..., 0], 10),
    lambda im: wavelet_keep(im, 0),
    lambda im: wavelet_keep(im, 10, level=6),
    lambda im: wavelet_keep(im, 10, value_bits=8),
    lambda im: wavelet_keep(im[:1, :1], 10),
    lambda im: wavelet_baseline(im, 0, "paper_text"),
    lambda im: wavelet_baseline(im, 1e9, "paper_text"),
    lambda im: wavelet_baseline(im, 8, "other"),
    lambda im: wavelet_decode(b"\x00\x01"),
    lambda im: wavelet_decode(wavelet_encode(im, 10)[:-3]),
    lambda im: wavelet_decode(wavelet_encode(im, 10), (64, 64, 3)),
    lambda im: wavelet_threshold(im, 10, level=6),
    lambda im: wavelet_threshold(im, 0),
    lambda im: wavelet_baseline(im[:8, :8], 10, "original_code"),
])


def test_bad_inputs_raise(call):
    with pytest.raises(GanzError):
        call(make_image(32))
