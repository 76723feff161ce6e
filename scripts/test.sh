#!/usr/bin/env bash
# The test command: unit tests + every notebook under nbval in the smoke profile (CPU, no ../shared),
# then the GPU lease run dry (CPU, toy size, synthetic images): two leases in a row, and one cut by
# a 20-s deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
export GANZ_PROFILE=smoke GANZ_RESULTS="${GANZ_RESULTS:-$(mktemp -d)}" OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
.venv/bin/python -m pytest tests --nbval-lax notebooks -q "$@"
# lease 1 (no model: train d64, figures), then lease 2 on its state (figures left, encoder,
# benchmark, other dims, figs. 7/2, the long d64 and its R = 10 table, rate-distortion latents),
# then lease 2's next call (the long d64 goes on from its checkpoint, measured again), then lease 1
# cut by a 20-s deadline
state=$(mktemp -d)
for run in first second next cut; do
  out=$(mktemp -d); deadline=540; work=$state
  [ "$run" = cut ] && { deadline=20; work=$(mktemp -d); }
  DRY=1 DRY_WORK=$work OUT=$out DEADLINE_S=$deadline bash scripts/gpu/lease.sh auto > "$out.log" 2>&1 \
    || { tail -20 "$out.log"; echo "dry lease ($run) failed" >&2; exit 1; }
  files=$(for f in "$out"/*.tgz; do tar -tzf "$f"; done)
  need='final.safetensors$'
  [ "$run" = first ] && need='^results/paper/fig5-.*\.csv$'
  [ "$run" = second ] && need='^ganz/zoo/celeba64-d512-final\.safetensors$'
  [ "$run" = next ] && need='^ganz/zoo/celeba64-d64-long\.safetensors$'
  grep -q "$need" <<< "$files" || { echo "dry lease ($run): nothing matching $need in OUT" >&2; exit 1; }
  if [ "$run" = second ]; then  # every stage of lease 2 ran and packed its file
    for f in '^ganz/zoo/celeba64-d64.encoder.safetensors$' '^results/bench/inversion-quick-cpu-summary.csv$' \
             '^results/paper/fig2-.*\.csv$' '^results/paper/jobs/qat-.*\.npz$' \
             '^ganz/zoo/celeba64-d64-long\.safetensors$' '^results/paper/long-d64-r10\.csv$'; do
      grep -q "$f" <<< "$files" || { tail -20 "$out.log"; echo "dry lease (second): no $f in OUT" >&2; exit 1; }
    done
    ! grep -q ': failed' "$out.log" || { grep ': failed' "$out.log"; echo "dry lease (second): a stage failed" >&2; exit 1; }
  fi
  if [ "$run" = next ]; then  # the long d64 went on from the second's checkpoint and was measured again
    grep -q 'train d64-long: resumed at step' "$out.log" && grep -q '^results/paper/long-d64-r10\.csv$' <<< "$files" \
      || { tail -20 "$out.log"; echo "dry lease (next): the long d64 did not go on, or was not measured" >&2; exit 1; }
  fi
  echo "dry lease ($run, DEADLINE_S=$deadline): ok, $(ls "$out" | tr '\n' ' ')"
  rm -rf "$out" "$out.log"
  [ "$run" = cut ] && rm -rf "$work"
done
rm -rf "$state"
