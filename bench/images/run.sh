#!/usr/bin/env bash
# Stratus against sharp and vipsthumbnail, side by side in one run, on the
# same real photos and the same task: decode + EXIF orientation + resize to
# 720 px wide + encode JPEG q80 or WebP q80, metadata stripped.
#   - per image on one core: every tool pinned to CPU 0 (taskset) and told to
#     use one thread (our 1 worker, sharp.concurrency(1), VIPS_CONCURRENCY=1);
#   - throughput on all cores: as many images in flight as cores;
#   - peak memory: max RSS of the process (/usr/bin/time -v).
# Times are whole-process wall clock (start-up included, the same for every
# tool), over PHOTOS × REPEAT images. Prints a markdown table with ratios.
#
# Installs what it needs itself: libvips-tools and time (apt), sharp (npm, in
# this folder), the photos (apt-get download of Debian wallpaper packages into
# a cache outside git). Never part of `make test`.
#
# Usage: bench/images/run.sh [REPEAT]   (default 4)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
repeat=${1:-4}
cache=${STRATUS_BENCH_CACHE:-$HOME/.cache/stratus/bench-photos}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
cores=$(nproc)

say() { printf '\n==> %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------
need=()
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
[[ -x /usr/bin/time ]] || need+=(time)
pkg-config --exists libturbojpeg || need+=(libturbojpeg0-dev)
if ((${#need[@]})); then
  say "Installing ${need[*]} (apt)"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [[ ! -d $here/node_modules/sharp ]]; then
  say "Installing sharp (npm ci in bench/images)"
  (cd "$here" && npm ci --no-audit --no-fund)
fi

# --- photos ----------------------------------------------------------------
# Real camera photos, 10.7–20.4 MP, from Debian's lomiri-wallpapers packages
# (Ubuntu Touch wallpaper contest; CC0 / CC-BY / CC-BY-SA, credits in the
# packages' copyright files and in bench/RESULTS.md).
photos=(
  lomiri-wallpapers-20.04/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
  lomiri-wallpapers-16.04/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg
  lomiri-wallpapers-16.04/usr/share/backgrounds/Dragonfly_by_Bolly.jpg
  lomiri-wallpapers-16.04/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg
  lomiri-wallpapers-16.04/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg
)
mkdir -p "$cache/debs" "$cache/x"
for pkg in lomiri-wallpapers-16.04 lomiri-wallpapers-20.04; do
  if [[ ! -d $cache/x/$pkg ]]; then
    say "Fetching photos: $pkg (apt-get download)"
    (cd "$cache/debs" && apt-get download "$pkg" >/dev/null)
    dpkg -x "$cache/debs/${pkg}"_*.deb "$cache/x/$pkg"
  fi
done
files=()
for p in "${photos[@]}"; do files+=("$cache/x/$p"); done

# --- our binary ------------------------------------------------------------
say "Building bench_resize (release)"
(cd "$root" && cargo build --release -q -p stratus-media --example bench_resize)
ours=$CARGO_TARGET_DIR/release/examples/bench_resize

# --- runs ------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Every file `repeat` times, for the tools that take a list.
list=()
for ((r = 0; r < repeat; r++)); do list+=("${files[@]}"); done
images=${#list[@]}

# measure NAME CMD... → "seconds maxrss_kib" of the whole process.
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/$name.time" "$@" >"$out/$name.log" 2>&1 ||
    { cat "$out/$name.log" >&2; echo "$name failed" >&2; exit 1; }
  cat "$out/$name.time"
}

vips_one() { # format, then files
  local fmt=$1; shift
  VIPS_CONCURRENCY=1 vipsthumbnail --size 720x -o "$out/v1-%s.$fmt[Q=80,strip]" "$@"
}
vips_all() { # format: one vipsthumbnail per core, each on its share
  local fmt=$1
  printf '%s\0' "${list[@]}" |
    VIPS_CONCURRENCY=1 xargs -0 -P "$cores" -n $(((images + cores - 1) / cores)) \
      vipsthumbnail --size 720x -o "$out/va-%s.$fmt[Q=80,strip]"
}
export -f vips_one
export out

declare -A secs rss
for fmt in jpeg webp; do
  vfmt=$fmt; [[ $fmt == jpeg ]] && vfmt=jpg
  say "$fmt: one core"
  read -r secs[stratus,$fmt,1] rss[stratus,$fmt,1] < <(measure "s1$fmt" taskset -c 0 "$ours" "720x_-inside-q80.$fmt" 1 "$repeat" "${files[@]}")
  read -r secs[sharp,$fmt,1] rss[sharp,$fmt,1] < <(measure "n1$fmt" taskset -c 0 node "$here/sharp-bench.mjs" "$fmt" 720 80 1 "$repeat" "${files[@]}")
  read -r secs[vips,$fmt,1] rss[vips,$fmt,1] < <(measure "v1$fmt" taskset -c 0 bash -c 'vips_one "$@"' _ "$vfmt" "${list[@]}")
  say "$fmt: all $cores cores"
  read -r secs[stratus,$fmt,n] rss[stratus,$fmt,n] < <(measure "sn$fmt" "$ours" "720x_-inside-q80.$fmt" "$cores" "$repeat" "${files[@]}")
  read -r secs[sharp,$fmt,n] rss[sharp,$fmt,n] < <(measure "nn$fmt" node "$here/sharp-bench.mjs" "$fmt" 720 80 "$cores" "$repeat" "${files[@]}")
  read -r secs[vips,$fmt,n] rss[vips,$fmt,n] < <(measure "vn$fmt" bash -c "$(declare -p list cores images out); $(declare -f vips_all); vips_all $vfmt")
done

# --- report ----------------------------------------------------------------
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
echo
echo "$images images per run ($((${#files[@]})) photos × $repeat), 720 px wide, q80; load average before: $load_before"
echo
echo "| output | tool | per image, 1 core | throughput, $cores cores | peak RSS, 1 core | peak RSS, $cores cores |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for fmt in jpeg webp; do
  for tool in stratus sharp vips; do
    name=$tool; [[ $tool == vips ]] && name=vipsthumbnail
    echo "| $fmt | $name | $(calc '%.1f ms' "${secs[$tool,$fmt,1]} * 1000 / $images") | $(calc '%.1f img/s' "$images / ${secs[$tool,$fmt,n]}") | $(calc '%.0f MiB' "${rss[$tool,$fmt,1]} / 1024") | $(calc '%.0f MiB' "${rss[$tool,$fmt,n]} / 1024") |"
  done
done
echo
echo "Ratios (Stratus vs other; speed > 1 = Stratus faster, memory < 1 = Stratus smaller):"
echo
echo "| output | vs | speed per image, 1 core | throughput, $cores cores | peak RSS, 1 core | peak RSS, $cores cores |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for fmt in jpeg webp; do
  for tool in sharp vips; do
    name=$tool; [[ $tool == vips ]] && name=vipsthumbnail
    echo "| $fmt | $name | $(calc '%.2f×' "${secs[$tool,$fmt,1]} / ${secs[stratus,$fmt,1]}") | $(calc '%.2f×' "${secs[$tool,$fmt,n]} / ${secs[stratus,$fmt,n]}") | $(calc '%.2f' "${rss[stratus,$fmt,1]} / ${rss[$tool,$fmt,1]}") | $(calc '%.2f' "${rss[stratus,$fmt,n]} / ${rss[$tool,$fmt,n]}") |"
  done
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
