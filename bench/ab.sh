#!/usr/bin/env bash
# `bench/ab.sh A B [--runs N] [--pagination follow|range|both] [--extra "FLAGS"]`: two dscraper binaries (say,
# before and after a change) on the shared benchmark's quotes crawl, in the same run, alternating, on the same
# site and server (../shared/bench: gen-site.mjs, serve.sh, check-items.mjs). Prints, per mode, the median wall
# time, pages/s, the largest peak RSS and B's ratio to A; every run's items are checked exactly.
# A and B are paths to binaries (build one with `bun cli/build.ts`, or from a worktree of an older commit).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared/bench"
[[ $# -ge 2 ]] || { echo "usage: bench/ab.sh BIN_A BIN_B [--runs N] [--pagination follow|range|both] [--extra FLAGS]" >&2; exit 2; }
A=$(realpath "$1") B=$(realpath "$2"); shift 2
RUNS=3 MODES="follow range" EXTRA="" PORT=8089 PAGES=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --pagination) [[ $2 == both ]] && MODES="follow range" || MODES=$2; shift 2 ;;
    --extra) EXTRA=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
"$shared/setup.sh" nginx tools >/dev/null
site="${TMPDIR:-/tmp}/crawl-bench-site-q$PAGES-b500-n100-p$PORT"
[[ -f "$site/expected.json" ]] || node "$shared/gen-site.mjs" --out "$site" --quote-pages $PAGES --book-pages 500 --news-pages 100 --host "127.0.0.1:$PORT" >/dev/null
"$shared/serve.sh" "$site" $PORT >/dev/null
trap '"$shared/serve.sh" stop $PORT >/dev/null 2>&1 || true' EXIT
base="http://127.0.0.1:$PORT"
requests() { curl -s "$base/__bench/status" | awk '/^ *[0-9]+ +[0-9]+ +[0-9]+/ {print $3}'; }
work=$(mktemp -d)
results="$work/results.tsv"

one() { # label binary mode run
  local label=$1 bin=$2 mode=$3 out="$work/$1-$3-$4.jsonl" db="$work/db-$1-$3-$4"
  mkdir -p "$db"
  local before after
  before=$(requests)
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" crawl quotes --bundle "$root/bench/quotes-$mode.json" --url "$base/quotes/page/1/" \
    --db "file:$db/bench.db" --out "$out" --concurrency 16 --per-host 16 --delay-ms 0 --ignore-robots --quiet $EXTRA >"$work/log" 2>&1 || { cat "$work/log" >&2; echo "!!! $label $mode run $4 failed" >&2; exit 1; }
  after=$(requests)
  node "$shared/check-items.mjs" "$out" "$site" --base "$base" >/dev/null || { echo "!!! $label $mode run $4: items MISMATCH" >&2; exit 1; }
  read -r wall rss <"$work/time"
  printf '%s\t%s\t%s\t%s\t%s\n' "$mode" "$label" "$wall" "$rss" "$((after - before - 1))" >>"$results"
  printf '  [%s %s/%s] %s %6.2f s  %5d req  RSS %4d MiB\n' "$mode" "$4" "$RUNS" "$label" "$wall" "$((after - before - 1))" "$((rss / 1024))"
  rm -rf "$db" "$out"
}

for mode in $MODES; do
  for ((r = 1; r <= RUNS; r++)); do
    if ((r % 2)); then one A "$A" "$mode" $r; one B "$B" "$mode" $r; else one B "$B" "$mode" $r; one A "$A" "$mode" $r; fi
  done
done

node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split("\t"));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
for (const mode of [...new Set(rows.map((r) => r[0]))]) {
  const of = (label) => rows.filter((r) => r[0] === mode && r[1] === label);
  const fig = (label) => { const rs = of(label); const wall = median(rs.map((r) => +r[2])); return { wall, pps: median(rs.map((r) => +r[4] / +r[2])), rss: Math.max(...rs.map((r) => +r[3])) / 1024, min: Math.min(...rs.map((r) => +r[2])), max: Math.max(...rs.map((r) => +r[2])) }; };
  const a = fig("A"), b = fig("B");
  console.log(`\n${mode}: A = ${process.argv[2]}\n${" ".repeat(mode.length)}  B = ${process.argv[3]}`);
  console.log("| binary | wall s (median) | min-max | pages/s | peak RSS MiB |\n| --- | --- | --- | --- | --- |");
  for (const [n, f] of [["A", a], ["B", b]]) console.log(`| ${n} | ${f.wall.toFixed(2)} | ${f.min.toFixed(2)}-${f.max.toFixed(2)} | ${f.pps.toFixed(1)} | ${f.rss.toFixed(0)} |`);
  console.log(`| B/A | ${(b.wall / a.wall).toFixed(2)}x | | ${(b.pps / a.pps).toFixed(2)}x | ${(b.rss / a.rss).toFixed(2)}x |`);
}' "$results" "$A" "$B"
rm -rf "$work"
