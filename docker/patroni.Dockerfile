# PostgreSQL 15 under Patroni, and etcd, from Debian 12's packages: the database side of the
# several-node compose file (docker/docker-compose.ha.yml). One image: the etcd service runs `etcd`,
# the PostgreSQL nodes the entrypoint, which writes Patroni's configuration from the environment.
# Built from the repository root:  docker build -f docker/patroni.Dockerfile -t certgraph-patroni:dev .
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 patroni etcd-server \
 && rm -rf /var/lib/apt/lists/*
COPY docker/patroni-entrypoint.sh /usr/local/bin/patroni-entrypoint.sh
COPY scripts/patroni-conf.sh /opt/certgraph/scripts/patroni-conf.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    TZ=UTC
EXPOSE 5432 8008 2379
CMD ["sh", "/usr/local/bin/patroni-entrypoint.sh"]
