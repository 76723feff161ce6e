#!/usr/bin/env bash
# The test command: unit tests + every notebook under nbval in the smoke profile (CPU, no ../shared),
# then the GPU lease run dry (CPU, toy size, synthetic images): in full, and cut by a 20-s deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
export GANZ_PROFILE=smoke GANZ_RESULTS="${GANZ_RESULTS:-$(mktemp -d)}" OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
.venv/bin/python -m pytest tests --nbval-lax notebooks -q "$@"
for deadline in 540 20; do
  out=$(mktemp -d)
  DRY=1 OUT=$out DEADLINE_S=$deadline bash scripts/gpu/lease.sh auto > "$out.log" 2>&1 \
    || { tail -20 "$out.log"; echo "dry lease (DEADLINE_S=$deadline) failed" >&2; exit 1; }
  files=$(tar -tzf "$out/train-d64.tgz"; tar -tzf "$out/results-paper.tgz" 2>/dev/null || true)
  grep -q 'final.safetensors$' <<< "$files" \
    || { echo "dry lease (DEADLINE_S=$deadline): no generator in OUT" >&2; exit 1; }
  if [ "$deadline" = 540 ]; then
    grep -q '^results/paper/fig.*\.csv$' <<< "$files" \
      || { echo "dry lease: no result tables in OUT" >&2; exit 1; }
  fi
  echo "dry lease (DEADLINE_S=$deadline): ok, $(tail -1 "$out.log" | cut -c1-60)"
  rm -rf "$out" "$out.log"
done
