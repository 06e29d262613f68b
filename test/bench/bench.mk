# Benchmarks of issue 8, included from the Makefile. Not part of `make test`;
# `make bench` runs bench-compare, which runs everything and writes BENCHMARKS.md:
#
#   1. the engine's micro-benchmarks (what `make bench-micro` runs);
#   2. task overhead: a 20-task playbook on the four lab nodes, runbook against
#      ansible-playbook;
#   3. fleet scale: 50-1000 in-process SSH hosts (127.0.12.x), runbook against
#      ansible-playbook;
#   4. registry distribution on the lab: registry_sync (the runbook binary)
#      against rsync -a -e ssh and scp -r, a generated 1 GiB tree;
#   5. recovery of master0 on the lab with the built-in playbooks.
#
#   make bench-compare                      # everything (about 30 minutes)
#   make bench-compare BENCH_FLAGS='-only registry -registry-mb 256'
#   make bench-compare BENCH_FLAGS='-sizes 50,200 -ansible-sizes 50 -only scale'
#   make bench-profile                      # CPU profile of runner.Run on an in-process fleet
#
# Needs root, the lab (test/lab: systemd-nspawn, debootstrap, zstd, nsenter;
# the first lab-up builds its cache), Debian's ansible-core and OpenSSH
# (installed by bench-setup when missing), and loopback only: lab nodes on
# 127.0.10.x, fleet hosts on 127.0.12.x. The lab is started and seeded if
# needed (waiting for tests using it), stopped again if it was down, and
# reset after the recovery benchmark.

BENCH_FLAGS ?=
BENCH_OUT   ?= BENCHMARKS.md
BENCH_N     ?= 1000
BENCH_FORKS ?= 50
BENCH_PROF_DIR ?= /tmp/runbook-bench-profile

.PHONY: bench-compare bench-setup bench-profile

bench-compare: bench-setup ## every benchmark of issue 8 -> BENCHMARKS.md
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
