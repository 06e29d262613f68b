package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// microPackages are the packages `make bench-micro` benchmarks (keep the two
// lists equal: the Makefile's bench-micro target and this).
var microPackages = []string{"./runner/...", "./modules/...", "./transport/..."}

// microBench is one line of `go test -bench` output.
type microBench struct {
	pkg, name string
	n         int64
	metrics   []microMetric // in the order go test printed them
}

type microMetric struct {
	value float64
	unit  string
}

// metric returns the value measured in unit, 0 when there is none.
func (m microBench) metric(unit string) float64 {
	for _, x := range m.metrics {
		if x.unit == unit {
			return x.value
		}
	}
	return 0
}

// micro is the micro-benchmark result.
type micro struct {
	benches []microBench
	took    time.Duration
	err     string
}

// microHotPaths names the engine hot paths issue 8 item 5 asks for, by
// benchmark name prefix.
var microHotPaths = []struct{ prefix, what string }{
	{"BenchmarkRender", "expression rendering (`{{ }}` in strings, values, templates)"},
	{"BenchmarkCondition", "condition evaluation (`when:` lists)"},
	{"BenchmarkTaskHost", "planning and running one task on one host in the engine (vars merge, when, render, bind, report)"},
}

// runMicro runs the Go micro-benchmarks of the engine's hot paths, as `make
// bench-micro` does, and parses their results.
func (b *bench) runMicro(ctx context.Context) *micro {
	m := &micro{}
	t0 := time.Now()
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1"}, microPackages...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUNBOOK_BENCH") { // the heavy opt-in benchmarks stay off
			cmd.Env = append(cmd.Env, kv)
		}
	}
	log := filepath.Join(b.logs, "micro.log")
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(log, out, 0o644) // the log is informative only
	m.took = time.Since(t0)
	m.benches = parseBench(string(out))
	if err != nil {
		m.err = fmt.Sprintf("go test -bench: %v (log %s)", err, log)
	}
	for _, x := range m.benches {
		ns := x.metric("ns/op")
		fmt.Printf("  %-45s %12.0f ns/op\n", strings.TrimPrefix(x.pkg, "github.com/runbook-dev/runbook/")+" "+x.name, ns)
	}
	return m
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)

// parseBench reads `go test -bench` output.
func parseBench(out string) []microBench {
	var res []microBench
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.ParseInt(m[2], 10, 64)
		mb := microBench{pkg: pkg, name: m[1], n: n}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			mb.metrics = append(mb.metrics, microMetric{v, f[i+1]})
		}
		res = append(res, mb)
	}
	return res
}

// covered reports which hot paths have no benchmark in the results.
func (m *micro) missing() []string {
	var out []string
	for _, h := range microHotPaths {
		found := false
		for _, x := range m.benches {
			found = found || strings.HasPrefix(x.name, h.prefix)
		}
		if !found {
			out = append(out, h.prefix)
		}
	}
	return out
}
