#!/usr/bin/env bash
# `bench/api/run.sh [--items N] [--duration S] [--connections C] [--threads T]`: the HTTP API under load.
# Builds dist/dscraper, seeds a database with N items (default 100,000), runs `dscraper serve --rate-limit 0`, and
# runs wrk (Debian's package, installed when missing) against GET /api/items?per_page=50 and GET /api/health, and
# against a plain Bun.serve answering a fixed JSON body of the same size as each route (the ceiling), in the same
# run. Prints requests/s and p99 latency side by side, and each route's share of its ceiling.
# Goal (issue 11): the items page at >= 5,000 req/s on a 2-core machine and >= 30% of the ceiling. The same URL
# repeated: what is measured includes whatever the route caches (say so with the figures). Share the machine with
# nothing else for figures worth comparing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ITEMS=100000 DURATION=10 CONNECTIONS=50 THREADS=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --items) ITEMS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bun="$root/node_modules/.bin/bun"
cd "$root"
"$bun" cli/build.ts >/dev/null
bin="$root/dist/dscraper"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
db="file:$work/bench.db"
"$bin" import bench/api/bundle.json --db "$db" --quiet >/dev/null
"$bun" bench/api/seed.ts "$db" "$ITEMS"

free_port() { "$bun" -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true);'; }
port=$(free_port)
"$bin" serve --db "$db" --images "$work/images" --port "$port" --rate-limit 0 --no-scheduler >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done

# ROUTES="…" measures other routes (space-separated paths).
read -r -a routes <<<"${ROUTES:-/api/items?per_page=50 /api/health}"
sizes=()
for route in "${routes[@]}"; do
  status=$(curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$port$route")
  [[ $status == 200 ]] || { echo "GET $route answered $status: $(head -c 300 "$work/body")" >&2; exit 1; }
  sizes+=("$(wc -c <"$work/body")")
done
plain_port=$(free_port)
"$bun" bench/api/plain.ts "$plain_port" "${sizes[@]}" >/dev/null &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$plain_port/0" >/dev/null && break; sleep 0.1; done

# wrk's summary → "requests/s p99_ms"
measure() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d3s "$1" >/dev/null 2>&1 # warm-up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" | awk '
    /Requests\/sec:/ { rps = $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; p99 = v }
    END { printf "%.0f %.2f\n", rps, p99 }'
}

echo "dscraper $("$bin" --version | awk '{print $2}'), $ITEMS items, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
printf '%-26s %8s %12s %10s %14s %10s %10s\n' route bytes "req/s" "p99 ms" "plain req/s" "plain p99" "% of plain"
for i in "${!routes[@]}"; do
  read -r rps p99 <<<"$(measure "http://127.0.0.1:$port${routes[$i]}")"
  read -r prps pp99 <<<"$(measure "http://127.0.0.1:$plain_port/$i")"
  printf '%-26s %8s %12s %10s %14s %10s %9s%%\n' "${routes[$i]}" "${sizes[$i]}" "$rps" "$p99" "$prps" "$pp99" "$(awk -v a="$rps" -v b="$prps" 'BEGIN { printf "%.0f", 100 * a / b }')"
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
