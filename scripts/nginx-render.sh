#!/bin/sh
# Renders the one nginx configuration (nginx/certgraph.conf.in) for a target, to stdout:
#   sh scripts/nginx-render.sh dev      the dev stack (stack.sh): needs VAR, PORT, SOCK, NGINX_WORKERS,
#                                       KEEPALIVE; paths under $VAR, the pool's unix socket, 127.0.0.1
#   sh scripts/nginx-render.sh docker   the compose image: container paths, the pool at certgraph:9000
#                                       (NGINX_UPSTREAM overrides it), port 8443, logs to stdout/stderr;
#                                       NGINX_ROOT prefixes its paths (to check it outside a container)
# Fails on a placeholder left unrendered.
set -eu
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
tpl=$ROOT/nginx/certgraph.conf.in
[ -r "$tpl" ] || { echo "nginx-render: missing $tpl" >&2; exit 1; }

case ${1:-} in
  dev)
    : "${VAR:?}" "${PORT:?}" "${SOCK:?}" "${NGINX_WORKERS:?}" "${KEEPALIVE:?}"
    if [ "$(id -u)" = 0 ]; then user_line='user root;'; else user_line=''; fi
    pid=$VAR/nginx/nginx.pid
    error_log="\"$VAR/nginx/error.log\""
    temp=$VAR/nginx/tmp
    cache=$VAR/nginx/authcache
    upstream="\"unix:$SOCK\""
    access_log="\"$VAR/nginx/access.log\" certgraph buffer=32k flush=1s"
    listen=127.0.0.1:$PORT
    tls=$VAR/tls
    workers=$NGINX_WORKERS keepalive=$KEEPALIVE
    ;;
  docker)
    r=${NGINX_ROOT:-}
    user_line='user www-data;'
    pid=$r/tmp/nginx.pid
    error_log=/dev/stderr
    temp=$r/var/cache/nginx   # a tmpfs in compose: the cache and temp files never reach a disk
    cache=$r/var/cache/nginx/certgraph-auth
    upstream=${NGINX_UPSTREAM:-certgraph:9000}
    access_log='/dev/stdout certgraph'
    # inside the container; compose publishes it on the host's 127.0.0.1:8443 only
    listen=8443
    # compose mounts the key and certificate as secrets (server.key, server.crt)
    tls=$r/run/secrets
    # 1 kept connection x 2 nginx workers against the compose file's 8 pool workers
    workers=${NGINX_WORKERS:-2} keepalive=${KEEPALIVE:-1}
    ;;
  *) echo "usage: $0 dev|docker" >&2; exit 2 ;;
esac
if [ "$keepalive" -ge 1 ]; then keepalive_line="keepalive $keepalive;"; else keepalive_line=''; fi

# '|' separates sed's fields: the values are paths and addresses, checked for it here.
for v in "$pid" "$error_log" "$temp" "$cache" "$upstream" "$access_log" "$listen" "$tls"; do
  case $v in *'|'*|*'&'*|*'\'*) echo "nginx-render: unsupported character in $v" >&2; exit 1 ;; esac
done
out=$(sed -e "s|@USER_LINE@|$user_line|" -e "s|@NGINX_WORKERS@|$workers|" -e "s|@PID@|$pid|" \
          -e "s|@ERROR_LOG@|$error_log|" -e "s|@TEMP@|$temp|g" -e "s|@CACHE@|$cache|" \
          -e "s|@UPSTREAM@|$upstream|g" -e "s|@KEEPALIVE_LINE@|$keepalive_line|" \
          -e "s|@ACCESS_LOG@|$access_log|" -e "s|@LISTEN@|$listen|" -e "s|@TLS@|$tls|g" "$tpl")
if printf '%s\n' "$out" | grep -n '@[A-Z_][A-Z_]*@' >&2; then
  echo "nginx-render: unrendered placeholders in $tpl" >&2; exit 1
fi
printf '%s\n' "$out"
