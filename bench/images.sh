#!/usr/bin/env bash
# `npm run bench:images`: the images benchmark. Crawls the books section of the shared benchmark site (500 list
# pages, 10,000 books, each with its PNG) with dist/dscraper, once storing the images with a 170x170 thumbnail
# and once without images, and prints images/s, the slowdown images cause and peak memory.
# Targets: images add less than 50% to the crawl's wall time; peak RSS stays under 200 MiB.
#
# Each run works in a folder of its own under BENCH_WORK (default: $TMPDIR or /tmp), and all of them are removed at
# the end, not after each run: on ext4 without a journal (as on the 2-core machine this was measured on) a
# file created within minutes of many deletions in the same block group costs ~0.1-0.8 ms instead of ~0.02 ms (the
# allocator skips recently freed inodes, with an inode table lookup each), so removing a run's 10,000 files right
# before the next run made that run 2-3 s slower. Anything else that deleted many files there shortly before (a
# test suite in /tmp, an earlier benchmark) still slows the image runs down: point BENCH_WORK elsewhere to check.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=$(cd ../shared/bench && pwd)
port=${BENCH_PORT:-8089}
site=${BENCH_SITE:-${TMPDIR:-/tmp}/dscraper-bench-site}
runs=${BENCH_RUNS:-3}
work_root=${BENCH_WORK:-${TMPDIR:-/tmp}}
works=()

bun cli/build.ts
"$shared/setup.sh" >/dev/null
[ -f "$site/expected.json" ] || node "$shared/gen-site.mjs" --out "$site" --quote-pages 1000 --book-pages 500 --news-pages 100 --host "127.0.0.1:$port"
"$shared/serve.sh" "$site" "$port" >/dev/null
cleanup() {
  "$shared/serve.sh" stop "$port" >/dev/null 2>&1 || true
  [ ${#works[@]} -eq 0 ] || rm -rf "${works[@]}"
}
trap cleanup EXIT
# Warm the page cache so that both variants read the site from memory.
find "$site/books" -type f -exec cat {} + > /dev/null

run() { # variant work_dir → "wall_s rss_kib user_s sys_s items images"
  local variant=$1 work=$2
  local flags=(--url "http://127.0.0.1:$port/books/catalogue/page-1.html" --db "file:$work/db.sqlite" --images "$work/images"
    --out "$work/items.jsonl" --concurrency 16 --per-host 16 --delay-ms 0 --ignore-robots --quiet)
  [ "$variant" = images ] && flags+=(--thumbs small=170x170)
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$root/dist/dscraper" crawl books --bundle "$root/bench/books-$variant.json" "${flags[@]}" >/dev/null
  local items files
  items=$(wc -l < "$work/items.jsonl")
  files=0
  [ -d "$work/images" ] && files=$(find "$work/images" -type f | wc -l)
  echo "$(cat "$work/time") $items $files"
}

declare -A wall rss
for variant in no-images images; do
  walls=()
  peak=0
  for i in $(seq 1 "$runs"); do
    work=$(mktemp -d -p "$work_root" dscraper-bench-images.XXXXXX)
    works+=("$work")
    read -r w m u s items files < <(run "$variant" "$work")
    echo "  [$variant $i/$runs] ${w} s (CPU: user ${u} s, sys ${s} s), ${items} items, ${files} image files, RSS $((m / 1024)) MiB"
    [ "$items" -eq 10000 ] || { echo "!!! $variant wrote $items items, expected 10000" >&2; exit 1; }
    [ "$variant" = no-images ] || [ "$files" -eq 10000 ] || { echo "!!! stored $files image files, expected 10000" >&2; exit 1; }
    walls+=("$w")
    [ "$m" -gt "$peak" ] && peak=$m
  done
  wall[$variant]=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rss[$variant]=$peak
done

echo
echo "books benchmark: 500 list pages, 10,000 books with PNG images (60x90), thumbnails small=170x170 (FLAT), concurrency 16, median of $runs"
echo "| variant | wall s (median) | images/s | peak RSS MiB |"
echo "|---|---|---|---|"
echo "| without images | ${wall[no-images]} | - | $((rss[no-images] / 1024)) |"
echo "| with images | ${wall[images]} | $(awk -v w="${wall[images]}" 'BEGIN {printf "%.0f", 10000 / w}') | $((rss[images] / 1024)) |"
awk -v a="${wall[no-images]}" -v b="${wall[images]}" -v m="${rss[images]}" 'BEGIN {
  slow = (b / a - 1) * 100
  printf "images add %.0f%% to the wall time (target < 50%%): %s; peak RSS %d MiB (target < 200 MiB): %s\n", slow, (slow < 50 ? "MET" : "NOT MET"), m / 1024, (m / 1024 < 200 ? "MET" : "NOT MET")
}'
