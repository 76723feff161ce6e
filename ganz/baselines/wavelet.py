"""The paper's wavelet baseline: keep the largest db4 coefficients, counted in real bytes.

Two families share one blob format:

* :func:`wavelet_keep` (the codec of the rate-distortion chapter): an exact number of the largest
  coefficients per channel, transformed on pixel values 0–255, at :func:`wavelet_level` (4, as
  the baseline, wherever the image has room for it).
* :func:`wavelet_baseline` (the figures' baseline), both variants by the original code's rule:
  db4, periodization, **level 4 at every size** (periodization allows levels beyond pywt's
  ``dwt_max_level``; pywt's warning about it is silenced), the image as float32 in [0, 1], per
  channel the coefficients whose magnitude is strictly greater than the ``k``-th largest
  (0-based index ``k`` of the magnitudes sorted in descending order; ties at that value are all
  dropped, so at most ``k`` survive). Its ``psnr`` is what the original computed: the unclipped,
  unquantized float reconstruction against the float image, MAX = 1; ``psnr_uint8`` is the PSNR
  of the 8-bit image a user gets from the blob (``recon``).

Blob layout (little endian): a 6-byte header (height, width as uint16; level, value bits as
uint8, the bit 0x80 of the latter set when values are on the [0, 1] scale), a zlib stream
(level 9) of the packed keep-bitmap over every coefficient of the three channels, then the kept
values as float32 (or float16) in bitmap order. The blob decodes to ``recon``.
"""
from __future__ import annotations

import struct
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import pywt

from ..core.errors import GanzError

WAVELET = "db4"
MODE = "periodization"
MAX_LEVEL = 4  # the original code decomposes to level 4 at every image size
MIN_ORIGINAL_RATIO = 6  # the original refuses R // 3 < 2
_HEADER = struct.Struct("<HHBB")
_VALUE_DTYPES = {32: np.dtype("<f4"), 16: np.dtype("<f2")}
_UNIT_SCALE = 0x80  # value-bits flag: coefficients of the image in [0, 1], not 0–255


@dataclass(frozen=True)
class WaveletResult:
    """A reconstruction and the serialized payload it decodes from."""

    recon: np.ndarray  # (H, W, 3) uint8: what the blob decodes to
    num_bytes: int  # len(blob)
    kept: int  # coefficients kept over all three channels
    blob: bytes
    psnr: float = float("nan")  # dB; for wavelet_baseline: float recon vs float image, MAX = 1
    psnr_uint8: float = float("nan")  # dB of ``recon`` against the uint8 image


def check_rgb8(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as an array if it is an (H, W, 3) uint8 image, else raise GanzError."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise GanzError(f"expected a uint8 image, got dtype {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise GanzError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    return image


def wavelet_level(size: int) -> int:
    """The codec's decomposition level for a side of ``size`` pixels: 4, as the original code and
    the figures' baseline (periodization allows it beyond pywt's ``dwt_max_level``), capped only
    where a band would have no sample left (sides under 16)."""
    level = min(MAX_LEVEL, _top_level(size, size))
    if level < 1:
        raise GanzError(f"image side {size} is too small for a {WAVELET} wavelet decomposition")
    return level


def _top_level(height: int, width: int) -> int:
    """The deepest periodized level: every band keeps at least one sample."""
    return int(np.floor(np.log2(min(height, width))))


def _wavedec(channel: np.ndarray, level: int) -> list:
    with warnings.catch_warnings():  # "level too high: boundary effects" — fine with periodization
        warnings.simplefilter("ignore", UserWarning)
        return pywt.wavedec2(channel, WAVELET, mode=MODE, level=level)


def _layout(height: int, width: int, level: int) -> tuple[tuple[int, int], list]:
    """Shape of the flattened coefficient array and its subband slices for this image size."""
    array, slices = pywt.coeffs_to_array(_wavedec(np.zeros((height, width)), level))
    return array.shape, slices


def _synthesize_float(arrays: np.ndarray, height: int, width: int, level: int) -> np.ndarray:
    """Inverse transform of per-channel coefficient arrays (3, h', w'): (H, W, 3), unclipped."""
    _, slices = _layout(height, width, level)
    channels = []
    for array in arrays:
        coeffs = pywt.array_to_coeffs(array, slices, output_format="wavedec2")
        channels.append(pywt.waverec2(coeffs, WAVELET, mode=MODE)[:height, :width])
    return np.stack(channels, axis=-1)


def _to_uint8(recon: np.ndarray, unit: bool) -> np.ndarray:
    scaled = recon.astype(np.float64) * (255.0 if unit else 1.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _psnr(x: np.ndarray, y: np.ndarray, max_value: float) -> float:
    mse = np.mean((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2)
    return float("inf") if mse == 0 else float(20 * np.log10(max_value) - 10 * np.log10(mse))


def _check_level(height: int, width: int, level: int, top: int) -> None:
    if not 1 <= level <= top:
        raise GanzError(f"level must be in 1..{top} for a {height}x{width} image, got {level}")


def _encode(image: np.ndarray, level: int, value_bits: int, unit: bool, select) -> WaveletResult:
    """Transform, select per channel (``select(magnitudes) -> mask``), serialize, reconstruct."""
    height, width = image.shape[:2]
    if max(height, width) > 0xFFFF:
        raise GanzError(f"image {height}x{width} is too large for the wavelet blob header")
    if value_bits not in _VALUE_DTYPES:
        raise GanzError(f"value_bits must be 32 or 16, got {value_bits}")
    pixels = image.astype(np.float32) / np.float32(255) if unit else image.astype(np.float64)
    arrays = np.stack([pywt.coeffs_to_array(_wavedec(pixels[..., c], level))[0]
                       for c in range(3)])
    flat = arrays.reshape(3, -1)
    mask = np.stack([select(np.abs(flat[c])) for c in range(3)])
    values = flat[mask].astype(_VALUE_DTYPES[value_bits])
    stored = np.zeros_like(flat)
    stored[mask] = values.astype(flat.dtype)
    recon_float = _synthesize_float(stored.reshape(arrays.shape), height, width, level)
    recon = _to_uint8(recon_float, unit)
    flag = value_bits | (_UNIT_SCALE if unit else 0)
    blob = (_HEADER.pack(height, width, level, flag)
            + zlib.compress(np.packbits(mask).tobytes(), 9) + values.tobytes())
    quality = _psnr(pixels, recon_float, 1.0 if unit else 255.0)
    return WaveletResult(recon=recon, num_bytes=len(blob), kept=int(mask.sum()), blob=blob,
                         psnr=quality, psnr_uint8=_psnr(image, recon, 255.0))


def wavelet_keep(image: np.ndarray, keep_per_channel: int, level: int | None = None,
                 value_bits: int = 32) -> WaveletResult:
    """Keep the ``keep_per_channel`` largest-magnitude coefficients of each channel (the codec).

    Values are stored with ``value_bits`` (32 → float32, 16 → float16); the reconstruction is
    made from those stored values, so it equals ``wavelet_decode(result.blob)``.
    """
    image = check_rgb8(image)
    height, width = image.shape[:2]
    level = wavelet_level(min(height, width)) if level is None else level
    _check_level(height, width, level, _top_level(height, width))
    if keep_per_channel < 1:
        raise GanzError(f"must keep at least one coefficient per channel, got {keep_per_channel}")

    def top_k(magnitude: np.ndarray) -> np.ndarray:
        keep = min(int(keep_per_channel), magnitude.size)
        mask = np.zeros(magnitude.shape, dtype=bool)
        mask[np.argpartition(-magnitude, keep - 1)[:keep]] = True
        return mask

    return _encode(image, level, value_bits, False, top_k)


def above_kth(magnitude: np.ndarray, k: int) -> np.ndarray:
    """The original's selection: magnitudes strictly greater than the ``k``-th largest (0-based).

    At most ``k`` survive (fewer where magnitudes tie at the threshold)."""
    ordered = np.sort(magnitude.ravel())[::-1]
    return magnitude > ordered[min(k, ordered.size - 1)]


def wavelet_threshold(image: np.ndarray, keep_index: int, level: int = MAX_LEVEL,
                      value_bits: int = 32) -> WaveletResult:
    """The original code's thresholding with ``keep_index`` = its per-channel index ``k``."""
    image = check_rgb8(image)
    height, width = image.shape[:2]
    _check_level(height, width, level, _top_level(height, width))
    if keep_index < 1:
        raise GanzError(f"must keep at least one coefficient per channel, got {keep_index}")
    return _encode(image, level, value_bits, True, lambda m: above_kth(m, keep_index))


def wavelet_decode(blob: bytes, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Decode a wavelet blob to an (H, W, 3) uint8 image; ``shape``, if given, must match."""
    try:
        height, width, level, flag = _HEADER.unpack_from(blob)
        unit, value_bits = bool(flag & _UNIT_SCALE), flag & ~_UNIT_SCALE
        if not 1 <= level <= _top_level(height, width):
            raise ValueError(f"level {level} does not fit a {height}x{width} image")
        inflater = zlib.decompressobj()
        bits = inflater.decompress(blob[_HEADER.size:])
        array_shape, _ = _layout(height, width, level)
        count = 3 * array_shape[0] * array_shape[1]
        if len(bits) != -(-count // 8):
            raise ValueError("bitmap length does not match the image size")
        mask = np.unpackbits(np.frombuffer(bits, dtype=np.uint8), count=count).astype(bool)
        values = np.frombuffer(inflater.unused_data, dtype=_VALUE_DTYPES[value_bits])
    except (struct.error, zlib.error, KeyError, ValueError) as err:
        raise GanzError(f"corrupt wavelet blob: {err}") from None
    if shape is not None and tuple(shape[:2]) != (height, width):
        raise GanzError(f"wavelet blob is {height}x{width}, expected {shape[0]}x{shape[1]}")
    if values.size != mask.sum():
        raise GanzError("corrupt wavelet blob: bitmap and value count disagree")
    stored = np.zeros(count, dtype=np.float32 if unit else np.float64)
    stored[mask] = values.astype(stored.dtype)
    recon = _synthesize_float(stored.reshape(3, *array_shape), height, width, level)
    return _to_uint8(recon, unit)


def original_keep_index(n_channel: int, ratio: float) -> int:
    """The original's per-channel index: int(N_channel / max(1, R // 3)); R < 6 is refused."""
    divisor = max(1, ratio // 3)
    if divisor == 1:
        raise GanzError(f"the original wavelet rule needs a ratio >= {MIN_ORIGINAL_RATIO}, "
                        f"got {ratio:g}")
    return int(n_channel / divisor)


def wavelet_baseline(image: np.ndarray, ratio: float, variant: str,
                     value_bits: int = 32) -> WaveletResult:
    """The paper's baseline at compression ratio ``ratio`` (N / d_c, N = H·W·3).

    Both variants use the original code's rule (module docstring) and differ in the count:
    ``"original_code"`` thresholds each channel at index int(N_channel / max(1, R // 3)) — about
    three times GANZ's d_c in total, exactly when 3 divides R — and refuses R < 6, as the code
    did; ``"paper_text"`` keeps d_c = round(N / R) in total (index max(1, round(d_c / 3)) per
    channel), as many as GANZ's latent has, as the paper's text describes. Pass the nominal
    ratio (10, not 3072 / 307) for the original's count.
    """
    image = check_rgb8(image)
    if not ratio > 0:
        raise GanzError(f"ratio must be > 0, got {ratio}")
    n_channel = image.shape[0] * image.shape[1]
    if variant == "paper_text":
        d_c = round(image.size / ratio)
        if d_c < 1:
            raise GanzError(f"ratio {ratio} keeps no coefficient of a {image.shape[0]}x"
                            f"{image.shape[1]} image")
        index = max(1, round(d_c / 3))
    elif variant == "original_code":
        index = original_keep_index(n_channel, ratio)
    else:
        raise GanzError(f"unknown wavelet variant {variant!r} (paper_text or original_code)")
    if index < 1:
        raise GanzError(f"ratio {ratio} keeps no coefficient of a {image.shape[0]}x"
                        f"{image.shape[1]} image")
    return wavelet_threshold(image, index, MAX_LEVEL, value_bits)


def wavelet_encode(image: np.ndarray, keep_per_channel: int, level: int | None = None,
                   value_bits: int = 32) -> bytes:
    """Serialized payload of :func:`wavelet_keep`."""
    return wavelet_keep(image, keep_per_channel, level, value_bits).blob
