#!/bin/sh
# make compose-test: the compose stack, run for real with podman and podman-compose (no Docker engine
# here): docker-compose config on the compose files, a debian:12-slim base made with debootstrap
# when there is none, the three images built
# from it, the stack up under its own project name and port with its secrets from files, the health
# checks run, driven through nginx over TLS (readyz, create, read, list, 401), a setting changed in
# the mounted configuration and reloaded with SIGHUP under load with no failed request, the
# certgraph container recreated (nginx follows it by itself) with no data lost, and torn down.
# Environment: CERTGRAPH_COMPOSE_PORT (18843), CERTGRAPH_COMPOSE_KEEP=1 (keep a failed stack).
set -eu
started=$(date +%s)
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$ROOT"
PORT=${CERTGRAPH_COMPOSE_PORT:-18843}
PROJECT=certgraph-compose-test
BASE=docker.io/library/debian:12-slim
say() { printf 'compose-test: [%ss] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }
die() { say "$*"; exit 1; }

sh scripts/deps.sh --containers
# The compose files as docker-compose reads them (Debian's docker-compose: the file format, not an
# engine): the main file, and with the official-postgres override merged in.
check_config() { # files... -> docker-compose's rendering in $cfg
  cfg=$(env -u CERTGRAPH_COMPOSE_PORT docker-compose "$@" config) || die "docker-compose config refused $*"
}
check_config -f docker/docker-compose.yml
for want in 'postgres' 'migrate' 'certgraph' 'nginx'; do
  printf '%s\n' "$cfg" | grep -q "^  $want:\$" || die "docker-compose config: no service $want"
done
printf '%s\n' "$cfg" | grep -q -- '- 127.0.0.1:8443:8443/tcp' || die "docker-compose config: nginx is not on 127.0.0.1:8443"
printf '%s\n' "$cfg" | grep -q 'file: .*/var/secrets/pg-password' || die "docker-compose config: no pg_password secret file"
check_config -f docker/docker-compose.yml -f docker/docker-compose.postgres-official.yml
printf '%s\n' "$cfg" | grep -q 'dockerfile: docker/postgres-official.Dockerfile' \
  || die "docker-compose config: the override does not build the official image"
check_config -f docker/docker-compose.ha.yml
for want in etcd pg1 pg2 migrate certgraph1 certgraph2 nginx1 nginx2; do
  printf '%s\n' "$cfg" | grep -q "^  $want:\$" || die "docker-compose config: no service $want in docker-compose.ha.yml"
done
for port in 8443 8444; do
  printf '%s\n' "$cfg" | grep -q -- "- 127.0.0.1:$port:8443/tcp" || die "docker-compose config: no node on 127.0.0.1:$port"
done
printf '%s\n' "$cfg" | grep -q 'host=pg1,pg2 port=5432,5432 .*target_session_attrs=read-write' \
  || die "docker-compose config: the pools do not follow the primary"
say "docker-compose config accepts the three files (services, 127.0.0.1:8443/8444, secrets, the override, the HA shape)"
# Measured on these machines: crun cannot run here (cgroups in hybrid mode), runc can, with rlimits
# podman may set.
# netavark, whose aardvark-dns lets compose services find each other by name (the CNI plugins a
# fresh machine may also have give no DNS).
conf=/etc/containers/containers.conf
if ! grep -qs '^default_ulimits' "$conf" || ! grep -qs '^runtime *= *"runc"' "$conf" \
   || ! grep -qs '^network_backend *= *"netavark"' "$conf"; then
  [ "$(id -u)" = 0 ] || die "$conf needs default_ulimits, runtime = \"runc\" and network_backend = \"netavark\" (run as root)"
  say "configuring podman in $conf"
  mkdir -p /etc/containers
  printf '%s\n' '[containers]' 'default_ulimits = ["nofile=20000:20000", "nproc=1000:1000"]' '' '[engine]' \
    'runtime = "runc"' '' '[network]' 'network_backend = "netavark"' > "$conf"
  # a backend chosen before (CNI) is kept in podman's state until it is reset
  podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null | grep -qx netavark || podman system reset -f >/dev/null 2>&1 || true
fi
[ "$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null)" = netavark ] || die "podman does not use netavark"
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

t=$(mktemp -d)
# The configuration directory and the token keys are copies: the reloads below edit neither the
# repository's files nor var/.
cp -R docker/conf "$t/conf"
cp var/keys/dev.pub "$t/jwt-keys"
compose() { CERTGRAPH_COMPOSE_PORT=$PORT CERTGRAPH_PUBLIC_URL=https://127.0.0.1:$PORT CERTGRAPH_CONF_DIR=$t/conf \
              CERTGRAPH_JWT_KEYS_FILE=$t/jwt-keys podman-compose -p "$PROJECT" -f docker/docker-compose.yml "$@"; }
# CERTGRAPH_COMPOSE_KEEP=1 leaves a failed stack up to look at (podman-compose -p certgraph-compose-test ...).
cleanup() {
  [ $? != 0 ] && [ "${CERTGRAPH_COMPOSE_KEEP:-}" = 1 ] && { say "kept: the stack and $t"; return; }
  compose down -v >/dev/null 2>&1 || true; rm -rf "$t"
}
trap cleanup EXIT
compose down -v >/dev/null 2>&1 || true
compose up -d >/dev/null 2>&1 || die "podman-compose up failed"

url=https://127.0.0.1:$PORT
ca=var/tls/ca.crt
token=$(CERTGRAPH_JWT_SIGNING_KEY=var/keys/dev.key build/certgraphctl token)
states=/beta/deviceManagement/deviceConfigurationsAllManagedDeviceCertificateStates
fail() { podman ps -a >&2; compose logs 2>&1 | tail -n 80 >&2; die "$*"; }
ready() {
  i=0
  until [ "$(curl -s --max-time 1 --cacert "$ca" "$url/readyz" 2>/dev/null)" = ready ]; do
    i=$((i + 1)); [ "$i" -lt 120 ] || fail "not ready after 120 tries"
    sleep 0.5
  done
}
call() { # method path [body] -> status, body in $t/body
  curl -s --max-time 10 --cacert "$ca" -o "$t/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
    ${3:+-H "Content-Type: application/json" -d "$3"} "$url$2"
}
reloaded() { # generation: waits for the pool to log it
  i=0
  until podman logs "${PROJECT}_certgraph_1" 2>&1 | grep -q "event=reloaded generation=$1"; do
    i=$((i + 1)); [ "$i" -lt 40 ] || return 1
    sleep 0.5
  done
}
ready
say "ready at $url"
# podman runs health checks from systemd timers, which a container host may not have: run each now.
for svc in postgres certgraph nginx; do
  podman healthcheck run "${PROJECT}_${svc}_1" >/dev/null 2>&1 || fail "the $svc health check fails"
done
say "health checks pass: postgres, certgraph (/readyz over FastCGI), nginx (/readyz over TLS)"
[ "$(call POST "$states" '{"userPrincipalName":"compose@contoso.com","certificateKeyUsages":160}')" = 201 ] \
  || fail "create: $(cat "$t/body")"
id=$(sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' "$t/body")
[ -n "$id" ] || fail "no id in $(cat "$t/body")"
[ "$(call GET "$states/$id")" = 200 ] && grep -q compose@contoso.com "$t/body" || fail "read: $(cat "$t/body")"
[ "$(call GET "$states?\$filter=userPrincipalName%20eq%20'compose@contoso.com'")" = 200 ] && grep -q "$id" "$t/body" \
  || fail "list: $(cat "$t/body")"
code=$(curl -s --max-time 10 --cacert "$ca" -o "$t/body" -w '%{http_code}' "$url$states")
[ "$code" = 401 ] && grep -q InvalidAuthenticationToken "$t/body" || fail "no token: $code $(cat "$t/body")"
say "create, read, list and 401 through nginx over TLS"

# A setting changed in the mounted file and reloaded while three clients read and write.
printf '%s\n' 'tenant_requests = 1900' >> "$t/conf/certgraph.conf"
load() { # n: reads, and a write in eight, until $t/stop exists; one status per line in $t/load.n
  # (well inside the application's budget of 1,000 requests and 100 writes per 20 s)
  k=0
  while [ ! -e "$t/stop" ]; do
    k=$((k + 1))
    if [ $((k % 8)) = 0 ]; then call POST "$states" '{"userPrincipalName":"reload@contoso.com"}'
    else call GET "$states/$id"; fi >> "$t/load.$1"
    echo >> "$t/load.$1"
  done
}
for n in 1 2 3; do load "$n" & done
sleep 1
podman kill --signal HUP "${PROJECT}_certgraph_1" >/dev/null
reloaded 1 || { touch "$t/stop"; wait; fail "no reload logged"; }
sleep 3   # the workers are replaced one at a time after the reload is accepted
touch "$t/stop"; wait
answers=$(cat "$t"/load.* | grep -c . || true)
bad=$(cat "$t"/load.* | grep -v -e '^200$' -e '^201$' -e '^$' | sort | uniq -c | tr '\n' ' ')
[ -z "$bad" ] || fail "answers other than 200/201 during the reload: $bad"
[ "$answers" -ge 20 ] || fail "only $answers answers during the reload"
podman exec "${PROJECT}_certgraph_1" certgraphd --check-config 2>&1 | grep -q 'tenant_requests = "1900"    # file' \
  || fail "the reloaded setting is not in effect: $(podman exec "${PROJECT}_certgraph_1" certgraphd --check-config 2>&1)"
say "reloaded with SIGHUP under load: $answers answers, all 200 or 201; tenant_requests = 1900 from the file"

# The operator's own token issuer, as docker/README.md sets it up: its signing key published as a
# JWKS document (written over the jwt_keys secret's file), its issuer and audience in the
# configuration, reloaded. Its tokens are refused before and taken after; a development token
# is refused after (another issuer; one nginx has not seen, since it keeps a token's verdict for up
# to 5 minutes: README "Authentication").
tenant=8b4c3f6e-0d1a-4c55-9a73-2f6d1e0c9b01
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$t/issuer.key" 2>/dev/null
modulus=$(openssl rsa -in "$t/issuer.key" -noout -modulus | sed 's/^Modulus=//')
python3 - "$modulus" > "$t/jwks.json" <<'PY'
import base64, json, sys
b64url = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "issuer-2026-12", "n": b64url(bytes.fromhex(sys.argv[1])), "e": "AQAB"}
print(json.dumps({"keys": [key]}))
PY
issued=$(build/certgraphctl token --key "$t/issuer.key" --kid issuer-2026-12 --aud api://certgraph \
           --iss "https://login.microsoftonline.com/$tenant/v2.0")
token=$issued
[ "$(call GET "$states/$id")" = 401 ] || fail "the new issuer's token was taken before the reload"
cat "$t/jwks.json" > "$t/jwt-keys"   # over the file, not beside it: the container sees this inode
printf '%s\n' 'jwt_issuer = https://login.microsoftonline.com/{tenantid}/v2.0' 'jwt_audience = api://certgraph' \
  >> "$t/conf/certgraph.conf"
podman kill --signal HUP "${PROJECT}_certgraph_1" >/dev/null
reloaded 2 || fail "the issuer's reload was not logged"
i=0
until [ "$(call GET "$states/$id")" = 200 ]; do   # until a new worker answers
  i=$((i + 1)); [ "$i" -lt 40 ] || fail "the new issuer's token is refused after the reload: $(cat "$t/body")"
  sleep 0.5
done
sleep 3   # every worker replaced: the old issuer's tokens are refused by all of them
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/signer.key" -out "$t/signer.pem" -days 30 \
  -subj '/O=Contoso/CN=Contoso Compose Signing' -addext extendedKeyUsage=codeSigning 2>/dev/null
certs=/beta/deviceAppManagement/enterpriseCodeSigningCertificates
[ "$(call POST "$certs" "{\"content\":\"$(base64 -w0 "$t/signer.pem")\"}")" = 201 ] || fail "upload: $(cat "$t/body")"
cert_id=$(sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p' "$t/body")
[ "$(call GET "$certs/$cert_id")" = 200 ] && grep -q '"subjectName":"Contoso Compose Signing"' "$t/body" \
  || fail "certificate read back: $(cat "$t/body")"
token=$(CERTGRAPH_JWT_SIGNING_KEY=var/keys/dev.key build/certgraphctl token --ttl 3000)
[ "$(call GET "$states/$id")" = 401 ] || fail "a development token was taken after the issuer changed"
token=$issued
say "own issuer (JWKS, issuer, audience) reloaded: its token uploads a certificate and reads it back; dev tokens refused"

# The certgraph container recreated: it may come back on another address, and nginx must follow
# without being touched.
before=$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${PROJECT}_certgraph_1")
podman rm -f "${PROJECT}_certgraph_1" >/dev/null 2>&1
# something else takes the old address meanwhile, as on a busy host
podman run -d --rm --name "${PROJECT}_squatter" --network "${PROJECT}_backend" docker.io/library/debian:12-slim \
  sleep 60 >/dev/null 2>&1 || true
say "recreating"; compose up -d --no-deps certgraph >/dev/null 2>&1 || fail "certgraph could not be recreated"
after=$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${PROJECT}_certgraph_1")
podman rm -f -t 0 "${PROJECT}_squatter" >/dev/null 2>&1 || true
i=0
until podman healthcheck run "${PROJECT}_certgraph_1" >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -lt 120 ] || fail "the recreated certgraph is not healthy"
  sleep 0.5
done
say "the recreated certgraph is healthy"
ready
[ "$(call GET "$states/$id")" = 200 ] || fail "after recreating certgraph: $(cat "$t/body")"
if [ "$before" != "$after" ]; then
  podman logs "${PROJECT}_nginx_1" 2>&1 | grep -q 'event=upstream_moved' || fail "nginx did not log the move"
  say "certgraph recreated at $after (was $before): nginx followed, the entity is still there"
else
  say "certgraph recreated at the same address $after: the entity is still there"
fi
say "passed"
