#!/usr/bin/env bash
# The cost of a write through the whole stack: POST and PATCH of device states with wrk. Each write
# also commits its auditEvent (API.md §8), so run this on two builds in one sitting to see what the
# audit row costs: bench/writes.sh here, then the same file copied into a checkout from before it.
# Run by hand; prints figures, asserts nothing.   Usage: bench/writes.sh [seconds] [concurrency...]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10}; shift || true; conc=${*:-16 64}
source bench/lib.sh

psql -qX "$CERTGRAPH_DB" -c "
  INSERT INTO managed_all_device_certificate_state (tenant_id, user_principal_name, certificate_key_usages)
  SELECT '$tenant', 'u' || g || '@contoso.com', 160 FROM generate_series(1, 10000) g;" >/dev/null
settle
s=$(mktemp -d)
post_lua "$s/post.lua"
psql -qXAt "$CERTGRAPH_DB" -c "SELECT id FROM managed_all_device_certificate_state ORDER BY random() LIMIT 5000" > "$s/ids"
{
  echo 'local ids = {'; sed 's/.*/"&",/' "$s/ids"; echo '}'
  cat <<LUA
local n = 0
local statuses = { "pending", "revoked", "issued" }
-- headers given to wrk.format replace wrk.headers (the token among them): set it here instead
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format("PATCH", "$states/" .. ids[(n * 7919) % #ids + 1], nil,
                    '{"certificateRevokeStatus":"' .. statuses[n % 3 + 1] .. '"}')
end
LUA
} > "$s/patch.lua"

header
for c in $conc; do
  run post "$c" -s "$s/post.lua" "$url"
  run patch "$c" -s "$s/patch.lua" "$url"
done
if psql -qXAt "$CERTGRAPH_DB" -c "SELECT 1 FROM pg_tables WHERE tablename = 'audit_event'" | grep -q 1; then
  echo "audit rows written: $(psql -qXAt "$CERTGRAPH_DB" -c "SELECT count(*) FROM audit_event")"
fi
rm -rf "$s"
