# TLS material, token keys and compose secrets: the dev CA, the server certificate, the RS256
# signing key, the database passwords.
# Sourced by scripts/stack.sh, which sets ROOT, VAR, the paths and say/die/alive/pid_runs.

# TLS: a development CA and a server certificate for 127.0.0.1 and localhost.

tls_ensure() {
  d=$VAR/tls
  mkdir -p "$d"
  if [ ! -s "$d/ca.crt" ] || [ ! -s "$d/ca.key" ]; then
    say "creating the development CA in $d"
    rm -f "$d/ca.crt" "$d/ca.key" "$d/server.crt" "$d/server.key"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -subj "/CN=certgraph development CA" -keyout "$d/ca.key.new" -out "$d/ca.crt.new" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>"$d/openssl.err") \
      || { cat "$d/openssl.err" >&2; die "openssl could not make the CA"; }
    chmod 644 "$d/ca.crt.new"
    mv "$d/ca.key.new" "$d/ca.key"; mv "$d/ca.crt.new" "$d/ca.crt"
  fi
  # (Re)issue the server certificate when missing, not from this CA, or within a week of expiry.
  if [ -s "$d/server.crt" ] && [ -s "$d/server.key" ] \
     && openssl verify -CAfile "$d/ca.crt" "$d/server.crt" >/dev/null 2>&1 \
     && openssl x509 -checkend 604800 -noout -in "$d/server.crt" >/dev/null 2>&1; then
    return 0
  fi
  say "issuing the server certificate (IP:127.0.0.1, DNS:localhost)"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$d/server.ext"
  (umask 077 && openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
      -keyout "$d/server.key.new" -out "$d/server.csr" 2>"$d/openssl.err" \
    && openssl x509 -req -sha256 -days 397 -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$d/server.ext" -out "$d/server.crt.new" 2>>"$d/openssl.err") \
    || { cat "$d/openssl.err" >&2; die "openssl could not issue the server certificate"; }
  chmod 644 "$d/server.crt.new"
  mv "$d/server.key.new" "$d/server.key"; mv "$d/server.crt.new" "$d/server.crt"
  rm -f "$d/server.csr" "$d/server.ext" "$d/openssl.err"
}

# Dev token signing key (RS256): certgraphd verifies with dev.pub, certgraphctl token signs with dev.key.
keys_ensure() {
  d=$VAR/keys
  mkdir -p "$d"
  if [ ! -s "$d/dev.key" ]; then
    say "creating the development signing key $d/dev.key"
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/dev.key.new" 2>/dev/null) \
      || die "openssl could not make the signing key"
    mv "$d/dev.key.new" "$d/dev.key"
    rm -f "$d/dev.pub"
  fi
  if [ ! -s "$d/dev.pub" ]; then
    openssl pkey -in "$d/dev.key" -pubout -out "$d/dev.pub.new" && mv "$d/dev.pub.new" "$d/dev.pub"
  fi
  # The $skiptoken signing secret; replacing it invalidates every outstanding nextLink.
  if [ ! -s "$d/skiptoken.key" ]; then
    (umask 077 && openssl rand 32 > "$d/skiptoken.key.new") && mv "$d/skiptoken.key.new" "$d/skiptoken.key"
  fi
  # The compose stack's certgraph runs as uid/gid 10001 (docker/Dockerfile) and mounts this file:
  # readable by that group too, where this script may hand it over (as root), and by no one else.
  if is_root && [ "$(stat -c %g "$d/skiptoken.key")" != 10001 ]; then
    chgrp 10001 "$d/skiptoken.key" && chmod 0640 "$d/skiptoken.key"
  fi
}

# The compose stack's database passwords (docker/docker-compose.yml mounts them as secrets), random,
# made once. The directory keeps other host users out; the files are readable by every uid inside
# the containers (PostgreSQL's and certgraph's read them), which a bind-mounted secret needs.
secrets_ensure() {
  d=$VAR/secrets
  (umask 077 && mkdir -p "$d") && chmod 0700 "$d"
  # (the superuser's and replication's: docker/docker-compose.ha.yml's Patroni nodes)
  for f in pg-password service-password pg-superuser-password pg-replication-password; do
    [ -s "$d/$f" ] && continue
    openssl rand -hex 24 > "$d/$f.new" && chmod 0644 "$d/$f.new" && mv "$d/$f.new" "$d/$f"
  done
}
