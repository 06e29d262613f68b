package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/test/bench/plays"
	"github.com/runbook-dev/runbook/test/lab"
)

// runbookJob builds a `runbook play` run.
func (b *bench) runbookJob(name, playbook, inventory, knownHosts string, forks int, extra []string, log string, timeout time.Duration) job {
	args := append([]string{b.runbook, "play", playbook, "-i", inventory, "--known-hosts", knownHosts,
		"-f", strconv.Itoa(forks)}, extra...)
	return job{name: name, args: args, dir: filepath.Dir(playbook), log: log, timeout: timeout,
		env: []string{"HOME=" + b.home}}
}

// overhead is the task-overhead result.
type overhead struct {
	hosts, tasks, forks, runs int
	fallbacks                 []string
	floor                     execFloor
	runbook, ansible          []measure
	ansibleErr                string
	changed                   [2]string // PLAY RECAP changed= per host of the last timed run: runbook, ansible
}

var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)`)

// recapChanged lists "host=N" for the changed= counts of a run's PLAY RECAP.
func recapChanged(log string) string {
	b, err := os.ReadFile(log)
	if err != nil {
		return "?"
	}
	var out []string
	for _, m := range recapLine.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1]+"="+m[2])
	}
	return strings.Join(out, " ")
}

// runOverhead runs the 20-task playbook on the four lab nodes with both
// tools, alternately: one warm-up each, then c.runs timed runs each. Every
// run writes into a fresh directory on the nodes (removed at the end).
func (b *bench) runOverhead(ctx context.Context, c config) (*overhead, error) {
	l, err := b.needLab(ctx, c.labWait)
	if err != nil {
		return nil, err
	}
	nodes := l.Nodes()
	o := &overhead{hosts: len(nodes), tasks: len(plays.Overhead), forks: len(nodes), runs: c.runs}
	dir, err := b.labDir("overhead")
	if err != nil {
		return nil, err
	}
	inv := filepath.Join(dir, "hosts.ini")
	if err := b.labINI(inv, "bench", labScratch+"/overhead"); err != nil {
		return nil, err
	}
	kh := l.KnownHostsPath()
	m0 := l.Master0()
	if o.floor, err = measureFloor(ctx, sshTarget{host: m0.IP, port: lab.SSHPort, user: "root", key: l.KeyPath()}, kh); err != nil {
		return nil, err
	}
	fmt.Printf("  OpenSSH `ssh %s true`: new connection %.0f ms, multiplexed %.0f ms\n",
		m0.Name, o.floor.fresh.Seconds()*1000, o.floor.mux.Seconds()*1000)
	a, err := plays.Write(dir, "bench", plays.Overhead, b.modules)
	if err != nil {
		return nil, err
	}
	o.fallbacks = a.Fallbacks
	for round := 0; round <= c.runs; round++ { // round 0 is the warm-up
		// Each tool's run gets its own directory: neither finds the
		// other's files in place.
		run := func(tool string) []string { return []string{"-e", fmt.Sprintf("run=%s-r%d", tool, round)} }
		j := b.runbookJob("runbook overhead (lab)", a.Playbook, inv, kh, o.forks, append(run("runbook"), a.Runbook...),
			filepath.Join(b.logs, fmt.Sprintf("overhead-runbook-%d.log", round)), 5*time.Minute)
		m, err := b.timed(ctx, j, 0)
		if err != nil {
			return nil, err
		}
		if round > 0 {
			o.runbook = append(o.runbook, m)
			o.changed[0] = recapChanged(j.log)
		}
		if b.ansible == nil || o.ansibleErr != "" {
			continue
		}
		j, err = b.ansible.job("ansible-playbook overhead (lab)", a.Playbook, inv, kh, o.forks,
			append(run("ansible"), a.Ansible...), filepath.Join(b.logs, fmt.Sprintf("overhead-ansible-%d.log", round)), 10*time.Minute)
		if err != nil {
			return nil, err
		}
		if m, err = b.timed(ctx, j, 0); err != nil {
			o.ansibleErr = err.Error()
			continue
		}
		if round > 0 {
			o.ansible = append(o.ansible, m)
			o.changed[1] = recapChanged(j.log)
		}
	}
	if b.ansible != nil {
		b.ansible.stopMasters(ctx)
	}
	for _, n := range nodes {
		_, _, _, _ = l.Run(n.Name, "rm -rf "+labScratch+"/overhead") // best effort; the scratch dir goes at the end anyway
	}
	return o, nil
}
