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
# # Fast compression: the paper's PSNR in a fraction of its time
#
# **The cost of the paper's compressor.** GANZ compresses an image x by searching a latent z
# with ‖G(z) − x‖² small. The paper starts from a random z and runs Adam for a fixed number of
# steps ({glue:text}`speed_paper_steps:.0f`, learning rate {glue:text}`speed_paper_lr:.2f` with a
# cosine decay), clamping z to [−1, 1] after every step. Each step is a forward and a backward
# pass through the generator's conv module.
#
# **What `ganz.core.fast` does instead.** A small conv net, the *encoder*, is trained once per generator
# with the generator frozen. It maps an image to the latent side of the generator: one head for the
# conv module's input h, which serves any adapter, and one head per registered adapter
# (`keep_linear`, and the codec's default random layer at R = 10, seed 0), which predicts z
# directly. For an adapter without a head, h is turned into z by box-constrained least squares
# through the adapter's fixed matrix. The candidate starts (that head, the projected h, and zeros)
# are scored with one forward pass each, and the best one is refined by a projected L-BFGS, run
# per image but batched: its directions come from that image's last {glue:text}`speed_memory:.0f`
# steps, restricted to the coordinates not held at a bound, and each step is projected onto the
# box and backtracked. The objective, the box and the file format are unchanged, so a file from
# either method decodes the same way.
#
# **When the fast method stops.** A user compressing a new image does not know the PSNR the paper's
# method would reach, so the refinement needs its own stopping rule. Each image stops once its
# PSNR gained less than {glue:text}`speed_tol_db:.3g` dB over its last
# {glue:text}`speed_tol_window:.0f` L-BFGS iterations (or when its line search fails, or after
# {glue:text}`speed_max_steps:.0f` iterations). Images in one batch stop independently: a stopped
# image leaves the batch and costs nothing more. The rule was tuned on training faces only (below).
#
# **How it is measured.** `ganz bench inversion` runs both methods one after the other
# on the same machine, generator and images: held-out CelebA faces (`test`) and out-of-domain
# pictures (`ood`), at R = 10 (random layer) and with the trained layer kept (`keep_linear`).
# Every few steps it records the best z so far; after the run each recorded z is decoded, rounded
# to uint8 and scored against the uint8 original, which is what a file written at that moment
# would give. The **headline** is *full run against full run*: each method runs to its own end
# (the paper: all its steps; fast: encoder, start selection and refinement until its rule stops
# every image), and the ratio of the two times is reported with the PSNR each ends at, per image.
# A second, **oracle-stopped** ratio is kept as a secondary curve: the time at which the paper's
# run *first* touches its final PSNR over the fast method's time to reach the same PSNR. No user
# can stop that way, since it needs to know the final PSNR in advance.
#
# Under the smoke profile the page runs the `--quick` benchmark instead (a tiny untrained generator
# and synthetic images; its numbers only show that the code runs), and the whole-command and
# tuning sections show the committed results when present.

# %% tags=["parameters"]
profile = None
device = "auto"

# %%
import math

from ganz import pages
from ganz.report import benchplot, speedbook, tables
from ganz.results.bench import provenance

res = pages.speed_results(profile, device)  # the smoke profile runs the quick benchmark now
command = speedbook.load_side("command", profile)
tuning = speedbook.load_side("tuning", profile)
facts = speedbook.speed_facts(res, command, tuning)
speedbook.glue_facts(facts)
print(provenance(res.meta))

# %% tags=["remove-input"]
from ganz.report.stamp import stamp

stamp()  # the inputs this page was run with (invisible; tools/bookcheck compares them)

# %% [markdown]
# ## Full runs: the headline
#
# On the recorded run ({glue:text}`speed_images_per_split:.0f` images per split, load average
# {glue:text}`speed_load_start:.1f` when it started and {glue:text}`speed_load_end:.1f` when it
# ended, {glue:text}`speed_threads:.0f` threads), each method run to its own end, the fast method
# is {glue:text}`speed_full_min:.1f`–{glue:text}`speed_full_max:.1f`× faster than the paper's.
# At R = 10 that is {glue:text}`speed_full_r10_test:.1f`× on test faces and
# {glue:text}`speed_full_r10_ood:.1f`× on out-of-domain pictures; with `keep_linear`,
# {glue:text}`speed_full_keep_test:.1f`× and {glue:text}`speed_full_keep_ood:.1f`×. The mean
# PSNR difference (fast − paper) per split lies between {glue:text}`speed_gap_min:.3f` and
# {glue:text}`speed_gap_max:.3f` dB (the bar: no lower than −0.05 dB), and the fast method ends
# lower on {glue:text}`speed_lower_total:.0f` of {glue:text}`speed_images_total:.0f` images
# (listed below). It spends {glue:text}`speed_evals_r10_test:.0f` and
# {glue:text}`speed_evals_r10_ood:.0f` refinement evaluations per image at R = 10 (test, ood),
# and {glue:text}`speed_evals_keep_test:.0f` and {glue:text}`speed_evals_keep_ood:.0f` with
# `keep_linear`. The first table gives the full runs; the second gives the oracle stop, the time
# each method needs to reach the paper's final PSNR.

# %% tags=["full-width"]
speedbook.speedup_tables(res.speedups())

# %% [markdown]
# ## Per image
#
# Each image's final PSNR under both methods, the difference (fast − paper) and the fast method's
# evaluations; the oracle columns are the secondary measure. The second table lists the images
# on which the fast method ends lower than the paper's.

# %% tags=["full-width"]
per = res.per_image()
tables.show(per)

# %% tags=["full-width"]
speedbook.lower_images(per)

# %% [markdown]
# ## Whole commands
#
# A user runs `ganz compress`, so the chapter also times whole commands: a fresh
# `python -m ganz compress … --method fast|paper` process each time (start-up, imports, model and
# encoder loading, compression and writing the files included), on held-out test faces, 1 image
# and 8 images in one command, the two methods alternating, repeated; medians of the paired
# ratios. With 1 image the fast command was {glue:text}`speed_cmd1_speedup:.1f`× faster
# ({glue:text}`speed_cmd1_fast_s:.1f` s against {glue:text}`speed_cmd1_paper_s:.1f` s, median
# of {glue:text}`speed_cmd1_repeats:.0f`; mean PSNR difference {glue:text}`speed_cmd1_gap:.3f` dB);
# with 8 images {glue:text}`speed_cmd8_speedup:.1f`× ({glue:text}`speed_cmd8_fast_s:.1f` s
# against {glue:text}`speed_cmd8_paper_s:.1f` s; mean PSNR difference
# {glue:text}`speed_cmd8_gap:.3f` dB, fast lower on {glue:text}`speed_cmd8_lower:.0f` of 8). The
# machine was shared while these ran (median 1-minute load {glue:text}`speed_cmd1_load:.1f` and
# {glue:text}`speed_cmd8_load:.1f` on 2 cores), which slows both methods; the ratios were taken
# side by side. A fixed cost bounds the 1-image ratio: importing PyTorch alone takes over 2 s
# here. So where a model's *lite bundle* is set up (`python -m ganz.lite.export`, run by
# `scripts/setup.sh`), `ganz compress` runs the fast method without torch. ONNX Runtime then
# evaluates the conv module's loss and its gradient (written out by hand and exported once), and
# numpy runs the same L-BFGS, starts and stopping rule. The files are the same kind, and the
# decoder is unchanged. The fast command of this record ran on: {glue:text}`speed_cmd_backend`.

# %% tags=["full-width"]
speedbook.glue_facts({"cmd_backend": (command or {}).get("meta", {}).get("fast_backend", "torch")})
speedbook.command_tables(command)

# %% [markdown]
# ## On a GPU (paper profile)
#
# A session on a lent GPU ran the same benchmark with the paper profile's 64×64 generator
# (`celeba64-d64` and its encoder) on {glue:text}`speed_gpu_device`:
# {glue:text}`speed_gpu_images:.0f` held-out faces at R = 10, all in one batch. There the paper's
# 7,500 Adam steps took {glue:text}`speed_gpu_paper_s:.1f` s and the fast method
# {glue:text}`speed_gpu_fast_s:.1f` s, a full-run ratio of {glue:text}`speed_gpu_full:.2f`×,
# although it spent {glue:text}`speed_gpu_flops_ratio:.0f`× fewer FLOPs (mean PSNR difference
# {glue:text}`speed_gpu_gap:.2f` dB, fast lower on {glue:text}`speed_gpu_lower:.0f` images). A
# batch of 16 small images leaves the GPU waiting on kernel launches, so FLOPs do not set the
# time. The trace shows where the fast run's time went:
# {glue:text}`speed_gpu_start_s:.1f` s for the encoder and the choice of start,
# {glue:text}`speed_gpu_steady_s:.1f` s of steady L-BFGS iterations, and
# {glue:text}`speed_gpu_stall_s:.1f` s in {glue:text}`speed_gpu_stalls:.0f` stalls (intervals
# more than 10× the median). In this run cuDNN autotuning was {glue:text}`speed_gpu_autotuning`.
# With autotuning on, cuDNN times its algorithms again for every new input shape. The fast
# method's batch shrinks as images stop, and each line search evaluates a subset, so its shapes
# keep changing, so the fast method turns autotuning off for its refinement
# (`ganz.core.fast.no_autotuning`), the way `ganz compress` runs it, and the benchmark runs both
# methods that way.

# %% tags=["full-width"]
gpu = speedbook.gpu_side(profile)
speedbook.glue_facts(speedbook.gpu_facts(gpu))
speedbook.gpu_tables(gpu, profile)

# %% [markdown]
# ## Tuning the stopping rule (training faces only)
#
# `ganz bench tune` ran the paper's method and the fast method without a stopping rule
# (up to {glue:text}`speed_tune_max_steps:.0f` iterations) on {glue:text}`speed_tune_images:.0f`
# faces of the *training* split, then replayed the rule for a grid of (ε, k) on the recorded
# curves. The chosen rule is the cheapest one (fewest evaluations over both adapters) whose mean
# PSNR difference to the paper's final PSNR is at least {glue:text}`speed_tune_margin:.2f` dB on
# both adapters, with no image more than {glue:text}`speed_tune_worst:.2f` dB below it. (With
# `keep_linear` both methods end at the same optimum, so no rule can be above it on average; a
# margin of zero would select nothing.) On those faces it
# used {glue:text}`speed_tune_evals_r10:.0f` evaluations per image at R = 10 (mean difference
# {glue:text}`speed_tune_gap_r10:.3f` dB) and {glue:text}`speed_tune_evals_keep:.0f` with
# `keep_linear` ({glue:text}`speed_tune_gap_keep:.3f` dB), where running without the rule took
# {glue:text}`speed_tune_nostop_evals_r10:.0f` and {glue:text}`speed_tune_nostop_evals_keep:.0f`.
# The test and out-of-domain images of the benchmark played no part in the choice.

# %% tags=["full-width"]
speedbook.tuning_table(tuning)

# %%
tables.download(speedbook.tuning_full(tuning), "speed-tuning.csv");

# %% [markdown]
# Every rule of the grid with all its measures: {download}`speed-tuning.csv <downloads/speed-tuning.csv>`.

# %% [markdown]
# ## Secondary: PSNR against time, and the oracle stop
#
# The curves below show both methods' whole runs. The dots mark when each first reaches the
# paper's final mean PSNR: the oracle-stopped comparison, which needs that final PSNR in advance
# and so is not what a user gets; the label in each panel is the full-run ratio.

# %% tags=["full-width"] mystnb={"figure": {"caption": "PSNR of the uint8-decoded image against wall time (log scale), for the paper's compressor (grey) and the fast one (blue). Thin lines are single images and thick lines the split's mean. The dotted line is the paper's final mean PSNR and the dots mark when each method first reaches it (the oracle stop, secondary); the label gives the full-run ratio.", "name": "speed-time-to-psnr"}, "image": {"alt": "PSNR against wall time on a log scale for the paper's compressor and the fast one, per image and as split means, with the time each first reaches the paper's final PSNR."}}
benchplot.plot_time_to_psnr(res.table, res.summary)

# %% [markdown]
# ## Cost per image
#
# FLOPs count the conv module's convolutions: a refinement evaluation is one forward and one
# backward pass, about 3× a forward; the fast method adds one encoder pass and the scoring of its
# starts, and its refinement FLOPs use the evaluations it actually spent. The GPU columns (images
# per minute, fraction of the bf16 peak) are filled only by a run on a GPU.

# %% tags=["full-width"]
tables.show(res.costs())

# %% tags=["remove-cell"]
assert all(math.isfinite(v) for k, v in facts.items() if k.startswith("full_"))
