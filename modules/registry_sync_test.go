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
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
	"github.com/runbook-dev/runbook/transport"
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
// Sharing needs the runs to meet at a batch: a run that a loaded machine
// starts late (still listing its destination) reads on its own, so the
// read count is measured up to three times and must be low at least once;
// a hub that never shares fails all three.
func TestRegistrySyncParallelTargetsShareTheSource(t *testing.T) {
	src := t.TempDir()
	makeRegTree(t, src, 1100, func(i int) int { return 8<<10 + i*7 })
	var total int64
	for rel := range regSums(t, src) {
		fi, _ := os.Stat(filepath.Join(src, "docker/registry/v2", rel))
		total += fi.Size()
	}
	var ratios []float64
	for attempt := 0; attempt < 3; attempt++ {
		ratio := syncFourTargets(t, src, total)
		ratios = append(ratios, ratio)
		if ratio <= 2 {
			t.Logf("4 targets, the source read %.2f times (attempt %d)", ratio, attempt+1)
			return
		}
	}
	t.Errorf("the source was read %.1f times for 4 targets, in each of three attempts", ratios)
}

// syncFourTargets feeds four fresh targets (the last one a third full) from
// src at once and returns how many times the source's bytes were read.
func syncFourTargets(t *testing.T, src string, total int64) float64 {
	t.Helper()
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
		if err := os.Remove(filepath.Join(dests[3], "docker/registry/v2", rel)); err != nil {
			t.Fatal(err)
		}
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
	return float64(source.read.Load()) / float64(total)
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
