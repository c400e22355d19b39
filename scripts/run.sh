#!/usr/bin/env bash
# Builds the front end and the desktop app, then opens it. Without a display
# (a server, CI) it runs under Xvfb and says so.
set -euo pipefail
source "$(dirname "$0")/env.sh"

step "Building the front end"
(cd "$ROOT/ui" && npm run build)
step "Building the desktop app"
cargo build -p stratus-desktop
app="$CARGO_TARGET_DIR/debug/stratus-desktop"

if [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; then
  exec "$app" "$@"
fi
echo "No display found: running under a virtual X display (Xvfb)."
exec xvfb-run -a -s "-screen 0 1400x900x24" "$app" "$@"
