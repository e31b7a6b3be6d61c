#!/usr/bin/env bash
# The browser benchmark (`make bench`): builds the app (dist/) and the
# benchmark page (bench.html with the `bench` feature → dist-bench/), then
# measures the performance targets in headless Chromium and prints one table.
# Installs what is missing first. `scripts/bench.sh --tiny` runs size 100
# only (what the test command checks). The native benchmarks are
# `cargo bench -p ledger-core --features testing`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bench
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
trunk build --release
trunk build --release --dist dist-bench bench.html
exec node tests/e2e/bench.mjs "$@"
