#!/usr/bin/env bash
# Campaign runner benchmark: overhead per recipient (render + bookkeeping +
# publish) against the demo outbox and moto's SNS, side by side with the
# naive ways (the same loop without bookkeeping; a boto3 publish loop),
# achieved vs configured rate, and peak memory at 10k and 100k recipients.
# Prints the markdown table for bench/RESULTS.md (## Campaigns).
#
# usage: bench/campaigns/run.sh            (N=100000, SNS_N=100000)
#        N=20000 SNS_N=5000 bench/campaigns/run.sh
# Uses STRATUS_TEST_AWS_ENDPOINT if set, else starts its own moto.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
VENV=${VENV:-$HOME/.cache/stratus/venv}
N=${N:-100000}
SNS_N=${SNS_N:-100000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
export AWS_EC2_METADATA_DISABLED=true
work=$(mktemp -d)
moto_pid=""
cleanup() { [[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --quiet --release -p stratus-campaigns --example campaign_bench
bench="$CARGO_TARGET_DIR/release/examples/campaign_bench"

source bench/campaigns/moto.sh
reset_moto() { curl -sf -X POST "$endpoint/moto-api/reset" >/dev/null; }

results="$work/results.jsonl"
run() { echo "  $*" >&2; "$bench" --dir "$work" "$@" | tee -a "$results" >&2; }

echo "outbox (instant), unlimited rate, concurrency 8" >&2
run --mode runner --notifier outbox --recipients 10000
run --mode runner --notifier outbox --recipients "$N"
run --mode naive --notifier outbox --recipients "$N"
echo "rate tracking (outbox)" >&2
run --mode runner --notifier outbox --recipients 200 --rate 20 --concurrency 4
run --mode runner --notifier outbox --recipients 5000 --rate 500 --concurrency 8
echo "moto SNS at $endpoint, unlimited rate, concurrency 8" >&2
reset_moto; run --mode runner --notifier sns --endpoint "$endpoint" --recipients "$SNS_N"
reset_moto; run --mode naive --notifier sns --endpoint "$endpoint" --recipients "$SNS_N"
reset_moto; echo "  boto3 loop" >&2
"$VENV/bin/python" bench/campaigns/boto3_loop.py "$endpoint" "$SNS_N" | tee -a "$results" >&2
reset_moto

python3 - "$results" "$N" "$SNS_N" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
n, sns_n = int(sys.argv[2]), int(sys.argv[3])
def find(mode, notifier, recipients, rate=1e9):
    for r in rows:
        if r["mode"] == mode and r["notifier"] == notifier and r["recipients"] == recipients and (r["rate"] in (rate, None)):
            return r
print("| scenario | recipients | sent | wall s | µs / recipient | msg/s | peak RSS MiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    name = f'{r["mode"]} → {r["notifier"]}'
    if r["rate"] not in (None, 1e9):
        name += f' @ {r["rate"]:g}/s'
    print(f'| {name} (c={r["concurrency"]}) | {r["recipients"]} | {r["sent"]} | {r["wall_s"]} | {r["per_recipient_us"]} | {r["achieved_rate"]} | {r["max_rss_kib"] / 1024:.1f} |')
print()
ro, no = find("runner", "outbox", n), find("naive", "outbox", n)
rs, ns, bs = find("runner", "sns", sns_n), find("naive", "sns", sns_n), find("boto3-loop", "sns", sns_n)
m10, m100 = find("runner", "outbox", 10000), ro
if ro and no:
    print(f'- outbox: runner / naive wall time = {ro["wall_s"] / no["wall_s"]:.2f}× (bookkeeping costs {ro["per_recipient_us"] - no["per_recipient_us"]:.1f} µs per recipient)')
if rs and ns:
    print(f'- moto SNS: runner / naive wall time = {rs["wall_s"] / ns["wall_s"]:.2f}× (the runner also asks CheckIfPhoneNumberIsOptedOut per number)')
if rs and bs:
    print(f'- moto SNS: boto3 loop / runner wall time = {bs["wall_s"] / rs["wall_s"]:.2f}× (runner {rs["achieved_rate"]} msg/s vs loop {bs["achieved_rate"]} msg/s)')
for rate in (20, 500):
    r = next((x for x in rows if x["mode"] == "runner" and x["rate"] == rate), None)
    if r:
        print(f'- configured {rate} msg/s: achieved {r["achieved_rate"]} msg/s ({r["achieved_rate"] / rate * 100:.1f} %)')
if m10 and m100:
    print(f'- peak RSS 10k → {n // 1000}k recipients: {m10["max_rss_kib"] / 1024:.1f} → {m100["max_rss_kib"] / 1024:.1f} MiB ({m100["max_rss_kib"] / m10["max_rss_kib"]:.2f}×)')
PY
echo
echo "load: $(uptime)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"
