#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into a new database, with a
# new server id: positions after the backup's last one may be given again,
# to other events, so devices must see that this is another history
# (docs/sync-protocol.md); the server makes the new id when it starts.
#
#   scripts/restore.sh FILE
#
# Into DATABASE_URL's database (a postgres:// URL), created: it must not
# exist yet, or hold no message. Else into scripts/server.sh's own cluster
# ($DATA_DIR, default .server-data/, on 127.0.0.1:${PGPORT:-5433}), made and
# started if need be (and stopped again): a fresh DATA_DIR, say. Then start
# the server on it (scripts/server.sh with the same DATABASE_URL or DATA_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/lib/postgres.sh"

die() {
  echo "restore: $*" >&2
  exit 1
}
[[ $# == 1 ]] || die "usage: scripts/restore.sh FILE (a dump made by scripts/backup.sh)"
[[ -s $1 ]] || die "$1 is not a backup file"
file=$(realpath -- "$1")
bin=$(pg_bin) || die "PostgreSQL is not installed (scripts/setup.sh test installs it)"

PG_CLUSTER=
created=
cleanup() {
  local status=$?
  if [[ $status != 0 && -n $created ]]; then
    echo "restore: failed, dropping the database it made" >&2
    "$bin/psql" -q -d "$admin" -c "DROP DATABASE IF EXISTS \"$name\"" || true
  fi
  if [[ -n $PG_CLUSTER && ${PG_STARTED:-0} == 1 ]]; then pg_stop "$PG_CLUSTER"; fi
}
trap cleanup EXIT
if [[ -z ${DATABASE_URL:-} ]]; then
  cd "$root"
  pg_install
  pg_local
fi

# The database's name, and the server's maintenance database beside it.
url=$DATABASE_URL
[[ $url == postgres://* || $url == postgresql://* ]] || die "DATABASE_URL must be a postgres:// URL"
base=${url%%\?*}
query=${url#"$base"}
name=${base##*/}
admin="${base%/*}/postgres$query"
[[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "the database's name, $name, must be letters, digits and _"
sql() {
  "$bin/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"
}

if [[ -n $(sql -d "$admin" -c "SELECT 1 FROM pg_database WHERE datname = '$name'") ]]; then
  empty=$(sql -d "$url" -c "SELECT to_regclass('message_store.messages') IS NULL OR NOT EXISTS (SELECT 1 FROM message_store.messages)")
  [[ $empty == t ]] || die "database $name holds messages: restore into a new database (another name in DATABASE_URL, or a new DATA_DIR)"
  sql -d "$admin" -c "DROP DATABASE \"$name\""
fi
# Message DB's role, which the backup grants its functions to.
if [[ -z $(sql -d "$admin" -c "SELECT 1 FROM pg_roles WHERE rolname = 'message_store'") ]]; then
  sql -d "$admin" -c "CREATE ROLE message_store WITH LOGIN"
fi
sql -d "$admin" -c "CREATE DATABASE \"$name\""
created=1
"$bin/pg_restore" --exit-on-error --single-transaction --dbname="$url" "$file"
# A new history: the server makes a new id at its next start (a backup of
# a database no server had started on has none yet).
if [[ $(sql -d "$url" -c "SELECT to_regclass('message_store.ledger_server') IS NOT NULL") == t ]]; then
  sql -d "$url" -c "DELETE FROM message_store.ledger_server"
fi
echo "restored $file into $name, with a new server id at the server's next start" >&2
