#!/usr/bin/env bash
# Before a GPU lease, here (scripts/gpu/README.md, "Fit"):
#   bash scripts/gpu/prepare.sh [auto|long]   make what the call carries and leave out of the call
#                                             what the lease does not read there; count; fail loudly
#   bash scripts/gpu/prepare.sh count         count both views with the real data, change nothing (CI)
# Carried (git-ignored via .git/info/exclude; the call's `carry`): .whl/ (PyWavelets 1.8.0 for the
# device's CPython 3.12, without its test suite and sample data: 0.8 of 4.2 MiB), .data/data.tgz
# (CelebA's half-size JPEGs + the OOD set as one gzipped tar, unchanged bytes: the transfer counts
# ~1 KiB a file, and there are 9,000; the 64×64 train split as one .npy would be 104 MB) and
# .data/view, .commit (the commit id, read as GANZ_COMMIT; .git does not travel).
# The view (scripts/gpu/fit.py): `auto` for lease.sh auto|train|experiments, `long` for lease.sh long
# (the long d64 on from the state in lease-state/: no zoo, no figure results). Its files leave the
# index until unpack.sh (or `python3 scripts/gpu/fit.py restore`) puts them back: commit first.
set -euo pipefail
cd "$(dirname "$0")/../.."
action=apply
[ "${1:-}" = count ] && { action=count; shift; }
view=${1:-auto}
case "$view" in auto|long) ;; *) echo "usage: prepare.sh [count] [auto|long]" >&2; exit 2;; esac
src=${GANZ_DATA:-../shared/data}
[ -d "$src/celeba" ] && [ -d "$src/ood" ] \
  || { echo "prepare.sh: no data at $src (set GANZ_DATA to the folder with celeba/ and ood/)" >&2; exit 1; }
py=${PY:-python3}; [ -z "${PY:-}" ] && [ -x .venv/bin/python ] && py=.venv/bin/python  # torch, for the state's size
state_bytes() {  # a long d64's compact handoff at 64×64 (counted before any exists)
  PYTHONPATH=$PWD OMP_NUM_THREADS=1 "$py" -c '
from ganz.core.config import ModelConfig
from ganz.train.handoff import compact_bytes
print(compact_bytes(ModelConfig(latent_dim=64, arch="original", image_size=64, base_size=4, width=128)))'
}
if [ "$action" = count ]; then
  data=$(tar -czf - -C "$src" celeba ood | wc -c)  # as prepare.sh makes it (~1 s)
  wheel=$((1 << 20))  # the stripped wheel (0.8 MiB), counted as 1 MiB when .whl/ is not made here
  ls .whl/*.whl >/dev/null 2>&1 && wheel=$(cat .whl/*.whl | wc -c)
  sb=$(state_bytes) || { echo "prepare.sh: cannot size the handed-off state (needs torch: .venv)" >&2; exit 1; }
  exec python3 scripts/gpu/fit.py count auto long --data-bytes "$data" --wheel-bytes "$wheel" --state-bytes "$sb"
fi
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
for w in .whl/*.whl; do python3 scripts/gpu/fit.py strip-wheel "$w"; done
rm -rf .data; mkdir -p .data
tar -czf .data/data.tgz -C "$src" celeba ood
echo "$view" > .data/view  # lease.sh refuses another mode on a `long` tree
git rev-parse --short=12 HEAD > .commit
git diff --quiet HEAD -- ganz scripts || echo "prepare.sh: warning: uncommitted changes in ganz/ or scripts/" >&2
if [ "$view" = long ] && ! ls lease-state/d64-long-step*.state*of* >/dev/null 2>&1; then
  echo "prepare.sh: warning: no handed-off state in lease-state/: lease.sh long starts the long d64 afresh" >&2
fi
if ! python3 scripts/gpu/fit.py apply "$view"; then
  python3 scripts/gpu/fit.py restore >/dev/null
  echo "prepare.sh: the call would not fit (above): nothing to send; the index is as it was" >&2
  exit 1
fi
echo "prepare.sh: .whl: $(ls .whl | tr '\n' ' '); .data: $(du -sh .data | cut -f1); commit $(cat .commit)"
echo "prepare.sh: then run(command=\"bash scripts/gpu/lease.sh $view --deadline 570\", carry=[\".whl\", \".data\", \".commit\"], timeout_s=600)"
