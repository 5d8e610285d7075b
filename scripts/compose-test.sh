#!/bin/sh
# make compose-test: the compose stack, run for real with podman and podman-compose (no Docker engine
# here): a debian:12-slim base made with debootstrap when there is none, the three images built
# from it, the stack up under its own project name and port, driven through nginx over TLS (readyz,
# create, read, list, 401), the certgraph container restarted with no data lost, and torn down.
# Environment: CERTGRAPH_COMPOSE_PORT (18843).
set -eu
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
PORT=${CERTGRAPH_COMPOSE_PORT:-18843}
PROJECT=certgraph-compose-test
BASE=docker.io/library/debian:12-slim
say() { printf 'compose-test: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

sh scripts/deps.sh --containers
# Measured on these machines: crun cannot run here (cgroups in hybrid mode), runc can, with rlimits
# podman may set.
conf=/etc/containers/containers.conf
if ! grep -qs '^default_ulimits' "$conf" || ! grep -qs '^runtime *= *"runc"' "$conf"; then
  [ "$(id -u)" = 0 ] || die "$conf needs default_ulimits and runtime = \"runc\" (run as root)"
  say "configuring podman in $conf"
  mkdir -p /etc/containers
  printf '%s\n' '[containers]' 'default_ulimits = ["nofile=20000:20000", "nproc=1000:1000"]' '' '[engine]' \
    'runtime = "runc"' > "$conf"
fi
if ! podman image exists "$BASE"; then
  say "making $BASE with debootstrap (no registry is reachable)"
  root=$(mktemp -d /var/tmp/certgraph-rootfs.XXXXXX)
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
  tar -C "$root" -c . | podman import - "$BASE" >/dev/null
  rm -rf "$root"
fi
sh scripts/stack.sh init >/dev/null
make -s build/certgraphctl
for image in certgraph:dev:docker/Dockerfile certgraph-nginx:dev:docker/nginx.Dockerfile \
             certgraph-postgres:dev:docker/postgres.Dockerfile; do
  name=${image%:*}; file=${image##*:}
  say "building $name"
  podman build --pull=never -q -f "$file" -t "$name" . >/dev/null
done

compose() { CERTGRAPH_COMPOSE_PORT=$PORT CERTGRAPH_PUBLIC_URL=https://127.0.0.1:$PORT \
              podman-compose -p "$PROJECT" -f docker/docker-compose.yml "$@"; }
cleanup() { compose down -v >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
compose up -d >/dev/null 2>&1 || die "podman-compose up failed"

url=https://127.0.0.1:$PORT
ca=var/tls/ca.crt
token=$(CERTGRAPH_JWT_SIGNING_KEY=var/keys/dev.key build/certgraphctl token)
states=/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates
ready() {
  i=0
  until [ "$(curl -s --max-time 1 --cacert "$ca" "$url/readyz" 2>/dev/null)" = ready ]; do
    i=$((i + 1)); [ "$i" -lt 60 ] || { podman ps -a >&2; compose logs >&2 2>&1 | tail -n 60 >&2; die "not ready after 60 tries"; }
    sleep 0.5
  done
}
call() { # method path [body] -> status, body in $t/body
  curl -s --max-time 10 --cacert "$ca" -o "$t/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
    ${3:+-H "Content-Type: application/json" -d "$3"} "$url$2"
}
t=$(mktemp -d)
ready
say "ready at $url"
[ "$(call POST "$states" '{"userPrincipalName":"compose@contoso.com","certificateKeyUsages":160}')" = 201 ] \
  || die "create: $(cat "$t/body")"
id=$(sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' "$t/body")
[ -n "$id" ] || die "no id in $(cat "$t/body")"
[ "$(call GET "$states/$id")" = 200 ] && grep -q compose@contoso.com "$t/body" || die "read: $(cat "$t/body")"
[ "$(call GET "$states?\$filter=userPrincipalName%20eq%20'compose@contoso.com'")" = 200 ] && grep -q "$id" "$t/body" \
  || die "list: $(cat "$t/body")"
code=$(curl -s --max-time 10 --cacert "$ca" -o "$t/body" -w '%{http_code}' "$url$states")
[ "$code" = 401 ] && grep -q InvalidAuthenticationToken "$t/body" || die "no token: $code $(cat "$t/body")"
say "create, read, list and 401 through nginx over TLS"

podman restart "${PROJECT}_certgraph_1" >/dev/null
# nginx resolved "certgraph" when it started, and a restarted container may come back on another
# address (docker/README.md): nginx is restarted after it, as an operator must today.
podman restart "${PROJECT}_nginx_1" >/dev/null
ready
[ "$(call GET "$states/$id")" = 200 ] || die "after the restart: $(cat "$t/body")"
say "certgraph restarted: the entity is still there"
rm -rf "$t"
