#!/bin/sh
# certgraph development stack: dev TLS material and signing key, a private PostgreSQL cluster,
# the certgraphd FastCGI pool and nginx in front, all kept under $CERTGRAPH_VAR.
#
#   sh scripts/stack.sh run       start everything, stay in the foreground; Ctrl-C/TERM stops it all
#   sh scripts/stack.sh up        start what is not running yet, in the background, print how to use it
#   sh scripts/stack.sh down      stop whatever is running (also a half-started stack)
#   sh scripts/stack.sh status    what runs; exit 0 only when all of it does
#   sh scripts/stack.sh pg-stop | pg-start       stop/start only PostgreSQL (integration tests)
#   sh scripts/stack.sh pool-stop | pool-start   stop/start only certgraphd (integration tests)
#   sh scripts/stack.sh env       KEY='value' lines describing a running stack (for scripts)
#   sh scripts/stack.sh logs      the tail of every log
#   sh scripts/stack.sh init      only make the dev CA, server certificate and signing key (docker/)
#   sh scripts/stack.sh destroy   down, then delete $CERTGRAPH_VAR and the cluster (throwaway stacks)
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
# TLS: a development CA and a server certificate for 127.0.0.1 and localhost.

tls_ensure() {
  d=$VAR/tls
  mkdir -p "$d"
  if [ ! -s "$d/ca.crt" ] || [ ! -s "$d/ca.key" ]; then
    say "creating the development CA in $d"
    rm -f "$d/ca.crt" "$d/ca.key" "$d/server.crt" "$d/server.key"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -subj "/CN=certgraph development CA" -keyout "$d/ca.key.new" -out "$d/ca.crt.new" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>"$d/openssl.err") \
      || { cat "$d/openssl.err" >&2; die "openssl could not make the CA"; }
    chmod 644 "$d/ca.crt.new"
    mv "$d/ca.key.new" "$d/ca.key"; mv "$d/ca.crt.new" "$d/ca.crt"
  fi
  # (Re)issue the server certificate when missing, not from this CA, or within a week of expiry.
  if [ -s "$d/server.crt" ] && [ -s "$d/server.key" ] \
     && openssl verify -CAfile "$d/ca.crt" "$d/server.crt" >/dev/null 2>&1 \
     && openssl x509 -checkend 604800 -noout -in "$d/server.crt" >/dev/null 2>&1; then
    return 0
  fi
  say "issuing the server certificate (IP:127.0.0.1, DNS:localhost)"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$d/server.ext"
  (umask 077 && openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
      -keyout "$d/server.key.new" -out "$d/server.csr" 2>"$d/openssl.err" \
    && openssl x509 -req -sha256 -days 397 -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$d/server.ext" -out "$d/server.crt.new" 2>>"$d/openssl.err") \
    || { cat "$d/openssl.err" >&2; die "openssl could not issue the server certificate"; }
  chmod 644 "$d/server.crt.new"
  mv "$d/server.key.new" "$d/server.key"; mv "$d/server.crt.new" "$d/server.crt"
  rm -f "$d/server.csr" "$d/server.ext" "$d/openssl.err"
}

# Dev token signing key (RS256): certgraphd verifies with dev.pub, certgraphctl token signs with dev.key.
keys_ensure() {
  d=$VAR/keys
  mkdir -p "$d"
  if [ ! -s "$d/dev.key" ]; then
    say "creating the development signing key $d/dev.key"
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/dev.key.new" 2>/dev/null) \
      || die "openssl could not make the signing key"
    mv "$d/dev.key.new" "$d/dev.key"
    rm -f "$d/dev.pub"
  fi
  if [ ! -s "$d/dev.pub" ]; then
    openssl pkey -in "$d/dev.key" -pubout -out "$d/dev.pub.new" && mv "$d/dev.pub.new" "$d/dev.pub"
  fi
  # The $skiptoken signing secret; replacing it invalidates every outstanding nextLink.
  if [ ! -s "$d/skiptoken.key" ]; then
    (umask 077 && openssl rand 32 > "$d/skiptoken.key.new") && mv "$d/skiptoken.key.new" "$d/skiptoken.key"
  fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: a private cluster, unix socket only, trust auth inside a directory only its owner
# (and root) can enter. As root it runs as "postgres", which must reach the data directory.

pg_bin() {
  PG_BIN=
  for d in "${CERTGRAPH_PG_BIN:-}" "$(pg_config --bindir 2>/dev/null || true)" \
           $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4nr); do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then PG_BIN=$d; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1; then PG_BIN=$(dirname "$(command -v initdb)"); return 0; fi
  die "PostgreSQL server programs (initdb, pg_ctl) not found: run scripts/deps.sh"
}

# As root every PostgreSQL program runs as "postgres", from /, with no descriptor but 0-2.
pgrun() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    "$@" 9>&-
  fi
}

# Sets PGBASE (cluster home: data/, run/ (socket), log/). $VAR/pg.location remembers it.
pg_locate() {
  if [ -s "$VAR/pg.location" ]; then PGBASE=$(head -n 1 "$VAR/pg.location"); else PGBASE=$VAR/pg; fi
  PGDATA=$PGBASE/data; PGRUN=$PGBASE/run; PGLOG=$PGBASE/log/postgresql.log
}

# First start: choose where the cluster lives.
pg_place() {
  [ -s "$VAR/pg.location" ] && { pg_locate; return 0; }
  PGBASE=$VAR/pg
  sockpath=$PGBASE/run/.s.PGSQL.$PG_PORT
  if { is_root && ! (cd / && runuser -u postgres -- test -x "$VAR"); } || [ "${#sockpath}" -ge 100 ]; then
    # e.g. a checkout under /root: "postgres" cannot get there. A private directory in /tmp instead.
    PGBASE=/tmp/certgraph-pg-$(printf '%s' "$VAR" | sha256sum | cut -c1-16)
    say "postgres cannot use $VAR (or the socket path is too long); the cluster lives in $PGBASE"
    if [ ! -e "$PGBASE" ]; then
      mkdir -m 700 "$PGBASE" || die "cannot create $PGBASE"
    fi
    [ -d "$PGBASE" ] && [ ! -L "$PGBASE" ] || die "$PGBASE is not a plain directory"
    owner=$(stat -c %U "$PGBASE")
    { [ "$owner" = "$(id -un)" ] || [ "$owner" = postgres ]; } || die "$PGBASE belongs to $owner; remove it"
  fi
  printf '%s\n' "$PGBASE" > "$VAR/pg.location"
  pg_locate
}

# The running postmaster's pid, socket directory and port, from postmaster.pid (lines 1, 5, 4).
pg_pidline() { sed -n "${1}p" "$PGDATA/postmaster.pid" 2>/dev/null || true; }
pg_running() {
  [ -f "$PGDATA/postmaster.pid" ] || return 1
  pp=$(pg_pidline 1 | tr -dc 0-9)
  alive "$pp" || return 1
  # A stale postmaster.pid (after a reboot) may name a recycled pid.
  case $(tr '\0' ' ' < "/proc/$pp/cmdline" 2>/dev/null) in *postgres*|*postmaster*) return 0;; esac
  return 1
}
pg_conninfo() {
  host=$PGRUN; port=$PG_PORT
  if pg_running; then
    pgh=$(pg_pidline 5); pgp=$(pg_pidline 4 | tr -dc 0-9)
    [ -n "$pgh" ] && host=$pgh; [ -n "$pgp" ] && port=$pgp
  fi
  CONNINFO="host=$host port=$port dbname=certgraph user=$DB_OWNER"
  # The workers connect as the role the migrations made for them: it owns nothing.
  SERVICE_CONNINFO="host=$host port=$port dbname=certgraph user=$DB_SERVICE_ROLE"
  PG_HOST=$host; PG_SOCK_PORT=$port
}

pg_start() {
  pg_bin
  pg_place
  mkdir -p "$PGBASE/run" "$PGBASE/log"
  if is_root; then chown postgres:postgres "$PGBASE" "$PGBASE/run" "$PGBASE/log"; fi
  chmod 700 "$PGBASE" "$PGBASE/run"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    say "initdb $PGDATA"
    [ -d "$PGDATA" ] && rm -rf "$PGDATA"
    pgrun "$PG_BIN/initdb" -D "$PGDATA" -U certgraph --auth=trust -E UTF8 --locale=C \
      > "$PGBASE/log/initdb.log" 2>&1 || { cat "$PGBASE/log/initdb.log" >&2; die "initdb failed"; }
    printf "\n# certgraph: stack.sh rewrites this file on every start\ninclude_if_exists = 'certgraph.conf'\n" \
      | pgrun sh -c "cat >> '$PGDATA/postgresql.conf'"
  fi
  maxconn=$((WORKERS + 40)); [ "$maxconn" -ge 100 ] || maxconn=100
  # Durability stays as PostgreSQL ships it (fsync, synchronous_commit on). Log lines lead with
  # key=value; terse, because a DETAIL can quote a failing row, certificate bytes and all.
  printf '%s\n' "listen_addresses = ''" "port = $PG_PORT" "unix_socket_directories = '$PGRUN'" \
    "unix_socket_permissions = 0700" "max_connections = $maxconn" "fsync = on" "synchronous_commit = on" \
    "log_line_prefix = 'ts=\"%m\" component=postgres pid=%p user=%u db=%d msg='" \
    "log_error_verbosity = terse" \
    | pgrun sh -c "cat > '$PGDATA/certgraph.conf'"
  if ! pg_running; then
    say "starting PostgreSQL ($PGRUN, port $PG_PORT)"
    pgrun "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null \
      || { tail -n 30 "$PGLOG" >&2 2>/dev/null; die "PostgreSQL did not start (log: $PGLOG)"; }
  fi
  pg_conninfo
}

pg_createdb() {
  pg_conninfo
  psql=$PG_BIN/psql; [ -x "$psql" ] || psql=psql
  have=$("$psql" -X -q -t -A -h "$PG_HOST" -p "$PG_SOCK_PORT" -U certgraph -d postgres \
           -c "select 1 from pg_database where datname = 'certgraph'" 9>&-) \
    || die "cannot connect to PostgreSQL at $PG_HOST port $PG_SOCK_PORT"
  if [ "$have" != 1 ]; then
    say "creating database certgraph"
    createdb=$PG_BIN/createdb; [ -x "$createdb" ] || createdb=createdb
    "$createdb" -h "$PG_HOST" -p "$PG_SOCK_PORT" -U certgraph -O certgraph -E UTF8 certgraph 9>&- \
      || die "createdb failed"
  fi
}

pg_stop() {
  pg_locate
  [ -d "$PGDATA" ] || return 0
  if pg_running; then
    pg_bin
    say "stopping PostgreSQL"
    pgrun "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null || say "pg_ctl stop failed (log: $PGLOG)"
  fi
}

# ---------------------------------------------------------------------------------------------
# certgraphd, the prefork FastCGI pool.

pool_running() { pid_runs "$POOL_PID" certgraphd; }

pool_start() {
  pool_running && return 0
  [ -x "$BUILD/certgraphd" ] || die "$BUILD/certgraphd is missing: run make"
  mkdir -p "$VAR/run" "$VAR/log"
  rm -f "$SOCK" "$POOL_PID"
  pg_conninfo
  say "starting certgraphd ($WORKERS workers, $SOCK)"
  printf 'ts=%s level=info component=stack pid=%s event=pool_start workers=%s\n' \
    "$(date -u '+%Y-%m-%dT%H:%M:%S.000Z')" "$$" "$WORKERS" >> "$VAR/log/certgraphd.log"
  # Its own session: the terminal's Ctrl-C reaches this script, which stops things in order.
  # Absolute URLs name the origin the stack serves (an empty CERTGRAPH_PUBLIC_URL: from the Host).
  CERTGRAPH_PUBLIC_URL=${CERTGRAPH_PUBLIC_URL-https://127.0.0.1:$PORT} \
  CERTGRAPH_DB=$SERVICE_CONNINFO CERTGRAPH_LISTEN=$SOCK CERTGRAPH_WORKERS=$WORKERS \
  CERTGRAPH_JWT_KEYS=$VAR/keys/dev.pub CERTGRAPH_SKIPTOKEN_KEY=$VAR/keys/skiptoken.key \
    setsid "$BUILD/certgraphd" >> "$VAR/log/certgraphd.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$POOL_PID"
  i=0
  until [ -S "$SOCK" ]; do
    if ! alive "$(pid_of "$POOL_PID")" || [ "$i" -ge 150 ]; then
      tail -n 30 "$VAR/log/certgraphd.log" >&2
      pool_stop
      die "certgraphd did not open $SOCK (log: $VAR/log/certgraphd.log)"
    fi
    sleep 0.1; i=$((i + 1))
  done
}

pool_stop() {
  p=$(pid_of "$POOL_PID")
  if pool_running; then
    say "stopping certgraphd (draining)"
    kill -TERM "$p" 2>/dev/null || true
    if ! wait_gone "$p" 30; then
      say "certgraphd did not drain in 30 s; killing its process group"
      kill -KILL "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
      wait_gone "$p" 5 || true
    fi
  fi
  # Workers outliving their master (a crash): the master was started as a session leader, and
  # Linux does not hand out a pid again while a process group of that id exists, so the group
  # -$p is still ours. (dash's kill takes no "--": a negative pid goes right after the signal.)
  if [ -n "$p" ] && kill -0 "-$p" 2>/dev/null; then
    say "certgraphd workers outlived their master; stopping them"
    kill -TERM "-$p" 2>/dev/null || true
    i=0
    while kill -0 "-$p" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "-$p" 2>/dev/null || true
  fi
  rm -f "$POOL_PID" "$SOCK"
}

# ---------------------------------------------------------------------------------------------
# nginx

nginx_running() { pid_runs "$NGINX_PID" nginx; }

# nginx workers and upstream keep-alive: each idle kept connection pins a libfcgi worker, per nginx
# worker, so keepalive x nginx workers stays at a quarter of the pool; tiny pools keep none.
nginx_sizes() {
  NGINX_WORKERS=${CERTGRAPH_NGINX_WORKERS:-}
  if [ -z "$NGINX_WORKERS" ]; then
    NGINX_WORKERS=$((WORKERS / 4))
    [ "$NGINX_WORKERS" -ge 1 ] || NGINX_WORKERS=1
    [ "$NGINX_WORKERS" -le "$NPROC" ] || NGINX_WORKERS=$NPROC
  fi
  KEEPALIVE=${CERTGRAPH_KEEPALIVE:-$((WORKERS / (4 * NGINX_WORKERS)))}
  is_uint "$NGINX_WORKERS" && [ "$NGINX_WORKERS" -ge 1 ] || die "bad CERTGRAPH_NGINX_WORKERS"
  is_uint "$KEEPALIVE" || die "bad CERTGRAPH_KEEPALIVE"
  [ "$((KEEPALIVE * NGINX_WORKERS))" -lt "$WORKERS" ] \
    || die "keepalive $KEEPALIVE x $NGINX_WORKERS nginx workers would pin all $WORKERS pool workers"
}

nginx_render() {
  nginx_sizes
  tpl=$ROOT/nginx/certgraph.conf.in
  [ -r "$tpl" ] || die "missing $tpl"
  mkdir -p "$VAR/nginx/tmp" "$VAR/nginx/authcache"
  chmod 700 "$VAR/nginx/authcache"   # cache keys are bearer tokens
  if is_root; then userexpr='s|@USER@|root|g'; else userexpr='/^user @USER@;/d'; fi
  if [ "$KEEPALIVE" -ge 1 ]; then kaexpr="s|@KEEPALIVE@|$KEEPALIVE|g"; else kaexpr='/keepalive @KEEPALIVE@;/d'; fi
  sed -e "$userexpr" -e "$kaexpr" \
      -e "s|@VAR@|$VAR|g" -e "s|@PORT@|$PORT|g" -e "s|@FCGI_SOCKET@|$SOCK|g" \
      -e "s|@NGINX_WORKERS@|$NGINX_WORKERS|g" "$tpl" > "$NGINX_CONF.new"
  if grep -n '@[A-Z_][A-Z_]*@' "$NGINX_CONF.new" >&2; then die "unrendered placeholders in $tpl"; fi
  mv "$NGINX_CONF.new" "$NGINX_CONF"
}

nginx_cmd() { TZ=UTC nginx -p "$VAR/nginx/" -e "$VAR/nginx/error.log" -c "$NGINX_CONF" "$@"; }

# Something else answering on the port would pass nginx_start's readiness check for us.
port_free() {
  if curl -s -o /dev/null --max-time 2 -k "https://127.0.0.1:$PORT/" 2>/dev/null \
     || curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null; then
    die "127.0.0.1:$PORT is already in use (choose another CERTGRAPH_PORT)"
  fi
}

nginx_start() {
  nginx_running && return 0
  command -v nginx >/dev/null 2>&1 || die "nginx is not installed: run scripts/deps.sh"
  nginx_render
  nginx_cmd -t -q 9>&- || die "nginx rejected $NGINX_CONF"
  port_free
  rm -f "$NGINX_PID"
  say "starting nginx on 127.0.0.1:$PORT ($NGINX_WORKERS workers, upstream keepalive $KEEPALIVE)"
  TZ=UTC setsid nginx -p "$VAR/nginx/" -e "$VAR/nginx/error.log" -c "$NGINX_CONF" \
    >> "$VAR/log/nginx.out" 2>&1 < /dev/null 9>&- &
  npid=$!
  i=0
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$VAR/tls/ca.crt" \
             "https://127.0.0.1:$PORT/" 2>/dev/null) || true
    case $code in [1-5][0-9][0-9]) alive "$npid" && break;; esac
    if ! alive "$npid" || [ "$i" -ge 100 ]; then
      tail -n 20 "$VAR/nginx/error.log" "$VAR/log/nginx.out" >&2 2>/dev/null || true
      alive "$npid" && kill -TERM "$npid" 2>/dev/null
      die "nginx did not answer on 127.0.0.1:$PORT"
    fi
    sleep 0.1; i=$((i + 1))
  done
}

nginx_stop() {
  p=$(pid_of "$NGINX_PID")
  if nginx_running; then
    say "stopping nginx"
    kill -QUIT "$p" 2>/dev/null || true          # graceful: finishes requests in flight
    if ! wait_gone "$p" 15; then
      kill -TERM "$p" 2>/dev/null || true
      wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null || true
    fi
  fi
  rm -f "$NGINX_PID"
}

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
    lock; tls_ensure; keys_ensure; unlock
    echo "CA $VAR/tls/ca.crt, server certificate $VAR/tls/server.crt, signing key $VAR/keys/dev.key (public: $VAR/keys/dev.pub)"
    ;;
  destroy) destroy ;;
  *) echo "usage: $0 run|up|down|status|pg-stop|pg-start|pool-stop|pool-start|env|logs|init|destroy" >&2; exit 2 ;;
esac
