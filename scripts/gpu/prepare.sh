#!/usr/bin/env bash
# Before a GPU lease, here: the wheels the device lacks (PyWavelets for its Python 3.12) into .whl/,
# the data it needs into .data/data.tgz (CelebA half-size JPEGs + OOD set, one file: the 64×64 train split as one
# .npy would be 104 MB, over the 64 MiB the tree may carry), the commit id into .commit.
# All three are git-ignored (.git/info/exclude) and travel as the device call's `carry`.
set -euo pipefail
cd "$(dirname "$0")/../.."
ex=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$ex")"
for p in /.whl/ /.data/ /.commit; do grep -qx "$p" "$ex" 2>/dev/null || echo "$p" >> "$ex"; done
PIP=${PIP:-python3 -m pip}
[ -x .venv/bin/python ] && PIP=".venv/bin/python -m pip"
rm -rf .whl; mkdir -p .whl
# pywavelets 1.8.0 (the version here) has manylinux_2_17 wheels for CPython 3.12; numpy is on the device
$PIP download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl "pywavelets==1.8.0"
src=${GANZ_DATA:-../shared/data}
if [ -d "$src/celeba" ] && [ -d "$src/ood" ]; then
  rm -rf .data; mkdir -p .data  # one .tgz: the transfer counts ~1 KiB a file, and there are 9,000 JPEGs
  tar -czf .data/data.tgz -C "$src" celeba ood
else
  echo "prepare.sh: no data at $src (set GANZ_DATA); .data not made" >&2
fi
git rev-parse --short=12 HEAD > .commit
git diff --quiet HEAD -- ganz scripts || echo "prepare.sh: warning: uncommitted changes in ganz/ or scripts/" >&2
# what would travel: tracked + untracked-not-ignored files, plus the carried .whl .data .commit, each
# counted as in a tar (512-byte header, size padded to 512): the device tool refused 59.7 MiB of
# bytes in 9,000 small files as over 64 MiB
git ls-files -co --exclude-standard -z | python3 -c '
import os, sys
def tarred(n): return 512 + -(-n // 512) * 512
tree = sum(tarred(os.lstat(p).st_size) for p in sys.stdin.read().split("\0") if p and os.path.lexists(p))
carried = sum(tarred(os.path.getsize(os.path.join(d, f))) for top in (".whl", ".data") if os.path.isdir(top)
              for d, _, fs in os.walk(top) for f in fs) + (512 if os.path.exists(".commit") else 0)
mib = 1 << 20
print(f"prepare.sh: travels {(tree + carried) / mib:.1f} MiB of 64 (tree {tree / mib:.1f}, carried {carried / mib:.1f})")
sys.exit(0 if tree + carried < 64 * mib else 1)' || { echo "prepare.sh: over 64 MiB" >&2; exit 1; }
echo "prepare.sh: .whl: $(ls .whl | tr '\n' ' '); .data: $(du -sh .data 2>/dev/null | cut -f1); commit $(cat .commit)"
