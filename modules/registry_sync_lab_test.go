package modules_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/test/lab"
)

// labTree hashes every blob and metadata file of a tree on a lab node (and
// checks each blob against its digest): the proof that two trees are equal.
func labTree(t testing.TB, l *lab.Lab, node, root string) map[string]string {
	t.Helper()
	out, stderr, code, err := l.Run(node, `cd '`+root+`/docker/registry/v2' && find blobs repositories -type f ! -path '*/_uploads/*' -print0 | xargs -0 -r sha256sum`)
	if err != nil || code != 0 {
		t.Fatalf("hashing %s on %s: %v %s", root, node, err, stderr)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		sum, p, _ := strings.Cut(line, "  ")
		if strings.Contains(p, ".runbook-tmp") {
			continue
		}
		if strings.HasPrefix(p, "blobs/") && filepath.Base(filepath.Dir(p)) != sum {
			t.Errorf("%s: visible blob %s has content %s", node, p, sum)
		}
		sums[p] = sum
	}
	return sums
}

func labSameTree(t testing.TB, a, b map[string]string) {
	t.Helper()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("trees differ: %d files and %d", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s differs", k)
		}
	}
}

// labRegistry serves root on node with Debian's registry (plain HTTP, on a
// 127.0.13.x address: the nodes share the machine's network) until the test ends.
func labRegistry(t *testing.T, l *lab.Lab, node, root string) string {
	t.Helper()
	addr, ln := regTestAddr(t)
	ln.Close()
	unit := "runbook-test-registry-" + strings.ToLower(rand.Text()[:8])
	conf := fmt.Sprintf("version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\n"+
		"storage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n", root, addr)
	script := fmt.Sprintf("printf '%%s' '%s' > /run/%s.yml && systemd-run --unit=%s docker-registry serve /run/%s.yml", conf, unit, unit, unit)
	if _, stderr, code, err := l.Run(node, script); err != nil || code != 0 {
		t.Fatalf("starting a registry on %s: %v %s", node, err, stderr)
	}
	t.Cleanup(func() { _, _, _, _ = l.Run(node, "systemctl stop "+unit+"; rm -f /run/"+unit+".yml") })
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no registry on %s at %s", node, addr)
		}
	}
}

func TestRegistrySyncOnTheLab(t *testing.T) {
	l := lab.Require(t)
	src := lab.Rootfs() + "/registry"
	master0, targets := l.Master0(), l.Masters()[1:]
	scratch := "/var/tmp/runbook-registry-sync-" + strings.ToLower(rand.Text()[:8])
	dest := scratch + "/registry"
	t.Cleanup(func() {
		for _, n := range l.Nodes() {
			_, _, _, _ = l.Run(n.Name, "rm -rf "+scratch)
		}
	})
	want := labTree(t, l, master0.Name, src)
	// Every target at once, as the engine's forks run them.
	results := make([]*modules.Result, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, n := range targets {
		mc := labContext(t, l, n.IP)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = helperRun(t, mc, "registry_sync", map[string]any{"src_host": master0.IP, "src": src, "dest": dest})
		}()
	}
	wg.Wait()
	var images []any
	for _, img := range lab.SeedImages {
		images = append(images, img.Repo+":"+img.Tag)
	}
	for i, n := range targets {
		if r := results[i]; errs[i] != nil || !r.Changed || dataInt(r, "blobs_sent") != dataInt(r, "blobs_total") {
			t.Fatalf("%s: %v %v", n.Name, errs[i], r)
		}
		labSameTree(t, want, labTree(t, l, n.Name, dest))
		mc := labContext(t, l, n.IP)
		args := map[string]any{"registry": labRegistry(t, l, n.Name, dest), "scheme": "http", "images": images}
		if r := helperMustRun(t, mc, "registry_check", args); r.Failed {
			t.Fatalf("the registry on %s does not serve the seeded images: %s", n.Name, r.Msg)
		}
		if r := mustSync(t, mc, map[string]any{"src_host": master0.IP, "src": src, "dest": dest}); r.Changed || dataInt(r, "bytes_sent") != 0 {
			t.Fatalf("no-change re-run on %s: %s", n.Name, r.Msg)
		}
	}

	// An interrupted copy: a bigger tree (three batches) onto master0, then
	// master0 to the first target, cancelled once a batch is in place.
	local := t.TempDir()
	makeRegTree(t, local, 1300, func(i int) int { return 24<<10 + i })
	big, bigDest := scratch+"/big", scratch+"/big-copy"
	mustSync(t, labContext(t, l, master0.IP), map[string]any{"src": local, "dest": big})
	n := targets[0]
	mc := labContext(t, l, n.IP)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sent atomic.Int64
	var renamed atomic.Bool
	conn := mc.Conn
	mc.Conn = commitConn{corruptConn: corruptConn{Transport: conn, tap: interruptTap(&sent, &renamed, cancel, 1<<20)}, renamed: &renamed}
	m, _ := modules.Lookup("registry_sync")
	a, _ := m.Spec().Bind(map[string]any{"src_host": master0.IP, "src": big, "dest": bigDest}, true)
	if _, err := m.Run(ctx, mc, a); err == nil {
		t.Fatal("an interrupted run succeeded")
	}
	labTree(t, l, n.Name, bigDest) // whatever is visible is whole
	mc.Conn = conn
	r := mustSync(t, mc, map[string]any{"src_host": master0.IP, "src": big, "dest": bigDest})
	if dataInt(r, "blobs_skipped") == 0 || dataInt(r, "blobs_sent") == 0 {
		t.Fatalf("resume: %s", r.Msg)
	}
	t.Logf("interrupted after %d bytes, resumed: %s", sent.Load(), r.Msg)
	labSameTree(t, labTree(t, l, master0.Name, big), labTree(t, l, n.Name, bigDest))
}

// BenchmarkRegistrySyncLab runs registry_sync in process on the lab
// (RUNBOOK_BENCH=1), so it can be profiled (go test -cpuprofile): a
// generated tree (RUNBOOK_BENCH_MB, default 1024 MiB, 2,000 blobs) copied to
// master0, then from master0 to every other node at once, then again with
// nothing to do. The comparison with rsync and scp, through the runbook
// binary, is `make bench-compare` (test/bench/cmd/compare, BENCHMARKS.md).
func BenchmarkRegistrySyncLab(b *testing.B) {
	if os.Getenv("RUNBOOK_BENCH") != "1" {
		b.Skip("set RUNBOOK_BENCH=1 (generates and copies a GiB)")
	}
	l := lab.Require(b)
	mb := 1024
	if v, err := strconv.Atoi(os.Getenv("RUNBOOK_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	local := b.TempDir()
	benchRegTree(b, local, mb)
	scratch := "/var/tmp/runbook-registry-bench"
	src, dest := scratch+"/src", scratch+"/dest"
	b.Cleanup(func() {
		for _, n := range l.Nodes() {
			_, _, _, _ = l.Run(n.Name, "rm -rf "+scratch)
		}
	})
	master0, targets := l.Master0(), l.Nodes()[1:]
	pool := labPool(b, l)
	ctxs := make([]*modules.Context, len(targets))
	for i, n := range targets {
		ctxs[i] = pool(n.IP)
	}
	r := mustSync(b, pool(master0.IP), map[string]any{"src": local, "dest": src})
	fmt.Fprintf(os.Stderr, "controller -> master0: %s\n", r.Msg)
	all := func(args map[string]any) time.Duration {
		c0, t0 := benchCPU(), time.Now()
		defer func() { fmt.Fprintf(os.Stderr, "  CPU %.1fs\n", benchCPU()-c0) }()
		var wg sync.WaitGroup
		for i := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := mustSync(b, ctxs[i], args)
				fmt.Fprintf(os.Stderr, "  %s: %s\n", targets[i].Name, r.Msg)
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	for range b.N {
		for _, n := range targets {
			_, _, _, _ = l.Run(n.Name, "rm -rf "+dest)
		}
		first := all(map[string]any{"src_host": master0.IP, "src": src, "dest": dest})
		again := all(map[string]any{"src_host": master0.IP, "src": src, "dest": dest})
		fmt.Fprintf(os.Stderr, "%d MiB to %d nodes at once: registry_sync %.2fs, no change %.3fs\n",
			mb, len(targets), first.Seconds(), again.Seconds())
	}
}

// labPool connects to lab hosts once for a whole benchmark, as the engine
// keeps one connection per host for a run; ctx gives a task's context on host.
func labPool(b *testing.B, l *lab.Lab) (ctx func(host string) *modules.Context) {
	connect := labConnector(b, l)
	return func(host string) *modules.Context {
		c, err := connect(context.Background(), host)
		if err != nil {
			b.Fatal(err)
		}
		return &modules.Context{Host: host, Conn: c, Connect: connect, Log: func(string, ...any) {}}
	}
}

// benchCPU is the CPU time, in seconds, of this process and its children
// plus every sshd on the machine (the lab nodes' included) with the commands
// their sessions ran: what a copy through SSH costs, whoever does it.
func benchCPU() float64 {
	var ru, ch syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ch)
	total := float64(ru.Utime.Nano()+ru.Stime.Nano()+ch.Utime.Nano()+ch.Stime.Nano()) / 1e9
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil || !bytes.Contains(b, []byte("(sshd)")) {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		t := 0.0
		for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
			v, _ := strconv.Atoi(f[i])
			t += float64(v) / 100
		}
		total += t
	}
	return total
}
