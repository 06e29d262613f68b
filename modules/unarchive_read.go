package modules

// Reading an archive for unarchive, on the controller: the format found by
// its first bytes (tar plain or compressed with gzip, bzip2, xz or zstd;
// zip), every member's name checked so that none can land outside dest,
// and the members to extract written out again as one tar stream for the
// host's tar.

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// arMember is one member as it will land under dest.
type arMember struct {
	name  string // relative to dest, clean, no trailing slash
	orig  string // the name in the archive, cleaned but not stripped
	kind  byte   // 'f' file, 'd' directory, 'l' symbolic link, 'h' hard link
	mode  uint32 // permission bits, chmod's numbers
	mtime time.Time
	size  int64
	link  string // a symbolic link's target, or a hard link's member (relative to dest)
	index int    // position in the archive (tar: counting every header)
}

// arArchive is an archive on the controller and its members.
type arArchive struct {
	path, handler string
	zip           bool
	members       []*arMember
}

var (
	arMagicGzip  = []byte{0x1f, 0x8b}
	arMagicBzip2 = []byte("BZh")
	arMagicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	arMagicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	arMagicZip   = []byte("PK\x03\x04")
)

// arTarReader opens the tar stream of a tar file, decompressing by magic.
func arTarReader(f io.Reader) (io.Reader, string, func(), error) {
	br := bufio.NewReader(f)
	head, _ := br.Peek(512)
	noop := func() {}
	switch {
	case bytes.HasPrefix(head, arMagicGzip):
		z, err := gzip.NewReader(br)
		return z, "TgzArchive", noop, err
	case bytes.HasPrefix(head, arMagicBzip2):
		return bzip2.NewReader(br), "TarBzipArchive", noop, nil
	case bytes.HasPrefix(head, arMagicXz):
		z, err := xz.NewReader(br)
		return z, "TarXzArchive", noop, err
	case bytes.HasPrefix(head, arMagicZstd):
		z, err := zstd.NewReader(br)
		if err != nil {
			return nil, "", noop, err
		}
		return z, "TarZstdArchive", z.Close, nil
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return br, "TarArchive", noop, nil
	}
	return nil, "", noop, errors.New("not a tar archive (plain, gzip, bzip2, xz or zstd) nor a zip file")
}

// arOpen reads the members of the archive at p, after strip leading path
// elements, refusing any that would land outside dest (destAbs: dest on
// the host, for absolute link targets).
func arOpen(p string, strip int, destAbs string) (*arArchive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return nil, errors.New("invalid archive: the file is 0 bytes")
	}
	a := &arArchive{path: p}
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err == nil && bytes.Equal(head, arMagicZip) {
		a.zip, a.handler = true, "ZipArchive"
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return nil, fmt.Errorf("reading the zip file: %w", err)
		}
		for i, zf := range zr.File {
			mode := zf.Mode()
			if os := zf.CreatorVersion >> 8; os != 3 && os != 19 { // not Unix or macOS: no permissions recorded
				mode &^= 0o022 // 0644 and 0755, as unzip's umask makes them
			}
			if err := a.add(i, zf.Name, mode, zf.Modified, int64(zf.UncompressedSize64), "", zf, strip); err != nil {
				return nil, err
			}
		}
		return a, a.check(destAbs)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r, handler, closeFn, err := arTarReader(f)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	a.handler = handler
	tr := tar.NewReader(r)
	for i := 0; ; i++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the tar archive: %w", err)
		}
		mode := fs.FileMode(h.Mode) & fs.ModePerm
		mode |= goMode(uint32(h.Mode)&07777) & (fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		switch h.Typeflag {
		case tar.TypeReg: // the reader reports the old TypeRegA as TypeReg
		case tar.TypeDir:
			mode |= fs.ModeDir
		case tar.TypeSymlink:
			mode |= fs.ModeSymlink
		case tar.TypeLink:
			mode |= fs.ModeIrregular // a hard link: marked for add
		case tar.TypeXGlobalHeader:
			continue
		default:
			return nil, fmt.Errorf("member %q is a %s, which unarchive does not create", h.Name, arTypeName(h.Typeflag))
		}
		if err := a.add(i, h.Name, mode, h.ModTime, h.Size, h.Linkname, nil, strip); err != nil {
			return nil, err
		}
	}
	if len(a.members) == 0 {
		return nil, errors.New("the archive has no members (empty archives are not supported)")
	}
	return a, a.check(destAbs)
}

func arTypeName(t byte) string {
	switch t {
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	}
	return fmt.Sprintf("member of tar type %q", t)
}

// arStrip cleans a member name and drops strip leading elements; "" means
// nothing is left (the member is skipped, as GNU tar does).
func arStrip(raw string, strip int) (string, error) {
	name := strings.TrimRight(raw, "/")
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("member %q has an absolute path: it would be written outside dest", raw)
	}
	var parts []string
	for _, e := range strings.Split(name, "/") {
		switch e {
		case "..":
			return "", fmt.Errorf("member %q contains \"..\": it would be written outside dest", raw)
		case "", ".":
			continue
		}
		parts = append(parts, e)
	}
	if strip >= len(parts) {
		return "", nil
	}
	return strings.Join(parts[strip:], "/"), nil
}

func (a *arArchive) add(i int, raw string, mode fs.FileMode, mtime time.Time, size int64, link string, zf *zip.File, strip int) error {
	if strings.ContainsAny(raw, "\x00\n") {
		return fmt.Errorf("member %q: a newline or NUL in a name is not supported", raw)
	}
	name, err := arStrip(raw, strip)
	if err != nil || name == "" {
		return err
	}
	orig, _ := arStrip(raw, 0)
	m := &arMember{name: name, orig: orig, kind: 'f', mode: unixPerm(mode), mtime: mtime, size: size, link: link, index: i}
	switch {
	case mode.IsDir() || (zf != nil && strings.HasSuffix(raw, "/")):
		m.kind = 'd'
	case mode&fs.ModeSymlink != 0:
		m.kind = 'l'
		if zf != nil { // a zip stores the target as the content
			b, err := arZipRead(zf, 4096)
			if err != nil {
				return fmt.Errorf("member %q: %w", raw, err)
			}
			m.link = string(b)
		}
	case mode&fs.ModeIrregular != 0:
		m.kind = 'h'
		if m.link, err = arStrip(link, strip); err != nil {
			return fmt.Errorf("hard link %q: %w", raw, err)
		}
		if m.link == "" {
			return fmt.Errorf("hard link %q points to %q, which strip_components removes", raw, link)
		}
	}
	a.members = append(a.members, m)
	return nil
}

// arZipRead reads a small zip member whole.
func arZipRead(zf *zip.File, limit int64) ([]byte, error) {
	r, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit))
}

// check refuses symbolic links that point outside dest and members that
// would be written through a symbolic link of the archive (which could
// point anywhere by the time the member is written).
func (a *arArchive) check(destAbs string) error {
	links := map[string]bool{}
	for _, m := range a.members {
		if m.kind == 'l' {
			links[m.name] = true
		}
	}
	for _, m := range a.members {
		paths := []string{m.name}
		if m.kind == 'h' {
			paths = append(paths, m.link)
		}
		for _, p := range paths {
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				if links[d] {
					return fmt.Errorf("member %q would be written through the symbolic link %q of the archive; refused", p, d)
				}
			}
		}
		if m.kind == 'l' {
			if err := arCheckLink(m, destAbs, links); err != nil {
				return err
			}
		}
	}
	return nil
}

// arCheckLink follows a symbolic link's target element by element from its
// directory: it must stay under dest and not pass through another link of
// the archive (whose own target would change where ".." leads). An
// absolute target must lie under dest on the host.
func arCheckLink(m *arMember, destAbs string, links map[string]bool) error {
	out := fmt.Errorf("symbolic link %q points to %q, outside dest; refused", m.name, m.link)
	t := m.link
	if path.IsAbs(t) {
		d, c := path.Clean(destAbs), path.Clean(t)
		if d != "/" && c != d && !strings.HasPrefix(c, d+"/") {
			return out
		}
		return nil
	}
	var cur []string
	if dir := path.Dir(m.name); dir != "." {
		cur = strings.Split(dir, "/")
	}
	for _, e := range strings.Split(t, "/") {
		if e == "" || e == "." {
			continue
		}
		// Going on from cur passes through it: it must not be a link (the
		// last element may be one: a chain of links is checked link by link).
		if p := strings.Join(cur, "/"); len(cur) > 0 && links[p] {
			return fmt.Errorf("symbolic link %q points through the symbolic link %q of the archive; refused", m.name, p)
		}
		if e != ".." {
			cur = append(cur, e)
		} else if len(cur) == 0 {
			return out
		} else {
			cur = cur[:len(cur)-1]
		}
	}
	return nil
}

// stream writes the members picked (by index) as one tar stream, names as
// they land under dest; owners are left out (the host's tar runs with
// --no-same-owner).
func (a *arArchive) stream(w io.Writer, pick map[int]bool) error {
	tw := tar.NewWriter(w)
	write := func(m *arMember, body io.Reader) error {
		h := &tar.Header{Name: m.name, Mode: int64(m.mode), ModTime: m.mtime, Format: tar.FormatPAX}
		switch m.kind {
		case 'd':
			h.Typeflag, h.Name = tar.TypeDir, m.name+"/"
		case 'l':
			h.Typeflag, h.Linkname = tar.TypeSymlink, m.link
		case 'h':
			h.Typeflag, h.Linkname = tar.TypeLink, m.link
		default:
			h.Typeflag, h.Size = tar.TypeReg, m.size
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if n, err := io.Copy(tw, body); err != nil || n != m.size {
				return fmt.Errorf("member %q: %d of %d bytes: %w", m.name, n, m.size, err)
			}
		}
		return nil
	}
	if a.zip {
		zr, err := zip.OpenReader(a.path) // arOpen's reader is closed by now
		if err != nil {
			return err
		}
		defer zr.Close()
		for _, m := range a.members {
			if !pick[m.index] {
				continue
			}
			var body io.Reader
			if m.kind == 'f' {
				r, err := zr.File[m.index].Open()
				if err != nil {
					return fmt.Errorf("member %q: %w", m.name, err)
				}
				defer r.Close()
				body = r
			}
			if err := write(m, body); err != nil {
				return err
			}
		}
		return tw.Close()
	}
	f, err := os.Open(a.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, _, closeFn, err := arTarReader(f)
	if err != nil {
		return err
	}
	defer closeFn()
	byIndex := map[int]*arMember{}
	for _, m := range a.members {
		byIndex[m.index] = m
	}
	tr := tar.NewReader(r)
	for i := 0; ; i++ {
		if _, err := tr.Next(); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if m := byIndex[i]; m != nil && pick[i] {
			if err := write(m, tr); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// fnmatchRE compiles a shell pattern as Python's fnmatch reads it: * and ?
// match "/" too, [!…] negates.
func fnmatchRE(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(pat[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pat[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
