"""The benchmark's summary (``ganz.study.bench``): from the tidy time-to-PSNR curves to per-image and
per-split speed-ups, costs and PSNR gaps, and the reading table of the headline numbers."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ..core.config import InvertConfig
from ..core.fast import FastConfig
from ..core.runtime import device_name

# dense bf16 tensor-core peaks (FLOP/s) of GPUs we may be lent, for the fraction-of-peak column
BF16_PEAK = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12}


@dataclass
class BenchResult:
    table: pd.DataFrame  # tidy time-to-PSNR curves
    summary: pd.DataFrame  # per image and per split
    meta: dict = field(default_factory=dict)

    def speedups(self) -> pd.DataFrame:
        return speedup_table(self.summary)

    def costs(self) -> pd.DataFrame:
        """FLOPs per image, images per minute and fraction of the bf16 peak, per split."""
        return self.summary.loc[self.summary["image"] == "ALL", COST_COLUMNS].reset_index(drop=True)

    def per_image(self) -> pd.DataFrame:
        """Each image's final PSNRs, times to the paper's final PSNR and speed-up."""
        return self.summary.loc[self.summary["image"] != "ALL", PER_IMAGE_COLUMNS].round(3)


COST_COLUMNS = ["adapter", "split", "flops_per_step_per_image", "paper_flops_per_image",
                "fast_flops_per_image", "paper_images_per_min", "fast_images_per_min",
                "paper_fraction_bf16_peak", "fast_fraction_bf16_peak", "gpu_note"]
PER_IMAGE_COLUMNS = ["adapter", "split", "image", "paper_final_psnr", "fast_start_psnr",
                     "fast_final_psnr", "psnr_gap_db", "fast_evals", "paper_time_to_final",
                     "fast_time_to_paper_final", "speedup"]


def bf16_peak(dev: torch.device) -> float | None:
    if dev.type != "cuda":
        return None
    name = torch.cuda.get_device_name(dev)
    for key, peak in BF16_PEAK.items():
        if key in name:
            return peak
    return None


def _first_time(curve: pd.DataFrame, target: float, col: str = "seconds") -> float:
    hit = curve[curve["psnr"] >= target - 1e-9]
    return float(hit[col].iloc[0]) if len(hit) else float("nan")


def mean_curve(grp: pd.DataFrame, method: str) -> pd.DataFrame:
    """A method's mean PSNR curve over a split's images (same steps for all images)."""
    m = grp[grp.method == method]
    return m.groupby("step").agg(seconds=("seconds", "first"), psnr=("psnr", "mean")).reset_index()


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
            tp, tf = _first_time(p, target), _first_time(f, target)
            gp, gf = _first_time(p, target, "gflops"), _first_time(f, target, "gflops")
            tf05 = _first_time(f, target - 0.05)
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
        tp, tf = _first_time(mp, target), _first_time(mf, target)
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


# the speed-up table, in reading order: (heading, summary column, decimals; "of": "n/images")
SPEEDUP_COLUMNS = (
    ("speed-up, full runs", "speedup_full_run", 1),
    ("paper s (7500 steps)", "paper_run_seconds", 2),
    ("fast s (own stop)", "fast_run_seconds", 2),
    ("paper PSNR (final)", "paper_final_psnr", 2),
    ("fast PSNR (final)", "fast_final_psnr", 2),
    ("fast − paper dB (mean)", "psnr_gap_mean_db", 3),
    ("images fast lower", "images_fast_lower", "of"),
    ("fast evals/image", "fast_evals_mean", 0),
    ("fast PSNR (start)", "fast_start_psnr", 2),
    ("oracle: paper s to final", "paper_time_to_final", 2),
    ("oracle: fast s to same", "fast_time_to_paper_final", 3),
    ("oracle speed-up (split mean)", "speedup", 1),
    ("oracle speed-up (median image)", "speedup_median_image", 1),
    ("oracle speed-up in FLOPs (median image)", "speedup_flops_median_image", 1),
    ("images reached (oracle)", "images_reached", "of"),
    ("paper CPU s/image", "paper_cpu_seconds_per_image", 2),
    ("fast CPU s/image", "fast_cpu_seconds_per_image", 2),
)


def _shown(s: pd.DataFrame, column: str, decimals: int | str) -> pd.Series:
    if decimals == "of":  # counts as text, "3/4"
        return s[column].astype(int).astype(str) + "/" + s["images"].astype(int).astype(str)
    rounded = s[column].round(decimals)
    return rounded.astype(int) if decimals == 0 else rounded


def speedup_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (adapter, split): the headline (full run vs full run, each method stopping by
    its own rule) with the PSNR it reaches, then the oracle-stopped ratios (secondary)."""
    s = summary[summary["image"] == "ALL"]
    out = pd.DataFrame({"adapter": s["adapter"], "split": s["split"],
                        **{heading: _shown(s, column, decimals)
                           for heading, column, decimals in SPEEDUP_COLUMNS}})
    return out.reset_index(drop=True)
