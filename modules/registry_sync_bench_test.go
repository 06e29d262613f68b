package modules_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/test/sshd"
	"github.com/runbook-dev/runbook/transport"
	"github.com/runbook-dev/runbook/transport/ssh"
)

// benchRegTree fills root with the benchmarks' registry tree: mb MiB in
// 2,000 blobs, 5% of them holding 80% of the bytes, 20% holding 16%, the
// rest 4%.
func benchRegTree(b *testing.B, root string, mb int) {
	scale := float64(mb<<20) / 2000
	makeRegTree(b, root, 2000, func(i int) int {
		switch {
		case i%20 == 0:
			return int(scale * 16 * (0.5 + float64(i%7)/6))
		case i%5 == 0:
			return int(scale * 16 / 15 * (0.5 + float64(i%11)/10))
		}
		return int(scale * 0.04 * 2000 / 1500 * (0.5 + float64(i%13)/12))
	})
}

// BenchmarkRegistrySync copies a generated tree (RUNBOOK_BENCH_MB, default
// 200 MiB in 2,000 blobs of mixed sizes) from one real sshd host to
// another through the controller, then re-runs with nothing to do; rsync
// -a -e ssh of the same tree is measured beside it. RUNBOOK_BENCH=1 only.
func BenchmarkRegistrySync(b *testing.B) {
	if os.Getenv("RUNBOOK_BENCH") != "1" {
		b.Skip("set RUNBOOK_BENCH=1 (generates and copies hundreds of MiB)")
	}
	mb := 200
	if v, err := strconv.Atoi(os.Getenv("RUNBOOK_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	srcSrv, dstSrv := sshd.Start(b, sshd.Options{}), sshd.Start(b, sshd.Options{})
	dial := func(s *sshd.Server) transport.Transport {
		c, err := ssh.Dial(context.Background(), ssh.Config{Name: s.Host, Addr: s.Host, Port: s.Port, User: "root",
			KeyFiles: []string{s.KeyPath}, KnownHostsFile: s.KnownHosts})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}
	src := b.TempDir()
	benchRegTree(b, src, mb)
	total := int64(0)
	for rel := range regSums(b, src) {
		if fi, err := os.Stat(filepath.Join(src, "docker/registry/v2", rel)); err == nil {
			total += fi.Size()
		}
	}
	mc := &modules.Context{Host: "target", Conn: dial(dstSrv), Log: func(string, ...any) {}}
	mc.Connect = connectTo(map[string]transport.Transport{"master0": dial(srcSrv)})
	cpu := func() float64 { return regCPU(srcSrv.Dir, dstSrv.Dir) }
	b.ResetTimer()
	for range b.N {
		dest := b.TempDir()
		args := syncArgs(src, dest)
		args["src_host"] = "master0"
		c0, t0 := cpu(), time.Now()
		r := mustSync(b, mc, args)
		first, firstCPU := time.Since(t0), cpu()-c0
		c0, t0 = cpu(), time.Now()
		again := mustSync(b, mc, args)
		noChange, noChangeCPU := time.Since(t0), cpu()-c0
		if again.Changed || dataInt(again, "bytes_sent") != 0 || dataInt(r, "bytes_sent") != total {
			b.Fatalf("first: %s; again: %s", r.Msg, again.Msg)
		}
		b.StopTimer()
		regSameTree(b, src, dest)
		rsyncDest := b.TempDir()
		rsync := func() (time.Duration, float64) {
			c0, t0 := cpu(), time.Now()
			cmd := exec.Command("rsync", "-a", "-e", fmt.Sprintf("ssh -o UserKnownHostsFile=%s -i %s -p %d", dstSrv.KnownHosts, dstSrv.KeyPath, dstSrv.Port),
				src+"/", "root@"+dstSrv.Host+":"+rsyncDest+"/")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("rsync: %v: %s", err, out)
			}
			return time.Since(t0), cpu() - c0
		}
		rsFirst, rsFirstCPU := rsync()
		rsAgain, rsAgainCPU := rsync()
		b.Logf("%d MiB, %d blobs: registry_sync %.2fs (%.0f MiB/s, %.1f CPU-s), no change %.3fs (%.2f CPU-s); "+
			"rsync -a -e ssh %.2fs (%.1f CPU-s), no change %.3fs (%.2f CPU-s); ratios first %.2fx, no change %.1fx",
			total>>20, 2000, first.Seconds(), float64(total)/(1<<20)/first.Seconds(), firstCPU, noChange.Seconds(), noChangeCPU,
			rsFirst.Seconds(), rsFirstCPU, rsAgain.Seconds(), rsAgainCPU, rsFirst.Seconds()/first.Seconds(), rsAgain.Seconds()/noChange.Seconds())
		b.ReportMetric(float64(total)/(1<<20)/first.Seconds(), "MiB/s")
		b.ReportMetric(noChange.Seconds()*1000, "nochange-ms")
		b.StartTimer()
	}
}

// regCPU is the CPU time, in seconds, of this process, its children and
// the sshd servers under dirs with all their sessions.
func regCPU(dirs ...string) float64 {
	var ru, ch syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ch)
	total := float64(ru.Utime.Nano()+ru.Stime.Nano()+ch.Utime.Nano()+ch.Stime.Nano()) / 1e9
	stat := func(pid string) []string {
		b, _ := os.ReadFile("/proc/" + pid + "/stat")
		s := string(b)
		if i := strings.LastIndex(s, ")"); i > 0 && i+2 < len(s) {
			return strings.Fields(s[i+2:])
		}
		return nil
	}
	under := func(pid string) bool {
		for range 8 {
			cl, _ := os.ReadFile("/proc/" + pid + "/cmdline")
			for _, d := range dirs {
				if bytes.Contains(cl, []byte(d)) {
					return true
				}
			}
			f := stat(pid)
			if len(f) < 2 || f[1] == "0" || f[1] == "1" {
				return false
			}
			pid = f[1]
		}
		return false
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil || !under(e.Name()) {
			continue
		}
		if f := stat(e.Name()); len(f) > 14 {
			for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
				v, _ := strconv.Atoi(f[i])
				total += float64(v) / 100
			}
		}
	}
	return total
}
