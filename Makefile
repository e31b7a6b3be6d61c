# Aliases for the scripts; the README's commands work without make.
.PHONY: serve test bench bench-server bench-sync soak size lighthouse

serve:
	scripts/serve.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh

bench-server:
	scripts/bench-server.sh

# Upload, download and a resumed download of 100,000 events through the
# server (BENCH_EVENTS to change it); builds the app first.
bench-sync:
	scripts/bench-sync.sh

# The three-device soak with other dice (SOAK_SEED=n for one of them).
soak:
	for seed in 1 2 3 4 5; do SOAK_SEED=$$seed scripts/test-sync.sh tests/e2e/sync/soak.test.mjs || exit 1; done

# The download's size (raw, gzip, brotli) and twiggy's tables; builds first.
size:
	scripts/size.sh

# Lighthouse's performance audit (mobile and desktop, with and without
# compression); builds first, installs Lighthouse under scripts/lighthouse/.
lighthouse:
	scripts/lighthouse.sh
