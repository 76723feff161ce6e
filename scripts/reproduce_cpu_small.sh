#!/usr/bin/env bash
# The cpu-small profile end to end on 2 CPU cores: train the four 32x32 BEGANs, publish them to
# ganz/zoo, run every figure's experiment into results/cpu-small/. Resumable: rerun to continue.
set -euo pipefail
cd "$(dirname "$0")/.."
export GANZ_DATA=${GANZ_DATA:-../shared/data}
PY=.venv/bin/python
common="--image-size 32 --base-size 4 --width 32 --batch-size 16 --checkpoint-every 250 -q"
if [ "${SKIP_TRAIN:-0}" != 1 ]; then
  $PY -m ganz train --out runs/cpu-small-d64 --latent-dim 64 --steps ${D64_STEPS:-5000} \
      --validate-every 500 --snapshot-at 1250 2500 $common
  for d in 128 256 512; do
    $PY -m ganz train --out runs/cpu-small-d$d --latent-dim $d --steps 1250 --validate-every 250 $common
  done
fi
# best checkpoint by validation PSNR for the main model; equal images seen (1250 steps) for Fig. 2/7
$PY -m ganz publish runs/cpu-small-d64/best.safetensors --name cpu-small-d64 --profile cpu-small --gains 4 8 16 32
$PY -m ganz publish runs/cpu-small-d64/generator_step1250.safetensors --name cpu-small-d64-s1250 --profile cpu-small --no-log
for d in 128 256 512; do
  $PY -m ganz publish runs/cpu-small-d$d/final.safetensors --name cpu-small-d$d --profile cpu-small
done
$PY -m ganz run --profile cpu-small fig7 fig4 fig3 fig8 fig5 fig2
