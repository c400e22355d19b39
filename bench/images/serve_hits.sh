#!/usr/bin/env bash
# Image hits through `stratus serve` against nginx serving the same stored
# file, side by side in one run on this machine (loopback only).
#   - a demo data dir is seeded, `stratus serve` starts on it, and one
#     request makes the `card` variant of a demo original;
#   - wrk (-t2 -c64 by default) asks for that variant through stratus serve
#     (by its key, /variants/…, and by name, /img/card/…) and from nginx,
#     whose root is the bucket folder, so the URL and the file are the same;
#   - each stratus run comes right after an nginx run (other work on the
#     machine comes and goes) and its ratio is to that run;
#   - prints req/s, p99 latency, the ratio to nginx, and the most threads
#     the stratus process had during its runs (/proc/PID/status);
#   - then counts the syscalls one hit costs: strace -f -c on the stratus
#     process over a short wrk run, divided by the requests made.
# With STRATUS_BEFORE=<another stratus binary> (e.g. one built from main)
# its rows run first on the same data dir, so before and after are
# measured side by side in one run. STRATUS_BIN=<binary> skips the build.
# Installs what it needs itself (apt: nginx-light, wrk, strace) and builds
# the release `stratus` binary. Never part of `make test`.
#
# Usage: [STRATUS_BEFORE=bin] [STRATUS_BIN=bin] bench/images/serve_hits.sh [SECONDS] [CONNECTIONS]
#        (default 15 s, 64 connections)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-15}
conns=${2:-64}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

say() { printf '\n==> %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------
need=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v strace >/dev/null || need+=(strace)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
  say "Installing ${need[*]} (apt)"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

if [[ -n ${STRATUS_BIN:-} ]]; then
  stratus=$STRATUS_BIN
else
  say "Building stratus (release)"
  (cd "$root" && nice cargo build --release -q -p stratus-cli)
  stratus=$CARGO_TARGET_DIR/release/stratus
fi

# --- servers ---------------------------------------------------------------
work=$(mktemp -d)
stratus_pid=""
nginx_pid=""
stop_stratus() {
  if [[ -n $stratus_pid ]]; then
    kill "$stratus_pid" 2>/dev/null || true
    wait "$stratus_pid" 2>/dev/null || true
    stratus_pid=""
  fi
}
cleanup() {
  stop_stratus
  if [[ -n $nginx_pid ]]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

data=$work/data
s_port=$(free_port)
# start_stratus BIN: `stratus serve` on the demo data dir, ready to answer.
start_stratus() {
  "$1" --data-dir "$data" serve --addr "127.0.0.1:$s_port" >>"$work/serve.log" 2>&1 &
  stratus_pid=$!
  for _ in $(seq 1 200); do
    curl -fs -o /dev/null "http://127.0.0.1:$s_port/t.js" && return 0
    sleep 0.1
  done
  echo "stratus serve did not start:" >&2
  cat "$work/serve.log" >&2
  exit 1
}

say "Seeding the demo profile in $data"
"$stratus" --data-dir "$data" demo seed >/dev/null
start_stratus "$stratus"
original=demo/landscapes/alpine-dawn.jpg
by_name=/img/card/$original
made=$(curl -fs -o /dev/null -w '%{http_code} %header{x-stratus-variant}' "http://127.0.0.1:$s_port$by_name")
say "First request for $by_name: $made"
bucket=$(find "$data" -type d -path '*/buckets/*' -name variants -prune -printf '%h\n' | head -n1)
variant=$(cd "$bucket" && find "variants/$original" -type f -name 'card.*' | head -n1)
[[ -n $variant ]] || { echo "no stored variant under $bucket/variants/$original" >&2; exit 1; }
by_key=/$variant
size=$(stat -c %s "$bucket/$variant")
hit=$(curl -fs -o /dev/null -w '%{http_code} %header{x-stratus-variant}' "http://127.0.0.1:$s_port$by_key")
say "Variant $by_key ($size bytes): $hit"

n_port=$(free_port)
{
  echo "# The data dir is private to its owner (0700): nginx reads it as that user."
  echo "user $(id -un);"
  echo "worker_processes auto;"
  echo "pid $work/nginx.pid;"
  echo "error_log $work/nginx-error.log warn;"
  echo "events { worker_connections 1024; }"
  echo "http {"
  echo "  access_log off;"
  echo "  sendfile on;"
  echo "  tcp_nopush on;"
  echo "  keepalive_requests 1000000;"
  echo "  default_type application/octet-stream;"
  echo "  server { listen 127.0.0.1:$n_port; root $bucket; }"
  echo "}"
} >"$work/nginx.conf"
"$nginx_bin" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$n_port$by_key" && break
  sleep 0.1
done
cmp <(curl -fs "http://127.0.0.1:$n_port$by_key") <(curl -fs "http://127.0.0.1:$s_port$by_key") \
  || { echo "nginx and stratus serve answer different bytes" >&2; exit 1; }

# --- runs ------------------------------------------------------------------
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# run URL [PID] → "req/s p99 max_threads"; wrk's own output in $work/wrk.out
run() {
  local url=$1 pid=${2:-} max=0 t
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$url" >"$work/wrk.out" 2>&1 &
  local wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    if [[ -n $pid ]]; then
      t=$(threads "$pid")
      ((t > max)) && max=$t
    fi
    sleep 0.5
  done
  wait "$wrk_pid"
  if grep -q 'Non-2xx\|Socket errors' "$work/wrk.out"; then
    echo "wrk saw errors against $url:" >&2
    cat "$work/wrk.out" >&2
    exit 1
  fi
  echo "$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out") $(awk '$1 == "99%" {print $2}' "$work/wrk.out") $max"
}

# syscalls_per_hit → the file syscalls and futex waits of one hit of
# $by_key: strace -f -c over a 3 s wrk run at 4 connections.
syscalls_per_hit() {
  strace -f -c -o "$work/strace.out" -p "$stratus_pid" 2>/dev/null &
  local strace_pid=$!
  sleep 1
  wrk -t1 -c4 -d3s "http://127.0.0.1:$s_port$by_key" >"$work/wrk-strace.out" 2>&1
  kill -INT "$strace_pid" 2>/dev/null || true
  wait "$strace_pid" 2>/dev/null || true
  local requests
  requests=$(awk '/requests in/ {print $1}' "$work/wrk-strace.out")
  awk -v n="$requests" '
    $NF ~ /^(statx|newfstatat|fstat|lstat|openat|openat2|read|pread64|preadv2|lseek|close|futex)$/ {
      line = line sprintf("%s %.2f, ", $NF, $4 / n)
    }
    END { sub(/, $/, "", line); printf "%s requests: %s\n", n, line }' "$work/strace.out"
}

nginx_version=$("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
syscalls=()
# Other work on the machine comes and goes: every stratus run is paired
# with an nginx run just before it, and its ratio is to that one.
# bench_stratus LABEL: both URLs through the running stratus serve.
bench_stratus() {
  local path n_rps n_p99 rps p99 thr
  for path in "$by_key" "$by_name"; do
    say "wrk -t2 -c$conns -d${secs}s: nginx $by_key, then stratus serve ($1) $path"
    read -r n_rps n_p99 _ <<<"$(run "http://127.0.0.1:$n_port$by_key")"
    read -r rps p99 thr <<<"$(run "http://127.0.0.1:$s_port$path" "$stratus_pid")"
    rows+=("| nginx $nginx_version | $by_key | $n_rps | $n_p99 | 1.000 | |")
    rows+=("| stratus serve ($1) | $path | $rps | $p99 | $(ratio "$rps" "$n_rps") | $thr |")
  done
  say "strace -f -c on stratus serve ($1)"
  syscalls+=("- $1: $(syscalls_per_hit)")
}
if [[ -n ${STRATUS_BEFORE:-} ]]; then
  stop_stratus
  start_stratus "$STRATUS_BEFORE"
  bench_stratus before
  stop_stratus
  start_stratus "$stratus"
  bench_stratus after
else
  bench_stratus "this build"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
echo "Load average (1, 5, 15 min) before: $load_before, after: $load_after"
echo "Variant: $by_key, $size bytes; wrk -t2 -c$conns -d${secs}s --latency, one run after the other, each stratus run right after its nginx run"
echo
echo "| server | URL | req/s | p99 | × nginx | threads (max) |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "Syscalls per hit (strace -f -c on the whole process, per request of $by_key):"
printf '%s\n' "${syscalls[@]}"
