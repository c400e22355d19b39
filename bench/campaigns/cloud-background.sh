#!/usr/bin/env bash
# A big cloud run (100,000 recipients by default) in the background at low
# priority: the `cloud_bench` example (launch, W in-process workers
# draining the queue, catch-up) against a moto of its own, with what the
# figures need recorded beside them: machine, load before and after, the
# command, and the requests moto answered (per recipient: where the time
# goes). Prints the directory the log goes to; `bench.log` there ends with
# a "finished" line.
#
# usage: bench/campaigns/cloud-background.sh
#        N=20000 WORKERS=2 PROFILE=debug bench/campaigns/cloud-background.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
N=${N:-100000}
WORKERS=${WORKERS:-2}
PROFILE=${PROFILE:-release}
out=${OUT:-$(mktemp -d /tmp/stratus-cloud-bench-XXXX)}
mkdir -p "$out"

flags=(-p stratus-campaigns --example cloud_bench)
[[ $PROFILE == release ]] && flags+=(--release)
cargo build --quiet "${flags[@]}"
# The target dir may be shared: keep the binary this run measures.
cp "$CARGO_TARGET_DIR/$PROFILE/examples/cloud_bench" "$out/cloud_bench"

run() {
  port=$(free_port)
  (cd "$out" && exec nice -n 10 "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$out/moto.log" 2>&1) &
  moto=$!
  trap 'kill $moto 2>/dev/null' EXIT
  wait_for_url "http://127.0.0.1:$port/moto-api/" 200
  echo "started $(date -u +%FT%TZ): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command: nice -n 10 cloud_bench --recipients $N --workers $WORKERS ($PROFILE build), moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)') niced too"
  nice -n 10 "$out/cloud_bench" --endpoint "http://127.0.0.1:$port" --recipients "$N" \
    --workers "$WORKERS" --dir "$out" | tee "$out/result.json"
  requests=$(grep -c 'HTTP/1.1"' "$out/moto.log" || true)
  echo "moto answered $requests requests: $(python3 -c "print(round($requests / $N, 2))") per recipient"
  echo "finished $(date -u +%FT%TZ): load $(cut -d' ' -f1-3 /proc/loadavg)"
}
run >"$out/bench.log" 2>&1 </dev/null &
disown
echo "$out"
