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
from ganz import experiments, paper, plots

# %%
r2 = experiments.fig2(profile, device)

# %%
r3 = experiments.fig3(profile, device)

# %%
r4 = experiments.fig4(profile, device)

# %%
r5 = experiments.fig5(profile, device)

# %%
r8 = experiments.fig8(profile, device)

# %%
print(plots.provenance(r5.meta))

# %% [markdown]
# ## Numbers
#
# Each cell gives the median PSNR in dB and the [min–max] range over images where known.
# `delta_db` is our median minus the paper's.

# %% tags=["full-width"]
paper.summary({"fig2": r2.table, "fig4": r4.table, "fig5": r5.table, "fig8": r8.table})

# %% [markdown]
# ## Claims
#
# Each row restates one finding of the paper and tests it on our results. `holds` is empty when
# our results lack the rows the test needs.

# %% tags=["full-width"]
paper.claims({"fig2": r2.table, "fig3": r3.table, "fig4": r4.table, "fig5": r5.table,
              "fig8": r8.table})
