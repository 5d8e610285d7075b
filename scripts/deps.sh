#!/bin/sh
# Installs the Debian 12 packages certgraph builds, tests and runs with, when any is missing.
set -eu
PKGS="build-essential clang pkg-config libfcgi-dev libyajl-dev libpq-dev libcriterion-dev libssl-dev
libcurl4-openssl-dev postgresql nginx openssl curl"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing packages:$missing (run as root, or apt-get install them)" >&2; exit 1
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
