#!/usr/bin/env bash
# The test command: unit tests + every notebook under nbval in the smoke profile (CPU, no ../shared),
# then the GPU lease run dry (CPU, toy size, synthetic images): leases in a row, one cut by a short
# deadline, and the size of the real call with the real data where ../shared/data exists.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
if [ -z "${GANZ_RESULTS:-}" ]; then  # the tests' results in a temp folder, removed on exit
  GANZ_RESULTS=$(mktemp -d); trap 'rm -rf "$GANZ_RESULTS"' EXIT
fi
export GANZ_PROFILE=smoke GANZ_RESULTS OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
bash scripts/lint.sh
echo "test.sh: the unit tests, the slow tier (the README's and the design card's commands as typed, the dry GPU runs' tests) and every notebook under nbval"
.venv/bin/python -m pytest tests --nbval-lax notebooks -q --durations=30 "$@"
echo "test.sh: the GPU lease run dry"
bash scripts/gpu/dry.sh  # the GPU lease run dry, and the real call's size (scripts/gpu/dry.sh)
