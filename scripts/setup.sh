#!/usr/bin/env bash
# Create .venv with everything the project needs (idempotent). CPU machines: torch from local disk.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q torch==2.14.1 torchvision==0.29.1 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e ".[test,book,codecs]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m ganz.lite.export  # the torch-free compress path's bundles (derived, git-ignored)
.venv/bin/python -c "import ganz, torch, pywt, safetensors, onnxruntime, jupyter_book, nbval; print('setup ok: torch', torch.__version__)"
