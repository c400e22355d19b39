#!/usr/bin/env bash
# Deploys the serverless half for a cloud profile: builds the release
# function zip and the CLI, then runs `stratus deploy`, which shows the plan
# and asks before changing anything. Extra arguments go to `stratus deploy`
# (e.g. --wiring website, --yes, --emit DIR).
#
#   scripts/deploy.sh PROFILE [stratus deploy options]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

profile=${1:-}
[[ -n $profile && $profile != -* ]] || die "usage: scripts/deploy.sh PROFILE [options] (or make deploy PROFILE=name)"
shift

step "Building the function (release) and packaging it for Lambda"
zip=$(scripts/package-lambda.sh --release --build)
step "Building the CLI (release)"
cargo build --release -p stratus-cli >&2
step "stratus deploy --profile $profile"
exec "$CARGO_TARGET_DIR/release/stratus" --profile "$profile" deploy --artifact "$zip" "$@"
