#!/usr/bin/env bash
# GET-by-id, a list page and POST through the whole stack (nginx TLS -> cached token check -> pool ->
# PostgreSQL) with wrk, plus worker RSS before and after. Run by hand; prints figures, asserts nothing.
# Usage: bench/get-by-id.sh [seconds] [concurrency...]      (needs wrk: apt-get install wrk)
# With ../shared/bench/ceiling-path.sh beside the repo, also runs it so the ratios come from one sitting.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; shift || true; conc=${*:-16 64}
source bench/lib.sh

load_fleet   # 100,000 device states for the tenant
settle
s=$(mktemp -d)
get_by_id_lua "$s/get.lua"
post_lua "$s/post.lua"

echo "workers' RSS at start: $(rss)"
header
for c in $conc; do
  run get-by-id "$c" -s "$s/get.lua" "$url"
  run list100 "$c" "$url"
  run post "$c" -s "$s/post.lua" "$url"
done
echo "workers' RSS after: $(rss)"
ceilings
rm -rf "$s"
