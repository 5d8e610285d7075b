# One Patroni configuration for the loopback stack (scripts/stack/ha.sh) and the compose image
# (docker/patroni-entrypoint.sh): the measured fast timings (failover within 2.2-2.9 s of kill -9
# of the primary; Patroni's defaults take far longer) and synchronous replication. Sourced (sh);
# patroni_conf prints it from these variables:
#   PC_NAME, PC_API (listen address of the REST API), PC_API_ADDR, PC_ETCD (host:port), PC_PG (listen),
#   PC_PG_ADDR, PC_DATA, PC_BIN, PC_RUN (socket and pgpass directory), PC_NET (clients' network for
#   pg_hba), PC_LOCALE, PC_SUPERUSER_PW, PC_REPLICATION_PW, PC_REWIND_PW; optional PC_LOG_DIR (Patroni's
#   own log file there, else stderr) and PC_POST_BOOTSTRAP (a script run once the cluster is made).
patroni_conf() {
  cat <<YML
scope: certgraph
name: $PC_NAME
${PC_LOG_DIR:+log:
  dir: $PC_LOG_DIR
  file_num: 2
}restapi:
  listen: $PC_API
  connect_address: $PC_API_ADDR
etcd3:
  hosts: $PC_ETCD
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    primary_start_timeout: 0
    # a commit is acknowledged only once the synchronous standby has it
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        log_line_prefix: 'ts="%m" component=postgres pid=%p user=%u db=%d msg='
        log_error_verbosity: terse
  initdb:
    - encoding: UTF8
    - locale: $PC_LOCALE
    - data-checksums
  pg_hba:
    - local all all trust
    - host replication replicator $PC_NET scram-sha-256
    - host all all $PC_NET scram-sha-256
${PC_POST_BOOTSTRAP:+  post_bootstrap: $PC_POST_BOOTSTRAP
}postgresql:
  listen: $PC_PG
  connect_address: $PC_PG_ADDR
  data_dir: $PC_DATA
  bin_dir: $PC_BIN
  pgpass: $PC_RUN/pgpass
  # a new standby copies the primary at once: a spread checkpoint after CREATE DATABASE took minutes
  basebackup:
    - checkpoint: 'fast'
  parameters:
    unix_socket_directories: '$PC_RUN'
    password_encryption: scram-sha-256
  authentication:
    superuser: {username: postgres, password: '$PC_SUPERUSER_PW'}
    replication: {username: replicator, password: '$PC_REPLICATION_PW'}
    rewind: {username: rewinder, password: '$PC_REWIND_PW'}
watchdog:
  mode: 'off'
YML
}
