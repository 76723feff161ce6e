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
