#!/usr/bin/env bash
# GET-by-id, a list page and POST through the whole stack (nginx TLS -> cached token check -> pool ->
# PostgreSQL) with wrk, plus worker RSS before and after. Run by hand; prints figures, asserts nothing.
# Usage: bench/get-by-id.sh [seconds] [concurrency...]      (needs wrk: apt-get install wrk)
# With ../shared/bench/ceiling-path.sh beside the repo, also runs it so the ratios come from one sitting.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; shift || true; conc=${*:-16 64}
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
make -s all
export CERTGRAPH_VAR=/tmp/certgraph-bench CERTGRAPH_PORT=19443
sh scripts/stack.sh destroy >/dev/null 2>&1 || true
sh scripts/stack.sh up >/dev/null
trap 'sh scripts/stack.sh destroy >/dev/null 2>&1 || true' EXIT
eval "$(sh scripts/stack.sh env)"
tenant=8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01
token=$(CERTGRAPH_JWT_SIGNING_KEY=$CERTGRAPH_JWT_SIGNING_KEY build/certgraphctl token --tenant $tenant)

# 100,000 device states for the tenant, shaped like a real fleet; ids for wrk to pick from.
psql -qX "$CERTGRAPH_DB" -c "
  INSERT INTO managed_all_device_certificate_state (tenant_id, managed_device_display_name, user_principal_name,
    certificate_expiration_date_time, certificate_issuer_name, certificate_thumbprint, certificate_serial_number,
    certificate_subject_name, certificate_extended_key_usages, certificate_issuance_date_time, certificate_key_usages)
  SELECT '$tenant', 'dev' || g, 'u' || (g % 1000) || '@contoso.com', now() + g * interval '1 min', 'CN=Contoso CA',
    md5(g::text), g::text, 'CN=dev' || g, '1.3.6.1.5.5.7.3.2', now(), 160
  FROM generate_series(1, 100000) g;" >/dev/null
# Settle the bulk load first, or autovacuum and the checkpoint it triggers land in the first case.
psql -qX "$CERTGRAPH_DB" -c "VACUUM ANALYZE managed_all_device_certificate_state" -c "CHECKPOINT" >/dev/null
s=$(mktemp -d)
psql -qXAt "$CERTGRAPH_DB" -c "SELECT id FROM managed_all_device_certificate_state ORDER BY random() LIMIT 10000" > "$s/ids"
{
  echo 'local ids = {'; sed 's/.*/"&",/' "$s/ids"; echo '}'
  cat <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates/" .. ids[(n * 7919) % #ids + 1])
end
LUA
} > "$s/get.lua"
cat > "$s/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"certificateRevokeStatus":"issued","managedDeviceDisplayName":"bench","userPrincipalName":"b@contoso.com","certificateKeyUsages":160}'
LUA

rss() { for p in $(pgrep -P "$(cat "$CERTGRAPH_PIDFILE")"); do awk '/VmRSS/{printf "%s ", $2}' /proc/$p/status; done; echo "(KiB per worker)"; }
echo "workers' RSS at start: $(rss)"
url=$CERTGRAPH_URL/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates
printf '%-10s %5s %10s %9s %9s %8s\n' case conc req/s p50 p99 non2xx
run() { # name conc args...
  local name=$1 c=$2; shift 2
  out=$(wrk -t2 -c"$c" -d"${dur}s" --latency -H "Authorization: Bearer $token" "$@")
  printf '%-10s %5s %10s %9s %9s %8s\n' "$name" "$c" "$(awk '/Requests\/sec/{print $2}' <<<"$out")" \
    "$(awk '$1=="50%"{print $2}' <<<"$out")" "$(awk '$1=="99%"{print $2}' <<<"$out")" \
    "$(awk '/Non-2xx/{print $NF}' <<<"$out" | grep . || echo 0)"
}
for c in $conc; do
  run get-by-id "$c" -s "$s/get.lua" "$url"
  run list100 "$c" "$url"
  run post "$c" -s "$s/post.lua" "$url"
done
echo "workers' RSS after: $(rss)"
if [ -x ../shared/bench/ceiling-path.sh ] || [ -f ../shared/bench/ceiling-path.sh ]; then
  echo; echo "ceilings in the same sitting (../shared/bench/ceiling-path.sh):"
  bash ../shared/bench/ceiling-path.sh "$dur" $conc
fi
rm -rf "$s"
