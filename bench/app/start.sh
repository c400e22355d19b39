#!/usr/bin/env bash
# The desktop app's start-up: time from starting the process to the UI's
# first interactive frame (the shell logs it when the UI calls `app_ready`
# after its first two animation frames), and the resident memory of the app
# with its WebKit processes once idle. Under Xvfb, like CI.
#
#   bench/app/start.sh [--debug] [runs]
#
# Each run starts twice on a fresh data directory: "first" (empty: the demo
# seed runs as a job after the window shows) and "again" (seeded). The
# figures go to bench/RESULTS.md by hand, with the machine and load.
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"
source "$ROOT/scripts/services.sh"

profile=release
if [[ ${1:-} == --debug ]]; then profile=debug; shift; fi
runs=${1:-5}

step "Building the front end and the app ($profile)"
(cd ui && npm run build >/dev/null)
if [[ $profile == release ]]; then
  cargo build --release -p stratus-desktop
else
  cargo build -p stratus-desktop
fi
app="$CARGO_TARGET_DIR/$profile/stratus-desktop"

start_group "$work/xvfb.log" Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp 3>"$work/display"
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || die "Xvfb did not start: $(cat "$work/xvfb.log")"
export DISPLAY=":$(head -n1 "$work/display")"

# Resident memory of a process and all its descendants (the WebKit web and
# network processes are children of the app), in MiB.
tree_rss_mib() {
  local pids=$1 all=$1 next
  while next=$(pgrep -d, -P "$pids" 2>/dev/null); do all="$all,$next"; pids=$next; done
  ps -o rss= -p "$all" | awk '{s += $1} END {printf "%.0f", s / 1024}'
}

# One start: prints the milliseconds to the first interactive frame and the
# idle RSS (after the seed job, if any, and 10 s of rest).
one_start() {
  local data=$1 log="$work/app-$RANDOM.log" t0 ready pid
  t0=$(date +%s%3N)
  STRATUS_LOG=info "$app" --data-dir "$data" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q 'first interactive frame' "$log" && break; sleep 0.05; done
  ready=$(grep -o 'first interactive frame: unix_ms=[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  [[ -n $ready ]] || { kill "$pid"; cat "$log"; die "no first frame within 30 s"; }
  # Idle: the demo seed (a job on the first start) has finished, then rest.
  for _ in $(seq 600); do
    [[ -f $data/profiles/demo/stratus.sqlite ]] && [[ $(sqlite3 "$data/profiles/demo/stratus.sqlite" "SELECT count(*) FROM jobs WHERE kind = 'demo.seed' AND state = 'running'" 2>/dev/null || echo 1) == 0 ]] && break
    sleep 0.1
  done
  sleep 10
  echo "$((ready - t0)) $(tree_rss_mib "$pid")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

step "Starting $runs times on a fresh data directory (first start, then again)"
printf '%-5s %-22s %-22s\n' run 'first: ms, idle MiB' 'again: ms, idle MiB'
for ((i = 1; i <= runs; i++)); do
  data="$work/data-$i"
  first=$(one_start "$data")
  again=$(one_start "$data")
  printf '%-5s %-22s %-22s\n' "$i" "$first" "$again"
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); app: $app"
