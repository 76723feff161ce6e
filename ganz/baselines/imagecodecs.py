"""Standard image codecs behind one interface, searched to matched byte budgets, and BD-rate.

Every codec is one :class:`Codec` entry in :data:`CODECS`: an in-memory encoder taking a
quality knob, a decoder, the knob's range, and a check saying whether it can run here.
The knob is the codec's own: JPEG/WebP/AVIF quality, the JPEG 2000 compression rate, the
JPEG XL distance, or the number of wavelet coefficients kept per channel. The functions below
take a registered name or a :class:`Codec` itself: GANZ, which needs a loaded generator, is one
made on demand (``ganz.baselines.ganzcodec``; its knob is d_c, the number of latent values).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from PIL import Image, features

from ..core.errors import GanzError
from ..core.metrics import bpp, psnr, ssim
from .wavelet import check_rgb8, wavelet_decode, wavelet_encode


@dataclass(frozen=True)
class Codec:
    """One codec. ``larger_with_knob``: whether files grow as the knob grows. ``encode_batch``:
    several images (n, H, W, 3) at one knob in one call, one file each (None: ``encode`` per image)."""

    name: str
    encode: Callable[[np.ndarray, float], bytes]
    decode: Callable[[bytes], np.ndarray]
    quality_range: Callable[[int, int], tuple[float, float]]  # (height, width) -> (lo, hi)
    integer_quality: bool
    missing: Callable[[], str | None]  # why it cannot run here, or None
    larger_with_knob: bool = True
    log_scale: bool = False
    encode_batch: Callable[[np.ndarray, float], list[bytes]] | None = None


@dataclass(frozen=True)
class CodecPoint:
    """One encoding of an image. ``reachable=False``: the budget was below the codec's minimum
    file; the point is then the smallest file the codec makes."""

    codec: str
    quality: float
    num_bytes: int
    bpp: float
    psnr: float
    ssim: float
    recon: np.ndarray = field(repr=False)
    reachable: bool = True


def _pillow_encoder(fmt: str, knob: str, **options) -> Callable[[np.ndarray, float], bytes]:
    def encode(image: np.ndarray, quality: float) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format=fmt, **{knob: quality}, **options)
        return buffer.getvalue()
    return encode


def _jpeg2000_encode(image: np.ndarray, rate: float) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG2000", quality_mode="rates",
                                quality_layers=[rate], irreversible=True, mct=1, no_jp2=True)
    return buffer.getvalue()


def _pillow_decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def _pillow_missing(feature: str) -> Callable[[], str | None]:
    return lambda: None if features.check(feature) else f"Pillow built without {feature}"


def _jpegxl_missing() -> str | None:
    try:
        import imagecodecs
    except ImportError:
        return "imagecodecs not installed (pip install ganz[codecs])"
    return None if imagecodecs.JPEGXL.available else "imagecodecs built without JPEG XL"


def _jpegxl_encode(image: np.ndarray, distance: float) -> bytes:
    import imagecodecs
    return bytes(imagecodecs.jpegxl_encode(image, distance=distance))


def _jpegxl_decode(data: bytes) -> np.ndarray:
    import imagecodecs
    return np.asarray(imagecodecs.jpegxl_decode(data))


def _fixed(lo: float, hi: float) -> Callable[[int, int], tuple[float, float]]:
    return lambda height, width: (lo, hi)


CODECS: dict[str, Codec] = {codec.name: codec for codec in [
    Codec("jpeg", _pillow_encoder("JPEG", "quality", optimize=True), _pillow_decode,
          _fixed(1, 95), True, _pillow_missing("jpg")),
    Codec("webp", _pillow_encoder("WEBP", "quality", method=6), _pillow_decode,
          _fixed(0, 100), True, _pillow_missing("webp")),
    Codec("jpeg2000", _jpeg2000_encode, _pillow_decode, _fixed(1.0, 1000.0), False,
          _pillow_missing("jpg_2000"), larger_with_knob=False, log_scale=True),
    Codec("avif", _pillow_encoder("AVIF", "quality"), _pillow_decode,
          _fixed(0, 100), True, _pillow_missing("avif")),
    Codec("jpegxl", _jpegxl_encode, _jpegxl_decode, _fixed(0.05, 25.0), False,
          _jpegxl_missing, larger_with_knob=False, log_scale=True),
    Codec("wavelet", lambda image, keep: wavelet_encode(image, int(keep)), wavelet_decode,
          lambda height, width: (1, height * width), True, lambda: None),
]}


def codec_status() -> dict[str, str]:
    """Each registered codec's state here: ``"available"`` or why it is not."""
    return {name: codec.missing() or "available" for name, codec in CODECS.items()}


def available_codecs() -> list[str]:
    """Names of the codecs that can run here."""
    return [name for name, codec in CODECS.items() if codec.missing() is None]


def _get(codec_name: str | Codec) -> Codec:
    if isinstance(codec_name, Codec):
        codec_name, codec = codec_name.name, codec_name
    else:
        codec = CODECS.get(codec_name)
    if codec is None:
        raise GanzError(f"unknown codec {codec_name!r} (known: {', '.join(CODECS)})")
    reason = codec.missing()
    if reason is not None:
        raise GanzError(f"codec {codec_name} is unavailable: {reason}")
    return codec


def _point(codec: Codec, image: np.ndarray, quality: float, data: bytes,
           reachable: bool = True) -> CodecPoint:
    recon = codec.decode(data)
    if recon.shape != image.shape:
        raise GanzError(f"{codec.name} decoded shape {recon.shape}, expected {image.shape}")
    height, width = image.shape[:2]
    return CodecPoint(codec.name, quality, len(data), bpp(len(data), height, width),
                      psnr(image, recon), ssim(image, recon), recon, reachable)


def _knob(codec: Codec, quality: float, height: int, width: int) -> float:
    lo, hi = codec.quality_range(height, width)
    if not lo <= quality <= hi:
        raise GanzError(f"{codec.name} quality must be in [{lo:g}, {hi:g}], got {quality}")
    return int(round(quality)) if codec.integer_quality else float(quality)


def encode_at_quality(codec_name: str | Codec, image: np.ndarray, quality: float) -> CodecPoint:
    """Encode ``image`` with the codec's knob at ``quality`` and measure the result."""
    codec, image = _get(codec_name), check_rgb8(image)
    quality = _knob(codec, quality, *image.shape[:2])
    return _point(codec, image, quality, codec.encode(image, quality))


def encode_images(codec_name: str | Codec, images, quality: float) -> list[CodecPoint]:
    """Several images (a sequence or an (n, H, W, 3) array) at one knob: one file and one point
    (its own byte count, PSNR, SSIM) per image; a codec with ``encode_batch`` encodes them in one call."""
    codec = _get(codec_name)
    images = [check_rgb8(im) for im in images]
    if not images:
        return []
    quality = _knob(codec, quality, *images[0].shape[:2])
    if codec.encode_batch is not None and len({im.shape for im in images}) == 1:
        files = codec.encode_batch(np.stack(images), quality)
    else:
        files = [codec.encode(im, quality) for im in images]
    return [_point(codec, im, quality, data) for im, data in zip(images, files)]


class _Search:
    """Budget search for one codec and image; encodings are cached across budgets.

    The knob is reparametrized as t in [0, 1], t = 0 giving the smallest file and t = 1 the
    largest; integer knobs are searched over their integer values, others over ``steps``
    bisection steps (in log space where the codec says so).
    """

    def __init__(self, codec: Codec, image: np.ndarray, steps: int):
        self.codec, self.image, self.steps = codec, image, steps
        self.lo, self.hi = codec.quality_range(*image.shape[:2])
        self.cache: dict[float, bytes] = {}

    def knob(self, t: float) -> float:
        if not self.codec.larger_with_knob:
            t = 1.0 - t
        if self.codec.integer_quality:
            return int(self.lo) + round(t * (int(self.hi) - int(self.lo)))
        if self.codec.log_scale:
            return float(self.lo * (self.hi / self.lo) ** t)
        return float(self.lo + t * (self.hi - self.lo))

    def encode(self, t: float) -> tuple[float, bytes]:
        quality = self.knob(t)
        if quality not in self.cache:
            self.cache[quality] = self.codec.encode(self.image, quality)
        return quality, self.cache[quality]

    def at_budget(self, max_bytes: int) -> CodecPoint:
        quality, data = self.encode(0.0)
        if len(data) > max_bytes:
            return _point(self.codec, self.image, quality, data, reachable=False)
        top_quality, top_data = self.encode(1.0)
        if len(top_data) <= max_bytes:
            return _point(self.codec, self.image, top_quality, top_data)
        if self.codec.integer_quality:
            span = abs(int(self.hi) - int(self.lo))
            low, high = 0, span  # invariant: index low fits the budget, index high does not
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if self.fits(mid / span, max_bytes) else (low, mid)
            t = low / span
        else:
            low, high = 0.0, 1.0
            for _ in range(self.steps):
                mid = (low + high) / 2
                low, high = (mid, high) if self.fits(mid, max_bytes) else (low, mid)
            t = low
        return _point(self.codec, self.image, *self.encode(t))

    def fits(self, t: float, max_bytes: int) -> bool:
        return len(self.encode(t)[1]) <= max_bytes


def _check_budget(max_bytes: int) -> None:
    if max_bytes < 1:
        raise GanzError(f"byte budget must be >= 1, got {max_bytes}")


def encode_at_budget(codec_name: str | Codec, image: np.ndarray, max_bytes: int,
                     steps: int = 14) -> CodecPoint:
    """The largest file ≤ ``max_bytes``, by bisection over the codec's knob.

    The bisection treats size as monotone in the knob; where a codec's size wobbles, the
    answer is the fitting end of the final bracket (the next knob step does not fit).
    If even the smallest file exceeds the budget, the smallest file is returned with
    ``reachable=False``. Continuous knobs use ``steps`` bisection steps.
    """
    codec, image = _get(codec_name), check_rgb8(image)
    _check_budget(max_bytes)
    return _Search(codec, image, steps).at_budget(max_bytes)


def rd_curve(codec_name: str | Codec, image: np.ndarray, budgets_bytes: list[int],
             steps: int = 14) -> list[CodecPoint]:
    """One :func:`encode_at_budget` point per budget (unreachable ones flagged, not dropped)."""
    codec, image = _get(codec_name), check_rgb8(image)
    for budget in budgets_bytes:
        _check_budget(budget)
    search = _Search(codec, image, steps)
    return [search.at_budget(budget) for budget in budgets_bytes]


def _bd_inputs(rate_a, psnr_a, rate_b, psnr_b) -> tuple[np.ndarray, ...] | None:
    arrays = [np.asarray(v, dtype=np.float64).ravel() for v in (rate_a, psnr_a, rate_b, psnr_b)]
    if arrays[0].size != arrays[1].size or arrays[2].size != arrays[3].size:
        raise GanzError("each curve needs as many rates as PSNR values")
    if np.any(arrays[0] <= 0) or np.any(arrays[2] <= 0):
        raise GanzError("rates must be positive")
    if not all(np.isfinite(a).all() for a in arrays):
        raise GanzError("rates and PSNR values must be finite")
    if arrays[0].size < 4 or arrays[2].size < 4:
        return None
    return arrays[0], arrays[1], arrays[2], arrays[3]


def _mean_gap(x_a, y_a, x_b, y_b) -> float:
    """Mean of fit_a − fit_b (cubic fits of y against x) over the overlap of the x ranges."""
    lo, hi = max(x_a.min(), x_b.min()), min(x_a.max(), x_b.max())
    if not hi > lo:
        return math.nan
    fit_a = np.polyint(np.polyfit(x_a, y_a, 3))
    fit_b = np.polyint(np.polyfit(x_b, y_b, 3))
    area = (np.polyval(fit_a, hi) - np.polyval(fit_a, lo)) - (
        np.polyval(fit_b, hi) - np.polyval(fit_b, lo))
    return float(area / (hi - lo))


def bd_rate(rate_a, psnr_a, rate_b, psnr_b) -> float:
    """Bjøntegaard delta-rate of curve A against curve B, in percent.

    Positive means A needs more bits than B for the same PSNR (+100: twice as many).
    Log-rate is fitted as a cubic in PSNR and averaged over the overlapping PSNR interval;
    nan if that overlap is empty or a curve has fewer than 4 points. Rates must be positive
    and PSNRs finite (leave lossless points out).
    """
    inputs = _bd_inputs(rate_a, psnr_a, rate_b, psnr_b)
    if inputs is None:
        return math.nan
    r_a, p_a, r_b, p_b = inputs
    gap = _mean_gap(p_a, np.log(r_a), p_b, np.log(r_b))
    return float((math.exp(gap) - 1) * 100) if math.isfinite(gap) else math.nan


def bd_psnr(rate_a, psnr_a, rate_b, psnr_b) -> float:
    """Bjøntegaard delta-PSNR of A against B in dB (positive: A has higher PSNR at equal rate).

    PSNR is fitted as a cubic in log-rate over the overlapping rate interval; nan as in
    :func:`bd_rate`.
    """
    inputs = _bd_inputs(rate_a, psnr_a, rate_b, psnr_b)
    if inputs is None:
        return math.nan
    r_a, p_a, r_b, p_b = inputs
    return _mean_gap(np.log(r_a), p_a, np.log(r_b), p_b)
