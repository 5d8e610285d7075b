# Several nodes on a highly available PostgreSQL, on loopback: etcd, two PostgreSQL 15 nodes managed
# by Patroni with synchronous replication, and certgraph nodes — each its own nginx and certgraphd
# pool, composed from the same pool and nginx pieces as the single-node stack.
# Sourced by scripts/stack.sh, which sets ROOT, VAR, the paths and say/die/alive/pid_runs.
#
# Environment: CERTGRAPH_HA_PORTS ("8443 8444": one certgraph node per port), CERTGRAPH_HA_PG_PORT
# (54341: the first PostgreSQL node's TCP port, the next one +1), CERTGRAPH_HA_API_PORT (18008:
# Patroni's REST API, likewise), CERTGRAPH_HA_ETCD_PORT (23790; its peer port +10),
# CERTGRAPH_HA_STANDBY_READS (certgraph nodes, by number, whose GETs prefer a standby: "2", "1 2").

HA_PORTS=${CERTGRAPH_HA_PORTS:-8443 8444}
HA_PG_PORT=${CERTGRAPH_HA_PG_PORT:-54341}
HA_API_PORT=${CERTGRAPH_HA_API_PORT:-18008}
HA_ETCD_PORT=${CERTGRAPH_HA_ETCD_PORT:-23790}
HA_PG_NODES="1 2"
HA_STANDBY_READS=${CERTGRAPH_HA_STANDBY_READS:-}

ha_check_settings() {
  for n in $HA_PORTS $HA_PG_PORT $HA_API_PORT $HA_ETCD_PORT; do is_uint "$n" || die "not a port: '$n'"; done
  [ -n "$HA_PORTS" ] || die "CERTGRAPH_HA_PORTS names no port"
}

# What the nodes run as: the PostgreSQL programs, Patroni and etcd as "postgres" (as root), from /.
harun() { pgrun "$@"; }

# Where the PostgreSQL nodes, Patroni's files and etcd live: a private directory postgres can
# enter (the checkout may be one it cannot), remembered in $VAR/ha.location. The secrets the
# certgraph side reads (owner's and service's passwords) stay in $VAR/ha/secrets.
ha_locate() {
  HA_VAR=$VAR/ha
  if [ -s "$VAR/ha.location" ]; then HA_BASE=$(head -n 1 "$VAR/ha.location")
  else HA_BASE=/tmp/certgraph-ha-$(printf '%s' "$VAR" | sha256sum | cut -c1-16); fi
  HA_SECRETS=$HA_VAR/secrets
}

ha_place() {
  ha_locate
  mkdir -p "$VAR"
  if [ ! -e "$HA_BASE" ]; then mkdir -m 700 "$HA_BASE" || die "cannot create $HA_BASE"; fi
  [ -d "$HA_BASE" ] && [ ! -L "$HA_BASE" ] || die "$HA_BASE is not a plain directory"
  if is_root; then chown postgres:postgres "$HA_BASE"; fi
  printf '%s\n' "$HA_BASE" > "$VAR/ha.location"
  (umask 077 && mkdir -p "$HA_SECRETS")
  for f in superuser replication rewind owner service; do
    [ -s "$HA_SECRETS/$f" ] || (umask 077 && openssl rand -hex 24 > "$HA_SECRETS/$f")
  done
}

ha_pg_port() { echo $((HA_PG_PORT + $1 - 1)); }
ha_api_port() { echo $((HA_API_PORT + $1 - 1)); }
ha_hosts() { # "127.0.0.1,127.0.0.1" and "p1,p2": every PostgreSQL node, for libpq's multi-host strings
  HA_HOSTS=; HA_HOST_PORTS=
  for n in $HA_PG_NODES; do
    HA_HOSTS=${HA_HOSTS:+$HA_HOSTS,}127.0.0.1; HA_HOST_PORTS=${HA_HOST_PORTS:+$HA_HOST_PORTS,}$(ha_pg_port "$n")
  done
  # Workers follow the primary: whichever node takes writes now, each host tried for 2 s at most.
  HA_OWNER_DB="host=$HA_HOSTS port=$HA_HOST_PORTS dbname=certgraph user=$DB_OWNER target_session_attrs=read-write connect_timeout=2"
  HA_SERVICE_DB="host=$HA_HOSTS port=$HA_HOST_PORTS dbname=certgraph user=$DB_SERVICE_ROLE target_session_attrs=read-write connect_timeout=2"
  # GETs on a standby where asked for (any node when none is up); named, so one can see them there
  HA_READ_DB="host=$HA_HOSTS port=$HA_HOST_PORTS dbname=certgraph user=$DB_SERVICE_ROLE target_session_attrs=prefer-standby connect_timeout=2 application_name=certgraph-reads"
}

# ---- etcd ----------------------------------------------------------------------------------------

ha_etcd_running() { pid_runs "$HA_BASE/etcd.pid" etcd; }

ha_etcd_start() {
  ha_etcd_running && return 0
  command -v etcd >/dev/null || die "etcd is not installed: sh scripts/deps.sh --ha"
  peer=$((HA_ETCD_PORT + 10))
  harun mkdir -p "$HA_BASE/etcd"
  say "starting etcd on 127.0.0.1:$HA_ETCD_PORT"
  harun sh -c 'setsid etcd --name certgraph-etcd --data-dir "$1/etcd/data" \
      --listen-client-urls "http://127.0.0.1:$2" --advertise-client-urls "http://127.0.0.1:$2" \
      --listen-peer-urls "http://127.0.0.1:$3" --initial-advertise-peer-urls "http://127.0.0.1:$3" \
      --initial-cluster "certgraph-etcd=http://127.0.0.1:$3" --log-level warn \
      >> "$1/etcd/etcd.log" 2>&1 < /dev/null & echo $! > "$1/etcd.pid"' sh "$HA_BASE" "$HA_ETCD_PORT" "$peer"
  i=0
  until curl -s --max-time 1 "http://127.0.0.1:$HA_ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; do
    i=$((i + 1)); [ "$i" -lt 100 ] || { tail -n 20 "$HA_BASE/etcd/etcd.log" >&2; die "etcd did not start"; }
    sleep 0.1
  done
}

ha_etcd_stop() {
  ha_etcd_running || return 0
  p=$(pid_of "$HA_BASE/etcd.pid")
  say "stopping etcd"
  kill -TERM "$p" 2>/dev/null || true
  wait_gone "$p" 10 || kill -KILL "$p" 2>/dev/null || true
}

# ---- PostgreSQL under Patroni --------------------------------------------------------------------

# Patroni's configuration for node n (scripts/patroni-conf.sh: the same as the compose image's).
. "$ROOT/scripts/patroni-conf.sh"
ha_patroni_conf() { # node
  n=$1; d=$HA_BASE/pg$n
  pw() { head -n 1 "$HA_SECRETS/$1"; }
  PC_NAME=pg$n PC_API=127.0.0.1:$(ha_api_port "$n") PC_API_ADDR=127.0.0.1:$(ha_api_port "$n") \
  PC_ETCD=127.0.0.1:$HA_ETCD_PORT PC_PG=127.0.0.1:$(ha_pg_port "$n") PC_PG_ADDR=127.0.0.1:$(ha_pg_port "$n") \
  PC_DATA=$d/data PC_BIN=$PG_BIN PC_RUN=$d PC_NET=127.0.0.1/32 PC_LOCALE=C PC_LOG_DIR=$d/log PC_POST_BOOTSTRAP= \
  PC_SUPERUSER_PW=$(pw superuser) PC_REPLICATION_PW=$(pw replication) PC_REWIND_PW=$(pw rewind) patroni_conf
}

ha_patroni_running() { pid_runs "$HA_BASE/pg$1/patroni.pid" patroni; }

ha_patroni_start() { # node
  n=$1; d=$HA_BASE/pg$n
  ha_patroni_running "$n" && return 0
  command -v patroni >/dev/null || die "patroni is not installed: sh scripts/deps.sh --ha"
  harun mkdir -p "$d/log"
  (umask 077 && ha_patroni_conf "$n" > "$d.yml.new")
  if is_root; then chown postgres:postgres "$d.yml.new"; fi
  mv "$d.yml.new" "$d/patroni.yml"
  say "starting PostgreSQL node $n under Patroni (127.0.0.1:$(ha_pg_port "$n"), API :$(ha_api_port "$n"))"
  harun sh -c 'setsid patroni "$1/patroni.yml" >> "$1/log/patroni.out" 2>&1 < /dev/null & echo $! > "$1/patroni.pid"' sh "$d"
}

# A postmaster Patroni no longer watches (Patroni killed) is stopped by hand.
ha_postmaster_stop() { # node
  d=$HA_BASE/pg$1/data
  [ -f "$d/postmaster.pid" ] || return 0
  pp=$(sed -n 1p "$d/postmaster.pid" | tr -dc 0-9)
  alive "$pp" || return 0
  say "stopping PostgreSQL node $1 (Patroni was not running)"
  harun "$PG_BIN/pg_ctl" -D "$d" -m fast -w -t 20 stop >/dev/null 2>&1 || kill -KILL "$pp" 2>/dev/null || true
}

ha_patroni_stop() { # node
  if ha_patroni_running "$1"; then
    p=$(pid_of "$HA_BASE/pg$1/patroni.pid")
    say "stopping Patroni node $1 (and its PostgreSQL)"
    kill -TERM "$p" 2>/dev/null || true
    wait_gone "$p" 30 || kill -KILL "$p" 2>/dev/null || true
  fi
  ha_postmaster_stop "$1"
}

api() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$(ha_api_port "$1")/$2" 2>/dev/null || true; }

# Sets HA_PRIMARY to the node Patroni's REST API calls primary; false when there is none.
ha_primary() {
  HA_PRIMARY=
  for n in $HA_PG_NODES; do [ "$(api "$n" primary)" = 200 ] && { HA_PRIMARY=$n; return 0; }; done
  return 1
}

# psql as the superuser on node n's socket, in database postgres: ha_psql n [psql arguments...]
ha_psql() {
  node=$1; shift
  harun "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HA_BASE/pg$node" -p "$(ha_pg_port "$node")" -U postgres -d postgres "$@"
}

# A primary, and a synchronous standby that has what it commits.
ha_db_ready() {
  ha_primary || return 1
  for n in $HA_PG_NODES; do [ "$(api "$n" sync)" = 200 ] && return 0; done
  return 1
}

# The database and its owner, made once, on the primary as the superuser.
ha_createdb() {
  ha_primary || die "no primary"
  n=$HA_PRIMARY
  owner_pw=$(head -n 1 "$HA_SECRETS/owner")
  if [ "$(ha_psql "$n" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_OWNER'")" != 1 ]; then
    say "creating role $DB_OWNER and database certgraph"
    # The password is hex from openssl rand: nothing in it needs quoting. CREATEROLE: the
    # migrations make the service's and the reporters' roles.
    ha_psql "$n" -c "CREATE ROLE $DB_OWNER"
  fi
  ha_psql "$n" -c "ALTER ROLE $DB_OWNER LOGIN CREATEROLE PASSWORD '$owner_pw'"
  if [ "$(ha_psql "$n" -tAc "SELECT 1 FROM pg_database WHERE datname = 'certgraph'")" != 1 ]; then
    ha_psql "$n" -c "CREATE DATABASE certgraph OWNER $DB_OWNER"
  fi
}

# Until every standby has replayed what the primary has written so far. A multi-host connection
# string tries the nodes in order, and a standby that has not yet replayed CREATE DATABASE or a
# role's password answers with an error libpq does not try the next node after.
ha_wait_replayed() {
  ha_primary || die "no primary"
  n=$HA_PRIMARY
  lsn=$(ha_psql "$n" -tAc "SELECT pg_current_wal_lsn()")
  for s in $HA_PG_NODES; do
    [ "$s" = "$n" ] && continue
    i=0
    until [ "$(ha_psql "$s" -tAc "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ]; do
      i=$((i + 1)); [ "$i" -lt 300 ] || die "PostgreSQL node $s has not replayed $lsn after 30 s"
      sleep 0.1
    done
  done
}

# ---- certgraph nodes -----------------------------------------------------------------------------

# Runs "$@" with the single-node stack's variables pointing at certgraph node i (on port p): its
# own var directory, socket, pid files and logs; the CA, server certificate and keys shared.
ha_in_node() { # i port command...
  i=$1; p=$2; shift 2
  (
    VAR=$HA_VAR/node$i; PORT=$p
    mkdir -p "$VAR"
    var_resolve
    for shared in tls keys; do [ -e "$VAR/$shared" ] || ln -s "../../$shared" "$VAR/$shared"; done
    CERTGRAPH_POOL_DB=$HA_SERVICE_DB CERTGRAPH_DB_PASSWORD_FILE=$HA_SECRETS/service
    export CERTGRAPH_POOL_DB CERTGRAPH_DB_PASSWORD_FILE
    case " $HA_STANDBY_READS " in *" $i "*) CERTGRAPH_DB_READ=$HA_READ_DB; export CERTGRAPH_DB_READ ;; esac
    "$@"
  )
}

ha_node_start() { pool_start; nginx_start; }
ha_node_stop() { nginx_stop; pool_stop; }

# ---- the commands --------------------------------------------------------------------------------

ha_up() {
  ha_check_settings
  lock
  tls_ensure
  keys_ensure
  pg_bin
  ha_place
  ha_hosts
  ha_etcd_start
  for n in $HA_PG_NODES; do ha_patroni_start "$n"; done
  i=0
  until ha_db_ready; do
    i=$((i + 1))
    [ "$i" -lt 120 ] || { ha_logs >&2; die "no primary with a synchronous standby after 60 s"; }
    sleep 0.5
  done
  ha_createdb
  ha_wait_replayed
  [ -x "$BUILD/certgraphctl" ] || die "$BUILD/certgraphctl is missing: run make"
  CERTGRAPH_DB=$HA_OWNER_DB CERTGRAPH_DB_PASSWORD_FILE=$HA_SECRETS/owner \
    CERTGRAPH_SERVICE_PASSWORD_FILE=$HA_SECRETS/service "$BUILD/certgraphctl" migrate 9>&- >/dev/null \
    || die "migrations failed"
  ha_wait_replayed
  k=0
  for p in $HA_PORTS; do k=$((k + 1)); ha_in_node "$k" "$p" ha_node_start; done
  unlock
}

ha_down() {
  [ -d "$VAR" ] || return 0
  ha_check_settings
  lock
  ha_locate
  ha_hosts
  pg_bin
  k=0
  for p in $HA_PORTS; do
    k=$((k + 1))
    [ -d "$HA_VAR/node$k" ] && ha_in_node "$k" "$p" ha_node_stop
  done
  # the standbys first, so the primary is not left waiting for a synchronous one
  if ha_primary; then primary=$HA_PRIMARY; else primary=; fi
  for n in $HA_PG_NODES; do [ "$n" = "$primary" ] || ha_patroni_stop "$n"; done
  [ -z "$primary" ] || ha_patroni_stop "$primary"
  ha_etcd_stop
  unlock
}

ha_env() {
  ha_check_settings
  ha_locate
  urls=; patroni=; dirs=
  for p in $HA_PORTS; do urls=${urls:+$urls }https://127.0.0.1:$p; done
  for n in $HA_PG_NODES; do
    patroni=${patroni:+$patroni }http://127.0.0.1:$(ha_api_port "$n")
    dirs=${dirs:+$dirs }$HA_BASE/pg$n/data
  done
  ha_hosts
  cat <<EOF
CERTGRAPH_URLS='$urls'
CERTGRAPH_CA='$VAR/tls/ca.crt'
CERTGRAPH_CTL='$BUILD/certgraphctl'
CERTGRAPH_JWT_SIGNING_KEY='$VAR/keys/dev.key'
PATRONI_URLS='$patroni'
PG_DATA_DIRS='$dirs'
PATRONI_CONFIGS='$(for n in $HA_PG_NODES; do printf '%s ' "$HA_BASE/pg$n/patroni.yml"; done | sed 's/ $//')'
CERTGRAPH_DB='$HA_OWNER_DB'
CERTGRAPH_DB_PASSWORD_FILE='$HA_SECRETS/owner'
EOF
}

ha_status() {
  ha_locate
  ha_hosts
  ok=0
  if ha_etcd_running; then echo "etcd       running  127.0.0.1:$HA_ETCD_PORT"; else echo "etcd       stopped"; ok=1; fi
  for n in $HA_PG_NODES; do
    role=stopped
    if ha_patroni_running "$n"; then
      role=$(curl -s --max-time 1 "http://127.0.0.1:$(ha_api_port "$n")/patroni" 2>/dev/null \
               | sed -n 's/.*"role": *"\([a-z_]*\)".*/\1/p')
      [ -n "$role" ] || role=unknown
    else ok=1; fi
    echo "postgres$n  $role  127.0.0.1:$(ha_pg_port "$n")  (Patroni :$(ha_api_port "$n"))"
  done
  k=0
  for p in $HA_PORTS; do
    k=$((k + 1))
    if [ -d "$HA_VAR/node$k" ] && ha_in_node "$k" "$p" pool_running && ha_in_node "$k" "$p" nginx_running; then
      echo "node$k      running  https://127.0.0.1:$p"
    else echo "node$k      stopped  https://127.0.0.1:$p"; ok=1; fi
  done
  return $ok
}

ha_logs() {
  ha_locate
  for f in "$HA_BASE/etcd/etcd.log" "$HA_BASE"/pg*/log/patroni.log "$HA_BASE"/pg*/log/patroni.out \
           "$HA_VAR"/node*/log/certgraphd.log "$HA_VAR"/node*/nginx/error.log; do
    [ -s "$f" ] || continue
    echo "===== $f (last 40 lines)"
    tail -n 40 "$f"
  done
}
