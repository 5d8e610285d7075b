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
. /opt/certgraph/scripts/patroni-conf.sh
PC_NAME=$PATRONI_NAME PC_API=0.0.0.0:8008 PC_API_ADDR=$PATRONI_NAME:8008 PC_ETCD=$ETCD_HOSTS \
PC_PG=0.0.0.0:5432 PC_PG_ADDR=$PATRONI_NAME:5432 PC_DATA=$data PC_BIN=/usr/lib/postgresql/15/bin \
PC_RUN=/run/postgresql PC_NET=all PC_LOCALE=C.UTF-8 PC_LOG_DIR= PC_POST_BOOTSTRAP=$bootstrap \
PC_SUPERUSER_PW=$(secret pg_superuser_password) PC_REPLICATION_PW=$(secret pg_replication_password) \
PC_REWIND_PW=$(secret pg_replication_password) patroni_conf > "$conf"
exec patroni "$conf"
