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
# # Figure 3: a random square layer against no layer at all
#
# **What the paper did.** This experiment separates the generator's two parts: the trained
# first linear layer and the convolutional module behind it. Two ways of compressing skip the
# trained layer. In `no_linear` the latent is fed straight into the convolutional module, so it
# has as many values as that module's input (8192 at 128×128, i.e. R = 6). In `square_linear`
# a random square matrix of the same size sits in front. Both leave the same number of free
# values, so the paper assumes they have the same representation error. Any difference between
# them is then optimization error. Both reproduced faces and out-of-domain pictures well, and
# the random layer cost little. The paper took this as a sign that the convolutional module
# carries the bias towards natural images, and as support for swapping in random layers of
# other sizes.
#
# **What we run.** We run the same pair of adapters on a few images of each split with our
# dim-64 generators: the `paper` profile's (64×64 pictures, the original code's layout, 7,500
# steps on a lent GPU; the verdict rests on it where recorded) and `cpu-small`'s (32×32, CPU)
# beside it. At both sizes the convolutional module's input is again one sixth of the pixel
# count (R = 6). The paper printed no numbers for this figure, so the check is
# mainly qualitative: do both adapters reconstruct every split well, and is `square_linear`
# only slightly worse than `no_linear`? The original code's committed figure does label its
# pictures with PSNR, and those labels are compared below.

# %% tags=["parameters"]
profile = None
device = "auto"
n_images = None
steps = None

# %%
from ganz import pages
from ganz.report import pictures, plots, tables

# %% tags=["remove-input"]
from ganz.report.stamp import stamp

stamp()  # the inputs this page was run with (invisible; tools/bookcheck compares them)

# %%
res = pages.load("fig3", profile, device, n_images=n_images, steps=steps)

# %%
res.provenance()

# %% tags=["full-width"] mystnb={"figure": {"caption": "Originals (left; not included in a build without the image data) and their reconstructions through a random square layer (middle) and with no linear layer (right), both at R = 6, with each reconstruction's PSNR. One panel per recorded profile, each titled with its profile, image size, model and device; the paper profile's, where recorded, comes first.", "name": "fig3-images"}, "image": {"alt": "A grid of small pictures: for each image of each split, the original and its reconstructions through a random square layer and with no linear layer, titled with PSNR."}}
res.pictures(pictures.fig3_images)

# %% mystnb={"figure": {"caption": "PSNR per image for the two adapters, by split. One panel per recorded profile, each titled with its profile, image size, model and device; the paper profile's, where recorded, comes first.", "name": "fig3-psnr"}, "image": {"alt": "PSNR per image for the random square layer and for no linear layer, by split."}}
res.plot(plots.fig3)

# %% [markdown]
# ## The original code's labels vs ours
#
# The paper printed no numbers for this figure, but the figure committed with the original code
# labels each picture with its PSNR (7,500 steps). The table pools those labels per split and
# adapter as median [min–max] beside ours; the verdict's profile comes first.

# %% tags=["full-width"]
res.compare(published_only=True)

# %% [markdown]
# ## Our results: medians per setting
#
# PSNR (dB) per profile, split and method.

# %% tags=["full-width"]
res.medians(["split"])

# %%
tables.download(res.table(), "fig3-results.csv");

# %% [markdown]
# The whole table, one row per image and setting: {download}`fig3-results.csv <downloads/fig3-results.csv>`.

# %% tags=["remove-cell"]
res.verdict().glue()

# %% [markdown]
# ## Verdict
#
# ```{glue:md} fig3_verdict
# :format: myst
# ```
