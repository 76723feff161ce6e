#!/usr/bin/env bash
# Download the wheels the device lacks (PyWavelets) for its Python 3.12, into .whl/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> .git/info/exclude
grep -qx '/.data/' .git/info/exclude 2>/dev/null || echo /.data/ >> .git/info/exclude
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "pywavelets==1.9.0"
ls -la .whl
