#!/bin/sh
# The one nginx configuration, rendered for both targets: `nginx -t` accepts the dev rendering and
# the docker one (its paths moved under a scratch root, the pool's host name replaced by an address
# nginx can resolve here), and the two differ only where the template has placeholders.
set -eu
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
t=$(mktemp -d /tmp/certgraph-nginx.XXXXXX)
trap 'rm -rf "$t"' EXIT
cert() { # dir
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -days 1 \
    -keyout "$1/server.key" -out "$1/server.crt" 2>/dev/null
}
# dev, as stack.sh renders it
mkdir -p "$t/dev/nginx/tmp" "$t/dev/nginx/authcache" "$t/dev/run"
cert "$t/dev/tls"
VAR=$t/dev PORT=18999 SOCK=$t/dev/run/certgraph.sock NGINX_WORKERS=1 KEEPALIVE=1 \
  sh "$ROOT/scripts/nginx-render.sh" dev > "$t/dev.conf"
nginx -t -q -p "$t/dev/nginx/" -e "$t/dev/nginx/error.log" -c "$t/dev.conf"
# docker, as docker/nginx.Dockerfile renders it
mkdir -p "$t/docker/var/cache/nginx" "$t/docker/tmp"
cert "$t/docker/run/secrets"
NGINX_ROOT=$t/docker NGINX_UPSTREAM=127.0.0.1:9000 sh "$ROOT/scripts/nginx-render.sh" docker > "$t/docker.conf"
nginx -t -q -p "$t/docker/" -e "$t/docker/error.log" -c "$t/docker.conf"
# one configuration: the renderings part only on the placeholders' lines
placeholders=$(grep -c '@[A-Z_]*@' "$ROOT/nginx/certgraph.conf.in")
differ=$(diff "$t/dev.conf" "$t/docker.conf" | grep -c '^<' || true)
[ "$differ" -le "$placeholders" ] || { echo "nginx-check: the renderings differ on $differ lines (placeholders: $placeholders)" >&2; exit 1; }
echo "nginx-check: dev and docker renderings accepted by nginx -t; they differ on $differ lines" >&2
