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
	r.overhead = &overhead{hosts: 4, tasks: 20, forks: 4, runs: 3, fallbacks: []string{"slurp (slurp)"},
		floor:   execFloor{fresh: 120 * time.Millisecond, mux: 10 * time.Millisecond},
		runbook: []measure{ms(0.3, 0.1, 20), ms(0.4, 0.1, 20), ms(0.5, 0.1, 20)},
		ansible: []measure{ms(20, 8, 60), ms(21, 8, 60), ms(22, 8, 60)}}
	tree := &regTree{blobs: 2000, blobBytes: 1 << 30, metaFiles: 2080, metaBytes: 150000, sizeLo: 10, sizeMed: 20, sizeHi: 30}
	r.registry = &registry{tree: tree, targets: []string{"master1", "master2", "node1"}, cores: 2, rows: []*regRow{
		{tool: "runbook registry_sync", how: "binary", first: ms(20, 5, 50), again: ms(0.2, 0.05, 20)},
		{tool: "rsync -a -e ssh", how: "rsync", first: ms(25, 5, 50), again: ms(0.5, 0.05, 20)},
		{tool: "scp -r", how: "scp", first: ms(40, 5, 50), again: ms(40, 5, 50)},
	}, limits: []regLimit{{what: "OpenSSH 1 stream", m: ms(2, 1, 10), bytes: 1 << 30}, {what: "floor", m: ms(0.15, 0.05, 10)}},
		noVerify: ms(18, 4, 50)}
	r.recovery = &recovery{tree: tree, steps: []*recoveryStep{
		{key: "pre", what: "pre-distribute", m: ms(30, 1, 50)},
		{key: "recover", what: "recover onto master1", m: ms(9, 1, 50)},
		{key: "post", what: "post-distribute", m: ms(20, 1, 50)},
		{key: "recover2", what: "recover onto master2", m: ms(8, 1, 50)},
	}}
	r.micro = &micro{benches: parseBench("pkg: github.com/runbook-dev/runbook/runner/eval\n" +
		"BenchmarkRender/mixed-2   \t 1000000\t      1234 ns/op\t     456 B/op\t       7 allocs/op\n" +
		"pkg: github.com/runbook-dev/runbook/runner\n" +
		"BenchmarkTaskHost-2   \t 10\t      123456 ns/op\t 4567 ns/task-host\t     456 B/op\t       7 allocs/op\n")}
	timedOut := ms(60, 30, 60)
	timedOut.timedOut = true
	r.scale = &scale{tasks: 10, fleetSize: 1000, perAddr: 25, profile: "PROFILE-TEXT\n", rows: []*scaleRow{
		{tool: "runbook", n: 50, forks: 50, runs: []measure{ms(1, 0.4, 40)}},
		{tool: "runbook", n: 1000, forks: 50, runs: []measure{ms(30, 15, 170), ms(33, 15, 170), ms(40, 16, 172)}},
		{tool: "ansible-playbook", n: 50, forks: 50, runs: []measure{ms(290, 38, 58)}},
		{tool: "ansible-playbook", n: 1000, forks: 50, runs: []measure{timedOut}, err: "> 1m0s (stopped at the bound)"},
		{tool: "ansible-playbook", n: 2000, forks: 50, err: "skipped: N=1000 already exceeded 1m0s"},
	}}
	if got := r.overhead.ratio(); got != 52.5 {
		t.Errorf("overhead ratio %v, want 52.5", got)
	}
	if x, ge := r.scale.ratio(1000, 50); ge != "≥ " || x < 1.8 || x > 1.9 {
		t.Errorf("bounded ratio %v %q", x, ge)
	}
	table, md := r.table(), r.markdown()
	for _, want := range []string{"ratio 52.5×", "ratio at N=50 forks=50: 290.0×",
		"ratio at N=1000 forks=50: ≥ 1.8×", "target < 20 s: false"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for _, want := range []string{"**52.5×** (≥ 30×: **met**)", "slurp (slurp)", "runbook is ≥ 1.8× faster",
		"target < 20 s: **MISSED**", "target < 500 MB: **met**", "grows 1.88× from the smallest", "PROFILE-TEXT",
		"skipped: N=1000", "first copy **1.25×** faster, no-change re-run **2.5×** faster (targets ≥ 1.5×: **MISSED**; ≥ 10×: **MISSED**)",
		"**First copy, target missed.**", "**No-change re-run, target missed.**", "takes 120 ms.",
		"runbook alone needs 150 ms", "`verify: false`", "pre-distributed: **9.00 s** (target < 15 s: **met**)", "via post-distribute: 28.00 s",
		"| runner/eval | Render/mixed | 1234 | 456 | 7 |", "4567 ns/task-host", "No result for BenchmarkCondition"} {
		if !strings.Contains(md, want) {
			t.Errorf("BENCHMARKS.md lacks %q:\n%s", want, md)
		}
	}
	// A failed ansible run is reported, a missing playbook explained.
	r.overhead.ansible, r.overhead.ansibleErr = nil, "ansible broke"
	r.recovery = &recovery{skipped: "not measured: no built-in recover-master0.yaml"}
	table, md = r.table(), r.markdown()
	if !strings.Contains(table, "ansible-playbook failed: ansible broke") || !strings.Contains(md, "ansible broke") ||
		!strings.Contains(md, "not measured: no built-in recover-master0.yaml") {
		t.Errorf("failures not reported:\n%s\n%s", table, md)
	}
	// Any part may be missing (-only).
	r.overhead, r.scale, r.registry, r.recovery, r.micro = nil, nil, nil, nil, nil
	if md := r.markdown(); strings.Contains(md, "## ") {
		t.Errorf("empty report:\n%s", md)
	}
}

// A ratio under 1 means runbook took longer; the report must say so.
func TestRelSpeedWordsSlowerRatios(t *testing.T) {
	for _, c := range []struct {
		ratio float64
		want  string
	}{
		{1.25, "**1.25×** faster"},
		{1, "**1.00×** faster"},
		{0.96, "**1.04×** slower"},
		{0.5, "**2.00×** slower"},
	} {
		if got := relSpeed(c.ratio, "%.2f"); got != c.want {
			t.Errorf("relSpeed(%v) = %q, want %q", c.ratio, got, c.want)
		}
	}
}
