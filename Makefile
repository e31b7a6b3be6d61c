# Aliases for the scripts; the README's commands work without make.
.PHONY: serve test bench

serve:
	scripts/serve.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh
