"""Training the encoder of ``ganz.core.encoder`` for one frozen generator (``ganz train-encoder``).

``train_encoder`` keeps the generator frozen and minimizes, for every head, the image loss
‖G.conv(adapter(head(x))) − x‖² on CelebA train-split faces and on the generator's own samples (for
those the true latent is known; a small latent loss helps the early steps). The learning rate
follows a cosine over the steps, or over ``max_seconds`` if that ends first.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from ..core.adapters import Adapter, decode, make_adapter
from ..core.encoder import (DEFAULT_HEADS, EncoderConfig, LatentEncoder, encoder_path_for,
                            export_encoder, load_encoder)
from ..core.models import Generator
from ..core.pixels import uint8_to_model

if TYPE_CHECKING:
    import pandas as pd


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


def _uniform_latent(n: int, dim: int, g: torch.Generator) -> torch.Tensor:
    return torch.rand(n, dim, generator=g) * 2 - 1


@torch.no_grad()
def evaluate_encoder(G: Generator, E: LatentEncoder, x: torch.Tensor,
                     adapters: dict[str, Adapter]) -> dict[str, float]:
    """Model-space PSNR (mean over x) of each head's decoding, and of the free h."""
    from ..core.metrics import psnr_model

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
            xr = uint8_to_model(real[idx].to(dev))
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
                from ..core.atomic import write_csv

                write_csv(pd.DataFrame(rows), log_path)
        if done:
            break
    if bar is not None:
        bar.close()
    E.eval().requires_grad_(False)
    return E, pd.DataFrame(rows)


def train_for_model(model: str | Path, cfg: EncoderTrainConfig, device: str = "cpu",
                    log_path: Path | None = None, out: Path | None = None,
                    init: Path | None = None, progress: bool = False) -> tuple[Path, pd.DataFrame]:
    """Train the encoder of a committed model (or generator file) on the train split, with 32
    validation faces logged, and export it (default: beside the generator, with the device, the
    training config, steps and seconds in its metadata). Returns the file and the log."""
    from ..core.data import celeba_array
    from ..core.paths import results_dir
    from ..core.runtime import device_name
    from ..core.zoo import load_generator

    t0 = time.perf_counter()
    G, gid, meta = load_generator(model, device)
    s = G.cfg.image_size
    train = celeba_array(s, "train", 64)
    val = uint8_to_model(celeba_array(s, "validation", 64)[:32])
    name = Path(meta["path"]).name.removesuffix(".safetensors")
    log_path = log_path or results_dir() / "bench" / f"encoder-{name}.csv"
    E0 = load_encoder(init, gid, device)[0] if init else None
    E, df = train_encoder(G, train, cfg, device, val_images=val, log_path=log_path,
                          progress=progress, E=E0)
    out = out or encoder_path_for(meta["path"])
    export_encoder(E, out, gid, train=asdict(cfg), steps_done=int(df["step"].iloc[-1]),
                   seconds=round(time.perf_counter() - t0, 1), train_images=int(len(train)),
                   device=device_name(torch.device(device)))
    return out, df


def main(argv: list[str] | None = None, prog: str = "ganz train-encoder") -> int:
    """``ganz train-encoder --model cpu-small-d64``: train and export the model's encoder."""
    import argparse

    p = argparse.ArgumentParser(prog=prog, description=main.__doc__)
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
    cfg = EncoderTrainConfig(steps=a.steps, batch_size=a.batch_size, lr=a.lr, channels=a.channels,
                             fake_fraction=a.fake_fraction, seed=a.seed,
                             max_seconds=None if a.max_minutes is None else a.max_minutes * 60)
    t0 = time.perf_counter()
    out, df = train_for_model(a.model, cfg, a.device, a.log, a.out, a.init, progress=True)
    print(f"encoder: {out} ({out.stat().st_size / 1024:.0f} KiB), {df['step'].iloc[-1]} steps in "
          f"{time.perf_counter() - t0:.0f} s")
    print(df.tail(1).T.to_string())
    return 0
