"""The training page: each book profile's training logs, curves, samples, last measures, encoder
logs and verdict (read only, like the figure pages)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..results.profiles import get_profile
from . import recorded, verdicts
from .figure import training_runs
from .runs import book_profiles, stack

def _training_label(profile: str) -> str:
    size = get_profile(profile).image_size
    gpus = ", ".join(dict.fromkeys(s["gpu"] for s in recorded.gpu_sessions(profile)))
    return (f"Profile {profile}: {size}×{size} images, "
            + (f"trained on {gpus}" if gpus else "trained on CPU (the log records no device)"))


def training_provenance(logs: Mapping[str, pd.DataFrame]):
    """The training page's provenance, one block per profile (models, logs, device)."""
    from IPython.display import Markdown

    return Markdown("\n\n".join(recorded.training_provenance(p).data for p in logs))


def training_plot(logs: Mapping[str, pd.DataFrame]):
    """``plots.training`` per profile, stacked under each profile's label."""
    from . import plots

    return stack({_training_label(p): plots.training(log) for p, log in logs.items()})


def training_samples(logs: Mapping[str, pd.DataFrame]):
    """The sample grids recorded beside the shown profiles' logs
    (``results/<profile>/training/d<dim>-samples.png``), side by side; a note where none is."""
    from PIL import Image

    from ..core.paths import results_dir
    from .figure import message_figure

    from . import pictures

    grids = [(p, g) for p in logs for g in sorted((results_dir() / p / "training").glob("*d*-samples.png"),
                                                  key=lambda g: (len(g.name), g.name))]
    if not grids:
        return message_figure("No sample grid is recorded for these profiles yet.")
    title = {g: f"{p}: {g.stem.removesuffix('-samples')}, last step" for p, g in grids}
    images = {title[g]: np.asarray(Image.open(g).convert("RGB")) for _, g in grids}
    return pictures.sample_grids(images, {title[g]: get_profile(p).image_size for p, g in grids})


def training_last(logs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The last logged step of each run: images seen, throughput, k and the losses."""
    cols = ["step", "images_seen", "seconds", "images_per_s", "k", "m_global", "loss_real",
            "loss_fake", "val_psnr"]
    last = [training_runs(log).groupby("run").tail(1).assign(profile=p) for p, log in logs.items()]
    return pd.concat(last, ignore_index=True).set_index(["profile", "run"])[cols].rename(
        columns={"seconds": "elapsed (s)", "images_per_s": "images per second"})


def training_verdict(logs: Mapping[str, pd.DataFrame]) -> verdicts.Verdict:
    """``verdicts.training`` per profile, under each profile's label."""
    parts = {}
    for p, log in logs.items():
        stopped = [m for m in get_profile(p).models.values()
                   if recorded.model_facts(m).get("stopped") == "deadline"]
        note = (f"Training of {', '.join(f'`{m}`' for m in stopped)} was cut by the GPU "
                f"session's deadline, not ended by a schedule. " if stopped else "")
        v = verdicts.training(log)
        parts[p] = verdicts.Verdict(v.figure, note + v.text, v.facts)
    text = "\n\n".join(f"**{_training_label(p)}.**\n\n{v.text}" for p, v in parts.items())
    facts = {f"{p.replace('-', '_')}_{k}": x for p, v in parts.items() for k, x in v.facts.items()}
    return verdicts.Verdict("training", text, facts)


def encoder_logs(profile: str | None = None) -> pd.DataFrame:
    """The last logged step of each recorded encoder of the fast method (its training log:
    ``results/<profile>/training/encoder-d<dim>.csv`` from a GPU session, or the CLI's
    ``results/bench/encoder-<model>.csv``), per shown profile: images seen, seconds and the
    validation PSNR of each head (model space, before any refinement)."""
    from ..core.paths import results_dir

    rows = []
    for p in book_profiles(profile):
        logs = sorted((results_dir() / p / "training").glob("encoder-d*.csv"))
        logs += sorted((results_dir() / "bench").glob(f"encoder-{p}-d*.csv"))
        for log in logs:
            last = pd.read_csv(log).iloc[-1]
            n = 3 * get_profile(p).image_size ** 2
            heads = {_head_label(c.removeprefix("psnr_"), n): round(float(last[c]), 2)
                     for c in last.index if c.startswith("psnr_")}
            rows.append({"profile": p, "log": log.name, "steps": int(last["step"]),
                         "images seen": int(last["images_seen"]),
                         "training (s)": round(float(last["seconds"]), 1),
                         **{f"PSNR {h} (dB)": v for h, v in heads.items()}})
    return pd.DataFrame(rows).set_index(["profile", "log"]) if rows else pd.DataFrame()


def _head_label(head: str, n_pixels: int) -> str:
    """``h`` → "h"; ``keep_linear_64`` → "keep_linear"; ``random_linear_1229`` at N = 12288 →
    "random layer, R = 10"."""
    name, _, size = head.rpartition("_")
    if name == "random_linear" and size.isdigit():
        return f"random layer, R = {n_pixels / int(size):.0f}"
    return name if name and size.isdigit() else head
