package modules_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/modules/transport"
	"github.com/runbook-dev/runbook/modules/transport/ssh"
	"github.com/runbook-dev/runbook/test/lab"
	"github.com/runbook-dev/runbook/test/sshd"
)

// makeRegTree writes a registry tree of n random blobs (sizes from size)
// with tags and layer links naming them, as distribution lays them out.
func makeRegTree(t testing.TB, root string, n int, size func(i int) int) {
	t.Helper()
	v2 := filepath.Join(root, "docker/registry/v2")
	for i := range n {
		b := make([]byte, size(i))
		_, _ = rand.Read(b)
		sum := sha256.Sum256(b)
		d := hex.EncodeToString(sum[:])
		regWrite(t, filepath.Join(v2, "blobs/sha256", d[:2], d, "data"), b)
		repo := filepath.Join(v2, "repositories", fmt.Sprintf("team%d/app", i%3))
		regWrite(t, filepath.Join(repo, "_layers/sha256", d, "link"), []byte("sha256:"+d))
		if i%50 == 0 {
			regWrite(t, filepath.Join(repo, "_manifests/revisions/sha256", d, "link"), []byte("sha256:"+d))
			regWrite(t, filepath.Join(repo, "_manifests/tags", fmt.Sprintf("v%d", i), "current/link"), []byte("sha256:"+d))
		}
	}
	// An upload session is not data: it must not be copied.
	regWrite(t, filepath.Join(v2, "repositories/team0/app/_uploads/0b7c/data"), []byte("partial"))
}

func regWrite(t testing.TB, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// regSums hashes every file of a tree but upload sessions; temporary files
// are an error, and so is a blob whose content is not its digest.
func regSums(t testing.TB, root string) map[string]string { return regSumsTemps(t, root, false) }

// regSumsTemps is regSums, leaving out temporary files when temps is true.
func regSumsTemps(t testing.TB, root string, temps bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	v2 := filepath.Join(root, "docker/registry/v2")
	err := filepath.WalkDir(v2, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.Name() == "_uploads" {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(v2, p)
		if strings.Contains(rel, ".runbook-tmp") {
			if !temps {
				t.Errorf("temporary file left: %s", rel)
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(s[:])
		if strings.HasPrefix(rel, "blobs/") && filepath.Base(filepath.Dir(rel)) != out[rel] {
			t.Errorf("visible blob %s has content %s", rel, out[rel])
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func regSameTree(t testing.TB, src, dst string) {
	t.Helper()
	a, b := regSums(t, src), regSums(t, dst)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("trees differ: %d files in the source, %d copied", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s differs", k)
		}
	}
}

func syncArgs(src, dest string) map[string]any { return map[string]any{"src": src, "dest": dest} }

func mustSync(t testing.TB, mc *modules.Context, args map[string]any) *modules.Result {
	t.Helper()
	m, _ := modules.Lookup("registry_sync")
	a, err := m.Spec().Bind(args, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Run(context.Background(), mc, a)
	if err != nil {
		t.Fatalf("registry_sync %v: %v", args, err)
	}
	return r
}

func dataInt(r *modules.Result, k string) int64 {
	switch v := r.Data[k].(type) {
	case int:
		return int64(v)
	case int64:
		return v
	}
	return -1
}

func TestRegistrySyncServedByASecondRegistry(t *testing.T) {
	a := startTestRegistry(t, t.TempDir())
	images := []string{"pause:3.10", "coredns/coredns:v1.11.3", "sealerio/lvscare:v1.1.3-beta.8", "multi/arch:v1"}
	for i, img := range images {
		repo, tag, _ := strings.Cut(img, ":")
		a.push(t, repo, tag, i == 3)
	}
	eachConn(t, func(t *testing.T, c testConn) {
		dest := filepath.Join(t.TempDir(), "registry")
		mc := connContext(t, c, nil)
		mc.Check = true
		r := mustSync(t, mc, syncArgs(a.Root, dest))
		if want := r.Data["to_send"].(map[string]any); !r.Changed || want["blobs"] != r.Data["blobs_total"] || want["bytes"].(int64) == 0 ||
			dataInt(r, "bytes_sent") != 0 {
			t.Fatalf("check mode: %s %v", r.Msg, r.Data)
		}
		if _, err := os.Stat(dest); !os.IsNotExist(err) {
			t.Fatalf("check mode wrote %s", dest)
		}
		mc.Check = false
		r = mustSync(t, mc, syncArgs(a.Root, dest))
		if !r.Changed || r.Failed || dataInt(r, "blobs_sent") != dataInt(r, "blobs_total") || dataInt(r, "bytes_sent") == 0 {
			t.Fatalf("first copy: %s %v", r.Msg, r.Data)
		}
		regSameTree(t, a.Root, dest)
		b := startTestRegistry(t, dest)
		args := b.checkArgs(images...)
		args["password"], args["username"] = b.Pass, b.User
		if r := helperMustRun(t, mc, "registry_check", args); r.Failed {
			t.Fatalf("the copy does not serve every image: %s", r.Msg)
		}
		r = mustSync(t, mc, syncArgs(a.Root, dest))
		if r.Changed || dataInt(r, "bytes_sent") != 0 || dataInt(r, "blobs_skipped") != dataInt(r, "blobs_total") {
			t.Fatalf("no-change re-run: %s %v", r.Msg, r.Data)
		}
	})
}

func TestRegistrySyncResumesAndCleans(t *testing.T) {
	src := t.TempDir()
	makeRegTree(t, src, 40, func(i int) int { return 1000 + i*333 })
	eachConn(t, func(t *testing.T, c testConn) {
		dest := t.TempDir()
		mc := connContext(t, c, nil)
		mustSync(t, mc, syncArgs(src, dest))
		var blobs []string
		for rel := range regSums(t, dest) {
			if strings.HasPrefix(rel, "blobs/") {
				blobs = append(blobs, filepath.Join(dest, "docker/registry/v2", rel))
			}
		}
		slices.Sort(blobs)
		// An interrupted run's partial temporary file, and a truncated blob
		// left by some other tool.
		if err := os.Remove(blobs[3]); err != nil {
			t.Fatal(err)
		}
		regWrite(t, blobs[3]+".runbook-tmp", []byte("partial garbage"))
		full, _ := os.ReadFile(blobs[7])
		regWrite(t, blobs[7], full[:len(full)/2])
		r := mustSync(t, mc, syncArgs(src, dest))
		if !r.Changed || dataInt(r, "stale_temp_files") != 1 || dataInt(r, "blobs_sent") != 2 || dataInt(r, "metadata_files_sent") != 0 {
			t.Fatalf("resume: %s %v", r.Msg, r.Data)
		}
		regSameTree(t, src, dest)
	})
}

// corruptStream flips one byte of the receiving tar's content, past the
// first header, as a bad disk or a bug between controller and host would.
type corruptConn struct {
	transport.Transport
	tap func(cmd *transport.Cmd)
}

func (c corruptConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	if slices.Contains(cmd.Args, "runbook-registry-receive") {
		c.tap(cmd)
	}
	return c.Transport.Run(ctx, cmd)
}

type flipReader struct {
	r   io.Reader
	off int64
	at  int64
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.at >= f.off && f.at < f.off+int64(n) {
		p[f.at-f.off] ^= 0xff
	}
	f.off += int64(n)
	return n, err
}

func TestRegistrySyncNeverInstallsBadContent(t *testing.T) {
	src := t.TempDir()
	makeRegTree(t, src, 12, func(i int) int { return 2048 + i })
	sums := regSums(t, src)
	var victim string
	for rel := range sums {
		if strings.HasPrefix(rel, "blobs/") && (victim == "" || rel < victim) {
			victim = rel
		}
	}
	eachConn(t, func(t *testing.T, c testConn) {
		for _, verify := range []bool{true, false} {
			t.Run(fmt.Sprint("verify=", verify), func(t *testing.T) {
				mc := connContext(t, c, nil)
				if verify { // without, only the digest of what the controller sent is checked
					// The host's copy is damaged on the way: only the host's own hash can tell.
					mc.Conn = corruptConn{Transport: c.Conn, tap: func(cmd *transport.Cmd) { cmd.Stdin = &flipReader{r: cmd.Stdin, at: 1000} }}
					dest := t.TempDir()
					r := mustSync(t, mc, syncArgs(src, dest))
					got := regSums(t, dest)
					if !r.Failed || len(r.Data["failed"].([]any)) != 1 || got[victim] != "" || dataInt(r, "metadata_files_sent") != 0 {
						t.Fatalf("corrupted on the way: %s %v", r.Msg, r.Data)
					}
				}
				// The source itself is bad: the digest check refuses it either way.
				bad := t.TempDir()
				if err := os.CopyFS(bad, os.DirFS(src)); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(bad, "docker/registry/v2", victim)
				b, _ := os.ReadFile(p)
				b[10] ^= 1
				regWrite(t, p, b)
				dest := t.TempDir()
				mc.Conn = c.Conn
				args := syncArgs(bad, dest)
				args["verify"] = verify
				r := mustSync(t, mc, args)
				got := regSums(t, dest)
				want := "sha256:" + filepath.Base(filepath.Dir(victim))
				if !r.Failed || fmt.Sprint(r.Data["failed"]) != "["+want+"]" || got[victim] != "" || len(got) != 11 {
					t.Fatalf("bad source: %s %v (%d files)", r.Msg, r.Data, len(got))
				}
			})
		}
	})
}

// streamConn gives the local transport the streaming Run registry_sync
// looks for, as the lead is asked to add to the real transports.
type streamConn struct{ transport.Transport }

func (streamConn) RunStream(ctx context.Context, cmd *transport.Cmd, stdout io.Writer) (*transport.Result, error) {
	c := exec.CommandContext(ctx, cmd.Args[0], cmd.Args[1:]...)
	var stderr bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = cmd.Stdin, stdout, &stderr
	err := c.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	res := &transport.Result{Stderr: stderr.Bytes()}
	if c.ProcessState != nil {
		res.ExitCode = c.ProcessState.ExitCode()
		err = nil
	}
	return res, err
}

func connectTo(conns map[string]transport.Transport) func(context.Context, string) (transport.Transport, error) {
	return func(_ context.Context, h string) (transport.Transport, error) {
		if c, ok := conns[h]; ok {
			return c, nil
		}
		return nil, fmt.Errorf("no host %s", h)
	}
}

func TestRegistrySyncHostToHost(t *testing.T) {
	src := t.TempDir()
	makeRegTree(t, src, 300, func(i int) int {
		if i == 7 {
			return 20<<20 + 12345 // larger than a chunk: read in ranges without streaming
		}
		return 100 + i*97
	})
	sources := map[string]transport.Transport{"streaming": streamConn{transport.NewLocal()}, "chunked": transport.NewLocal()}
	for _, c := range testConns(t) {
		if c.Name != "local" {
			sources["chunked-"+c.Name] = c.Conn
		}
	}
	for name, sc := range sources {
		t.Run(name, func(t *testing.T) {
			eachConn(t, func(t *testing.T, c testConn) {
				mc := connContext(t, c, nil)
				mc.Connect = connectTo(map[string]transport.Transport{"master0": sc})
				dest := t.TempDir()
				args := syncArgs(src, dest)
				args["src_host"] = "master0"
				r := mustSync(t, mc, args)
				if !r.Changed || dataInt(r, "blobs_sent") != 300 || dataInt(r, "metadata_files_sent") != dataInt(r, "metadata_files_total") {
					t.Fatalf("%s %v", r.Msg, r.Data)
				}
				regSameTree(t, src, dest)
				t.Log(r.Msg)
				if r = mustSync(t, mc, args); r.Changed || dataInt(r, "bytes_sent") != 0 {
					t.Fatalf("no-change re-run: %s %v", r.Msg, r.Data)
				}
			})
		})
	}
}

// countingConn counts the bytes of file contents read through it.
type countingConn struct {
	transport.Transport
	read atomic.Int64
}

func (c *countingConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	res, err := c.Transport.Run(ctx, cmd)
	if err == nil && slices.Contains(cmd.Args, "runbook-registry-read") {
		c.read.Add(int64(len(res.Stdout)))
	}
	return res, err
}

// Targets fed in parallel from one source read each batch they share once.
func TestRegistrySyncParallelTargetsShareTheSource(t *testing.T) {
	src := t.TempDir()
	makeRegTree(t, src, 1100, func(i int) int { return 8<<10 + i*7 })
	var total int64
	for rel := range regSums(t, src) {
		fi, _ := os.Stat(filepath.Join(src, "docker/registry/v2", rel))
		total += fi.Size()
	}
	source := &countingConn{Transport: transport.NewLocal()}
	dests := []string{t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()}
	// The last target already has a third of the blobs: it shares what it lacks too.
	mustSync(t, helperContext(t, nil), syncArgs(src, dests[3]))
	var blobs []string
	for rel := range regSums(t, dests[3]) {
		if strings.HasPrefix(rel, "blobs/") {
			blobs = append(blobs, rel)
		}
	}
	slices.Sort(blobs)
	for _, rel := range blobs[:700] {
		os.Remove(filepath.Join(dests[3], "docker/registry/v2", rel))
	}
	results := make([]*modules.Result, len(dests))
	errs := make([]error, len(dests))
	var wg sync.WaitGroup
	for i, dest := range dests {
		mc := helperContext(t, nil)
		mc.Connect = connectTo(map[string]transport.Transport{"master0": source})
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = helperRun(t, mc, "registry_sync", map[string]any{"src_host": "master0", "src": src, "dest": dest})
		}()
	}
	wg.Wait()
	for i, dest := range dests {
		if errs[i] != nil || results[i].Failed {
			t.Fatalf("target %d: %v %v", i, errs[i], results[i])
		}
		regSameTree(t, src, dest)
	}
	if read := source.read.Load(); read > total*2 {
		t.Errorf("the source was read %.1f times for %d targets", float64(read)/float64(total), len(dests))
	} else {
		t.Logf("4 targets, the source read %.2f times", float64(read)/float64(total))
	}
}

// countReader cancels the run part way through a batch after the first
// one: once limit bytes of its own stream went to the host, it holds that
// stream until a batch was renamed (at most a minute), then cancels. The
// first batch's stream is never held, so it can always complete.
type countReader struct {
	r       io.Reader
	n       *atomic.Int64 // bytes of every stream, for the log
	own     int64
	limit   int64
	late    bool // not the first batch's stream
	renamed *atomic.Bool
	cancel  func()
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	if c.own += int64(n); c.late && c.own > c.limit {
		for deadline := time.Now().Add(time.Minute); !c.renamed.Load() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		c.cancel()
	}
	return n, err
}

// interruptTap wraps the stdin of every batch receive with a countReader.
func interruptTap(sent *atomic.Int64, renamed *atomic.Bool, cancel func(), limit int64) func(*transport.Cmd) {
	var streams atomic.Int32
	return func(cmd *transport.Cmd) {
		if cmd.Stdin == nil || !slices.Contains(cmd.Args, "runbook-registry-receive") {
			return
		}
		late := streams.Add(1) > 1
		cmd.Stdin = &countReader{r: cmd.Stdin, n: sent, limit: limit, late: late, renamed: renamed, cancel: cancel}
	}
}

// commitConn notes when a batch was received, verified and renamed.
type commitConn struct {
	corruptConn
	renamed *atomic.Bool
}

func (c commitConn) Run(ctx context.Context, cmd *transport.Cmd) (*transport.Result, error) {
	res, err := c.corruptConn.Run(ctx, cmd)
	if err == nil && res.ExitCode == 0 && slices.Contains(cmd.Args, "runbook-registry-receive") {
		c.renamed.Store(true)
	}
	return res, err
}

func TestRegistrySyncInterruptedRunResumes(t *testing.T) {
	src := t.TempDir()
	makeRegTree(t, src, 1300, func(i int) int { return 16<<10 + i })
	eachConn(t, func(t *testing.T, c testConn) {
		dest := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var sent atomic.Int64
		var renamed atomic.Bool
		mc := connContext(t, c, nil)
		mc.Conn = commitConn{corruptConn: corruptConn{Transport: c.Conn, tap: interruptTap(&sent, &renamed, cancel, 1<<20)}, renamed: &renamed}
		m, _ := modules.Lookup("registry_sync")
		a, _ := m.Spec().Bind(syncArgs(src, dest), true)
		if _, err := m.Run(ctx, mc, a); err == nil {
			t.Fatal("an interrupted run succeeded")
		}
		// Whatever is visible is whole; no tag was written before its blobs.
		var present int64
		for rel := range regSumsTemps(t, dest, true) {
			if !strings.HasPrefix(rel, "blobs/") {
				t.Errorf("metadata %s written by an interrupted run", rel)
				continue
			}
			if fi, err := os.Stat(filepath.Join(dest, "docker/registry/v2", rel)); err == nil {
				present += fi.Size()
			}
		}
		mc.Conn = c.Conn
		r := mustSync(t, mc, syncArgs(src, dest))
		total := r.Data["to_send"].(map[string]any)["bytes"].(int64)
		var all int64
		for rel := range regSums(t, src) {
			fi, _ := os.Stat(filepath.Join(src, "docker/registry/v2", rel))
			all += fi.Size()
		}
		// A batch being renamed when the run was cancelled may still have
		// finished on the host, so present is a lower bound.
		if present == 0 || dataInt(r, "bytes_sent") != total || total > all-present || dataInt(r, "blobs_skipped") == 0 ||
			dataInt(r, "blobs_sent") == 0 {
			t.Fatalf("resume sent %d of %d bytes, at least %d were already there: %s", dataInt(r, "bytes_sent"), all, present, r.Msg)
		}
		t.Logf("interrupted after %d bytes: %s", sent.Load(), r.Msg)
		regSameTree(t, src, dest)
	})
}

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
