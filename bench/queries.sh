#!/usr/bin/env bash
# Query options on 1,000,000 device states in one tenant, through the whole stack with wrk: filtered
# lists by userPrincipalName and by certificateRevokeStatus, page 1 and page 10,000 of an
# $orderby=certificateExpirationDateTime walk, and GET by id for the ratio to hello_pg. Run by hand;
# prints figures, asserts nothing. Usage: bench/queries.sh [seconds] [concurrency...]
# With ../shared/bench/ceiling-path.sh beside the repo, also runs it so the ratios come from one sitting.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; shift || true; conc=${*:-16 64}
rows=${CERTGRAPH_BENCH_ROWS:-1000000}
source bench/lib.sh

echo "loading $rows device states (10,000 users, a sixth revoked, expiries over three years)..."
psql -qX "$CERTGRAPH_DB" -c "
  INSERT INTO managed_all_device_certificate_state (tenant_id, managed_device_display_name, user_principal_name,
    certificate_revoke_status, certificate_expiration_date_time, certificate_issuer_name, certificate_thumbprint,
    certificate_serial_number, certificate_subject_name, certificate_key_usages)
  SELECT '$tenant', 'dev' || g, 'u' || (g % 10000) || '@contoso.com',
    (ARRAY['none','none','issued','issued','pending','revoked'])[1 + g % 6]::certificate_revocation_status,
    timestamptz '2026-01-01' + (g::bigint * 7919 % $rows) * interval '90 s', 'CN=Contoso CA', md5(g::text), g::text,
    'CN=dev' || g, 160
  FROM generate_series(1, $rows) g;" >/dev/null
settle
s=$(mktemp -d)
get_by_id_lua "$s/get.lua"
# A different user each request: 100 rows each, one page.
cat > "$s/upn.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "$states?\$filter=userPrincipalName%20eq%20%27u" .. ((n * 7919) % 10000) .. "%40contoso.com%27")
end
LUA
walk="\$orderby=certificateExpirationDateTime&\$select=id,userPrincipalName,certificateExpirationDateTime"
# Page 10,000 of the walk: the token the nextLink of page 9,999 carries, made with the server's secret.
deep=$(( 9999 * 100 - 1 ))
last=$(psql -qXAt "$CERTGRAPH_DB" -c "
  SELECT certificate_expiration_date_time::text || '|' || id FROM managed_all_device_certificate_state
  WHERE tenant_id = '$tenant' ORDER BY certificate_expiration_date_time, id OFFSET $deep LIMIT 1")
skiptoken=$(build/certgraphctl skiptoken --key "$CERTGRAPH_VAR/keys/skiptoken.key" --tenant $tenant \
  --url "$states?$walk" "${last%|*}" "${last#*|}")
curl -sf --cacert "$CERTGRAPH_CA" -H "Authorization: Bearer $token" "$url?$walk&\$skiptoken=$skiptoken" >/dev/null \
  || { echo "bench: the page-10,000 token was refused" >&2; exit 1; }

echo "workers' RSS at start: $(rss)"
header
for c in $conc; do
  run filter-upn "$c" -s "$s/upn.lua" "$url"
  run filter-status "$c" "$url?\$filter=certificateRevokeStatus%20eq%20%27revoked%27"
  run walk-page1 "$c" "$url?$walk"
  run walk-page10000 "$c" "$url?$walk&\$skiptoken=$skiptoken"
  run get-by-id "$c" -s "$s/get.lua" "$url"
done
echo "workers' RSS after: $(rss)"
ceilings
rm -rf "$s"
