#!/usr/bin/env bash
# The server's tests against a real PostgreSQL with Message DB: starts a
# throwaway cluster (and a streaming replica of it) in a temporary directory
# on free loopback ports, runs
# server/tests/ (each test starts the ledger-server binary on its own free
# port), and stops and removes the cluster however the tests end.
# scripts/test.sh runs it; `scripts/setup.sh test` installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/postgres.sh
pg_install
messagedb_fetch

# Built before PostgreSQL starts, so the cluster lives only while tests run.
cargo test -p ledger-server --locked --no-run --quiet

trap pg_throwaway_cleanup EXIT
trap 'exit 130' INT TERM
pg_throwaway
cluster="$PG_TMP/cluster"
# A streaming replica of it, for the tests of pulls from a replica.
replica_port=$(free_port)
pg_replica "$PG_PORT" "$PG_TMP/replica" "$replica_port"
# What tests/restart.rs needs to restart the cluster under a running server
# (pg_ctl run as the cluster's owner), and tests/backup.rs to find pg_dump.
export LEDGER_TEST_PG_DIR=$cluster LEDGER_TEST_PG_BIN
LEDGER_TEST_PG_BIN=$(pg_bin)
if [[ $(id -u) == 0 ]]; then export LEDGER_TEST_PG_AS=postgres; else unset LEDGER_TEST_PG_AS; fi
# --show-output: the fault tests' figures (acknowledged, found, duplicates…)
# are part of the run's report.
LEDGER_TEST_REPLICA_URL=$(pg_url "$replica_port") \
LEDGER_TEST_DATABASE_URL=$(pg_url "$PG_PORT") cargo test -p ledger-server --locked -- --ignored --show-output "$@"
