#!/usr/bin/env bash
# Campaign chaos run: SNS (moto) behind the fault proxy with mixed faults
# (cut / 500 / 503 after forward, answers past the timeout, throttling,
# refused-connection outage windows) while the runner process is SIGKILLed
# and restarted until the campaign completes. Prints
#   duplicates: 0, in-doubt marked unknown: N/N
# (crates/stratus-campaigns/tests/chaos.rs; `make test` runs the short
# versions in tests/faults.rs).
#
# usage: bench/campaigns/chaos.sh
#        STRATUS_CHAOS_RECIPIENTS=10000 STRATUS_CHAOS_KILLS=30 bench/campaigns/chaos.sh
# Uses STRATUS_TEST_AWS_ENDPOINT if set, else starts its own moto.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-$HOME/.cache/stratus/venv}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_REGION=us-east-1 AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
work=$(mktemp -d)
moto_pid=""
cleanup() { [[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

source bench/campaigns/moto.sh
export STRATUS_TEST_AWS_ENDPOINT=$endpoint
cargo test -q -p stratus-campaigns --test chaos -- --ignored --exact chaos_run --nocapture
