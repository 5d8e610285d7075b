#!/bin/sh
# The compose stack's nginx. nginx looks the pool's name up when it starts and on each reload only,
# so a certgraph container recreated on another address would leave it pointing at nothing: this
# checks the name every few seconds and reloads nginx (gracefully, no request dropped) when its
# addresses change. Stop signals go to nginx; this ends when nginx does, with its status.
set -u
host=${CERTGRAPH_UPSTREAM_HOST:-certgraph}
every=${CERTGRAPH_RESOLVE_SECONDS:-2}
addresses() { getent ahosts "$host" 2>/dev/null | awk '{ print $1 }' | sort -u | tr '\n' ' '; }

conf=/etc/nginx/certgraph.conf
if [ "$host" != certgraph ]; then
  # the image's configuration names the pool "certgraph": another name (one pool per node in the
  # several-node file) is rendered at start into the tmpfs
  conf=/var/cache/nginx/certgraph.conf
  NGINX_UPSTREAM=$host:9000 sh /opt/certgraph/scripts/nginx-render.sh docker > "$conf" || exit 1
fi
nginx -c "$conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
trap 'kill -QUIT "$pid" 2>/dev/null' QUIT
trap 'kill -HUP "$pid" 2>/dev/null' HUP
last=$(addresses)
while kill -0 "$pid" 2>/dev/null; do
  sleep "$every" &
  wait $! 2>/dev/null
  now=$(addresses)
  if [ -n "$now" ] && [ "$now" != "$last" ]; then
    echo "component=nginx-entrypoint event=upstream_moved host=$host from=\"$last\" to=\"$now\"" >&2
    kill -HUP "$pid" 2>/dev/null
    last=$now
  fi
done
wait "$pid"
