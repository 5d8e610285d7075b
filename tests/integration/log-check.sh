#!/bin/sh
# After the integration suite: no log the stack wrote holds a secret, and certgraphd's log and
# nginx's access log are in the one key=value format (README, "Logs"), with request_id on every line
# a request caused.
#   sh tests/integration/log-check.sh VAR_DIR PG_LOG
set -u
VAR=$1 PGLOG=$2
status=0
fail() { printf 'log-check: %s\n' "$*" >&2; status=1; }

logs=""
for f in "$VAR/log/certgraphd.log" "$VAR/nginx/access.log" "$VAR/nginx/error.log" "$VAR/log/nginx.out" "$PGLOG"; do
  [ -f "$f" ] && logs="$logs $f"
done
[ -s "$VAR/log/certgraphd.log" ] || fail "no certgraphd log in $VAR/log"
[ -s "$VAR/nginx/access.log" ] || fail "no access log in $VAR/nginx"

# What must never be written: tokens (a JWT's header and payload; any bearer value), keys and
# certificates (PEM armour, base64 DER), the passwords the suite sends, the paging secret.
secret=$(od -An -tx1 "$VAR/keys/skiptoken.key" 2>/dev/null | tr -d ' \n')
for pattern in 'eyJ[A-Za-z0-9_-]{8,}\.eyJ' '[Bb]earer +[A-Za-z0-9._~+/-]{8,}' '-----BEGIN' 'MII[A-Za-z0-9+/]{40,}' \
               's3cret' ${secret:+"$secret"}; do
  # shellcheck disable=SC2086 # one word per file
  if hits=$(grep -E -n -e "$pattern" $logs 2>/dev/null | head -n 3) && [ -n "$hits" ]; then
    fail "a secret ($pattern) in the logs:"; printf '%s\n' "$hits" | cut -c1-300 >&2
  fi
done

# nginx's token-check cache: files keyed on a digest, with no bearer token in them.
if [ -d "$VAR/nginx/authcache" ]; then
  [ -n "$(find "$VAR/nginx/authcache" -type f | head -n 1)" ] || fail "the auth cache holds no file: was it used?"
  if grep -r -l -E 'eyJ[A-Za-z0-9_-]{8,}\.eyJ|[Bb]earer ' "$VAR/nginx/authcache" >/dev/null 2>&1; then
    fail "a bearer token in the auth cache: $(grep -r -l -E 'eyJ[A-Za-z0-9_-]{8,}\.eyJ|[Bb]earer ' "$VAR/nginx/authcache" | head -n 1)"
  fi
fi

# certgraphd: every line an event in the one format.
bad=$(grep -E -v -n '^ts=[0-9T:.-]+Z level=(debug|info|warn|error) component=[a-z]+ pid=[0-9]+ event=[a-z_]+( |$)' \
        "$VAR/log/certgraphd.log" | head -n 3)
[ -z "$bad" ] || { fail "certgraphd lines not in the log format:"; printf '%s\n' "$bad" >&2; }
# what a request caused names it
bad=$(grep -E 'event=(request_failed|db_statement_failed)' "$VAR/log/certgraphd.log" | grep -v ' request_id=[0-9a-f-]\{36\}' | head -n 3)
[ -z "$bad" ] || { fail "request lines without request_id:"; printf '%s\n' "$bad" >&2; }
# nginx: one line per request, with its id, tenant, app, status and time
bad=$(grep -E -v -n '^ts=[0-9T:+-]+ level=(info|error) component=nginx event=request request_id=[0-9a-f-]{36} client_request_id="[^"]*" tenant=[0-9a-f-]* app=[^ ]* method=[A-Z_-]* uri="[^"]*" protocol=[^ ]* status=[0-9]{3} bytes=[0-9]+ duration=[0-9.]+ ' \
        "$VAR/nginx/access.log" | head -n 3)
[ -z "$bad" ] || { fail "access log lines not in the log format:"; printf '%s\n' "$bad" | cut -c1-300 >&2; }
[ "$status" = 0 ] && printf 'log-check: %s checked, no secret, one format\n' "$(echo $logs | wc -w) logs" >&2
exit "$status"
