# PostgreSQL: a private cluster on a unix socket.
# Sourced by scripts/stack.sh, which sets ROOT, VAR, the paths and say/die/alive/pid_runs.

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
