#!/usr/bin/env bash
# The server benchmark (`make bench-server`; a soak, not a test): builds
# with the server profile, starts a DURABLE throwaway PostgreSQL with
# Message DB (fsync and synchronous_commit on: a 200 means the events are
# on disk) in a temporary directory, runs ledger-server on it and drives it
# with ledger-load; then drives ledger-original (the original's design: in
# memory, nothing durable) the same way; prints one table, then the
# catch-up rates. Stops and removes everything however it ends.
#
#   BENCH_SECONDS=10       seconds per level
#   BENCH_CLIENTS=1,4,16,64
#   BENCH_ACCOUNTS=1000    accounts the commands are spread over
#   BENCH_READERS=16       concurrent readers for the catch-up (the server has 16
#                          connections to PostgreSQL)
#
# Server, database and load generator share this machine's cores: the
# figures are for all three together.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/lib/postgres.sh
pg_install
messagedb_fetch

seconds=${BENCH_SECONDS:-10}
clients=${BENCH_CLIENTS:-1,4,16,64}
accounts=${BENCH_ACCOUNTS:-1000}
readers=${BENCH_READERS:-16}

cargo build -p ledger-server --locked --profile server --bins
bin="${CARGO_TARGET_DIR:-$PWD/target}/server"

tmp=$(mktemp -d)
cluster="$tmp/cluster"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pg_stop "$cluster"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# initdb refuses root: as root, the cluster belongs to postgres.
[[ $(id -u) == 0 ]] && chown postgres: "$tmp"

wait_for_port() {
  local port=$1
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $port after 30 s" >&2
  return 1
}

pgport=$(free_port)
pg_start "$cluster" "$pgport"
bin_pg=$(pg_bin)
printf '\n==> PostgreSQL: %s\n' "$(PATH="$bin_pg:$PATH" psql -h 127.0.0.1 -p "$pgport" -U postgres -d message_store -Atc \
  "select 'fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit') || ' wal_sync_method=' || current_setting('wal_sync_method')")"

port=$(free_port)
# RATE_LIMIT=0: the generator is one client going flat out.
RATE_LIMIT=0 DATABASE_URL=$(pg_url "$pgport") PORT=$port "$bin/ledger-server" >"$tmp/server.log" 2>&1 &
pids+=($!)
wait_for_port "$port"
printf '\n==> ledger-server (durable) on 127.0.0.1:%s\n' "$port"
"$bin/ledger-load" "127.0.0.1:$port" --accounts "$accounts" --clients "$clients" --seconds "$seconds" --readers "$readers" |
  tee "$tmp/durable.txt"
# The server's own view of the run.
curl -s "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -E '^ledger_(events_appended|append_conflicts|errors)_total' || true

base_port=$(free_port)
PORT=$base_port "$bin/ledger-original" >"$tmp/original.log" 2>&1 &
pids+=($!)
wait_for_port "$base_port"
printf '\n==> ledger-original (in memory, not durable) on 127.0.0.1:%s\n' "$base_port"
"$bin/ledger-load" "127.0.0.1:$base_port" --accounts "$accounts" --clients "$clients" --seconds "$seconds" --readers "$readers" |
  tee "$tmp/original.txt"

printf '\n==> %s s per level, %s accounts; server, PostgreSQL and load generator on %s cores\n\n' "$seconds" "$accounts" "$(nproc)"
awk '
  function word(key,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) return kv[2] } return "" }
  FNR == 1 { file++ }
  /^level / { c = word("clients"); rate[file, c] = word("cmds_per_s"); p50[file, c] = word("p50_ms"); p99[file, c] = word("p99_ms");
              err[file, c] = word("errors"); if (file == 1) order[++n] = c }
  /^catch_up / && word("events_per_s") != "" {
    catch[file] = catch[file] "\n  " word("events_per_s") " events/s (" word("events") " events, " word("path") ", " word("readers") " readers)" }
  END {
    printf "| clients | durable cmds/s | p50 ms | p99 ms | errors | baseline cmds/s | baseline p50 | baseline p99 |\n"
    printf "|--------:|---------------:|-------:|-------:|-------:|----------------:|-------------:|-------------:|\n"
    for (i = 1; i <= n; i++) { c = order[i]
      printf "| %7s | %14s | %6s | %6s | %6s | %15s | %12s | %12s |\n", c, rate[1, c], p50[1, c], p99[1, c], err[1, c], rate[2, c], p50[2, c], p99[2, c] }
    printf "\ncatch-up, durable:%s\ncatch-up, baseline:%s\n", catch[1], catch[2]
  }' "$tmp/durable.txt" "$tmp/original.txt"
