# Aliases for the scripts; the README's commands work without make.
.PHONY: serve test bench bench-server

serve:
	scripts/serve.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh

bench-server:
	scripts/bench-server.sh
