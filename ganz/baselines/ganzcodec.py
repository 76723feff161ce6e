"""GANZ behind the baselines' one interface, :class:`ganz.baselines.imagecodecs.Codec`.

>>> codec = ganz_codec("cpu-small-d64", bits=8)
>>> point = encode_at_budget(codec, image, 300)      # or encode_at_quality, rd_curve, encode_images

The knob is d_c, the number of latent values of the ``random_linear`` first layer (1 to the
model's 3·H·W pixel values): files grow with it, so the budget search of
:func:`~ganz.baselines.imagecodecs.encode_at_budget` applies unchanged. Encoding is
``GanzCodec.compress`` (one ``.ganz`` file per image, its bytes that image's count), decoding
``GanzCodec.decompress``; several images of one knob are inverted as one batch (``encode_batch``).
Images must be the model's size. Not in ``CODECS``: it needs a loaded generator, so a rate–distortion
table of the registered codecs (and its cache key) is the same with or without it.

:func:`ganz_at_budget` is ``ganz compress --max-bytes`` behind the same ``CodecPoint``: the search
of ``ganz.core.budget`` (bit depth, d_c, the latent's own scale, rate-aware codes) in place of
the bisection over d_c alone.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.codec import GanzCodec
from ..core.pixels import uint8_to_model
from .imagecodecs import Codec


def ganz_codec(model: GanzCodec | str | Path | None = None, bits: int = 8, layer_seed: int = 0,
               seed: int | None = None, cfg=None, device: str = "auto", method: str = "auto",
               name: str | None = None) -> Codec:
    """A :class:`Codec` compressing with ``model`` (a loaded ``GanzCodec``, or what it loads) at
    ``bits`` per latent value; ``layer_seed``, ``seed``, ``cfg`` as in ``GanzCodec.compress``."""
    ganz = model if isinstance(model, GanzCodec) else GanzCodec(model, device, method)

    def encode_batch(images: np.ndarray, d_c: float) -> list[bytes]:
        return ganz.compress(uint8_to_model(images), "random_linear", None, layer_seed, seed, cfg,
                             bits, dim=int(d_c))

    def encode(image: np.ndarray, d_c: float) -> bytes:
        return encode_batch(image[None], d_c)[0]

    pixels = ganz.cfg.num_pixels
    return Codec(name or f"ganz-{bits}bit", encode, ganz.decompress, lambda height, width: (1, pixels),
                 True, lambda: None, encode_batch=encode_batch)


def ganz_at_budget(model: GanzCodec | str | Path | None, image: np.ndarray, max_bytes: int,
                   device: str = "auto", **options):
    """The file ``ganz compress --max-bytes`` writes for ``image`` (uint8, the model's size), as
    a :class:`~ganz.baselines.imagecodecs.CodecPoint` (``quality`` = d_c); ``options`` go to
    ``ganz.core.budget.compress_to_budget``. A budget below the smallest file: ``GanzError``."""
    from ..core.budget import compress_to_budget
    from .imagecodecs import _point

    ganz = model if isinstance(model, GanzCodec) else GanzCodec(model, device)
    choice = compress_to_budget(ganz, uint8_to_model(image[None]), max_bytes, **options)[0]
    codec = Codec("ganz-budget", lambda im, q: choice.data, ganz.decompress,
                  lambda h, w: (1, ganz.cfg.num_pixels), True, lambda: None)
    return _point(codec, image, choice.dim, choice.data)
