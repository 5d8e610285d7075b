#!/bin/sh
# PostgreSQL 15 from Debian's packages for the compose stack: on an empty data volume, initdb with
# the owner role and its password (POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD), the database
# POSTGRES_DB and password authentication over TCP; then the server in the foreground, as postgres.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}" "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ "$(id -u)" = 0 ]; then
  # a fresh named volume belongs to root: hand it to postgres, then drop to it
  mkdir -p "$PGDATA" /run/postgresql
  chown -R postgres:postgres "$PGDATA" /run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups sh "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then pw=$(cat "$POSTGRES_PASSWORD_FILE"); else pw=${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE}; fi
  pwfile=$(mktemp)
  printf '%s\n' "$pw" > "$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf '%s\n' "listen_addresses = '*'" "log_line_prefix = 'ts=\"%m\" component=postgres pid=%p user=%u db=%d msg='" \
    "log_error_verbosity = terse" >> "$PGDATA/postgresql.conf"
  printf '%s\n' "local all all scram-sha-256" "host all all all scram-sha-256" > "$PGDATA/pg_hba.conf"
  # the database, on a server that listens on its socket only until it is made
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    PGPASSWORD=$pw psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
      -c "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\""
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA"
