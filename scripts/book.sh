#!/usr/bin/env bash
# The main job: build the book from committed results (uses ../shared/data if GANZ_DATA is unset).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
if [ -z "${GANZ_DATA:-}" ] && [ -d ../shared/data ]; then export GANZ_DATA=$(cd ../shared/data && pwd); fi
# jupyter-cache re-runs a notebook only when its code changes; the pages also depend on the package,
# the committed results and which data is present: when any of those changed, start the cache afresh
inputs=$( { if git rev-parse --git-dir >/dev/null 2>&1; then
             git ls-files -s ganz results data; git status --porcelain -- ganz results data
             git diff HEAD -- ganz results data
           else find ganz results data -type f -printf '%p %s %T@\n' | sort; fi
           echo "data=${GANZ_DATA:-}"; } | sha256sum | cut -c1-16)
stamp=book/_build/.inputs
if [ "$(cat "$stamp" 2>/dev/null)" != "$inputs" ]; then rm -rf book/_build/.jupyter_cache book/_build/jupyter_execute; fi
.venv/bin/jupyter-book build book/ -W --keep-going
mkdir -p book/_build && echo "$inputs" > "$stamp"
.venv/bin/python -m tools.bookcheck book/_build/html
