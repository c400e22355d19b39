#!/usr/bin/env bash
# Customer import benchmark: an N-row CSV (default 1M rows, some quoted
# multi-line names and some invalid phones) imported with its per-row report
# into a fresh profile database. Prints one JSON line (rows, bytes, seconds,
# rows/s); the driver also checks every reported line number.
#
# usage: bench/campaigns/import.sh          (N=1000000)
#        N=100000 bench/campaigns/import.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-1000000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --release -p stratus-campaigns --example import_bench
/usr/bin/time -f '{"peak_rss_kib":%M}' \
  "$CARGO_TARGET_DIR/release/examples/import_bench" --rows "$N" --dir "$work"
