#!/usr/bin/env bash
# One GPU session's call: bash scripts/gpu/lease.sh [auto|train|experiments|long] [flags]  (see scripts/gpu/README.md)
# Runs the driver (python -m tools.gpu.driver); every stage stops on time by itself and packs what
# it finished into OUT at once; OUT/gpu-session.log gets everything said.
#   --deadline S      seconds the whole call may take, from this script's start (default 540)
#   --clock ready     count the deadline from the end of start-up and preflight instead (tests: the
#                     stages get their time whatever the load); the backstop then allows
#   --startup S       S more seconds for the start-up (default 600)
#   --out DIR         where the files to return go (default: $OUT, the device's folder, else /tmp/ganz_out)
#   --work DIR        zoo, results and runs kept between calls. GPU: default /tmp/ganz_state, seeded
#                     from the tree by a commit's first call, so a second call on the warm machine
#                     goes on from the first. --dry: default a temp folder removed on exit; give one
#                     to keep the dry zoo and results, so a second dry call takes the next stages
#   --dry             the same on CPU, toy sizes, synthetic images (CI); DRY=1 in the environment is the same
#   --tree DIR        --dry: the tree a fresh machine is sent (its ganz/zoo, results/paper and
#                     results/bench seed a new --work, its lease-state/ is the carried handoff), as
#                     unpack.sh --root DIR leaves it
#   --python PY       the interpreter (default: .venv/bin/python here, else python3)
# Any other argument goes to the driver as it is (python -m tools.gpu.driver --help: --figs,
# --bench-s, --encoder-s, --rd-s, --long-epochs, --handoff-form, ...).
set -uo pipefail
t_start=$(date +%s)
cd "$(dirname "$0")/../.."
MODE=auto
case "${1:-}" in -*|"") ;; *) MODE=$1; shift;; esac
case "$MODE" in auto|train|experiments|long) ;; *) echo "usage: lease.sh [auto|train|experiments|long] [flags]" >&2; exit 2;; esac
DEADLINE_S=540 CLOCK=start STARTUP_S=600 OUT_DIR=${OUT:-/tmp/ganz_out} WORK="" TREE="" DRY=${DRY:-0} PY=""
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --deadline|--clock|--startup|--out|--work|--tree|--python)
      [ $# -ge 2 ] || { echo "lease.sh: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --deadline) DEADLINE_S=$2;; --clock) CLOCK=$2;; --startup) STARTUP_S=$2;; --out) OUT_DIR=$2;;
        --work) WORK=$2;; --tree) TREE=$2;; --python) PY=$2;;
      esac
      shift 2;;
    --dry) DRY=1; shift;;
    *) pass+=("$1"); shift;;
  esac
done
[ "$DEADLINE_S" -gt 0 ] 2>/dev/null || { echo "lease.sh: --deadline must be a positive number of seconds" >&2; exit 2; }
[ "$STARTUP_S" -ge 0 ] 2>/dev/null || { echo "lease.sh: --startup must be a number of seconds" >&2; exit 2; }
case "$CLOCK" in start|ready) ;; *) echo "lease.sh: --clock is start or ready" >&2; exit 2;; esac
[ -z "$TREE" ] || [ "$DRY" = 1 ] || { echo "lease.sh: --tree is for --dry (a GPU call's tree is this one)" >&2; exit 2; }
OUT=$OUT_DIR; mkdir -p "$OUT"
LOG=$OUT/gpu-session.log
# prepare.sh long sends no zoo: only the long mode may run on it (auto would train d64 again)
if [ "$DRY" != 1 ] && [ "$(cat .data/view 2>/dev/null)" = long ] && [ "$MODE" != long ]; then
  echo "lease.sh: this tree was prepared for the long mode (prepare.sh long: no zoo); run lease.sh long" \
    | tee -a "$LOG" >&2
  exit 3
fi
export PYTHONUNBUFFERED=1
if [ "$DRY" != 1 ] && ls .whl/*.whl >/dev/null 2>&1; then  # wheels the device lacks (prepare.sh)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/ganz_site .whl/*.whl && export PYTHONPATH=/tmp/ganz_site:$PWD
else
  export PYTHONPATH=$PWD
fi
if [ -z "$PY" ]; then  # here: the project's venv; on the device (no venv): its python3
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
export GANZ_COMMIT=${GANZ_COMMIT:-$(cat .commit 2>/dev/null || git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
args=(--out "$OUT" --deadline "$DEADLINE_S" --clock "$CLOCK" --started "$t_start")
if [ "$DRY" = 1 ]; then
  work=${WORK:-$(mktemp -d)}; mkdir -p "$work"
  [ -z "$WORK" ] && trap 'rm -rf "$work"' EXIT
  if [ -n "$TREE" ] && [ ! -e "$work/seeded" ]; then  # a fresh machine gets the tree's zoo and results
    mkdir -p "$work/zoo" "$work/results"
    [ -d "$TREE/ganz/zoo" ] && cp -r "$TREE/ganz/zoo/." "$work/zoo/"
    for r in paper bench; do [ -d "$TREE/results/$r" ] && cp -r "$TREE/results/$r" "$work/results/"; done
    touch "$work/seeded"
  fi
  [ -n "$TREE" ] && args+=(--long-state "$TREE/lease-state")
  args+=(--dry --work "$work")
  export GANZ_ZOO=$work/zoo GANZ_RESULTS=$work/results GANZ_CACHE=$work/cache
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
else
  if [ -z "${GANZ_DATA:-}" ] && [ -f .data/data.tgz ]; then  # prepare.sh's one .tgz, unpacked once a machine
    [ -d /tmp/ganz_data/celeba ] || { mkdir -p /tmp/ganz_data && tar -xzf .data/data.tgz -C /tmp/ganz_data; }
    export GANZ_DATA=/tmp/ganz_data
  fi
  export GANZ_DATA=${GANZ_DATA:-$PWD/.data}
  # zoo, results and runs (the long d64's checkpoint too, which never leaves the device) live
  # outside the tree, seeded from it by a commit's first call: a second call on the still-warm
  # machine goes on from the first's state without an unpack here
  work=${WORK:-/tmp/ganz_state}
  if [ "$(cat "$work/commit" 2>/dev/null)" != "$GANZ_COMMIT" ]; then
    rm -rf "$work"; mkdir -p "$work/results" "$work/zoo"
    [ -d ganz/zoo ] && cp -r ganz/zoo/. "$work/zoo/"  # prepare.sh long sends none
    for r in paper bench; do [ -d "results/$r" ] && cp -r "results/$r" "$work/results/"; done
    echo "$GANZ_COMMIT" > "$work/commit"
  else
    echo "lease.sh: going on from this machine's state of an earlier call ($work)" | tee -a "$LOG"
  fi
  args+=(--work "$work" --long-state "$PWD/lease-state")  # a handoff of an earlier session (unpack.sh)
  export GANZ_ZOO=$work/zoo GANZ_RESULTS=$work/results
fi
# backstop: SIGTERM a little after the deadline (the driver then packs and leaves), KILL 15 s later;
# with --clock ready the deadline starts after start-up, which gets --startup seconds more
grace=$(( DEADLINE_S > 60 ? 20 : 5 ))
[ "$CLOCK" = ready ] && grace=$(( grace + STARTUP_S ))
limit=$(( DEADLINE_S - ($(date +%s) - t_start) + grace )); [ "$limit" -ge 1 ] || limit=1  # timeout 0 = none
timeout -k 15 "$limit" \
  "$PY" -m tools.gpu.driver "$MODE" "${args[@]}" ${pass[@]+"${pass[@]}"} 2>&1 | tee -a "$LOG"
rc=${PIPESTATUS[0]}
echo "lease.sh: exit $rc after $(( $(date +%s) - t_start )) s; $OUT: $(ls "$OUT" | tr '\n' ' ')" | tee -a "$LOG"
exit "$rc"
