#!/usr/bin/env bash
# The code's rules, checked: ruff (pyproject's [tool.ruff]), the import layers and the torch-free
# results layer (import-linter, pyproject's [tool.importlinter]), no import cycle anywhere in ganz/
# (tools/importgraph.py), and mypy on ganz/core.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
echo "lint.sh: ruff"
.venv/bin/ruff check ganz tools tests scripts
echo "lint.sh: import layers"
.venv/bin/lint-imports
echo "lint.sh: import cycles"
.venv/bin/python -m tools.importgraph
echo "lint.sh: mypy ganz/core"
.venv/bin/mypy ganz/core
