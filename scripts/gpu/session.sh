#!/usr/bin/env bash
# One device call of the paper-profile run: train | poll | experiments (see README.md beside it).
# DRY=1 runs the same steps on CPU with tiny settings, to test this script without a GPU.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/ganz_out}; mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
PY=${PY:-python3}
if [ "${DRY:-0}" = 1 ]; then
  SIZE="--image-size 16 --base-size 4 --width 8"; STEPS=${STEPS:-20}; BATCH=4; EVERY=10; POLL=5; DEV=cpu
  export GANZ_ZOO=/tmp/ganz_dry/zoo GANZ_RESULTS=/tmp/ganz_dry/results; EXP="--steps 5 --n-images 1"
else
  SIZE="--image-size 64 --base-size 4 --width 128"; STEPS=${STEPS:-200000}; BATCH=64; EVERY=500; POLL=540; DEV=cuda
  EXP=""
fi
export GANZ_DATA=${GANZ_DATA:-$PWD/.data}  # carry the CelebA copy as .data (git-ignored)
phase=${1:-poll}

pack() {  # logs + light exports, and the resumable states, in files under 16 MiB each
  tar czf "$OUT/logs.tgz" runs/paper-d*/log.csv runs/paper-d*/*.safetensors 2>/dev/null
  for d in 64 128 256 512; do [ -f runs/paper-d$d/latest.pt ] && cp runs/paper-d$d/latest.pt "$OUT/state-d$d.pt"; done
  nvidia-smi --query-gpu=name,utilization.gpu,memory.used --format=csv > "$OUT/gpu.txt" 2>/dev/null
  tail -n 2 runs/paper-d*/log.csv
}

case $phase in
  train)
    for d in 64 128 256 512; do
      setsid nohup $PY -m ganz train --out runs/paper-d$d --latent-dim $d $SIZE --batch-size $BATCH \
        --steps $STEPS --checkpoint-every $EVERY --validate-every $((EVERY * 2)) --device $DEV -q \
        > runs-paper-d$d.out 2>&1 &
    done
    sleep $POLL; pack ;;
  poll) sleep $POLL; pack ;;
  experiments)
    pkill -f "ganz train" ; sleep 2
    # the best validation checkpoint of dim 64 for Figs. 3-5 and 8; all four dims as they stand
    # (trained side by side: about equal images seen) for Figs. 2 and 7
    $PY -m ganz.publish runs/paper-d64/best.safetensors --name celeba64-d64 --profile paper
    for d in 64 128 256 512; do
      $PY -m ganz.publish runs/paper-d$d/latest.pt --name celeba64-d$d-final --profile paper
    done
    $PY -m ganz.experiments --profile paper --device $DEV $EXP fig7 fig4 fig3 fig8 fig5 fig2
    tar czf "$OUT/results-paper.tgz" -C "${GANZ_RESULTS:-results}/.." "$(basename "${GANZ_RESULTS:-results}")/paper" \
      -C "${GANZ_ZOO:-$PWD/ganz/zoo}" . ;;
  *) echo "usage: session.sh train|poll|experiments"; exit 2 ;;
esac
