#!/usr/bin/env bash
# The main job: build the book from committed results (uses ../shared/data if GANZ_DATA is unset).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
if [ -z "${GANZ_DATA:-}" ] && [ -d ../shared/data ]; then export GANZ_DATA=$(cd ../shared/data && pwd); fi
.venv/bin/jupyter-book build book/ -W --keep-going
.venv/bin/python -m tools.bookcheck book/_build/html
