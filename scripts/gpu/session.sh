#!/usr/bin/env bash
# The paper profile's GPU work in ONE device call (a lease is 15 minutes, a call at most 10):
# train the dim-64 BEGAN for TRAIN_S seconds, publish it, invert for EXP_S seconds (every
# finished job is cached, so a later CPU session can draw the figures from them), pack to $OUT.
# DRY=1 runs the same steps on CPU with a tiny model, to test this script without a GPU.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/ganz_out}; mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then  # PyWavelets for the device's Python (prepare.sh)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
PY=${PY:-python3}
export GANZ_DATA=${GANZ_DATA:-$PWD/.data} PYTHONUNBUFFERED=1  # the CelebA copy, carried as .data
if [ "${DRY:-0}" = 1 ]; then
  SIZE="--image-size 16 --base-size 4 --width 8"; BATCH=4; EVERY=10; DEV=cpu
  TRAIN_S=${TRAIN_S:-20}; EXP_S=${EXP_S:-60}; EXP="--steps 5 --n-images 1"
  export GANZ_ZOO=/tmp/ganz_dry/zoo GANZ_RESULTS=/tmp/ganz_dry/results
else
  SIZE="--image-size 64 --base-size 4 --width 128"; BATCH=64; EVERY=250; DEV=cuda
  TRAIN_S=${TRAIN_S:-330}; EXP_S=${EXP_S:-170}; EXP=""
fi
ZOO=${GANZ_ZOO:-$PWD/ganz/zoo}; RES=${GANZ_RESULTS:-$PWD/results}
mkdir -p "$ZOO" "$RES"
t0=$(date +%s)
{ nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo cpu
  $PY -c 'import torch; print("torch", torch.__version__)'; } > "$OUT/device.txt"

# 1. train (SIGTERM at the budget: checkpoints are atomic, so the last one is whole)
timeout -s TERM "$TRAIN_S" $PY -m ganz train --out runs/paper-d64 --latent-dim 64 $SIZE \
  --batch-size $BATCH --checkpoint-every $EVERY --validate-every $((EVERY * 2)) --device $DEV -q \
  > "$OUT/train.out" 2>&1
echo "train: exit $? after $(( $(date +%s) - t0 )) s" >> "$OUT/device.txt"

# 2. publish the best validation checkpoint (gain calibrated on held-out train faces)
best=runs/paper-d64/best.safetensors; [ -f $best ] || best=runs/paper-d64/latest.pt
$PY -m ganz.train.publish $best --name celeba64-d64 --profile paper >> "$OUT/device.txt" 2>&1

# 3. the paper profile's inversions, cheapest figures first, until the budget runs out
timeout -s TERM "$EXP_S" $PY -m ganz.study.experiments --profile paper --device $DEV $EXP ${FIGS:-fig4 fig3 fig5 fig8} \
  > "$OUT/experiments.out" 2>&1
echo "experiments: exit $? after $(( $(date +%s) - t0 )) s" >> "$OUT/device.txt"

# 4. pack: the model, its log and samples, and every cached job and table (files < 16 MiB)
runs=(); for f in runs/paper-d64/log.csv runs/paper-d64/*.safetensors; do [ -f "$f" ] && runs+=("$f"); done
tar czf "$OUT/paper.tgz" "${runs[@]}" -C "$ZOO" celeba64-d64.safetensors -C "$RES" paper \
  2>> "$OUT/device.txt"
ls -la "$OUT" >> "$OUT/device.txt"; cat "$OUT/device.txt"
