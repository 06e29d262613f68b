package modules_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
)

// getURLSite serves files from a map the test may change; hits counts
// GETs per path, and If-Modified-Since is honoured (http.ServeContent).
type getURLSite struct {
	mu    sync.Mutex
	files map[string]string
	mtime time.Time
	hits  atomic.Int64
}

// set changes a file, newer than any dest written so far.
func (s *getURLSite) set(p, content string) { s.setAt(p, content, time.Now().Add(time.Hour)) }

func (s *getURLSite) setAt(p, content string, mtime time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[p] = content
	s.mtime = mtime
}

func (s *getURLSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	if r.URL.Path == "/secret/f" {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != uriPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="t"`)
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
	}
	if r.URL.Path == "/dispo" {
		w.Header().Set("Content-Disposition", `attachment; filename="named.bin"`)
	}
	if r.URL.Path == "/stall" {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		fmt.Fprint(w, "x")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	s.mu.Lock()
	body, ok := s.files[strings.TrimPrefix(r.URL.Path, "/secret")]
	mt := s.mtime
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, "", mt, strings.NewReader(body))
}

func newGetURLSite(t *testing.T) (*getURLSite, *httptest.Server) {
	s := &getURLSite{files: map[string]string{"/a.txt": "alpha\n", "/f": "secret file\n", "/dispo": "named\n"},
		mtime: time.Now().Add(-time.Hour)}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func sha1Hex(s string) string   { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func TestGetURLDownloadIdempotentAndCheckMode(t *testing.T) {
	site, srv := newGetURLSite(t)
	eachConn(t, func(t *testing.T, c testConn) {
		site.setAt("/a.txt", "alpha\n", time.Now().Add(-time.Hour))
		dest := filepath.Join(t.TempDir(), "a.txt")
		mc := connContext(t, c, nil)
		args := map[string]any{"url": srv.URL + "/a.txt", "dest": dest}

		mc.Check = true
		r := helperMustRun(t, mc, "get_url", args)
		if !r.Changed || r.Failed {
			t.Fatalf("check mode on a missing dest: %+v", r)
		}
		if _, err := os.Stat(dest); !os.IsNotExist(err) {
			t.Fatalf("check mode wrote %s: %v", dest, err)
		}
		mc.Check = false
		r = helperMustRun(t, mc, "get_url", args)
		b, _ := os.ReadFile(dest)
		st, _ := os.Stat(dest)
		if !r.Changed || string(b) != "alpha\n" || st.Mode().Perm() != 0o644 || r.Data["status_code"] != 200 ||
			r.Data["checksum_src"] != sha1Hex("alpha\n") || r.Data["dest"] != dest || r.Data["size"] != int64(6) {
			t.Fatalf("first download: %+v, content %q, mode %v", r, b, st.Mode())
		}
		if _, ok := r.Data["checksum_dest"]; ok {
			t.Errorf("checksum_dest set for a new file: %v", r.Data["checksum_dest"])
		}

		// force: false, no checksum: If-Modified-Since, the server says 304.
		r = helperMustRun(t, mc, "get_url", args)
		if r.Changed || r.Data["status_code"] != 304 {
			t.Fatalf("second run: %+v", r)
		}
		// A matching checksum: no request at all.
		before := site.hits.Load()
		args["checksum"] = "sha256:" + strings.ToUpper(sha256Hex("alpha\n"))
		r = helperMustRun(t, mc, "get_url", args)
		if r.Changed || site.hits.Load() != before || r.Msg != "file already exists" {
			t.Fatalf("matching checksum: %+v, %d requests", r, site.hits.Load()-before)
		}
		// force: true downloads, same content: ok.
		delete(args, "checksum")
		args["force"] = true
		r = helperMustRun(t, mc, "get_url", args)
		if r.Changed || site.hits.Load() != before+1 || r.Data["checksum_dest"] != sha1Hex("alpha\n") {
			t.Fatalf("force with the same content: %+v", r)
		}
		// New content on the server, newer: check mode predicts, the run replaces.
		site.set("/a.txt", "beta\n")
		args["force"] = false
		mc.Check = true
		if r = helperMustRun(t, mc, "get_url", args); !r.Changed {
			t.Fatalf("check mode with new content: %+v", r)
		}
		if b, _ := os.ReadFile(dest); string(b) != "alpha\n" {
			t.Fatalf("check mode changed dest: %q", b)
		}
		mc.Check = false
		if r = helperMustRun(t, mc, "get_url", args); !r.Changed {
			t.Fatalf("new content: %+v", r)
		}
		if b, _ := os.ReadFile(dest); string(b) != "beta\n" {
			t.Fatalf("dest after new content: %q", b)
		}
	})
}

func TestGetURLChecksumMismatchLeavesDestUntouched(t *testing.T) {
	site, srv := newGetURLSite(t)
	site.set("/SHA256SUMS", sha256Hex("other")+"  a.txt\n"+sha256Hex("alpha\n")+" *b.txt\n")
	dir := t.TempDir()
	dest := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(dest, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mc := helperContext(t, nil)
	for _, sum := range []string{"sha256:" + sha256Hex("other"), "sha256:" + srv.URL + "/SHA256SUMS", "md5:0123456789abcdef0123456789abcdef"} {
		for _, check := range []bool{true, false} {
			mc.Check = check
			r := helperMustRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/a.txt", "dest": dest, "checksum": sum})
			if !r.Failed || !strings.Contains(r.Msg, "did not match") || !strings.Contains(r.Msg, "untouched") {
				t.Fatalf("checksum %s (check %v): %+v", sum, check, r)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	b, _ := os.ReadFile(dest)
	if st, _ := os.Stat(dest); string(b) != "old\n" || st.Mode().Perm() != 0o600 || len(entries) != 1 {
		t.Fatalf("dest %q mode %v, dir holds %d entries", b, st.Mode(), len(entries))
	}
	// The checksum file's line for b.txt is found and matches.
	mc.Check = false
	r := helperMustRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/b.txt", "dest": filepath.Join(dir, "b.txt"),
		"checksum": "sha256:" + srv.URL + "/SHA256SUMS"})
	if !r.Failed || !strings.Contains(r.Msg, "404") {
		t.Fatalf("missing b.txt: %+v", r)
	}
	site.set("/b.txt", "alpha\n")
	r = helperMustRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/b.txt", "dest": filepath.Join(dir, "b.txt"),
		"checksum": "sha256:" + srv.URL + "/SHA256SUMS"})
	if r.Failed || !r.Changed {
		t.Fatalf("b.txt with the checksum file: %+v", r)
	}
	_, err := helperRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/c.txt", "dest": filepath.Join(dir, "c.txt"),
		"checksum": "sha256:" + srv.URL + "/SHA256SUMS"})
	if err == nil || !strings.Contains(err.Error(), `unable to find a checksum for file "c.txt"`) {
		t.Fatalf("no line for c.txt: %v", err)
	}
}

func TestGetURLDestDirectoryKeepsModeAndBacksUp(t *testing.T) {
	site, srv := newGetURLSite(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dir := t.TempDir()
		mc := connContext(t, c, nil)
		r := helperMustRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/dispo", "dest": dir})
		if b, err := os.ReadFile(filepath.Join(dir, "named.bin")); err != nil || string(b) != "named\n" || !r.Changed {
			t.Fatalf("Content-Disposition name: %+v, %q %v", r, b, err)
		}
		a := filepath.Join(dir, "a.txt")
		if err := os.WriteFile(a, []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		site.set("/a.txt", "alpha\n")
		r = helperMustRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/a.txt", "dest": dir, "backup": true})
		st, _ := os.Stat(a)
		b, _ := os.ReadFile(a)
		bk, _ := r.Data["backup_file"].(string)
		old, _ := os.ReadFile(bk)
		if !r.Changed || string(b) != "alpha\n" || st.Mode().Perm() != 0o600 || string(old) != "old\n" || r.Data["dest"] != a {
			t.Fatalf("into the directory: %+v, %q mode %v, backup %q", r, b, st.Mode(), old)
		}
		// Only the mode differs: changed, content not downloaded again when the checksum matches.
		r = helperMustRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/a.txt", "dest": a, "mode": "0640",
			"checksum": "sha1:" + sha1Hex("alpha\n")})
		if st, _ = os.Stat(a); !r.Changed || st.Mode().Perm() != 0o640 || !strings.Contains(r.Msg, "attributes changed") {
			t.Fatalf("mode only: %+v, mode %v", r, st.Mode())
		}
	})
}

func TestGetURLFromHostTunnels(t *testing.T) {
	_, srv := newGetURLSite(t)
	eachConn(t, func(t *testing.T, c testConn) {
		dest := filepath.Join(t.TempDir(), "a.txt")
		r := helperMustRun(t, connContext(t, c, nil), "get_url", map[string]any{"url": srv.URL + "/a.txt", "dest": dest, "from": "host"})
		if b, _ := os.ReadFile(dest); !r.Changed || string(b) != "alpha\n" {
			t.Fatalf("from host: %+v %q", r, b)
		}
	})
}

func TestGetURLPasswordNeverShown(t *testing.T) {
	_, srv := newGetURLSite(t)
	dir := t.TempDir()
	mc := helperContext(t, nil)
	r := helperMustRun(t, mc, "get_url", map[string]any{"url": srv.URL + "/secret/f", "dest": filepath.Join(dir, "f"),
		"url_username": "admin", "url_password": uriPassword})
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); !r.Changed || string(b) != "secret file\n" {
		t.Fatalf("basic auth after 401: %+v %q", r, b)
	}
	for _, raw := range []map[string]any{
		{"url": srv.URL + "/secret/f", "url_username": "admin", "url_password": uriPassword + "x", "force_basic_auth": true},
		{"url": strings.Replace(srv.URL, "http://", "http://admin:"+uriPassword+"x@", 1) + "/secret/f"},
		{"url": strings.Replace(srv.URL, "http://127.0.0.1:", "http://"+url.UserPassword("admin", uriPassword).String()+"@127.0.0.1:1", 1) + "/f"},
		{"url": strings.Replace(srv.URL, "http://", "http://"+url.UserPassword("admin", uriPassword+"x").String()+"@", 1) + "/secret/f"},
	} {
		raw["dest"] = filepath.Join(dir, "g")
		r, err := helperRun(t, mc, "get_url", raw)
		text := fmt.Sprintf("%v %+v", err, r)
		if r != nil {
			text += fmt.Sprint(r.Map())
		}
		if strings.Contains(text, "s3cret") || (err == nil && !r.Failed) {
			t.Fatalf("%v: want a failure without the password, got %s", raw["url"], text)
		}
	}
}

func TestGetURLStalledServerTimesOut(t *testing.T) {
	_, srv := newGetURLSite(t)
	start := time.Now()
	_, err := helperRun(t, helperContext(t, nil), "get_url", map[string]any{"url": srv.URL + "/stall",
		"dest": filepath.Join(t.TempDir(), "s"), "timeout": 1})
	if err == nil || !strings.Contains(err.Error(), "no data for 1s") || time.Since(start) > 10*time.Second {
		t.Fatalf("stalled body: %v after %v", err, time.Since(start))
	}
}

func TestGetURLArgValidation(t *testing.T) {
	m, _ := modules.Lookup("get_url")
	for raw, want := range map[string]string{
		"ftp://x/y":              "absolute http",
		"sha256":                 "ALGORITHM:DIGEST",
		"crc32:00":               `unknown algorithm "crc32"`,
		"sha256:abc":             "64 hex digits",
		"sha1:ftp://example/sum": "checksum must be an absolute http",
	} {
		args := map[string]any{"url": "http://127.0.0.1/x", "dest": "/tmp/x", "checksum": raw}
		if strings.HasPrefix(raw, "ftp:") {
			args = map[string]any{"url": raw, "dest": "/tmp/x"}
		}
		if _, err := m.Spec().Bind(args, true); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}
