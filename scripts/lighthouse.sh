#!/usr/bin/env bash
# Lighthouse 12.2.3's performance audit of the release build in Debian's
# Chromium: dist/ served on 127.0.0.1 with gzip/brotli and without
# compression, each with the mobile (simulated slow 4G) and desktop presets;
# prints score, LCP, FCP, TBT and CLS. Builds first unless LIGHTHOUSE_NO_BUILD=1.
# Lighthouse lives in scripts/lighthouse/ (its own package.json and lock
# file), so the test command never installs it; nothing downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

if [[ ${LIGHTHOUSE_NO_BUILD:-} != 1 ]]; then
  scripts/setup.sh bench
  trunk build --release
fi
lh=scripts/lighthouse
if [[ ! -d $lh/node_modules/lighthouse || $lh/package-lock.json -nt $lh/node_modules/.package-lock.json ]]; then
  (cd $lh && npm ci --no-audit --no-fund)
fi
node $lh/run.mjs dist
