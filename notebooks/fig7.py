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
# # Figure 7: samples from each generator
#
# **What the paper did.** For each training latent dimension d_t ∈ {64, 128, 256, 512} the
# appendix shows a 2×3 grid of random samples. The samples got worse as d_t grew, matching the
# drop in reconstruction quality in [Figure 2](fig2.ipynb).
#
# **What we run.** Each of our generators gets the same fixed latent seed and draws six samples
# from a uniform latent in [-1, 1]^d_t, BEGAN's prior, and shows them as drawn. The original drew
# its latents from a standard normal (seed 0) and stretched each picture to its own minimum and
# maximum, so our samples are other draws and are not contrast-stretched
# ([deviations](../deviations.md#samples-figure-7)). The `paper` profile's generators (64×64,
# the original code's layout, trained on a lent GPU) are shown first wherever all four are
# committed, with `cpu-small`'s beside them; otherwise the page shows `cpu-small` alone and says
# so. Those are small 32×32 models after a short CPU training run. Their samples are much blurrier than the
# paper's and should be read as a check of *relative* quality across d_t. The table beside the
# grid gives each model's training length in images seen. Compare models only at equal training
# length.

# %% tags=["parameters"]
profile = None
device = "auto"
dims = [64, 128, 256, 512]
n = 6
seed = 0

# %%
from ganz import pages
from ganz.report import pictures, tables

# %% tags=["remove-input"]
from ganz.report.stamp import stamp

stamp()  # the inputs this page was run with (invisible; tools/bookcheck compares them)

# %%
res = pages.load("fig7", profile, device, dims=dims, n=n, seed=seed)
r2 = pages.load("fig2", profile, device)

# %%
r2.provenance("The samples are drawn from the committed generators with a fixed seed and kept with the figure's results; the fig. 2 run above gives the reconstructions quoted in the verdict.")

# %% tags=["full-width"] mystnb={"figure": {"caption": "Six random samples from each generator, one panel per training latent dimension d_t, titled with the number of training images the model saw. One panel per recorded profile, each titled with its profile, image size, model and device; the paper profile's, where recorded, comes first.", "name": "fig7-samples"}, "image": {"alt": "Four panels of six random face samples, one panel per training latent dimension."}}
res.pictures(pictures.fig7_images)

# %% [markdown]
# ## The generators

# %% tags=["full-width"]
tables.show(res.table(["dim", "model", "generator", "images_seen", "step"])
            .assign(generator=lambda t: t["generator"].str[:12]))

# %%
tables.download(res.table(), "fig7-results.csv");

# %% [markdown]
# The table as a file: {download}`fig7-results.csv <downloads/fig7-results.csv>`.

# %% tags=["remove-cell"]
res.verdict(fig2=r2).glue()

# %% [markdown]
# ## Verdict
#
# ```{glue:md} fig7_verdict
# :format: myst
# ```
