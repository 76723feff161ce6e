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
# # Training the generators
#
# **What the paper did.** The paper trained BEGAN generators on 128×128 CelebA crops with latent
# sizes 64, 128, 256 and 512. It did not report training curves or training length.
#
# **What we run.** We show the logs of the generators that the selected profile uses. BEGAN
# keeps the discriminator (an autoencoder) and the generator in balance through a control
# variable k. The convergence measure M_global = L(x) + |γ L(x) − L(G(z))| should fall as
# training proceeds. From time to time we also compress a few held-out faces with the model and
# log their PSNR, and that validation PSNR picks the checkpoint. Two profiles are shown where
# both have logs. The `paper` profile's dim-64 generator (64×64 images, the original code's
# layout and recipe) was trained on a lent GPU until the session's deadline stopped it; its
# log has no validation PSNR. Under `cpu-small` the models are small and trained on CPU for a
# few thousand steps. Where their curves are still falling
# when training stops, the models are undertrained, and that is one reason our reconstructions
# are weaker than the paper's. The [deviations chapter](../deviations.md) discusses this.

# %% tags=["parameters"]
profile = None

# %%
from ganz import pages
from ganz.report import imagesseen, runs, tables, trainingpage

# %% tags=["remove-input"]
from ganz.report.stamp import stamp

stamp()  # the inputs this page was run with (invisible; tools/bookcheck compares them)

# %%
logs = pages.training_logs(profile)
trainingpage.training_provenance(logs)

# %% tags=["full-width"] mystnb={"figure": {"caption": "BEGAN training curves per latent dimension, one panel per profile (titled with its image size and device): convergence measure, the equilibrium variable k, the discriminator's reconstruction loss on real images, and the validation PSNR used to pick checkpoints.", "name": "training-curves"}, "image": {"alt": "Training curves per latent dimension: convergence measure, equilibrium variable k, real-image reconstruction loss and validation PSNR against training step."}}
trainingpage.training_plot(logs)

# %% [markdown]
# ## What the generators draw
#
# Random samples of each recorded run at its last step, as its training session saved them (where
# a session saved a grid): 64 latents drawn uniformly from [−1, 1], one image each. The first 12 of
# each grid are shown, large enough to see a face.

# %% tags=["full-width"] mystnb={"figure": {"caption": "Samples of the generators at their last training step, one grid per recorded run: the first 12 of the 64 random latents each session drew (each session's whole grid is committed beside its training log).", "name": "training-samples"}, "image": {"alt": "Grids of 12 generated faces per recorded training run."}}
trainingpage.training_samples(logs)

# %% [markdown]
# ## The last logged step of each run
#
# Images seen, wall-clock seconds and throughput (images per second) at the end of each run,
# with BEGAN's k, the convergence measure and the two autoencoder losses, as logged.

# %% tags=["full-width"]
tables.show(trainingpage.training_last(logs))

# %% [markdown]
# ## Does training on more images help?
#
# The dim-64 layout of a profile exists at more than one training length: the snapshot that
# figure 2 compares across latent sizes, the default model behind figure 5, and, once a GPU session
# has trained it, a longer run of the same recipe. Every one of them was inverted with the same
# settings on the same faces at R = 10, so their recorded PSNRs can be set side by side. The
# x-axis is logarithmic: equal gains per doubling of the images seen make a straight line.

# %%
seen = imagesseen.psnr_by_images_seen(runs.book_profiles(profile))

# %% mystnb={"figure": {"caption": "Median PSNR at R = 10 against the number of training images the dim-64 generator saw, one line per split, one panel per profile; each point is one recorded model (named under the axis), inverted with its profile's settings on the same faces.", "name": "training-images-seen"}, "image": {"alt": "Median reconstruction PSNR rising with the number of training images seen, for train, test and out-of-domain images."}}
imagesseen.plot(seen)

# %%
tables.show(imagesseen.show_table(seen))

# %%
tables.show(imagesseen.per_doubling(seen))

# %% tags=["remove-cell"]
imagesseen.verdict(seen, runs.book_profiles(profile)).glue()

# %% [markdown]
# ```{glue:md} images_seen_verdict
# :format: myst
# ```

# %% [markdown]
# ## The fast method's encoders
# `ganz compress` starts from an encoder's guess (see the
# [speed chapter](speed.ipynb)). Each generator's encoder is trained once, with the generator
# frozen. Its validation PSNR is measured on held-out faces in the model's space, from the
# head's guess alone, before any refinement. One head predicts the conv module's input h. The
# others predict z for the trained layer (`keep_linear`) and for the codec's default random
# layer at R = 10.

# %% tags=["full-width"]
tables.show(trainingpage.encoder_logs(profile))

# %% tags=["remove-cell"]
trainingpage.training_verdict(logs).glue()

# %% [markdown]
# ## Verdict
#
# ```{glue:md} training_verdict
# :format: myst
# ```
