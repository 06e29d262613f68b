package modules

// registry_sync's view of a distribution registry tree: one listing per
// side (blob sizes, metadata hashes, leftover temporary files), the plan of
// what the target lacks, and the sources that stream file contents.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// regTmpSuffix marks a file being received; only a verified file loses it.
const regTmpSuffix = ".runbook-tmp"

// regV2 is where the filesystem driver keeps its data under rootdirectory.
const regV2 = "docker/registry/v2"

var (
	regBlobRe = regexp.MustCompile(`^blobs/sha256/([0-9a-f]{2})/([0-9a-f]{64})/data$`)
	// Repository names, tags and link files: nothing a shell or a tar
	// header could misread, no "..", no temporary suffix.
	regMetaRe = regexp.MustCompile(`^repositories/[A-Za-z0-9._/-]+$`)
)

// regFile is one file of the tree, relative to docker/registry/v2.
type regFile struct {
	rel  string
	size int64
	sum  string // hex SHA-256 the content must have (a blob's digest)
	meta bool
}

// regTree is one side's listing.
type regTree struct {
	exists  bool
	blobs   map[string]regFile
	meta    map[string]regFile
	temps   []string // leftover temporary files (removed by a target listing unless in check mode)
	ignored int      // files that are not part of a registry's data
	openssl bool     // the host can hash with openssl (much faster than coreutils' sha256sum)
	renamer string   // util-linux rename program, "" when the host has none
}

func newRegTree() *regTree {
	return &regTree{blobs: map[string]regFile{}, meta: map[string]regFile{}}
}

// file classifies one listed file; a metadata file's sum comes later.
func (t *regTree) file(rel string, size int64) {
	m := regBlobRe.FindStringSubmatch(rel)
	switch {
	case strings.HasSuffix(rel, regTmpSuffix):
		t.temps = append(t.temps, rel)
	case m != nil && m[2][:2] == m[1]:
		t.blobs[rel] = regFile{rel: rel, size: size, sum: m[2]}
	case regMetaRe.MatchString(rel) && !strings.Contains(rel, "..") && !strings.Contains(rel, regTmpSuffix):
		t.meta[rel] = regFile{rel: rel, size: size, meta: true}
	default:
		t.ignored++
	}
}

// dropUnhashed forgets metadata files that could not be hashed.
func (t *regTree) dropUnhashed() {
	for rel, f := range t.meta {
		if len(f.sum) != 64 {
			delete(t.meta, rel)
			t.ignored++
		}
	}
}

// regListScript lists a tree on a host with one walk: "caps OPENSSL
// RENAMER", then "none" when there is no tree, else "SIZE PATH" per file
// (upload sessions are not data), "meta", and sha256sum's lines for the
// repositories metadata. With $2=1 it removes leftover temporary files.
const regListScript = `o=0; command -v openssl >/dev/null 2>&1 && o=1
r=-
if command -v rename.ul >/dev/null 2>&1; then r=rename.ul
elif rename --version 2>/dev/null | grep -q util-linux; then r=rename; fi
echo "caps $o $r"
cd "$1" 2>/dev/null || { echo none; exit 0; }
l=$(mktemp) || exit 1
trap 'rm -f -- "$l"' EXIT
find . -path '*/_uploads' -prune -o -type f -printf '%s %P\n' > "$l" || exit 1
cat "$l"
echo meta
sed -n 's/^[0-9]* \(repositories\/.*\)$/\1/p' "$l" | grep -v '` + regTmpSuffix + `$' | xargs -r -d '\n' sha256sum --
if [ "$2" = 1 ]; then sed -n 's/^[0-9]* \(.*` + regTmpSuffix + `\)$/\1/p' "$l" | xargs -r -d '\n' rm -f --; fi`

// regListHost lists root's tree on a host; clean deletes leftover
// temporary files (never in check mode).
func regListHost(ctx context.Context, conn transport.Transport, become *transport.Become, root string, clean bool) (*regTree, error) {
	c := "0"
	if clean {
		c = "1"
	}
	res, err := conn.Run(ctx, &transport.Cmd{Args: []string{"/bin/sh", "-c", regListScript, "runbook-registry-list",
		path.Join(root, regV2), c}, Become: become})
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("listing %s: %s", root, textStderr(res))
	}
	return parseRegList(string(res.Stdout))
}

func parseRegList(out string) (*regTree, error) {
	t := newRegTree()
	head, rest, _ := strings.Cut(out, "\n")
	f := strings.Fields(head)
	if len(f) != 3 || f[0] != "caps" {
		return nil, fmt.Errorf("unexpected listing output %q", head)
	}
	t.openssl = f[1] == "1"
	if f[2] != "-" {
		t.renamer = f[2]
	}
	if t.exists = !strings.HasPrefix(rest, "none\n"); !t.exists {
		return t, nil
	}
	files, sums, _ := strings.Cut("\n"+rest, "\nmeta\n")
	for _, line := range strings.Split(files, "\n") {
		sz, name, _ := strings.Cut(line, " ")
		if n, err := strconv.ParseInt(sz, 10, 64); err == nil {
			t.file(name, n)
		}
	}
	for _, line := range strings.Split(sums, "\n") {
		sum, name, _ := strings.Cut(line, "  ") // an escaped (\-prefixed) name is no registry path
		if f, ok := t.meta[name]; ok {
			f.sum = sum
			t.meta[name] = f
		}
	}
	t.dropUnhashed()
	return t, nil
}

// regListLocal lists a tree on the controller, hashing the metadata.
func regListLocal(root string) (*regTree, error) {
	v2 := filepath.Join(root, filepath.FromSlash(regV2))
	t := newRegTree()
	if fi, err := os.Stat(v2); err != nil || !fi.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return t, nil
		}
		return nil, err
	}
	t.exists = true
	err := filepath.WalkDir(v2, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "_uploads":
			return filepath.SkipDir
		case !d.Type().IsRegular():
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(v2, p)
		t.file(filepath.ToSlash(rel), fi.Size())
		return nil
	})
	for rel, f := range t.meta {
		if err != nil {
			break
		}
		var b []byte
		if b, err = os.ReadFile(filepath.Join(v2, filepath.FromSlash(rel))); err == nil {
			sum := sha256.Sum256(b)
			f.sum, f.size = hex.EncodeToString(sum[:]), int64(len(b))
			t.meta[rel] = f
		}
	}
	t.dropUnhashed()
	return t, err
}

// regPlan is what a target lacks.
type regPlan struct {
	blobs, meta         []regFile // to send, in path order
	blobBytes, metaSize int64
	skipped             int // blobs already there with the right size
}

func regDiff(src, dst *regTree) regPlan {
	var p regPlan
	for rel, f := range src.blobs {
		if d, ok := dst.blobs[rel]; ok && d.size == f.size {
			p.skipped++
			continue
		}
		p.blobs = append(p.blobs, f)
		p.blobBytes += f.size
	}
	for rel, f := range src.meta {
		if d, ok := dst.meta[rel]; ok && d.sum == f.sum {
			continue
		}
		p.meta = append(p.meta, f)
		p.metaSize += f.size
	}
	byPath := func(l []regFile) { sort.Slice(l, func(i, j int) bool { return l[i].rel < l[j].rel }) }
	byPath(p.blobs)
	byPath(p.meta)
	return p
}

// regSource streams the content of files in the order given: fn gets a
// reader of exactly f.size bytes and must consume it.
type regSource interface {
	read(ctx context.Context, files []regFile, fn func(f regFile, r io.Reader) error) error
}

// regLocalSource reads a tree on the controller.
type regLocalSource struct{ v2 string }

func (s regLocalSource) read(ctx context.Context, files []regFile, fn func(regFile, io.Reader) error) error {
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		fh, err := os.Open(filepath.Join(s.v2, filepath.FromSlash(f.rel)))
		if err != nil {
			return err
		}
		err = fn(f, &regExactReader{r: fh, n: f.size})
		fh.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// regHostSource reads a tree on another host: one `cat` of many files,
// streamed when the transport can (streamRunner), else in bounded chunks.
type regHostSource struct {
	conn   transport.Transport
	become *transport.Become
	v2     string
}

// regChunk bounds the memory a chunked read holds per chunk, and
// regFetchAhead how many chunks it fetches at once.
const (
	regChunk      = 8 << 20
	regFetchAhead = 3
)

func (s regHostSource) read(ctx context.Context, files []regFile, fn func(regFile, io.Reader) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	if sr, ok := s.conn.(streamRunner); ok {
		go func() {
			res, err := sr.RunStream(ctx, s.catCmd(files), pw)
			if err == nil && res.ExitCode != 0 {
				err = fmt.Errorf("reading the source: %s", textStderr(res))
			}
			pw.CloseWithError(err)
			done <- err
		}()
	} else {
		go func() {
			err := s.chunks(ctx, files, pw)
			pw.CloseWithError(err)
			done <- err
		}()
	}
	var err error
	for _, f := range files {
		if err = fn(f, &regExactReader{r: pr, n: f.size}); err != nil {
			break
		}
	}
	if err == nil {
		// The files must not have grown since the listing.
		if n, _ := io.Copy(io.Discard, pr); n > 0 {
			err = fmt.Errorf("source files changed during the copy (%d unexpected bytes)", n)
		}
	}
	if err != nil {
		pr.CloseWithError(err)
		cancel()
	}
	if rerr := <-done; err == nil {
		err = rerr
	}
	return err
}

func (s regHostSource) catCmd(files []regFile) *transport.Cmd {
	var list strings.Builder
	for _, f := range files {
		list.WriteString(f.rel)
		list.WriteByte(0)
	}
	return &transport.Cmd{Args: []string{"/bin/sh", "-c", `cd "$1" && exec xargs -0 -r cat --`, "runbook-registry-read", s.v2},
		Stdin: strings.NewReader(list.String()), Become: s.become}
}

// chunks writes the files' contents to w with buffered Runs of at most
// regChunk bytes each (whole small files together, large ones in ranges),
// fetching the next chunks while one is written.
func (s regHostSource) chunks(ctx context.Context, files []regFile, w io.Writer) error {
	var cmds []*transport.Cmd
	var group []regFile
	var groupSize int64
	flush := func() {
		if len(group) > 0 {
			cmds = append(cmds, s.catCmd(group))
			group, groupSize = nil, 0
		}
	}
	for _, f := range files {
		if f.size < regChunk {
			if groupSize+f.size > regChunk {
				flush()
			}
			group, groupSize = append(group, f), groupSize+f.size
			continue
		}
		flush()
		for off := int64(0); off < f.size; off += regChunk {
			cmds = append(cmds, &transport.Cmd{Args: []string{"/bin/sh", "-c",
				`cd "$1" && exec dd if="$2" bs=1M skip="$3" count="$4" iflag=skip_bytes,count_bytes status=none`,
				"runbook-registry-read", s.v2, f.rel, strconv.FormatInt(off, 10), strconv.FormatInt(min(regChunk, f.size-off), 10)},
				Become: s.become})
		}
	}
	flush()
	// A few chunks are fetched at once: each is a new session on the host.
	type chunk struct {
		b   []byte
		err error
	}
	order := make(chan chan chunk, regFetchAhead)
	go func() {
		defer close(order)
		for _, c := range cmds {
			ch := make(chan chunk, 1)
			select {
			case order <- ch:
			case <-ctx.Done():
				return
			}
			go func() {
				res, err := s.conn.Run(ctx, c)
				if err == nil && res.ExitCode != 0 {
					err = fmt.Errorf("reading the source: %s", textStderr(res))
				}
				if err != nil {
					ch <- chunk{err: err}
					return
				}
				ch <- chunk{b: res.Stdout}
			}()
		}
	}()
	for ch := range order {
		c := <-ch
		if c.err != nil {
			return c.err
		}
		if _, err := w.Write(c.b); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// regExactReader yields exactly n bytes of r, or io.ErrUnexpectedEOF.
type regExactReader struct {
	r io.Reader
	n int64
}

func (e *regExactReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	n, err := e.r.Read(p)
	e.n -= int64(n)
	if err == io.EOF && e.n > 0 {
		err = io.ErrUnexpectedEOF
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}
