#!/usr/bin/env bash
# Renews the RustSec snapshot vendored in tests/audit/advisory-db.tar.gz,
# which `scripts/audit.sh` uses when the machine has no snapshot of its own.
# From a local copy of github.com/rustsec/advisory-db (default: the
# machine's ../shared/advisory-db), or from a fresh clone with --clone.
# Commit the new archive together with any Cargo.lock change it calls for.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

src=${1:-$ROOT/../shared/advisory-db}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ $src == --clone ]]; then
  git clone -q --depth 1 https://github.com/rustsec/advisory-db "$tmp/advisory-db"
  git -C "$tmp/advisory-db" log -1 --format='%H %cs' >"$tmp/advisory-db/SNAPSHOT"
  rm -rf "$tmp/advisory-db/.git"
else
  [[ -d $src/crates ]] || die "no advisory database at $src (give a path or --clone)"
  cp -r "$src" "$tmp/advisory-db"
fi
tar -czf tests/audit/advisory-db.tar.gz -C "$tmp" --sort=name --owner=0 --group=0 --mtime=@0 advisory-db
echo "vendored snapshot: $(cat "$tmp/advisory-db/SNAPSHOT" 2>/dev/null || echo unknown) ($(du -h tests/audit/advisory-db.tar.gz | cut -f1))"
