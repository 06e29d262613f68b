package modules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/runbook-dev/runbook/modules"
)

// templateContext renders with Go text/template over vars, as the engine does.
func templateContext(t *testing.T, c testConn, pbDir string, vars map[string]any) *modules.Context {
	mc := connContext(t, c, vars)
	mc.PlaybookDir = pbDir
	mc.Render = func(name, text string) (string, error) {
		tpl, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		err = tpl.Execute(&b, vars)
		return b.String(), err
	}
	return mc
}

func TestTemplateRendersIdempotentWithCheckMode(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		pb, dir := t.TempDir(), t.TempDir()
		writeString(t, filepath.Join(pb, "templates", "app.conf.tmpl"), "port={{ .port }}\nname={{ .name }}\n", 0o644)
		vars := map[string]any{"port": 8080, "name": "web"}
		mc := templateContext(t, c, pb, vars)
		dest := filepath.Join(dir, "app.conf")
		raw := map[string]any{"src": "app.conf.tmpl", "dest": dest, "mode": "0640"}
		r := runTwiceAndCheck(t, mc, dir, "template", raw)
		want := "port=8080\nname=web\n"
		if got := readString(t, dest); got != want {
			t.Fatalf("rendered %q", got)
		}
		if mode, _, _, _ := statOf(t, dest); mode.Perm() != 0o640 {
			t.Errorf("mode %v", mode)
		}
		if r.Data["checksum"] != sha256Of(want) || r.Data["src"] != filepath.Join(pb, "templates", "app.conf.tmpl") || r.Data["mode"] != "0640" {
			t.Errorf("data = %v", r.Data)
		}
		// A variable changes: check mode predicts and shows the diff, the run writes.
		vars["port"] = 9090
		mc.Check, mc.Diff = true, true
		before := fsSnapshot(t, dir)
		r = helperMustRun(t, mc, "template", raw)
		assertSameSnapshot(t, before, fsSnapshot(t, dir))
		h := "localhost:" + dest + " (content)"
		if !r.Changed || len(r.Diff) != 1 || r.Diff[0].BeforeHeader != h || r.Diff[0].Before != want || r.Diff[0].After != "port=9090\nname=web\n" {
			t.Fatalf("check run: %+v", r)
		}
		mc.Check = false
		if r = helperMustRun(t, mc, "template", raw); !r.Changed || readString(t, dest) != "port=9090\nname=web\n" {
			t.Fatalf("second variable not written: %+v", r)
		}
	})
}

func TestTemplateLookupOrder(t *testing.T) {
	pb, dir := t.TempDir(), t.TempDir()
	writeString(t, filepath.Join(pb, "a.tmpl"), "next to the playbook", 0o644)
	writeString(t, filepath.Join(pb, "templates", "a.tmpl"), "in templates/", 0o644)
	writeString(t, filepath.Join(pb, "templates", "b.tmpl"), "b in templates/", 0o600)
	mc := templateContext(t, testConns(t)[0], pb, nil)
	for src, want := range map[string]string{"a.tmpl": "next to the playbook", "b.tmpl": "b in templates/"} {
		helperMustRun(t, mc, "template", map[string]any{"src": src, "dest": dir + "/"})
		if got := readString(t, filepath.Join(dir, src)); got != want {
			t.Errorf("%s: %q", src, got)
		}
	}
	r := helperMustRun(t, mc, "template", map[string]any{"src": "b.tmpl", "dest": filepath.Join(dir, "b2"), "mode": "preserve"})
	if r.Data["mode"] != "0600" {
		t.Errorf("preserve: %v", r.Data)
	}
	_, err := helperRun(t, mc, "template", map[string]any{"src": "builtin.tmpl", "dest": filepath.Join(dir, "x")})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(pb, "templates", "builtin.tmpl")) || !strings.Contains(err.Error(), "not found") ||
		!strings.Contains(err.Error(), "nor among the built-in templates") {
		t.Errorf("missing template: %v", err)
	}
	// Last: runbook's built-in templates; the playbook's own copy wins.
	unit := "sealer-registry.service.tmpl"
	vars := map[string]any{"reg_url": "sea.hub:5000", "reg_listen": "127.0.10.2:5000", "reg_binary": "/usr/bin/registry", "reg_config": "/etc/registry.yml"}
	mc = templateContext(t, testConns(t)[0], pb, vars)
	r = helperMustRun(t, mc, "template", map[string]any{"src": unit, "dest": filepath.Join(dir, "unit")})
	if got := readString(t, filepath.Join(dir, "unit")); !strings.Contains(got, "ExecStart=/usr/bin/registry serve /etc/registry.yml\n") || r.Data["src"] != "builtin:"+unit {
		t.Errorf("built-in template: src %v, rendered %q", r.Data["src"], got)
	}
	writeString(t, filepath.Join(pb, "templates", unit), "own {{ .reg_url }}\n", 0o644)
	helperMustRun(t, mc, "template", map[string]any{"src": unit, "dest": filepath.Join(dir, "unit")})
	if got := readString(t, filepath.Join(dir, "unit")); got != "own sea.hub:5000\n" {
		t.Errorf("the playbook's templates/ must win over the built-in one: %q", got)
	}
	// A task file in a sub directory finds the project's templates/.
	mc = templateContext(t, testConns(t)[0], filepath.Join(pb, "tasks"), map[string]any{"x": 1})
	mc.ProjectDir = pb
	r = helperMustRun(t, mc, "template", map[string]any{"src": "b.tmpl", "dest": filepath.Join(dir, "c")})
	if readString(t, filepath.Join(dir, "c")) != "b in templates/" {
		t.Errorf("project templates/: %v", r.Data)
	}
}

func TestTemplateNewlinesAndErrors(t *testing.T) {
	eachConn(t, func(t *testing.T, c testConn) {
		pb, dir := t.TempDir(), t.TempDir()
		writeString(t, filepath.Join(pb, "t"), "a\nb\r\nc\n", 0o644)
		writeString(t, filepath.Join(pb, "bad"), "{{ .missing }}", 0o644)
		mc := templateContext(t, c, pb, map[string]any{})
		for seq, want := range map[string]string{`\r\n`: "a\r\nb\r\nc\r\n", "\r": "a\rb\rc\r", `\n`: "a\nb\r\nc\n"} {
			dest := filepath.Join(dir, "out")
			helperMustRun(t, mc, "template", map[string]any{"src": "t", "dest": dest, "newline_sequence": seq})
			if got := readString(t, dest); got != want {
				t.Errorf("newline_sequence %q: %q", seq, got)
			}
		}
		if _, err := helperRun(t, mc, "template", map[string]any{"src": "t", "dest": "/x", "newline_sequence": "\t"}); err == nil {
			t.Error("bad newline_sequence accepted")
		}
		_, err := helperRun(t, mc, "template", map[string]any{"src": "bad", "dest": filepath.Join(dir, "bad")})
		if err == nil || !strings.Contains(err.Error(), "template on localhost") || !strings.Contains(err.Error(), "rendering") {
			t.Errorf("render error: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "bad")); err == nil {
			t.Error("a failed render wrote the file")
		}
	})
}
