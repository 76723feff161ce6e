"""BEGAN training with exact resume, CSV logs, generator exports and validation-based selection.

BEGAN objective (Berthelot et al. 2017), L(v) = mean |v − D(v)|:
  L_D = L(x) − k·L(G(z)),  L_G = L(G(z)),  k ← k + λ_k (γ L(x) − L(G(z))),
  M_global = L(x) + |γ L(x) − L(G(z))|.
k is clamped to [0, 1] by default (``clamp_k=False`` reproduces the original code, which did not).

Randomness is a pure function of (seed, step, rank): the data order, flips and latents of step s are
the same whether or not the run was interrupted, so a resumed run repeats no step and loses none.
Launch with ``torchrun --nproc_per_node=P -m ganz train ...`` for DistributedDataParallel: each rank
takes its slice of the global batch (batch_size × P images per step); rank 0 writes everything.
"""
from __future__ import annotations

import csv
import json
import math
import os
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from ..core.adapters import make_adapter
from ..core.atomic import atomic_write
from ..core.config import InvertConfig, ModelConfig, TrainConfig, to_jsonable
from ..core.errors import GanzError
from ..core.invert import invert
from ..core.metrics import psnr_model
from ..core.models import Discriminator, Generator
from ..core.zoo import export_generator

LOG_FIELDS = ["step", "images_seen", "loss_real", "loss_fake", "loss_d", "loss_g", "k",
              "m_global", "lr", "seconds", "images_per_s", "val_psnr"]


def _rng(seed: int, step: int, stream: int) -> torch.Generator:
    return torch.Generator().manual_seed(((seed * 1_000_003 + step) * 31 + stream) % (2**63))


def batch_indices(n: int, step: int, global_batch: int, seed: int) -> torch.Tensor:
    """Indices of step ``step``: epoch-wise permutations (drop-last), a pure function of step."""
    per_epoch = n // global_batch
    if per_epoch == 0:
        raise GanzError(f"training set of {n} images is smaller than the batch {global_batch}")
    epoch, pos = divmod(step, per_epoch)
    perm = torch.randperm(n, generator=_rng(seed, epoch, 101))
    return perm[pos * global_batch:(pos + 1) * global_batch]


def _complete_row(row: dict, fields) -> bool:
    """A log row written in full (a kill or a full disk can leave a last, partial line)."""
    if None in row or any(row.get(k) is None for k in fields or ()):
        return False
    try:
        int(row.get("step") or "")
    except ValueError:
        return False
    return True


class Trainer:
    """Holds G, D, their optimizers and k; ``run`` trains to ``cfg.steps``, resuming if possible."""

    def __init__(self, model_cfg: ModelConfig, cfg: TrainConfig, images: np.ndarray,
                 out_dir: Path | str, device: str = "cpu", validation: np.ndarray | None = None):
        self.mcfg, self.cfg, self.out = model_cfg, cfg, Path(out_dir)
        self.device = torch.device(device)
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world = dist.get_world_size() if dist.is_initialized() else 1
        if images.ndim != 4 or images.shape[1:] != (model_cfg.image_size, model_cfg.image_size, 3):
            raise GanzError(f"training images have shape {images.shape}, expected "
                            f"(n, {model_cfg.image_size}, {model_cfg.image_size}, 3)")
        self.images = torch.from_numpy(np.ascontiguousarray(images))  # uint8 NHWC
        if self.device.type == "cuda":  # ~100 MB at 64×64: copied once, not one batch per step
            self.images = self.images.to(self.device)
        self.validation = validation
        torch.manual_seed(cfg.seed)  # identical initial weights on every rank
        self.G, self.D = Generator(model_cfg).to(self.device), Discriminator(model_cfg).to(self.device)
        betas = (cfg.beta1, cfg.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=betas)
        self.k, self.step, self.best_val = 0.0, 0, -math.inf
        self.G_ddp = DDP(self.G) if self.world > 1 else self.G
        self.D_ddp = DDP(self.D) if self.world > 1 else self.D

    # ------------------------------------------------------------------ checkpoints
    @property
    def checkpoint_path(self) -> Path:
        return self.out / "latest.pt"

    def state(self) -> dict:
        return {"generator": self.G.state_dict(), "discriminator": self.D.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "k": self.k, "step": self.step, "best_val": self.best_val, "world_size": self.world,
                "model_config": to_jsonable(self.mcfg), "train_config": to_jsonable(self.cfg)}

    def save(self) -> None:
        if self.rank != 0:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        tmp = self.checkpoint_path.with_suffix(".pt.tmp")
        torch.save(self.state(), tmp)
        os.replace(tmp, self.checkpoint_path)  # atomic: a kill mid-save leaves the old checkpoint

    def load(self, path: Path | None = None) -> bool:
        path = path or self.checkpoint_path
        if not path.is_file():
            return False
        try:
            with warnings.catch_warnings():  # a refused file gets our one-line error only
                warnings.simplefilter("ignore")
                st = torch.load(path, map_location=self.device, weights_only=True)
        except Exception as e:  # noqa: BLE001 - truncated, corrupt or not a checkpoint at all
            raise GanzError(f"{path} is not a readable checkpoint ({type(e).__name__}); delete it "
                            f"or pass --restart to start over") from None
        if not isinstance(st, dict) or not {"generator", "discriminator", "opt_g", "opt_d", "k",
                                            "step"} <= set(st):
            raise GanzError(f"{path} is not a GANZ training checkpoint; delete it or pass --restart")
        if st.get("model_config") != to_jsonable(self.mcfg):
            raise GanzError(f"{path} was trained with model config {st.get('model_config')}, "
                            f"not {to_jsonable(self.mcfg)}")
        st["generator"].setdefault("adapter_gain", torch.tensor(1.0))  # runs started before it existed
        st["discriminator"].setdefault("decoder.adapter_gain", torch.tensor(1.0))
        self.G.load_state_dict(st["generator"])
        self.D.load_state_dict(st["discriminator"])
        self.opt_g.load_state_dict(st["opt_g"])
        self.opt_d.load_state_dict(st["opt_d"])
        self.k, self.step = float(st["k"]), int(st["step"])
        self.best_val = float(st.get("best_val", -math.inf))
        return True

    # ------------------------------------------------------------------ one step
    def lr(self, step: int) -> float:
        return self.cfg.lr * self.cfg.lr_decay_factor ** (step // self.cfg.lr_decay_every)

    def _batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        cfg, B = self.cfg, self.cfg.batch_size
        idx = batch_indices(len(self.images), step, B * self.world, cfg.seed)
        idx = idx[self.rank * B:(self.rank + 1) * B]
        x = self.images[idx.to(self.images.device)].permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        g = _rng(cfg.seed, step, 1000 + self.rank)
        if cfg.hflip:
            flip = (torch.rand(B, generator=g) < 0.5).to(x.device)
            x[flip] = x[flip].flip(-1)
        z = torch.rand(B, self.mcfg.latent_dim, generator=g) * 2 - 1
        return x.to(self.device), z.to(self.device)

    def train_step(self) -> dict:
        cfg = self.cfg
        x, z = self._batch(self.step)
        lr = self.lr(self.step)
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        amp = (torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda"
               else nullcontext())
        with amp:
            fake = self.G_ddp(z)
            d_real, d_fake = self.D_ddp(torch.cat([x, fake.detach()])).float().chunk(2)
            loss_real = (x - d_real).abs().mean()
            loss_fake = (fake.detach().float() - d_fake).abs().mean()
            loss_d = loss_real - self.k * loss_fake
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        freeze_d = self.world == 1  # under DDP, D's grads from this pass are zeroed next step
        self.D.requires_grad_(not freeze_d)
        with amp:
            loss_g = (fake.float() - self.D_ddp(fake).float()).abs().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
        stats = torch.stack([loss_real.detach(), loss_fake.detach(), loss_d.detach(), loss_g.detach()])
        if self.world > 1:
            dist.all_reduce(stats)
            stats /= self.world
        lr_, lf, ld, lg = (float(v) for v in stats)
        balance = cfg.gamma * lr_ - lf
        self.k = self.k + cfg.lambda_k * balance
        if cfg.clamp_k:
            self.k = min(max(self.k, 0.0), 1.0)
        self.step += 1
        return {"loss_real": lr_, "loss_fake": lf, "loss_d": ld, "loss_g": lg, "k": self.k,
                "m_global": lr_ + abs(balance), "lr": lr}

    # ------------------------------------------------------------------ validation
    def validate(self, steps: int = 200, ratio: float = 10.0) -> float:
        """Mean PSNR (dB) of R-``ratio`` inversions of held-out train-split faces."""
        if self.validation is None or len(self.validation) == 0:
            return float("nan")
        x = torch.from_numpy(self.validation).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        self.G.eval()
        adapter = make_adapter(self.G, "random_linear", ratio=ratio, seed=0)
        params = [p.requires_grad for p in self.G.parameters()]
        self.G.requires_grad_(False)
        res = invert(self.G, adapter, x.to(self.device), InvertConfig(steps=steps, batch_size=len(x)))
        for p, r in zip(self.G.parameters(), params):
            p.requires_grad_(r)
        self.G.train()
        from ..core.adapters import decode

        with torch.no_grad():
            rec = decode(self.G, adapter, res.z.to(self.device))
        return float(psnr_model(x.to(self.device), rec).mean())

    # ------------------------------------------------------------------ loop
    def _log_writer(self) -> tuple:
        path = self.out / "log.csv"
        rows = []
        if path.is_file():  # keep only rows up to the resumed step (no repeats after a kill)
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                rows = [r for r in reader
                        if _complete_row(r, reader.fieldnames) and int(r["step"]) <= self.step]
        tmp = path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, LOG_FIELDS, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)
        f = open(path, "a", newline="")
        return f, csv.DictWriter(f, LOG_FIELDS)

    def export(self, name: str) -> str:
        return export_generator(self.G, self.out / f"{name}.safetensors", step=self.step,
                                images_seen=self.step * self.cfg.batch_size * self.world,
                                train_config=to_jsonable(self.cfg))

    def run(self, validate_every: int = 0, progress: bool = True, stop_after: int | None = None) -> None:
        """Train until ``cfg.steps`` (or ``stop_after`` more steps), checkpointing atomically."""
        cfg, is0 = self.cfg, self.rank == 0
        if is0:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write(self.out / "config.json", json.dumps(
                {"model": to_jsonable(self.mcfg), "train": to_jsonable(self.cfg)}, indent=1).encode())
            logf, writer = self._log_writer()
        end = cfg.steps if stop_after is None else min(cfg.steps, self.step + stop_after)
        bar = None
        if progress and is0:
            from tqdm.auto import tqdm

            bar = tqdm(total=end, initial=self.step, desc="train", unit="step")
        t0, s0 = time.perf_counter(), self.step
        while self.step < end:
            stats = self.train_step()
            if bar is not None:
                bar.update(1)
            val = float("nan")
            if validate_every and self.step % validate_every == 0:
                val = self.validate()
                if is0 and val > self.best_val:
                    self.best_val = val
                    self.export("best")
            if is0 and (self.step % cfg.log_every == 0 or not math.isnan(val) or self.step == end):
                el = time.perf_counter() - t0
                ips = (self.step - s0) * cfg.batch_size * self.world / max(el, 1e-9)
                writer.writerow({"step": self.step,
                                 "images_seen": self.step * cfg.batch_size * self.world,
                                 **{k: f"{v:.6g}" for k, v in stats.items()}, "seconds": f"{el:.1f}",
                                 "images_per_s": f"{ips:.2f}", "val_psnr": f"{val:.3f}"})
                logf.flush()
            if is0 and self.step in cfg.snapshot_at:
                self.export(f"generator_step{self.step}")
            if self.step % cfg.checkpoint_every == 0 or self.step == end:
                self.save()
        if bar is not None:
            bar.close()
        if is0:
            logf.close()
            self.export("final")


def train(model_cfg: ModelConfig, cfg: TrainConfig, out_dir: Path | str, device: str = "cpu",
          images: np.ndarray | None = None, validation: np.ndarray | None = None,
          resume: bool = True, validate_every: int = 0, stop_after: int | None = None,
          progress: bool = True) -> Trainer:
    """Train a BEGAN (on CelebA's train split unless ``images`` is given); returns the trainer."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and device != "cpu" else "gloo"
        dist.init_process_group(backend)
        if backend == "nccl":
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
            torch.cuda.set_device(device)
    if images is None:
        from ..core.data import celeba_array

        images = celeba_array(model_cfg.image_size, "train", cfg.validation_images)
        if validation is None and cfg.validation_images:
            validation = celeba_array(model_cfg.image_size, "validation", cfg.validation_images)[:16]
    trainer = Trainer(model_cfg, cfg, images, out_dir, device, validation)
    if resume:
        trainer.load()
    trainer.run(validate_every=validate_every, stop_after=stop_after, progress=progress)
    if distributed:
        dist.barrier()
    return trainer
