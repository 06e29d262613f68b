package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is everything one `make bench-compare` measured.
type report struct {
	machine  machine
	config   config
	micro    *micro
	overhead *overhead
	scale    *scale
	registry *registry
	recovery *recovery
	took     time.Duration
}

// Targets (issue 3, issue 8).
const (
	targetOverheadRatio = 30.0
	targetFleetN        = 1000
	targetFleetWall     = 20.0  // seconds
	targetFleetRSS      = 500.0 // MB
	targetRegFirst      = 1.5   // registry_sync's first copy against rsync's
	targetRegAgain      = 10.0  // and the no-change re-run
	targetRecovery      = 15.0  // seconds, registry pre-distributed
)

func median(ms []measure, f func(measure) float64) float64 {
	if len(ms) == 0 {
		return 0
	}
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func wall(m measure) float64     { return m.wall.Seconds() }
func cpu(m measure) float64      { return (m.user + m.sys).Seconds() }
func rssMB(m measure) float64    { return float64(m.maxRSSKB) / 1024 }
func busy(m measure) float64     { return m.machine }
func fleetOwn(m measure) float64 { return m.fleet.self }
func fleetKid(m measure) float64 { return m.fleet.children }

func load(m measure) float64 { return m.load1 }

// others is the CPU the rest of the machine used during a run.
func others(m measure) float64 { return max(0, m.machine-cpu(m)-m.fleet.self-m.fleet.children) }

// cpuFloor is the least wall time the run's work (tool, fleet, commands)
// needs on this machine's cores.
func (r *report) cpuFloor(m measure) float64 {
	return (cpu(m) + m.fleet.self + m.fleet.children) / float64(max(1, r.cores()))
}

func (r *report) cores() int { n, _ := strconv.Atoi(r.machine.cpus); return n }

func spread(ms []measure) string {
	if len(ms) == 0 {
		return "-"
	}
	lo, hi := ms[0].wall, ms[0].wall
	for _, m := range ms {
		lo, hi = min(lo, m.wall), max(hi, m.wall)
	}
	return fmt.Sprintf("%.2f–%.2f", lo.Seconds(), hi.Seconds())
}

func met(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**MISSED**"
}

// overheadRatio is ansible's median wall over runbook's (0 if unknown).
func (o *overhead) ratio() float64 {
	r, a := median(o.runbook, wall), median(o.ansible, wall)
	if r == 0 || a == 0 {
		return 0
	}
	return a / r
}

// row finds a scale row.
func (s *scale) row(tool string, n, forks int) *scaleRow {
	for _, r := range s.rows {
		if r.tool == tool && r.n == n && r.forks == forks {
			return r
		}
	}
	return nil
}

// best is runbook's fastest median at n over all forks.
func (s *scale) best(n int) *scaleRow {
	var best *scaleRow
	for _, r := range s.rows {
		if r.tool == "runbook" && r.n == n && len(r.runs) > 0 && r.err == "" &&
			(best == nil || median(r.runs, wall) < median(best.runs, wall)) {
			best = r
		}
	}
	return best
}

// fleetTargets says whether 1000 hosts ran under 20 s in under 500 MB.
func (s *scale) fleetTargets() (wallOK, rssOK bool, r *scaleRow) {
	r = s.best(targetFleetN)
	if r == nil {
		return false, false, nil
	}
	maxRSS := 0.0
	for _, m := range r.runs {
		maxRSS = max(maxRSS, rssMB(m))
	}
	return median(r.runs, wall) < targetFleetWall, maxRSS < targetFleetRSS, r
}

// linearity describes how runbook's cost per host changes with N at
// forks: wall and CPU per host at each size, and the CPU per host at the
// largest size over the smallest (1.00 is linear; wall times on a shared
// box are too noisy for that ratio).
func (s *scale) linearity(forks int) (string, float64) {
	var parts []string
	var first, last float64
	for _, r := range s.rows {
		if r.tool != "runbook" || r.forks != forks || len(r.runs) == 0 || r.err != "" {
			continue
		}
		w, c := median(r.runs, wall)/float64(r.n), median(r.runs, cpu)/float64(r.n)
		parts = append(parts, fmt.Sprintf("N=%d: %.1f ms wall, %.1f ms CPU", r.n, 1000*w, 1000*c))
		if first == 0 {
			first = c
		}
		last = c
	}
	if len(parts) < 2 || first == 0 {
		return "", 0
	}
	return strings.Join(parts, "; "), last / first
}

func (s *scale) ratio(n, forks int) (float64, string) {
	a, r := s.row("ansible-playbook", n, forks), s.row("runbook", n, forks)
	if a == nil || r == nil || len(r.runs) == 0 || len(a.runs) == 0 {
		return 0, ""
	}
	x := median(a.runs, wall) / median(r.runs, wall)
	if a.runs[0].timedOut {
		return x, "≥ "
	}
	return x, ""
}

func (r *report) table() string {
	var b strings.Builder
	if r.overhead != nil {
		overheadTable(&b, r.overhead)
	}
	if r.scale != nil {
		r.scaleTable(&b)
	}
	if r.registry != nil {
		r.registry.table(&b)
	}
	if r.recovery != nil {
		r.recovery.table(&b)
	}
	if r.micro != nil && r.micro.err != "" {
		fmt.Fprintf(&b, "\nmicro-benchmarks: %s\n", r.micro.err)
	}
	fmt.Fprintf(&b, "\nbench-compare took %s\n", r.took.Round(time.Second))
	return b.String()
}

func overheadTable(b *strings.Builder, o *overhead) {
	fmt.Fprintf(b, "\nTask overhead: %d tasks × %d lab nodes, forks %d, median of %d (after a warm-up)\n",
		o.tasks, o.hosts, o.forks, o.runs)
	fmt.Fprintf(b, "  exec floor (OpenSSH `ssh host true`): new connection %.0f ms, multiplexed %.0f ms\n",
		o.floor.fresh.Seconds()*1000, o.floor.mux.Seconds()*1000)
	fmt.Fprintf(b, "  %-18s %9s %14s %9s\n", "tool", "wall s", "range s", "cpu s")
	fmt.Fprintf(b, "  %-18s %9.3f %14s %9.2f\n", "runbook", median(o.runbook, wall), spread(o.runbook), median(o.runbook, cpu))
	if len(o.ansible) > 0 {
		fmt.Fprintf(b, "  %-18s %9.3f %14s %9.2f\n", "ansible-playbook", median(o.ansible, wall), spread(o.ansible), median(o.ansible, cpu))
		fmt.Fprintf(b, "  ratio %.1f× (target ≥ %.0f×)\n", o.ratio(), targetOverheadRatio)
	} else if o.ansibleErr != "" {
		fmt.Fprintf(b, "  ansible-playbook failed: %s\n", o.ansibleErr)
	}
}

func (r *report) scaleTable(b *strings.Builder) {
	s := r.scale
	fmt.Fprintf(b, "\nFleet scale: %d tasks, in-process SSH hosts; runbook median of %d, ansible one run\n", s.tasks, r.config.fleetRuns)
	fmt.Fprintf(b, "  %-17s %5s %5s %9s %10s %8s %8s %9s %9s %8s %6s\n", "tool", "N", "forks", "wall s", "ms/h-task", "rss MB", "cpu s", "fleet s", "remote s", "floor s", "load")
	for _, row := range s.rows {
		if len(row.runs) == 0 {
			fmt.Fprintf(b, "  %-17s %5d %5d  %s\n", row.tool, row.n, row.forks, row.err)
			continue
		}
		w := median(row.runs, wall)
		fmt.Fprintf(b, "  %-17s %5d %5d %9.2f %10.2f %8.0f %8.2f %9.2f %9.2f %8.2f %6.1f %s\n", row.tool, row.n, row.forks, w,
			1000*w/float64(row.n*s.tasks), median(row.runs, rssMB), median(row.runs, cpu),
			median(row.runs, fleetOwn), median(row.runs, fleetKid), median(row.runs, r.cpuFloor), median(row.runs, load), row.err)
	}
	for _, row := range s.rows {
		if row.tool == "ansible-playbook" {
			if x, ge := s.ratio(row.n, row.forks); x > 0 {
				fmt.Fprintf(b, "  ratio at N=%d forks=%d: %s%.1f×\n", row.n, row.forks, ge, x)
			}
		}
	}
	if wallOK, rssOK, best := s.fleetTargets(); best != nil {
		fmt.Fprintf(b, "  N=%d best (forks %d): %.2f s (target < %.0f s: %v), peak RSS %.0f MB (target < %.0f MB: %v)\n",
			targetFleetN, best.forks, median(best.runs, wall), targetFleetWall, wallOK, median(best.runs, rssMB), targetFleetRSS, rssOK)
	}
}
