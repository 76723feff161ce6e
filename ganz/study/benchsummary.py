"""The benchmark's summary (``ganz.study.bench``): from the tidy time-to-PSNR curves to per-image and
per-split speed-ups, costs and PSNR gaps, and the reading table of the headline numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core.config import InvertConfig
from ..core.fast import FastConfig
from ..core.runtime import device_name
from ..results.bench import first_time, mean_curve

# dense bf16 tensor-core peaks (FLOP/s) of GPUs we may be lent, for the fraction-of-peak column
BF16_PEAK = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12}


def bf16_peak(dev: torch.device) -> float | None:
    if dev.type != "cuda":
        return None
    name = torch.cuda.get_device_name(dev)
    for key, peak in BF16_PEAK.items():
        if key in name:
            return peak
    return None


def summarize(table: pd.DataFrame, runs: pd.DataFrame, flops: dict, fast: FastConfig,
              paper: InvertConfig, dev: torch.device) -> pd.DataFrame:
    """Speed-up per image and per (adapter, split): see ``ganz.study.bench``'s docstring."""
    rows = []
    conv = flops["conv_forward"]
    step_flops = 3 * conv  # forward + backward (≈ 2× forward) per image per step
    k_cands = len(fast.starts) + fast.random_starts
    fast_fixed = flops["encoder_forward"] + (k_cands + 1) * conv
    paper_flops = paper.restarts * (paper.steps + 1) * step_flops
    peak = bf16_peak(dev)
    for (adapter, split), grp in table.groupby(["adapter", "split"], sort=False):
        run = runs[(runs.adapter == adapter) & (runs.split == split)].set_index("method")
        per = []
        for image, g in grp.groupby("image", sort=False):
            p = g[g.method == "paper"].sort_values("step")
            f = g[g.method == "fast"].sort_values("step")
            target = float(p["psnr"].iloc[-1])
            tp, tf = first_time(p, target), first_time(f, target)
            gp, gf = first_time(p, target, "gflops"), first_time(f, target, "gflops")
            tf05 = first_time(f, target - 0.05)
            fast_final = float(f["psnr"].iloc[-1])
            per.append({"adapter": adapter, "split": split, "image": image,
                        "paper_final_psnr": target, "fast_final_psnr": fast_final,
                        "fast_start_psnr": float(f["psnr"].iloc[0]),
                        "psnr_gap_db": fast_final - target, "fast_lower": fast_final < target,
                        "fast_evals": int(f["evals"].iloc[-1]),
                        "paper_time_to_final": tp, "fast_time_to_paper_final": tf,
                        "speedup": tp / tf if tf > 0 else float("nan"),
                        "speedup_flops": gp / gf if gf > 0 else float("nan"),
                        "speedup_within_0.05dB": tp / tf05 if tf05 > 0 else float("nan"),
                        "paper_total_seconds": float(p["seconds"].iloc[-1]),
                        "fast_total_seconds": float(f["seconds"].iloc[-1]),
                        "reached": bool(np.isfinite(tf))})
        per_df = pd.DataFrame(per)
        # the split as a whole: mean PSNR curves over its images (same steps for all images)
        mp, mf = mean_curve(grp, "paper"), mean_curve(grp, "fast")
        target = float(mp["psnr"].iloc[-1])
        tp, tf = first_time(mp, target), first_time(mf, target)
        n = int(run.loc["paper", "images"])
        sp = per_df["speedup"]
        fast_flops = fast_fixed + float(per_df["fast_evals"].mean()) * step_flops
        agg = {"adapter": adapter, "split": split, "image": "ALL",
               "paper_final_psnr": target, "fast_final_psnr": float(mf["psnr"].iloc[-1]),
               "fast_start_psnr": float(mf["psnr"].iloc[0]),
               "paper_time_to_final": tp, "fast_time_to_paper_final": tf,
               "speedup": tp / tf if tf > 0 else float("nan"),
               # the headline: both methods run to their own end (paper: its steps; fast: its
               # stopping rule), whole batch, recording left out
               "speedup_full_run": float(run.loc["paper", "seconds"]) / float(run.loc["fast", "seconds"]),
               "paper_run_seconds": float(run.loc["paper", "seconds"]),
               "fast_run_seconds": float(run.loc["fast", "seconds"]),
               "psnr_gap_mean_db": float(per_df["psnr_gap_db"].mean()),
               "psnr_gap_min_db": float(per_df["psnr_gap_db"].min()),
               "images_fast_lower": int(per_df["fast_lower"].sum()),
               "fast_evals_mean": float(per_df["fast_evals"].mean()),
               "fast_evals_max": int(per_df["fast_evals"].max()),
               "speedup_median_image": float(sp.median()) if sp.notna().any() else float("nan"),
               "speedup_min_image": float(sp.min()) if sp.notna().all() else float("nan"),
               "speedup_flops_median_image": float(per_df["speedup_flops"].median()),
               "speedup_within_0.05dB_median_image": float(per_df["speedup_within_0.05dB"].median()),
               "images_reached": int(per_df["reached"].sum()), "images": n,
               "paper_total_seconds": float(mp["seconds"].iloc[-1]),
               "fast_total_seconds": float(mf["seconds"].iloc[-1]),
               "paper_cpu_seconds_per_image": float(run.loc["paper", "cpu_seconds"]) / n,
               "fast_cpu_seconds_per_image": float(run.loc["fast", "cpu_seconds"]) / n,
               "paper_images_per_min": 60 * n / float(run.loc["paper", "seconds"]),
               "fast_images_per_min": 60 * n / float(run.loc["fast", "seconds"]),
               "flops_per_step_per_image": step_flops,
               "paper_flops_per_image": paper_flops, "fast_flops_per_image": fast_flops,
               "paper_steps": paper.steps, "fast_steps": fast.steps,
               "d_c": int(run.loc["paper", "d_c"])}
        if peak is not None:
            for m, fl in (("paper", paper_flops), ("fast", fast_flops)):
                achieved = fl * n / float(run.loc[m, "seconds"])
                agg[f"{m}_fraction_bf16_peak"] = achieved / peak
            agg["gpu_note"] = f"measured on {device_name(dev)} (fp32 kernels vs bf16 peak)"
        else:
            agg["paper_fraction_bf16_peak"] = agg["fast_fraction_bf16_peak"] = float("nan")
            agg["gpu_note"] = "not measured (no GPU in this run)"
        rows += per + [agg]
    return pd.DataFrame(rows)
