# For the scripts that start test services (test.sh, e2e.sh); sourced, not
# run. Gives them a scratch folder, $work, and start_group; on exit, every
# group started is stopped and $work removed, also when a step fails.

work=$(mktemp -d)
groups=()
cleanup() {
  for g in "${groups[@]}"; do kill -- "-$g" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a command in its own process group, its output in the log $1, so
# the whole group can be stopped (tauri-driver leaves WebKitWebDriver behind
# otherwise).
start_group() {
  local log=$1; shift
  setsid "$@" >"$log" 2>&1 &
  groups+=("$!")
}
