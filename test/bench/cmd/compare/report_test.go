package main

import (
	"strings"
	"testing"
	"time"
)

// TestReport renders the table and BENCHMARKS.md from made-up
// measurements: ratios, targets, bounds and missing parts.
func TestReport(t *testing.T) {
	ms := func(wallS, cpuS float64, rssMB int64) measure {
		return measure{wall: time.Duration(wallS * float64(time.Second)), user: time.Duration(cpuS * float64(time.Second)),
			maxRSSKB: rssMB * 1024, machine: 2 * wallS, fleet: cpuTimes{self: cpuS / 2, children: cpuS}}
	}
	r := &report{machine: machine{cpus: "2", cpuModel: "test CPU"}, config: config{fleetRuns: 3, forks: ints{50}, ansibleTimeout: time.Minute},
		took: time.Minute}
	r.overhead = []*overhead{
		{setup: hostSetups[0], hosts: 4, tasks: 20, forks: 4, runs: 3, fallbacks: []string{"slurp (slurp)"},
			runbook: []measure{ms(0.3, 0.1, 20), ms(0.4, 0.1, 20), ms(0.5, 0.1, 20)},
			ansible: []measure{ms(20, 8, 60), ms(21, 8, 60), ms(22, 8, 60)}},
		{setup: hostSetups[1], hosts: 4, tasks: 20, forks: 4, runs: 1,
			runbook: []measure{ms(6, 0.1, 20)}, ansibleErr: "ansible broke"},
	}
	timedOut := ms(60, 30, 60)
	timedOut.timedOut = true
	r.scale = &scale{tasks: 10, fleetSize: 1000, perAddr: 25, profile: "PROFILE-TEXT\n", rows: []*scaleRow{
		{tool: "runbook", n: 50, forks: 50, runs: []measure{ms(1, 0.4, 40)}},
		{tool: "runbook", n: 1000, forks: 50, runs: []measure{ms(30, 15, 170), ms(33, 15, 170), ms(40, 16, 172)}},
		{tool: "ansible-playbook", n: 50, forks: 50, runs: []measure{ms(290, 38, 58)}},
		{tool: "ansible-playbook", n: 1000, forks: 50, runs: []measure{timedOut}, err: "> 1m0s (stopped at the bound)"},
		{tool: "ansible-playbook", n: 2000, forks: 50, err: "skipped: N=1000 already exceeded 1m0s"},
	}}
	if got := r.overhead[0].ratio(); got != 52.5 {
		t.Errorf("overhead ratio %v, want 52.5", got)
	}
	if x, ge := r.scale.ratio(1000, 50); ge != "≥ " || x < 1.8 || x > 1.9 {
		t.Errorf("bounded ratio %v %q", x, ge)
	}
	table, md := r.table(), r.markdown()
	for _, want := range []string{"ratio 52.5×", "ansible-playbook failed: ansible broke", "ratio at N=50 forks=50: 290.0×",
		"ratio at N=1000 forks=50: ≥ 1.8×", "target < 20 s: false"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for _, want := range []string{"**52.5×** (≥ 30×: **met**)", "ansible broke", "slurp (slurp)", "runbook is ≥ 1.8× faster",
		"target < 20 s: **MISSED**", "target < 500 MB: **met**", "grows 1.88× from the smallest", "PROFILE-TEXT",
		"skipped: N=1000", "TODO(bench-registry)"} {
		if !strings.Contains(md, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
		}
	}
	// Either part may be missing (-only).
	r.overhead, r.scale = nil, nil
	if md := r.markdown(); strings.Contains(md, "## 1.") || strings.Contains(md, "## 2.") {
		t.Errorf("empty report:\n%s", md)
	}
}
