#!/usr/bin/env bash
# What throttling costs GET-by-id: the same wrk run against the pool started with throttling off and
# on, alternated (off on, on off, ...) in one sitting so drift hits both alike. "On" uses budgets
# no run can reach (100,000 requests a 1 s window, per tenant and per application), so every
# request goes through the shared-memory count and none is refused. Prints figures, asserts nothing.
# Usage: bench/throttle-cost.sh [seconds] [rounds] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; rounds=${2:-3}; c=${3:-16}
source bench/lib.sh

load_fleet
settle
s=$(mktemp -d)
get_by_id_lua "$s/get.lua"

pool() { # off|on
  sh scripts/stack.sh pool-stop >/dev/null 2>&1
  if [ "$1" = on ]; then
    CERTGRAPH_THROTTLING=on CERTGRAPH_THROTTLE_WINDOW=1 CERTGRAPH_TENANT_REQUESTS=100000 \
    CERTGRAPH_TENANT_WRITES=100000 CERTGRAPH_APP_REQUESTS=100000 CERTGRAPH_APP_WRITES=100000 \
      sh scripts/stack.sh pool-start >/dev/null 2>&1
  else
    CERTGRAPH_THROTTLING=off sh scripts/stack.sh pool-start >/dev/null 2>&1
  fi
  # warm the connections and the token cache
  wrk -t2 -c"$c" -d2s -H "Authorization: Bearer $token" -s "$s/get.lua" "$url" >/dev/null
}

header
declare -A sum=([off]=0 [on]=0)
for r in $(seq "$rounds"); do
  # the order swaps each round: whichever runs second in a round has warmer caches
  if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
  for mode in $order; do
    pool "$mode"
    line=$(run "get-$mode" "$c" -s "$s/get.lua" "$url")
    echo "$line"
    sum[$mode]=$(awk -v a="${sum[$mode]}" -v b="$(awk '{print $3}' <<<"$line")" 'BEGIN{print a + b}')
  done
done
awk -v off="${sum[off]}" -v on="${sum[on]}" -v n="$rounds" \
  'BEGIN{printf "mean req/s: off %.0f, on %.0f; on/off = %.1f %%\n", off / n, on / n, 100 * on / off}'
rm -rf "$s"

# The admission itself, apart from the noise of a whole stack: ns per call, alone and contended.
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o "$CERTGRAPH_VAR/throttle-micro" bench/throttle-micro.c src/throttle.c -lpthread
for p in 1 2 4; do "$CERTGRAPH_VAR/throttle-micro" "$p"; done
