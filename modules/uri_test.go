package modules_test

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/runbook-dev/runbook/modules"
)

const uriPassword = "s3cret!pw\"'$x"

// uriServer answers the paths the tests use; hits counts requests.
func uriServer(hits *atomic.Int64) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Request-Id", "abc")
		fmt.Fprint(w, `{"a": 1, "b": [1.5, "x"], "c": {"d": null}}`)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "nope", http.StatusNotFound)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "type": r.Header.Get("Content-Type"),
			"token": r.Header.Get("X-Token"), "body": string(body)})
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if u, p, ok := r.BasicAuth(); ok && u == "admin" && p == uriPassword {
			fmt.Fprint(w, "welcome")
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		http.Error(w, "who are you", http.StatusUnauthorized)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/json", http.StatusFound)
	})
	return mux
}

// uriEach runs fn for the controller and for each connection's host side.
func uriEach(t *testing.T, fn func(t *testing.T, mc *modules.Context, from string)) {
	t.Run("controller", func(t *testing.T) { fn(t, helperContext(t, nil), "controller") })
	eachConn(t, func(t *testing.T, c testConn) { fn(t, connContext(t, c, nil), "host") })
}

func TestURIRequests(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(uriServer(&hits))
	defer srv.Close()
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		run := func(raw map[string]any) *modules.Result {
			raw["from"] = from
			return helperMustRun(t, mc, "uri", raw)
		}
		r := run(map[string]any{"url": srv.URL + "/json"})
		want := map[string]any{"a": 1, "b": []any{1.5, "x"}, "c": map[string]any{"d": nil}}
		if r.Failed || r.Changed || r.Data["status"] != 200 || !reflect.DeepEqual(r.Data["json"], want) {
			t.Fatalf("json: %+v", r)
		}
		h, _ := r.Data["headers"].(map[string]any)
		if h["x-request-id"] != "abc" || r.Data["x_request_id"] != "abc" || r.Data["content"] != nil || r.Data["url"] != srv.URL+"/json" {
			t.Fatalf("headers/content/url: %+v", r.Data)
		}
		r = run(map[string]any{"url": srv.URL + "/missing", "return_content": false})
		if !r.Failed || r.Data["status"] != 404 || r.Msg != "Status code was 404 and not [200]: HTTP Error 404: Not Found" || r.Data["content"] != "nope\n" {
			t.Fatalf("404: %+v", r)
		}
		r = run(map[string]any{"url": srv.URL + "/missing", "status_code": []any{200, "404"}, "return_content": true})
		if r.Failed || r.Data["content"] != "nope\n" {
			t.Fatalf("404 accepted: %+v", r)
		}
		r = run(map[string]any{"url": srv.URL + "/echo", "method": "post", "body_format": "json",
			"body": map[string]any{"name": "apps", "n": 2}, "headers": map[string]any{"X-Token": "t1"}})
		j, _ := r.Data["json"].(map[string]any)
		if r.Failed || j["method"] != "POST" || j["type"] != "application/json" || j["body"] != `{"n":2,"name":"apps"}` || j["token"] != "t1" {
			t.Fatalf("post json: %+v", r.Data)
		}
		r = run(map[string]any{"url": srv.URL + "/echo", "method": "PUT", "body": "@/etc/passwd\nline2"})
		if j, _ := r.Data["json"].(map[string]any); j["body"] != "@/etc/passwd\nline2" || j["method"] != "PUT" {
			t.Fatalf("raw body sent literally: %+v", r.Data)
		}
		r = run(map[string]any{"url": srv.URL + "/echo", "method": "HEAD"})
		if r.Failed || r.Data["status"] != 200 {
			t.Fatalf("head: %+v", r)
		}
		r = run(map[string]any{"url": srv.URL + "/redirect"})
		if r.Failed || r.Data["url"] != srv.URL+"/json" || r.Data["redirected"] != true {
			t.Fatalf("redirect followed: %+v", r.Data)
		}
		r = run(map[string]any{"url": srv.URL + "/redirect", "follow_redirects": "none", "status_code": 302})
		if r.Failed || r.Data["status"] != 302 || !strings.HasSuffix(fmt.Sprint(r.Data["headers"].(map[string]any)["location"]), "/json") {
			t.Fatalf("redirect not followed: %+v", r.Data)
		}
		r = run(map[string]any{"url": "http://127.0.0.1:" + fmt.Sprint(waitClosedPort(t)) + "/", "timeout": 5})
		if !r.Failed || r.Data["status"] != -1 || !strings.Contains(r.Msg, "Request failed") {
			t.Fatalf("refused: %+v", r)
		}
	})
}

// from: host makes the request on the host, through the connection (curl);
// from: controller never touches the connection.
func TestURIFromHostGoesThroughTheConnection(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(uriServer(&hits))
	defer srv.Close()
	eachConn(t, func(t *testing.T, c testConn) {
		for _, from := range []string{"controller", "host"} {
			w := &watchedConn{Transport: c.Conn}
			mc := connContext(t, testConn{Name: c.Name, Conn: w}, nil)
			r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json", "from": from})
			if r.Failed || r.Data["status"] != 200 || (w.runs > 0) != (from == "host") {
				t.Errorf("from %s: status %v, %d commands run on the host", from, r.Data["status"], w.runs)
			}
		}
	})
}

func TestURIBasicAuthNeverShowsPassword(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(uriServer(&hits))
	defer srv.Close()
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		for _, force := range []bool{false, true} {
			hits.Store(0)
			r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/auth", "url_username": "admin",
				"url_password": uriPassword, "force_basic_auth": force, "return_content": true, "from": from})
			if r.Failed || r.Data["content"] != "welcome" {
				t.Fatalf("force=%v: %+v", force, r)
			}
			if want := map[bool]int64{true: 1, false: 2}[force]; hits.Load() != want {
				t.Errorf("force=%v: %d requests, want %d", force, hits.Load(), want)
			}
		}
		r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/auth", "user": "admin", "password": "wrong" + uriPassword, "from": from})
		if !r.Failed || r.Data["status"] != 401 || strings.Contains(fmt.Sprint(r.Map()), uriPassword) {
			t.Fatalf("wrong password: %+v", r)
		}
		u := &url.URL{Scheme: "http", User: url.UserPassword("admin", uriPassword), Host: srv.Listener.Addr().String(), Path: "/auth"}
		r = helperMustRun(t, mc, "uri", map[string]any{"url": u.String(), "from": from})
		if r.Failed || strings.Contains(fmt.Sprint(r.Map()), "s3cret") {
			t.Fatalf("password in the URL: %v", r.Map())
		}
		u.Host = "127.0.0.1:1"
		r = helperMustRun(t, mc, "uri", map[string]any{"url": u.String(), "from": from})
		if !r.Failed || strings.Contains(fmt.Sprint(r.Map()), uriPassword) || strings.Contains(fmt.Sprint(r.Map()), "s3cret") {
			t.Fatalf("password in a failure: %v", r.Map())
		}
	})
	if p, _ := uriSpecParam(t, "uri", "url_password"); !p.NoLog {
		t.Fatal("url_password must be NoLog")
	}
}

func uriSpecParam(t *testing.T, module, name string) (*modules.Param, bool) {
	m, _ := modules.Lookup(module)
	return m.Spec().Param(name)
}

func TestURITLS(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(uriServer(&hits))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes that fail on purpose
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json", "from": from})
		if !r.Failed || r.Data["status"] != -1 || !strings.Contains(strings.ToLower(r.Msg), "certificate") {
			t.Fatalf("unknown CA: %+v", r)
		}
		r = helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json", "ca_path": ca, "from": from})
		if r.Failed || r.Data["status"] != 200 {
			t.Fatalf("ca_path: %+v", r)
		}
		r = helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json", "validate_certs": false, "from": from})
		if r.Failed {
			t.Fatalf("validate_certs=false: %+v", r)
		}
	})
	mc := helperContext(t, nil)
	mc.PlaybookDir = dir
	if r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json", "ca_path": "ca.pem"}); r.Failed {
		t.Fatalf("ca_path relative to the playbook: %+v", r)
	}
}

func TestURICheckModeAndValidation(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(uriServer(&hits))
	defer srv.Close()
	mc := helperContext(t, nil)
	mc.Check = true
	r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/json"})
	if r.Failed || r.Skipped || r.Data["status"] != 200 || hits.Load() != 1 {
		t.Fatalf("GET in check mode: %+v", r)
	}
	r = helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL + "/echo", "method": "DELETE"})
	if !r.Skipped || hits.Load() != 1 {
		t.Fatalf("DELETE in check mode: %+v (hits %d)", r, hits.Load())
	}
	for _, raw := range []map[string]any{
		{"url": "ftp://x/"},
		{"url": "/relative"},
		{"url": srv.URL, "status_code": []any{"ok"}},
		{"url": srv.URL, "body": map[string]any{"a": 1}},
		{"url": srv.URL, "from": "elsewhere"},
	} {
		if _, err := helperRun(t, helperContext(t, nil), "uri", raw); err == nil {
			t.Errorf("%v accepted", raw)
		}
	}
}
