package modules

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(registrySyncModule{}) }

type registrySyncModule struct{}

var registrySyncSpec = &Spec{
	Name:  "registry_sync",
	Short: "Copy a registry's storage (blobs and repositories) to the host, fast and resumable",
	Doc: "Copies the data of a distribution registry (the filesystem driver's rootdirectory: " +
		"docker/registry/v2/blobs and repositories) from the controller, or from src_host, to dest on the host. " +
		"Blobs are content-addressed: one already there with the right size is skipped without being read. The " +
		"others stream as one tar per batch of hundreds of files (from src_host through the controller's SSH " +
		"connections, never touching the controller's disk) into temporary names next to their final ones; each " +
		"is checked against its sha256 digest before it is renamed into place, so an interrupted run leaves no " +
		"partial blob visible and the next run sends only what is still missing (leftover temporary files are " +
		"removed). Repositories metadata (tags, revisions, layer links; not upload sessions) is compared by " +
		"content and written after the blobs it refers to. Nothing is deleted on the host. Check mode lists both " +
		"sides and reports what would be sent. Needs GNU find, tar and coreutils on the hosts; openssl, when " +
		"present, hashes much faster than sha256sum.",
	Params: []Param{
		{Name: "src", Type: TypePath, Required: true,
			Doc: "The registry's storage root (the directory holding docker/registry/v2): on the controller (relative to the playbook), or on src_host."},
		{Name: "src_host", Type: TypeString, Doc: "Inventory host that holds src; unset means the controller."},
		{Name: "dest", Type: TypePath, Required: true, Doc: "The storage root to fill on the host (created when missing)."},
		{Name: "verify", Type: TypeBool, Default: true,
			Doc: "Hash every copied file on the host, after it is written and before it is renamed. false checks the " +
				"digest of the bytes as they pass through the controller instead (cheaper; still nothing unverified is renamed)."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "src", Type: TypePath, Doc: "The source storage root."},
		{Name: "dest", Type: TypePath, Doc: "The storage root on the host."},
		{Name: "blobs_total", Type: TypeInt, Doc: "Blobs in the source."},
		{Name: "blobs_skipped", Type: TypeInt, Doc: "Blobs already on the host with the right size."},
		{Name: "blobs_sent", Type: TypeInt, Doc: "Blobs copied and renamed into place (0 in check mode)."},
		{Name: "metadata_files_total", Type: TypeInt, Doc: "Repositories metadata files in the source."},
		{Name: "metadata_files_sent", Type: TypeInt, Doc: "Metadata files written (0 in check mode)."},
		{Name: "bytes_sent", Type: TypeInt, Doc: "Content bytes streamed to the host (0 in check mode and when nothing changed)."},
		{Name: "to_send", Type: TypeMap, Doc: "What the host lacked (check mode: what would be sent): blobs, metadata_files, files, bytes."},
		{Name: "stale_temp_files", Type: TypeInt, Doc: "Temporary files of an interrupted run found on the host (removed, except in check mode)."},
		{Name: "failed", Type: TypeList, Doc: "Files whose content did not match their digest; they were not renamed."},
		{Name: "elapsed", Type: TypeAny, Doc: "Seconds the task took (a fraction)."},
		{Name: "rate", Type: TypeInt, Doc: "Bytes per second while sending (0 when nothing was sent)."},
	},
	Example: `- name: Give every master the registry data of master0
  registry_sync:
    src_host: "{{ groups.master[0] }}"
    src: /var/lib/sealer/data/my-cluster/rootfs/registry
    dest: /var/lib/sealer/data/my-cluster/rootfs/registry
  when: inventory_hostname != groups.master[0]`,
}

func (registrySyncModule) Spec() *Spec { return registrySyncSpec }

func (registrySyncModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	start := time.Now()
	srcRoot, srcHost, dest := args.String("src"), args.String("src_host"), args.String("dest")
	switch {
	case !path.IsAbs(dest):
		return nil, fmt.Errorf("registry_sync: dest must be an absolute path, got %q", dest)
	case srcHost != "" && !path.IsAbs(srcRoot):
		return nil, fmt.Errorf("registry_sync: src must be an absolute path on src_host, got %q", srcRoot)
	case srcHost != "" && mc.Connect == nil:
		return nil, errors.New("registry_sync: this run cannot reach other hosts (src_host)")
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("registry_sync on %s: %s: %w", mc.Host, what, err)
	}
	// The two listings run at once.
	var dstTree *regTree
	dstErr := make(chan error, 1)
	go func() {
		var err error
		dstTree, err = regListHost(ctx, mc.Conn, mc.Become, dest, !mc.Check)
		dstErr <- err
	}()
	var src regSource
	var srcTree *regTree
	var err error
	srcName, srcKey := srcRoot, "" // srcKey: runs reading the same source share listing and reading
	if srcHost == "" {
		if !filepath.IsAbs(srcRoot) {
			srcRoot = filepath.Join(mc.PlaybookDir, srcRoot)
		}
		srcName = srcRoot
		src = regLocalSource{v2: filepath.Join(srcRoot, filepath.FromSlash(regV2))}
		srcKey = "local|" + srcRoot
		srcTree, err = regSharedList(ctx, srcKey, func() (*regTree, error) { return regListLocal(srcRoot) })
	} else {
		conn, cerr := mc.Connect(ctx, srcHost)
		if cerr != nil {
			<-dstErr
			return nil, fail("connecting to src_host "+srcHost, cerr)
		}
		srcName = srcHost + ":" + srcRoot
		become := mc.BecomeFor(srcHost) // the source host's own sudo
		src = regHostSource{conn: conn, become: become, v2: path.Join(srcRoot, regV2)}
		if srcKey = regConnKey(conn, become); srcKey != "" {
			srcKey += "|" + srcRoot
		}
		srcTree, err = regSharedList(ctx, srcKey, func() (*regTree, error) { return regListHost(ctx, conn, become, srcRoot, false) })
	}
	derr := <-dstErr
	switch {
	case err != nil:
		return nil, fail("listing the source "+srcName, err)
	case !srcTree.exists:
		return nil, fail("src "+srcName, fmt.Errorf("no registry data there (no %s)", regV2))
	case derr != nil:
		return nil, fail("listing "+dest, derr)
	}
	plan := regDiff(srcTree, dstTree)
	data := map[string]any{"src": srcName, "dest": dest, "blobs_total": len(srcTree.blobs), "blobs_skipped": plan.skipped,
		"blobs_sent": 0, "metadata_files_total": len(srcTree.meta), "metadata_files_sent": 0, "bytes_sent": int64(0),
		"stale_temp_files": len(dstTree.temps), "failed": []any{}, "rate": int64(0),
		"to_send": map[string]any{"blobs": len(plan.blobs), "metadata_files": len(plan.meta),
			"files": len(plan.blobs) + len(plan.meta), "bytes": plan.blobBytes + plan.metaSize}}
	res := &Result{Data: data, Changed: len(plan.blobs)+len(plan.meta) > 0}
	finish := func() *Result {
		data["elapsed"] = time.Since(start).Seconds()
		return res
	}
	if !res.Changed {
		res.Msg = fmt.Sprintf("%d blobs and %d metadata files already in place", len(srcTree.blobs), len(srcTree.meta))
		return finish(), nil
	}
	if mc.Check {
		res.Msg = fmt.Sprintf("would send %d blobs and %d metadata files (%s); %d blobs already in place",
			len(plan.blobs), len(plan.meta), regHuman(plan.blobBytes+plan.metaSize), plan.skipped)
		return finish(), nil
	}
	s := &regSender{mc: mc, v2: path.Join(dest, regV2), verify: args.Bool("verify"), hasher: "sha256sum",
		renamer: dstTree.renamer, total: plan.blobBytes + plan.metaSize, start: time.Now(), lastLog: time.Now()}
	if dstTree.openssl {
		s.hasher = "openssl"
	}
	nb := regBatches(plan.blobs)
	batches := append(nb, regBatches(plan.meta)...)
	var hub *regHub
	var member *regMember
	if srcKey != "" {
		var leave func()
		hub, member, leave = regJoin(srcKey, batches)
		defer leave()
	}
	err = s.send(ctx, src, hub, member, batches, 0, len(nb))
	blobsSent := len(plan.blobs) - len(s.bad)
	if err == nil && len(s.bad) == 0 {
		// Tags and links only once every blob they may name is in place.
		err = s.send(ctx, src, hub, member, batches, len(nb), len(batches))
	}
	s.progress(true)
	sendTime := time.Since(s.start)
	data["bytes_sent"] = s.bytes.Load()
	data["rate"] = int64(float64(s.bytes.Load()) / sendTime.Seconds())
	if err != nil {
		// Batches already renamed stay; the rest is only temporary files.
		return nil, fail("copying to "+dest, err)
	}
	res.Changed = blobsSent > 0 || len(s.bad) == 0 // metadata only after every blob
	data["blobs_sent"] = blobsSent
	if len(s.bad) > 0 {
		sort.Strings(s.bad)
		bad := make([]any, len(s.bad))
		for i, b := range s.bad {
			bad[i] = regBlobDigest(b)
		}
		data["failed"] = bad
		res.Failed = true
		res.Msg = fmt.Sprintf("%d files from %s did not match their digest and were not installed (metadata not updated): %s",
			len(bad), srcName, strings.Join(s.bad, ", "))
		return finish(), nil
	}
	data["metadata_files_sent"] = len(plan.meta)
	res.Msg = fmt.Sprintf("sent %d blobs and %d metadata files (%s in %.1fs, %s/s); %d blobs already in place",
		blobsSent, len(plan.meta), regHuman(s.bytes.Load()), sendTime.Seconds(),
		regHuman(int64(float64(s.bytes.Load())/sendTime.Seconds())), plan.skipped)
	return finish(), nil
}

// regProgressEvery spaces registry_sync's progress reports. The check
// that a report is due is one clock read and one atomic load per chunk of
// up to 256 KiB (about 100 µs of copying): nothing measurable.
const regProgressEvery = 250 * time.Millisecond

// progress reports the bytes sent so far to the run (mc.Progress) when a
// report is due, and logs them every few seconds; final reports the end of
// the transfer whatever the time.
func (s *regSender) progress(final bool) {
	el := int64(time.Since(s.start))
	next := s.nextReport.Load()
	if !final && (el < next || !s.nextReport.CompareAndSwap(next, el+int64(regProgressEvery))) {
		return
	}
	sent := s.bytes.Load()
	s.mc.ReportProgress(s.total, sent, "registry_sync")
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if s.mc.Log == nil || time.Since(s.lastLog) < 5*time.Second {
		return
	}
	s.lastLog = time.Now()
	s.mc.Log("registry_sync %s: %s of %s sent (%s/s)", s.mc.Host, regHuman(sent), regHuman(s.total),
		regHuman(int64(float64(sent)/time.Since(s.start).Seconds())))
}

func regHuman(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// regBlobDigest names a blob by its digest in messages.
func regBlobDigest(rel string) string {
	if m := regBlobRe.FindStringSubmatch(rel); m != nil {
		return "sha256:" + m[2]
	}
	return path.Clean(rel)
}

// regBatches cuts files into batches of at most regBatchFiles files and
// regBatchBytes bytes (one command on the host each).
func regBatches(files []regFile) [][]regFile {
	var out [][]regFile
	for len(files) > 0 {
		n, size := 0, int64(0)
		for n < len(files) && n < regBatchFiles && (n == 0 || size+files[n].size <= regBatchBytes) {
			size += files[n].size
			n++
		}
		out, files = append(out, files[:n]), files[n:]
	}
	return out
}

// send copies batches[from:to] of the run's plan; a batch streams while the
// previous one is verified and renamed on the host.
func (s *regSender) send(ctx context.Context, src regSource, h *regHub, m *regMember, batches [][]regFile, from, to int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var prev <-chan error
	wait := func(err error) error {
		if prev != nil {
			if perr := <-prev; err == nil {
				err = perr
			}
		}
		prev = nil
		return err
	}
	for i := from; i < to; i++ {
		st := s.open(ctx)
		var err error
		if h != nil {
			err = h.feed(ctx, m, i, src, batches[i], st)
		} else {
			err = regFeed(ctx, src, batches[i], []*regStream{st})
		}
		done, err := st.close(err)
		if err = wait(err); err != nil {
			return err
		}
		prev = done
	}
	return wait(nil)
}

// A source listing is shared by the runs that ask for it at the same time
// (one task feeding several targets in parallel lists its source once).
var (
	regListMu      sync.Mutex
	regListPending = map[string]*regListCall{}
)

type regListCall struct {
	done chan struct{}
	tree *regTree
	err  error
}

// regSharedList runs list, or waits for the identical listing already
// running. key is "" when sharing is not safe.
func regSharedList(ctx context.Context, key string, list func() (*regTree, error)) (*regTree, error) {
	if key == "" {
		return list()
	}
	regListMu.Lock()
	c, ok := regListPending[key]
	if !ok {
		c = &regListCall{done: make(chan struct{})}
		regListPending[key] = c
		regListMu.Unlock()
		c.tree, c.err = list()
		regListMu.Lock()
		delete(regListPending, key)
		regListMu.Unlock()
		close(c.done)
		return c.tree, c.err
	}
	regListMu.Unlock()
	select {
	case <-c.done:
		return c.tree, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// regConnKey identifies a connection for sharing, "" when it cannot.
func regConnKey(conn transport.Transport, become *transport.Become) string {
	v := reflect.ValueOf(conn)
	if v.Kind() != reflect.Pointer {
		return ""
	}
	u := "-"
	if become != nil {
		u = "become:" + become.User
	}
	return fmt.Sprintf("%T:%p:%s", conn, conn, u)
}
