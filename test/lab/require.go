package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// RUNBOOK_LAB controls tests that need the lab:
//
//	unset    run them when this machine can (root, systemd-nspawn, cache
//	         built), otherwise skip with one line saying why
//	required never skip: a missing prerequisite fails the test, and a
//	         missing cache is built (.ci/run sets this)
//	off      skip them
const envMode = "RUNBOOK_LAB"

// Require returns the lab, up and seeded, for the calling test, or skips the
// test with one line saying why it cannot run here (t.Fatal instead when
// RUNBOOK_LAB=required). The test gets the lab to itself until it ends:
// tests of other packages that call Require wait their turn. Nodes that are
// down are started, and Seed restores the sealer state, so a test may stop
// or break nodes and registry; it should restart what it hard-killed.
func Require(t testing.TB) *Lab {
	t.Helper()
	mode := os.Getenv(envMode)
	skip := func(format string, args ...any) {
		t.Helper()
		reason := fmt.Sprintf(format, args...)
		if mode == "required" {
			t.Fatal("lab: cannot run (RUNBOOK_LAB=required): " + reason)
		}
		t.Skip("lab: skipped: " + reason)
	}
	if mode == "off" {
		skip("RUNBOOK_LAB=off")
	}
	if p := HostProblem(); p != "" {
		skip("%s", p)
	}
	l, err := OpenFromEnv()
	if err != nil {
		skip("%v", err)
	}
	if !l.CacheReady() && mode != "required" {
		skip("cache not built in %s (run `make lab-up` once, ~8 min)", l.cfg.CacheDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), requireTimeout(t))
	defer cancel()
	use, err := lockFile(ctx, l.useLockPath(), 15*time.Minute)
	if err != nil {
		t.Fatalf("lab: waiting for another test's use of the lab: %v", err)
	}
	t.Cleanup(use.unlock)
	if err := l.Up(ctx, testLog{t}); err != nil {
		t.Fatalf("lab: up: %v", err)
	}
	if l.startedAll {
		markStartedByTest(l)
	}
	if err := l.Seed(ctx); err != nil {
		t.Fatalf("lab: seed: %v", err)
	}
	return l
}

// Acquire is Require for programs (the benchmarks of test/bench): it waits
// at most wait for other users of the lab, starts it (building a missing
// cache), seeds it, and holds it until release is called. release stops the
// lab again when Acquire started it from fully down. Progress goes to log.
func (l *Lab) Acquire(ctx context.Context, log io.Writer, wait time.Duration) (release func(), err error) {
	if p := HostProblem(); p != "" {
		return nil, errors.New("lab: " + p)
	}
	use, err := lockFile(ctx, l.useLockPath(), wait)
	if err != nil {
		return nil, fmt.Errorf("lab: waiting for another user of the lab: %w", err)
	}
	if err := l.Up(ctx, log); err != nil {
		use.unlock()
		return nil, fmt.Errorf("lab: up: %w", err)
	}
	started := l.startedAll
	release = func() {
		if started {
			c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := l.Down(c); err != nil {
				fmt.Fprintln(log, "lab: stopping the lab:", err)
			}
		}
		use.unlock()
	}
	if err := l.Seed(ctx); err != nil {
		release()
		return nil, fmt.Errorf("lab: seed: %w", err)
	}
	return release, nil
}

// requireTimeout leaves a minute of the test binary's deadline for the
// test itself; without a deadline, a cold cache build gets 20 minutes.
func requireTimeout(t testing.TB) time.Duration {
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := tt.Deadline(); ok {
			if left := time.Until(d) - time.Minute; left > 0 {
				return left
			}
			return time.Second
		}
	}
	return 20 * time.Minute
}

type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startedByTest remembers, per process, the lab that Require started from
// fully down, so Main can stop it again.
var startedByTest *Lab

func markStartedByTest(l *Lab) {
	if startedByTest == nil {
		startedByTest = l
	}
}

// Main runs a package's tests (call it from TestMain) and afterwards stops
// the lab if one of them started it (see AfterTests).
func Main(m *testing.M) {
	code := m.Run()
	if err := AfterTests(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// AfterTests stops the lab if a test of this process started it from fully
// down and no other test process is using it, so `go test` leaves the
// machine as it found it. A lab started by `make lab-up` is left running.
// Packages with their own TestMain call it after m.Run.
func AfterTests() error {
	l := startedByTest
	if l == nil {
		return nil
	}
	use := tryLockFile(l.useLockPath())
	if use == nil {
		return nil
	}
	defer use.unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := l.Down(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "lab: stopping the lab the tests started:", err)
		return err
	}
	return nil
}
