"""BEGAN training with exact resume, CSV logs, generator exports and validation-based selection.

BEGAN objective (Berthelot et al. 2017), L(v) = mean |v − D(v)|:
  L_D = L(x) − k·L(G(z)),  L_G = L(G(z)),  k ← k + λ_k (γ L(x) − L(G(z))),
  M_global = L(x) + |γ L(x) − L(G(z))|.
k is clamped to [0, 1] by default (``clamp_k=False`` reproduces the original code, which did not).
Two recipes (``TrainConfig.recipe``): the project's, and the original code's (``TrainConfig.original``:
separate latents for D's fake term and G's term, k from G's term). Losses are multiplied by the
model's ``native_scale`` (L1 in the original's [0, 1] image units for ``arch="original"``), so k
moves as it did there.

On CUDA a step never waits for the host: k lives on the device, losses are summed there and read
every ``log_every`` steps, the data and the per-step random numbers are on the GPU; models are
channels_last, Adam is fused, bf16 autocast by default (``precision``). A deadline or SIGTERM stops
the loop between steps and the generator is still exported (``final.safetensors``, fp16).

Randomness is a pure function of (seed, step, rank) (``ganz.train.batches``), so a resumed run
repeats no step and loses none; the log, samples grid and SIGTERM handling are ``ganz.train.runfiles``.
Launch with ``torchrun --nproc_per_node=P -m ganz train ...`` for DistributedDataParallel: each rank
takes its slice of the global batch (batch_size × P images per step); rank 0 writes everything.
"""
from __future__ import annotations

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

from ..core.adapters import decode, make_adapter
from ..core.atomic import atomic_path, atomic_write
from ..core.config import InvertConfig, ModelConfig, TrainConfig, to_jsonable
from ..core.errors import GanzError
from ..core.invert import invert
from ..core.metrics import psnr_model
from ..core.models import Discriminator, Generator
from ..core.pixels import uint8_to_model
from ..core.zoo import export_generator
from .batches import batch_indices, epoch_permutation, step_seed, steps_per_epoch
from .runfiles import LOG_FIELDS, open_log, save_grid, stop_on_sigterm

__all__ = ["LOG_FIELDS", "STATS", "Trainer", "batch_indices", "save_grid", "stop_on_sigterm", "train"]

STATS = ["loss_real", "loss_fake", "loss_d", "loss_g", "k", "m_global"]
IPS_REPORT_S = 30.0  # images/s is printed once, this long after the loop starts


class Trainer:
    """Holds G, D, their optimizers and k; ``run`` trains to the end, resuming if possible."""

    def __init__(self, model_cfg: ModelConfig, cfg: TrainConfig, images: np.ndarray,
                 out_dir: Path | str, device: str = "cpu", validation: np.ndarray | None = None):
        self.mcfg, self.cfg, self.out = model_cfg, cfg, Path(out_dir)
        self.device = torch.device(device)
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world = dist.get_world_size() if dist.is_initialized() else 1
        if images.ndim != 4 or images.shape[1:] != (model_cfg.image_size, model_cfg.image_size, 3):
            raise GanzError(f"training images have shape {images.shape}, expected "
                            f"(n, {model_cfg.image_size}, {model_cfg.image_size}, 3)")
        cuda = self.device.type == "cuda"
        self.images = torch.from_numpy(np.ascontiguousarray(images))  # uint8 NHWC
        if cuda:  # ~100 MB at 64×64: copied once, not one batch per step
            self.images = self.images.to(self.device)
        steps_per_epoch(len(self.images), cfg.batch_size * self.world)  # refuse a too-small set now
        self.validation = validation
        self.precision = cfg.precision if cfg.precision != "auto" else ("bf16" if cuda else "fp32")
        if cuda:
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = self.precision != "fp32"
            torch.backends.cudnn.allow_tf32 = self.precision != "fp32"
        # L1 losses in the architecture's native image units (the original's [0, 1]: 0.5)
        self.loss_scale = float(getattr(model_cfg, "native_scale", 1.0))
        torch.manual_seed(cfg.seed)  # identical initial weights on every rank
        self.G, self.D = Generator(model_cfg).to(self.device), Discriminator(model_cfg).to(self.device)
        if cuda:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        betas = (cfg.beta1, cfg.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=betas, fused=cuda or None)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=betas, fused=cuda or None)
        self._k = torch.zeros((), device=self.device)
        self.step, self.best_val = 0, -math.inf
        self.G_ddp = DDP(self.G) if self.world > 1 else self.G
        self.D_ddp = DDP(self.D) if self.world > 1 else self.D
        self._perm_epoch, self._perm = -1, None
        self._gen = torch.Generator(device=self.device) if cuda else None
        self._acc, self._acc_n = torch.zeros(len(STATS), device=self.device), 0
        self.stop_requested = False  # set by a signal handler: the loop ends after this step
        self._lr_override: float | None = None  # rebuild_moments: gradient-only steps at lr 0

    @property
    def k(self) -> float:
        return float(self._k)

    @k.setter
    def k(self, value: float) -> None:
        self._k = torch.tensor(float(value), device=self.device)

    @property
    def per_epoch(self) -> int:
        return steps_per_epoch(len(self.images), self.cfg.batch_size * self.world)

    @property
    def total_steps(self) -> int:
        return self.cfg.epochs * self.per_epoch if self.cfg.epochs else self.cfg.steps

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
        with atomic_path(self.checkpoint_path) as tmp:  # a kill mid-save leaves the old checkpoint
            torch.save(self.state(), tmp)

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

    def _images(self, step: int) -> torch.Tensor:
        """This rank's slice of step ``step``'s batch, model space; no host sync on a GPU."""
        cfg, B = self.cfg, self.cfg.batch_size
        epoch, pos = divmod(step, self.per_epoch)
        start = pos * B * self.world + self.rank * B
        if cfg.shuffle:
            if self._perm_epoch != epoch:  # one copy to the device per epoch
                perm = epoch_permutation(len(self.images), epoch, cfg.seed)
                self._perm, self._perm_epoch = perm.to(self.images.device), epoch
            xb = self.images[self._perm[start:start + B]]
        else:
            xb = self.images[start:start + B]
        x = uint8_to_model(xb.to(self.device))
        return x.contiguous(memory_format=torch.channels_last) if self.device.type == "cuda" else x

    def _batch(self, step: int, latents: int = 1) -> tuple[torch.Tensor, ...]:
        """(x, z_1 … z_latents): the step's images (flipped if asked) and uniform latents."""
        cfg, B = self.cfg, self.cfg.batch_size
        x = self._images(step)
        seed = step_seed(cfg.seed, step, 1000 + self.rank)
        g = torch.Generator().manual_seed(seed) if self._gen is None else self._gen.manual_seed(seed)
        dev = self.device
        if cfg.hflip:
            flip = torch.rand(B, generator=g, device=dev) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        zs = [torch.rand(B, self.mcfg.latent_dim, generator=g, device=dev) * 2 - 1
              for _ in range(latents)]
        return (x, *zs)

    def _amp(self):
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def _l1(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.loss_scale * (a.float() - b.float()).abs().mean()

    def rebuild_moments(self, steps: int) -> int:
        """Adam's moments for the current weights when they were not kept (a run handed from one
        GPU session to the next in ``compact`` form, ``ganz.train.handoff``): ``steps`` gradient-only
        steps (lr 0: no weight moves, k held) on the batches of the run's last ``steps`` steps, so
        no new data is consumed and the step, k and data position are unchanged. Afterwards
        both Adams are as if started ``steps`` steps ago (bias correction counted from there).
        Returns the steps run (at most ``self.step``)."""
        n = max(0, min(int(steps), self.step))
        step, k = self.step, self._k.clone()
        self._lr_override = 0.0
        try:
            for s in range(step - n, step):
                self.step = s
                self.train_step()
                self._k = k.clone()
        finally:
            self._lr_override = None
            self.step, self._k = step, k
        return n

    def train_step(self) -> torch.Tensor:
        """One step; returns the step's stats (device tensor, order ``STATS``) without syncing."""
        lr = self.lr(self.step) if self._lr_override is None else self._lr_override
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        if self.cfg.recipe == "original":
            loss_real, loss_fake, loss_d, loss_g = self._step_original()
            balance = self.cfg.gamma * loss_real - loss_g  # k follows G's term (original train.py)
        else:
            loss_real, loss_fake, loss_d, loss_g = self._step_ganz()
            balance = self.cfg.gamma * loss_real - loss_fake
        stats = torch.stack([loss_real, loss_fake, loss_d, loss_g]).detach()
        if self.world > 1:
            dist.all_reduce(stats)
            stats /= self.world
            balance = self.cfg.gamma * stats[0] - (stats[3] if self.cfg.recipe == "original" else stats[1])
        k = self._k + self.cfg.lambda_k * balance.detach()
        self._k = k.clamp(0.0, 1.0) if self.cfg.clamp_k else k
        self.step += 1
        return torch.cat([stats, self._k.reshape(1), (stats[0] + balance.detach().abs()).reshape(1)])

    def _step_ganz(self) -> tuple[torch.Tensor, ...]:
        x, z = self._batch(self.step)
        with self._amp():
            fake = self.G_ddp(z)
            d_real, d_fake = self.D_ddp(torch.cat([x, fake.detach()])).chunk(2)
            loss_real, loss_fake = self._l1(x, d_real), self._l1(fake.detach(), d_fake)
            loss_d = loss_real - self._k * loss_fake
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        freeze_d = self.world == 1  # under DDP, D's grads from this pass are zeroed next step
        self.D.requires_grad_(not freeze_d)
        with self._amp():
            loss_g = self._l1(fake, self.D_ddp(fake))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
        return loss_real, loss_fake, loss_d, loss_g

    def _step_original(self) -> tuple[torch.Tensor, ...]:
        """Both losses through the same D before either update, each latent its own sample."""
        x, z_d, z_g = self._batch(self.step, latents=2)
        self.opt_d.zero_grad(set_to_none=True)
        self.opt_g.zero_grad(set_to_none=True)
        self.D.requires_grad_(False)  # G's term: gradients for G only (plain D: no DDP reducer)
        with self._amp():
            fake_g = self.G_ddp(z_g)
            loss_g = self._l1(fake_g, self.D(fake_g))
        loss_g.backward()
        self.D.requires_grad_(True)
        with self._amp():
            with torch.no_grad():
                fake_d = self.G(z_d)
            d_real, d_fake = self.D_ddp(torch.cat([x, fake_d])).chunk(2)
            loss_real, loss_fake = self._l1(x, d_real), self._l1(fake_d, d_fake)
            loss_d = loss_real - self._k * loss_fake
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.step()
        return loss_real, loss_fake, loss_d, loss_g

    # ------------------------------------------------------------------ validation
    def validate(self, steps: int = 200, ratio: float = 10.0) -> float:
        """Mean PSNR (dB) of R-``ratio`` inversions of held-out train-split faces."""
        if self.validation is None or len(self.validation) == 0:
            return float("nan")
        x = uint8_to_model(self.validation)
        self.G.eval()
        adapter = make_adapter(self.G, "random_linear", ratio=ratio, seed=0)
        params = [p.requires_grad for p in self.G.parameters()]
        self.G.requires_grad_(False)
        res = invert(self.G, adapter, x.to(self.device), InvertConfig(steps=steps, batch_size=len(x)))
        for p, r in zip(self.G.parameters(), params):
            p.requires_grad_(r)
        self.G.train()
        with torch.no_grad():
            rec = decode(self.G, adapter, res.z.to(self.device))
        return float(psnr_model(x.to(self.device), rec).mean())

    # ------------------------------------------------------------------ loop
    def export(self, name: str, **meta) -> str:
        return export_generator(self.G, self.out / f"{name}.safetensors", step=self.step,
                                images_seen=self.step * self.cfg.batch_size * self.world,
                                train_config=to_jsonable(self.cfg), **meta)

    def _snapshot_steps(self) -> dict[int, str]:
        gb = self.cfg.batch_size * self.world
        snaps = {s: f"generator_step{s}" for s in self.cfg.snapshot_at}
        snaps.update({-(-n // gb): f"generator_images{n}" for n in self.cfg.snapshot_images})
        return snaps

    def run(self, validate_every: int = 0, progress: bool = True, stop_after: int | None = None,
            deadline: float | None = None, grid: bool = True) -> str:
        """Train to the end (or ``stop_after`` more steps, or the ``time.monotonic()`` deadline, or
        a stop request), checkpointing atomically; exports ``final``. Returns why it stopped:
        ``"end"``, ``"deadline"`` or ``"signal"``."""
        cfg, is0 = self.cfg, self.rank == 0
        if is0:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write(self.out / "config.json", json.dumps(
                {"model": to_jsonable(self.mcfg), "train": to_jsonable(self.cfg)}, indent=1).encode())
            logf, writer = open_log(self.out / "log.csv", self.step)
        end = self.total_steps if stop_after is None else min(self.total_steps, self.step + stop_after)
        snaps, reason = self._snapshot_steps(), "end"
        bar = None
        if progress and is0:
            from tqdm.auto import tqdm

            bar = tqdm(total=end, initial=self.step, desc="train", unit="step")
        t0, s0, reported = time.perf_counter(), self.step, False
        self._acc.zero_()
        self._acc_n = 0

        def write_row(val: float) -> None:
            nonlocal reported
            mean = (self._acc / max(self._acc_n, 1)).tolist()  # the only host sync: every log_every
            self._acc.zero_()
            self._acc_n = 0
            el = time.perf_counter() - t0
            ips = (self.step - s0) * cfg.batch_size * self.world / max(el, 1e-9)
            if is0:
                row = dict(zip(STATS, mean), lr=self.lr(self.step - 1))
                writer.writerow({"step": self.step, "images_seen": self.step * cfg.batch_size * self.world,
                                 **{k: f"{v:.6g}" for k, v in row.items()}, "seconds": f"{el:.1f}",
                                 "images_per_s": f"{ips:.2f}", "val_psnr": f"{val:.3f}"})
                logf.flush()
                if not reported and el >= IPS_REPORT_S:
                    reported = True
                    print(f"train: {ips:.0f} images/s after {el:.0f} s (step {self.step})", flush=True)

        while self.step < end:
            if deadline is not None and time.monotonic() >= deadline:
                reason = "deadline"
                break
            if self.stop_requested:
                reason = "signal"
                break
            self._acc += self.train_step()
            self._acc_n += 1
            if bar is not None:
                bar.update(1)
            val = float("nan")
            if validate_every and self.step % validate_every == 0:
                val = self.validate()
                if is0 and val > self.best_val:
                    self.best_val = val
                    self.export("best")
            if self.step % cfg.log_every == 0 or not math.isnan(val) or self.step == end:
                write_row(val)
            if is0 and self.step in snaps:
                self.export(snaps[self.step])
            if cfg.checkpoint_every and (self.step % cfg.checkpoint_every == 0 or self.step == end):
                self.save()
        if reason != "end":
            if self._acc_n:
                write_row(float("nan"))
            if cfg.checkpoint_every:
                self.save()
        if bar is not None:
            bar.close()
        if is0:
            logf.close()
            self.export("final", stopped=reason)
            if grid:
                save_grid(self.G, self.out / "samples.png")
        return reason


def train(model_cfg: ModelConfig, cfg: TrainConfig, out_dir: Path | str, device: str = "cpu",
          images: np.ndarray | None = None, validation: np.ndarray | None = None,
          resume: bool = True, validate_every: int = 0, stop_after: int | None = None,
          progress: bool = True, deadline: float | None = None) -> Trainer:
    """Train a BEGAN (on CelebA's train split unless ``images`` is given); returns the trainer.

    ``deadline`` (a ``time.monotonic()`` value) and SIGTERM end the run early, generator exported.
    """
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
    with stop_on_sigterm(trainer):
        trainer.run(validate_every=validate_every, stop_after=stop_after, progress=progress,
                    deadline=deadline)
    if distributed:
        dist.barrier()
    return trainer

