#!/usr/bin/env bash
# Checks formatting and clippy (native and wasm32, warnings as errors), then
# runs every test: native (cargo test), in headless Chromium and Firefox
# (wasm-bindgen-test), then end to end against the release build in headless
# Chromium (playwright-core) and, for most of them (the list below), in
# headless Firefox (puppeteer-core), and the browser benchmark on a tiny size; and the
# server against a throwaway PostgreSQL with Message DB.
# Installs what is missing first.
#
# `scripts/test.sh quick`: only formatting, clippy (native), the native
# tests and the server's tests (no browser, no wasm32): the loop to iterate
# with. The plain command is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
mode=${1:-all}
case $mode in
  all | quick) ;;
  *)
    echo "usage: scripts/test.sh [quick]" >&2
    exit 2
    ;;
esac
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
summary=()
passed_total=0

# Runs one kind of test, shows its output, and counts what passed.
timed() {
  local name=$1
  shift
  printf '\n==> %s\n' "$name"
  local t=$SECONDS
  "$@" 2>&1 | tee "$logs/current"
  local passed
  passed=$(awk '/^test result: ok\. [0-9]+ passed/ { s += $4 } /^# pass [0-9]+/ { s += $3 } END { print s + 0 }' "$logs/current")
  passed_total=$((passed_total + ${passed:-0}))
  summary+=("$(printf '%-40s %4s passed  %4ss' "$name" "${passed:-0}" $((SECONDS - t)))")
}

# Hygiene first: formatting, and clippy with warnings as errors, natively
# and for wasm32 (the browser code only compiles there).
timed "cargo fmt --check" cargo fmt --all --check

# ARCHITECTURE.md's first invariant: the core depends on no browser crate,
# no clock and no randomness.
core_dependencies() {
  local found
  found=$(cargo tree -p ledger-core -e normal --target all --prefix none --locked |
    grep -E '^(web-sys|js-sys|wasm-bindgen|leptos|gloo-[a-z-]+|getrandom|rand|chrono|time) ' || true)
  if [ -n "$found" ]; then
    printf 'ledger-core must stay pure, but depends on:\n%s\n' "$found" >&2
    return 1
  fi
  echo "ledger-core depends on no browser crate, clock or randomness"
}
timed "core dependencies" core_dependencies
timed "clippy, native" cargo clippy --workspace --all-targets --locked -- -D warnings
if [ "$mode" = all ]; then
  timed "clippy, wasm32" cargo clippy --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
fi
timed "native tests" cargo test --workspace --locked
timed "server tests against PostgreSQL" scripts/test-server.sh

finish() {
  printf '\n'
  printf '%s\n' "${summary[@]}"
  printf 'All tests passed in %ss.\n' $((SECONDS - start))
  printf '%s passed, 0 failed\n' "$passed_total"
}
if [ "$mode" = quick ]; then
  finish
  printf 'That was the quick subset: scripts/test.sh runs everything (browsers too).\n'
  exit 0
fi

timed "browser tests in headless Chromium" \
  env -u GECKODRIVER CHROMEDRIVER="$(command -v chromedriver)" \
  cargo test --locked --target wasm32-unknown-unknown --test browser --test ui
timed "browser tests in headless Firefox" \
  env -u CHROMEDRIVER GECKODRIVER="$(command -v geckodriver)" \
  cargo test --locked --target wasm32-unknown-unknown --test browser --test ui
timed "release build" trunk build --release
timed "end-to-end tests in headless Chromium" node --test tests/e2e/*.test.mjs
# Devices syncing through the real server on a throwaway PostgreSQL.
timed "sync end to end against the server" scripts/test-sync.sh
# Again in Firefox ESR: the tabs race, the faults, export/import, a copy in
# a folder, keeping the data, numbers in German, the layout at every width
# and axe.
timed "end-to-end tests in headless Firefox" \
  env E2E_BROWSER=firefox node --test tests/e2e/tabs.test.mjs tests/e2e/faults.test.mjs tests/e2e/portable.test.mjs \
    tests/e2e/paths.test.mjs tests/e2e/keep.test.mjs tests/e2e/numbers.test.mjs \
    tests/e2e/layout.test.mjs tests/e2e/a11y.test.mjs
# The browser benchmark on a tiny size: only that its code runs (make bench measures).
timed "benchmark page build" trunk build --release --dist dist-bench bench.html
timed "benchmark, tiny size (not measured)" node tests/e2e/bench.mjs --tiny

finish
