"""The paper's wavelet baseline: keep the largest db4 coefficients, counted in real bytes.

Blob layout (little endian): a 6-byte header (height, width as uint16; level, value bits as
uint8), a zlib stream (level 9) of the packed keep-bitmap over every coefficient of the three
channels, then the kept values as float32 (or float16) in bitmap order.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np
import pywt

from ganz.errors import GanzError

WAVELET = "db4"
MODE = "periodization"
MAX_LEVEL = 4
_HEADER = struct.Struct("<HHBB")
_VALUE_DTYPES = {32: np.dtype("<f4"), 16: np.dtype("<f2")}


@dataclass(frozen=True)
class WaveletResult:
    """A reconstruction and the serialized payload it decodes from."""

    recon: np.ndarray  # (H, W, 3) uint8
    num_bytes: int  # len(blob)
    kept: int  # coefficients kept over all three channels
    blob: bytes


def check_rgb8(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as an array if it is an (H, W, 3) uint8 image, else raise GanzError."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise GanzError(f"expected a uint8 image, got dtype {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise GanzError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    return image


def wavelet_level(size: int) -> int:
    """Decomposition level for a side of ``size`` pixels: 4, capped by db4's maximum level."""
    level = min(MAX_LEVEL, pywt.dwt_max_level(size, WAVELET))
    if level < 1:
        raise GanzError(f"image side {size} is too small for a {WAVELET} wavelet decomposition")
    return level


def _layout(height: int, width: int, level: int) -> tuple[tuple[int, int], list]:
    """Shape of the flattened coefficient array and its subband slices for this image size."""
    coeffs = pywt.wavedec2(np.zeros((height, width)), WAVELET, mode=MODE, level=level)
    array, slices = pywt.coeffs_to_array(coeffs)
    return array.shape, slices


def _synthesize(arrays: np.ndarray, height: int, width: int, level: int) -> np.ndarray:
    """Inverse transform of per-channel coefficient arrays (3, h', w') to a uint8 image."""
    _, slices = _layout(height, width, level)
    channels = []
    for array in arrays:
        coeffs = pywt.array_to_coeffs(array, slices, output_format="wavedec2")
        channels.append(pywt.waverec2(coeffs, WAVELET, mode=MODE)[:height, :width])
    return np.clip(np.rint(np.stack(channels, axis=-1)), 0, 255).astype(np.uint8)


def wavelet_keep(image: np.ndarray, keep_per_channel: int, level: int | None = None,
                 value_bits: int = 32) -> WaveletResult:
    """Keep the ``keep_per_channel`` largest-magnitude coefficients of each channel.

    Values are stored with ``value_bits`` (32 → float32, 16 → float16); the reconstruction is
    made from those stored values, so it equals ``wavelet_decode(result.blob)``.
    """
    image = check_rgb8(image)
    height, width = image.shape[:2]
    if max(height, width) > 0xFFFF:
        raise GanzError(f"image {height}x{width} is too large for the wavelet blob header")
    if value_bits not in _VALUE_DTYPES:
        raise GanzError(f"value_bits must be 32 or 16, got {value_bits}")
    default_level = wavelet_level(min(height, width))
    top = pywt.dwt_max_level(min(height, width), WAVELET)
    level = default_level if level is None else level
    if not 1 <= level <= top:
        raise GanzError(f"level must be in 1..{top} for a {height}x{width} image, got {level}")
    if keep_per_channel < 1:
        raise GanzError(f"must keep at least one coefficient per channel, got {keep_per_channel}")

    arrays = np.stack([
        pywt.coeffs_to_array(pywt.wavedec2(image[..., c].astype(np.float64), WAVELET,
                                           mode=MODE, level=level))[0]
        for c in range(3)])
    flat = arrays.reshape(3, -1)
    keep = min(int(keep_per_channel), flat.shape[1])
    mask = np.zeros(flat.shape, dtype=bool)
    for c in range(3):
        mask[c, np.argpartition(-np.abs(flat[c]), keep - 1)[:keep]] = True
    values = flat[mask].astype(_VALUE_DTYPES[value_bits])

    stored = np.zeros_like(flat)
    stored[mask] = values.astype(np.float64)
    recon = _synthesize(stored.reshape(arrays.shape), height, width, level)
    blob = (_HEADER.pack(height, width, level, value_bits)
            + zlib.compress(np.packbits(mask).tobytes(), 9) + values.tobytes())
    return WaveletResult(recon=recon, num_bytes=len(blob), kept=3 * keep, blob=blob)


def wavelet_encode(image: np.ndarray, keep_per_channel: int, level: int | None = None,
                   value_bits: int = 32) -> bytes:
    """Serialized payload of :func:`wavelet_keep`."""
    return wavelet_keep(image, keep_per_channel, level, value_bits).blob


def wavelet_decode(blob: bytes, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Decode a wavelet blob to an (H, W, 3) uint8 image; ``shape``, if given, must match."""
    try:
        height, width, level, value_bits = _HEADER.unpack_from(blob)
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
    stored = np.zeros(count)
    stored[mask] = values.astype(np.float64)
    return _synthesize(stored.reshape(3, *array_shape), height, width, level)


def wavelet_baseline(image: np.ndarray, ratio: float, variant: str,
                     value_bits: int = 32) -> WaveletResult:
    """The paper's baseline at compression ratio ``ratio`` (N / d_c, N = H·W·3).

    ``"paper_text"`` keeps d_c = round(N / ratio) coefficients in total (round(d_c / 3) per
    channel, at least 1), as many as GANZ's latent has; ``"original_code"`` keeps
    N_channel / (ratio / 3) = d_c per channel, three times more, as the paper's code did.
    """
    image = check_rgb8(image)
    if not ratio > 0:
        raise GanzError(f"ratio must be > 0, got {ratio}")
    d_c = round(image.size / ratio)
    if variant == "paper_text":
        keep = max(1, round(d_c / 3)) if d_c >= 1 else 0
    elif variant == "original_code":
        keep = d_c
    else:
        raise GanzError(f"unknown wavelet variant {variant!r} (paper_text or original_code)")
    if keep < 1:
        raise GanzError(f"ratio {ratio} keeps no coefficient of a {image.shape[0]}x"
                        f"{image.shape[1]} image")
    return wavelet_keep(image, keep, value_bits=value_bits)
