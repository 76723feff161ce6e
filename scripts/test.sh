#!/usr/bin/env bash
# The test command: unit tests + every notebook under nbval in the smoke profile (CPU, no ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
export GANZ_PROFILE=smoke GANZ_RESULTS="${GANZ_RESULTS:-$(mktemp -d)}" OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
.venv/bin/python -m pytest tests --nbval-lax notebooks -q "$@"
