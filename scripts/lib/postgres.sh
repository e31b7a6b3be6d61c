# shellcheck shell=bash
# The one owner of "a throwaway PostgreSQL with Message DB on loopback",
# sourced by scripts/server.sh and scripts/test-server.sh (and setup.sh, for
# what it installs). Nothing here downloads a binary: PostgreSQL is Debian's,
# Message DB is its npm package's SQL.
#
#   pg_install             PostgreSQL from Debian, if missing (as root with apt)
#   messagedb_fetch        the Message DB package into the cache (npm pack), once
#   pg_start DIR PORT      a cluster in DIR (made on first use), on 127.0.0.1:PORT,
#                          with Message DB installed; PG_FAST=1 trades durability
#                          for speed (tests). Sets PG_STARTED=1 when it started
#                          PostgreSQL, 0 when one was already running in DIR
#   pg_replica PRIMARY_PORT DIR PORT
#                          a streaming replica of the cluster on PRIMARY_PORT
#                          (pg_basebackup -R) in DIR, on 127.0.0.1:PORT
#   pg_stop DIR            stops it
#   pg_url PORT            the server's DATABASE_URL for it
#   pg_local               scripts/server.sh's own cluster ($DATA_DIR, default
#                          .server-data/, on 127.0.0.1:${PGPORT:-5433}), made
#                          and started as pg_start does: sets PG_CLUSTER and
#                          DATABASE_URL
#   pg_throwaway           a cluster for one run of tests: a new temporary
#                          directory PG_TMP, the cluster in PG_TMP/cluster on a
#                          free port PG_PORT, started with PG_FAST=1
#   pg_throwaway_cleanup   stops every cluster under PG_TMP (a replica made
#                          there too) and removes it: the caller's EXIT trap
#   free_port              a TCP port nothing listens on

MESSAGEDB_VERSION=1.3.1
LEDGER_CACHE=${LEDGER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ledger}
MESSAGEDB_TARBALL="$LEDGER_CACHE/eventide-message-db-$MESSAGEDB_VERSION.tgz"

pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x $dir/initdb ]] && { echo "$dir"; return 0; }
  done
  return 1
}

pg_install() {
  pg_bin >/dev/null && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    printf '\n==> installing PostgreSQL from Debian\n'
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "Please install PostgreSQL (as root: apt-get install postgresql)" >&2
    return 1
  fi
}

messagedb_fetch() {
  [[ -s $MESSAGEDB_TARBALL ]] && return 0
  printf '\n==> fetching Message DB %s (npm pack, once)\n' "$MESSAGEDB_VERSION"
  mkdir -p "$LEDGER_CACHE"
  (cd "$LEDGER_CACHE" && npm pack --silent "@eventide/message-db@$MESSAGEDB_VERSION" >/dev/null)
  [[ -s $MESSAGEDB_TARBALL ]]
}

# Runs a command as the cluster's owner: postgres when we are root (initdb
# refuses root), ourselves otherwise.
pg_as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

pg_throwaway() {
  PG_TMP=$(mktemp -d)
  # initdb refuses root: as root, the cluster belongs to postgres.
  if [[ $(id -u) == 0 ]]; then chown postgres: "$PG_TMP"; fi
  PG_PORT=$(free_port)
  PG_FAST=1 pg_start "$PG_TMP/cluster" "$PG_PORT"
}

pg_throwaway_cleanup() {
  [[ -n ${PG_TMP:-} && -d $PG_TMP ]] || return 0
  local dir
  for dir in "$PG_TMP"/*/; do pg_stop "${dir%/}"; done
  rm -rf "$PG_TMP"
}

pg_url() {
  echo "postgres://postgres@127.0.0.1:$1/message_store"
}

pg_local() {
  local data_dir=${DATA_DIR:-$PWD/.server-data} port=${PGPORT:-5433}
  mkdir -p "$data_dir"
  data_dir=$(cd "$data_dir" && pwd)
  # initdb refuses root: as root, the cluster belongs to postgres.
  [[ $(id -u) == 0 ]] && chown postgres: "$data_dir"
  PG_CLUSTER="$data_dir/postgres"
  pg_start "$PG_CLUSTER" "$port"
  DATABASE_URL=$(pg_url "$port")
}

pg_start() {
  local dir=$1 port=$2 bin
  bin=$(pg_bin) || { echo "PostgreSQL is not installed" >&2; return 1; }
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres: "$dir" && chmod 700 "$dir"
  if [[ ! -f $dir/PG_VERSION ]]; then
    pg_as_owner "$bin/initdb" -D "$dir" -A trust -U postgres --no-sync >"$dir.initdb.log" 2>&1 ||
      { cat "$dir.initdb.log" >&2; return 1; }
    rm -f "$dir.initdb.log"
  fi
  PG_STARTED=0
  if pg_as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    echo "PostgreSQL is already running in $dir: using it" >&2
    messagedb_install "$port"
    return
  fi
  local options="-p $port -k $dir -c listen_addresses=127.0.0.1"
  if [[ ${PG_FAST:-0} == 1 ]]; then
    options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  pg_as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/postgres.log" -o "$options" -w -s start ||
    { tail -n 20 "$dir/postgres.log" >&2; return 1; }
  PG_STARTED=1
  messagedb_install "$port"
}

pg_replica() {
  local primary=$1 dir=$2 port=$3 bin
  bin=$(pg_bin) || { echo "PostgreSQL is not installed" >&2; return 1; }
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres: "$dir" && chmod 700 "$dir"
  pg_as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir" -R -X stream >"$dir.basebackup.log" 2>&1 ||
    { cat "$dir.basebackup.log" >&2; return 1; }
  rm -f "$dir.basebackup.log"
  pg_as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/postgres.log" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -w -s start ||
    { tail -n 20 "$dir/postgres.log" >&2; return 1; }
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bin) || return 0
  [[ -f $dir/postmaster.pid ]] || return 0
  pg_as_owner "$bin/pg_ctl" -D "$dir" -m fast -w -s stop || true
}

# Installs Message DB into the cluster on PORT unless its database is there.
messagedb_install() {
  local port=$1 bin
  bin=$(pg_bin)
  if PATH="$bin:$PATH" psql -h 127.0.0.1 -p "$port" -U postgres -d message_store -Atqc 'select 1' >/dev/null 2>&1; then
    return 0
  fi
  messagedb_fetch
  local unpacked
  unpacked=$(mktemp -d)
  tar xzf "$MESSAGEDB_TARBALL" -C "$unpacked"
  PATH="$bin:$PATH" PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres \
    bash "$unpacked/package/database/install.sh" >"$unpacked/install.log" 2>&1 ||
    { cat "$unpacked/install.log" >&2; rm -rf "$unpacked"; return 1; }
  rm -rf "$unpacked"
}
