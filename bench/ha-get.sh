#!/usr/bin/env bash
# GET-by-id through one certgraph node against two, on the several-node stack (make ha-up's shape,
# on ports of its own): 100,000 device states, 10,000 random ids; the same total concurrency on
# node 1 alone, then split over both nodes (one wrk each, run together, summed). With
# CERTGRAPH_HA_STANDBY_READS=2 node 2 reads from the standby. Prints figures, asserts nothing.
# Usage: bench/ha-get.sh [seconds] [concurrency] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; c=${2:-16}; rounds=${3:-2}
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
make -s all
sh scripts/deps.sh --ha
export CERTGRAPH_VAR=/tmp/certgraph-bench-ha CERTGRAPH_HA_PORTS="19611 19612" CERTGRAPH_HA_PG_PORT=54361 \
       CERTGRAPH_HA_API_PORT=18028 CERTGRAPH_HA_ETCD_PORT=23990 CERTGRAPH_THROTTLING=off
sh scripts/stack.sh ha-up >/dev/null
trap 'sh scripts/stack.sh ha-down >/dev/null 2>&1 || true' EXIT
eval "$(sh scripts/stack.sh ha-env)"
set -- $CERTGRAPH_URLS; url1=$1; url2=$2
tenant=8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01
token=$(CERTGRAPH_JWT_SIGNING_KEY=$CERTGRAPH_JWT_SIGNING_KEY "$CERTGRAPH_CTL" token --tenant $tenant)
states=/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates
sql() { PGPASSWORD=$(cat "$CERTGRAPH_DB_PASSWORD_FILE") psql -qXAt "$CERTGRAPH_DB" -c "$1"; }
if [ "$(sql "SELECT count(*) FROM managed_all_device_certificate_state WHERE tenant_id = '$tenant'")" -lt 100000 ]; then
  sql "INSERT INTO managed_all_device_certificate_state (tenant_id, managed_device_display_name, user_principal_name,
         certificate_thumbprint, certificate_key_usages)
       SELECT '$tenant', 'dev' || g, 'u' || (g % 1000) || '@contoso.com', md5(g::text), 160
       FROM generate_series(1, 100000) g" >/dev/null
  sql "VACUUM ANALYZE managed_all_device_certificate_state" >/dev/null
fi
s=$(mktemp -d)
sql "SELECT id FROM managed_all_device_certificate_state ORDER BY random() LIMIT 10000" > "$s/ids"
{
  echo 'local ids = {}'
  echo 'for line in io.lines("'"$s/ids"'") do ids[#ids + 1] = line end'
  echo 'request = function() return wrk.format("GET", wrk.path .. "/" .. ids[math.random(#ids)]) end'
} > "$s/get.lua"
run() { # url concurrency -> "req/s p99"
  wrk -t1 -c"$2" -d"${dur}s" --latency -H "Authorization: Bearer $token" -s "$s/get.lua" "$1$states" 2>/dev/null \
    | awk '/Requests\/sec/ { r = $2 } /^ +99%/ { p = $2 } END { print r, p }'
}
for u in "$url1" "$url2"; do wrk -t1 -c4 -d2s -H "Authorization: Bearer $token" -s "$s/get.lua" "$u$states" >/dev/null; done
printf '%-28s %12s %10s\n' "GET by id, c=$c" "req/s" "p99"
for r in $(seq 1 "$rounds"); do
  read -r one p1 < <(run "$url1" "$c")
  printf '%-28s %12s %10s\n' "one node (round $r)" "$one" "$p1"
  run "$url1" $((c / 2)) > "$s/a" & run "$url2" $((c / 2)) > "$s/b"; wait
  read -r a pa < "$s/a"; read -r b pb < "$s/b"
  printf '%-28s %12s %10s\n' "two nodes (round $r)" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", a + b }')" "$pa/$pb"
done
rm -rf "$s"
