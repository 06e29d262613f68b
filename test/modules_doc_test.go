package test

import (
	"strings"
	"testing"
)

// Every file, text and service module is listed by `runbook modules`, and
// `runbook doc` prints its parameters with type, default, required and
// choices, its return values and an example.
func TestFileTextServiceModulesDocumented(t *testing.T) {
	dir := t.TempDir()
	list := runbook(t, dir, "modules")
	docs := map[string][]string{
		"copy":                {"dest (path; required)", "backup (bool; default false)", "force (bool; default true)", "remote_src (bool; default false)", "RETURNS", "checksum (str)"},
		"template":            {"src (path; required)", "built-in templates", "RETURNS"},
		"file":                {"state (str; choices file|directory|absent|touch|link|hard)", "recurse (bool; default false)"},
		"fetch":               {"flat (bool; default false)", "dest (path; required)"},
		"stat":                {"path (path; required", "RETURNS"},
		"slurp":               {"src (path; required", "RETURNS", "content"},
		"lineinfile":          {"state (str; default present; choices present|absent)", "backrefs (bool; default false)", "insertbefore (str)"},
		"blockinfile":         {"marker (str; default # {mark} ANSIBLE MANAGED BLOCK)", "block (str"},
		"hosts":               {"marker (str; default #hostalias-set-by-sealer)", "names (list", "state (str; default present; choices present|absent)"},
		"systemd":             {"state (str; choices started|stopped|restarted|reloaded)", "masked (bool)", "daemon_reload (bool; default false", "unit_content (str)", "aliases unit_file", "status (dict)"},
		"wait_for":            {"timeout (int; default 300)", "delay (int; default 0)", "from_controller (bool; default false)", "search_regex (str)"},
		"uri":                 {"url (str; required)", "ca_path (path)", "validate_certs (bool; default true)", "url_password (str; aliases password; secret)", "from (str; default controller; choices controller|host)", "json"},
		"script":              {"creates (path)", "RETURNS"},
		"service":             {"name (str; required)", "state (str; choices started|stopped|restarted|reloaded)", "arguments (str; aliases args)", "runlevel (str; default default)", "use (str; default auto)", "status (dict)"},
		"service_facts":       {"ansible_facts (dict)", "CHECK MODE: full"},
		"raw":                 {"executable (path)", "free_form (str)", "CHECK MODE: none"},
		"wait_for_connection": {"timeout (int; default 600)", "connect_timeout (int; default 5)", "sleep (int; default 1)", "delay (int; default 0)", "elapsed (int)"},
		"systemd_service":     {"masked (bool)", "unit_content (str)", "systemd_service:"},
	}
	for m, want := range docs {
		if !strings.Contains(list.stdout, "\n"+m+" ") && !strings.HasPrefix(list.stdout, m+" ") {
			t.Errorf("runbook modules lacks %s", m)
		}
		r := runbook(t, dir, "doc", m)
		if r.code != 0 {
			t.Errorf("runbook doc %s: %s", m, r)
			continue
		}
		mustContain(t, r, append(want, "PARAMETERS", "EXAMPLE")...)
	}
}
