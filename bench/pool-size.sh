#!/usr/bin/env bash
# The default pool size, from measurement: GET by id at c=16 and c=64 and POST at c=16 through the
# whole stack, for each pool size given (the stack restarted each time, nginx's keep-alive following
# the size as stack.sh sets it), then ../shared/bench/ceiling-path.sh in the same sitting, whose
# hello_pg p99 is the yardstick (target: p99 within 2 x hello_pg's). Prints figures, asserts nothing.
# Usage: bench/pool-size.sh [seconds] [sizes...]      (default: 8 s; 4 6 8 12 workers)
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-8}; shift || true; sizes=${*:-4 6 8 12}
conc="16 64"
source bench/lib.sh
load_fleet
settle
s=$(mktemp -d)
get_by_id_lua "$s/get.lua"
post_lua "$s/post.lua"
printf '%-8s ' workers; header
for w in $sizes; do
  sh scripts/stack.sh down >/dev/null 2>&1
  CERTGRAPH_WORKERS=$w sh scripts/stack.sh up >/dev/null 2>&1
  wrk -t2 -c16 -d2s -H "Authorization: Bearer $token" -s "$s/get.lua" "$url" >/dev/null   # warm
  for c in 16 64; do printf '%-8s ' "$w"; run get-by-id "$c" -s "$s/get.lua" "$url"; done
  printf '%-8s ' "$w"; run post 16 -s "$s/post.lua" "$url"
done
ceilings
rm -rf "$s"
