"""The benchmark's figure (``ganz bench inversion``): PSNR against wall time, paper method and fast."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..results.bench import mean_curve


class _Figure:
    """Holds a matplotlib Figure and shows it once as PNG in Jupyter (no pyplot state)."""

    def __init__(self, fig):
        self.figure = fig

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        return buf.getvalue()

    def savefig(self, *a, **k):
        return self.figure.savefig(*a, **k)


METHOD_STYLE = {"paper": ("#7f7f7f", "paper (Adam, 7500 steps, random start)"),
                "fast": ("#1f77b4", "fast (encoder start + projected L-BFGS)")}


def plot_time_to_psnr(table: pd.DataFrame, summary: pd.DataFrame | None = None) -> _Figure:
    """PSNR (uint8-decoded) against wall time, log scale: one panel per adapter × split.

    Thin lines are images, thick lines the split's mean; the dotted line is the paper's final
    mean PSNR and the markers where each method first reaches it."""
    from matplotlib.figure import Figure

    adapters = list(dict.fromkeys(table["adapter"]))
    splits = list(dict.fromkeys(table["split"]))
    fig = Figure(figsize=(4.4 * len(splits), 3.3 * len(adapters)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(adapters), len(splits), squeeze=False))
    for r, adapter in enumerate(adapters):
        for c, split in enumerate(splits):
            ax = axes[r, c]
            cell = table[(table.adapter == adapter) & (table.split == split)]
            ratio = cell["ratio"].iloc[0]
            tmin = max(cell.loc[cell.seconds > 0, "seconds"].min() / 2, 1e-4)
            for method in ("paper", "fast"):
                m = cell[cell.method == method]
                if m.empty:
                    continue
                color, label = METHOD_STYLE.get(method, ("k", method))
                for _, g in m.groupby("image"):
                    ax.plot(g["seconds"].clip(lower=tmin), g["psnr"], color=color, lw=0.6, alpha=0.35)
                mean = mean_curve(m, method)
                ax.plot(mean["seconds"].clip(lower=tmin), mean["psnr"], color=color, lw=2.2,
                        label=label if (r, c) == (0, 0) else None)
            if summary is not None:
                s = summary[(summary.adapter == adapter) & (summary.split == split) & (summary.image == "ALL")]
                if len(s):
                    s = s.iloc[0]
                    ax.axhline(s["paper_final_psnr"], color="k", ls=":", lw=1)
                    for method, col in (("paper", "paper_time_to_final"), ("fast", "fast_time_to_paper_final")):
                        if np.isfinite(s[col]):
                            ax.plot([max(s[col], tmin)], [s["paper_final_psnr"]], "o",
                                    color=METHOD_STYLE[method][0], ms=7, mec="k")
                    if np.isfinite(s.get("speedup_full_run", np.nan)):
                        ax.text(0.97, 0.05, f"full runs: {s['speedup_full_run']:.0f}×",
                                transform=ax.transAxes, ha="right", va="bottom", fontsize=9)
            ax.set_xscale("log")
            name = "keep_linear" if adapter == "keep_linear" else f"{adapter}, R = {ratio:.3g}"
            ax.set_title(f"{name} · {split}", fontsize=10)
            ax.set_xlabel("wall time (s, log)")
            ax.set_ylabel("PSNR (dB)")
            ax.grid(alpha=0.3, which="both", lw=0.5)
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return _Figure(fig)
