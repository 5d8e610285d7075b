#!/bin/sh
# certgraph development stack: dev TLS material and signing key, a private PostgreSQL cluster,
# the certgraphd FastCGI pool and nginx in front, all kept under $CERTGRAPH_VAR. This file is the
# driver (settings, process bookkeeping, the commands below); each concern is a piece of its own in
# scripts/stack/: tls.sh (CA, server certificate, token keys), pg.sh, pool.sh, nginx.sh, and ha.sh
# (several nodes on Patroni, composed from the same pool and nginx pieces).
#
#   sh scripts/stack.sh run       start everything, stay in the foreground; Ctrl-C/TERM stops it all
#   sh scripts/stack.sh up        start what is not running yet, in the background, print how to use it
#   sh scripts/stack.sh down      stop whatever is running (also a half-started stack)
#   sh scripts/stack.sh status    what runs; exit 0 only when all of it does
#   sh scripts/stack.sh pg-stop | pg-start       stop/start only PostgreSQL (integration tests)
#   sh scripts/stack.sh pool-stop | pool-start   stop/start only certgraphd (integration tests)
#   sh scripts/stack.sh env       KEY='value' lines describing a running stack (for scripts)
#   sh scripts/stack.sh logs      the tail of every log
#   sh scripts/stack.sh init      only make the dev CA, server certificate, signing key and the compose
#                                 stack's database passwords (docker/)
#   sh scripts/stack.sh destroy   down, then delete $CERTGRAPH_VAR and the cluster (throwaway stacks)
#   sh scripts/stack.sh ha-up | ha-down | ha-status | ha-env | ha-logs
#                                 etcd, two PostgreSQL nodes under Patroni and two certgraph nodes
#                                 (scripts/stack/ha.sh; README "Running several nodes")
#
# Environment: CERTGRAPH_VAR (default <repo>/var), CERTGRAPH_PORT (8443), CERTGRAPH_WORKERS
# (4 x nproc), CERTGRAPH_PG_PORT (54329; names the unix socket, PostgreSQL listens on no TCP port),
# BUILD (build), and for benchmarking CERTGRAPH_NGINX_WORKERS and CERTGRAPH_KEEPALIVE.
set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

say() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
is_uint() { case $1 in ''|*[!0-9]*) return 1;; esac; }

VAR=${CERTGRAPH_VAR:-$ROOT/var}
PORT=${CERTGRAPH_PORT:-8443}
NPROC=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
WORKERS=${CERTGRAPH_WORKERS:-$((4 * NPROC))}   # measured: README, "Pool size"
PG_PORT=${CERTGRAPH_PG_PORT:-54329}
DB_OWNER=certgraph                 # made by initdb; owns the schema, runs the migrations
DB_SERVICE_ROLE=certgraph_service  # made by the migrations; what certgraphd connects as
BUILD=${BUILD:-build}

for n in "$PORT" "$WORKERS" "$PG_PORT"; do is_uint "$n" || die "not a number: '$n'"; done
[ "$WORKERS" -ge 1 ] || die "CERTGRAPH_WORKERS must be at least 1"

# A relative BUILD is taken from the current directory when it exists there, else from the repo.
case $BUILD in
  /*) ;;
  *) if [ -d "$BUILD" ]; then BUILD=$(cd "$BUILD" && pwd); else BUILD=$ROOT/$BUILD; fi ;;
esac

# Paths go into nginx's and PostgreSQL's configuration and into sed: keep them to a plain alphabet.
var_resolve() {
  case $VAR in /*) ;; *) VAR=$(pwd)/$VAR ;; esac
  case $VAR in
    *[!A-Za-z0-9._/+,=~-]*) die "CERTGRAPH_VAR '$VAR' has characters this script does not quote; choose a plainer path" ;;
  esac
  if [ -d "$VAR" ]; then VAR=$(cd "$VAR" && pwd -P); fi
  SOCK=$VAR/run/certgraph.sock
  POOL_PID=$VAR/run/certgraphd.pid
  NGINX_CONF=$VAR/nginx/nginx.conf
  NGINX_PID=$VAR/nginx/nginx.pid
  # sun_path holds 108 bytes with its NUL.
  [ "${#SOCK}" -lt 100 ] || die "socket path too long for a unix socket: $SOCK (use a shorter CERTGRAPH_VAR)"
}

# ---------------------------------------------------------------------------------------------
# Processes: the script records each pid and only ever signals those pids (or, for the pool
# master it started in its own session, that process group while the master still lives).

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -s "$1" ] && head -n 1 "$1" | tr -dc 0-9 || true; }
# The pid in $1 is alive and runs the program named $2 (guards against a recycled pid).
pid_runs() {
  p=$(pid_of "$1")
  alive "$p" || return 1
  case $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) in *"$2"*) return 0;; esac
  return 1
}
wait_gone() { # pid seconds
  i=0
  while alive "$1"; do
    [ "$i" -ge "$(($2 * 10))" ] && return 1
    sleep 0.1; i=$((i + 1))
  done
}

lock() {
  mkdir -p "$VAR"
  exec 9>"$VAR/.stack.lock"
  flock -w 300 9 || die "another stack.sh holds $VAR/.stack.lock"
}
unlock() { exec 9>&-; }

# ---------------------------------------------------------------------------------------------
# One file per concern: the several-node stack of a later issue composes the same pieces.
for piece in tls pg pool nginx ha; do
  # shellcheck source=/dev/null
  . "$ROOT/scripts/stack/$piece.sh"
done

# ---------------------------------------------------------------------------------------------

stack_up() {
  lock
  nginx_running || port_free
  tls_ensure
  keys_ensure
  mkdir -p "$VAR/run" "$VAR/log"
  pg_start
  pg_createdb
  [ -x "$BUILD/certgraphctl" ] || die "$BUILD/certgraphctl is missing: run make"
  CERTGRAPH_DB=$CONNINFO "$BUILD/certgraphctl" migrate 9>&- || die "migrations failed"
  pool_start
  nginx_start
  unlock
}

stack_down() {
  [ -d "$VAR" ] || return 0
  lock
  nginx_stop        # first: no new requests reach the pool
  pool_stop         # drains requests in flight
  pg_stop
  unlock
}

print_info() {
  pg_locate
  pg_conninfo
  token=$(CERTGRAPH_JWT_SIGNING_KEY=$VAR/keys/dev.key "$BUILD/certgraphctl" token 2>/dev/null) || token=
  base=https://127.0.0.1:$PORT
  cat <<EOF

certgraph is up
  API      $base/beta   $base/v1.0
  CA       $VAR/tls/ca.crt
  database $CONNINFO   (the owner, $DB_OWNER)
  service  $SERVICE_CONNINFO   (the workers' role, $DB_SERVICE_ROLE)
  logs     $VAR/log/certgraphd.log  $VAR/nginx/error.log  $VAR/nginx/access.log  $PGLOG
EOF
  if [ -n "$token" ]; then
    cat <<EOF
  token    $token

  curl --cacert $VAR/tls/ca.crt -H "Authorization: Bearer \$TOKEN" \\
       $base/beta/deviceAppManagement/enterpriseCodeSigningCertificates
  (TOKEN is the token above; make another: CERTGRAPH_JWT_SIGNING_KEY=$VAR/keys/dev.key $BUILD/certgraphctl token)
EOF
  else
    echo "  token    (certgraphctl token failed: CERTGRAPH_JWT_SIGNING_KEY=$VAR/keys/dev.key $BUILD/certgraphctl token)"
  fi
  echo
}

status() {
  ok=0
  if [ -d "$VAR" ]; then
    pg_locate
    if pg_running; then pg_conninfo; echo "postgres   running  pid $(pg_pidline 1)  $CONNINFO"; else echo "postgres   stopped"; ok=1; fi
    if pool_running; then echo "certgraphd running  pid $(pid_of "$POOL_PID")  $SOCK"; else echo "certgraphd stopped"; ok=1; fi
    if nginx_running; then echo "nginx      running  pid $(pid_of "$NGINX_PID")  https://127.0.0.1:$PORT"; else echo "nginx      stopped"; ok=1; fi
  else
    echo "no stack in $VAR"; ok=1
  fi
  return $ok
}

# Single-quoted for eval: values come from this script (plain-alphabet paths).
env_lines() {
  pg_locate
  pg_conninfo
  cat <<EOF
CERTGRAPH_VAR='$VAR'
CERTGRAPH_URL='https://127.0.0.1:$PORT'
CERTGRAPH_CA='$VAR/tls/ca.crt'
CERTGRAPH_DB='$CONNINFO'
CERTGRAPH_DB_SERVICE='$SERVICE_CONNINFO'
CERTGRAPH_DB_OWNER='$DB_OWNER'
CERTGRAPH_DB_SERVICE_ROLE='$DB_SERVICE_ROLE'
CERTGRAPH_PIDFILE='$POOL_PID'
CERTGRAPH_JWT_SIGNING_KEY='$VAR/keys/dev.key'
CERTGRAPH_JWT_KEYS='$VAR/keys/dev.pub'
CERTGRAPH_CTL='$BUILD/certgraphctl'
CERTGRAPH_PGLOG='$PGLOG'
EOF
}

logs() {
  pg_locate
  for f in "$VAR/log/certgraphd.log" "$VAR/nginx/error.log" "$VAR/log/nginx.out" "$PGLOG"; do
    [ -s "$f" ] || continue
    echo "===== $f (last 60 lines)"
    tail -n 60 "$f"
  done
}

destroy() {
  stack_down
  [ -d "$VAR" ] || return 0
  pg_locate
  case $PGBASE in /tmp/certgraph-pg-*) rm -rf "$PGBASE";; esac
  rm -rf "$VAR"
}

cmd=${1:-}
var_resolve
case $cmd in
  up)
    ( stack_up ) || die "start failed; see above ('sh scripts/stack.sh logs'), then 'sh scripts/stack.sh down'"
    print_info
    ;;
  run)
    trap 'trap - INT TERM HUP; say "stopping"; stack_down; exit 1' INT TERM HUP
    # A failed start stops whatever it had started.
    ( stack_up ) || { say "start failed; stopping what had started"; stack_down; exit 1; }
    print_info
    trap 'trap - INT TERM HUP; echo >&2; say "stopping"; stack_down; exit 0' INT TERM HUP
    say "running in the foreground; Ctrl-C stops everything"
    while :; do
      sleep 2 & wait $! || true
      pg_locate
      if ! nginx_running || ! pool_running || ! pg_running; then
        say "a component stopped:"; status >&2 || true
        trap - INT TERM HUP; stack_down; exit 1
      fi
    done
    ;;
  down) stack_down ;;
  status) status ;;
  pg-stop) [ -d "$VAR" ] || exit 0; pg_stop ;;
  pg-start) mkdir -p "$VAR"; pg_start ;;
  pool-stop) [ -d "$VAR" ] || exit 0; pool_stop ;;
  pool-start) [ -d "$VAR" ] || die "no stack in $VAR"; pg_locate; pool_start ;;
  env) env_lines ;;
  logs) logs ;;
  init)
    lock; tls_ensure; keys_ensure; secrets_ensure; unlock
    echo "CA $VAR/tls/ca.crt, server certificate $VAR/tls/server.crt, signing key $VAR/keys/dev.key (public: $VAR/keys/dev.pub), database passwords in $VAR/secrets/"
    ;;
  destroy) destroy ;;
  ha-up)
    ( ha_up ) || die "the several-node stack did not start; see above ('sh scripts/stack.sh ha-logs'), then 'sh scripts/stack.sh ha-down'"
    ha_status
    ;;
  ha-down) ha_down ;;
  ha-status) ha_status ;;
  ha-env) ha_env ;;
  ha-logs) ha_logs ;;
  *) echo "usage: $0 run|up|down|status|pg-stop|pg-start|pool-stop|pool-start|env|logs|init|destroy|ha-up|ha-down|ha-status|ha-env|ha-logs" >&2; exit 2 ;;
esac
