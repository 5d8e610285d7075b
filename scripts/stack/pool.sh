# The certgraphd pool.
# Sourced by scripts/stack.sh, which sets ROOT, VAR, the paths and say/die/alive/pid_runs.

# certgraphd, the prefork FastCGI pool.

pool_running() { pid_runs "$POOL_PID" certgraphd; }

pool_start() {
  pool_running && return 0
  [ -x "$BUILD/certgraphd" ] || die "$BUILD/certgraphd is missing: run make"
  mkdir -p "$VAR/run" "$VAR/log"
  rm -f "$SOCK" "$POOL_PID"
  # CERTGRAPH_POOL_DB: another connection string for the pool (several hosts, say).
  db=${CERTGRAPH_POOL_DB:-}
  if [ -z "$db" ]; then pg_conninfo; db=$SERVICE_CONNINFO; fi
  say "starting certgraphd ($WORKERS workers, $SOCK)"
  printf 'ts=%s level=info component=stack pid=%s event=pool_start workers=%s\n' \
    "$(date -u '+%Y-%m-%dT%H:%M:%S.000Z')" "$$" "$WORKERS" >> "$VAR/log/certgraphd.log"
  # Its own session: the terminal's Ctrl-C reaches this script, which stops things in order.
  # Absolute URLs name the origin the stack serves (an empty CERTGRAPH_PUBLIC_URL: from the Host).
  CERTGRAPH_PUBLIC_URL=${CERTGRAPH_PUBLIC_URL-https://127.0.0.1:$PORT} \
  CERTGRAPH_DB=$db CERTGRAPH_LISTEN=$SOCK CERTGRAPH_WORKERS=$WORKERS \
  CERTGRAPH_JWT_KEYS=$VAR/keys/dev.pub CERTGRAPH_SKIPTOKEN_KEY=$VAR/keys/skiptoken.key \
    setsid "$BUILD/certgraphd" >> "$VAR/log/certgraphd.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$POOL_PID"
  i=0
  until [ -S "$SOCK" ]; do
    if ! alive "$(pid_of "$POOL_PID")" || [ "$i" -ge 150 ]; then
      tail -n 30 "$VAR/log/certgraphd.log" >&2
      pool_stop
      die "certgraphd did not open $SOCK (log: $VAR/log/certgraphd.log)"
    fi
    sleep 0.1; i=$((i + 1))
  done
}

pool_stop() {
  p=$(pid_of "$POOL_PID")
  if pool_running; then
    say "stopping certgraphd (draining)"
    kill -TERM "$p" 2>/dev/null || true
    if ! wait_gone "$p" 30; then
      say "certgraphd did not drain in 30 s; killing its process group"
      kill -KILL "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
      wait_gone "$p" 5 || true
    fi
  fi
  # Workers outliving their master (a crash): the master was started as a session leader, and
  # Linux does not hand out a pid again while a process group of that id exists, so the group
  # -$p is still ours. (dash's kill takes no "--": a negative pid goes right after the signal.)
  if [ -n "$p" ] && kill -0 "-$p" 2>/dev/null; then
    say "certgraphd workers outlived their master; stopping them"
    kill -TERM "-$p" 2>/dev/null || true
    i=0
    while kill -0 "-$p" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "-$p" 2>/dev/null || true
  fi
  rm -f "$POOL_PID" "$SOCK"
}
