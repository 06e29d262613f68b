package modules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/transport"
)

// Ansible's filters in a .j2 template give what they give in a playbook
// expression (and in Ansible); a bad argument fails naming the filter.
func TestTemplateJinja2TextFilters(t *testing.T) {
	c := testConn{Name: "local", Conn: transport.NewLocal()}
	pb, dir := t.TempDir(), t.TempDir()
	src := strings.Join([]string{
		"{{ 1536 | human_readable }}|{{ 1024 | human_readable(isbits=true) }}|{{ '1.5M' | human_to_bytes }}",
		"{{ 'x' | comment('c') }}",
		"{{ 'abc' | to_uuid }}|{{ url | urlsplit('hostname') }}|{{ url | urlsplit('port') }}",
		"{{ 'ab12' | regex_search('([a-z]+)([0-9]+)', '\\\\2') | first }}|{{ ('/a/b.conf' | splitext)[1] }}|{{ ['/etc', 'x'] | path_join }}",
		"{{ '2024-01-02' | to_datetime('%Y-%m-%d') }}|{{ '%Y' | strftime(0, utc=true) }}|{{ 'x' | type_debug }}",
		"",
	}, "\n")
	writeString(t, filepath.Join(pb, "templates", "f.j2"), src, 0o644)
	mc := templateContext(t, c, pb, map[string]any{"url": "https://Example.COM:8443/p"})
	dest := filepath.Join(dir, "f")
	helperMustRun(t, mc, "template", map[string]any{"src": "f.j2", "dest": dest})
	want := "1.50 KB|1.00 Kb|1572864\n//\n// x\n//\n27dc713b-d72c-5825-88f3-9f240e739319|example.com|8443\n12|.conf|/etc/x\n2024-01-02 00:00:00|1970|str\n"
	if got := readString(t, dest); got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}

	writeString(t, filepath.Join(pb, "templates", "bad.j2"), "{{ 'x' | comment(colour='red') }}\n", 0o644)
	_, err := helperRun(t, mc, "template", map[string]any{"src": "bad.j2", "dest": filepath.Join(dir, "bad")})
	if err == nil || !strings.Contains(err.Error(), `filter comment has no parameter "colour"`) {
		t.Errorf("a wrong keyword must fail naming the filter, got %v", err)
	}
}
