#!/usr/bin/env bash
# Cloud run benchmark: a campaign launched in the cloud against moto (S3,
# SQS, DynamoDB, SNS) with the worker in-process (cloud::local::drain):
# messages per second per worker and the AWS cost per recipient at list
# prices. Prints one JSON line per run for bench/RESULTS.md.
#
# usage: bench/campaigns/cloud.sh                 (N=100000, WORKERS="1 2")
#        N=20000 WORKERS=1 bench/campaigns/cloud.sh
# Uses STRATUS_TEST_AWS_ENDPOINT if set, else starts its own moto.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
VENV=${VENV:-$HOME/.cache/stratus/venv}
N=${N:-100000}
WORKERS=${WORKERS:-1 2}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
export AWS_EC2_METADATA_DISABLED=true
work=$(mktemp -d)
moto_pid=""
cleanup() { [[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --quiet --release -p stratus-campaigns --example cloud_bench
bench="$CARGO_TARGET_DIR/release/examples/cloud_bench"

source bench/campaigns/moto.sh

for w in $WORKERS; do
  echo "$N recipients, $w in-process worker(s), moto at $endpoint" >&2
  curl -sf -X POST "$endpoint/moto-api/reset" >/dev/null
  "$bench" --endpoint "$endpoint" --recipients "$N" --workers "$w" --dir "$work"
done
