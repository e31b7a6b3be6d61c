#!/usr/bin/env bash
# `make bench-sync`: a first upload, a first download and a download resumed
# after a reload, of BENCH_EVENTS (100,000) events through the real server
# on a throwaway PostgreSQL (tests/e2e/sync/bench.mjs). Builds the app first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
trunk build --release
scripts/test-sync.sh tests/e2e/sync/bench.mjs
