"""Speed measurements beside ``ganz.study.bench``: tuning the fast method's stopping rule, and timing
whole ``ganz compress`` commands.

``ganz bench tune``: on TRAINING faces only (the manifest's ``train`` split), runs the
paper's method (its 7500 steps) and the fast method without a stopping rule (``--max-steps``
iterations, every iteration traced), then replays the rule "stop an image when its PSNR gained
less than ε dB over its last k iterations" for a grid of (ε, k) on the recorded curves. Written:
``stop-tuning-<tag>.csv`` (per adapter and (ε, k): mean evaluations per image, mean and worst
PSNR gap to the paper's final PSNR, images below it) and ``stop-tuning-<tag>.json`` (the choice:
the cheapest rule whose mean gap is ≥ ``--margin`` dB on every adapter and no image is more than
0.05 dB below, and its provenance; ``--rechoose`` chooses again from the recorded table).

``ganz bench command``: cold processes, ``python -m ganz compress`` on 1 and on 8
held-out faces (``test`` split), ``--method fast`` and ``--method paper`` alternating, repeated;
wall time, child CPU time and the machine's load per run; the files are decoded afterwards and
PSNR is measured per image. Written: ``command-<tag>-cpu.csv`` (one row per run),
``command-<tag>-cpu-psnr.csv`` (per run and image) and ``command-<tag>-cpu-summary.csv``
(medians and ratios per image count).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core.atomic import atomic_write, write_csv
from ..core.config import InvertConfig
from ..core.errors import GanzError
from ..core.fast import FastConfig, invert_fast
from ..core.invert import invert

EPSILONS = (0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1)
WINDOWS = (5, 10, 20, 40)


def _load() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def _psnr_model(mse: np.ndarray) -> np.ndarray:
    """PSNR in dB of a model-space ([-1, 1]) MSE."""
    return 10 * np.log10(4.0 / np.maximum(mse, 1e-30))


def replay_rule(curve: pd.DataFrame, eps: float, window: int) -> tuple[int, float, int]:
    """Where the rule stops one image's traced run (rows: step, mse, evals; every iteration):
    (stop iteration, MSE there, evaluations used)."""
    c = curve.sort_values("step")
    mse, ev, steps = c["mse"].to_numpy(), c["evals"].to_numpy(), c["step"].to_numpy()
    for j in range(window, len(mse)):
        if 10 * np.log10(max(mse[j - window], 1e-30) / max(mse[j], 1e-30)) < eps:
            return int(steps[j]), float(mse[j]), int(ev[j])
    return int(steps[-1]), float(mse[-1]), int(ev[-1])


def choose_rule(table: pd.DataFrame, margin: float = -0.01, worst: float = -0.05) -> dict | None:
    """The cheapest (ε, k) (fewest evaluations, summed over adapters) whose mean PSNR gap to the
    paper is ≥ ``margin`` dB on every adapter and whose every image is within ``worst`` dB."""
    ok = table.groupby(["tol_db", "tol_window"]).agg(
        mean_gap=("gap_mean_db", "min"), min_gap=("gap_min_db", "min"),
        evals=("evals_mean", "sum")).reset_index()
    ok = ok[(ok.mean_gap >= margin) & (ok.min_gap >= worst)]
    ok = ok.sort_values(["evals", "tol_db"], ascending=[True, False])
    return None if ok.empty else {"tol_db": float(ok.iloc[0].tol_db),
                                  "tol_window": int(ok.iloc[0].tol_window)}


def rechoose(tag: str = "cpu-small", margin: float = -0.01, worst: float = -0.05,
             out_dir: Path | None = None) -> dict | None:
    """Choose again from a recorded tuning table (no recomputation) and record the choice."""
    from ..core.paths import results_dir

    out = Path(out_dir) if out_dir is not None else results_dir() / "bench"
    table = pd.read_csv(out / f"stop-tuning-{tag}.csv")
    meta = json.loads((out / f"stop-tuning-{tag}.json").read_text())
    meta.update(choice=choose_rule(table, margin, worst), margin_db=margin, worst_image_db=worst,
                rule=RULE_TEXT)
    atomic_write(out / f"stop-tuning-{tag}.json", (json.dumps(meta, indent=1) + "\n").encode())
    return meta["choice"]


RULE_TEXT = ("stop an image once its PSNR gained < tol_db dB over its last tol_window L-BFGS "
             "iterations; chosen: the cheapest rule whose mean gap to the paper's final PSNR is "
             ">= margin_db on every adapter and whose every image is within worst_image_db")


def tune_stopping(model: str = "cpu-small-d64", n_images: int = 8, max_steps: int = 1000,
                  margin: float = -0.01, device: str = "cpu", out_dir: Path | None = None,
                  paper_steps: int | None = None, settings=None, worst: float = -0.05) -> dict:
    """Grid of (ε, k) replayed on traced fast runs on training faces; see the module docstring."""
    from ..core.adapters import make_adapter
    from .bench import SETTINGS, _commit, _profile_tag
    from ..core.data import eval_images
    from ..core.encoder import find_encoder
    from ..core.paths import results_dir
    from ..core.zoo import load_generator

    dev = torch.device(device)
    G, gid, meta = load_generator(model, dev)
    E = find_encoder(meta.get("path"), gid, dev)
    names, x = eval_images("train", G.cfg.image_size, limit=n_images)
    load0, rows, curves = _load(), [], []
    for adapter_name, ratio in settings or SETTINGS:
        ad = make_adapter(G, adapter_name, ratio if adapter_name == "random_linear" else None)
        pcfg = InvertConfig(steps=paper_steps or InvertConfig().steps, batch_size=len(names))
        paper = _psnr_model(invert(G, ad, x, pcfg).mse.numpy())
        res = invert_fast(G, ad, x, E, FastConfig(steps=max_steps, tol_db=0.0,
                                                    batch_size=len(names)), trace_every=1)
        tr = pd.DataFrame(res.trace)
        full = _psnr_model(res.mse.numpy())
        for i, name in enumerate(names):
            curves.append({"adapter": adapter_name, "image": name, "paper_psnr": paper[i],
                           "fast_full_psnr": full[i], "fast_full_evals": int(res.evals[i])})
        for eps in EPSILONS:
            for k in WINDOWS:
                stops = [replay_rule(tr[tr.image == i], eps, k) for i in range(len(names))]
                gap = _psnr_model(np.array([s[1] for s in stops])) - paper
                rows.append({"adapter": adapter_name, "tol_db": eps, "tol_window": k,
                             "evals_mean": float(np.mean([s[2] for s in stops])),
                             "evals_max": int(max(s[2] for s in stops)),
                             "gap_mean_db": float(gap.mean()), "gap_min_db": float(gap.min()),
                             "images_below": int((gap < 0).sum()),
                             "images_below_0.05dB": int((gap < -0.05).sum()),
                             "loss_vs_uncapped_db": float((full - _psnr_model(
                                 np.array([s[1] for s in stops]))).mean()),
                             "images": len(names)})
    table = pd.DataFrame(rows)
    choice = choose_rule(table, margin, worst)
    tag = _profile_tag(model)
    out = Path(out_dir) if out_dir is not None else results_dir() / "bench"
    meta_out = {"tag": tag, "model": model, "generator": gid, "split": "train",
                "images": names, "max_steps": max_steps, "paper_steps": pcfg.steps,
                "margin_db": margin, "worst_image_db": worst, "choice": choice, "rule": RULE_TEXT,
                "commit": _commit(), "torch": torch.__version__,
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "load_average_start": load0, "load_average_end": _load()}
    write_csv(table.round(5), out / f"stop-tuning-{tag}.csv")
    write_csv(pd.DataFrame(curves).round(5), out / f"stop-tuning-{tag}-images.csv")
    atomic_write(out / f"stop-tuning-{tag}.json", (json.dumps(meta_out, indent=1) + "\n").encode())
    return {"table": table, "choice": choice, "meta": meta_out}


def _compress(files: list[Path], out: Path, method: str, model: str, steps: int | None,
              env: dict) -> dict:
    """One cold ``python -m ganz compress`` process: wall and CPU seconds, load before it."""
    dst = out / "one.ganz" if len(files) == 1 else out
    cmd = [sys.executable, "-m", "ganz", "compress", *map(str, files), "-o", str(dst),
           "--method", method, "--model", model, "--device", "cpu", "-q", "-f"]
    if steps:
        cmd += ["--steps", str(steps)]
    load = _load()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise GanzError(f"ganz compress failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    outs = [dst] if len(files) == 1 else [out / (f.stem + ".ganz") for f in files]
    return {"wall_seconds": wall, "cpu_seconds": cpu, "load1_before": load[0] if load else None,
            "outputs": outs}


def _fast_backend(model: str) -> str:
    """What ``ganz compress --method fast --device cpu`` runs for ``model`` here: the torch-free
    path (``ganz.lite``) when its bundle is up to date and onnxruntime is installed, else torch."""
    import argparse

    from ..lite.cli import lite_model

    a = argparse.Namespace(method="fast", fit=False, steps=None, device="cpu", model=model)
    if lite_model(a) is None:
        return "torch"
    import onnxruntime

    return f"onnxruntime {onnxruntime.__version__} (ganz.lite)"


def time_commands(model: str = "cpu-small-d64", counts=(1, 8), repeats=3,
                  out_dir: Path | None = None, paper_steps: int | None = None) -> pd.DataFrame:
    """Whole-command wall time, fast vs paper, on test faces; see the module docstring.
    ``repeats``: one number for all counts, or one per count."""
    reps = [repeats] * len(counts) if isinstance(repeats, int) else list(repeats)
    if len(reps) != len(counts) or min(reps) < 1:
        raise GanzError("give one repeat count (>= 1) for all image counts, or one per count")
    from PIL import Image

    from .bench import _commit, _profile_tag
    from ..core.codec import GanzCodec
    from ..core.data import eval_images
    from ..core.pixels import to_uint8
    from ..core.metrics import psnr
    from ..core.paths import results_dir

    codec = GanzCodec(model, "cpu", method="paper")
    names, x = eval_images("test", codec.cfg.image_size, limit=max(counts))
    orig = to_uint8(x)
    env = dict(os.environ)
    threads = env.get("OMP_NUM_THREADS") or str(torch.get_num_threads())
    runs, psnrs = [], []
    with tempfile.TemporaryDirectory(prefix="ganz-cmd-") as tmp:
        tmp = Path(tmp)
        files = []
        for name, im in zip(names, orig):
            files.append(tmp / (Path(name).stem + ".png"))
            Image.fromarray(im).save(files[-1])
        for r in range(max(reps)):
            for n, rn in zip(counts, reps):
                if r >= rn:
                    continue
                order = ("fast", "paper") if r % 2 == 0 else ("paper", "fast")
                for method in order:
                    out = tmp / f"out-{method}"
                    out.mkdir(exist_ok=True)
                    run = _compress(files[:n], out, method, model,
                                    paper_steps if method == "paper" else None, env)
                    for i, p in enumerate(run.pop("outputs")):
                        q = psnr(orig[i], codec.decompress(p.read_bytes()))
                        psnrs.append({"images": n, "method": method, "repeat": r,
                                      "image": names[i], "psnr": q})
                    runs.append({"images": n, "method": method, "repeat": r, **run})
    runs_df, psnr_df = pd.DataFrame(runs), pd.DataFrame(psnrs)
    rows = []
    for n in counts:
        w = runs_df[runs_df.images == n].pivot(index="repeat", columns="method", values="wall_seconds")
        c = runs_df[runs_df.images == n].pivot(index="repeat", columns="method", values="cpu_seconds")
        q = psnr_df[(psnr_df.images == n) & (psnr_df.repeat == 0)].pivot(
            index="image", columns="method", values="psnr")
        gap = q["fast"] - q["paper"]
        rows.append({"images": n, "repeats": len(w),
                     "fast_wall_median": float(w["fast"].median()),
                     "paper_wall_median": float(w["paper"].median()),
                     "speedup_median": float((w["paper"] / w["fast"]).median()),
                     "speedup_min": float((w["paper"] / w["fast"]).min()),
                     "speedup_max": float((w["paper"] / w["fast"]).max()),
                     "fast_cpu_median": float(c["fast"].median()),
                     "paper_cpu_median": float(c["paper"].median()),
                     "speedup_cpu_median": float((c["paper"] / c["fast"]).median()),
                     "fast_psnr_mean": float(q["fast"].mean()),
                     "paper_psnr_mean": float(q["paper"].mean()),
                     "psnr_gap_mean_db": float(gap.mean()),
                     "images_fast_lower": int((gap < 0).sum()),
                     "worst_gap_db": float(gap.min()),
                     "load1_median": float(runs_df.loc[runs_df.images == n, "load1_before"].median()),
                     "threads": threads})
    summary = pd.DataFrame(rows)
    tag = _profile_tag(model)
    out = Path(out_dir) if out_dir is not None else results_dir() / "bench"
    stem = f"command-{tag}-cpu"
    meta = {"tag": tag, "model": model, "split": "test", "images": names[:max(counts)],
            "counts": list(counts), "repeats": reps, "threads": threads,
            "paper_steps": paper_steps or InvertConfig().steps,
            "fast": asdict(replace(FastConfig())), "commit": _commit(), "torch": torch.__version__,
            "python": sys.version.split()[0], "fast_backend": _fast_backend(model),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": "python -m ganz compress IMAGES -o OUT --method {fast|paper} --model "
                       f"{model} --device cpu -q -f (a fresh process each)"}
    write_csv(runs_df.round(4), out / f"{stem}.csv")
    write_csv(psnr_df.round(4), out / f"{stem}-psnr.csv")
    write_csv(summary.round(4), out / f"{stem}-summary.csv")
    atomic_write(out / f"{stem}.json", (json.dumps(meta, indent=1) + "\n").encode())
    return summary
