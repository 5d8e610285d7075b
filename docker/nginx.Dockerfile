# The compose stack's nginx: Debian 12's nginx with set-misc (the auth cache is keyed on a digest of
# the token), carrying the one configuration (nginx/certgraph.conf.in) rendered for the docker target.
# Built from the repository root:  docker build -f docker/nginx.Dockerfile -t certgraph-nginx:dev .
FROM debian:12-slim
# curl: the health check's probe of /readyz through nginx itself
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx libnginx-mod-http-set-misc curl \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/*
COPY nginx/certgraph.conf.in /opt/certgraph/nginx/certgraph.conf.in
COPY scripts/nginx-render.sh /opt/certgraph/scripts/nginx-render.sh
COPY docker/nginx-entrypoint.sh /usr/local/bin/nginx-entrypoint.sh
RUN sh /opt/certgraph/scripts/nginx-render.sh docker > /etc/nginx/certgraph.conf
ENV TZ=UTC
EXPOSE 8443
# The TLS key and certificate are the secrets server.key and server.crt (/run/secrets);
# /var/cache/nginx is a tmpfs. The entrypoint reloads nginx when the pool's address changes.
CMD ["sh", "/usr/local/bin/nginx-entrypoint.sh"]
