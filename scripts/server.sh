#!/usr/bin/env bash
# Runs the ledger's server of record on http://127.0.0.1:${PORT:-8080}, with
# PostgreSQL and Message DB under it. One command:
#
#   scripts/server.sh                       PostgreSQL in $DATA_DIR (default
#                                           .server-data/), started on
#                                           127.0.0.1:${PGPORT:-5433}, installed
#                                           first if missing (Debian's, as root)
#   DATABASE_URL=postgres://… scripts/server.sh
#                                           that database instead (Message DB
#                                           installed in it)
#   DIST=dist scripts/server.sh             also serves the app's files
#                                           (`trunk build --release` makes dist/)
#
# Also read by the server: HOST, CORS_ORIGINS, TOKENS_FILE, RATE_LIMIT,
# RATE_BURST (README.md, "The server").
# Ctrl-C (or SIGTERM) stops the server, then the PostgreSQL this started.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/postgres.sh

# The server profile (Cargo.toml): optimised for speed; release is the
# wasm bundle's, optimised for size.
cargo build -p ledger-server --locked --profile server --bin ledger-server
server="${CARGO_TARGET_DIR:-$PWD/target}/server/ledger-server"

PG_CLUSTER=
stop_postgres() {
  if [[ -n $PG_CLUSTER && ${PG_STARTED:-0} == 1 ]]; then
    echo "stopping PostgreSQL" >&2
    pg_stop "$PG_CLUSTER"
  fi
}
trap stop_postgres EXIT

if [[ -z ${DATABASE_URL:-} ]]; then
  pg_install
  pg_local
  export DATABASE_URL
  echo "PostgreSQL with Message DB: $DATABASE_URL (data in $PG_CLUSTER)" >&2
else
  echo "using DATABASE_URL (Message DB must be installed there)" >&2
fi

if [[ -n ${DIST:-} ]]; then
  export DIST
  DIST=$(cd "$DIST" && pwd)
fi

"$server" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM
# The first wait returns early when a signal arrives; the second waits for
# the server to finish its requests, and gives its exit status.
wait "$pid" || true
status=0
wait "$pid" || status=$?
exit "$status"
