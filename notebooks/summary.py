# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Summary: paper vs ours
#
# This page puts the paper's numbers next to ours for every figure where the paper printed
# numbers. It also checks the paper's main qualitative claims against our results. The runners
# read cached results, so this page repeats no computation that the figure chapters have done.
#
# Ours come from the profile named below. Under `cpu-small` they are small 32×32 generators
# trained briefly on CPU, and absolute PSNR values are not expected to match the paper's 128×128
# models. The [deviations chapter](../deviations.md) lists every difference.

# %% tags=["parameters"]
profile = None
device = "auto"

# %%
import pandas as pd

from ganz.report import paper, recorded, tables

# %%
r2 = recorded.load("fig2", profile, device)

# %%
r3 = recorded.load("fig3", profile, device)

# %%
r4 = recorded.load("fig4", profile, device)

# %%
r5 = recorded.load("fig5", profile, device)

# %%
r8 = recorded.load("fig8", profile, device)

# %% [markdown]
# Where each figure's numbers come from (the run that made them, not this build):

# %%
tables.show(pd.DataFrame([{"figure": f, "commit": ", ".join(p["commits"]) or "—",
                           "recorded": p["date"] or "—", "device": ", ".join(p["devices"]) or "—",
                           "source": p["source"] or "computed on the spot"}
                          for f, p in ((f, recorded.provenance(r)) for f, r in
                                       (("fig2", r2), ("fig3", r3), ("fig4", r4), ("fig5", r5),
                                        ("fig8", r8)))]))

# %% [markdown]
# ## Numbers
#
# Each cell gives the median PSNR in dB and the [min–max] range over images where known.
# The last column is our median minus the paper's. The figure pages mark the paper's approximate
# values (read off its plots) with ≈.

# %% tags=["full-width"]
tables.show(paper.summary({"fig2": r2.table, "fig4": r4.table, "fig5": r5.table,
                           "fig8": r8.table}))

# %% [markdown]
# ## Claims
#
# Each row restates one finding of the paper and tests it on our results. The `holds` column shows a dash when
# our results lack the rows the test needs. Each figure page ends with a verdict that says by how
# much and why.

# %% tags=["full-width"]
tables.show(paper.claims({"fig2": r2.table, "fig3": r3.table, "fig4": r4.table,
                          "fig5": r5.table, "fig8": r8.table}))
