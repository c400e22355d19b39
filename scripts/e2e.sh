#!/usr/bin/env bash
# The end-to-end suite alone: builds the app, starts Xvfb and tauri-driver,
# runs the journeys (extra arguments go to `cargo test`, e.g. `--test
# editor_journey`) and stops everything at the end. `make test` runs it with
# no retry; by hand it is the quick loop for one journey.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

export AWS_EC2_METADATA_DISABLED=true
source "$ROOT/scripts/services.sh"

# By hand there is no moto yet (`make test` starts one and passes it on).
if [[ -z ${STRATUS_TEST_AWS_ENDPOINT:-} ]]; then
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  moto_port=$(free_port)
  start_group "$work/moto.log" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port"
  export STRATUS_TEST_AWS_ENDPOINT="http://127.0.0.1:$moto_port"
  wait_for_url "$STRATUS_TEST_AWS_ENDPOINT/moto-api/" || { cat "$work/moto.log"; die "moto did not start"; }
fi

# The app embeds ui/dist at compile time: a stale one would test old screens.
(cd "$ROOT/ui" && npm run build >/dev/null)
cargo build -p stratus-desktop
start_group "$work/xvfb.log" Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp 3>"$work/display"
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || die "Xvfb did not start: $(cat "$work/xvfb.log")"
export DISPLAY=":$(head -n1 "$work/display")"
# The app's timed events sync (60 s by default), shortened so the support
# journey sees a batch that lands after the first sync arrive by itself.
export STRATUS_AUTO_SYNC_SECS=${STRATUS_AUTO_SYNC_SECS:-3}
# The deploy journey plans with a stand-in function zip (a plan only
# uploads it; nothing runs it).
if [[ -z ${STRATUS_LAMBDA_ZIP:-} ]]; then
  printf 'PK stand-in for the deploy journey' >"$work/stratus-lambda.zip"
  export STRATUS_LAMBDA_ZIP="$work/stratus-lambda.zip"
fi
driver_port=$(free_port)
native_port=$(free_port)
start_group "$work/tauri-driver.log" tauri-driver --port "$driver_port" --native-port "$native_port"
wait_for_url "http://127.0.0.1:$driver_port/status" || { cat "$work/tauri-driver.log"; die "tauri-driver did not start"; }
export STRATUS_E2E_APP="$CARGO_TARGET_DIR/debug/stratus-desktop"
export STRATUS_E2E_DRIVER="http://127.0.0.1:$driver_port"
export STRATUS_E2E_SCREENSHOTS="${STRATUS_E2E_SCREENSHOTS:-$CARGO_TARGET_DIR/e2e-screenshots}"
mkdir -p "$STRATUS_E2E_SCREENSHOTS"

run_suite() {
  if cargo test -p stratus-e2e --no-fail-fast "$@" -- --test-threads=1; then return 0; fi
  echo "--- tauri-driver log ---"; tail -n 50 "$work/tauri-driver.log"
  return 1
}

run_suite "$@" || { echo "screenshots: $STRATUS_E2E_SCREENSHOTS"; exit 1; }
echo "screenshots of each section: $STRATUS_E2E_SCREENSHOTS"
