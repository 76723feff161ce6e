# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
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
# read recorded results, so this page repeats no computation that the figure chapters have done.
#
# Ours come from up to two profiles per figure. The `paper` profile (64×64 generators with the
# original code's layout and training recipe, inverted with 7,500 steps on a lent GPU) is the
# closer reproduction: wherever a GPU session has recorded a figure under it, that figure's
# verdict rests on it (role "verdict"), and `cpu-small` (32×32 generators trained briefly on
# CPU) is kept as a secondary comparison. A figure not yet recorded under `paper` rests on
# `cpu-small`. Absolute PSNR values are not expected to match the paper's 128×128 models at
# either size. The [deviations chapter](../deviations.md) lists every difference.

# %% tags=["parameters"]
profile = None
device = "auto"

# %%
from ganz import pages
from ganz.report import runs, scorecard, tables

# %% tags=["remove-input"]
from ganz.report.stamp import stamp

stamp()  # the inputs this page was run with (invisible; tools/bookcheck compares them)

# %%
r = pages.load_figures(["fig2", "fig3", "fig4", "fig5", "fig8"], profile, device)

# %% [markdown]
# Which profile each figure's verdict rests on, and where its numbers come from (the run that
# made them, not this build):

# %% tags=["full-width"]
tables.show(runs.provenance_table(r))

# %% [markdown]
# ## The scorecard
#
# Every number the paper printed, on the profile each figure's verdict rests on: ours beside it,
# the difference, the tolerance, whether it holds and the main cause of the gap. The landing page
# summarises it one row per figure.

# %% tags=["full-width"]
scorecard.numbers_table(r)

# %% [markdown]
# ## Numbers, both profiles
#
# The same comparison on both profiles, one row per figure, profile and method: how many
# settings the paper gave a number for, how many of them we ran, and how far our median is from
# the paper's (where the paper gave a median; a range alone is judged on the scorecard). Within
# each figure the verdict's profile comes first.

# %% tags=["full-width"]
tables.show(runs.summary_digest(runs.summary_numbers(r)))

# %%
tables.download(runs.summary_numbers(r), "summary-numbers.csv");

# %% [markdown]
# Every setting with our median and [min–max] over images beside the paper's (≈ where the paper's
# value was read off a plot): {download}`summary-numbers.csv <downloads/summary-numbers.csv>`.

# %% [markdown]
# ## Claims
#
# Each row restates one finding of the paper and tests it on one profile's results. The `holds`
# column shows a dash when those results lack the rows the test needs. Each figure page ends with
# a verdict that says by how much and why.

# %% tags=["full-width"]
tables.show(runs.summary_claims(r))
