"""PSNR at one ratio against the number of training images the generator saw.

A profile's dim-64 layout exists at up to three training lengths: the equal-images snapshot of
fig. 2 (``dim_models[64]``), the default model of fig. 5 (``models[64]``) and the long GPU run's model
(``<default>-long``, ``results/<profile>/long-d64-r10.csv``). All three are inverted with the same
settings on the same faces, so their recorded rows at R = 10 answer one question: does training
on more images lift the reconstructions, and by how much per doubling? Nothing here computes;
a model or table that is not recorded is simply absent.
"""
from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from ..core.errors import GanzError
from ..core.paths import results_dir
from ..results.profiles import Profile, get_profile
from .figure import SPLIT_LABELS, _figure, _legend, _splits, message_figure
from .verdicts import SPLIT_NAMES, Verdict

RATIO = 10.0  # the paper's headline ratio
COLUMNS = ["profile", "model", "images_seen", "split", "median_psnr", "images"]
SPLIT_COLORS = {"train": "#2ca02c", "test": "#1f77b4", "ood": "#d62728"}


def _in_shown_order(df: pd.DataFrame, by: list[str], profiles) -> pd.DataFrame:
    """``df`` sorted by ``by``, its profiles in the order shown (the closer reproduction first)."""
    order = {p: i for i, p in enumerate(dict.fromkeys(profiles))}
    return df.sort_values(by, key=lambda c: c.map(order) if c.name == "profile" else c,
                          kind="stable", ignore_index=True)


def models_by_length(prof: Profile) -> list[str]:
    """The profile's dim-64 models, shortest training first (those it may have recorded)."""
    base = prof.models.get(64)
    names = [prof.dim_models.get(64), base, f"{base}-long" if base else None]
    return list(dict.fromkeys(n for n in names if n))


def _recorded_rows(profile: str) -> pd.DataFrame:
    """Every recorded GANZ row of figs. 2 and 5 and the long model's table (whole or partial)."""
    folder = results_dir() / profile
    files = [*sorted(folder.glob("fig2-*.csv")), *sorted(folder.glob("fig5-*.csv")),
             *sorted(folder.glob("long-d64-r*.csv"))]
    cols = ["image", "split", "adapter", "nominal_ratio", "method", "psnr", "steps", "generator"]
    parts = [pd.read_csv(f, usecols=lambda c: c in cols) for f in files]
    parts = [p for p in parts if set(cols) <= set(p.columns)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def psnr_by_images_seen(profiles: tuple[str, ...], ratio: float = RATIO) -> pd.DataFrame:
    """Median PSNR per (profile, model, split) at ``ratio`` with the random layer, from the rows
    each model recorded with its profile's inversion steps, over the faces of the split that
    every model recorded (a job found in several tables counts once), with the images the model
    saw in training."""
    from ..core.zoo import load_generator

    out = []
    for p in profiles:
        prof = get_profile(p)
        models = {}
        for name in models_by_length(prof):
            try:
                _, gid, meta = load_generator(name)
            except GanzError:
                continue
            models[gid] = (name, int(meta.get("images_seen") or 0))
        t = _recorded_rows(p)
        if t.empty or not models:
            continue
        t = t[(t["method"] == "ganz") & (t["adapter"] == "random_linear")
              & (t["nominal_ratio"].astype(float) == float(ratio))
              & (t["steps"].astype(float) == prof.steps) & t["generator"].isin(models)]
        t = t.drop_duplicates(["generator", "split", "image"])
        # medians over one set of faces: those of the split that every model recorded
        t = pd.concat(g[g["image"].isin(set.intersection(*(set(m["image"]) for _, m in
                                                         g.groupby("generator"))))]
                      for _, g in t.groupby("split"))
        for (gid, split), g in t.groupby(["generator", "split"]):
            name, seen = models[gid]
            out.append({"profile": p, "model": name, "images_seen": seen, "split": split,
                        "median_psnr": float(g["psnr"].median()), "images": len(g)})
    return _in_shown_order(pd.DataFrame(out, columns=COLUMNS), ["profile", "images_seen", "split"],
                           profiles)


def per_doubling(table: pd.DataFrame) -> pd.DataFrame:
    """dB gained per doubling of the images seen between consecutive training lengths."""
    rows = []
    for (p, split), g in table.groupby(["profile", "split"]):
        g = g.sort_values("images_seen")
        for a, b in zip(g.itertuples(), g.iloc[1:].itertuples()):
            if a.images_seen > 0 and b.images_seen > a.images_seen:
                rows.append({"profile": p, "split": split, "from": a.model, "to": b.model,
                             "images ratio": round(b.images_seen / a.images_seen, 2),
                             "dB per doubling": round((b.median_psnr - a.median_psnr)
                                                      / math.log2(b.images_seen / a.images_seen), 2)})
    return _in_shown_order(pd.DataFrame(rows, columns=["profile", "split", "from", "to",
                                                       "images ratio", "dB per doubling"]),
                           ["profile"], table["profile"])


def show_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per model: images seen and the median PSNR (dB) of each split."""
    if table.empty:
        return table
    wide = table.pivot_table(index=["profile", "model", "images_seen"], columns="split",
                             values="median_psnr").round(2)
    wide = wide[[s for s in _splits(table) if s in wide.columns]]
    wide.columns = [f"median PSNR, {SPLIT_LABELS.get(s, s)} (dB)" for s in wide.columns]
    return _in_shown_order(wide.reset_index(), ["profile", "images_seen"],
                           table["profile"]).set_index(["profile", "model"])


def plot(table: pd.DataFrame, ratio: float = RATIO) -> Figure:
    """Median PSNR against images seen (log scale), one line per split, one panel per profile."""
    if table.empty:
        return message_figure("No profile shown here has recorded the same faces at "
                              f"R = {ratio:g} with more than one training length of its model.")
    profiles = list(dict.fromkeys(table["profile"]))
    fig, axes = _figure(len(profiles), width=5.2, height=3.6, sharey=False)
    handles, labels = [], []
    for ax, p in zip(axes[0], profiles):
        t = table[table["profile"] == p]
        for split in _splits(t):
            s = t[t["split"] == split].sort_values("images_seen")
            (line,) = ax.plot(s["images_seen"], s["median_psnr"], marker="o",
                              color=SPLIT_COLORS.get(split), label=SPLIT_LABELS.get(split, split))
            if SPLIT_LABELS.get(split, split) not in labels:
                handles.append(line)
                labels.append(SPLIT_LABELS.get(split, split))
        ax.set_xscale("log", base=2)
        ticks = t.drop_duplicates("model").sort_values("images_seen")
        ax.xaxis.set_major_locator(FixedLocator(ticks["images_seen"].tolist()))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{n / 1000:,.0f}k\n{m}" for n, m in
                            zip(ticks["images_seen"], ticks["model"])], fontsize=8)
        lo, hi = ticks["images_seen"].min(), ticks["images_seen"].max()
        ax.set_xlim(lo / 1.4, hi * 1.4)
        ax.set_title(f"profile {p}", fontsize=10)
        ax.set_xlabel("training images seen (log scale)")
        ax.set_ylabel(f"median PSNR at R = {ratio:g} (dB)")
        ax.grid(alpha=0.3)
    _legend(fig, handles, labels)
    return fig


def verdict(table: pd.DataFrame, profiles: tuple[str, ...], ratio: float = RATIO) -> Verdict:
    """What the recorded training lengths say, for the first shown profile that has two."""
    facts: dict = {}
    for p in profiles:
        t = table[table["profile"] == p]
        if t["model"].nunique() < 2:
            continue
        split = "test" if "test" in set(t["split"]) else _splits(t)[0]
        s = t[t["split"] == split].sort_values("images_seen")
        steps = per_doubling(t)
        slope = steps[steps["split"] == split]["dB per doubling"]
        chain = " → ".join(f"{r.median_psnr:.2f} dB (`{r.model}`, {r.images_seen:,} images)"
                           for r in s.itertuples())
        facts = {"profile": p, "first_db": round(float(s["median_psnr"].iloc[0]), 2),
                 "last_db": round(float(s["median_psnr"].iloc[-1]), 2),
                 "db_per_doubling": round(float(slope.mean()), 2) if len(slope) else float("nan")}
        rising = facts["last_db"] > facts["first_db"]
        text = (f"**Profile `{p}`, median PSNR at R = {ratio:g} on the same "
                f"{int(s['images'].min())} {SPLIT_NAMES.get(split, split)}:** {chain}. "
                + (f"More training images {'lift' if rising else 'do not lift'} the "
                   f"reconstructions: {facts['db_per_doubling']:+.2f} dB per doubling of the "
                   f"images seen on average.")
                + ("" if any(m.endswith("-long") for m in s["model"]) else
                   f" A longer-trained model (`{models_by_length(get_profile(p))[-1]}`) is not "
                   f"recorded yet: a GPU session trains it (`scripts/gpu/README.md`)."))
        return Verdict("images_seen", text, facts)
    return Verdict("images_seen", "No profile shown here has recorded its model at more than one "
                   f"training length on the same faces at R = {ratio:g}.", facts)
