# Side-by-side benchmarks (issue 8), included from the Makefile. Not part of
# `make test`; `make bench` runs them after the micro-benchmarks.
#
#   make bench-compare                      # everything; writes BENCHMARKS.md (about 25 minutes)
#   make bench-compare BENCH_FLAGS='-sizes 50,200 -ansible-sizes 50'
#   make bench-profile                      # CPU profile of runner.Run on an in-process fleet
#
# Needs root (the real sshd hosts log in as root), Debian's ansible-core and
# OpenSSH (installed by bench-setup when missing), and loopback only:
# test/sshd hosts on 127.0.11.x, fleet hosts on 127.0.12.x.

BENCH_FLAGS ?=
BENCH_OUT   ?= BENCHMARKS.md
BENCH_N     ?= 1000
BENCH_FORKS ?= 50
BENCH_PROF_DIR ?= /tmp/runbook-bench-profile

.PHONY: bench-compare bench-setup bench-profile

bench-compare: bench-setup ## runbook vs ansible-playbook: task overhead and fleet scale -> BENCHMARKS.md
	@test "$$(id -u)" = 0 || { echo "bench-compare must run as root"; exit 1; }
	ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; \
	$(GO) run ./test/bench/cmd/compare -root "$(CURDIR)" -out "$(BENCH_OUT)" $(BENCH_FLAGS)

bench-setup: ## install what the comparisons need (idempotent)
	@missing=""; \
	command -v ansible-playbook >/dev/null 2>&1 || missing="$$missing ansible-core"; \
	test -x /usr/sbin/sshd || missing="$$missing openssh-server"; \
	command -v ssh >/dev/null 2>&1 || missing="$$missing openssh-client"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

bench-profile: ## CPU profile of the engine on BENCH_N in-process fleet hosts -> $(BENCH_PROF_DIR)
	mkdir -p $(BENCH_PROF_DIR)
	ulimit -n 65536 2>/dev/null || ulimit -n "$$(ulimit -Hn)"; \
	RUNBOOK_BENCH=1 RUNBOOK_BENCH_N=$(BENCH_N) RUNBOOK_BENCH_FORKS=$(BENCH_FORKS) \
		$(GO) test ./test/bench -run '^TestProfileFleet$$' -count=1 -v -cpuprofile $(BENCH_PROF_DIR)/cpu.prof -o $(BENCH_PROF_DIR)/bench.test
	$(GO) tool pprof -top -cum -nodecount 40 $(BENCH_PROF_DIR)/bench.test $(BENCH_PROF_DIR)/cpu.prof
