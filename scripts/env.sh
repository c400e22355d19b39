# Shared settings for the scripts; sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Python venv with moto and cargo-installed tools live outside the clone, so
# a fresh clone on the same machine reuses them.
STRATUS_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/stratus"
VENV="$STRATUS_CACHE/venv"
export PATH="$HOME/.cargo/bin:$PATH"

# Never ask the EC2 instance metadata service for credentials from these
# scripts: on a workstation it only adds timeouts.
export AWS_EC2_METADATA_DISABLED=true

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until a URL answers (any HTTP status).
wait_for_url() {
  local url=$1 tries=${2:-100}
  for ((i = 0; i < tries; i++)); do
    curl -s -o /dev/null "$url" && return 0
    sleep 0.1
  done
  return 1
}
