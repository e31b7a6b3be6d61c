#!/usr/bin/env bash
# What a first load downloads: builds the release (trunk build --release,
# unless SIZE_NO_BUILD=1), then prints raw, gzip -9 and brotli sizes of
# dist/'s wasm and JS, twiggy's largest items, and a table per crate.
#
# Names: Trunk's wasm-opt drops the name section, so the tables come from
# a second wasm-opt run of the same input (wasm-bindgen's output) at the
# same level and params with -g, which keeps the names (target/size/names.wasm); its
# code is the shipped code give or take a few bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

if [[ ${SIZE_NO_BUILD:-} != 1 ]]; then
  scripts/setup.sh serve
  trunk build --release
fi

echo "== download (gzip -9 and brotli q11 as a host would send them)"
node scripts/size.mjs dist

if ! command -v twiggy >/dev/null; then
  echo "(twiggy not installed: cargo install twiggy, for the tables by item and crate)"
  exit 0
fi
level=$(sed -n 's/.*data-bin="bank-ledger" data-wasm-opt="\([^"]*\)".*/\1/p' index.html)
params=$(sed -n 's/.*data-bin="bank-ledger".*data-wasm-opt-params="\([^"]*\)".*/\1/p' index.html)
mkdir -p "$CARGO_TARGET_DIR/size"
names="$CARGO_TARGET_DIR/size/names.wasm"
# shellcheck disable=SC2086 # the params are words
wasm-opt "-O${level:-z}" $params -g --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$CARGO_TARGET_DIR/wasm-bindgen/release/bank-ledger_bg.wasm" -o "$names"
echo
echo "== largest items (twiggy top, names kept: $names)"
twiggy top -n 25 "$names" | cut -c1-160
echo
echo "== per crate (twiggy top, shallow bytes; the name section is the (sections) row)"
twiggy top -f csv "$names" >"$CARGO_TARGET_DIR/size/top.csv"
node scripts/size.mjs --crates "$CARGO_TARGET_DIR/size/top.csv"
