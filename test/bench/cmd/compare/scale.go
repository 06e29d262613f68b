package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/test/bench/fleet"
	"github.com/runbook-dev/runbook/test/bench/plays"
)

// scaleRow is one tool at one fleet size and forks.
type scaleRow struct {
	tool     string
	n, forks int
	runs     []measure
	err      string // why there is no (complete) result
}

// scale is the fleet-scale result.
type scale struct {
	tasks     int
	fallbacks []string
	fleetSize int
	perAddr   int
	rows      []*scaleRow
	startup   time.Duration // fleet process: start to READY
	profile   string        // pprof summary when a target was missed
}

// fleetProc is the running helper process.
type fleetProc struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	spec     fleet.Spec
	specPath string
}

// startFleet runs the fleet helper with n hosts and waits (at most 2
// minutes) for it to be ready.
func (b *bench) startFleet(n, perAddr int) (*fleetProc, error) {
	dir := filepath.Join(b.tmp, "fleet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(b.logs, "fleet.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(b.fleetBin, "-n", strconv.Itoa(n), "-dir", dir, "-per-addr", strconv.Itoa(perAddr), "-max-life", "3h")
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &fleetProc{cmd: cmd, stdin: stdin}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		path, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
		if !ok {
			p.stop()
			return nil, fmt.Errorf("fleet helper did not start: %q; see %s", line, log.Name())
		}
		p.specPath = path
		if p.spec, err = fleet.ReadSpec(path); err != nil {
			p.stop()
			return nil, err
		}
	case <-time.After(2 * time.Minute):
		p.stop()
		return nil, fmt.Errorf("fleet helper not ready after 2 minutes")
	}
	return p, nil
}

// stop closes the helper's stdin (it then shuts down) and kills its group
// if it has not exited within 20 s.
func (p *fleetProc) stop() {
	p.stdin.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// runScale serves the largest fleet once and runs the 10-task playbook
// against its first N hosts.
func (b *bench) runScale(ctx context.Context, c config) (*scale, error) {
	all := slices.Concat([]int(c.sizes), []int(c.ansibleSizes))
	if b.ansible == nil {
		all = c.sizes
	}
	sc := &scale{tasks: len(plays.Fleet), fleetSize: slices.Max(all), perAddr: 25}
	t0 := time.Now()
	p, err := b.startFleet(sc.fleetSize, sc.perAddr)
	if err != nil {
		return nil, err
	}
	b.cleanup(p.stop)
	sc.startup = time.Since(t0)
	pid := p.cmd.Process.Pid
	dir := filepath.Join(b.tmp, "scale")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	a, err := plays.Write(dir, "fleet", plays.Fleet, b.modules)
	if err != nil {
		return nil, err
	}
	sc.fallbacks = a.Fallbacks
	pb, rbExtra, anExtra := a.Playbook, a.Runbook, a.Ansible
	// Each size gets an inventory and a known_hosts file of exactly its
	// hosts, as an operator of that fleet would have.
	knownHosts := func(n int) string { return filepath.Join(dir, fmt.Sprintf("known_hosts-%d", n)) }
	inventory := func(n int) (string, error) {
		if err := os.WriteFile(knownHosts(n), []byte(p.spec.KnownHostsFor(n)), 0o644); err != nil {
			return "", err
		}
		path := filepath.Join(dir, fmt.Sprintf("hosts-%d.ini", n))
		return path, os.WriteFile(path, []byte(p.spec.Inventory(n)), 0o644)
	}
	seq := 0
	runArgs := func() []string { seq++; return []string{"-e", fmt.Sprintf("run=s%d", seq)} }
	// Warm-up: page cache, the fleet's first connections.
	inv, err := inventory(c.sizes[0])
	if err != nil {
		return nil, err
	}
	j := b.runbookJob("runbook fleet warm-up", pb, inv, knownHosts(c.sizes[0]), c.forks[0], append(runArgs(), rbExtra...),
		filepath.Join(b.logs, "fleet-runbook-warmup.log"), 5*time.Minute)
	if _, err := b.timed(ctx, j, pid); err != nil {
		return nil, err
	}
	for _, n := range c.sizes {
		if inv, err = inventory(n); err != nil {
			return nil, err
		}
		for _, forks := range c.forks {
			row := &scaleRow{tool: "runbook", n: n, forks: forks}
			sc.rows = append(sc.rows, row)
			for i := 0; i < b.fleetRuns; i++ {
				name := fmt.Sprintf("runbook N=%d forks=%d #%d", n, forks, i+1)
				j := b.runbookJob(name, pb, inv, knownHosts(n), forks, append(runArgs(), rbExtra...),
					filepath.Join(b.logs, fmt.Sprintf("fleet-runbook-%d-%d-%d.log", n, forks, i)), 5*time.Minute)
				m, err := b.timed(ctx, j, pid)
				if err != nil {
					row.err = err.Error()
					break
				}
				row.runs = append(row.runs, m)
			}
		}
	}
	if b.ansible != nil {
		b.runAnsibleScale(ctx, c, sc, pb, inventory, runArgs, anExtra, knownHosts, pid)
	}
	if c.profileOnMiss {
		sc.profile = b.profileIfMissed(ctx, sc, p, assets{playbook: pb, extra: rbExtra})
	}
	return sc, nil
}

// runAnsibleScale runs ansible-playbook once per size and forks, each
// bounded by c.ansibleTimeout; a run that hits the bound is reported as
// such and larger sizes at that forks are skipped.
func (b *bench) runAnsibleScale(ctx context.Context, c config, sc *scale, pb string, inventory func(int) (string, error),
	runArgs func() []string, extra []string, knownHosts func(int) string, pid int) {
	for _, forks := range c.ansibleForks {
		bounded := ""
		for _, n := range c.ansibleSizes {
			row := &scaleRow{tool: "ansible-playbook", n: n, forks: forks}
			sc.rows = append(sc.rows, row)
			if bounded != "" {
				row.err = "skipped: " + bounded
				continue
			}
			inv, err := inventory(n)
			if err != nil {
				row.err = err.Error()
				continue
			}
			b.ansible.stopMasters(ctx) // every run starts without warm connections, as runbook's do
			j, err := b.ansible.job(fmt.Sprintf("ansible N=%d forks=%d", n, forks), pb, inv, knownHosts(n), forks,
				append(runArgs(), extra...), filepath.Join(b.logs, fmt.Sprintf("fleet-ansible-%d-%d.log", n, forks)), c.ansibleTimeout)
			if err != nil {
				row.err = err.Error()
				continue
			}
			m, err := b.timed(ctx, j, pid)
			switch {
			case m.timedOut:
				row.err = fmt.Sprintf("> %s (stopped at the bound)", c.ansibleTimeout)
				bounded = fmt.Sprintf("N=%d already exceeded %s", n, c.ansibleTimeout)
				row.runs = append(row.runs, m)
			case err != nil:
				row.err = err.Error()
			default:
				row.runs = append(row.runs, m)
			}
		}
	}
	b.ansible.stopMasters(ctx)
}
