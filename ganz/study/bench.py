"""Benchmark: the paper's compressor against ``ganz.core.fast``, side by side, as PSNR against wall time.

``ganz bench inversion [--quick] [--model NAME] [--n-images N] [--device auto]``
(``tune`` and ``command``: the stopping rule's tuning and whole-command timings, ``ganz.study.speedruns``)

For R = 10 (``random_linear``) and ``keep_linear``, on held-out faces (``test``) and out-of-domain
pictures (``ood``), the same generator, images and machine run

- ``paper``: ``ganz.core.invert.invert`` with ``InvertConfig()`` (7500 Adam steps, lr 0.05, cosine,
  random start), and
- ``fast``: ``ganz.core.fast.invert_fast`` (encoder start + projected L-BFGS refinement, each image
  stopped by the method's own rule: no target PSNR),

one after the other on the same batch. Both record the best latent so far at regular steps; after
the run each is decoded and quantized to uint8, and PSNR is measured against the uint8 original,
so a row's PSNR is what a file written at that moment would decode to. Timing leaves the
recording out.

Outputs (atomic writes), under ``results/bench/``:

- ``inversion-<tag>-<device>.csv``: tidy curves — method, adapter, split, image, step, seconds, psnr,
  device, torch, commit (and a few more);
- ``inversion-<tag>-<device>-summary.csv``: per image and per split: the headline
  ``speedup_full_run`` (both methods run to their own end, whole batch) with the PSNR gap per
  image (``psnr_gap_db``, fast − paper) and the images where fast ends lower; each method's final PSNR, the
  paper's time to reach its final PSNR (first touch) and its whole run's time, the fast method's
  time to reach that same PSNR and the ratios (``speedup``: first touch, an oracle-stopped paper
  method; ``speedup_table`` adds the ratio to the full run), CPU seconds per image, FLOPs per
  step, images per minute;
- ``inversion-<tag>-<device>.json``: settings and provenance.

``<tag>`` is the profile (``cpu-small`` for the committed 32×32 model) or ``quick``: a tiny
generator made on the spot, its encoder trained for a few seconds, synthetic images and few steps,
so the whole pipeline runs in seconds (CI). Quick numbers only show that the code runs.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd
import torch

from ..core.adapters import decode, make_adapter
from ..core.atomic import atomic_write, write_csv
from ..core.config import InvertConfig, ModelConfig
from ..core.pixels import to_uint8
from ..core.encoder import encoder_flops, find_encoder
from ..core.errors import GanzError
from ..core.fast import FastConfig, invert_fast
from ..core.invert import invert
from ..core.metrics import psnr
from ..core.models import Generator, conv_module_flops
from ..core.paths import ROOT, results_dir
from ..core.zoo import weights_id
from ..train.encoder import EncoderTrainConfig, train_encoder
from ..results.bench import COMMITTED_DIR, BenchResult, provenance, read_recorded, speedup_table
from .benchsummary import BF16_PEAK, bf16_peak, summarize

__all__ = ["BF16_PEAK", "COLUMNS", "COMMITTED_DIR", "BenchResult", "bf16_peak", "load_results",
           "provenance", "run_inversion", "speedup_table", "summarize"]

SETTINGS = (("random_linear", 10.0), ("keep_linear", None))
SPLITS = ("test", "ood")
METHODS = ("paper", "fast")
QUICK_MODEL = ModelConfig(image_size=16, base_size=4, width=8, latent_dim=8)
QUICK_PAPER_STEPS = 300
QUICK_FAST = FastConfig(steps=30)
COLUMNS = ["method", "adapter", "ratio", "split", "image", "step", "seconds", "psnr", "mse",
           "evals", "gflops", "device", "torch", "commit", "model", "generator"]


# --------------------------------------------------------------------------- helpers
def _device(device: str) -> torch.device:
    from ..core.runtime import pick_device

    return pick_device(device)


def _device_tag(dev: torch.device) -> str:
    return "cuda" if dev.type == "cuda" else "cpu"


def _device_name(dev: torch.device) -> str:
    from ..core.runtime import device_name

    return device_name(dev)


def _commit() -> str:
    from ..core.runtime import git_commit

    return git_commit()


def _profile_tag(model: str) -> str:
    from .profiles import PROFILES

    for prof in PROFILES.values():
        if model in prof.models.values():
            return prof.name
    return Path(str(model)).name.removesuffix(".safetensors")


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


class _Recorder:
    """Callback keeping (step, seconds, best z, best mse) snapshots; decoded after the run."""

    def __init__(self, dev: torch.device):
        self.dev, self.snaps = dev, []

    def __call__(self, step, seconds, z, mse, start=0, restart=0):
        _sync(self.dev)
        self.snaps.append((int(step), float(seconds), int(start), z.detach().clone(),
                           mse.detach().clone()))


def _curve_rows(rec: _Recorder, G: Generator, ad, x: torch.Tensor, names: list[str],
                base: dict, evals: dict, fixed_flops: float, eval_flops: float) -> list[dict]:
    """Decode each snapshot, PSNR against the uint8 original; cost as evaluations and GFLOPs."""
    orig = to_uint8(x)
    rows = []
    with torch.no_grad():
        for step, seconds, start, z, mse in rec.snaps:
            img = to_uint8(decode(G, ad, z.to(rec.dev)))
            for j in range(z.shape[0]):
                i = start + j
                ev = evals.get((step, i), step + 1)
                rows.append({**base, "image": names[i], "step": step, "seconds": seconds,
                             "psnr": psnr(orig[i], img[j]), "mse": float(mse[j]), "evals": ev,
                             "gflops": (fixed_flops + ev * eval_flops) / 1e9})
    return rows


def _quick_setup(dev: torch.device, n: int, seed: int = 0):
    """Tiny generator (seeded), its encoder trained for a few seconds, synthetic test images."""
    from .profiles import synthetic_images

    torch.manual_seed(seed)
    G = Generator(QUICK_MODEL).eval().requires_grad_(False).to(dev)
    gid = weights_id(G.state_dict())
    E, _ = train_encoder(G, None, EncoderTrainConfig(steps=40, batch_size=16, log_every=40,
                                                        channels=8, lr=3e-3), dev)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():  # "in-domain" for a tiny untrained generator: its own samples (+ noise)
        x_in = G((torch.rand(n, QUICK_MODEL.latent_dim, generator=g) * 2 - 1).to(dev)).cpu()
        x_in = (x_in + 0.02 * torch.randn(x_in.shape, generator=g)).clamp(-1, 1)
    images = {"test": ([f"sample-{i:02d}" for i in range(n)], x_in),
              "ood": ([f"synth-{i:02d}" for i in range(n)], synthetic_images(n, QUICK_MODEL.image_size, 2))}
    return G, gid, E, images, "quick (tiny untrained generator)"


def _real_setup(model: str, dev: torch.device, n: int):
    from ..core.data import eval_images
    from ..core.zoo import load_generator

    G, gid, meta = load_generator(model, dev)
    E = find_encoder(meta.get("path"), gid, dev)
    s = G.cfg.image_size
    images = {split: eval_images(split, s, limit=n) for split in SPLITS}
    return G, gid, E, images, str(model)


# --------------------------------------------------------------------------- the benchmark
def run_inversion(quick: bool = False, model: str | None = None, n_images: int | None = None,
                  device: str = "auto", paper_steps: int | None = None,
                  fast: FastConfig | None = None, out_dir: Path | str | None = None,
                  settings=SETTINGS, splits=SPLITS, progress: bool = True) -> BenchResult:
    """Run both compressors on the same images and write the curves and the summary."""
    dev = _device(device)
    if quick:
        n = n_images or 2
        G, gid, E, images, model_label = _quick_setup(dev, n)
        tag = "quick"
        paper_cfg = InvertConfig(steps=paper_steps or QUICK_PAPER_STEPS)
        fast = fast or QUICK_FAST
    else:
        from ..core.zoo import resolve_model

        model = model or "cpu-small-d64"
        resolve_model(model)
        n = n_images or 4
        G, gid, E, images, model_label = _real_setup(model, dev, n)
        tag = _profile_tag(model)
        paper_cfg = InvertConfig(steps=paper_steps or InvertConfig().steps)
        fast = fast or FastConfig()
    paper_cfg = replace(paper_cfg, batch_size=max(n, 1))
    fast = replace(fast, batch_size=max(n, 1))
    base = {"device": _device_name(dev), "torch": torch.__version__, "commit": _commit(),
            "model": model_label, "generator": gid[:16]}
    every = {"paper": max(1, paper_cfg.steps // 300), "fast": max(1, fast.steps // 300)}
    conv_flops = conv_module_flops(G.cfg)  # one forward; forward + backward ≈ 3×
    # the fast method's cost before refining: encoder pass + scoring its starts (forward each)
    fast_fixed_flops = ((encoder_flops(E.cfg) if E is not None else 0)
                        + (len(fast.starts) + fast.random_starts) * conv_flops)
    rows, runs = [], []
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    for adapter_name, ratio in settings:
        ad = make_adapter(G, adapter_name, ratio if adapter_name == "random_linear" else None).to(dev)
        for split in splits:
            names, x = images[split]
            x = x[:n]
            names = names[:n]
            for method in ("fast", "paper"):  # the short one first: its timing sees a cool machine
                rec = _Recorder(dev)
                _sync(dev)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                if method == "paper":
                    res = invert(G, ad, x.to(dev), paper_cfg, trace_every=every[method],
                                 progress=progress, callback=rec)
                else:
                    res = invert_fast(G, ad, x.to(dev), E, fast, trace_every=every[method],
                                      progress=progress, callback=rec)
                _sync(dev)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                rbase = {**base, "method": method, "adapter": adapter_name,
                         "ratio": G.cfg.num_pixels / ad.input_dim, "split": split}
                evals = {(r["step"], r["image"]): r.get("evals", r["step"] + 1) for r in res.trace}
                fixed = fast_fixed_flops if method == "fast" else 0.0
                rows += _curve_rows(rec, G, ad, x, names, rbase, evals, fixed, 3 * conv_flops)
                runs.append({"method": method, "adapter": adapter_name, "split": split,
                             "images": len(names), "seconds": res.seconds, "wall_seconds": wall,
                             "cpu_seconds": cpu, "d_c": ad.input_dim})
    table = pd.DataFrame(rows)[COLUMNS].round({"seconds": 5, "psnr": 4, "gflops": 4})
    table["mse"] = table["mse"].map(lambda v: float(f"{v:.6g}"))
    flops = {"conv_forward": conv_module_flops(G.cfg),
             "encoder_forward": encoder_flops(E.cfg) if E is not None else 0}
    summary = summarize(table, pd.DataFrame(runs), flops, fast, paper_cfg, dev)
    meta = {"tag": tag, "device": _device_name(dev), "device_type": dev.type,
            "threads": torch.get_num_threads(), "torch": torch.__version__, "commit": _commit(),
            "cudnn_benchmark": torch.backends.cudnn.benchmark,  # fast turns it off for its L-BFGS
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "model": model_label, "generator": gid, "images_per_split": n,
            "encoder": None if E is None else {"heads": [list(h) for h in E.cfg.heads],
                                               "channels": E.cfg.channels},
            "paper": asdict(paper_cfg), "fast": asdict(fast), "flops": flops,
            "platform": platform.platform(), "machine": platform.machine(),
            "load_average_start": load_start,
            "load_average_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "quick": quick}
    out = Path(out_dir) if out_dir is not None else results_dir() / "bench"
    stem = f"inversion-{tag}-{_device_tag(dev)}"
    write_csv(table, out / f"{stem}.csv")
    write_csv(summary, out / f"{stem}-summary.csv")
    atomic_write(out / f"{stem}.json", (json.dumps(meta, indent=1, default=str) + "\n").encode())
    meta["files"] = [str(out / f"{stem}{s}") for s in (".csv", "-summary.csv", ".json")]
    return BenchResult(table, summary, meta)


# --------------------------------------------------------------------------- loading
def load_results(profile: str | None = None, device: str = "auto") -> BenchResult:
    """Recorded benchmark results of a profile (default cpu-small); under the smoke profile the
    quick benchmark is run on the spot (seconds) and said so. A real profile with nothing
    recorded is an error naming the command to run (the book only reads results)."""
    prof = profile or os.environ.get("GANZ_PROFILE") or "cpu-small"
    if prof not in ("smoke", "quick"):
        res = read_recorded(prof, device)
        if res is not None:
            return res
        raise GanzError(f"stale: no recorded benchmark for profile {prof!r} under "
                        f"{COMMITTED_DIR.relative_to(ROOT)}; run `ganz bench inversion` "
                        f"and commit its results")
    res = run_inversion(quick=True, device="cpu" if device == "auto" else device, progress=False)
    res.meta["source"] = "quick benchmark run now"
    return res



# --------------------------------------------------------------------------- command line
