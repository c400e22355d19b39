#!/usr/bin/env bash
# Events benchmark: sync throughput (gzipped NDJSON → the fully indexed
# SQLite cache, FTS included) from the local store and from an S3-compatible
# server (moto), query latency p50/p95, DB size per million events, and what
# a user would do instead (zcat | jq, sqlite3 .import) on the same batches.
# Prints markdown for bench/RESULTS.md. Not part of `make test`.
#
#   bench/events/run.sh                 # 1M and 10M events
#   bench/events/run.sh 1000000         # chosen sizes
#   BENCH_S3_MAX=1000000                # largest size also synced from moto (default 1M:
#                                       # moto keeps objects in memory, and a second cache doubles the disk)
#   BENCH_RUNS=100                      # runs of each query for p50/p95
#   BENCH_DIR=/path                     # where data goes (needs ~2 GB per million events; deleted at the end)
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"

sizes=("$@")
((${#sizes[@]})) || sizes=(1000000 10000000)
s3_max=${BENCH_S3_MAX:-1000000}
customers=${BENCH_CUSTOMERS:-10000}
runs=${BENCH_RUNS:-100}
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent/aws-config AWS_SHARED_CREDENTIALS_FILE=/nonexistent/aws-credentials

step "Release builds (stratus, query_latency)" >&2
# One invocation, so both share one feature resolution (a separate
# `-p stratus-events` build recompiles most dependencies).
cargo build --release -p stratus-cli -p stratus-events --bins --example query_latency >&2
bin="$CARGO_TARGET_DIR/release/stratus"
latency="$CARGO_TARGET_DIR/release/examples/query_latency"

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/stratus-events-bench.XXXXXX")
moto_pid=""
cleanup() {
  [[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Seconds (3 decimals) a command takes; its stdout goes to $work/out.
timed() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/out"
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l | xargs printf '%.3f'
}
# "… 123 new events …" → 123
field() { grep -oE "[0-9]+ $1" "$work/out" | head -1 | cut -d' ' -f1; }
rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.1f'; }

echo "## Events"
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr)."
echo "Load before: $(uptime | sed 's/.*load average: //')."
echo "Command: \`bench/events/run.sh ${sizes[*]}\` (release builds; $customers customers over 30 days, 5000 events per gzipped batch)."
echo

for n in "${sizes[@]}"; do
  data="$work/data-$n"
  mkdir -p "$data"
  st() { "$bin" --data-dir "$data" "$@"; }
  # The demo profile (local folders): its own 30k demo events are synced
  # first so the timed sync is the generated events alone.
  st events sync >/dev/null
  st events gen --events "$n" --customers "$customers" --days 30 --batch-events 5000 >/dev/null
  bucket="$data/profiles/demo/buckets/stratus-demo-events"
  # Generated days lie behind the demo's watermark: --full lists them.
  secs=$(timed st events sync --full --concurrency 8)
  events=$(field "new events")
  db="$data/profiles/demo/stratus.sqlite"
  sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  db_bytes=$(stat -c %s "$db")
  gz_bytes=$(find "$bucket/events" -name '*.ndjson.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')
  total=$(sqlite3 "$db" 'SELECT count(*) FROM events')

  # What a user would do instead, on the same batch objects.
  zsecs=$(timed bash -c "find '$bucket/events' -name '*.ndjson.gz' -print0 | xargs -0 zcat | wc -l")
  jqsecs=$(timed bash -c "find '$bucket/events' -name '*.ndjson.gz' -print0 | xargs -0 zcat | jq -c 'select(.distinct_id == \"cust-00042\")' | wc -l")
  imp="$work/import-$n.sqlite"
  unit_sep=$(printf '\x1f') # ASCII mode: lines hold no 0x1f, so each is one field
  isecs=$(timed bash -c "find '$bucket/events' -name '*.ndjson.gz' -print0 | xargs -0 zcat | sqlite3 '$imp' 'CREATE TABLE raw(line TEXT);' '.mode ascii' '.separator \"$unit_sep\" \"\\n\"' '.import /dev/stdin raw' 'SELECT count(*) FROM raw;'")
  rm -f "$imp"

  echo "### $n events (cache holds $total)"
  echo
  echo "| sync or load | events/s | seconds | vs Stratus sync |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| **stratus events sync**, local store → SQLite (indexes + FTS5) | $(rate "$events" "$secs") | $secs | 1.0 |"
  if ((n <= s3_max)); then
    if [[ -z $moto_pid ]]; then
      port=$(free_port)
      "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
      moto_pid=$!
      wait_for_url "http://127.0.0.1:$port/moto-api/" || die "moto did not start"
    fi
    bucket_name="bench-events-$n"
    "$VENV/bin/python" -c "import boto3; boto3.client('s3', endpoint_url='http://127.0.0.1:$port', region_name='us-east-1').create_bucket(Bucket='$bucket_name')"
    st profile add "s3-$n" --region us-east-1 --media-bucket "$bucket_name" --events-bucket "$bucket_name" \
      --endpoint-url "http://127.0.0.1:$port" --path-style >/dev/null
    st --profile "s3-$n" events gen --events "$n" --customers "$customers" --days 30 --batch-events 5000 >/dev/null
    s3secs=$(timed st --profile "s3-$n" events sync --concurrency 8)
    s3events=$(field "new events")
    echo "| **stratus events sync**, moto (S3 API) → SQLite | $(rate "$s3events" "$s3secs") | $s3secs | $(ratio "$secs" "$s3secs") |"
    rm -rf "$data/profiles/s3-$n"
  fi
  echo "| zcat \| wc -l (decompress only, no cache) | $(rate "$events" "$zsecs") | $zsecs | $(ratio "$secs" "$zsecs") |"
  echo "| sqlite3 .import of the raw lines (no parsing, no index) | $(rate "$events" "$isecs") | $isecs | $(ratio "$secs" "$isecs") |"
  echo
  echo "Cache size: $((db_bytes / 1048576)) MiB, $(echo "$db_bytes / $total * 1000000 / 1048576" | bc -l | xargs printf '%.0f') MiB per million events (gzipped batches: $(echo "$gz_bytes / $total * 1000000 / 1048576" | bc -l | xargs printf '%.0f') MiB per million)."
  echo
  echo "Query latency on the synced cache (warm, one reader):"
  echo
  "$latency" "$db" "$customers" "$runs"
  echo
  echo "Instead of the cache, one customer's events with \`zcat | jq 'select(.distinct_id == ...)'\` over all batches: ${jqsecs} s per lookup."
  echo
  rm -rf "$data"
done
echo "Load after: $(uptime | sed 's/.*load average: //')."
