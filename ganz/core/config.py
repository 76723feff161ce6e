"""Frozen configurations: model shape, training and inversion settings.

Every experiment is keyed by the hash of the configs that produced it (``config_key``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from dataclasses import dataclass
from typing import Any

from .errors import GanzError


class ConfigError(GanzError, ValueError):
    """A bad configuration value (one line; a ValueError too, as before)."""


ARCHS = ("ganz", "original")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a BEGAN generator/discriminator pair.

    ``image_size / base_size`` must be a power of two; the conv module's input is
    ``width × base_size × base_size`` (2048 = N/6 at 64×64 with width 128, the paper's 8192 at 128×128).

    ``arch``: ``"ganz"`` (the project's layout: a conv block at the base resolution, conv biases,
    no output activation; the committed cpu-small models) or ``"original"`` (the authors'
    ``SimpleGenerator``/``SimpleDiscriminator``: no base-resolution block, no conv biases, an ELU
    after the to-RGB conv, images in [0, 1] inside the networks). Old metadata without ``arch``
    loads as ``"ganz"``.
    """

    image_size: int = 64
    base_size: int = 4
    width: int = 128
    latent_dim: int = 64
    arch: str = "ganz"

    KEY_LEGACY = {"arch": "ganz"}  # configs recorded before ``arch`` existed read the same

    def __post_init__(self) -> None:
        for name in ("image_size", "base_size", "width", "latent_dim"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"ModelConfig.{name} must be a positive integer, got {value!r}")
        ups = self.image_size / self.base_size
        if ups < 1 or not float(ups).is_integer() or (int(ups) & (int(ups) - 1)) != 0:
            raise ConfigError(
                f"image_size/base_size must be a power of two, got {self.image_size}/{self.base_size}"
            )
        if self.arch not in ARCHS:
            raise ConfigError(f"ModelConfig.arch must be one of {', '.join(ARCHS)}, got {self.arch!r}")
        if self.arch == "original" and self.image_size == self.base_size:
            raise ConfigError("the original arch needs image_size > base_size (one up-block at least)")

    @property
    def num_upsamples(self) -> int:
        return int(math.log2(self.image_size // self.base_size))

    @property
    def native_scale(self) -> float:
        """Factor from model-space ([-1, 1]) L1/L2 distances to the arch's native image units:
        0.5 for ``original`` (the authors' networks work on [0, 1]), 1.0 for ``ganz``."""
        return 0.5 if self.arch == "original" else 1.0

    @property
    def conv_input_dim(self) -> int:
        """Size of the conv module's input (what ``no_linear`` optimizes)."""
        return self.width * self.base_size * self.base_size

    @property
    def num_pixels(self) -> int:
        """N = H·W·3, the number of values in an image."""
        return self.image_size * self.image_size * 3


@dataclass(frozen=True)
class TrainConfig:
    """BEGAN training hyper-parameters.

    The defaults are the project's recipe (``recipe="ganz"``: BEGAN-paper-style Adam β1 0.5, batch
    16, flips, shuffled epochs, k clamped, one latent per step; cpu-small was trained with it).
    ``TrainConfig.original()`` is the original code's recipe (its train.py and params.py).
    """

    steps: int = 200_000
    batch_size: int = 16
    lr: float = 1e-4
    lr_decay_every: int = 100_000  # multiply the learning rate by lr_decay_factor every this many steps
    lr_decay_factor: float = 0.5
    beta1: float = 0.5
    beta2: float = 0.999
    gamma: float = 0.5
    lambda_k: float = 0.001
    clamp_k: bool = True  # the original code did not clamp k to [0, 1]
    hflip: bool = True
    seed: int = 0
    checkpoint_every: int = 500  # 0: never write latest.pt (e.g. a GPU session that cannot keep it)
    log_every: int = 50
    snapshot_at: tuple[int, ...] = ()  # extra generator exports at these steps (equal images seen)
    validation_images: int = 64  # held out of the train split for checkpoint selection
    # "ganz": one latent; D's fake term and k use it; G's loss through the updated D.
    # "original": separate latents for D's fake term and G's term, both losses through the same
    # (pre-update) D, k updated from G's term, as the original train.py.
    recipe: str = "ganz"
    shuffle: bool = True  # False: the sorted order, epoch after epoch (the original DataLoader)
    epochs: int = 0  # > 0: train this many epochs (drop-last) instead of ``steps``
    precision: str = "auto"  # "auto" (bf16 autocast on CUDA, fp32 on CPU) | "bf16" | "tf32" | "fp32"
    snapshot_images: tuple[int, ...] = ()  # extra exports once this many images were seen

    def __post_init__(self) -> None:
        if self.recipe not in ("ganz", "original"):
            raise ValueError(f"TrainConfig.recipe must be 'ganz' or 'original', got {self.recipe!r}")
        if self.precision not in ("auto", "bf16", "tf32", "fp32"):
            raise ValueError(f"TrainConfig.precision must be auto, bf16, tf32 or fp32, got {self.precision!r}")
        for name in ("steps", "batch_size", "lr_decay_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be at least 1, got {getattr(self, name)}")
        if self.checkpoint_every < 0 or self.epochs < 0:
            raise ValueError("TrainConfig.checkpoint_every and epochs must be >= 0")

    @classmethod
    def original(cls, **overrides: Any) -> "TrainConfig":
        """The original code's recipe: Adam (0.9, 0.999), lr 1e-4 × 0.95 every 12,000 steps, batch
        32, 50 epochs in sorted order, no flips, k unclamped, the whole train split (no hold-out)."""
        base: dict[str, Any] = dict(
            recipe="original", epochs=50, batch_size=32, lr=1e-4, lr_decay_every=12_000,
            lr_decay_factor=0.95, beta1=0.9, beta2=0.999, gamma=0.5, lambda_k=0.001,
            clamp_k=False, hflip=False, shuffle=False, validation_images=0)
        return cls(**{**base, **overrides})


SCHEDULES = ("cosine", "constant")
INITS = ("normal", "zeros")
CLAMPS = ("start", "every_step")
PRECISIONS = ("fp32", "tf32", "bf16")


@dataclass(frozen=True)
class InvertConfig:
    """Latent optimization settings.

    ``clamp``: ``"start"`` is the original code (z ~ N(0, 1) clamped to [−1, 1] once, then plain
    Adam: latents may leave [−1, 1]); ``"every_step"`` is GANZ's projected variant (z clamped after
    every step; what the codec and the cached cpu-small runs use). ``precision``: ``fp32``, ``tf32``
    (CUDA TF32 matmuls/convs) or ``bf16`` (autocast of the conv module). Fields added after the
    first cached runs leave the cache key unchanged at their legacy value (``KEY_LEGACY``).
    """

    steps: int = 7500
    lr: float = 0.05
    beta1: float = 0.5
    beta2: float = 0.999
    schedule: str = "cosine"  # "cosine" | "constant"
    init: str = "normal"  # "normal" (N(0,1) clamped, the paper's) | "zeros"
    restarts: int = 1
    seed: int = 0
    batch_size: int = 64
    clamp: str = "every_step"  # "start" (the original code) | "every_step" (GANZ's projection)
    precision: str = "fp32"  # "fp32" | "tf32" | "bf16"

    KEY_LEGACY = {"clamp": "every_step", "precision": "fp32"}  # left out of the key at these values

    def __post_init__(self) -> None:
        for name, choices in (("schedule", SCHEDULES), ("init", INITS), ("clamp", CLAMPS),
                              ("precision", PRECISIONS)):
            if getattr(self, name) not in choices:
                raise ConfigError(f"InvertConfig.{name} must be one of {', '.join(choices)}, "
                                 f"got {getattr(self, name)!r}")
        for name in ("steps", "restarts", "batch_size"):
            value = getattr(self, name)
            low = 0 if name == "steps" else 1
            if not isinstance(value, numbers.Integral) or value < low:
                raise ConfigError(f"InvertConfig.{name} must be an integer >= {low}, got {value!r}")

    @classmethod
    def paper(cls, **overrides: Any) -> "InvertConfig":
        """The original code's loop: clamped once at the start, then unconstrained."""
        return cls(**{"clamp": "start", **overrides})


def key_fields(obj: Any) -> dict[str, Any]:
    """A config's fields, less those added later that still hold their legacy value
    (``KEY_LEGACY``), so cache keys and recorded configs of older runs stay the same."""
    legacy = getattr(obj, "KEY_LEGACY", {})
    return {k: v for k, v in dataclasses.asdict(obj).items()
            if not (k in legacy and v == legacy[k])}


def to_jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and hasattr(obj, "KEY_LEGACY"):  # keys of older runs hold
        return {k: to_jsonable(v) for k, v in key_fields(obj).items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):  # an instance, not the class
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def config_key(*parts: Any) -> str:
    """A short stable hash of configs and parameters (cache key)."""
    blob = json.dumps(to_jsonable(list(parts)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
