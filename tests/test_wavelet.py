"""The wavelet baseline: level choice, coefficient counts, honest bytes, blob round trip."""
import numpy as np
import pytest

from ganz.errors import GanzError
from ganz.metrics import psnr
from ganz.wavelet import (wavelet_baseline, wavelet_decode, wavelet_encode, wavelet_keep,
                          wavelet_level)
from images import make_image


@pytest.mark.parametrize("size, level", [(32, 2), (64, 3), (128, 4), (256, 4)])
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


def test_original_code_keeps_three_times_paper_text():
    image = make_image(64)
    ratio = 64 * 64 * 3 / 1536  # d_c = 1536, divisible by 3
    paper = wavelet_baseline(image, ratio, "paper_text")
    original = wavelet_baseline(image, ratio, "original_code")
    assert paper.kept == 1536
    assert original.kept == 3 * paper.kept
    assert psnr(image, original.recon) > psnr(image, paper.recon)
    assert original.num_bytes > paper.num_bytes


@pytest.mark.parametrize("call", [
    lambda im: wavelet_keep(im.astype(np.float32), 10),
    lambda im: wavelet_keep(im[..., 0], 10),
    lambda im: wavelet_keep(im, 0),
    lambda im: wavelet_keep(im, 10, level=5),
    lambda im: wavelet_keep(im, 10, value_bits=8),
    lambda im: wavelet_keep(im[:8, :8], 10),
    lambda im: wavelet_baseline(im, 0, "paper_text"),
    lambda im: wavelet_baseline(im, 1e9, "paper_text"),
    lambda im: wavelet_baseline(im, 8, "other"),
    lambda im: wavelet_decode(b"\x00\x01"),
    lambda im: wavelet_decode(wavelet_encode(im, 10)[:-3]),
    lambda im: wavelet_decode(wavelet_encode(im, 10), (64, 64, 3)),
])


def test_bad_inputs_raise(call):
    with pytest.raises(GanzError):
        call(make_image(32))
