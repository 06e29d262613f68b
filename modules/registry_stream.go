package modules

// registry_sync's data path: each batch is one command on the host fed a
// tar of temporary names and the batch's list; the runs of one task that
// copy the same source at the same time read each batch they all need once.

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runbook-dev/runbook/transport"
)

// streamRunner is the streaming form of Transport.Run that registry_sync
// uses when a transport offers it: the command's standard output is written
// to stdout as it arrives instead of being buffered (Result.Stdout stays
// empty). Everything else is as Run: Stdin, Env, Dir, Become, a non-zero
// exit status in Result.ExitCode, ctx cancelling the command. A Write error
// must end the command and be returned; no Write happens after return.
type streamRunner interface {
	RunStream(ctx context.Context, cmd *transport.Cmd, stdout io.Writer) (*transport.Result, error)
}

// regRecvScript receives one batch in one command: it extracts the tar on
// stdin under $1 (every file under a temporary name), then reads the
// batch's list, the archive's last member $2, with a line per file: "SHA256
// PATH" to keep ($3=1: only when the file on disk has that hash, computed
// with $4, openssl or sha256sum) or "- PATH" to discard. Kept files lose
// their temporary suffix with util-linux rename $5 (or mv when "-"); the
// others are removed and printed as "bad PATH".
const regRecvScript = `mkdir -p -- "$1" && cd "$1" || exit 1
t=$(mktemp -d) || exit 1
trap 'rm -rf -- "$t" "$2"' EXIT
tar -x --no-same-owner --no-same-permissions -f - || exit 1
[ -f "$2" ] || { echo "incomplete batch: no $2" >&2; exit 1; }
sed -n 's/^- //p' "$2" > "$t/drop"
grep -v '^- ' "$2" > "$t/want"
if [ "$3" = 1 ]; then
  cut -d' ' -f2- "$t/want" > "$t/paths"
  if [ "$4" = openssl ]; then xargs -r -d '\n' openssl dgst -sha256 -r < "$t/paths" > "$t/got" 2>/dev/null
  else xargs -r -d '\n' sha256sum -- < "$t/paths" > "$t/got" 2>/dev/null; fi
  awk -v ok="$t/ok" -v bad="$t/bad" '
    { i = index($0, " "); h = substr($0, 1, i - 1); p = substr($0, i + 1) }
    NR == FNR { sub(/^[ *]/, "", p); got[p] = h; next }
    got[p] == h { print p > ok; next }
    { print p > bad }' "$t/got" "$t/want"
else
  cut -d' ' -f2- "$t/want" > "$t/ok"
fi
touch "$t/ok" "$t/bad"
cat "$t/bad" >> "$t/drop"
if [ -s "$t/ok" ]; then
  if [ "$5" = - ]; then
    while IFS= read -r p; do mv -f -- "$p" "${p%` + regTmpSuffix + `}" || exit 1; done < "$t/ok"
  else
    xargs -r -d '\n' "$5" -- '` + regTmpSuffix + `' '' < "$t/ok" || exit 1
  fi
fi
xargs -r -d '\n' rm -f -- < "$t/drop"
sed 's/^/bad /' "$t/bad"`

// regBatchFiles and regBatchBytes bound one batch (and so what an
// interruption can cost).
const (
	regBatchFiles = 512
	regBatchBytes = 128 << 20
)

// regSender writes files to the task's host.
type regSender struct {
	mc      *Context
	v2      string // on the host
	verify  bool   // hash each file on the host before renaming it
	hasher  string
	renamer string
	total   int64
	bytes   atomic.Int64
	badMu   sync.Mutex
	bad     []string // files that failed verification (never renamed)
	logMu   sync.Mutex
	lastLog time.Time
	start   time.Time
	// nextReport is when the next progress report is due, in nanoseconds
	// since start.
	nextReport atomic.Int64
}

// errRegReceived marks a receiving command that finished well.
var errRegReceived = errors.New("the host stopped reading the batch early")

// regStream is one batch on its way into one host: the receiving command
// and the tar writer that feeds it.
type regStream struct {
	s    *regSender
	list string
	pw   *io.PipeWriter
	bw   *bufio.Writer
	tw   *tar.Writer
	keep strings.Builder
	bad  []string
	err  error // the first write error: the host is gone
	ran  chan error
	out  []byte
	now  time.Time
}

// open starts the receiving command of one batch.
func (s *regSender) open(ctx context.Context) *regStream {
	st := &regStream{s: s, list: ".runbook-batch-" + rand.Text() + regTmpSuffix, ran: make(chan error, 1), now: time.Now()}
	v, ren := "0", s.renamer
	if s.verify {
		v = "1"
	}
	if ren == "" {
		ren = "-"
	}
	pr, pw := io.Pipe()
	go func() {
		res, err := hostRun(ctx, s.mc, "receiving files", &transport.Cmd{Args: []string{"/bin/sh", "-c", regRecvScript,
			"runbook-registry-receive", s.v2, st.list, v, s.hasher, ren}, Stdin: pr})
		if err == nil {
			st.out, err = res.Stdout, errRegReceived
		}
		pr.CloseWithError(err) // a writer still writing learns why
		st.ran <- err
	}()
	// Coalesce headers and small files: every write to the host is a packet.
	st.pw, st.bw = pw, bufio.NewWriterSize(pw, 256<<10)
	st.tw = tar.NewWriter(st.bw)
	return st
}

func (st *regStream) fail(err error) {
	if st.err == nil {
		st.err = err
	}
}

func (st *regStream) begin(f regFile) {
	if st.err == nil {
		st.fail(st.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.rel + regTmpSuffix, Size: f.size, Mode: 0o644, ModTime: st.now}))
	}
}

func (st *regStream) write(p []byte) {
	if st.err == nil {
		n, err := st.tw.Write(p)
		st.s.bytes.Add(int64(n))
		st.fail(err)
		st.s.progress(false)
	}
}

// end lists f for renaming, or for removal when ok is false (its bytes did
// not match its digest on their way).
func (st *regStream) end(f regFile, ok bool) {
	if ok {
		fmt.Fprintf(&st.keep, "%s %s%s\n", f.sum, f.rel, regTmpSuffix)
	} else {
		fmt.Fprintf(&st.keep, "- %s%s\n", f.rel, regTmpSuffix)
		st.bad = append(st.bad, f.rel)
	}
}

// close ends the archive with the batch's list (unless feeding failed) and
// returns once it is written; done reports the host command's end.
func (st *regStream) close(feedErr error) (done <-chan error, err error) {
	werr := st.err
	if werr == nil {
		werr = feedErr
	}
	if werr == nil {
		werr = st.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: st.list, Size: int64(st.keep.Len()), Mode: 0o600, ModTime: st.now})
	}
	if werr == nil {
		_, werr = io.WriteString(st.tw, st.keep.String())
	}
	if werr == nil {
		werr = st.tw.Close()
	}
	if werr == nil {
		werr = st.bw.Flush()
	}
	st.pw.CloseWithError(werr) // nil: the host sees the end of the archive
	finish := func(rerr error) error {
		if rerr == errRegReceived {
			rerr = nil
		}
		switch {
		case werr != nil && (rerr == nil || !errors.Is(werr, rerr)):
			return werr // the source failed (or ctx ended): the host only saw a cut stream
		case rerr != nil:
			return rerr
		}
		for _, line := range strings.Split(string(st.out), "\n") {
			if p, found := strings.CutPrefix(line, "bad "); found {
				st.bad = append(st.bad, strings.TrimSuffix(p, regTmpSuffix))
			}
		}
		st.s.badMu.Lock()
		st.s.bad = append(st.s.bad, st.bad...)
		st.s.badMu.Unlock()
		return nil
	}
	if werr != nil {
		return nil, finish(<-st.ran)
	}
	d := make(chan error, 1)
	go func() { d <- finish(<-st.ran) }()
	return d, nil
}

// errRegNoHost ends a feed nobody reads any more.
var errRegNoHost = errors.New("every receiving host stopped")

// regPiece is what a feed hands each stream's writer: a file's header
// (data nil, !last), some of its bytes, or its end (last, with the verdict).
type regPiece struct {
	f        regFile
	data     []byte
	last, ok bool
}

// regFeed reads files from src once and writes them into every stream,
// each written by its own goroutine from a short queue, so hosts take the
// bytes at once; a stream whose host fails is dropped and the others go
// on. The bytes are hashed on their way when a host does not verify them.
func regFeed(ctx context.Context, src regSource, files []regFile, streams []*regStream) error {
	hash := false
	queues := make([]chan regPiece, len(streams))
	var live atomic.Int32
	live.Store(int32(len(streams)))
	var wg sync.WaitGroup
	for i, st := range streams {
		hash = hash || !st.s.verify
		queues[i] = make(chan regPiece, 16)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queues[i] {
				dead := st.err != nil
				switch {
				case p.last:
					st.end(p.f, p.ok || st.s.verify)
				case p.data == nil:
					st.begin(p.f)
				default:
					st.write(p.data)
				}
				if !dead && st.err != nil {
					live.Add(-1)
				}
			}
		}()
	}
	send := func(p regPiece) error {
		if live.Load() == 0 {
			return errRegNoHost
		}
		for _, q := range queues {
			q <- p
		}
		return nil
	}
	err := src.read(ctx, files, func(f regFile, r io.Reader) error {
		if err := send(regPiece{f: f}); err != nil {
			return err
		}
		h := sha256.New()
		for done := false; !done; {
			buf := make([]byte, 256<<10) // read-only once queued: every writer shares it
			n, err := 0, error(nil)
			for n < len(buf) && err == nil {
				var m int
				m, err = r.Read(buf[n:])
				n += m
			}
			if err != nil && err != io.EOF {
				return err
			}
			if n > 0 {
				if hash {
					h.Write(buf[:n])
				}
				if err := send(regPiece{f: f, data: buf[:n]}); err != nil {
					return err
				}
			}
			done = err == io.EOF
		}
		return send(regPiece{f: f, last: true, ok: !hash || hex.EncodeToString(h.Sum(nil)) == f.sum})
	})
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	return err
}

// regHub lets the runs of one task that copy the same source at the same
// time (one per target, in parallel) share the reading: a batch that several
// of them need is read once and fed to all. A run waits at a batch only for
// the runs that still have it ahead in their plans; plans list batches in
// path order, so nobody waits for a run that waits for it.
type regHub struct {
	mu      sync.Mutex
	members map[*regMember]bool
	shares  map[string]*regShare // batches being gathered
}

// regMember is one run: the position of each of its batches, and the batch
// it is at.
type regMember struct {
	pos  map[string]int
	next int
}

// regShare is one batch gathering its runs.
type regShare struct {
	key     string
	files   []regFile
	src     regSource
	streams []*regStream
	members map[*regMember]bool
	ctxs    []context.Context
	done    chan struct{}
	err     error
}

var (
	regHubsMu sync.Mutex
	regHubs   = map[string]*regHub{}
)

// regBatchKey names a batch by its files.
func regBatchKey(files []regFile) string {
	return fmt.Sprintf("%s|%s|%d", files[0].rel, files[len(files)-1].rel, len(files))
}

// regJoin enters the hub of source key with the run's batches; leave when done.
func regJoin(key string, batches [][]regFile) (h *regHub, m *regMember, leave func()) {
	regHubsMu.Lock()
	defer regHubsMu.Unlock()
	if h = regHubs[key]; h == nil {
		h = &regHub{members: map[*regMember]bool{}, shares: map[string]*regShare{}}
		regHubs[key] = h
	}
	m = &regMember{pos: map[string]int{}}
	for i, b := range batches {
		m.pos[regBatchKey(b)] = i
	}
	h.mu.Lock()
	h.members[m] = true
	h.mu.Unlock()
	return h, m, func() {
		regHubsMu.Lock()
		defer regHubsMu.Unlock()
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.members, m)
		if len(h.members) == 0 {
			delete(regHubs, key)
		}
		h.startGathered()
	}
}

// feed feeds st the batch at index i of m's plan, with the other runs that
// need it; it returns when the batch is written.
func (h *regHub) feed(ctx context.Context, m *regMember, i int, src regSource, files []regFile, st *regStream) error {
	key := regBatchKey(files)
	h.mu.Lock()
	m.next = i
	sh := h.shares[key]
	if sh == nil {
		sh = &regShare{key: key, files: files, src: src, members: map[*regMember]bool{}, done: make(chan struct{})}
		h.shares[key] = sh
	}
	sh.streams, sh.ctxs = append(sh.streams, st), append(sh.ctxs, ctx)
	sh.members[m] = true
	h.startGathered()
	h.mu.Unlock()
	select {
	case <-sh.done:
		return sh.err
	case <-ctx.Done():
	}
	h.mu.Lock()
	if h.shares[key] == sh { // not started: leave it
		for j := range sh.streams {
			if sh.streams[j] == st {
				sh.streams, sh.ctxs = append(sh.streams[:j], sh.streams[j+1:]...), append(sh.ctxs[:j], sh.ctxs[j+1:]...)
				break
			}
		}
		delete(sh.members, m)
		if len(sh.streams) == 0 {
			delete(h.shares, key)
		}
		h.mu.Unlock()
		return ctx.Err()
	}
	h.mu.Unlock()
	<-sh.done // started: the run's host command has ended, the feed drops its stream
	return sh.err
}

// startGathered starts the feeds that wait for nobody any more (h.mu held).
func (h *regHub) startGathered() {
	for key, sh := range h.shares {
		gathered := true
		for m := range h.members {
			if i, ok := m.pos[key]; ok && !sh.members[m] && m.next <= i {
				gathered = false
				break
			}
		}
		if !gathered {
			continue
		}
		delete(h.shares, key)
		// The feed lives as long as one of its runs does.
		ctx, cancel := context.WithCancel(context.Background())
		var left atomic.Int32
		left.Store(int32(len(sh.ctxs)))
		stops := make([]func() bool, len(sh.ctxs))
		for j, c := range sh.ctxs {
			stops[j] = context.AfterFunc(c, func() {
				if left.Add(-1) == 0 {
					cancel()
				}
			})
		}
		go func() {
			sh.err = regFeed(ctx, sh.src, sh.files, sh.streams)
			for _, stop := range stops {
				stop()
			}
			cancel()
			close(sh.done)
		}()
	}
}
