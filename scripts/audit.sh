#!/usr/bin/env bash
# Dependency audit: Cargo.lock against an offline RustSec snapshot (never
# fetched): $STRATUS_ADVISORY_DB if set, else the machine's snapshot in
# ../shared/advisory-db when there is one, else the snapshot vendored in
# tests/audit/advisory-db.tar.gz (scripts/refresh-advisories.sh renews it).
# Fails on any crate with a published vulnerability, and on unsound ones not
# listed in .cargo/audit.toml.
# First it audits a lock file with known-vulnerable versions and insists on
# a failure: an audit that cannot see vulnerabilities must not pass.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

vendored="$ROOT/tests/audit/advisory-db.tar.gz"
if [[ -n ${STRATUS_ADVISORY_DB:-} ]]; then
  db=$STRATUS_ADVISORY_DB
elif [[ -d $ROOT/../shared/advisory-db/crates ]]; then
  db=$ROOT/../shared/advisory-db
else
  # Unpacked once per vendored snapshot, outside the clone.
  db="$STRATUS_CACHE/advisory-db-$(sha256sum "$vendored" | cut -c1-16)"
  if [[ ! -d $db/crates ]]; then
    rm -rf "$db.tmp" && mkdir -p "$db.tmp"
    tar -xzf "$vendored" -C "$db.tmp" --strip-components=1
    mv "$db.tmp" "$db"
  fi
fi
[[ -d $db/crates ]] || die "no advisory database at $db"
command -v cargo-audit >/dev/null || die "cargo-audit is missing: run scripts/setup.sh test"
echo "advisory snapshot: $(cat "$db/SNAPSHOT" 2>/dev/null || echo unknown)"

audit() { cargo audit --no-fetch --no-yanked --db "$db" "$@"; }

if self_check=$(audit --file tests/audit/known-vulnerable.lock 2>&1); then
  echo "$self_check"
  die "the audit passed a lock file with known vulnerabilities: it is not reading the advisories"
fi
grep -q 'RUSTSEC-2026-0258' <<<"$self_check" || { echo "$self_check"; die "the audit failed on the fixture for another reason than its advisories"; }
echo "ok: the audit flags the known-vulnerable fixture"

audit
