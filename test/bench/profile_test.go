// Package bench holds the side-by-side benchmarks (cmd/compare, run by
// `make bench-compare`), the fleet server they use (fleet, cmd/fleet) and
// the playbooks (plays). This test runs runbook's engine in-process
// against a fleet so it can be profiled with `go test -cpuprofile`.
package bench

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/inventory"
	"github.com/runbook-dev/runbook/module"
	"github.com/runbook-dev/runbook/runner"
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/report"
	"github.com/runbook-dev/runbook/test/bench/fleet"
	"github.com/runbook-dev/runbook/test/bench/plays"
	"github.com/runbook-dev/runbook/transport/ssh"
)

// TestProfileFleet runs the fleet playbook with runner.Run, as `runbook
// play` does, so that `go test -cpuprofile` profiles the engine and the SSH
// client. It only runs with RUNBOOK_BENCH=1. RUNBOOK_BENCH_FLEET names the
// fleet.json of a running test/bench/cmd/fleet (without it a fleet is
// started in this process, and shows in the profile); RUNBOOK_BENCH_N
// (default 1000) and RUNBOOK_BENCH_FORKS (default 50) size the run.
//
//	RUNBOOK_BENCH=1 go test ./test/bench -run ProfileFleet -cpuprofile cpu.prof
func TestProfileFleet(t *testing.T) {
	if os.Getenv("RUNBOOK_BENCH") != "1" {
		t.Skip("set RUNBOOK_BENCH=1 to run (make bench-compare does when a fleet target is missed)")
	}
	n, forks := envInt(t, "RUNBOOK_BENCH_N", 1000), envInt(t, "RUNBOOK_BENCH_FORKS", 50)
	dir := t.TempDir()
	var spec fleet.Spec
	if path := os.Getenv("RUNBOOK_BENCH_FLEET"); path != "" {
		var err error
		if spec, err = fleet.ReadSpec(path); err != nil {
			t.Fatal(err)
		}
	} else {
		f, err := fleet.Start(fleet.Options{N: n, Dir: filepath.Join(dir, "fleet")})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		spec = f.Spec()
	}
	invPath, khPath := filepath.Join(dir, "hosts.ini"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(invPath, []byte(spec.Inventory(n)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(khPath, []byte(spec.KnownHostsFor(n)), 0o644); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, name := range module.Names() {
		have[name] = true
	}
	a, err := plays.Write(dir, "fleet", plays.Fleet, have)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load([]string{invPath})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := playbook.Load(a.Playbook)
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string]any{"run": "profile-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	for i := 1; i < len(a.Runbook); i += 2 {
		k, v, _ := strings.Cut(a.Runbook[i], "=")
		extra[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := runner.Run(ctx, pb, runner.Options{
		Inventory: inv, ExtraVars: extra, Forks: forks,
		Reporter: report.NewText(report.TextOptions{Out: io.Discard}),
		Connector: runner.DefaultConnector{SSH: runner.SSHConnector{Defaults: ssh.Config{
			Timeout: 10 * time.Second, KnownHostsFile: khPath}}},
	})
	if err != nil || out.ExitCode() != 0 {
		t.Fatalf("run: %v, exit %d", err, out.ExitCode())
	}
	t.Logf("%d hosts × %d tasks, forks %d: %s", n, len(plays.Fleet), forks, time.Since(start).Round(time.Millisecond))
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}
