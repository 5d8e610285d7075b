# nginx in front: rendering (scripts/nginx-render.sh), start, stop.
# Sourced by scripts/stack.sh, which sets ROOT, VAR, the paths and say/die/alive/pid_runs.

# nginx

nginx_running() { pid_runs "$NGINX_PID" nginx; }

# nginx workers and upstream keep-alive: each idle kept connection pins a libfcgi worker, per nginx
# worker, so keepalive x nginx workers stays at a quarter of the pool; tiny pools keep none.
nginx_sizes() {
  NGINX_WORKERS=${CERTGRAPH_NGINX_WORKERS:-}
  if [ -z "$NGINX_WORKERS" ]; then
    NGINX_WORKERS=$((WORKERS / 4))
    [ "$NGINX_WORKERS" -ge 1 ] || NGINX_WORKERS=1
    [ "$NGINX_WORKERS" -le "$NPROC" ] || NGINX_WORKERS=$NPROC
  fi
  KEEPALIVE=${CERTGRAPH_KEEPALIVE:-$((WORKERS / (4 * NGINX_WORKERS)))}
  is_uint "$NGINX_WORKERS" && [ "$NGINX_WORKERS" -ge 1 ] || die "bad CERTGRAPH_NGINX_WORKERS"
  is_uint "$KEEPALIVE" || die "bad CERTGRAPH_KEEPALIVE"
  [ "$((KEEPALIVE * NGINX_WORKERS))" -lt "$WORKERS" ] \
    || die "keepalive $KEEPALIVE x $NGINX_WORKERS nginx workers would pin all $WORKERS pool workers"
}

nginx_render() {
  nginx_sizes
  mkdir -p "$VAR/nginx/tmp" "$VAR/nginx/authcache"
  chmod 700 "$VAR/nginx/authcache"   # what the token check answered, keyed on token digests
  VAR=$VAR PORT=$PORT SOCK=$SOCK NGINX_WORKERS=$NGINX_WORKERS KEEPALIVE=$KEEPALIVE \
    sh "$ROOT/scripts/nginx-render.sh" dev > "$NGINX_CONF.new" || die "cannot render the nginx configuration"
  mv "$NGINX_CONF.new" "$NGINX_CONF"
}

nginx_cmd() { TZ=UTC nginx -p "$VAR/nginx/" -e "$VAR/nginx/error.log" -c "$NGINX_CONF" "$@"; }

# Something else answering on the port would pass nginx_start's readiness check for us.
port_free() {
  if curl -s -o /dev/null --max-time 2 -k "https://127.0.0.1:$PORT/" 2>/dev/null \
     || curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null; then
    die "127.0.0.1:$PORT is already in use (choose another CERTGRAPH_PORT)"
  fi
}

nginx_start() {
  nginx_running && return 0
  command -v nginx >/dev/null 2>&1 || die "nginx is not installed: run scripts/deps.sh"
  nginx_render
  nginx_cmd -t -q 9>&- || die "nginx rejected $NGINX_CONF"
  port_free
  rm -f "$NGINX_PID"
  say "starting nginx on 127.0.0.1:$PORT ($NGINX_WORKERS workers, upstream keepalive $KEEPALIVE)"
  TZ=UTC setsid nginx -p "$VAR/nginx/" -e "$VAR/nginx/error.log" -c "$NGINX_CONF" \
    >> "$VAR/log/nginx.out" 2>&1 < /dev/null 9>&- &
  npid=$!
  i=0
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$VAR/tls/ca.crt" \
             "https://127.0.0.1:$PORT/" 2>/dev/null) || true
    case $code in [1-5][0-9][0-9]) alive "$npid" && break;; esac
    if ! alive "$npid" || [ "$i" -ge 100 ]; then
      tail -n 20 "$VAR/nginx/error.log" "$VAR/log/nginx.out" >&2 2>/dev/null || true
      alive "$npid" && kill -TERM "$npid" 2>/dev/null
      die "nginx did not answer on 127.0.0.1:$PORT"
    fi
    sleep 0.1; i=$((i + 1))
  done
}

nginx_stop() {
  p=$(pid_of "$NGINX_PID")
  if nginx_running; then
    say "stopping nginx"
    kill -QUIT "$p" 2>/dev/null || true          # graceful: finishes requests in flight
    if ! wait_gone "$p" 15; then
      kill -TERM "$p" 2>/dev/null || true
      wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null || true
    fi
  fi
  rm -f "$NGINX_PID"
}
