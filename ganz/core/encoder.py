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

Training (``train_encoder``) keeps the generator frozen and minimizes, for every head, the image
loss ‖G.conv(adapter(head(x))) − x‖² on CelebA train-split faces and on the generator's own
samples (for those the true latent is known; a small latent loss helps the early steps).

Weights are exported as fp16 safetensors ``<model>.encoder.safetensors`` beside the generator, with
the generator's weights id in the metadata: an encoder is only ever used with its own generator.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .adapters import Adapter, decode, make_adapter
from .config import ModelConfig
from .errors import GanzError
from .models import Generator

if TYPE_CHECKING:
    import pandas as pd

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
        for i in range(m.num_upsamples):
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
def encoder_path_for(generator_path: Path | str) -> Path:
    """``foo.safetensors`` -> ``foo.encoder.safetensors`` (same folder)."""
    p = Path(generator_path)
    return p.with_name(p.name[: -len(p.suffix)] + ".encoder.safetensors" if p.suffix else p.name + ".encoder.safetensors")


def export_encoder(E: LatentEncoder, path: Path | str, generator_id: str,
                   dtype: torch.dtype = torch.float16, **meta: object) -> None:
    """Write E's weights (fp16 by default) + config + its generator's weights id, atomically."""
    from safetensors.torch import save_file

    state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in E.state_dict().items()}
    metadata = {"format": FORMAT, "config": json.dumps(asdict(E.cfg)),
                "generator_id": json.dumps(generator_id)}
    metadata.update({k: json.dumps(v) for k, v in meta.items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file(state, str(tmp), metadata=metadata)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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


# --------------------------------------------------------------------------- training
@dataclass(frozen=True)
class EncoderTrainConfig:
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    fake_fraction: float = 0.5  # share of each batch drawn from the generator's own samples
    latent_weight: float = 0.1  # weight of the latent loss on generator samples
    hflip: bool = True
    seed: int = 0
    log_every: int = 50
    channels: int = 32
    max_seconds: float | None = None  # stop early (and still export) after this much wall time


def uint8_to_model(arr: np.ndarray) -> torch.Tensor:
    """uint8 (n, H, W, 3) -> model space (n, 3, H, W) in [−1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def _uniform_latent(n: int, dim: int, g: torch.Generator) -> torch.Tensor:
    return torch.rand(n, dim, generator=g) * 2 - 1


@torch.no_grad()
def evaluate_encoder(G: Generator, E: LatentEncoder, x: torch.Tensor,
                     adapters: dict[str, Adapter]) -> dict[str, float]:
    """Model-space PSNR (mean over x) of each head's decoding, and of the free h."""
    from .metrics import psnr_model

    h, zs = E(x)
    out = {"psnr_h": float(psnr_model(G.conv(G.first_tensor(h)), x).mean())}
    for k, z in zs.items():
        out[f"psnr_{k.split(':')[0]}_{k.split(':')[1]}"] = float(psnr_model(decode(G, adapters[k], z), x).mean())
    return out


def train_encoder(G: Generator, images: np.ndarray | None, cfg: EncoderTrainConfig | None = None,
                  device: str | torch.device = "cpu", heads=DEFAULT_HEADS,
                  val_images: torch.Tensor | None = None, log_path: Path | str | None = None,
                  progress: bool = False, E: LatentEncoder | None = None
                  ) -> tuple[LatentEncoder, pd.DataFrame]:
    """Train an encoder for frozen ``G`` on uint8 images (n, H, W, 3) and/or G's samples.

    ``images=None`` trains on generator samples alone (tests, quick benchmarks). Returns the
    encoder (eval mode) and its training log (one row per ``log_every`` steps).
    """
    import pandas as pd  # here, not at the top: `ganz compress` loads encoders, never trains them

    cfg = cfg or EncoderTrainConfig()
    dev = torch.device(device)
    G = G.to(dev).eval().requires_grad_(False)
    torch.manual_seed(cfg.seed)
    if E is None:
        E = LatentEncoder(EncoderConfig.for_generator(G, cfg.channels, heads))
    E = E.to(dev).train().requires_grad_(True)
    adapters = {}
    for name, dim, seed in E.cfg.heads:
        ad = make_adapter(G, name, None, dim=dim if name == "random_linear" else None, seed=seed)
        adapters[f"{name}:{dim}:{seed}"] = ad.to(dev)
    opt = torch.optim.Adam(E.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(cfg.seed)
    real = None
    if images is not None and len(images):
        real = torch.from_numpy(np.ascontiguousarray(images))  # uint8 (n, H, W, 3), decoded per batch
    n_fake = cfg.batch_size if real is None else int(round(cfg.batch_size * cfg.fake_fraction))
    n_real = cfg.batch_size - n_fake
    rows, t0, run = [], time.perf_counter(), {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, desc="encoder", unit="step")
    step = 0
    for step in range(1, cfg.steps + 1):
        frac = (step - 1) / cfg.steps  # cosine over steps, or over the time budget if that is shorter
        if cfg.max_seconds:
            frac = max(frac, (time.perf_counter() - t0) / cfg.max_seconds)
        lr = cfg.lr * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        for group in opt.param_groups:
            group["lr"] = lr
        parts = []
        if n_real:
            idx = torch.randint(0, real.shape[0], (n_real,), generator=g)
            xr = real[idx].to(dev).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
            if cfg.hflip:
                flip = torch.rand(n_real, generator=g) < 0.5
                xr[flip.to(dev)] = xr[flip.to(dev)].flip(-1)
            parts.append(xr)
        with torch.no_grad():
            zf = _uniform_latent(n_fake, G.cfg.latent_dim, g).to(dev)
            hf = G.h0(zf)
            xf = G.conv(G.first_tensor(hf))
        parts.append(xf)
        x = torch.cat(parts)
        h, zs = E(x)
        losses = {"h": F.mse_loss(G.conv(G.first_tensor(h)), x)}
        for k, z in zs.items():
            losses[k] = F.mse_loss(decode(G, adapters[k], z), x)
        loss = sum(losses.values())
        if cfg.latent_weight > 0 and n_fake:
            lat = F.mse_loss(h[n_real:], hf) / hf.pow(2).mean().clamp_min(1e-8)
            keep = [k for k in zs if k.startswith("keep_linear:")]
            if keep:
                lat = lat + F.mse_loss(zs[keep[0]][n_real:], zf)
            loss = loss + cfg.latent_weight * lat
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        for k, v in losses.items():
            run[k] = run.get(k, 0.0) + float(v.detach())
        if bar is not None:
            bar.update(1)
        elapsed = time.perf_counter() - t0
        done = step == cfg.steps or (cfg.max_seconds is not None and elapsed > cfg.max_seconds)
        if step % cfg.log_every == 0 or done:
            n = step % cfg.log_every or cfg.log_every
            row = {"step": step, "images_seen": step * cfg.batch_size, "lr": lr,
                   "seconds": round(elapsed, 2)}
            row.update({f"loss_{k.split(':')[0]}" + (f"_{k.split(':')[1]}" if ':' in k else ""): v / n
                        for k, v in run.items()})
            run = {}
            if val_images is not None:
                E.eval()
                row.update(evaluate_encoder(G, E, val_images.to(dev), adapters))
                E.train()
            rows.append(row)
            if log_path is not None:
                from .atomic import write_csv

                write_csv(pd.DataFrame(rows), log_path)
        if done:
            break
    if bar is not None:
        bar.close()
    E.eval().requires_grad_(False)
    return E, pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m ganz.core.encoder --model cpu-small-d64``: train and export the model's encoder."""
    import argparse

    from .data import celeba_array
    from .paths import results_dir
    from .zoo import load_generator

    p = argparse.ArgumentParser(prog="python -m ganz.core.encoder", description=main.__doc__)
    p.add_argument("--model", required=True, help="committed model name or generator path")
    p.add_argument("--out", type=Path, help="encoder file (default: beside the generator)")
    p.add_argument("--log", type=Path, help="training log CSV (default results/bench/encoder-<model>.csv)")
    p.add_argument("--steps", type=int, default=EncoderTrainConfig.steps)
    p.add_argument("--batch-size", type=int, default=EncoderTrainConfig.batch_size)
    p.add_argument("--lr", type=float, default=EncoderTrainConfig.lr)
    p.add_argument("--channels", type=int, default=EncoderTrainConfig.channels)
    p.add_argument("--fake-fraction", type=float, default=EncoderTrainConfig.fake_fraction)
    p.add_argument("--max-minutes", type=float, help="stop after this many minutes (still exports)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    p.add_argument("--init", type=Path, help="continue training this encoder file")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    G, gid, meta = load_generator(a.model, a.device)
    s = G.cfg.image_size
    train = celeba_array(s, "train", 64)
    val = uint8_to_model(celeba_array(s, "validation", 64)[:32])
    cfg = EncoderTrainConfig(steps=a.steps, batch_size=a.batch_size, lr=a.lr, channels=a.channels,
                             fake_fraction=a.fake_fraction, seed=a.seed,
                             max_seconds=None if a.max_minutes is None else a.max_minutes * 60)
    name = Path(meta["path"]).name.removesuffix(".safetensors")
    log = a.log or results_dir() / "bench" / f"encoder-{name}.csv"
    t0 = time.perf_counter()
    E0 = None
    if a.init:
        E0, _ = load_encoder(a.init, gid, a.device)
    E, df = train_encoder(G, train, cfg, a.device, val_images=val, log_path=log, progress=True, E=E0)
    out = a.out or encoder_path_for(meta["path"])
    export_encoder(E, out, gid, train=asdict(cfg), steps_done=int(df["step"].iloc[-1]),
                   seconds=round(time.perf_counter() - t0, 1), train_images=int(len(train)))
    print(f"encoder: {out} ({out.stat().st_size / 1024:.0f} KiB), {df['step'].iloc[-1]} steps in "
          f"{time.perf_counter() - t0:.0f} s; log {log}")
    print(df.tail(1).T.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
