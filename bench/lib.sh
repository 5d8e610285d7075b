# Shared by the bench scripts (sourced, bash): a throwaway stack on port 19443, a token for the
# bench tenant, one wrk run printed as a table row, and the workers' RSS. Run by hand only.
command -v wrk >/dev/null || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
make -s all
export CERTGRAPH_VAR=/tmp/certgraph-bench CERTGRAPH_PORT=19443
# Benchmarks measure the request path, not Graph's budgets (bench/throttle-cost.sh measures those).
export CERTGRAPH_THROTTLING=${CERTGRAPH_THROTTLING:-off}
sh scripts/stack.sh destroy >/dev/null 2>&1 || true
sh scripts/stack.sh up >/dev/null
trap 'sh scripts/stack.sh destroy >/dev/null 2>&1 || true' EXIT
eval "$(sh scripts/stack.sh env)"
tenant=8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01
token=$(CERTGRAPH_JWT_SIGNING_KEY=$CERTGRAPH_JWT_SIGNING_KEY build/certgraphctl token --tenant $tenant)
states=/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates
url=$CERTGRAPH_URL$states

# 100,000 device states for the tenant, shaped like a real fleet.
load_fleet() {
  psql -qX "$CERTGRAPH_DB" -c "
    INSERT INTO managed_all_device_certificate_state (tenant_id, managed_device_display_name, user_principal_name,
      certificate_expiration_date_time, certificate_issuer_name, certificate_thumbprint, certificate_serial_number,
      certificate_subject_name, certificate_extended_key_usages, certificate_issuance_date_time, certificate_key_usages)
    SELECT '$tenant', 'dev' || g, 'u' || (g % 1000) || '@contoso.com', now() + g * interval '1 min', 'CN=Contoso CA',
      md5(g::text), g::text, 'CN=dev' || g, '1.3.6.1.5.5.7.3.2', now(), 160
    FROM generate_series(1, 100000) g;" >/dev/null
}
# Settle a bulk load first, or autovacuum and the checkpoint it triggers land in the first case.
settle() { psql -qX "$CERTGRAPH_DB" -c "VACUUM ANALYZE managed_all_device_certificate_state" -c "CHECKPOINT" >/dev/null; }
# A wrk script that POSTs one device state per request.
post_lua() { # file
  cat > "$1" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"certificateRevokeStatus":"issued","managedDeviceDisplayName":"bench","userPrincipalName":"b@contoso.com","certificateKeyUsages":160}'
LUA
}
# A wrk script that GETs 10,000 random states of the tenant by id, spread over the run.
get_by_id_lua() { # file
  psql -qXAt "$CERTGRAPH_DB" -c "SELECT id FROM managed_all_device_certificate_state ORDER BY random() LIMIT 10000" > "$1.ids"
  {
    echo 'local ids = {'; sed 's/.*/"&",/' "$1.ids"; echo '}'
    cat <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "$states/" .. ids[(n * 7919) % #ids + 1])
end
LUA
  } > "$1"
}
rss() { # the workers', not the throttle sync's
  for p in $(pgrep -P "$(cat "$CERTGRAPH_PIDFILE")"); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = certgraph-sync ] || awk '/VmRSS/{printf "%s ", $2}' /proc/$p/status
  done; echo "(KiB per worker)"; }
header() { printf '%-14s %5s %10s %9s %9s %8s\n' case conc req/s p50 p99 non2xx; }
run() { # name conc wrk-args...
  local name=$1 c=$2; shift 2
  out=$(wrk -t2 -c"$c" -d"${dur}s" --latency -H "Authorization: Bearer $token" "$@")
  printf '%-14s %5s %10s %9s %9s %8s\n' "$name" "$c" "$(awk '/Requests\/sec/{print $2}' <<<"$out")" \
    "$(awk '$1=="50%"{print $2}' <<<"$out")" "$(awk '$1=="99%"{print $2}' <<<"$out")" \
    "$(awk '/Non-2xx/{print $NF}' <<<"$out" | grep . || echo 0)"
}
ceilings() {
  if [ -f ../shared/bench/ceiling-path.sh ]; then
    echo; echo "ceilings in the same sitting (../shared/bench/ceiling-path.sh):"
    bash ../shared/bench/ceiling-path.sh "$dur" $conc
  fi
}
