#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) the ledger needs, and
# skips whatever is already there, so a second run takes seconds.
#
#   scripts/setup.sh serve   the wasm32 target, trunk, wasm-bindgen-cli, wasm-opt
#   scripts/setup.sh test    the same, plus Chromium, ChromeDriver, Firefox ESR
#                            and PostgreSQL (Debian packages, when root with apt),
#                            geckodriver, and Message DB (npm pack, cached)
#   scripts/setup.sh bench   the same as serve, plus Chromium
#
# Nothing here downloads a prebuilt binary: Rust tools are built from
# crates.io, wasm-opt is npm's binaryen, browsers are Debian's.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}

TRUNK_VERSION=0.21.14
GECKODRIVER_VERSION=0.37.1
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]]; then
  step "building trunk $TRUNK_VERSION (takes a few minutes, once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must be exactly Cargo.lock's wasm-bindgen. Installed without
# --locked: its own lock file pins a crate version crates.io no longer has.
WASM_BINDGEN_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! grep -q "^wasm_bindgen = \"$WASM_BINDGEN_VERSION\"" Trunk.toml; then
  echo "Trunk.toml must pin wasm_bindgen = \"$WASM_BINDGEN_VERSION\", the version in Cargo.lock" >&2
  exit 1
fi
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  step "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt from npm's binaryen 132 (Debian's binaryen 108 silently breaks the
# app); playwright-core, which drives Debian's Chromium, and puppeteer-core,
# which drives Debian's Firefox ESR over WebDriver BiDi; neither downloads a
# browser.
if [[ ! -x node_modules/.bin/wasm-opt || ! -d node_modules/playwright-core || ! -d node_modules/puppeteer-core || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "installing npm tools (binaryen, playwright-core, puppeteer-core)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

if [[ $mode == test || $mode == bench ]]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  if [[ $mode == test ]]; then
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    command -v firefox-esr >/dev/null || command -v firefox >/dev/null || missing+=(firefox-esr)
    # The server's walkthrough test runs the README's curl commands.
    command -v curl >/dev/null || missing+=(curl)
  fi
  if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      step "installing ${missing[*]} from Debian"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "Please install ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
      exit 1
    fi
  fi
  if [[ $mode == test && "$(geckodriver --version 2>/dev/null | head -n1)" != "geckodriver $GECKODRIVER_VERSION"* ]]; then
    step "building geckodriver $GECKODRIVER_VERSION (once)"
    cargo install --locked geckodriver --version "$GECKODRIVER_VERSION"
  fi
fi

# The server's tests: PostgreSQL and Message DB (scripts/lib/postgres.sh).
if [[ $mode == test ]]; then
  source scripts/lib/postgres.sh
  pg_install
  messagedb_fetch
fi

# Trunk builds offline; every crate must be in cargo's cache first.
cargo fetch --locked --quiet
