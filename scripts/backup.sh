#!/usr/bin/env bash
# A backup of the ledger: pg_dump of its database in PostgreSQL's custom
# format (one consistent snapshot, taken while the server runs or not).
#
#   scripts/backup.sh [FILE]     default FILE: backups/ledger-<UTC time>.dump
#
# The database is DATABASE_URL's, else scripts/server.sh's own cluster
# ($DATA_DIR, default .server-data/, on 127.0.0.1:${PGPORT:-5433}), started
# for the dump if it is not running (and stopped again). scripts/restore.sh
# brings a backup back.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/lib/postgres.sh"

file=${1:-$root/backups/ledger-$(date -u +%Y%m%dT%H%M%SZ).dump}
file=$(realpath -m -- "$file")
mkdir -p "$(dirname "$file")"
bin=$(pg_bin) || { echo "PostgreSQL is not installed (scripts/setup.sh test installs it)" >&2; exit 1; }

PG_CLUSTER=
stop_postgres() {
  if [[ -n $PG_CLUSTER && ${PG_STARTED:-0} == 1 ]]; then pg_stop "$PG_CLUSTER"; fi
  rm -f "$file.partial"
}
trap stop_postgres EXIT
if [[ -z ${DATABASE_URL:-} ]]; then
  (cd "$root" && [[ -f ${DATA_DIR:-.server-data}/postgres/PG_VERSION ]]) ||
    { echo "no DATABASE_URL and no cluster in ${DATA_DIR:-.server-data}/: nothing to back up" >&2; exit 1; }
  cd "$root"
  pg_local
fi

# Written aside, then renamed: a file of that name is a whole backup.
"$bin/pg_dump" --format=custom --file="$file.partial" --dbname="$DATABASE_URL"
mv "$file.partial" "$file"
echo "backed up to $file" >&2
