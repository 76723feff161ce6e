"""The inversion benchmark as recorded (``ganz bench inversion`` writes it under
``results/bench/``): its result type, columns and reading tables, and where to find a run.
No torch: the report reads it, the study writes it."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.paths import ROOT, results_dir

COMMITTED_DIR = ROOT / "results" / "bench"


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


def first_time(curve: pd.DataFrame, target: float, col: str = "seconds") -> float:
    hit = curve[curve["psnr"] >= target - 1e-9]
    return float(hit[col].iloc[0]) if len(hit) else float("nan")


def mean_curve(grp: pd.DataFrame, method: str) -> pd.DataFrame:
    """A method's mean PSNR curve over a split's images (same steps for all images)."""
    m = grp[grp.method == method]
    return m.groupby("step").agg(seconds=("seconds", "first"), psnr=("psnr", "mean")).reset_index()


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


def find(tag: str, device: str) -> Path | None:
    devs = ["cuda", "cpu"] if device == "auto" else [device.split(":")[0]]
    for folder in dict.fromkeys([results_dir() / "bench", COMMITTED_DIR]):
        for d in devs:
            p = folder / f"inversion-{tag}-{d}.csv"
            if p.is_file() and p.with_name(p.stem + "-summary.csv").is_file():
                return p
    return None


def read_recorded(profile: str, device: str = "auto") -> BenchResult | None:
    """The recorded inversion benchmark of ``profile`` (``find``), None where there is none."""
    path = find(profile, device)
    if path is None:
        return None
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    meta["source"] = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return BenchResult(pd.read_csv(path), pd.read_csv(path.with_name(path.stem + "-summary.csv")),
                       meta)


def provenance(meta: dict) -> str:
    keys = ("source", "model", "device", "threads", "torch", "commit", "created")
    return " · ".join(f"{k}: {meta[k]}" for k in keys if meta.get(k) not in (None, ""))
