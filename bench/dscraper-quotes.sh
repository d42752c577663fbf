#!/usr/bin/env bash
# One benchmark run: the quotes crawl with bench/quotes-<pagination>.json, items stored in a fresh database (not a
# dry run) and written to OUT, with the benchmark's settings (N concurrent, N per host, no delay, no robots.txt).
set -euo pipefail
pagination=$1 base=$2 out=$3 concurrency=$4
root=$(cd "$(dirname "$0")/.." && pwd)
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
"$root/dist/dscraper" crawl quotes --bundle "$root/bench/quotes-$pagination.json" --url "$base/quotes/page/1/" \
  --db "file:$db/bench.db" --out "$out" --concurrency "$concurrency" --per-host "$concurrency" --delay-ms 0 --ignore-robots --quiet
