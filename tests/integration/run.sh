#!/bin/sh
# Integration harness: brings up a throwaway stack (its own var dir, PostgreSQL cluster, pool and
# nginx on 127.0.0.1:18443), runs the Criterion binary against it, always tears it down, and exits
# with the tests' status.
#   sh tests/integration/run.sh BUILD_DIR [criterion options, e.g. --filter 'edge/*']
# Environment: CERTGRAPH_TEST_PORT (18443), CERTGRAPH_TEST_WORKERS (4), CERTGRAPH_TEST_KEEP=1 keeps
# the var dir (and the stack running) for a look afterwards.
set -u

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [criterion options]" >&2; exit 2; }
BUILD_DIR=$1; shift
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$(pwd)/$BUILD_DIR ;; esac
[ -x "$BUILD_DIR/integration-tests" ] || { echo "run.sh: $BUILD_DIR/integration-tests is missing (make $BUILD_DIR/integration-tests)" >&2; exit 2; }

VAR=$(mktemp -d /tmp/certgraph-it.XXXXXX) || exit 2
export CERTGRAPH_VAR="$VAR"
export CERTGRAPH_PORT="${CERTGRAPH_TEST_PORT:-18443}"
export CERTGRAPH_WORKERS="${CERTGRAPH_TEST_WORKERS:-4}"
export BUILD="$BUILD_DIR"
STACK="sh $ROOT/scripts/stack.sh"

teardown() {
  if [ "${CERTGRAPH_TEST_KEEP:-0}" = 1 ]; then
    echo "run.sh: kept the stack in $VAR (stop it: CERTGRAPH_VAR=$VAR sh scripts/stack.sh destroy)" >&2
  else
    $STACK destroy >/dev/null 2>&1 || $STACK down >&2
  fi
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The fixtures of tests/fixtures/seed load into their tenant when the stack first migrates.
export CERTGRAPH_SEED_DIR="$ROOT/tests/fixtures/seed"
if ! $STACK up > "$VAR/stack-up.log" 2>&1; then
  echo "run.sh: the stack did not start" >&2
  cat "$VAR/stack-up.log" >&2
  $STACK logs >&2
  exit 1
fi

eval "$($STACK env)" || { echo "run.sh: stack.sh env failed" >&2; exit 1; }

# What the test binary reads. The PostgreSQL commands carry the var dir with them.
export CERTGRAPH_TEST_URL="$CERTGRAPH_URL"
export CERTGRAPH_TEST_CA="$CERTGRAPH_CA"
export CERTGRAPH_TEST_CTL="$CERTGRAPH_CTL"
export CERTGRAPH_JWT_SIGNING_KEY
export CERTGRAPH_TEST_VAR="$VAR"
export CERTGRAPH_TEST_PIDFILE="$CERTGRAPH_PIDFILE"
export CERTGRAPH_TEST_DB="$CERTGRAPH_DB"
export CERTGRAPH_TEST_DB_SERVICE="$CERTGRAPH_DB_SERVICE"
export CERTGRAPH_TEST_SDK="$ROOT/tests/sdk"
export CERTGRAPH_TEST_BUILD="$BUILD_DIR"
export CERTGRAPH_TEST_PG_STOP="CERTGRAPH_VAR='$VAR' CERTGRAPH_WORKERS='$CERTGRAPH_WORKERS' sh '$ROOT/scripts/stack.sh' pg-stop"
export CERTGRAPH_TEST_PG_START="CERTGRAPH_VAR='$VAR' CERTGRAPH_WORKERS='$CERTGRAPH_WORKERS' sh '$ROOT/scripts/stack.sh' pg-start"
# The same for the pool (SIGTERM and drain; a fresh master and socket).
export CERTGRAPH_TEST_POOL_STOP="CERTGRAPH_VAR='$VAR' sh '$ROOT/scripts/stack.sh' pool-stop"
export CERTGRAPH_TEST_POOL_START="CERTGRAPH_VAR='$VAR' CERTGRAPH_WORKERS='$CERTGRAPH_WORKERS' BUILD='$BUILD_DIR' sh '$ROOT/scripts/stack.sh' pool-start"

echo "run.sh: stack up at $CERTGRAPH_TEST_URL (var $VAR)" >&2
"$BUILD_DIR/integration-tests" --jobs 1 "$@"
status=$?
# nginx flushes its access log buffer each second: let the last lines land, then read every log.
sleep 1.5
sh "$ROOT/tests/integration/log-check.sh" "$VAR" "$CERTGRAPH_PGLOG" || { [ "$status" -ne 0 ] || status=1; }
if [ "$status" -ne 0 ]; then
  echo "run.sh: integration tests failed (exit $status); the stack's logs:" >&2
  $STACK logs >&2
fi
exit "$status"
