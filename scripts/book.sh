#!/usr/bin/env bash
# The main job: build the book from committed results (uses ../shared/data if GANZ_DATA is unset).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
if [ -z "${GANZ_DATA:-}" ] && [ -d ../shared/data ]; then export GANZ_DATA=$(cd ../shared/data && pwd); fi
# the pages import this checkout's ganz (whatever the venv's editable install points at)
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# jupyter-cache re-runs a notebook only when its code changes; the pages also depend on the package,
# the recorded results and which data is present (ganz.report.stamp hashes the three, and each page
# shows the hashes it ran with): when any of those changed, start the cache afresh. tools/bookcheck
# then fails on any page whose hashes differ from this build's.
inputs=$(.venv/bin/python -m ganz.report.stamp)
stamp=book/_build/.inputs
# (Sphinx re-reads only pages whose source changed: its saved environment goes too, or a page
# would keep the output of its last run however the cache was cleared)
if [ "$(cat "$stamp" 2>/dev/null)" != "$inputs" ]; then
  rm -rf book/_build/.jupyter_cache book/_build/jupyter_execute book/_build/.doctrees
fi
.venv/bin/jupyter-book build book/ -W --keep-going
mkdir -p book/_build && echo "$inputs" > "$stamp"
.venv/bin/python -m tools.bookcheck book/_build/html
