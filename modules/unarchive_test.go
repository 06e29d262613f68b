package modules_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// arEntry is one member of a test archive: a file (body), a directory
// (name ending in /), a symbolic link (link) or a hard link (hard).
type arEntry struct {
	name, body, link, hard string
	mode                   int64
}

var arTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// arTar builds a tar archive, compressed with comp ("", gz, xz, zst).
func arTar(t *testing.T, comp string, entries []arEntry) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: arTime, Typeflag: tar.TypeReg, Size: int64(len(e.body)), Uname: "nobody", Uid: 65534}
		switch {
		case strings.HasSuffix(e.name, "/"):
			h.Typeflag, h.Size = tar.TypeDir, 0
		case e.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		case e.hard != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, e.hard, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			io.WriteString(tw, e.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var w io.WriteCloser
	var err error
	switch comp {
	case "":
		return raw.Bytes()
	case "gz":
		w = gzip.NewWriter(&out)
	case "xz":
		w, err = xz.NewWriter(&out)
	case "zst":
		w, err = zstd.NewWriter(&out)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// arZip builds a zip archive (hard links are left out: zip has none).
func arZip(t *testing.T, entries []arEntry) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, e := range entries {
		if e.hard != "" {
			continue
		}
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: arTime}
		mode := fs.FileMode(e.mode)
		switch {
		case strings.HasSuffix(e.name, "/"):
			mode |= fs.ModeDir
		case e.link != "":
			mode = fs.ModeSymlink | 0o777
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, e.body+e.link)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

var arApp = []arEntry{
	{name: "app/", mode: 0o755},
	{name: "app/bin/", mode: 0o750},
	{name: "app/bin/run", body: "#!/bin/sh\necho run\n", mode: 0o755},
	{name: "app/conf.txt", body: "key: value\n", mode: 0o640},
	{name: "app/current", link: "conf.txt", mode: 0o777},
	{name: "app/conf.hard", hard: "app/conf.txt", mode: 0o640},
}

// arTree describes dir: each path with its type, mode, and content or target.
func arTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st, _ := os.Lstat(p)
		line := rel + " " + st.Mode().String()
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			line += " -> " + l
		case st.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			line += " " + string(b) + " " + st.ModTime().UTC().Format(time.RFC3339)
		}
		out = append(out, line)
		return nil
	})
	sort.Strings(out)
	return out
}

func TestUnarchiveFormatsIdempotentWithCheckMode(t *testing.T) {
	archives := map[string][]byte{
		"app.tar": arTar(t, "", arApp), "app.tar.gz": arTar(t, "gz", arApp), "app.txz": arTar(t, "xz", arApp),
		"app.tar.zst": arTar(t, "zst", arApp), "app.zip": arZip(t, arApp),
	}
	bz := exec.Command("bzip2", "-c") // Go writes no bzip2
	bz.Stdin = bytes.NewReader(archives["app.tar"])
	if out, err := bz.Output(); err == nil {
		archives["app.tbz2"] = out
	} else {
		t.Logf("bzip2 is not installed: no .tar.bz2 case (%v)", err)
	}
	handlers := map[string]string{"app.tbz2": "TarBzipArchive", "app.tar": "TarArchive", "app.tar.gz": "TgzArchive", "app.txz": "TarXzArchive",
		"app.tar.zst": "TarZstdArchive", "app.zip": "ZipArchive"}
	pbDir := t.TempDir()
	os.Mkdir(filepath.Join(pbDir, "files"), 0o755)
	for name, b := range archives {
		if err := os.WriteFile(filepath.Join(pbDir, "files", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eachConn(t, func(t *testing.T, c testConn) {
		for name := range archives {
			t.Run(name, func(t *testing.T) {
				dest := t.TempDir()
				mc := connContext(t, c, nil)
				mc.PlaybookDir = pbDir
				args := map[string]any{"src": name, "dest": dest, "list_files": true}
				mc.Check = true
				r := helperMustRun(t, mc, "unarchive", args)
				if !r.Changed || len(arTree(t, dest)) != 0 {
					t.Fatalf("check mode: %+v, tree %v", r, arTree(t, dest))
				}
				mc.Check = false
				r = helperMustRun(t, mc, "unarchive", args)
				tree := arTree(t, dest)
				want := []string{
					"app drwxr-xr-x", "app/bin drwxr-x---",
					"app/bin/run -rwxr-xr-x #!/bin/sh\necho run\n 2024-05-06T07:08:09Z",
					"app/conf.txt -rw-r----- key: value\n 2024-05-06T07:08:09Z",
					"app/current Lrwxrwxrwx -> conf.txt",
				}
				if !strings.HasSuffix(name, ".zip") {
					want = append(want, "app/conf.hard -rw-r----- key: value\n 2024-05-06T07:08:09Z")
					sort.Strings(want)
				}
				if !r.Changed || !reflect.DeepEqual(tree, want) || r.Data["handler"] != handlers[name] {
					t.Fatalf("extract: %+v\ntree %q\nwant %q", r, tree, want)
				}
				if files, _ := r.Data["files"].([]any); len(files) != len(want) || files[0] != "app/" {
					t.Errorf("files: %v", r.Data["files"])
				}
				for _, check := range []bool{true, false} {
					mc.Check = check
					if r = helperMustRun(t, mc, "unarchive", args); r.Changed {
						t.Fatalf("second run (check %v): %+v", check, r)
					}
				}
				// One file edited on the host: only it is extracted again.
				os.WriteFile(filepath.Join(dest, "app/conf.txt"), []byte("edited\n"), 0o640)
				os.Chmod(filepath.Join(dest, "app/bin/run"), 0o700)
				r = helperMustRun(t, mc, "unarchive", args)
				ex, _ := r.Data["extracted"].([]any)
				sort.Slice(ex, func(i, j int) bool { return ex[i].(string) < ex[j].(string) })
				wantEx := []any{"app/bin/run", "app/conf.txt"}
				if !strings.HasSuffix(name, ".zip") {
					wantEx = []any{"app/bin/run", "app/conf.hard", "app/conf.txt"} // the hard link shares the edited file
				}
				if !r.Changed || !reflect.DeepEqual(ex, wantEx) || !reflect.DeepEqual(arTree(t, dest), want) {
					t.Fatalf("after an edit: %+v, tree %q", r, arTree(t, dest))
				}
			})
		}
	})
}

func TestUnarchiveRefusesHostileArchives(t *testing.T) {
	cases := map[string][]arEntry{
		"dotdot":           {{name: "../evil", body: "x"}},
		"deep dotdot":      {{name: "a/../../evil", body: "x"}},
		"absolute":         {{name: "/tmp/evil-runbook", body: "x"}},
		"absolute link":    {{name: "l", link: "/etc"}},
		"relative link":    {{name: "d/l", link: "../../outside"}},
		"through own link": {{name: "l", link: "sub"}, {name: "l/x", body: "x"}},
		"link chain":       {{name: "sub/", mode: 0o755}, {name: "sub/l2", link: ".."}, {name: "l3", link: "sub/l2/../x"}},
		"hard link out":    {{name: "h", hard: "../outside/f"}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			outer := t.TempDir()
			dest := filepath.Join(outer, "dest")
			os.Mkdir(dest, 0o755)
			src := filepath.Join(outer, "evil.tar")
			os.WriteFile(src, arTar(t, "", append([]arEntry{{name: "ok.txt", body: "fine"}}, entries...)), 0o644)
			for _, check := range []bool{true, false} {
				mc := helperContext(t, nil)
				mc.Check = check
				_, err := helperRun(t, mc, "unarchive", map[string]any{"src": src, "dest": dest})
				if err == nil || !strings.Contains(err.Error(), "refused") && !strings.Contains(err.Error(), "outside dest") {
					t.Fatalf("check %v: %v, want a refusal", check, err)
				}
			}
			if got := arTree(t, dest); len(got) != 0 {
				t.Fatalf("something was written: %q", got)
			}
			if entries, _ := os.ReadDir(outer); len(entries) != 2 {
				t.Fatalf("something was written next to dest: %v", entries)
			}
		})
	}
	// A directory on the host that leads outside dest.
	outer := t.TempDir()
	dest, outside := filepath.Join(outer, "dest"), filepath.Join(outer, "outside")
	os.Mkdir(dest, 0o755)
	os.Mkdir(outside, 0o755)
	os.Symlink(outside, filepath.Join(dest, "link"))
	src := filepath.Join(outer, "a.tar")
	os.WriteFile(src, arTar(t, "", []arEntry{{name: "link/passwd", body: "root::0:0\n", mode: 0o644}}), 0o644)
	eachConn(t, func(t *testing.T, c testConn) {
		_, err := helperRun(t, connContext(t, c, nil), "unarchive", map[string]any{"src": src, "dest": dest})
		if err == nil || !strings.Contains(err.Error(), "outside dest") {
			t.Fatalf("through a host link: %v", err)
		}
		if entries, _ := os.ReadDir(outside); len(entries) != 0 {
			t.Fatalf("written outside dest: %v", entries)
		}
	})
}

func TestUnarchiveOptionsAndSources(t *testing.T) {
	tgz := arTar(t, "gz", arApp)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(tgz) }))
	defer srv.Close()
	eachConn(t, func(t *testing.T, c testConn) {
		outer := t.TempDir()
		onHost := filepath.Join(outer, "app.tgz")
		os.WriteFile(onHost, tgz, 0o600)
		mc := connContext(t, c, nil)
		run := func(args map[string]any) *arOutcome {
			dest := filepath.Join(t.TempDir(), "d")
			os.Mkdir(dest, 0o755)
			args["dest"] = dest
			r := helperMustRun(t, mc, "unarchive", args)
			return &arOutcome{r.Changed, r.Skipped, arTree(t, dest), r.Msg}
		}
		r := run(map[string]any{"src": onHost, "remote_src": true, "extra_opts": []any{"--strip-components=1"}, "exclude": []any{"app/bin"}})
		want := []string{"conf.hard -rw-r----- key: value\n 2024-05-06T07:08:09Z", "conf.txt -rw-r----- key: value\n 2024-05-06T07:08:09Z", "current Lrwxrwxrwx -> conf.txt"}
		if !r.changed || !reflect.DeepEqual(r.tree, want) {
			t.Fatalf("remote_src, strip, exclude: %+v", r)
		}
		r = run(map[string]any{"src": srv.URL + "/app.tgz", "include": []any{"app/bin"}, "mode": "u=rwX,go=", "owner": "0"})
		want = []string{"app drwx------", "app/bin drwx------", "app/bin/run -rwx------ #!/bin/sh\necho run\n 2024-05-06T07:08:09Z"}
		if !r.changed || !reflect.DeepEqual(r.tree, want) {
			t.Fatalf("URL, include, mode: %+v", r)
		}
		// keep_newer: a file edited after the archive was made is left alone.
		kn := filepath.Join(t.TempDir(), "kn")
		os.Mkdir(kn, 0o755)
		args := map[string]any{"src": onHost, "copy": false, "dest": kn, "keep_newer": true}
		helperMustRun(t, mc, "unarchive", args)
		os.WriteFile(filepath.Join(kn, "app/conf.txt"), []byte("mine\n"), 0o640)
		if r := helperMustRun(t, mc, "unarchive", args); r.Changed {
			t.Fatalf("keep_newer: %+v", r)
		}
		if b, _ := os.ReadFile(filepath.Join(kn, "app/conf.txt")); string(b) != "mine\n" {
			t.Fatalf("keep_newer replaced the newer file: %q", b)
		}
		r = run(map[string]any{"src": onHost, "remote_src": true, "creates": onHost})
		if r.changed || !r.skipped || len(r.tree) != 0 || !strings.Contains(r.msg, "skipped, since") {
			t.Fatalf("creates: %+v", r)
		}
	})
	m := helperContext(t, nil)
	for args, want := range map[string]map[string]any{
		"is not supported":      {"src": "x.tgz", "dest": "/tmp", "extra_opts": []any{"--overwrite"}},
		"mutually exclusive":    {"src": "x.tgz", "dest": "/tmp", "include": []any{"a"}, "exclude": []any{"b"}},
		"is not a directory":    {"src": "x.tgz", "dest": "/etc/hostname"},
		"not found on the cont": {"src": "no-such.tgz", "dest": "/tmp"},
	} {
		if _, err := helperRun(t, m, "unarchive", want); err == nil || !strings.Contains(err.Error(), args) {
			t.Errorf("%v: %v, want %q", want, err, args)
		}
	}
}

type arOutcome struct {
	changed, skipped bool
	tree             []string
	msg              string
}

// A zip written on Windows records no permissions: its files get 0644, as
// unzip's umask gives them, not Go's default 0666.
func TestUnarchiveZipWithoutUnixModes(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "readme.txt", Modified: arTime}) // creator MS-DOS
	io.WriteString(w, "hi\n")
	zw.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "w.zip")
	os.WriteFile(src, b.Bytes(), 0o644)
	dest := filepath.Join(dir, "d")
	os.Mkdir(dest, 0o755)
	mc := helperContext(t, nil)
	for i, want := range []bool{true, false} {
		if r := helperMustRun(t, mc, "unarchive", map[string]any{"src": src, "dest": dest}); r.Changed != want {
			t.Fatalf("run %d: %+v", i+1, r)
		}
	}
	if st, err := os.Stat(filepath.Join(dest, "readme.txt")); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("readme.txt: %v %v", st.Mode(), err)
	}
}
