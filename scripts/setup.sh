#!/usr/bin/env bash
# Create .venv with everything the project needs (idempotent), one line per step.
# PyTorch: where CUDA is absent, the CPU-only build (torch 2.13.0+cpu, ~1.7 GB of venv, from this
# machine's package cache) instead of the CUDA build pip takes by default (torch 2.14.1, ~6 GB);
# TORCH=<requirement> picks another.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
step() { printf 'setup: %s\n' "$*"; }
quiet() { grep -v -e "^WARNING: Location" -e "^\s*$" || true; }
t0=$(date +%s)
if [ -x .venv/bin/python ]; then step "using .venv ($(.venv/bin/python --version))"
else step "creating .venv with $($PY --version)"; "$PY" -m venv .venv; fi
step "upgrading pip"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if .venv/bin/python -c "import torch" 2>/dev/null; then
  step "PyTorch $(.venv/bin/python -c 'import torch; print(torch.__version__)') already installed"
else
  if [ -n "${TORCH:-}" ]; then want=$TORCH
  elif command -v nvidia-smi >/dev/null 2>&1; then want="torch==2.14.1"
  else want="torch==2.13.0"; fi  # the CPU-only build where one is reachable (see above)
  step "installing PyTorch ($want; a few minutes the first time)"
  .venv/bin/python -m pip install -q "$want" 2>&1 | quiet \
    || .venv/bin/python -m pip install -q "torch>=2.11" 2>&1 | quiet
fi
step "installing ganz and its test, book and codec extras"
.venv/bin/python -m pip install -q -e ".[test,book,codecs]" 2>&1 | quiet
step "exporting the torch-free compress path's ONNX bundles (ganz/zoo/*.lite, derived)"
.venv/bin/python -m ganz.lite.export | sed 's/^/setup:   /'
.venv/bin/python -c "import ganz, torch, pywt, safetensors, onnxruntime, jupyter_book, nbval; print('setup: ok in', $(date +%s) - $t0, 's: torch', torch.__version__)"
