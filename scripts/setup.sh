#!/usr/bin/env bash
# Installs what `make run` (argument `run`) or `make test` (argument `test`)
# needs and is missing: Debian packages, npm packages, the Python venv with
# moto, tauri-driver. Safe to run again; does nothing when all is there.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mode=${1:-test}

apt_packages=(
  build-essential pkg-config curl libssl-dev
  # libjpeg-turbo's TurboJPEG API: JPEG shrink-on-load in stratus-media.
  libturbojpeg0-dev
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth libgl1-mesa-dri fonts-dejavu-core
)
if [[ $mode == test ]]; then
  apt_packages+=(webkit2gtk-driver python3-venv)
fi
command -v node >/dev/null && command -v npm >/dev/null || apt_packages+=(nodejs npm)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "Installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs) and run again"

if [[ ! -d $ROOT/ui/node_modules || $ROOT/ui/package-lock.json -nt $ROOT/ui/node_modules/.package-lock.json ]]; then
  step "Installing npm packages (ui/)"
  (cd "$ROOT/ui" && npm ci --no-audit --no-fund)
fi

if [[ $mode == test ]]; then
  if [[ ! -x $VENV/bin/moto_server ]]; then
    step "Creating the Python venv with moto (S3/SNS-compatible test server)"
    mkdir -p "$STRATUS_CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
  fi
  # The deploy template's linter (moto[server] brings it; checked on its own).
  if [[ ! -x $VENV/bin/cfn-lint ]]; then
    step "Installing cfn-lint (CloudFormation template linter)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint>=1.20,<2'
  fi
  # A real tracking client for the collector's end-to-end test (stratus-cli tests/events.rs).
  posthog_version=7.91.1
  if ! "$VENV/bin/python" -c "import posthog, sys; sys.exit(posthog.VERSION != '$posthog_version')" 2>/dev/null; then
    step "Installing PostHog's Python SDK $posthog_version into the test venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "posthog==$posthog_version"
  fi
  # The offline dependency audit of `make test` (scripts/audit.sh).
  if ! command -v cargo-audit >/dev/null; then
    step "Installing cargo-audit (dependency audit against the RustSec snapshot)"
    cargo install cargo-audit --locked --version '^0.22'
  fi
  if ! command -v tauri-driver >/dev/null; then
    step "Installing tauri-driver (WebDriver proxy for the desktop app)"
    cargo install tauri-driver --locked --version '^2'
  fi
fi
