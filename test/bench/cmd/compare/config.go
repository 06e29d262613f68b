package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// config is the command line.
type config struct {
	root, out                  string
	runs, asIsRuns, fleetRuns  int
	sizes, forks               ints
	ansibleSizes, ansibleForks ints
	ansibleTimeout             time.Duration
	noAnsible, keep            bool
	profileOnMiss              bool
	only                       string
	runbookBin                 string
}

func (c *config) register() {
	c.sizes, c.forks = ints{50, 200, 1000}, ints{50, 200}
	c.ansibleSizes, c.ansibleForks = ints{50, 200}, ints{50}
	flag.StringVar(&c.root, "root", ".", "the runbook checkout")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "where to write the report (\"\" for none)")
	flag.IntVar(&c.runs, "runs", 5, "timed runs per tool in the task-overhead benchmark (after one warm-up)")
	flag.IntVar(&c.asIsRuns, "as-is-runs", 3, "timed runs per tool on the as-is sshd hosts (0 to skip them)")
	flag.IntVar(&c.fleetRuns, "fleet-runs", 3, "timed runbook runs per fleet size and forks")
	flag.Var(&c.sizes, "sizes", "fleet sizes for runbook")
	flag.Var(&c.forks, "forks", "forks for runbook on the fleet")
	flag.Var(&c.ansibleSizes, "ansible-sizes", "fleet sizes for ansible-playbook")
	flag.Var(&c.ansibleForks, "ansible-forks", "forks for ansible-playbook on the fleet")
	flag.DurationVar(&c.ansibleTimeout, "ansible-timeout", 10*time.Minute, "stop an ansible-playbook fleet run after this long")
	flag.BoolVar(&c.noAnsible, "no-ansible", false, "runbook only")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp directory (logs, playbooks)")
	flag.StringVar(&c.only, "only", "", "run only this benchmark: overhead or scale (for development; the report then lacks the other)")
	flag.StringVar(&c.runbookBin, "runbook", "", "benchmark this runbook binary instead of building ./cmd/runbook")
	flag.BoolVar(&c.profileOnMiss, "profile-on-miss", true, "CPU-profile runbook when a fleet target is missed")
}

// ints is a comma-separated list flag.
type ints []int

func (v *ints) String() string {
	s := make([]string, len(*v))
	for i, n := range *v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func (v *ints) Set(s string) error {
	*v = nil
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("not a positive number: %q", f)
		}
		*v = append(*v, n)
	}
	return nil
}
