package main

import (
	"fmt"
	"strings"
	"time"
)

// Reports of the registry, recovery and micro-benchmark parts.

const mib = 1 << 20

func mbps(bytes int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / mib / d.Seconds()
}

// ratios is rsync's wall over registry_sync's, first copy and no change
// (0 when either is missing).
func (r *registry) ratios(tool string) (first, again float64) {
	rb, other := r.row("runbook registry_sync"), r.row(tool)
	if rb == nil || other == nil || rb.first.wall == 0 || rb.again.wall == 0 {
		return 0, 0
	}
	return wall(other.first) / wall(rb.first), wall(other.again) / wall(rb.again)
}

// work is the CPU a copy cost: the tool (and what it waited for) plus the
// lab nodes' processes.
func work(m measure) float64 { return cpu(m) + m.lab }

func (r *registry) table(b *strings.Builder) {
	fmt.Fprintf(b, "\nRegistry distribution: %.2f GiB, %d blobs, master0 → %d nodes at once\n",
		float64(r.tree.bytes())/(1<<30), r.tree.blobs, len(r.targets))
	fmt.Fprintf(b, "  %-24s %9s %9s %9s %10s %9s\n", "tool", "first s", "MiB/s", "CPU s", "again s", "CPU s")
	for _, x := range r.rows {
		fmt.Fprintf(b, "  %-24s %9.2f %9.1f %9.1f %10.3f %9.2f\n", x.tool, wall(x.first), mbps(r.delivered(), x.first.wall),
			work(x.first), wall(x.again), work(x.again))
	}
	f, a := r.ratios("rsync -a -e ssh")
	fmt.Fprintf(b, "  against rsync: first copy %.2f× (target ≥ %.1f×), no change %.1f× (target ≥ %.0f×)\n", f, targetRegFirst, a, targetRegAgain)
	for _, l := range r.limits {
		fmt.Fprintf(b, "  limit: %-90s %7.2f s %8.1f MiB/s %7.1f CPU-s\n", l.what, wall(l.m), mbps(l.bytes, l.m.wall), work(l.m))
	}
}

func (r *report) registryMarkdown(b *strings.Builder) {
	g := r.registry
	t := g.tree
	fmt.Fprintf(b, "## 3. Registry distribution (issue 8 item 3)\n\n")
	fmt.Fprintf(b, "A registry tree in distribution's filesystem layout (docker/registry/v2: %d content-addressed blobs of random\n"+
		"content, %d–%d bytes, median %d, 5%% of them holding 80%% of the bytes; %d repositories metadata files: layer links,\n"+
		"manifest revisions, tags; an upload session), %.2f GiB in all, generated on lab master0 (in %s, not timed) and copied\n"+
		"from master0 to the %d other lab nodes (%s) at once, into an empty directory; then the same command again with\n"+
		"nothing changed. Before each tool the targets' directories are emptied and the machine's dirty pages written out\n"+
		"(`sync`); every copy is checked afterwards (every file, with its size, on every target). %.2f GiB is delivered per\n"+
		"copy; MiB/s is that over the wall time. \"CPU\" is what the copy cost wherever it ran: the tool's process and the\n"+
		"children it waited for, plus every process of the lab nodes (sshd, its sessions and the commands they ran: tar,\n"+
		"hashing, rsync's receivers), counted from /proc; on %d cores no copy can take less than CPU / %d. \"machine busy\" is\n"+
		"all CPU used on the box meanwhile, other people's work included.\n\n",
		t.blobs, t.sizeLo, t.sizeHi, t.sizeMed, t.metaFiles, float64(t.bytes())/(1<<30), g.gen.Round(100*time.Millisecond),
		len(g.targets), strings.Join(g.targets, ", "), float64(g.delivered())/(1<<30), g.cores, g.cores)
	b.WriteString("| tool | first copy (s) | MiB/s delivered | CPU (s) | CPU per GiB delivered (s) | machine busy (s) | load | no-change re-run (s) | CPU (s) | machine busy (s) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	gib := float64(g.delivered()) / (1 << 30)
	for _, x := range g.rows {
		fmt.Fprintf(b, "| %s | %.2f | %.1f | %.1f | %.2f | %.1f | %.1f | %.3f | %.2f | %.2f |\n", x.tool, wall(x.first),
			mbps(g.delivered(), x.first.wall), work(x.first), work(x.first)/gib, x.first.machine, x.first.load1,
			wall(x.again), work(x.again), x.again.machine)
	}
	b.WriteString("\n")
	for _, x := range g.rows {
		fmt.Fprintf(b, "- %s: %s\n", x.tool, x.how)
	}
	for _, tool := range []string{"rsync -a -e ssh", "scp -r"} {
		f, a := g.ratios(tool)
		if f == 0 {
			continue
		}
		line := fmt.Sprintf("- registry_sync against %s: first copy %s, no-change re-run %s", tool, relSpeed(f, "%.2f"), relSpeed(a, "%.1f"))
		if tool == "rsync -a -e ssh" {
			line += fmt.Sprintf(" (targets ≥ %.1f×: %s; ≥ %.0f×: %s)", targetRegFirst, met(f >= targetRegFirst), targetRegAgain, met(a >= targetRegAgain))
		}
		b.WriteString(line + "\n")
	}
	if len(g.limits) > 0 {
		b.WriteString("\nWhat bounds a copy on this machine (each measured alone, right after the copies):\n\n")
		b.WriteString("| measurement | wall (s) | MiB/s | CPU (s) | CPU per GiB (s) |\n|---|---|---|---|---|\n")
		for _, l := range g.limits {
			if l.bytes == 0 {
				fmt.Fprintf(b, "| %s | %.3f | | %.2f | |\n", l.what, wall(l.m), work(l.m))
				continue
			}
			fmt.Fprintf(b, "| %s | %.2f | %.1f | %.1f | %.2f |\n", l.what, wall(l.m), mbps(l.bytes, l.m.wall), work(l.m),
				work(l.m)/(float64(l.bytes)/(1<<30)))
		}
		if nv := g.noVerify; nv.wall > 0 {
			fmt.Fprintf(b, "| registry_sync's first copy with `verify: false` (the bytes are hashed once, in the controller, instead of on every target) | %.2f | %.1f | %.1f | %.2f |\n",
				wall(nv), mbps(g.delivered(), nv.wall), work(nv), work(nv)/(float64(g.delivered())/(1<<30)))
		}
		b.WriteString("\n")
	}
	g.explain(b, r.overhead)
	b.WriteString("\n")
}

// explain writes, for each missed target, what the measurements say bounds it.
func (g *registry) explain(b *strings.Builder, o *overhead) {
	rb, rs := g.row("runbook registry_sync"), g.row("rsync -a -e ssh")
	if rb == nil || rs == nil {
		return
	}
	f, a := g.ratios("rsync -a -e ssh")
	gib := float64(g.delivered()) / (1 << 30)
	cores := float64(max(1, g.cores))
	if f < targetRegFirst {
		need := wall(rs.first) / targetRegFirst
		fmt.Fprintf(b, "- **First copy, target missed.** %.1f× would mean %.2f s. The copy is CPU-bound on this box: registry_sync's run\n"+
			"  cost %.1f CPU-s (%.2f per GiB delivered; floor %.2f s on %d cores), rsync's %.1f (%.2f per GiB, floor %.2f s).\n",
			targetRegFirst, need, work(rb.first), work(rb.first)/gib, work(rb.first)/cores, g.cores,
			work(rs.first), work(rs.first)/gib, work(rs.first)/cores)
		if work(rb.first)/cores > need {
			fmt.Fprintf(b, "  Finishing in %.2f s would need the copy to cost at most %.1f CPU-s, %.0f%% less than registry_sync's did.\n",
				need, need*cores, 100*(1-need*cores/work(rb.first)))
		}
		if others := rb.first.machine - work(rb.first); others > 1 {
			fmt.Fprintf(b, "  Other work used %.1f CPU-s of the box during registry_sync's copy (machine busy minus the copy's CPU).\n", others)
		}
		b.WriteString("  Every byte crosses SSH encryption: rsync and scp encrypt it once per target (master0's ssh client) and decrypt it\n" +
			"  once (the target's sshd); registry_sync, streaming host to host through the controller, also pays master0's sshd\n" +
			"  encrypting it and the controller decrypting it once (shared by the targets), then hashes it on every target before\n" +
			"  renaming it into place (rsync and scp verify nothing). The per-GiB costs of those steps are in the table above.\n")
	}
	if a < targetRegAgain {
		need := wall(rs.again) / targetRegAgain
		fmt.Fprintf(b, "- **No-change re-run, target missed.** %.0f× would mean %.0f ms; registry_sync took %.0f ms (%.2f CPU-s), rsync %.0f ms (%.2f CPU-s).\n",
			targetRegAgain, 1000*need, 1000*wall(rb.again), work(rb.again), 1000*wall(rs.again), work(rs.again))
		for _, l := range g.limits {
			if l.bytes == 0 {
				fmt.Fprintf(b, "  runbook alone needs %.0f ms (%.2f CPU-s) to start, connect to the four nodes and run one command on each (the floor\n"+
					"  row above);", 1000*wall(l.m), work(l.m))
			}
		}
		if o != nil && o.floor.fresh > 0 {
			fmt.Fprintf(b, " one OpenSSH connection and command (`ssh master0 true`, item 1) takes %.0f ms.", o.floor.fresh.Seconds()*1000)
		}
		b.WriteString(" The rest is the listing: to\n  find what changed, a re-run lists both sides — registry_sync one `find` of every file per host plus the hash of\n" +
			"  every metadata file, compared in the controller; rsync a file list with sizes and times from both ends.\n")
	}
}

func (r *recovery) table(b *strings.Builder) {
	fmt.Fprintf(b, "\nRecovery\n")
	if r.skipped != "" {
		fmt.Fprintf(b, "  %s\n", r.skipped)
		return
	}
	for _, s := range r.steps {
		fmt.Fprintf(b, "  %-75s %8.2f s %s\n", s.what, wall(s.m), s.err)
	}
	if s := r.step("recover"); s != nil && s.err == "" {
		fmt.Fprintf(b, "  recover-master0, pre-distributed: %.2f s (target < %.0f s: %v)\n", wall(s.m), targetRecovery, wall(s.m) < targetRecovery)
	}
}

func (r *report) recoveryMarkdown(b *strings.Builder) {
	v := r.recovery
	b.WriteString("## 4. Recovery of master0 (issue 8 item 4)\n\n")
	if v.skipped != "" {
		fmt.Fprintf(b, "%s.\n\n", v.skipped)
		return
	}
	fmt.Fprintf(b, "The built-in playbooks, run by the runbook binary on the lab's Clusterfile (`-e` the seeded images as\n"+
		"`registry_images`, so every run checks the new registry serves them), with %.2f GiB (%d blobs) added to master0's\n"+
		"registry data (sealer's rootfs/registry) besides the seeded images. In order: pre-distribute while master0 lives;\n"+
		"master0 hard-killed (SIGKILL to its systemd: every process of the node gone at once); recover-master0 onto master1,\n"+
		"whose data was pre-distributed; then, via post-distribute, onto master2 after its registry data was removed (a\n"+
		"standby never pre-distributed: post-distribute copies the data from the live registry host, master1). Afterwards\n"+
		"the lab is reset.\n\n", float64(v.tree.bytes())/(1<<30), v.tree.blobs)
	b.WriteString("| step | command | wall (s) | runbook CPU (s) | result |\n|---|---|---|---|---|\n")
	for _, s := range v.steps {
		res := "ok"
		if s.err != "" {
			res = "failed: " + strings.ReplaceAll(firstLine(s.err), "|", "\\|")
		}
		fmt.Fprintf(b, "| %s | `%s` | %.2f | %.2f | %s |\n", s.what, s.cmd, wall(s.m), cpu(s.m), res)
	}
	b.WriteString("\n")
	if s := v.step("recover"); s != nil && s.err == "" {
		fmt.Fprintf(b, "- recover-master0 with the registry pre-distributed: **%.2f s** (target < %.0f s: %s)\n", wall(s.m), targetRecovery,
			met(wall(s.m) < targetRecovery))
	}
	if p, s := v.step("post"), v.step("recover2"); p != nil && s != nil && p.err == "" && s.err == "" {
		fmt.Fprintf(b, "- via post-distribute: %.2f s (post-distribute %.2f s, then recover-master0 %.2f s)\n",
			wall(p.m)+wall(s.m), wall(p.m), wall(s.m))
	}
	b.WriteString("\n")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func (r *report) microMarkdown(b *strings.Builder) {
	m := r.micro
	b.WriteString("## 5. Micro-benchmarks of the engine's hot paths (issue 8 item 5)\n\n")
	fmt.Fprintf(b, "`go test -run '^$' -bench . -benchmem %s` (what `make bench-micro` runs), one run, %s. The hot paths:\n",
		strings.Join(microPackages, " "), m.took.Round(time.Second))
	for _, h := range microHotPaths {
		fmt.Fprintf(b, "%s: %s; ", "`"+h.prefix+"`", h.what)
	}
	b.WriteString("the SSH transport's round trips are measured beside them.\n\n")
	if m.err != "" {
		fmt.Fprintf(b, "**%s**\n\n", m.err)
	}
	if miss := m.missing(); len(miss) > 0 {
		fmt.Fprintf(b, "**No result for %s.**\n\n", strings.Join(miss, ", "))
	}
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---|---|---|---|\n")
	for _, x := range m.benches {
		var other []string
		for _, mt := range x.metrics {
			switch mt.unit {
			case "ns/op", "B/op", "allocs/op":
			default:
				other = append(other, fmt.Sprintf("%g %s", mt.value, mt.unit))
			}
		}
		ns := x.metric("ns/op")
		bo := x.metric("B/op")
		al := x.metric("allocs/op")
		fmt.Fprintf(b, "| %s | %s | %.0f | %.0f | %.0f | %s |\n", strings.TrimPrefix(x.pkg, "github.com/runbook-dev/runbook/"),
			strings.TrimPrefix(x.name, "Benchmark"), ns, bo, al, strings.Join(other, ", "))
	}
	b.WriteString("\n")
}

// relSpeed words a speed ratio (other tool's time / runbook's time) so that
// a ratio under 1 reads as "slower" instead of a "0.96× faster" that says
// the opposite of what it means.
func relSpeed(ratio float64, format string) string {
	if ratio >= 1 || ratio <= 0 {
		return fmt.Sprintf("**"+format+"×** faster", ratio)
	}
	return fmt.Sprintf("**"+format+"×** slower", 1/ratio)
}
