#!/usr/bin/env bash
# After a lease, here: bash scripts/gpu/unpack.sh DIR  (DIR = the files that came back from $OUT)
# Extracts every train-d*.tgz, results-paper.tgz, encoder.tgz and bench.tgz into the repository:
# ganz/zoo/ (published generators, encoders), results/paper/ (tables, jobs, training logs),
# results/bench/ (the GPU benchmark), runs/ (raw exports, logs, sample grids).
set -euo pipefail
dir=${1:?usage: unpack.sh DIR}
cd "$(dirname "$0")/../.."
shopt -s nullglob
n=0
for f in "$dir"/train-d*.tgz "$dir"/results-paper.tgz "$dir"/encoder.tgz "$dir"/bench.tgz; do
  [ -f "$f" ] || continue  # a lease packs only the stages it ran
  tar -tzf "$f" | grep -Ev '^(ganz/zoo/|results/paper/|results/bench/|runs/paper-d)' && { echo "unpack.sh: $f has unexpected paths" >&2; exit 1; }
  tar -xzf "$f" --no-same-owner
  echo "unpacked $f: $(tar -tzf "$f" | wc -l) files"; n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "unpack.sh: nothing to unpack in $dir" >&2; exit 1; }
[ -f "$dir/lease.log" ] && tail -5 "$dir/lease.log"
for p in results/paper/*.partial.csv; do  # a whole table from the device replaces the partial one
  [ -f "${p%.partial.csv}.csv" ] && rm -f "$p" "${p%.csv}.json"
done
py=python3; [ -x .venv/bin/python ] && py=.venv/bin/python
# a figure the lease cut short: its table from the jobs recorded so far (needs the images, CPU, ~1 min)
PYTHONPATH=$PWD GANZ_DATA=${GANZ_DATA:-../shared/data} "$py" -c \
  'from ganz.study.experiments import record_so_far; record_so_far("paper")' \
  || echo "unpack.sh: partial tables not made (set GANZ_DATA to the images)" >&2
PYTHONPATH=$PWD "$py" -m ganz.study.store --profile paper  # index.csv and tidy.csv of results/paper/
echo "commit ganz/zoo/*.safetensors, results/paper/ and results/bench/ (runs/ is git-ignored)"
