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
# # Figure 8: compressive sensing
#
# **What the paper did.** In compressive sensing we see only y = A x: M random Gaussian
# projections of an image with N values, where M is much smaller than N. To recover the image,
# the paper searched for the latent whose generated image G(z) best explains those measurements,
# minimizing ‖A G(z) − y‖², with the `no_linear` generator (latent fed straight into the
# convolutional module). At M = 4000 and M = 10000 (M/N ≈ 0.08 and 0.2 at 128×128) it reached
# roughly 23–32 dB on a handful of train, test and out-of-domain pictures. For comparison, Bora
# et al. (ICML 2017) report a best error equivalent to about 16 dB at the same measurement
# rates.
#
# **What we run.** We use the same measurement rates and recovery method with our dim-64
# generator. The knob `measurements` holds the paper's M at 128×128. The runner scales it to our
# image size, keeping M/N fixed, and the table records both the M it used (`measurements`) and
# `m_over_n`. As a classical baseline we add the method Bora et al. compared against: a Lasso
# that assumes the image is sparse in the 2-D DCT (`lasso_dct`). It sees the same measurements,
# and its sparsity weight is tuned on the training split only.

# %% tags=["parameters"]
profile = None
device = "auto"
measurements = [4000, 10000]
n_images = None
steps = None

# %%
from ganz.report import paper, pictures, plots, recorded, tables, verdicts

# %%
res = recorded.load("fig8", profile, device, measurements=measurements, n_images=n_images,
                    steps=steps)

# %%
prov = recorded.provenance(res)
recorded.show_provenance(res, res.meta.get("note", ""))

# %% mystnb={"figure": {"caption": "Originals (not included in a build without the image data) and their recoveries from M Gaussian measurements through the no_linear generator, with PSNR.", "name": "fig8-images"}, "image": {"alt": "For each image of each split, the original and its recoveries from M Gaussian measurements, titled with PSNR."}}
pictures.fig8_images(res.images, res.table)

# %% tags=["full-width"] mystnb={"figure": {"caption": "PSNR per image against the number of measurements, by split. The grey band is the range the paper reports for GANZ, and the dashed line is the best result of Bora et al. (2017) converted to PSNR.", "name": "fig8-psnr"}, "image": {"alt": "PSNR per image against the number of measurements by split, with the paper's range as a grey band and Bora et al. as a dashed line."}}
plots.fig8(res.table, paper=paper.paper_numbers("fig8"))

# %% [markdown]
# ## Paper vs ours
#
# The paper reports one range over all its pictures, so our splits are pooled here (`split` =
# all). Rows are matched on the measurement rate M/N.

# %% tags=["full-width"]
cmp = paper.compare("fig8", res.table)
tables.paper_vs_ours(cmp, verdicts.paper_approx("fig8", cmp))

# %% [markdown]
# ## Our results in full

# %%
tables.show(res.table.groupby(["split", "method", "measurements"])["psnr"].describe())

# %%
tables.download(res.table, "fig8-results.csv");

# %% [markdown]
# The whole table, one row per image and setting: {download}`fig8-results.csv <downloads/fig8-results.csv>`.

# %% tags=["remove-cell"]
verdicts.fig8(res.table, prov["models"]).glue()

# %% [markdown]
# ## Verdict
#
# ```{glue:md} fig8_verdict
# :format: myst
# ```
