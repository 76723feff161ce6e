#!/usr/bin/env bash
# The GPU driver run dry, as scripts/test.sh runs it (CPU, toy size, synthetic images; ~1 min):
# first the size of the real call (prepare.sh count, both views, with the real data where
# ../shared/data exists, as in CI: ~5 s), then session 1 (no model: train d64, figures), session 2
# on its state (figures left, encoder, benchmark, other dims, figs. 7/2, the long d64 and its R = 10
# table, rate-distortion latents), session 2's next call (the long d64 goes on from its checkpoint,
# is measured again and hands its state off) and session 1 cut by a 10-s deadline (still returns
# the generator). Every call counts its deadline from the end of its start-up (--clock ready), and
# the stages whose toy work is fixed by steps get ceilings far above it (--bench-s, --encoder-s,
# --rd-s: the 120-s benchmark cap ran out once at a load of ~5), so a loaded machine slows the run
# but does not change what it returns; temp folders go on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -d ../shared/data/celeba ]; then
  GANZ_DATA=../shared/data bash scripts/gpu/prepare.sh count
else
  echo "dry.sh: no ../shared/data here: the real call's size is not counted"
fi
for run in first second next cut; do
  out=$tmp/out-$run; deadline=3600; work=$tmp/state
  [ "$run" = cut ] && { deadline=10; work=$tmp/cut; }
  t0=$(date +%s)
  bash scripts/gpu/lease.sh auto --dry --work "$work" --out "$out" --deadline "$deadline" --clock ready \
    --bench-s 1200 --encoder-s 1200 --rd-s 1200 > "$out.log" 2>&1 || { tail -20 "$out.log"; echo "dry call ($run) failed" >&2; exit 1; }
  files=$(for f in "$out"/*.tgz; do tar -tzf "$f"; done)
  need='final.safetensors$'
  [ "$run" = first ] && need='^results/paper/fig5-.*\.csv$'
  [ "$run" = second ] && need='^ganz/zoo/celeba64-d512-final\.safetensors$'
  [ "$run" = next ] && need='^ganz/zoo/celeba64-d64-long\.safetensors$'
  grep -q "$need" <<< "$files" || { tail -20 "$out.log"; echo "dry call ($run): nothing matching $need in OUT" >&2; exit 1; }
  if [ "$run" = second ]; then  # every stage of session 2 ran and packed its file
    for f in '^ganz/zoo/celeba64-d64.encoder.safetensors$' '^results/bench/inversion-quick-cpu-summary.csv$' \
             '^results/paper/fig2-.*\.csv$' '^results/paper/jobs/qat-.*\.npz$' \
             '^ganz/zoo/celeba64-d64-long\.safetensors$' '^results/paper/long-d64-r10\.csv$'; do
      grep -q "$f" <<< "$files" || { tail -20 "$out.log"; echo "dry call (second): no $f in OUT" >&2; exit 1; }
    done
    ! grep -q ': failed' "$out.log" || { grep ': failed' "$out.log"; echo "dry call (second): a stage failed" >&2; exit 1; }
  fi
  if [ "$run" = next ]; then  # the long d64 went on from the second's checkpoint, was measured, handed off
    grep -q 'train d64-long: resumed at step' "$out.log" && grep -q '^results/paper/long-d64-r10\.csv$' <<< "$files" \
      && ls "$out"/d64-long-step*.state0of1 >/dev/null 2>&1 \
      || { tail -20 "$out.log"; echo "dry call (next): the long d64 did not go on, was not measured or not handed off" >&2; exit 1; }
  fi
  n=$(ls "$out" | wc -l)
  [ "$n" -le 8 ] || { echo "dry call ($run): $n files in OUT, the device returns 8" >&2; exit 1; }
  echo "dry call ($run, --deadline $deadline after start-up): ok in $(( $(date +%s) - t0 )) s, $(ls "$out" | tr '\n' ' ')"
done
