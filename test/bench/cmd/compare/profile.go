package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// hotspot is a known cost the profile is searched for: a pprof node and
// what to tell the engine's owner when it weighs more than share.
type hotspot struct {
	nodes     []string // their cum% are added
	what, fix string
	share     float64 // cum % of samples above which it is reported
}

var hotspots = []hotspot{
	{[]string{`transport/ssh.(*hostKeyPolicy).load`}, "known_hosts re-read and re-parsed for every connection, twice " +
		"(hostKeyPolicy.algorithms and hostKeyPolicy.check both call load → knownhosts.New), so connecting N hosts parses N×lines " +
		"entries twice: quadratic in the fleet size",
		"transport/ssh/hostkeys.go: parse the file once per run and share the callback between connections " +
			"(cache keyed by path + size + mtime, or one hostKeyPolicy for the whole run that appends recorded keys to its in-memory " +
			"copy under knownHostsMu); re-read only after record() or when the file changed", 5},
	{[]string{`runtime.gcBgMarkWorker`, `runtime.gcAssistAlloc`}, "garbage collection (background marking plus the assists charged to allocating goroutines)",
		"fewer short-lived allocations on the per-connection and per-task paths; or, in cmd/runbook/main.go, a higher " +
			"GC percent for large runs (debug.SetGCPercent, or a soft memory limit with debug.SetMemoryLimit); see the GOGC=400 row above for the trade", 8},
	{[]string{`ssh.(*mlkem768WithCurve25519sha256).Client`}, "the SSH key exchange, x/crypto/ssh's default mlkem768x25519-sha256 " +
		"(post-quantum hybrid: ML-KEM-768 on top of X25519), once per host",
		"none proposed: it is the price of key exchanges that recorded sessions cannot be decrypted from later; an operator who " +
			"prefers the CPU could be offered curve25519-sha256 through ssh.Config's key exchanges (not done: a security trade, not a bug)", 5},
	{[]string{`transport/ssh.(*link).keepalive.func1`}, "keepalive@openssh.com requests (every min(timeout/3, 5 s) per open connection, " +
		"idle or not: a 1000-host run keeps 1000 connections open for its whole length)",
		"transport/ssh/link.go: skip the keepalive when the connection has received a packet within the interval " +
			"(a busy connection proves the peer alive), so only idle connections are probed", 3},
}

// profileIfMissed CPU-profiles runbook's engine (TestProfileFleet, in
// process, against the running fleet) when the 1000-host target was
// missed, and runs two diagnostic variants of the binary: one without
// host key checking (to weigh known_hosts handling; never a recommended
// setting) and one with GOGC=400 (to weigh garbage collection).
func (b *bench) profileIfMissed(ctx context.Context, s *scale, p *fleetProc, a assets) string {
	wallOK, rssOK, best := s.fleetTargets()
	if best == nil || (wallOK && rssOK) {
		return ""
	}
	var out strings.Builder
	out.WriteString(b.whatIf(ctx, best, p, a))
	out.WriteString(b.pprof(ctx, best, p))
	return out.String()
}

// assets are the fleet playbook and runbook's -e arguments for it.
type assets struct {
	playbook string
	extra    []string
}

func (b *bench) whatIf(ctx context.Context, best *scaleRow, p *fleetProc, a assets) string {
	inv := filepath.Join(b.tmp, "scale", fmt.Sprintf("hosts-%d.ini", best.n))
	var rows strings.Builder
	rows.WriteString("| runbook variant (N=" + strconv.Itoa(best.n) + ", forks " + strconv.Itoa(best.forks) +
		") | wall (s) | runbook CPU (s) | peak RSS (MB) |\n|---|---|---|---|\n")
	fmt.Fprintf(&rows, "| as built (median above) | %.2f | %.2f | %.0f |\n", median(best.runs, wall), median(best.runs, cpu), median(best.runs, rssMB))
	for i, v := range []struct {
		name  string
		flags []string
		env   []string
	}{
		{"`--insecure-skip-host-key-check` (diagnostic only: no known_hosts parsing)", []string{"--insecure-skip-host-key-check"}, nil},
		{"`GOGC=400` (diagnostic: less frequent GC)", nil, []string{"GOGC=400"}},
	} {
		extra := append([]string{"-e", fmt.Sprintf("run=whatif%d", i)}, a.extra...)
		kh := filepath.Join(b.tmp, "scale", fmt.Sprintf("known_hosts-%d", best.n))
		j := b.runbookJob("runbook what-if: "+v.name, a.playbook, inv, kh, best.forks, append(extra, v.flags...),
			filepath.Join(b.logs, fmt.Sprintf("whatif-%d.log", i)), 5*time.Minute)
		j.env = append(j.env, v.env...)
		m, err := b.timed(ctx, j, p.cmd.Process.Pid)
		if err != nil {
			fmt.Fprintf(&rows, "| %s | failed: %v | | |\n", v.name, err)
			continue
		}
		fmt.Fprintf(&rows, "| %s | %.2f | %.2f | %.0f |\n", v.name, wall(m), cpu(m), rssMB(m))
	}
	return rows.String() + "\n"
}

// pprof runs TestProfileFleet under -cpuprofile and summarises it.
func (b *bench) pprof(ctx context.Context, best *scaleRow, p *fleetProc) string {
	bin, prof := filepath.Join(b.tmp, "bench.test"), filepath.Join(b.logs, "runbook-cpu.prof")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./test/bench")
	build.Dir = b.root
	if msg, err := build.CombinedOutput(); err != nil {
		return fmt.Sprintf("profiling failed: go test -c: %v\n%s\n", err, msg)
	}
	j := job{name: "profile: runner.Run in-process", args: []string{bin, "-test.run", "^TestProfileFleet$", "-test.count", "1",
		"-test.v", "-test.cpuprofile", prof}, dir: b.tmp, log: filepath.Join(b.logs, "profile.log"), timeout: 10 * time.Minute,
		env: []string{"HOME=" + b.home, "RUNBOOK_BENCH=1", "RUNBOOK_BENCH_FLEET=" + p.specPath,
			"RUNBOOK_BENCH_N=" + strconv.Itoa(best.n), "RUNBOOK_BENCH_FORKS=" + strconv.Itoa(best.forks)}}
	if _, err := b.timed(ctx, j, p.cmd.Process.Pid); err != nil {
		return fmt.Sprintf("profiling failed: %v\n", err)
	}
	top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount", "400", bin, prof).Output()
	if err != nil {
		return fmt.Sprintf("pprof failed: %v\n", err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "CPU profile of `runner.Run` driving N=%d, forks %d (`go test -cpuprofile`, test/bench/profile_test.go; "+
		"the profile is kept in the logs as runbook-cpu.prof while `-keep` is given). Heaviest cumulative nodes:\n\n```\n%s```\n\n",
		best.n, best.forks, interesting(string(top), 28))
	for _, h := range hotspots {
		pct := 0.0
		for _, n := range h.nodes {
			pct += cumPercent(string(top), n)
		}
		if pct >= h.share {
			fmt.Fprintf(&sb, "- **%.0f%% of runbook's CPU samples: %s.** Proposed fix: %s.\n", pct, h.what, h.fix)
		}
	}
	return sb.String()
}

var pprofLine = regexp.MustCompile(`^\s*\S+\s+\S+%\s+\S+%\s+\S+\s+(\S+)%\s+(.+)$`)

// cumPercent is the cum% of node in `pprof -top -cum` output (0 if absent).
func cumPercent(top, node string) float64 {
	for _, l := range strings.Split(top, "\n") {
		if m := pprofLine.FindStringSubmatch(l); m != nil && (m[2] == node || strings.HasSuffix(m[2], node)) {
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
	}
	return 0
}

// interesting keeps the header and the first n nodes that are runbook's,
// x/crypto/ssh's, pkg/sftp's or the GC's.
func interesting(top string, n int) string {
	var out []string
	for _, l := range strings.Split(top, "\n") {
		switch {
		case strings.Contains(l, "flat%"), strings.HasPrefix(l, "Duration"), strings.HasPrefix(l, "Showing nodes"):
			out = append(out, l)
		case pprofLine.MatchString(l) && n > 0 && (strings.Contains(l, "runbook-dev/runbook") ||
			strings.Contains(l, "x/crypto/ssh") || strings.Contains(l, "pkg/sftp") || strings.Contains(l, "gcBgMarkWorker") ||
			strings.Contains(l, "gcAssistAlloc ") || strings.Contains(l, "mallocgc")):
			if strings.Contains(l, "test/bench") || strings.Contains(l, "testing.tRunner") {
				continue
			}
			out = append(out, l)
			n--
		}
	}
	return strings.Join(out, "\n") + "\n"
}
