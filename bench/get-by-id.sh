#!/usr/bin/env bash
# GET-by-id, a list page and POST through the whole stack (nginx TLS -> cached token check -> pool ->
# PostgreSQL) with wrk, plus worker RSS before and after. Run by hand; prints figures, asserts nothing.
# Usage: bench/get-by-id.sh [seconds] [concurrency...]      (needs wrk: apt-get install wrk)
# With ../shared/bench/ceiling-path.sh beside the repo, also runs it so the ratios come from one sitting.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; shift || true; conc=${*:-16 64}
source bench/lib.sh

# 100,000 device states for the tenant, shaped like a real fleet; ids for wrk to pick from.
psql -qX "$CERTGRAPH_DB" -c "
  INSERT INTO managed_all_device_certificate_state (tenant_id, managed_device_display_name, user_principal_name,
    certificate_expiration_date_time, certificate_issuer_name, certificate_thumbprint, certificate_serial_number,
    certificate_subject_name, certificate_extended_key_usages, certificate_issuance_date_time, certificate_key_usages)
  SELECT '$tenant', 'dev' || g, 'u' || (g % 1000) || '@contoso.com', now() + g * interval '1 min', 'CN=Contoso CA',
    md5(g::text), g::text, 'CN=dev' || g, '1.3.6.1.5.5.7.3.2', now(), 160
  FROM generate_series(1, 100000) g;" >/dev/null
settle
s=$(mktemp -d)
get_by_id_lua "$s/get.lua"
cat > "$s/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"certificateRevokeStatus":"issued","managedDeviceDisplayName":"bench","userPrincipalName":"b@contoso.com","certificateKeyUsages":160}'
LUA

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
