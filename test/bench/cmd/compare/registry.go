package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// registry is the registry-distribution result (issue 8 item 3).
type registry struct {
	tree    *regTree
	gen     time.Duration
	src     string
	targets []string // node names
	rows    []*regRow
	limits  []regLimit
	cores   int
	// noVerify is registry_sync's first copy with verify: false (-registry-no-verify).
	noVerify measure
}

// regRow is one tool: the first copy to every target at once, then the
// same command again with nothing changed.
type regRow struct {
	tool, how    string
	first, again measure
}

// regLimit is one measurement of what bounds a copy on this machine.
type regLimit struct {
	what  string
	m     measure
	bytes int64 // moved or processed
}

func (r *registry) row(tool string) *regRow {
	for _, x := range r.rows {
		if x.tool == tool {
			return x
		}
	}
	return nil
}

// delivered is what every copy writes: the tree to each target.
func (r *registry) delivered() int64 { return r.tree.bytes() * int64(len(r.targets)) }

// registryPlaybook copies master0's tree to every other node with
// registry_sync, as an operator would: src_host named by the inventory.
const registryPlaybook = `- name: registry distribution benchmark
  hosts: all:!master0
  gather_facts: false
  tasks:
    - name: copy the registry data of master0
      registry_sync:
        src_host: "{{ groups.master0[0] }}"
        src: %s
        dest: %s
`

// benchRegistry is issue 8 item 3: a generated registry tree (1 GiB, 2,000
// blobs by default) on lab master0, copied to the three other nodes at once
// by runbook's registry_sync (the binary, the lab's Clusterfile), by `rsync
// -a -e ssh` and by `scp -r` (both run on master0, one per target, all at
// once, host keys checked), each then run again with nothing changed.
func (b *bench) benchRegistry(ctx context.Context, c config) (*registry, error) {
	if !b.modules["registry_sync"] {
		return nil, fmt.Errorf("this runbook has no registry_sync module")
	}
	l, err := b.needLab(ctx, c.labWait)
	if err != nil {
		return nil, err
	}
	r := &registry{src: labScratch + "/registry", cores: b.cores()}
	m0 := l.Master0()
	var ips []string
	for _, n := range l.Nodes()[1:] {
		r.targets, ips = append(r.targets, n.Name), append(ips, n.IP)
	}
	t0 := time.Now()
	if r.tree, err = b.placeRegTree(ctx, m0.Name, r.src, c.registryBlobs, int64(c.registryMB)<<20, "runbook-bench", true); err != nil {
		return nil, fmt.Errorf("generating the tree on %s: %w", m0.Name, err)
	}
	r.gen = time.Since(t0)
	want, err := b.onNode(ctx, m0.Name, regListing(r.src), nil, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	fmt.Printf("  registry tree on %s: %d blobs (%d–%d bytes, median %d), %d metadata files, %.2f GiB, generated in %s\n",
		m0.Name, r.tree.blobs, r.tree.sizeLo, r.tree.sizeHi, r.tree.sizeMed, r.tree.metaFiles,
		float64(r.tree.bytes())/(1<<30), r.gen.Round(100*time.Millisecond))
	sshOpts, err := b.stageSSH(ctx, m0.Name)
	if err != nil {
		return nil, err
	}
	dir, err := b.labDir("registry")
	if err != nil {
		return nil, err
	}
	// parallel runs one command per target on master0, all at once.
	parallel := func(each string) string {
		return `pids=; for ip in ` + strings.Join(ips, " ") + `; do ` + each + ` & pids="$pids $!"; done; rc=0; ` +
			`for p in $pids; do wait $p || rc=1; done; exit $rc`
	}
	tools := []struct {
		name, how, dest string
		job             func(name, log string) (job, error)
	}{
		{"runbook registry_sync", "`runbook play` of one registry_sync task (src_host master0) on the lab's Clusterfile, forks 4",
			labScratch + "/registry-sync", nil},
		{"rsync -a -e ssh", "on master0: `rsync -a -e ssh SRC/ root@TARGET:DEST/`, one per target, all at once",
			labScratch + "/rsync", nil},
		{"scp -r", "on master0: `scp -r SRC/docker root@TARGET:DEST/`, one per target, all at once (OpenSSH 9.2: SFTP protocol)",
			labScratch + "/scp", nil},
	}
	pb := filepath.Join(dir, "registry.yaml")
	if err := os.WriteFile(pb, []byte(fmt.Sprintf(registryPlaybook, r.src, tools[0].dest)), 0o644); err != nil {
		return nil, err
	}
	tools[0].job = func(name, log string) (job, error) {
		return b.runbookJob(name, pb, l.ClusterfilePath(), l.KnownHostsPath(), 4, []string{"-v"}, log, 20*time.Minute), nil
	}
	tools[1].job = func(name, log string) (job, error) {
		return b.nodeJob(name, m0.Name, parallel(`rsync -a -e "ssh `+sshOpts+`" `+r.src+`/ root@$ip:`+tools[1].dest+`/`), log, 20*time.Minute)
	}
	tools[2].job = func(name, log string) (job, error) {
		return b.nodeJob(name, m0.Name, parallel(`scp -r -q `+sshOpts+` `+r.src+`/docker root@$ip:`+tools[2].dest+`/`), log, 20*time.Minute)
	}
	for i, t := range tools {
		// Untimed: an empty destination directory on every target, and
		// nothing left to write back from the previous tool.
		for _, n := range r.targets {
			if _, err := b.onNode(ctx, n, "rm -rf "+t.dest+" && mkdir -p "+t.dest, nil, 5*time.Minute); err != nil {
				return nil, err
			}
		}
		syscall.Sync()
		row := &regRow{tool: t.name, how: t.how}
		for k, phase := range []string{"first copy", "no change"} {
			j, err := t.job(t.name+" "+phase, filepath.Join(b.logs, fmt.Sprintf("registry-%d-%d.log", i, k)))
			if err != nil {
				return nil, err
			}
			m, err := b.timedLab(ctx, j)
			if err != nil {
				return nil, err
			}
			if k == 0 {
				row.first = m
			} else {
				row.again = m
			}
		}
		for _, n := range r.targets {
			got, err := b.onNode(ctx, n, regListing(t.dest), nil, 5*time.Minute)
			if err != nil {
				return nil, fmt.Errorf("%s: checking the copy on %s: %w", t.name, n, err)
			}
			if got != want {
				return nil, fmt.Errorf("%s: the copy on %s differs from the source (file list and sizes)", t.name, n)
			}
		}
		r.rows = append(r.rows, row)
		for _, n := range r.targets {
			_, _ = b.onNode(ctx, n, "rm -rf "+t.dest, nil, 5*time.Minute) // disk space; the scratch dir goes at the end anyway
		}
	}
	if c.registryNoVerify {
		// Diagnostic: what hashing every file on the targets costs.
		for _, n := range r.targets {
			_, _ = b.onNode(ctx, n, "rm -rf "+tools[0].dest, nil, 5*time.Minute)
		}
		syscall.Sync()
		if err := os.WriteFile(pb, []byte(fmt.Sprintf(registryPlaybook+"        verify: false\n", r.src, tools[0].dest)), 0o644); err != nil {
			return nil, err
		}
		j, err := tools[0].job("runbook registry_sync verify=false first copy", filepath.Join(b.logs, "registry-noverify.log"))
		if err != nil {
			return nil, err
		}
		if r.noVerify, err = b.timedLab(ctx, j); err != nil {
			return nil, err
		}
		for _, n := range r.targets {
			_, _ = b.onNode(ctx, n, "rm -rf "+tools[0].dest, nil, 5*time.Minute)
		}
	}
	r.limits = b.registryLimits(ctx, r, sshOpts, ips)
	// runbook's floor for any run on these hosts: start, connect to all
	// four, run one command on each.
	noop := filepath.Join(dir, "noop.yaml")
	if err := os.WriteFile(noop, []byte(noopPlaybook), 0o644); err != nil {
		return nil, err
	}
	var runs []measure
	for i := range 4 { // the first is a warm-up
		j := b.runbookJob("runbook: one `true` per node", noop, l.ClusterfilePath(), l.KnownHostsPath(), 4, nil,
			filepath.Join(b.logs, fmt.Sprintf("registry-noop-%d.log", i)), 5*time.Minute)
		if m, err := b.timedLab(ctx, j); err == nil && i > 0 {
			runs = append(runs, m)
		}
	}
	if len(runs) > 0 {
		slices.SortFunc(runs, func(a, b measure) int { return int(a.wall - b.wall) })
		r.limits = append(r.limits, regLimit{what: "runbook's floor: `runbook play` of one `command: true` task on all four nodes (median of 3)",
			m: runs[len(runs)/2]})
	}
	return r, nil
}

// noopPlaybook connects to every node and runs one command there.
const noopPlaybook = `- name: floor
  hosts: all
  gather_facts: false
  tasks:
    - name: nothing
      command: "true"
      changed_when: false
`

// registryLimits measures what bounds a copy here: OpenSSH's throughput
// with its default cipher and with AES-GCM (runbook's first choice), one
// stream and one per target at once; the disk; SHA-256 hashing. Every copy
// moves its bytes through these on the same 2 cores.
func (b *bench) registryLimits(ctx context.Context, r *registry, sshOpts string, ips []string) []regLimit {
	const gib = int64(1) << 30
	m0, t1 := b.lab.Master0().Name, b.lab.Nodes()[1]
	stream := func(ip, cipher string) string {
		c := ""
		if cipher != "" {
			c = "-c " + cipher + " "
		}
		return "head -c " + fmt.Sprint(gib) + " /dev/zero | ssh " + c + sshOpts + " root@" + ip + " 'cat > /dev/null'"
	}
	all := func(cipher string) string {
		var s []string
		for _, ip := range ips {
			s = append(s, "( "+stream(ip, cipher)+" ) &")
		}
		return strings.Join(s, " ") + " wait"
	}
	probes := []struct {
		what, node, cmd string
		bytes           int64
	}{
		{"OpenSSH, 1 stream, default cipher (chacha20-poly1305): 1 GiB master0 → " + t1.Name, m0, stream(t1.IP, ""), gib},
		{"OpenSSH, 1 stream, aes128-gcm: 1 GiB master0 → " + t1.Name, m0, stream(t1.IP, "aes128-gcm@openssh.com"), gib},
		{fmt.Sprintf("OpenSSH, %d streams at once, default cipher: 1 GiB master0 → each target", len(ips)), m0, all(""), gib * int64(len(ips))},
		{fmt.Sprintf("OpenSSH, %d streams at once, aes128-gcm: 1 GiB master0 → each target", len(ips)), m0, all("aes128-gcm@openssh.com"), gib * int64(len(ips))},
		{"disk: write 1 GiB on " + t1.Name + " (dd, fdatasync)", t1.Name,
			"dd if=/dev/zero of=" + labScratch + "/dd bs=1M count=1024 conv=fdatasync status=none; rm -f " + labScratch + "/dd", gib},
		{"SHA-256 of the tree's blobs on master0 (openssl dgst, from the page cache)", m0,
			"cd " + r.src + "/docker/registry/v2/blobs && find . -type f -print0 | xargs -0 cat | openssl dgst -sha256 >/dev/null", r.tree.blobBytes},
	}
	var out []regLimit
	for i, p := range probes {
		_, _ = b.onNode(ctx, t1.Name, "mkdir -p "+labScratch, nil, time.Minute) // dd's directory
		j, err := b.nodeJob("limit: "+p.what, p.node, p.cmd, filepath.Join(b.logs, fmt.Sprintf("registry-limit-%d.log", i)), 10*time.Minute)
		if err != nil {
			continue
		}
		m, err := b.timedLab(ctx, j)
		if err != nil {
			fmt.Printf("  (limit probe failed: %v)\n", err)
			continue
		}
		out = append(out, regLimit{what: p.what, m: m, bytes: p.bytes})
	}
	return out
}
