#!/usr/bin/env bash
# The collector's durability under a kill loop: 8 clients stream batches of
# 5 events to a real `stratus serve` (demo profile), each batch retried
# until it gets a 2xx, while the server is killed and restarted
# STRATUS_KILL_ROUNDS times (three SIGKILLs to one SIGTERM). After a last
# clean stop and a sync, every acknowledged event id must be in the cache.
# Prints "acknowledged: N, lost: 0".
#
#   bench/events/kill_loop.sh            # 30 rounds
#   STRATUS_KILL_ROUNDS=100 bench/events/kill_loop.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export STRATUS_KILL_ROUNDS="${STRATUS_KILL_ROUNDS:-30}"
cargo test -p stratus-cli --test serve_durability kill_loop -- --ignored --nocapture 2>&1 |
    grep -E "kill loop:|test result|panicked"
