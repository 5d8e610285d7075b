#!/bin/sh
# Turns sql/NNN_name.sql files into a C table of {version, name, text} for certgraphctl migrate.
set -eu
echo '#include "migrate.h"'
echo 'const struct migration certgraph_migrations[] = {'
for f in "$@"; do
  base=$(basename "$f" .sql)
  version=$(printf '%s' "$base" | sed 's/_.*//' | sed 's/^0*//')
  printf '  { %s, "%s",\n' "${version:-0}" "$base"
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$f"
  echo '  },'
done
echo '  { 0, 0, 0 }'
echo '};'
