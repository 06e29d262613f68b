package modules_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/modules"
)

// uriFormServer echoes what a form carried: the raw body, its type, and
// the parsed fields and files.
func uriFormServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"type": r.Header.Get("Content-Type"), "agent": r.Header.Get("User-Agent")}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			fields, files := map[string]any{}, map[string]any{}
			for k, v := range r.MultipartForm.Value {
				fields[k] = v[0]
			}
			for k, v := range r.MultipartForm.File {
				f, _ := v[0].Open()
				b, _ := io.ReadAll(f)
				f.Close()
				files[k] = map[string]any{"name": v[0].Filename, "type": v[0].Header.Get("Content-Type"), "content": string(b)}
			}
			out["fields"], out["files"] = fields, files
		} else {
			b, _ := io.ReadAll(r.Body)
			out["body"] = string(b)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestURIFormURLEncoded(t *testing.T) {
	srv := uriFormServer(t)
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		for _, c := range []struct {
			body any
			want string
		}{
			{map[string]any{"name": "a b&c", "tags": []any{"x", "y"}, "on": true, "skip": nil, "n": 3}, "n=3&name=a+b%26c&on=True&tags=x&tags=y"},
			{[]any{[]any{"z", "1"}, []any{"a", "é"}}, "z=1&a=%C3%A9"},
			{"already=encoded&x=%20", "already=encoded&x=%20"},
		} {
			r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL, "method": "POST", "body_format": "form-urlencoded",
				"body": c.body, "from": from})
			j, _ := r.Data["json"].(map[string]any)
			if r.Failed || j["body"] != c.want || j["type"] != "application/x-www-form-urlencoded" || j["agent"] != "runbook-httpget" {
				t.Errorf("%v: %+v", c.body, r.Data)
			}
		}
		r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL, "method": "POST", "body_format": "form-urlencoded",
			"body": map[string]any{"a": "1"}, "headers": map[string]any{"Content-Type": "text/x-mine"}, "http_agent": "agent/1", "from": from})
		if j, _ := r.Data["json"].(map[string]any); j["type"] != "text/x-mine" || j["agent"] != "agent/1" {
			t.Errorf("headers win: %+v", r.Data)
		}
	})
	if _, err := helperRun(t, helperContext(t, nil), "uri", map[string]any{"url": srv.URL, "method": "POST",
		"body_format": "form-urlencoded", "body": []any{[]any{"only-one"}}}); err == nil || !strings.Contains(err.Error(), "form_urlencoded") {
		t.Errorf("a bad pair list: %v", err)
	}
}

func TestURIFormMultipart(t *testing.T) {
	srv := uriFormServer(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "chart.txt"), []byte("chart bytes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostFile := filepath.Join(t.TempDir(), "on-host.json")
	if err := os.WriteFile(hostFile, []byte(`{"host": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	uriEach(t, func(t *testing.T, mc *modules.Context, from string) {
		mc.PlaybookDir = dir
		r := helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL, "method": "POST", "body_format": "form-multipart", "from": from,
			"body": map[string]any{
				"text":   "plain value",
				"chart":  map[string]any{"filename": "chart.txt"},
				"inline": map[string]any{"content": "inline data", "filename": "fake.bin", "mime_type": "application/x-thing"},
			}})
		j, _ := r.Data["json"].(map[string]any)
		want := `map[fields:map[text:plain value] files:map[chart:map[content:chart bytes
 name:chart.txt type:text/plain] inline:map[content:inline data name:fake.bin type:application/x-thing]]]`
		if got := fmt.Sprintf("map[fields:%v files:%v]", j["fields"], j["files"]); r.Failed || got != want {
			t.Errorf("multipart:\n got %s\nwant %s\n%+v", got, want, r)
		}
		if !strings.HasPrefix(fmt.Sprint(j["type"]), "multipart/form-data; boundary=") {
			t.Errorf("type %v", j["type"])
		}
		r = helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL, "method": "POST", "body_format": "form-multipart", "from": from,
			"remote_src": true, "body": map[string]any{"f": map[string]any{"filename": hostFile}}})
		j, _ = r.Data["json"].(map[string]any)
		if f, _ := j["files"].(map[string]any)["f"].(map[string]any); f["content"] != `{"host": true}` || f["type"] != "application/json" {
			t.Errorf("remote_src file: %+v", r.Data)
		}
		if err := os.WriteFile(filepath.Join(dir, "files", "nul.bin"), []byte("a\x00b"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := helperRun(t, mc, "uri", map[string]any{"url": srv.URL, "method": "POST", "body_format": "form-multipart", "from": from,
			"body": map[string]any{"f": map[string]any{"filename": "nul.bin"}}})
		j = nil
		if r != nil {
			j, _ = r.Data["json"].(map[string]any)
		}
		if from == "host" && (err == nil || !strings.Contains(err.Error(), "NUL")) {
			t.Errorf("a NUL byte from the host: %v", err)
		} else if files, _ := j["files"].(map[string]any); from == "controller" && (err != nil || fmt.Sprint(files["f"]) != "map[content:a\x00b name:nul.bin type:application/octet-stream]") {
			t.Errorf("a NUL byte from the controller: %v %+v", err, r)
		}
		r = helperMustRun(t, mc, "uri", map[string]any{"url": srv.URL, "method": "PUT", "src": "chart.txt", "from": from})
		if j, _ := r.Data["json"].(map[string]any); j["body"] != "chart bytes\n" {
			t.Errorf("src: %+v", r.Data)
		}
	})
	for _, c := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"body_format": "form-multipart", "body": map[string]any{"f": map[string]any{"filename": "nope.txt"}}}, "nope.txt"},
		{map[string]any{"body_format": "form-multipart", "body": map[string]any{"f": map[string]any{"mime_type": "a/b"}}}, "at least one of filename or content"},
		{map[string]any{"body_format": "form-multipart", "body": map[string]any{"n": 1}}, "value must be a string, or mapping"},
		{map[string]any{"body_format": "form-multipart", "body": "x=1"}, "must be a mapping"},
		{map[string]any{"src": "chart.txt", "body": "x"}, "mutually exclusive"},
		{map[string]any{"src": "missing.bin"}, "missing.bin"},
	} {
		mc := helperContext(t, nil)
		mc.PlaybookDir = dir
		c.raw["url"], c.raw["method"] = srv.URL, "POST"
		if _, err := helperRun(t, mc, "uri", c.raw); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.raw, err, c.want)
		}
	}
}
