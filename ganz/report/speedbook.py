"""The speed chapter's numbers, read from recorded results only (never runs a benchmark).

``load_side`` reads the whole-command timings and the stopping-rule tuning that
``ganz bench command`` / ``tune`` recorded (``ganz.study.speedruns``); ``speed_facts`` names
every number the chapter quotes, so the page glues them instead of typing them.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

from ..results.bench import COMMITTED_DIR, BenchResult
from ..core.errors import GanzError
from ..core.paths import ROOT, results_dir


def load_side(kind: str, profile: str | None = None) -> dict | None:
    """Committed side results of a profile, read only: ``kind`` "command" (whole-command timings:
    summary, runs, psnr, meta) or "tuning" (the stopping rule's grid on training faces: table,
    images, meta). Missing: a "stale" error naming the command; under the smoke profile, None."""
    prof = profile or os.environ.get("GANZ_PROFILE") or "cpu-small"
    tag = "cpu-small" if prof in ("smoke", "quick") else prof
    stem, parts, cmd = {
        "command": (f"command-{tag}-cpu", {"summary": "-summary.csv", "runs": ".csv",
                                            "psnr": "-psnr.csv"}, "command"),
        "tuning": (f"stop-tuning-{tag}", {"table": ".csv", "images": "-images.csv"}, "tune"),
    }[kind]
    for folder in dict.fromkeys([results_dir() / "bench", COMMITTED_DIR]):
        if all((folder / f"{stem}{suf}").is_file() for suf in parts.values()):
            out = {k: pd.read_csv(folder / f"{stem}{suf}") for k, suf in parts.items()}
            meta_path = folder / f"{stem}.json"
            out["meta"] = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
            return out
    if prof in ("smoke", "quick"):
        return None
    where = COMMITTED_DIR.relative_to(ROOT) if COMMITTED_DIR.is_relative_to(ROOT) else COMMITTED_DIR
    raise GanzError(f"stale: no recorded {stem} results under {where}; "
                    f"run `ganz bench {cmd}` and commit its results")


SHORT = {"random_linear": "r10", "keep_linear": "keep"}


def speed_facts(res: BenchResult, command: dict | None = None, tuning: dict | None = None
                ) -> dict[str, float]:
    """The numbers the speed chapter quotes, by name (``speed_<name>`` when glued), read from the
    recorded results only: per adapter (r10, keep) × split the full-run speed-up, the mean PSNR
    gap, the images where fast ends lower, evaluations per image and the oracle ratio; their
    ranges; the settings; the whole-command and tuning figures when given (NaN when not)."""
    nan = float("nan")
    s = res.summary[res.summary["image"] == "ALL"]
    f: dict[str, float] = {}
    for _, r in s.iterrows():
        key = f"{SHORT.get(r['adapter'], r['adapter'])}_{r['split']}"
        f[f"full_{key}"] = float(r["speedup_full_run"])
        f[f"gap_{key}"] = float(r["psnr_gap_mean_db"])
        f[f"worst_{key}"] = float(r["psnr_gap_min_db"])
        f[f"lower_{key}"] = int(r["images_fast_lower"])
        f[f"evals_{key}"] = float(r["fast_evals_mean"])
        f[f"oracle_{key}"] = float(r["speedup"])
        f[f"paper_s_{key}"] = float(r["paper_run_seconds"])
        f[f"fast_s_{key}"] = float(r["fast_run_seconds"])
    f["full_min"], f["full_max"] = float(s["speedup_full_run"].min()), float(s["speedup_full_run"].max())
    f["gap_min"], f["gap_max"] = float(s["psnr_gap_mean_db"].min()), float(s["psnr_gap_mean_db"].max())
    f["lower_total"] = int(s["images_fast_lower"].sum())
    f["images_total"] = int(s["images"].sum())
    f["images_per_split"] = int(s["images"].iloc[0])
    fast, paper = res.meta.get("fast", {}), res.meta.get("paper", {})
    f["paper_steps"] = int(paper.get("steps", 0)) or nan
    f["paper_lr"] = float(paper.get("lr", nan))
    f["memory"] = int(fast.get("memory", 0)) or nan
    f["tol_db"] = float(fast.get("tol_db", nan))
    f["tol_window"] = int(fast.get("tol_window", 0)) or nan
    f["max_steps"] = int(fast.get("steps", 0)) or nan
    f["threads"] = int(res.meta.get("threads") or 0) or nan
    load = res.meta.get("load_average_start") or [nan]
    f["load_start"] = float(load[0])
    f["load_end"] = float((res.meta.get("load_average_end") or [nan])[0])
    cs = command["summary"].set_index("images") if command else None
    for n in (1, 8):
        have = cs is not None and n in cs.index
        for col, name in (("speedup_median", "speedup"), ("fast_wall_median", "fast_s"),
                          ("paper_wall_median", "paper_s"), ("psnr_gap_mean_db", "gap"),
                          ("images_fast_lower", "lower"), ("load1_median", "load"),
                          ("speedup_min", "speedup_min"), ("speedup_max", "speedup_max"),
                          ("repeats", "repeats")):
            f[f"cmd{n}_{name}"] = float(cs.loc[n, col]) if have else nan
    if tuning:
        t, m = tuning["table"], tuning["meta"]
        ch = m.get("choice") or {}
        f["tune_images"] = len(m.get("images", []))
        f["tune_margin"] = float(m.get("margin_db", nan))
        f["tune_worst"] = float(m.get("worst_image_db", nan))
        imgs = tuning["images"]
        for ad, short in SHORT.items():
            row = t[(t.adapter == ad) & (t.tol_db == ch.get("tol_db")) & (t.tol_window == ch.get("tol_window"))]
            f[f"tune_evals_{short}"] = float(row["evals_mean"].iloc[0]) if len(row) else nan
            f[f"tune_gap_{short}"] = float(row["gap_mean_db"].iloc[0]) if len(row) else nan
            f[f"tune_nostop_evals_{short}"] = float(imgs.loc[imgs.adapter == ad, "fast_full_evals"].mean())
        f["tune_max_steps"] = int(m.get("max_steps", 0)) or nan
    return f


# ---------------------------------------------------------------------------- on a GPU
def gpu_side(profile: str | None = None) -> BenchResult | None:
    """The benchmark a GPU session recorded for the paper profile (``inversion-paper-cuda``), read
    only; None when there is none, or when the page is set to one profile (e.g. smoke)."""
    from ..results.bench import read_recorded

    if (profile or os.environ.get("GANZ_PROFILE")) and (profile or os.environ["GANZ_PROFILE"]) != "paper":
        return None
    return read_recorded("paper", "cuda")


def stalls(table: pd.DataFrame, factor: float = 10.0) -> pd.DataFrame:
    """Per method: its run's seconds split into steady progress and stalls, from the recorded
    trace (the time of each recorded step): an interval between two recorded steps more than
    ``factor`` times the method's median interval is a stall (e.g. cuDNN timing a new shape)."""
    rows = []
    for method, t in table.groupby("method", sort=False):
        at = t.groupby("step")["seconds"].max().sort_index()
        dt = at.diff().dropna()
        dt = dt[dt > 0]
        slow = dt[dt > factor * dt.median()] if len(dt) else dt
        rows.append({"method": method, "run_seconds": float(at.iloc[-1]) if len(at) else np.nan,
                     "start_seconds": float(at.iloc[0]) if len(at) else np.nan,
                     "stalls": len(slow), "stall_seconds": float(slow.sum()),
                     "steady_seconds": float(dt.sum() - slow.sum()),
                     "median_interval_ms": 1000 * float(dt.median()) if len(dt) else np.nan})
    return pd.DataFrame(rows)


def gpu_facts(res: BenchResult | None) -> dict[str, float | str]:
    """The GPU section's numbers by name (``speed_gpu_<name>``); NaN / "" without a GPU run."""
    nan = float("nan")
    keys = ("paper_s", "fast_s", "full", "gap", "lower", "images", "stalls", "stall_s",
            "steady_s", "start_s", "flops_ratio")
    if res is None:
        return {"gpu_device": "", "gpu_autotuning": "", **{f"gpu_{k}": nan for k in keys}}
    s = res.summary[res.summary["image"] == "ALL"].iloc[0]
    st = stalls(res.table).set_index("method")
    fast = st.loc["fast"] if "fast" in st.index else pd.Series(dtype=float)
    tuned = res.meta.get("cudnn_benchmark")
    return {"gpu_device": str(res.meta.get("device", "")),
            "gpu_autotuning": ("on" if tuned else "off") if tuned is not None else
            "on (the GPU session's stages turn it on; a benchmark without the column did not record it)",
            "gpu_paper_s": float(s["paper_run_seconds"]), "gpu_fast_s": float(s["fast_run_seconds"]),
            "gpu_full": float(s["speedup_full_run"]), "gpu_gap": float(s["psnr_gap_mean_db"]),
            "gpu_lower": int(s["images_fast_lower"]), "gpu_images": int(s["images"]),
            "gpu_stalls": int(fast.get("stalls", 0)), "gpu_stall_s": float(fast.get("stall_seconds", nan)),
            "gpu_steady_s": float(fast.get("steady_seconds", nan)),
            "gpu_start_s": float(fast.get("start_seconds", nan)),
            "gpu_flops_ratio": float(s["paper_flops_per_image"] / s["fast_flops_per_image"])}


# ---------------------------------------------------------------------------- the page's tables
def glue_facts(facts: dict, prefix: str = "speed_") -> None:
    """Glue every fact as ``<prefix><name>`` (not displayed)."""
    from myst_nb import glue

    for name, value in facts.items():
        glue(f"{prefix}{name}", value, display=False)


def _provenance(meta: dict) -> str:
    from ..results.bench import provenance

    return provenance(meta).replace("\n", "; ")


def lower_images(per: pd.DataFrame):
    """The images on which the fast method ends lower than the paper's, or a note that none do."""
    from . import tables

    lower = per[per["psnr_gap_db"] < 0]
    if lower.empty:
        return tables.Note("The fast method ends lower than the paper's on no image.")
    return tables.show(lower, caption="images where fast ends lower")


def speedup_tables(speedups: pd.DataFrame, caption: str = ""):
    """``BenchResult.speedups()`` as two tables, not one of 19 columns: the full runs (each
    method to its own end), then the oracle stop (the time each needs to the paper's final
    PSNR), each per first layer and split."""
    from . import tables

    t = tables.formatted(speedups)
    keys = [c for c in ("first layer", "split") if c in t]
    oracle = [c for c in t if c.startswith("oracle") or "(oracle)" in c]
    cpu = [c for c in t if "CPU" in c]
    full = [c for c in t if c not in oracle + cpu]
    return tables.Stack(tables.Table(t[full], caption or "full runs: each method to its own end"),
                        tables.Table(t[keys + oracle + cpu], "the oracle stop: each method's time "
                                     "to the paper's final PSNR; and the CPU time per image"))


def command_tables(command: dict | None):
    """The whole-command timings with their provenance, or why they are absent; one row per
    measure and one column per batch size (16 measures read down, not across)."""
    from . import tables

    if command is None:
        return tables.Note("Not shown: no whole-command timings are recorded for this profile "
                           "(`ganz bench command` records them).")
    meta = {**command["meta"], "source": f"results/bench/command-{command['meta'].get('tag', '')}"
                                         f"-cpu.csv"}
    summary = command["summary"].drop(columns=["threads"], errors="ignore")
    t = tables.formatted(summary)
    if "images" in t:
        t = t.set_index("images").T.reset_index()
        t.columns = ["measure", *(f"{c} image{'s' if str(c) != '1' else ''}" for c in t.columns[1:])]
    return tables.Table(t, _provenance(meta))


def gpu_tables(gpu: BenchResult | None, profile: str | None = None):
    """The GPU benchmark's full-run table and where each run's time went, or why they are absent."""
    from . import tables

    if gpu is None:
        set_to = profile or os.environ.get("GANZ_PROFILE")
        why = (f"this page is set to profile `{set_to}`, and the GPU benchmark is the `paper` "
               f"profile's" if set_to and set_to != "paper" else
               "no GPU benchmark is recorded for the `paper` profile (a GPU session's bench "
               "stage records one)")
        return tables.Note(f"Not shown: {why}.")
    return tables.Stack(speedup_tables(gpu.speedups(), _provenance(gpu.meta)),
                        tables.show(stalls(gpu.table).round(2),
                                    caption="where each run's time went (seconds)"))


def tuning_table(tuning: dict | None):
    """The stopping rule replayed on training faces, summarised: per first layer and tolerance
    ε (dB), one column per window k (iterations), each cell the mean evaluations per image and
    the mean PSNR difference to the paper's final PSNR, the chosen rule starred; the whole grid
    is ``tuning_full`` (the page's CSV). A note where none is recorded."""
    from . import tables

    if tuning is None:
        return tables.Note("Not shown: no tuning of the stopping rule is recorded for this "
                           "profile (`ganz bench tune` records it).")
    t = tuning["table"]
    choice = (tuning.get("meta") or {}).get("choice") or {}
    cells = t.assign(cell=[
        f"{e:.0f} ({_signed3(g)} dB)" + (" ★" if (tol, k) == (choice.get("tol_db"), choice.get("tol_window"))
                                    else "")
        for e, g, tol, k in zip(t["evals_mean"], t["gap_mean_db"], t["tol_db"], t["tol_window"])])
    wide = cells.pivot_table(index=["adapter", "tol_db"], columns="tol_window", values="cell",
                             aggfunc="first", sort=True)
    wide.columns = [f"k = {int(k)}" for k in wide.columns]
    wide = wide.reset_index().rename(columns={"tol_db": "ε (dB)"})
    return tables.show(wide, caption="the rule replayed on training faces: mean evaluations per "
                                     "image (mean PSNR difference to the paper's final PSNR)",
                       notes=["★ the chosen rule. The CSV below has every column: the largest "
                              "evaluation count, the worst image, and the images below the paper."],
                       decimals={"ε (dB)": 3})


def _signed3(v: float) -> str:
    """``+0.027``, ``-0.007``; a value that rounds to zero without a sign."""
    text = f"{v:+.3f}"
    return text[1:] if float(text) == 0 else text


def tuning_full(tuning: dict | None) -> pd.DataFrame:
    """Every (first layer, ε, k) of the replayed stopping rule (empty where none is recorded)."""
    return pd.DataFrame() if tuning is None else tuning["table"].drop(columns=["images"])
