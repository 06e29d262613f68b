package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/test/bench/plays"
	"github.com/runbook-dev/runbook/test/sshd"
)

// runbookJob builds a `runbook play` run.
func (b *bench) runbookJob(name, playbook, inventory, knownHosts string, forks int, extra []string, log string, timeout time.Duration) job {
	args := append([]string{b.runbook, "play", playbook, "-i", inventory, "--known-hosts", knownHosts,
		"-f", strconv.Itoa(forks)}, extra...)
	return job{name: name, args: args, dir: filepath.Dir(playbook), log: log, timeout: timeout,
		env: []string{"HOME=" + b.home}}
}

// hostSetup is one way of configuring the real sshd hosts.
type hostSetup struct {
	key, title, sshdExtra string
}

// The sshd hosts are measured twice. Root's login shell here is bash, and
// bash run by sshd sources ~/.bashrc even for a plain command; this box's
// /root/.bashrc runs `pyenv init` (about 300 ms a command). "clean" sets
// SHLVL=1 for sessions (sshd SetEnv), which keeps bash from sourcing it, as
// on a server whose root has a stock ~/.bashrc. "as-is" leaves it.
var hostSetups = []hostSetup{
	{"clean", "login shell without ~/.bashrc (sshd `SetEnv SHLVL=1`)", "SetEnv SHLVL=1"},
	{"as-is", "login shell as configured on this box (root's ~/.bashrc runs `pyenv init`)", ""},
}

// overhead is the task-overhead result for one host setup.
type overhead struct {
	setup                     hostSetup
	hosts, tasks, forks, runs int
	fallbacks                 []string
	floor                     execFloor
	runbook, ansible          []measure
	ansibleErr                string
}

// runOverhead runs the 20-task playbook on 4 real OpenSSH hosts for each
// host setup.
func (b *bench) runOverhead(ctx context.Context, c config) ([]*overhead, error) {
	var out []*overhead
	for i, hs := range hostSetups {
		runs := c.runs
		if i > 0 {
			runs = c.asIsRuns
		}
		if runs == 0 {
			continue
		}
		o, err := b.overheadOn(ctx, hs, runs)
		if err != nil {
			return nil, fmt.Errorf("%s hosts: %w", hs.key, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// overheadOn starts 4 sshd hosts, measures the exec floor, then runs
// runbook and ansible-playbook alternately: one warm-up each, then runs
// timed runs each. The hosts are stopped at the end.
func (b *bench) overheadOn(ctx context.Context, hs hostSetup, runs int) (*overhead, error) {
	const hosts = 4
	o := &overhead{setup: hs, hosts: hosts, tasks: len(plays.Overhead), forks: hosts, runs: runs}
	dir := filepath.Join(b.tmp, "overhead-"+hs.key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var servers []*sshd.Server
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	var inv, kh strings.Builder
	inv.WriteString("[bench]\n")
	for i := 1; i <= hosts; i++ {
		s, err := sshd.Launch(sshd.Options{Extra: hs.sshdExtra})
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
		sandbox := filepath.Join(dir, "hosts", fmt.Sprintf("h%d", i))
		if err := os.MkdirAll(sandbox, 0o755); err != nil {
			return nil, err
		}
		fmt.Fprintf(&inv, "h%d ansible_host=%s ansible_port=%d ansible_user=root ansible_ssh_private_key_file=%s sandbox=%s\n",
			i, s.Host, s.Port, s.KeyPath, sandbox)
		k, err := os.ReadFile(s.KnownHosts)
		if err != nil {
			return nil, err
		}
		kh.Write(k)
	}
	invPath, khPath := filepath.Join(dir, "hosts.ini"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(invPath, []byte(inv.String()), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(khPath, []byte(kh.String()), 0o644); err != nil {
		return nil, err
	}
	var err error
	if o.floor, err = measureFloor(ctx, servers[0], khPath); err != nil {
		return nil, err
	}
	fmt.Printf("  %s hosts: OpenSSH `ssh host true`: new connection %.0f ms, multiplexed %.0f ms\n",
		hs.key, o.floor.fresh.Seconds()*1000, o.floor.mux.Seconds()*1000)
	a, err := plays.Write(dir, "bench", plays.Overhead, b.modules)
	if err != nil {
		return nil, err
	}
	o.fallbacks = a.Fallbacks
	for round := 0; round <= runs; round++ { // round 0 is the warm-up
		run := []string{"-e", fmt.Sprintf("run=r%d", round)}
		j := b.runbookJob(fmt.Sprintf("runbook overhead (%s)", hs.key), a.Playbook, invPath, khPath, hosts, append(run, a.Runbook...),
			filepath.Join(b.logs, fmt.Sprintf("overhead-%s-runbook-%d.log", hs.key, round)), 5*time.Minute)
		m, err := b.timed(ctx, j, 0)
		if err != nil {
			return nil, err
		}
		if round > 0 {
			o.runbook = append(o.runbook, m)
		}
		if b.ansible == nil || o.ansibleErr != "" {
			continue
		}
		j, err = b.ansible.job(fmt.Sprintf("ansible-playbook overhead (%s)", hs.key), a.Playbook, invPath, khPath, hosts,
			append(run, a.Ansible...), filepath.Join(b.logs, fmt.Sprintf("overhead-%s-ansible-%d.log", hs.key, round)), 10*time.Minute)
		if err != nil {
			return nil, err
		}
		if m, err = b.timed(ctx, j, 0); err != nil {
			o.ansibleErr = err.Error()
			continue
		}
		if round > 0 {
			o.ansible = append(o.ansible, m)
		}
	}
	if b.ansible != nil {
		b.ansible.stopMasters(ctx)
	}
	return o, nil
}
