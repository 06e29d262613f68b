# runbook — build, test, benchmark.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
# An execution count, not a duration: with a duration, Go 1.26's fuzz
# coordinator can report its own deadline as a failure (golang/go#75804,
# fixed in Go 1.27) when a loaded machine delays a worker at the end.
FUZZTIME ?= 5000x
PKGS     := ./...
# Linters, pinned and installed on first use into a cache outside the tree.
TOOLS              ?= /var/cache/runbook/bin
STATICCHECK_VERSION := v0.8.2
UNPARAM_VERSION     := v0.0.0-20260823230713-2fa3d841b0c8
STATICCHECK        := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)
UNPARAM            := $(TOOLS)/unparam-$(UNPARAM_VERSION)

.PHONY: all build test fuzz bench bench-micro vet clean docs

all: build

build: ## build bin/runbook
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/runbook ./cmd/runbook

test: vet build ## vet, unit tests, CLI tests and short fuzzing
	$(GO) test -race -count=1 -timeout 45m $(PKGS)
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

fuzz: ## run every fuzz target for FUZZTIME each
	@set -e; for t in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/func //' | sort -u); do \
		pkg=$$(grep -rlE "^func $$t\(" --include='*_test.go' . | head -1 | xargs dirname); \
		echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
		$(GO) test $$pkg -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) >/tmp/runbook-fuzz.log 2>&1 || { cat /tmp/runbook-fuzz.log; exit 1; }; \
	done

bench: build ## micro-benchmarks and the side-by-side comparisons, all in BENCHMARKS.md
	@if [ -f test/bench/bench.mk ]; then $(MAKE) bench-compare; else $(MAKE) bench-micro; fi

bench-micro: ## Go micro-benchmarks of the engine hot paths (bench-compare runs the same and reports them)
	$(GO) test -run='^$$' -bench=. -benchmem ./runner/... ./modules/... ./transport/...

docs: ## regenerate README.md's module reference from the module declarations
	$(GO) run ./internal/cmd/gendocs README.md

vet: $(STATICCHECK) $(UNPARAM) ## gofmt, go vet, staticcheck, unparam
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)
	$(UNPARAM) $(PKGS)

# The version is part of the file name, so bumping it installs the new one.
$(STATICCHECK):
	@mkdir -p $(TOOLS)/tmp
	GOBIN=$(TOOLS)/tmp $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS)/tmp/staticcheck $@

$(UNPARAM):
	@mkdir -p $(TOOLS)/tmp
	GOBIN=$(TOOLS)/tmp $(GO) install mvdan.cc/unparam@$(UNPARAM_VERSION)
	mv $(TOOLS)/tmp/unparam $@

clean:
	rm -rf bin

# The lab: a multi-node cluster of systemd-nspawn nodes on loopback (test/lab).
-include test/lab/lab.mk

# Side-by-side benchmarks against ansible-playbook, rsync, scp (test/bench).
-include test/bench/bench.mk
