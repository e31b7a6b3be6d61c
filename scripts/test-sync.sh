#!/usr/bin/env bash
# The sync end-to-end tests: devices (browser contexts, so separate
# storage) in headless Chromium and Firefox against the real ledger-server
# on a throwaway PostgreSQL with Message DB, started here on free loopback
# ports and removed however the tests end. Wants the release build in
# dist/ (scripts/test.sh builds it first). `scripts/setup.sh test`
# installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
source scripts/lib/postgres.sh
pg_install
messagedb_fetch

cargo build -p ledger-server --locked --quiet
export LEDGER_SERVER_BIN=$PWD/target/debug/ledger-server

trap pg_throwaway_cleanup EXIT
trap 'exit 130' INT TERM
pg_throwaway
export LEDGER_TEST_DATABASE_URL LEDGER_TEST_PSQL
LEDGER_TEST_DATABASE_URL=$(pg_url "$PG_PORT")
# For the tests that reset the server behind the devices' backs.
LEDGER_TEST_PSQL="$(pg_bin)/psql"

# The soak's dice: fixed here so a run can be repeated; `make soak` rolls others.
export SOAK_SEED=${SOAK_SEED:-20261129}
if [[ $# == 0 ]]; then set -- tests/e2e/sync/*.test.mjs; fi
node --test --test-concurrency=1 "$@"
