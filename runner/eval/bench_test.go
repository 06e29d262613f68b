package eval

import (
	"fmt"
	"testing"
)

// benchVars looks like the variables of one host during a play: facts,
// inventory vars, a registered result and a loop item.
func benchVars() map[string]any {
	vars := map[string]any{
		"inventory_hostname": "web-042.example.com",
		"app_name":           "shop",
		"app_port":           8080,
		"app_user":           "deploy",
		"app_root":           "/srv/shop",
		"release":            "2024.06.1",
		"env":                map[string]any{"RAILS_ENV": "production", "WORKERS": 4},
		"ansible_facts":      map[string]any{"os_family": "Debian", "memtotal_mb": 7962, "processor_vcpus": 4},
		"result":             map[string]any{"rc": 0, "stdout": "active\n", "changed": false},
		"item":               map[string]any{"name": "nginx", "state": "present"},
		"packages":           []any{"nginx", "git", "curl"},
	}
	for i := range 40 { // plus the usual pile of other variables
		vars[fmt.Sprintf("var_%d", i)] = i
	}
	return vars
}

func BenchmarkRender(b *testing.B) {
	vars := benchVars()
	b.Run("mixed", func(b *testing.B) {
		s := "{{ app_root }}/releases/{{ release }}/config-{{ inventory_hostname }}.yml"
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Render(s, vars); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("single", func(b *testing.B) {
		s := "{{ app_port }}"
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Render(s, vars); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pipe", func(b *testing.B) {
		s := "{{ item.name | upper() }}-{{ missing | default('x') }}"
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Render(s, vars); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		s := "/usr/bin/systemctl restart nginx"
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Render(s, vars); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCondition(b *testing.B) {
	vars := benchVars()
	b.Run("one", func(b *testing.B) {
		when := []string{"ansible_facts.os_family == 'Debian'"}
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := Condition(when, vars); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("three", func(b *testing.B) {
		when := []string{
			"ansible_facts.os_family == 'Debian'",
			"result.rc == 0 && result.stdout contains 'active'",
			"item.state != 'absent' && app_port > 1024",
		}
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := Condition(when, vars); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}

func BenchmarkRenderValue(b *testing.B) {
	vars := benchVars()
	args := map[string]any{
		"name":   "{{ item.name }}",
		"dest":   "{{ app_root }}/shared/{{ item.name }}.conf",
		"owner":  "root",
		"mode":   "0644",
		"backup": true,
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderValue(args, vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalUncached(b *testing.B) {
	// What one distinct expression costs the first time (compile + analysis).
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compileUncached("result.rc == 0 && item.state != 'absent' && default(x, 1) > 0"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderTemplate(b *testing.B) {
	vars := benchVars()
	text := "# managed\nlisten {{ .app_port }};\nserver_name {{ .inventory_hostname }};\n{{ range .packages }}# {{ . | upper }}\n{{ end }}"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderTemplate("nginx.conf", text, vars); err != nil {
			b.Fatal(err)
		}
	}
}
