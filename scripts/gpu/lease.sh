#!/usr/bin/env bash
# One GPU lease: bash scripts/gpu/lease.sh auto|train|experiments|long  (see scripts/gpu/README.md)
# DEADLINE_S (default 540) bounds the whole run; every stage stops on time by itself and packs what
# it finished into $OUT at once. DRY=1: the same on CPU, toy sizes, synthetic images (CI);
# DRY_WORK=DIR keeps the dry zoo and results there, so a second dry lease takes the next stages;
# DRY_TREE=DIR stands in for the tree a fresh machine gets (its ganz/zoo, results/paper and
# results/bench seed a new DRY_WORK, its lease-state/ is the carried handoff), as unpack.sh with
# UNPACK_ROOT=DIR leaves it. LEASE_CLOCK=ready counts DEADLINE_S from the end of start-up and
# preflight instead of the script's start (tests: the stages get their time whatever the load).
set -uo pipefail
MODE=${1:-auto}
t_start=$(date +%s)
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/ganz_out}; mkdir -p "$OUT"
DEADLINE_S=${DEADLINE_S:-540}
[ "$DEADLINE_S" -gt 0 ] 2>/dev/null || { echo "lease.sh: DEADLINE_S must be a positive number of seconds" >&2; exit 2; }
case "$MODE" in auto|train|experiments|long) ;; *) echo "usage: lease.sh auto|train|experiments|long" >&2; exit 2;; esac
# prepare.sh long sends no zoo: only the long mode may run on it (auto would train d64 again)
if [ "${DRY:-0}" != 1 ] && [ "$(cat .data/view 2>/dev/null)" = long ] && [ "$MODE" != long ]; then
  echo "lease.sh: this tree was prepared for the long mode (prepare.sh long: no zoo); run lease.sh long" \
    | tee -a "$OUT/lease.log" >&2
  exit 3
fi
export PYTHONUNBUFFERED=1 GANZ_LEASE_END=$((t_start + DEADLINE_S))
if [ "${DRY:-0}" != 1 ] && ls .whl/*.whl >/dev/null 2>&1; then  # wheels the device lacks (prepare.sh)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/ganz_site .whl/*.whl && export PYTHONPATH=/tmp/ganz_site:$PWD
else
  export PYTHONPATH=$PWD
fi
if [ -z "${PY:-}" ]; then  # here: the project's venv; on the device (no venv): its python3
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
export GANZ_COMMIT=${GANZ_COMMIT:-$(cat .commit 2>/dev/null || git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
if [ "${DRY:-0}" = 1 ]; then
  work=${DRY_WORK:-$(mktemp -d)}; flag=--dry; mkdir -p "$work"  # DRY_WORK: keep state for a next dry lease
  [ -z "${DRY_WORK:-}" ] && trap 'rm -rf "$work"' EXIT
  if [ -n "${DRY_TREE:-}" ] && [ ! -e "$work/seeded" ]; then  # a fresh machine gets the tree's zoo and results
    mkdir -p "$work/zoo" "$work/results"
    [ -d "$DRY_TREE/ganz/zoo" ] && cp -r "$DRY_TREE/ganz/zoo/." "$work/zoo/"
    for r in paper bench; do [ -d "$DRY_TREE/results/$r" ] && cp -r "$DRY_TREE/results/$r" "$work/results/"; done
    touch "$work/seeded"
  fi
  export GANZ_LONG_STATE=${GANZ_LONG_STATE:-${DRY_TREE:+$DRY_TREE/lease-state}}
  export GANZ_LEASE_WORK=$work GANZ_ZOO=$work/zoo GANZ_RESULTS=$work/results GANZ_CACHE=$work/cache
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
else
  flag=""
  if [ -z "${GANZ_DATA:-}" ] && [ -f .data/data.tgz ]; then  # prepare.sh's one .tgz, unpacked once a machine
    [ -d /tmp/ganz_data/celeba ] || { mkdir -p /tmp/ganz_data && tar -xzf .data/data.tgz -C /tmp/ganz_data; }
    export GANZ_DATA=/tmp/ganz_data
  fi
  export GANZ_DATA=${GANZ_DATA:-$PWD/.data}
  # zoo and results live outside the tree, seeded from it by a lease's first call: a second call
  # on the still-warm machine (same commit) goes on from the first's state without an unpack here
  state=${GANZ_LEASE_STATE:-/tmp/ganz_state}
  if [ "$(cat "$state/commit" 2>/dev/null)" != "$GANZ_COMMIT" ]; then
    rm -rf "$state"; mkdir -p "$state/results" "$state/zoo"
    [ -d ganz/zoo ] && cp -r ganz/zoo/. "$state/zoo/"  # prepare.sh long sends none
    for r in paper bench; do [ -d "results/$r" ] && cp -r "results/$r" "$state/results/"; done
    echo "$GANZ_COMMIT" > "$state/commit"
  else
    echo "lease.sh: going on from this machine's state of an earlier call ($state)" | tee -a "$OUT/lease.log"
  fi
  # the runs (and the long d64's checkpoint, which never leaves the device) live there too
  export GANZ_ZOO=$state/zoo GANZ_RESULTS=$state/results GANZ_LEASE_WORK=${GANZ_LEASE_WORK:-$state/lease}
  export GANZ_LONG_STATE=${GANZ_LONG_STATE:-$PWD/lease-state}  # a handoff of an earlier lease (unpack.sh)
fi
# backstop: SIGTERM a little after the deadline (the driver then packs and leaves), KILL 15 s later;
# with LEASE_CLOCK=ready the deadline starts after start-up, which gets STARTUP_S (default 600) more
export DEADLINE_S
grace=$(( DEADLINE_S > 60 ? 20 : 5 ))
[ "${LEASE_CLOCK:-start}" = ready ] && grace=$(( grace + ${STARTUP_S:-600} ))
limit=$(( DEADLINE_S - ($(date +%s) - t_start) + grace )); [ "$limit" -ge 1 ] || limit=1  # timeout 0 = none
timeout -k 15 "$limit" \
  "$PY" -m ganz.study.lease "$MODE" --out "$OUT" $flag 2>&1 | tee -a "$OUT/lease.log"
rc=${PIPESTATUS[0]}
echo "lease.sh: exit $rc after $(( $(date +%s) - t_start )) s; $OUT: $(ls "$OUT" | tr '\n' ' ')" | tee -a "$OUT/lease.log"
exit "$rc"
