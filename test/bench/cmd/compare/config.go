package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// config is the command line.
type config struct {
	root, out                  string
	runs, fleetRuns            int
	sizes, forks               ints
	ansibleSizes, ansibleForks ints
	ansibleTimeout             time.Duration
	noAnsible, keep            bool
	profileOnMiss              bool
	only                       list
	runbookBin                 string
	labWait                    time.Duration
	registryMB, registryBlobs  int
	registryNoVerify           bool
}

// parts are the benchmarks, in the order they run (-only picks some).
var parts = []string{"micro", "scale", "overhead", "registry", "recovery"}

// runs says whether benchmark part runs.
func (c config) wants(part string) bool {
	return len(c.only) == 0 || slices.Contains(c.only, part)
}

func (c *config) register() {
	c.sizes, c.forks = ints{50, 200, 1000}, ints{50, 200}
	c.ansibleSizes, c.ansibleForks = ints{50, 200}, ints{50}
	flag.StringVar(&c.root, "root", ".", "the runbook checkout")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "where to write the report (\"\" for none)")
	flag.IntVar(&c.runs, "runs", 5, "timed runs per tool in the task-overhead benchmark (after one warm-up)")
	flag.IntVar(&c.fleetRuns, "fleet-runs", 3, "timed runbook runs per fleet size and forks")
	flag.Var(&c.sizes, "sizes", "fleet sizes for runbook")
	flag.Var(&c.forks, "forks", "forks for runbook on the fleet")
	flag.Var(&c.ansibleSizes, "ansible-sizes", "fleet sizes for ansible-playbook")
	flag.Var(&c.ansibleForks, "ansible-forks", "forks for ansible-playbook on the fleet")
	flag.DurationVar(&c.ansibleTimeout, "ansible-timeout", 10*time.Minute, "stop an ansible-playbook fleet run after this long")
	flag.BoolVar(&c.noAnsible, "no-ansible", false, "runbook only")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp directory (logs, playbooks)")
	flag.Var(&c.only, "only", "run only these benchmarks, a comma list of "+strings.Join(parts, ", ")+
		" (for development; the report then lacks the others)")
	flag.StringVar(&c.runbookBin, "runbook", "", "benchmark this runbook binary instead of building ./cmd/runbook")
	flag.BoolVar(&c.profileOnMiss, "profile-on-miss", true, "CPU-profile runbook when a fleet target is missed")
	flag.DurationVar(&c.labWait, "lab-wait", 30*time.Minute, "wait at most this long for other users of the lab (test/lab)")
	flag.IntVar(&c.registryMB, "registry-mb", 1024, "size of the generated registry tree, MiB")
	flag.IntVar(&c.registryBlobs, "registry-blobs", 2000, "blobs in the generated registry tree")
	flag.BoolVar(&c.registryNoVerify, "registry-no-verify", true, "also time registry_sync's first copy with verify: false (diagnostic)")
}

// list is a comma-separated list flag of benchmark parts.
type list []string

func (v *list) String() string { return strings.Join(*v, ",") }

func (v *list) Set(s string) error {
	*v = nil
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !slices.Contains(parts, f) {
			return fmt.Errorf("unknown benchmark %q (have %s)", f, strings.Join(parts, ", "))
		}
		*v = append(*v, f)
	}
	return nil
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
