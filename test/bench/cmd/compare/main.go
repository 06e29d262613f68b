// Command compare runs the benchmarks of issue 8 — the engine's
// micro-benchmarks, task overhead on the lab's nodes and fleet scale on the
// in-process fleet (runbook against ansible-playbook), registry distribution
// on the lab (registry_sync against rsync and scp) and master0 recovery —
// prints a table and writes BENCHMARKS.md. Run it through `make
// bench-compare` as root.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/test/lab"
)

// bench holds what every benchmark needs.
type bench struct {
	root, tmp, logs, home string
	runbook, fleetBin     string
	modules               map[string]bool
	runs, fleetRuns       int
	ansible               *ansible
	lab                   *lab.Lab // started by needLab
	labWasUp              bool     // some lab node ran before needLab
	cleanups              []func()
}

func (b *bench) cores() int { return runtime.NumCPU() }

func (b *bench) cleanup(f func()) { b.cleanups = append(b.cleanups, f) }

func main() {
	var c config
	c.register()
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := mainErr(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "bench-compare:", err)
		os.Exit(1)
	}
}

func mainErr(ctx context.Context, c config) error {
	if len(c.sizes) == 0 || len(c.forks) == 0 || c.runs < 1 || c.fleetRuns < 1 {
		return fmt.Errorf("-sizes and -forks need at least one value, -runs and -fleet-runs at least 1")
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root (real sshd hosts log in as root)")
	}
	root, err := filepath.Abs(c.root)
	if err != nil {
		return err
	}
	b := &bench{root: root, runs: c.runs, fleetRuns: c.fleetRuns}
	if b.tmp, err = os.MkdirTemp("", "runbook-bench-"); err != nil {
		return err
	}
	b.logs, b.home = filepath.Join(b.tmp, "logs"), filepath.Join(b.tmp, "home")
	defer func() {
		for i := len(b.cleanups) - 1; i >= 0; i-- {
			b.cleanups[i]()
		}
		if c.keep {
			fmt.Printf("kept %s\n", b.tmp)
		} else {
			_ = os.RemoveAll(b.tmp) // temp dir: best effort
		}
	}()
	for _, d := range []string{b.logs, b.home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	started := time.Now()
	if err := b.build(ctx, c.runbookBin); err != nil {
		return err
	}
	if !c.noAnsible && (c.wants("overhead") || c.wants("scale")) {
		if b.ansible, err = newAnsible(filepath.Join(b.tmp, "ansible")); err != nil {
			return err
		}
		b.cleanup(func() { b.ansible.close(context.Background()) })
	}
	rep := &report{machine: describeMachine(root, b.ansible), config: c}
	fmt.Printf("%s\n", rep.machine.summary())
	if c.wants("micro") {
		fmt.Println("micro-benchmarks (go test -bench)")
		rep.micro = b.runMicro(ctx)
	}
	// The fleet first: the lab (idle nodes, an API server) is not running
	// yet unless someone else runs it.
	if c.wants("scale") {
		fmt.Println("fleet scale")
		if rep.scale, err = b.runScale(ctx, c); err != nil {
			return fmt.Errorf("fleet scale: %w", err)
		}
	}
	if c.wants("overhead") {
		fmt.Println("task overhead (lab)")
		if err := b.labPart(ctx, c, "task overhead", func() (err error) {
			rep.overhead, err = b.runOverhead(ctx, c)
			return err
		}); err != nil {
			return fmt.Errorf("task overhead: %w", err)
		}
	}
	if c.wants("registry") {
		fmt.Println("registry distribution (lab)")
		if err := b.labPart(ctx, c, "registry", func() (err error) {
			rep.registry, err = b.benchRegistry(ctx, c)
			return err
		}); err != nil {
			return fmt.Errorf("registry distribution: %w", err)
		}
	}
	if c.wants("recovery") {
		fmt.Println("recovery (lab)")
		if b.missingPlaybooks(ctx) != nil {
			rep.recovery, err = b.benchRecovery(ctx, c) // says what is missing
		} else {
			err = b.labPart(ctx, c, "recovery", func() (err error) {
				rep.recovery, err = b.benchRecovery(ctx, c)
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("recovery: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: no report written: %w", err)
	}
	rep.took = time.Since(started)
	fmt.Print(rep.table())
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(rep.markdown()), 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", c.out)
	}
	return nil
}

// build compiles runbook (unless prebuilt is given) and the fleet helper
// into the temp directory and asks runbook which modules it has.
func (b *bench) build(ctx context.Context, prebuilt string) error {
	b.runbook, b.fleetBin = filepath.Join(b.tmp, "runbook"), filepath.Join(b.tmp, "fleetd")
	pkgs := map[string]string{b.runbook: "./cmd/runbook", b.fleetBin: "./test/bench/cmd/fleet"}
	if prebuilt != "" {
		abs, err := filepath.Abs(prebuilt)
		if err != nil {
			return err
		}
		b.runbook = abs
		delete(pkgs, filepath.Join(b.tmp, "runbook"))
	}
	for out, pkg := range pkgs {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
		cmd.Dir, cmd.Env = b.root, append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
		}
	}
	out, err := exec.CommandContext(ctx, b.runbook, "modules").Output()
	if err != nil {
		return fmt.Errorf("runbook modules: %w", err)
	}
	b.modules = map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			b.modules[f[0]] = true
		}
	}
	return nil
}

// timed runs j, prints one progress line and fails on a bad exit.
func (b *bench) timed(ctx context.Context, j job, fleetPid int) (measure, error) {
	m, err := run(ctx, j, fleetPid)
	if err != nil {
		return m, err
	}
	fmt.Printf("  %-40s %8.2fs  cpu %6.2fs  rss %5.0f MB  exit %d\n", j.name, m.wall.Seconds(),
		(m.user + m.sys).Seconds(), float64(m.maxRSSKB)/1024, m.code)
	return m, check(j, m)
}
