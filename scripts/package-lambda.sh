#!/usr/bin/env bash
# Packages the function binary (stratus-lambda, feature `lambda`) as the zip
# the Lambda `provided.al2023` runtime runs: `bootstrap` at the top and the
# one shared library the runtime lacks, libjpeg-turbo's TurboJPEG, under
# `lib/` (Lambda puts /var/task/lib on the library path). It checks that
# nothing needs a glibc newer than the runtime's (2.34) and that no other
# library outside the base system is needed, so the zip runs as it is.
#
#   scripts/package-lambda.sh [--release] [--build]
#
# Without --build it packages the binary already in the target dir (what
# `make test` built, same profile and features: no second build). Prints the
# zip's path.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

profile=debug build=0
for arg in "$@"; do
  case $arg in
    --release) profile=release ;;
    --build) build=1 ;;
    *) die "unknown argument: $arg" ;;
  esac
done
if ((build)); then
  flags=(-p stratus-gateway --features lambda --bin stratus-lambda)
  [[ $profile == release ]] && flags+=(--release)
  cargo build "${flags[@]}" >&2
fi
binary="$CARGO_TARGET_DIR/$profile/stratus-lambda"
[[ -x $binary ]] || die "no $binary: build it (cargo build -p stratus-gateway --features lambda --bin stratus-lambda) or pass --build"

# glibc of Amazon Linux 2023, the provided.al2023 runtime.
MAX_GLIBC=2.34
# What the runtime's base image has; anything else must be in the zip.
BASE_LIBS='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|ld-linux-x86-64\.so\.2)$'
SHIPPED='^libturbojpeg\.so\.0$'

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib"
cp "$binary" "$stage/bootstrap"
strip --strip-debug "$stage/bootstrap"

while read -r name _ path _; do
  name=$(basename "$name")
  if [[ $name =~ $BASE_LIBS ]]; then
    continue
  elif [[ $name =~ $SHIPPED ]]; then
    cp -L "$path" "$stage/lib/$name"
  else
    die "bootstrap needs $name, which is neither in the Lambda runtime nor shipped in lib/"
  fi
done < <(ldd "$stage/bootstrap" | awk '{print $1, $2, $3, $4}')

newest_glibc() {
  objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1
}
for file in "$stage/bootstrap" "$stage"/lib/*; do
  needs=$(newest_glibc "$file")
  if [[ -n $needs ]] && [[ $(printf '%s\n%s\n' "$needs" "$MAX_GLIBC" | sort -V | tail -1) != "$MAX_GLIBC" ]]; then
    die "$(basename "$file") needs glibc $needs; the Lambda runtime has $MAX_GLIBC (build with cargo-lambda/zig for an older glibc)"
  fi
  echo "ok: $(basename "$file") needs glibc ${needs:-none} (runtime: $MAX_GLIBC)" >&2
done

out="$CARGO_TARGET_DIR/lambda/stratus-lambda-$profile.zip"
mkdir -p "$(dirname "$out")"
rm -f "$out"
python3 - "$stage" "$out" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk(stage):
        for name in sorted(files):
            path = os.path.join(root, name)
            info = zipfile.ZipInfo(os.path.relpath(path, stage), (1980, 1, 1, 0, 0, 0))
            info.external_attr = (os.stat(path).st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
echo "packaged $out ($(du -h "$out" | cut -f1)): bootstrap$(cd "$stage" && find lib -type f -printf ' + %p')" >&2
echo "$out"
