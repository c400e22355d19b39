#!/usr/bin/env bash
# Lints the deploy template (infra/stratus.yaml) with cfn-lint, no
# suppressed errors. First it lints a copy with a known mistake and insists
# on a failure: a lint that cannot see errors must not pass.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

lint="$VENV/bin/cfn-lint"
[[ -x $lint ]] || die "cfn-lint is missing: run scripts/setup.sh test"
echo "$("$lint" --version)"

broken=$(mktemp --suffix=.yaml)
trap 'rm -f "$broken"' EXIT
sed 's/Runtime: provided.al2023/Runtime: provided.al2099/' infra/stratus.yaml >"$broken"
if "$lint" "$broken" >/dev/null 2>&1; then
  die "cfn-lint passed a template with an unknown Lambda runtime: it is not checking"
fi
echo "ok: cfn-lint flags a broken copy"

"$lint" infra/stratus.yaml
echo "ok: infra/stratus.yaml passes cfn-lint"
