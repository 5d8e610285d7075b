#!/bin/sh
# The Debian 12 packages certgraph builds, tests and runs with: installs the missing ones (as root),
# or with --list just prints them (.ci/run installs from that list).
set -eu
PKGS="build-essential clang libclang-rt-14-dev pkg-config libfcgi-dev libyajl-dev libpq-dev
libcriterion-dev libssl-dev libcurl4-openssl-dev libxml2-dev postgresql nginx libnginx-mod-http-set-misc openssl
curl procps"
# --containers: what make compose-test runs the compose stack with here (no Docker engine: podman),
# and docker-compose to check the files as Docker's tooling reads them. netavark and aardvark-dns
# are only recommended by podman: without them a fresh machine gets the CNI plugins, whose networks
# have no DNS, and compose services cannot find each other by name; netavark needs iptables, which
# podman only suggests.
CONTAINER_PKGS="podman podman-compose runc netavark aardvark-dns iptables debootstrap docker-compose"
# --ha: what make ha-up runs the several-node stack with (Patroni and etcd).
HA_PKGS="patroni etcd-server"

# Installs those of the packages named that are not installed yet (as root; otherwise says which).
install_missing() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || { echo "missing packages:$missing (run as root, or apt-get install them)" >&2; exit 1; }
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

case ${1:-} in
  --list) echo $PKGS ;;
  --containers) install_missing $CONTAINER_PKGS ;;
  --ha) install_missing $HA_PKGS ;;
  --node)
    # Node.js and npm for tests/sdk, from Debian, only when the machine has none (a machine with
    # another build of Node.js, which carries its own npm, is left as it is).
    command -v node >/dev/null && command -v npm >/dev/null && exit 0
    [ "$(id -u)" = 0 ] || { echo "Node.js and npm are missing (run as root, or install them)" >&2; exit 1; }
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    ;;
  *) install_missing $PKGS ;;
esac
