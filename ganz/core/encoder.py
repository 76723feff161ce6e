"""A learned first guess for compression: an encoder E from images to the generator's latent side.

GANZ compresses x by searching z with ‖G(z) − x‖² small. Starting that search from a random z (the
paper) wastes most of its 7500 steps walking to the right region; a small conv net trained once per
generator lands there in one forward pass, and a short refinement (``ganz.core.fast``) does the rest.

The encoder has one trunk and several heads:

- the ``conv`` head predicts the conv module's input h (width × base × base), whatever the adapter;
  ``ganz.core.fast`` turns it into z for any adapter by box-constrained least squares through the
  adapter's fixed matrix;
- one head per *registered adapter* (by default ``keep_linear`` and the codec's default
  ``random_linear`` at R = 10, seed 0) predicts that adapter's z ∈ [−1, 1]^d_c directly, trained
  through the adapter's fixed layer.

Training is ``ganz.train.encoder`` (``train_encoder``, ``EncoderTrainConfig``, ``ganz train-encoder``).

Weights are exported as fp16 safetensors ``<model>.encoder.safetensors`` beside the generator, with
the generator's weights id in the metadata: an encoder is only ever used with its own generator.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from .adapters import Adapter, make_adapter
from .atomic import atomic_path
from .config import ModelConfig
from .errors import GanzError
from .models import Generator
from .modelfiles import encoder_path_for
from .pixels import uint8_to_model

__all__ = ["DEFAULT_HEADS", "FORMAT", "EncoderConfig", "LatentEncoder", "encoder_flops",
           "encoder_path_for", "export_encoder", "find_encoder", "head_key", "load_encoder",
           "uint8_to_model"]  # uint8_to_model: ganz.core.pixels's, importable here too

FORMAT = "ganz-encoder-1"
# (adapter name, ratio or None, seed): heads trained by default (the codec's default is R = 10, seed 0)
DEFAULT_HEADS: tuple[tuple[str, float | None, int], ...] = (("keep_linear", None, 0),
                                                           ("random_linear", 10.0, 0))


@dataclass(frozen=True)
class EncoderConfig:
    """Shape of an encoder for one generator shape (``model``) and its adapter heads."""

    image_size: int
    base_size: int
    gen_width: int
    latent_dim: int
    channels: int = 32  # trunk width at full resolution; doubles per downsampling, at most 4×
    heads: tuple[tuple[str, int, int], ...] = ()  # (adapter name, d_c, seed)

    @classmethod
    def for_generator(cls, G: Generator, channels: int = 32,
                      heads=DEFAULT_HEADS) -> "EncoderConfig":
        resolved = []
        for name, ratio, seed in heads:
            ad = make_adapter(G, name, ratio if name == "random_linear" else None, seed=seed)
            resolved.append((name, ad.input_dim, ad.seed if name == "random_linear" else 0))
        c = G.cfg
        return cls(c.image_size, c.base_size, c.width, c.latent_dim, channels, tuple(resolved))

    @property
    def model(self) -> ModelConfig:
        return ModelConfig(self.image_size, self.base_size, self.gen_width, self.latent_dim)


def head_key(adapter: Adapter) -> str:
    """The head name an adapter is served by (seed matters only for random layers)."""
    seed = adapter.seed if adapter.name in ("random_linear", "square_linear") else 0
    return f"{adapter.name}:{adapter.input_dim}:{seed}"


class LatentEncoder(nn.Module):
    """Image (B, 3, H, W) in [−1, 1] -> conv-module input h (B, width·base²) and per-head z."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        m = cfg.model
        c = cfg.channels
        layers: list[nn.Module] = [nn.Conv2d(3, c, 3, padding=1), nn.ELU()]
        for _i in range(m.num_upsamples):
            c_next = min(c * 2, cfg.channels * 4)
            layers += [nn.Conv2d(c, c_next, 3, stride=2, padding=1), nn.ELU(),
                       nn.Conv2d(c_next, c_next, 3, padding=1), nn.ELU()]
            c = c_next
        self.trunk = nn.Sequential(*layers)
        self.to_h = nn.Conv2d(c, cfg.gen_width, 3, padding=1)
        feat = c * cfg.base_size**2
        self.heads = nn.ModuleDict({_module_name(k): nn.Linear(feat, dim)
                                    for k, dim in ((f"{n}:{d}:{s}", d) for n, d, s in cfg.heads)})
        self.feature_dim = feat

    def keys(self) -> list[str]:
        return [f"{n}:{d}:{s}" for n, d, s in self.cfg.heads]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        f = self.trunk(x)
        h = self.to_h(f).flatten(1)
        flat = f.flatten(1)
        zs = {k: torch.tanh(self.heads[_module_name(k)](flat)) for k in self.keys()}
        return h, zs

    def has_head(self, adapter: Adapter) -> bool:
        return head_key(adapter) in self.keys()


def _module_name(key: str) -> str:
    return key.replace(":", "_").replace(".", "_")


def encoder_flops(cfg: EncoderConfig) -> int:
    """Multiply-adds ×2 of one encoder forward pass for one image (convs and heads)."""
    m = cfg.model
    s, c, flops = cfg.image_size, cfg.channels, 0
    flops += 2 * 9 * s * s * 3 * c
    for _ in range(m.num_upsamples):
        c_next = min(c * 2, cfg.channels * 4)
        s //= 2
        flops += 2 * 9 * s * s * (c * c_next + c_next * c_next)
        c = c_next
    flops += 2 * 9 * s * s * c * cfg.gen_width
    flops += sum(2 * c * s * s * d for _, d, _ in cfg.heads)
    return flops


# --------------------------------------------------------------------------- files
def export_encoder(E: LatentEncoder, path: Path | str, generator_id: str,
                   dtype: torch.dtype = torch.float16, **meta: object) -> None:
    """Write E's weights (fp16 by default) + config + its generator's weights id, atomically."""
    from safetensors.torch import save_file

    state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in E.state_dict().items()}
    metadata = {"format": FORMAT, "config": json.dumps(asdict(E.cfg)),
                "generator_id": json.dumps(generator_id)}
    metadata.update({k: json.dumps(v) for k, v in meta.items()})
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=metadata)


def load_encoder(path: Path | str, generator_id: str | None = None,
                 device: str | torch.device = "cpu") -> tuple[LatentEncoder, dict]:
    """Load an encoder (fp32, eval, no grads); refuses one trained for another generator."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise GanzError(f"{path}: not a valid safetensors file ({e})") from None
    if metadata.get("format") != FORMAT:
        raise GanzError(f"{path}: not a GANZ encoder (metadata format {metadata.get('format')!r})")
    try:
        raw = json.loads(metadata["config"])
        raw["heads"] = tuple(tuple(h) for h in raw.get("heads", ()))
        cfg = EncoderConfig(**raw)
        gid = json.loads(metadata.get("generator_id", '""'))
    except (KeyError, TypeError, ValueError) as e:
        raise GanzError(f"{path}: bad encoder config in metadata ({e})") from None
    if generator_id is not None and gid != generator_id:
        raise GanzError(f"{path}: encoder was trained for generator {gid[:16]}, not {generator_id[:16]}")
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in LatentEncoder(cfg).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if expected != got:
        raise GanzError(f"{path}: encoder weights do not match its config")
    E = LatentEncoder(cfg)
    E.load_state_dict({k: v.float() for k, v in state.items()})
    E.eval().requires_grad_(False)
    meta = {k: v for k, v in metadata.items()}
    meta["path"] = str(path)
    return E.to(device), meta


def find_encoder(generator_path: Path | str | None, generator_id: str,
                 device: str | torch.device = "cpu") -> LatentEncoder | None:
    """The encoder committed beside a generator file, if any and if it matches; else None."""
    if generator_path is None:
        return None
    p = encoder_path_for(generator_path)
    if not p.is_file():
        return None
    E, _ = load_encoder(p, generator_id, device)
    return E
