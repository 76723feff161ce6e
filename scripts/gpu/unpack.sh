#!/usr/bin/env bash
# After a GPU session, here: bash scripts/gpu/unpack.sh DIR [--root DIR] [--no-tables]
# (DIR = the files that came back from $OUT)
# First puts back in the index what prepare.sh left out of the call (scripts/gpu/fit.py restore).
# Extracts every train-d*.tgz, results-paper.tgz, encoder.tgz and bench.tgz into the repository:
# ganz/zoo/ (published generators, encoders), results/paper/ (tables, jobs, training logs),
# results/bench/ (the GPU benchmark), runs/ (raw exports, logs, sample grids); moves the long
# d64's handed-off state (d64-long-step<N>.state<i>of<n>) into lease-state/, replacing older parts,
# where the next session (prepare.sh long; lease.sh long) goes on from it.
#   --root DIR     unpack into DIR instead of the repository (tests; the index is left alone)
#   --no-tables    skip the partial tables and the results index
set -euo pipefail
[ $# -ge 1 ] && [ "${1#-}" = "$1" ] || { echo "usage: unpack.sh DIR [--root DIR] [--no-tables]" >&2; exit 2; }
dir=$(cd "$1" && pwd); shift
root="" tables=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || { echo "unpack.sh: --root needs a folder" >&2; exit 2; }; root=$2; shift 2;;
    --no-tables) tables=0; shift;;
    *) echo "unpack.sh: unknown argument $1 (usage: unpack.sh DIR [--root DIR] [--no-tables])" >&2; exit 2;;
  esac
done
code=$(cd "$(dirname "$0")/../.." && pwd)
into=${root:-$code}
mkdir -p "$into"; into=$(cd "$into" && pwd)
py=python3; [ -x "$code/.venv/bin/python" ] && py=$code/.venv/bin/python
if [ -z "$root" ]; then
  (cd "$code" && python3 scripts/gpu/fit.py restore)  # the index as it was before prepare.sh
fi
cd "$into"
shopt -s nullglob
n=0
for f in "$dir"/train-d*.tgz "$dir"/results-paper.tgz "$dir"/encoder.tgz "$dir"/bench.tgz; do
  [ -f "$f" ] || continue  # a call packs only the stages it ran
  tar -tzf "$f" | grep -Ev '^(ganz/zoo/|results/paper/|results/bench/|runs/paper-d)' && { echo "unpack.sh: $f has unexpected paths" >&2; exit 1; }
  tar -xzf "$f" --no-same-owner
  echo "unpacked $f: $(tar -tzf "$f" | wc -l) files"; n=$((n + 1))
done
parts=("$dir"/d64-long-step*.state*of*)
if [ ${#parts[@]} -gt 0 ]; then  # the long d64's state: the next session goes on from it
  mkdir -p lease-state
  rm -f lease-state/d64-long-step*.state*of*
  cp "${parts[@]}" lease-state/
  echo "unpacked the long d64's handed-off state: ${#parts[@]} parts, $(du -ch "${parts[@]}" | tail -1 | cut -f1) into lease-state/"
  n=$((n + 1))
fi
[ "$n" -gt 0 ] || { echo "unpack.sh: nothing to unpack in $dir" >&2; exit 1; }
[ -f "$dir/gpu-session.log" ] && tail -5 "$dir/gpu-session.log"
for p in results/paper/*.partial.csv; do  # a whole table from the device replaces the partial one
  [ -f "${p%.partial.csv}.csv" ] && rm -f "$p" "${p%.csv}.json"
done
[ "$tables" = 0 ] && exit 0
export GANZ_RESULTS=$into/results
# a figure the session cut short: its table from the jobs recorded so far (needs the images, CPU, ~1 min)
PYTHONPATH=$code GANZ_DATA=${GANZ_DATA:-$code/../shared/data} "$py" -c \
  'from ganz.study.experiments import record_so_far; record_so_far("paper")' \
  || echo "unpack.sh: partial tables not made (set GANZ_DATA to the images)" >&2
PYTHONPATH=$code "$py" -m ganz.results.store --profile paper  # index.csv and tidy.csv of results/paper/
echo "commit ganz/zoo/*.safetensors, results/paper/, results/bench/ and lease-state/ (runs/ is git-ignored)"
