package modules_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The text modules promise Ansible's behaviour. When ansible-playbook is
// installed (RUNBOOK_REQUIRE_ANSIBLE=1 makes its absence a failure), every
// lineinfile and blockinfile case is also run through Ansible itself, on
// local files, and the resulting file, changed and msg must be the ones the
// case expects of runbook: the expectations are Ansible's, not our guess.

// ansiblePlaybook returns the ansible-playbook binary, or skips.
func ansiblePlaybook(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
			t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
		}
		t.Skip("ansible-playbook not installed: no oracle to compare with")
	}
	return p
}

// ansibleOutcome is what Ansible did for one case.
type ansibleOutcome struct {
	file    string
	changed bool
	msg     string
	err     string // the task failed (an option this Ansible lacks, say)
}

// runAnsibleCases runs module once per case in one local playbook, each
// case on its own file, and returns the outcomes in order.
func runAnsibleCases(t *testing.T, module string, cases []lineCase) []ansibleOutcome {
	t.Helper()
	bin := ansiblePlaybook(t)
	dir := t.TempDir()
	var tasks []map[string]any
	for i, tc := range cases {
		p := filepath.Join(dir, fmt.Sprintf("case%d", i), "sub", "file")
		if tc.before != nil {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			writeText(t, p, *tc.before)
		}
		args := map[string]any{"path": p}
		for k, v := range tc.args {
			args[k] = v
		}
		tasks = append(tasks, map[string]any{"name": tc.name, module: args, "ignore_errors": true})
	}
	play := []map[string]any{{"hosts": "localhost", "gather_facts": false, "tasks": tasks}}
	pb, err := json.Marshal(play) // JSON is YAML
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), pb, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-i", "localhost,", "-c", "local", "site.yaml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_STDOUT_CALLBACK=json", "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
		"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent", "ANSIBLE_RETRY_FILES_ENABLED=0")
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-playbook: %v\n%s", err, out)
	}
	var report struct {
		Plays []struct {
			Tasks []struct {
				Task  struct{ Name string }
				Hosts map[string]struct {
					Changed bool
					Failed  bool
					Msg     string
				}
			}
		}
	}
	if err := json.Unmarshal(out, &report); err != nil || len(report.Plays) != 1 || len(report.Plays[0].Tasks) != len(cases) {
		t.Fatalf("ansible-playbook output (%v):\n%s", err, out)
	}
	res := make([]ansibleOutcome, len(cases))
	for i, task := range report.Plays[0].Tasks {
		h := task.Hosts["localhost"]
		res[i] = ansibleOutcome{changed: h.Changed, msg: h.Msg,
			file: textFileState(t, filepath.Join(dir, fmt.Sprintf("case%d", i), "sub", "file"))}
		if h.Failed {
			res[i].err = h.Msg
		}
	}
	return res
}

// ansibleDeviations are the cases where runbook deliberately does not do
// what ansible-core does, with the reason (each is in the module's doc).
var ansibleDeviations = map[string]string{
	"lineinfile/insertafter last line without newline": "Ansible glues the new line onto a last line lacking its newline (\"bnew\"); runbook ends that line first",
	"blockinfile/last marker without newline":          "Ansible does not recognise an end marker lacking its newline and inserts a second block on every run",
	"blockinfile/CRLF markers recognised":              "Ansible does not recognise CRLF marker lines and inserts a second block on every run",
	"blockinfile/absent without markers":               "Ansible adds a newline to a file without the block and reports \"Block removed\"; runbook leaves it alone",
	"blockinfile/absent file missing":                  "Ansible fails on a missing file unless create; runbook reports \"File PATH not present\" as lineinfile does",
	"blockinfile/multi-line insertafter":               "a (?m) expression is searched in the whole file only from ansible-core 2.16 on",
}

// compareWithAnsible checks every case's expectation against Ansible.
func compareWithAnsible(t *testing.T, module string, cases []lineCase) {
	t.Helper()
	got := runAnsibleCases(t, module, cases)
	compared := 0
	for i, tc := range cases {
		a := got[i]
		if why, ok := ansibleDeviations[module+"/"+tc.name]; ok {
			t.Logf("%s: not compared: %s", tc.name, why)
			continue
		}
		if a.err != "" {
			if strings.Contains(a.err, "Unsupported parameters") {
				t.Logf("%s: this Ansible does not know %v; not compared", tc.name, tc.args)
				continue
			}
			t.Errorf("%s: Ansible failed: %s", tc.name, a.err)
			continue
		}
		compared++
		if a.file != tc.after || a.changed != tc.changed || a.msg != tc.msg {
			t.Errorf("%s: Ansible gives file %q changed=%v msg=%q; runbook's case expects %q changed=%v msg=%q",
				tc.name, a.file, a.changed, a.msg, tc.after, tc.changed, tc.msg)
		}
	}
	if compared < len(cases)*2/3 {
		t.Errorf("only %d of %d cases compared with Ansible", compared, len(cases))
	}
}

func TestLineinfileCasesMatchAnsible(t *testing.T) {
	compareWithAnsible(t, "lineinfile", lineinfileCases())
}

func TestBlockinfileCasesMatchAnsible(t *testing.T) {
	compareWithAnsible(t, "blockinfile", blockinfileCases())
}
