package modules_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/modules"
)

// uriDocServer serves /doc (its content from *doc, no Last-Modified),
// /named (with a Content-Disposition name) and /static (answering
// If-Modified-Since with 304); hits counts requests.
func uriDocServer(t *testing.T, doc *atomic.Value, hits *atomic.Int64) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/doc", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, doc.Load())
	})
	mux.HandleFunc("/named", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Disposition", `attachment; filename="report.txt"`)
		fmt.Fprint(w, "report\n")
	})
	mux.HandleFunc("/static", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.ServeContent(w, r, "static.txt", time.Unix(1_000_000_000, 0), strings.NewReader("static\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestURIDest(t *testing.T) {
	var doc atomic.Value
	var hits atomic.Int64
	srv := uriDocServer(t, &doc, &hits)
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		dir := t.TempDir()
		dest := filepath.Join(dir, "doc.txt")
		run := func(raw map[string]any) *modules.Result {
			raw["from"] = from
			return helperMustRun(t, mc, "uri", raw)
		}
		doc.Store("one\n")
		r := run(map[string]any{"url": srv.URL + "/doc", "dest": dest, "mode": "0600"})
		if b, _ := os.ReadFile(dest); r.Failed || !r.Changed || string(b) != "one\n" || r.Data["path"] != dest {
			t.Fatalf("first write: %+v", r)
		}
		if st, _ := os.Stat(dest); st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v", st.Mode())
		}
		if err := os.Chmod(dest, 0o640); err != nil {
			t.Fatal(err)
		}
		r = run(map[string]any{"url": srv.URL + "/doc", "dest": dest})
		if r.Failed || r.Changed {
			t.Errorf("same content: %+v", r)
		}
		doc.Store("two\n")
		mc.Check, mc.Diff = true, true
		r = run(map[string]any{"url": srv.URL + "/doc", "dest": dest})
		if b, _ := os.ReadFile(dest); !r.Changed || string(b) != "one\n" || len(r.Diff) == 0 || !strings.Contains(r.Diff[0].After, "two") {
			t.Errorf("check mode predicts and writes nothing: %+v", r)
		}
		mc.Check, mc.Diff = false, false
		r = run(map[string]any{"url": srv.URL + "/doc", "dest": dest})
		st, _ := os.Stat(dest)
		if b, _ := os.ReadFile(dest); !r.Changed || string(b) != "two\n" || st.Mode().Perm() != 0o640 {
			t.Errorf("new content, mode kept: %+v, %v", r, st.Mode())
		}
		r = run(map[string]any{"url": srv.URL + "/named", "dest": dir})
		if b, _ := os.ReadFile(filepath.Join(dir, "report.txt")); !r.Changed || string(b) != "report\n" || r.Data["path"] != filepath.Join(dir, "report.txt") {
			t.Errorf("into a directory: %+v", r)
		}
		r = run(map[string]any{"url": srv.URL + "/missing", "dest": filepath.Join(dir, "missing")})
		if _, err := os.Stat(filepath.Join(dir, "missing")); !r.Failed || err == nil {
			t.Errorf("a failed request writes nothing: %+v", r)
		}
		// A server that honours If-Modified-Since answers the second request with 304.
		static := filepath.Join(dir, "static.txt")
		r = run(map[string]any{"url": srv.URL + "/static", "dest": static, "status_code": []any{200, 304}})
		if !r.Changed || r.Data["status"] != 200 {
			t.Errorf("static: %+v", r)
		}
		r = run(map[string]any{"url": srv.URL + "/static", "dest": static, "status_code": []any{200, 304}})
		if r.Failed || r.Changed || r.Data["status"] != 304 {
			t.Errorf("static again: %+v", r)
		}
		r = run(map[string]any{"url": srv.URL + "/static", "dest": static, "force": true})
		if r.Failed || r.Changed || r.Data["status"] != 200 {
			t.Errorf("force asks without If-Modified-Since: %+v", r)
		}
		// creates and removes: no request at all.
		hits.Store(0)
		r = run(map[string]any{"url": srv.URL + "/doc", "creates": dest})
		r2 := run(map[string]any{"url": srv.URL + "/doc", "removes": filepath.Join(dir, "nothing")})
		if r.Changed || r.Failed || r2.Changed || r2.Failed || hits.Load() != 0 || !strings.Contains(r.Msg, "exists") {
			t.Errorf("creates/removes: %+v %+v (%d requests)", r, r2, hits.Load())
		}
		r = run(map[string]any{"url": srv.URL + "/doc", "removes": dest})
		if r.Failed || hits.Load() != 1 {
			t.Errorf("removes that exists: %+v", r)
		}
	})
}
