#!/bin/sh
# A PostgreSQL node under Patroni for docker/docker-compose.ha.yml: Patroni's configuration made from
# the environment (PATRONI_NAME, ETCD_HOSTS) and the secrets (/run/secrets/pg_superuser_password,
# pg_replication_password, pg_password: the certgraph owner's), with the measured fast timings and
# synchronous replication of the loopback stack (scripts/stack/ha.sh); then Patroni, as postgres.
set -eu
: "${PATRONI_NAME:?}" "${ETCD_HOSTS:=etcd:2379}"
data=/var/lib/postgresql/data
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$data" /run/postgresql
  chown -R postgres:postgres "$data" /run/postgresql
  chmod 700 "$data"
  exec setpriv --reuid=postgres --regid=postgres --init-groups sh "$0" "$@"
fi
secret() { head -n 1 "/run/secrets/$1"; }
conf=/run/postgresql/patroni.yml
bootstrap=/run/postgresql/post-bootstrap.sh
# the certgraph database and its owner, once, on the node that initialises the cluster
cat > "$bootstrap" <<SH
#!/bin/sh
set -e
psql -X -q -v ON_ERROR_STOP=1 "\$1" -c "CREATE ROLE certgraph LOGIN CREATEROLE PASSWORD '$(secret pg_password)'" \
  -c "CREATE DATABASE certgraph OWNER certgraph"
SH
chmod 700 "$bootstrap"
umask 077
cat > "$conf" <<YML
scope: certgraph
name: $PATRONI_NAME
restapi:
  listen: 0.0.0.0:8008
  connect_address: $PATRONI_NAME:8008
etcd3:
  hosts: $ETCD_HOSTS
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    primary_start_timeout: 0
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        log_line_prefix: 'ts="%m" component=postgres pid=%p user=%u db=%d msg='
        log_error_verbosity: terse
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  pg_hba:
    - local all all trust
    - host replication replicator all scram-sha-256
    - host all all all scram-sha-256
  post_bootstrap: $bootstrap
postgresql:
  listen: 0.0.0.0:5432
  connect_address: $PATRONI_NAME:5432
  data_dir: $data
  bin_dir: /usr/lib/postgresql/15/bin
  pgpass: /run/postgresql/pgpass
  parameters:
    unix_socket_directories: /run/postgresql
    password_encryption: scram-sha-256
  authentication:
    superuser: {username: postgres, password: '$(secret pg_superuser_password)'}
    replication: {username: replicator, password: '$(secret pg_replication_password)'}
    rewind: {username: rewinder, password: '$(secret pg_replication_password)'}
watchdog:
  mode: 'off'
YML
exec patroni "$conf"
