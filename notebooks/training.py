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
# # Training the generators
#
# **What the paper did.** The paper trained BEGAN generators on 128×128 CelebA crops with latent
# sizes 64, 128, 256 and 512. It did not report training curves or training length.
#
# **What we run.** We show the logs of the generators that the selected profile uses. BEGAN
# keeps the discriminator (an autoencoder) and the generator in balance through a control
# variable k. The convergence measure M_global = L(x) + |γ L(x) − L(G(z))| should fall as
# training proceeds. From time to time we also compress a few held-out faces with the model and
# log their PSNR, and that validation PSNR picks the checkpoint. Under `cpu-small` the models
# are small and trained on CPU for a few thousand steps. Where their curves are still falling
# when training stops, the models are undertrained, and that is one reason our reconstructions
# are weaker than the paper's. The [deviations chapter](../deviations.md) discusses this.

# %% tags=["parameters"]
profile = None

# %%
from ganz.study import figures
from ganz.report import plots, recorded, tables, verdicts

# %%
logs = figures.training_logs(profile)
recorded.training_provenance(profile)

# %% mystnb={"figure": {"caption": "BEGAN training curves per latent dimension: convergence measure, the equilibrium variable k, the discriminator's reconstruction loss on real images, and the validation PSNR used to pick checkpoints.", "name": "training-curves"}, "image": {"alt": "Training curves per latent dimension: convergence measure, equilibrium variable k, real-image reconstruction loss and validation PSNR against training step."}}
plots.training(logs)

# %% [markdown]
# ## The last logged step of each run

# %%
tables.show(logs.groupby("dim").tail(1).set_index("dim"))

# %% tags=["remove-cell"]
verdicts.training(logs).glue()

# %% [markdown]
# ## Verdict
#
# ```{glue:md} training_verdict
# :format: myst
# ```
