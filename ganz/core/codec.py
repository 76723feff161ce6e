"""GANZ as a codec: images -> .ganz bytes -> images, with one loaded generator.

>>> codec = GanzCodec("cpu-small-d64")
>>> files = codec.compress(x, ratio=10)          # x: (B, 3, H, W) in [-1, 1]
>>> images = [codec.decompress(b) for b in files]  # uint8 (H, W, 3)

Two seeds, never one variable for both: ``layer_seed`` picks the random first layer of
``random_linear`` / ``square_linear`` and is stored in the file (decoding needs it; the encoder's
heads are trained for layer seed 0); ``seed`` only picks the optimizer's random start and is not
stored (a file decodes the same whatever it was).

``latent_scale`` (stored in the file): the adapter takes scale·z. The random layers
(``random_linear``, ``square_linear``) default to the scale calibrated for the generator (its
metadata's ``latent_scale``; 1 when it has none), the trained and direct ones to 1.

``method``: ``"paper"`` is the paper's 7500-step Adam from a random start (``ganz.core.invert``);
``"fast"`` is an encoder start plus a short refinement (``ganz.core.fast``); ``"auto"`` (default) is
fast when an encoder is committed beside the generator, else paper.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from .adapters import Adapter, decode, make_adapter, ratio_to_dim
from .config import InvertConfig
from .pixels import to_uint8
from .runtime import pick_device
from .errors import GanzError
from .fileformat import GanzFile, as_scale, pack, unpack
from .invert import InvertResult, invert
from .zoo import load_generator


METHODS = ("auto", "fast", "paper")
SCALED_ADAPTERS = ("random_linear", "square_linear")  # those the model's latent scale applies to


def model_latent_scale(meta: dict) -> float:
    """The latent scale a generator's metadata calibrated for its random layers (1 if none)."""
    value = meta.get("latent_scale", 1.0)
    try:
        return as_scale(float(value))
    except (TypeError, ValueError, GanzError):
        raise GanzError(f"{meta.get('path', 'model')}: bad latent_scale {value!r} in its "
                        f"metadata") from None


class GanzCodec:
    """A generator plus a cache of adapters; compresses batches and decodes files."""

    def __init__(self, model: str | Path | None = None, device: str = "auto", method: str = "auto"):
        if method not in METHODS:
            raise GanzError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        self.device = pick_device(device)
        self.G, self.generator_sha256, self.meta = load_generator(model, self.device)
        self.cfg = self.G.cfg
        self.latent_scale = model_latent_scale(self.meta)
        from .entropy import prior_beside

        # the static prior the latent codes are entropy-coded with (None: packed/deflated only)
        self.prior = prior_beside(self.meta.get("path"), self.generator_sha256)
        self._adapters: dict[tuple, Adapter] = {}
        self.encoder = None
        if method != "paper":
            from .encoder import find_encoder

            try:
                self.encoder = find_encoder(self.meta.get("path"), self.generator_sha256, self.device)
            except GanzError as e:
                if method == "fast":
                    raise GanzError(f"{e}; use --method paper") from None
                import warnings

                warnings.warn(f"{e}; using the paper method", stacklevel=2)
        self.method = method if method != "auto" else ("fast" if self.encoder is not None else "paper")

    @property
    def generator_id(self) -> str:
        return self.generator_sha256[:16]

    MAX_CACHED_ADAPTERS = 16  # a long-lived codec decoding files of many seeds stays bounded

    def default_scale(self, name: str) -> float:
        """The latent scale ``compress`` uses for adapter ``name`` unless told another."""
        return self.latent_scale if name in SCALED_ADAPTERS else 1.0

    def adapter(self, name: str = "random_linear", ratio: float | None = None,
                dim: int | None = None, layer_seed: int = 0,
                latent_scale: float | None = None) -> Adapter:
        """The adapter ``name`` (d_c from ``ratio`` or ``dim``) with random layer ``layer_seed``,
        taking ``latent_scale``·z (None: ``default_scale(name)``; rounded to float16, as a file
        stores it)."""
        if not 0 <= layer_seed < 2**32:
            raise GanzError(f"layer seed {layer_seed} out of range (0 to 2^32 - 1)")
        scale = as_scale(self.default_scale(name) if latent_scale is None else latent_scale)
        key = (name, ratio if dim is None else None, dim, layer_seed, scale)
        if key not in self._adapters:
            N = self.cfg.num_pixels
            if name == "random_linear" and dim is None and ratio is not None:
                dim = ratio_to_dim(N, ratio)
            if name == "random_linear" and dim is not None and dim > N:
                # more latent values than pixel values compresses nothing, and the random layer
                # (conv input × d_c) would be huge: refused before anything is allocated
                raise GanzError(f"a latent of {dim} values for images of {N} values (ratio below 1) "
                                f"is not supported")
            if len(self._adapters) >= self.MAX_CACHED_ADAPTERS:
                self._adapters.pop(next(iter(self._adapters)))
            ad = make_adapter(self.G, name, None if dim else ratio, dim, layer_seed,
                              latent_scale=scale)
            self._adapters[key] = ad.to(self.device)
        return self._adapters[key]

    def check_images(self, x: torch.Tensor) -> None:
        s = self.cfg.image_size
        if x.ndim != 4 or x.shape[1:] != (3, s, s):
            raise GanzError(f"images must be {s}×{s} RGB for this model, got shape {tuple(x.shape[1:])}")

    def invert(self, x: torch.Tensor, adapter: Adapter, cfg=None,
               progress: bool | object = False, trace_every: int = 0) -> InvertResult:
        """Latents for ``x``: a ``FastConfig`` (or none, with method fast) runs ``invert_fast``,
        an ``InvertConfig`` (or none, with method paper) the paper's optimization."""
        from .fast import FastConfig, invert_fast

        self.check_images(x)
        if isinstance(cfg, FastConfig) or (cfg is None and self.method == "fast"):
            return invert_fast(self.G, adapter, x.to(self.device), self.encoder, cfg,
                               trace_every=trace_every, progress=progress)
        return invert(self.G, adapter, x.to(self.device), cfg, trace_every=trace_every,
                      progress=progress)

    def default_config(self):
        """The optimizer settings of this codec's method (``FastConfig`` or ``InvertConfig``)."""
        from .fast import FastConfig

        return FastConfig() if self.method == "fast" else InvertConfig()

    def to_file(self, z: torch.Tensor | np.ndarray, adapter: Adapter, bits: int = 32) -> bytes:
        s = self.cfg.image_size
        return pack(GanzFile(adapter.name, s, s, adapter.seed, self.generator_sha256,
                             np.asarray(z, dtype=np.float32), bits,
                             scale=getattr(adapter, "latent_scale", 1.0)), prior=self.prior)

    def compress(self, x: torch.Tensor, adapter: str = "random_linear", ratio: float | None = 10.0,
                 layer_seed: int = 0, seed: int | None = None, cfg=None, bits: int = 32,
                 progress: bool = False, dim: int | None = None,
                 latent_scale: float | None = None) -> list[bytes]:
        """Invert a batch and serialize one .ganz file per image.

        ``layer_seed`` is stored in the files; ``seed`` (the optimizer's start, not stored)
        replaces ``cfg.seed`` when given (``cfg``: an ``InvertConfig`` or ``FastConfig``).
        ``dim``: the number of latent values d_c of ``random_linear``, in place of ``ratio``.
        ``latent_scale``: see ``adapter`` (stored in the files).
        """
        ad = self.adapter(adapter, ratio if adapter == "random_linear" else None,
                          dim if adapter == "random_linear" else None, layer_seed=layer_seed,
                          latent_scale=latent_scale)
        if seed is not None:
            cfg = dataclasses.replace(cfg or self.default_config(), seed=seed)
        res = self.invert(x, ad, cfg, progress=progress)
        return [self.to_file(z, ad, bits) for z in res.z.numpy()]

    def parse(self, data: bytes) -> GanzFile:
        """Unpack and check that the file belongs to this generator and image size."""
        f = unpack(data, prior=self.prior)
        if not self.generator_sha256.startswith(f.generator_id):
            raise GanzError(f"file was made with generator {f.generator_id}, but the loaded model is "
                            f"{self.generator_id}; pass the matching --model")
        s = self.cfg.image_size
        if (f.height, f.width) != (s, s):
            raise GanzError(f"file is for {f.height}×{f.width} images, the model makes {s}×{s}")
        return f

    def reconstruct(self, z: torch.Tensor, adapter: Adapter) -> torch.Tensor:
        """Decoder output for latents z (model space), deterministic."""
        with torch.no_grad():
            return decode(self.G, adapter, z.to(self.device).float()).cpu()

    def decompress(self, data: bytes) -> np.ndarray:
        """A .ganz file's bytes -> uint8 image (H, W, 3)."""
        f = self.parse(data)
        dim = len(f.z) if f.adapter == "random_linear" else None
        ad = self.adapter(f.adapter, None, dim, layer_seed=f.seed, latent_scale=f.scale)
        if ad.input_dim != len(f.z):
            raise GanzError(f"file has {len(f.z)} latent values, adapter {f.adapter} takes {ad.input_dim}")
        return to_uint8(self.reconstruct(torch.from_numpy(f.z)[None], ad))[0]


def codec_for_file(f: GanzFile, model: str | Path | None = None, device: str = "auto",
                   cache: dict | None = None) -> GanzCodec:
    """The codec that decodes ``f``: ``model`` when one is given (``parse`` then checks the file
    against it), else the committed model whose weights id the file carries. ``cache`` (name ->
    codec) keeps one codec per model across files. A file of no committed model is a one-line
    ``GanzError``."""
    from .zoo import find_model

    cache = {} if cache is None else cache
    name = model
    if name is None:
        name = find_model(f.generator_id)
        if name is None:
            from .modelfiles import available_models

            raise GanzError(f"made with generator {f.generator_id}, which matches no committed "
                            f"model ({', '.join(available_models()) or 'none committed'}); pass "
                            f"--model PATH (the generator's weights file)")
    key = str(name)
    if key not in cache:
        cache[key] = GanzCodec(name, device, method="paper")
    return cache[key]
