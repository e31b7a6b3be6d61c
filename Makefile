# Aliases for the scripts; the README's commands work without make.
.PHONY: serve test bench

serve:
	scripts/serve.sh

test:
	scripts/test.sh

bench:
	scripts/setup.sh serve
	PATH="$$HOME/.cargo/bin:$$PWD/node_modules/.bin:$$PATH" trunk build --release
	node tests/e2e/bench-execute.mjs 100 1000 10000
