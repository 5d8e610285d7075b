#!/bin/sh
# make ha-test: the several-node stack (scripts/stack/ha.sh) on its own ports and var directory,
# with writers through both certgraph nodes recording every acknowledged id, through: kill -9 of
# the primary's postmaster, a patronictl switchover, a standby killed and brought back, a certgraph
# node killed, and a COMMIT left unanswered on purpose (committed, and not). After each: answers
# only 201 or 503 (none for the standby), every acknowledged write in PostgreSQL, service back.
# Last, with throttling on: one tenant's burst through both nodes gets one budget, not two.
# The outage windows are printed, not asserted against the clock (shared, noisy machines): the
# assertion is that service comes back at all within 30 s.
set -eu
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$ROOT"
say() { printf 'ha-test: %s\n' "$*" >&2; }
t=$(mktemp -d /tmp/certgraph-ha-test.XXXXXX)
export CERTGRAPH_VAR=$t/var CERTGRAPH_HA_PORTS="18611 18612" CERTGRAPH_HA_PG_PORT=54351 CERTGRAPH_HA_API_PORT=18018 \
       CERTGRAPH_HA_ETCD_PORT=23890 CERTGRAPH_THROTTLING=off CERTGRAPH_WORKERS=${CERTGRAPH_WORKERS:-4} \
       CERTGRAPH_HA_STANDBY_READS=2
stack() { sh scripts/stack.sh "$@"; }
finish() {
  status=$?
  [ -e "$t/go" ] && rm -f "$t/go" && wait 2>/dev/null
  if [ "$status" != 0 ]; then stack ha-status >&2 || true; stack ha-logs 2>&1 | tail -n 80 >&2 || true; fi
  if [ "${CERTGRAPH_HA_KEEP:-}" = 1 ] && [ "$status" != 0 ]; then say "kept: $t"; exit "$status"; fi
  stack ha-down >/dev/null 2>&1 || true
  ha_base=$(cat "$t/var/ha.location" 2>/dev/null || true)
  for d in "$t/" ${ha_base:+"$ha_base/"}; do
    pgrep -f "$d" >/dev/null 2>&1 && { say "processes of the test outlived ha-down"; pgrep -af "$d" >&2; status=1; }
  done
  [ -n "$ha_base" ] && rm -rf "$ha_base"
  rm -rf "$t"
  exit "$status"
}
trap finish EXIT
fail() { say "FAILED: $*"; exit 1; }

sh scripts/deps.sh --ha
started=$(date +%s)
stack ha-up >/dev/null 2>"$t/up.err" || { cat "$t/up.err" >&2; fail "ha-up"; }
say "ha-up: a primary with a synchronous standby and two nodes in $(( $(date +%s) - started )) s"
stack ha-up >/dev/null 2>&1 || fail "ha-up again (it is idempotent)"
eval "$(stack ha-env)"
TOKEN=$(CERTGRAPH_JWT_SIGNING_KEY=$CERTGRAPH_JWT_SIGNING_KEY "$CERTGRAPH_CTL" token)
STATES=/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates
set -- $PATRONI_URLS; API1=$1; API2=$2
set -- $PG_DATA_DIRS; DATA1=$1; DATA2=$2
set -- $PATRONI_CONFIGS; CONF1=$1
set -- $CERTGRAPH_URLS; URL1=$1; URL2=$2
psql_db() { PGPASSWORD=$(cat "$CERTGRAPH_DB_PASSWORD_FILE") psql -X -At -v ON_ERROR_STOP=1 "$CERTGRAPH_DB" -c "$1"; }
primary_node() { # 1 or 2
  for n in 1 2; do
    eval "api=\$API$n"
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$api/primary")" = 200 ] && { echo "$n"; return 0; }
  done
  return 1
}
postmaster() { sed -n 1p "$1/postmaster.pid" 2>/dev/null | tr -dc 0-9; }
code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null || true; }
wait_cluster() { # a primary and a synchronous standby again
  i=0
  until primary_node >/dev/null && { [ "$(code_of "$API1/sync")" = 200 ] || [ "$(code_of "$API2/sync")" = 200 ]; }; do
    i=$((i + 1)); [ "$i" -lt 120 ] || fail "no primary with a synchronous standby after 60 s"
    sleep 0.5
  done
}
# the superuser (seeing and ending other roles' sessions), on node n, or on the primary
as_su() { # node sql
  PGPASSWORD=$(cat "$CERTGRAPH_VAR/ha/secrets/superuser") psql -X -At \
    "host=127.0.0.1 port=$((CERTGRAPH_HA_PG_PORT + $1 - 1)) dbname=certgraph user=postgres" -c "$2"
}
psql_su() { # sql
  p=$(primary_node) || return 1
  as_su "$p" "$1"
}

# Writers: one per node, POSTs back to back; each answer "time status id" in $t/w.<node>.
writer() { # node url
  k=0
  while [ -e "$t/go" ]; do
    k=$((k + 1))
    code=$(curl -s --max-time 20 --cacert "$CERTGRAPH_CA" -o "$t/b.$1" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
             -H 'Content-Type: application/json' -d "{\"userPrincipalName\":\"ha$1-$k@contoso.com\"}" "$2$STATES") || true
    id=$(sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' "$t/b.$1" 2>/dev/null)
    echo "$(date +%s.%N | cut -c1-14) $code ${id:-}" >> "$t/w.$1"
  done
}
start_writers() { rm -f "$t"/w.*; touch "$t/go"; for n in 1 2; do eval "writer $n \$URL$n" & done; sleep 2; }
stop_writers() { rm -f "$t/go"; wait; }
# what the writers saw: statuses allowed (a regex), each node's longest time without a 201, every
# acknowledged id in PostgreSQL
check_writes() { # name allowed-statuses [nodes]
  for n in ${3:-1 2}; do
    bad=$(awk -v ok="^($2)\$" '$2 !~ ok' "$t/w.$n" | awk '{print $2}' | sort | uniq -c | tr '\n' ' ')
    [ -z "$bad" ] || fail "$1: node $n answered $bad"
    gap=$(awk '$2 == 201 { if (last) { d = $1 - last; if (d > max) max = d } last = $1 } END { printf "%.2f", max }' "$t/w.$n")
    acked=$(awk '$2 == 201' "$t/w.$n" | wc -l)
    after=$(awk 'BEGIN { s = 0 } { last = $0 } END { split(last, f, " "); print f[2] }' "$t/w.$n")
    [ "$after" = 201 ] || fail "$1: node $n's last answer was $after, not 201: service did not come back"
    say "$1: node $n: $acked writes acknowledged, $(awk '$2 == 503' "$t/w.$n" | wc -l) answered 503, longest without a 201: $gap s"
  done
  awk '$2 == 201 { print $3 }' "$t"/w.* | sort -u > "$t/acked"
  psql_db "SELECT id FROM managed_all_device_certificate_state" | sort -u > "$t/stored"
  lost=$(comm -23 "$t/acked" "$t/stored" | wc -l)
  [ "$lost" = 0 ] || fail "$1: $lost acknowledged writes are not in PostgreSQL"
  say "$1: all $(wc -l < "$t/acked") acknowledged writes are in PostgreSQL"
}

# 0. node 2 reads from the standby (CERTGRAPH_DB_READ, prefer-standby): a write through node 1 is
# read back through node 2 once the standby has applied it, and the read sessions are on the standby.
curl -s --cacert "$CERTGRAPH_CA" -o "$t/b.0" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"userPrincipalName":"read-on-standby@contoso.com"}' "$URL1$STATES"
id=$(sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' "$t/b.0")
[ -n "$id" ] || fail "create through node 1: $(cat "$t/b.0")"
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CERTGRAPH_CA" -H "Authorization: Bearer $TOKEN" "$URL2$STATES/$id")" = 200 ]; do
  i=$((i + 1)); [ "$i" -lt 50 ] || fail "node 2 does not read the entity back"
  sleep 0.1
done
p=$(primary_node); s=$((3 - p))
on_standby=$(as_su "$s" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'certgraph-reads'")
on_primary=$(as_su "$p" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'certgraph-reads'")
[ "$on_standby" -ge 1 ] && [ "$on_primary" = 0 ] \
  || fail "node 2's read sessions: $on_standby on the standby, $on_primary on the primary"
say "node 2 reads on the standby ($on_standby sessions there, none on the primary); read back within $(( (i + 1) * 100 )) ms"

# 1. kill -9 of the primary's postmaster
start_writers
p=$(primary_node) || fail "no primary"
eval "data=\$DATA$p"
kill -9 "$(postmaster "$data")"
say "killed the primary's postmaster (node $p)"
sleep 12   # the writers go on; check_writes wants each node's last answer a 201
stop_writers
check_writes "kill -9 of the primary" '201|503'
wait_cluster

# 2. switchover
start_writers
p=$(primary_node)
patronictl -c "$CONF1" switchover --force >/dev/null 2>&1 || fail "patronictl switchover"
say "switched over from node $p"
sleep 8
stop_writers
check_writes "switchover" '201|503'
wait_cluster

# 3. a standby killed; Patroni starts it again
start_writers
p=$(primary_node); s=$((3 - p))
eval "data=\$DATA$s"
kill -9 "$(postmaster "$data")"
say "killed the standby's postmaster (node $s)"
sleep 8
stop_writers
check_writes "standby killed" '201'
wait_cluster

# 4. a certgraph node killed: the other keeps serving
start_writers
node2=$t/var/ha/node2
# each was started in a session of its own: the process group is the master and its workers
kill -9 "-$(cat "$node2/run/certgraphd.pid")" "-$(cat "$node2/nginx/nginx.pid")" 2>/dev/null || fail "node 2 is not running"
say "killed certgraph node 2 (its pool master, workers and nginx)"
sleep 4
stop_writers
check_writes "node 2 killed" '201' 1
stack ha-up >/dev/null 2>&1 || fail "ha-up after a node was killed"

# 5. COMMITs left unanswered on purpose. The standby is stopped (SIGSTOP), so a COMMIT on the
# primary waits for it; then the session is cut. Committed locally: the answer must be 201 and
# the entity there. Then the same, but the primary killed: the standby never had that COMMIT,
# it becomes the primary, and the answer must be 503 with nothing stored.
freeze() { # signal datadir: the postmaster and every process under it
  pm=$(postmaster "$2"); kill "-$1" "$pm" $(pgrep -P "$pm") 2>/dev/null || true
}
in_doubt() { # upn -> the POST's status in $t/doubt.code, body in $t/doubt.body
  curl -s --max-time 40 --cacert "$CERTGRAPH_CA" -o "$t/doubt.body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"userPrincipalName\":\"$1\"}" "$URL1$STATES" > "$t/doubt.code" || true
}
waiting_commit() { # primary's datadir -> pid of the session waiting for the standby
  i=0
  while :; do
    pid=$(psql_su "SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep' LIMIT 1" 2>/dev/null || true)
    [ -n "$pid" ] && { echo "$pid"; return 0; }
    i=$((i + 1)); [ "$i" -lt 50 ] || return 1
    sleep 0.1
  done
}
p=$(primary_node); s=$((3 - p))
eval "pdata=\$DATA$p"; eval "sdata=\$DATA$s"
freeze STOP "$sdata"
in_doubt doubt-committed@contoso.com &
pid=$(waiting_commit) || { freeze CONT "$sdata"; fail "no COMMIT waiting for the standby"; }
psql_su "SELECT pg_terminate_backend($pid)" >/dev/null || { freeze CONT "$sdata"; fail "could not cut the session"; }
freeze CONT "$sdata"
wait
code=$(cat "$t/doubt.code")
[ "$code" = 201 ] || fail "a COMMIT cut after it committed answered $code: $(cat "$t/doubt.body")"
n=$(psql_db "SELECT count(*) FROM managed_all_device_certificate_state WHERE user_principal_name = 'doubt-committed@contoso.com'")
[ "$n" = 1 ] || fail "the entity of the cut COMMIT is stored $n times"
say "a COMMIT cut after committing: 201, stored once"
wait_cluster

p=$(primary_node); s=$((3 - p))
eval "pdata=\$DATA$p"; eval "sdata=\$DATA$s"
freeze STOP "$sdata"
in_doubt doubt-lost@contoso.com &
waiting_commit > /dev/null || { freeze CONT "$sdata"; fail "no COMMIT waiting for the standby"; }
kill -9 "$(postmaster "$pdata")"
freeze CONT "$sdata"
wait
code=$(cat "$t/doubt.code")
wait_cluster
n=$(psql_db "SELECT count(*) FROM managed_all_device_certificate_state WHERE user_principal_name = 'doubt-lost@contoso.com'")
# Which of the two the cluster keeps is Patroni's choice (the standby promoted without the COMMIT,
# or the old primary recovered with it); the answer must say which.
case $code:$n in
  503:0) say "a COMMIT in doubt when the primary died: the standby became primary without it; 503, nothing stored" ;;
  201:1) say "a COMMIT in doubt when the primary died: it survived (recovered primary); 201, stored once" ;;
  *) fail "a COMMIT in doubt when the primary died answered $code with $n stored: $(cat "$t/doubt.body")" ;;
esac
metrics=$(curl -s --cacert "$CERTGRAPH_CA" "$URL1/metrics")
in_doubt_seen=$(printf '%s\n' "$metrics" | awk '/^certgraph_commits_in_doubt_total/ { n += $2 } END { print n + 0 }')
[ "$in_doubt_seen" -ge 2 ] || fail "/metrics counts $in_doubt_seen COMMITs in doubt, not 2: $(printf '%s\n' "$metrics" | grep in_doubt)"

# 6. One budget across the nodes: both pools again with throttling on (a tenant's 400 requests in
# any 60 s), then one tenant's GETs through both nodes at once, far past the budget. Together the
# nodes must admit the one budget (within 10 %), not one per node; the rest are 429s. Then the same
# with CERTGRAPH_THROTTLE_SHARING=off, where each node admits a budget of its own.
BUDGET=400
pools_alive() { for n in 1 2; do kill -0 "$(cat "$t/var/ha/node$n/run/certgraphd.pid")" 2>/dev/null && return 0; done; return 1; }
restart_pools() { # environment words for both pools
  for n in 1 2; do kill -TERM "$(cat "$t/var/ha/node$n/run/certgraphd.pid")"; done
  i=0
  while pools_alive; do
    i=$((i + 1)); [ "$i" -lt 100 ] || fail "the pools did not stop"
    sleep 0.1
  done
  env "$@" CERTGRAPH_THROTTLING=on CERTGRAPH_THROTTLE_WINDOW=60 CERTGRAPH_TENANT_REQUESTS=$BUDGET \
    sh scripts/stack.sh ha-up >/dev/null 2>"$t/up.err" || { cat "$t/up.err" >&2; fail "ha-up with throttling on"; }
  sleep 1   # each node's throttle sync has seen the other
}
# 3 s of a new tenant's GETs at each node, 500 at a time over 4 connections (a dozen syncs); sets
# ok1, ok2 (200s per node), ok and sent
burst_both() {
  tenant=$(cat /proc/sys/kernel/random/uuid)
  TT=$(CERTGRAPH_JWT_SIGNING_KEY=$CERTGRAPH_JWT_SIGNING_KEY "$CERTGRAPH_CTL" token --tenant "$tenant")
  rm -f "$t"/codes.*
  for n in 1 2; do
    eval "u=\$URL$n"
    yes "url = \"$u$STATES?\$top=1\"
output = \"/dev/null\"" | head -n 500 > "$t/urls.$n"
    (
      end=$(( $(date +%s) + 3 ))
      while [ "$(date +%s)" -lt "$end" ]; do
        curl -s --parallel --parallel-max 4 --cacert "$CERTGRAPH_CA" -H "Authorization: Bearer $TT" \
          -w '%{http_code}\n' -K "$t/urls.$n" >> "$t/codes.$n"
      done
    ) &
  done
  wait
  for n in 1 2; do
    other=$(grep -v -x -e 200 -e 429 "$t/codes.$n" | sort | uniq -c | tr '\n' ' ')
    [ -z "$other" ] || fail "throttled burst: node $n answered $other"
  done
  ok1=$(grep -c -x 200 "$t/codes.1" || true); ok2=$(grep -c -x 200 "$t/codes.2" || true)
  ok=$((ok1 + ok2)); sent=$(cat "$t"/codes.* | wc -l)
}
restart_pools CERTGRAPH_THROTTLE_SHARING=on
burst_both
say "one budget of $BUDGET over two nodes: $sent GETs in 3 s; admitted $ok1 + $ok2 = $ok ($(( ok * 100 / BUDGET )) % of the budget), the rest 429"
[ "$ok1" -gt 0 ] && [ "$ok2" -gt 0 ] || fail "a node admitted nothing: $ok1 and $ok2"
[ "$ok" -le $((BUDGET * 11 / 10)) ] || fail "two nodes let $ok through a budget of $BUDGET"
[ "$ok" -ge $((BUDGET * 9 / 10)) ] || fail "two nodes together let only $ok of a budget of $BUDGET through"
for n in 1 2; do
  eval "u=\$URL$n"
  nodes=$(curl -s --cacert "$CERTGRAPH_CA" "$u/metrics" | awk '$1 == "certgraph_throttle_nodes" { print $2 }')
  [ "$nodes" = 2 ] || fail "node $n counts $nodes nodes sharing the budgets"
done
# the same with sharing off: each node its own budget, as the measurement would show without it
restart_pools CERTGRAPH_THROTTLE_SHARING=off
burst_both
say "the same with CERTGRAPH_THROTTLE_SHARING=off: admitted $ok1 + $ok2 = $ok ($(( ok * 100 / BUDGET )) % of one budget)"
[ "$ok1" = "$BUDGET" ] && [ "$ok2" = "$BUDGET" ] || fail "unshared, each node admits its own budget: $ok1 and $ok2"

for n in 1 2; do cp "$t/var/ha/node$n/run/certgraphd.pid" "$t/pool$n.pid"; done
stack ha-down >/dev/null 2>&1 || fail "ha-down"
ha_base=$(cat "$t/var/ha.location")
! pgrep -f "$ha_base/" >/dev/null || fail "ha-down left processes running: $(pgrep -af "$ha_base/")"
for n in 1 2; do   # the pools' masters, by the pids ha-up recorded
  pid=$(cat "$t/pool$n.pid")
  ! kill -0 "$pid" 2>/dev/null || fail "node $n's pool (pid $pid) outlived ha-down"
done
say "passed in $(( $(date +%s) - started )) s"
