#!/usr/bin/env bash
# Serves the app at http://127.0.0.1:8080 and rebuilds on change.
# Extra arguments go to trunk, e.g. `scripts/serve.sh --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh serve
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
exec trunk serve "$@"
