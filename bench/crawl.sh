#!/usr/bin/env bash
# `npm run bench`: builds dist/dscraper and runs the shared crawl benchmark (../shared/bench, see its README) with
# it against Scrapy and Crawlee, in follow and range mode. Extra arguments go to bench.sh (e.g. --runs 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bun cli/build.ts
exec ../shared/bench/bench.sh --project "bench/dscraper-quotes.sh {PAGINATION} {BASE} {OUT} {CONCURRENCY}" --project-name dscraper --pagination both "$@"
