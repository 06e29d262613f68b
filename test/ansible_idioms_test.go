package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Helpers for tests that run a playbook with runbook and — when
// ansible-playbook is installed (RUNBOOK_REQUIRE_ANSIBLE=1 makes its
// absence a failure) — with Ansible too, whose recap must be the same.
// Plain playbook comparisons live in the conformance suite
// (test/conformance/cases: jinja-idioms, with-loops, ignore-errors,
// yaml11-conditions, facts, delegate-facts, group-by-add-host,
// role-template-group-vars); these helpers serve the tests that check more
// than a recap and files.

// recapCounters matches one host's line of the PLAY RECAP, in runbook's and
// in Ansible's output alike.
var recapCounters = regexp.MustCompile(`(?m)^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$`)

// recap returns each host's recap counters ("ok=3 changed=1 …").
func recap(t *testing.T, out string) map[string]map[string]int {
	t.Helper()
	i := strings.LastIndex(out, "PLAY RECAP")
	if i < 0 {
		t.Fatalf("no PLAY RECAP in:\n%s", out)
	}
	hosts := map[string]map[string]int{}
	for _, m := range recapCounters.FindAllStringSubmatch(out[i:], -1) {
		counts := map[string]int{}
		for _, f := range strings.Fields(m[2]) {
			k, v, _ := strings.Cut(f, "=")
			counts[k], _ = strconv.Atoi(v)
		}
		hosts[m[1]] = counts
	}
	return hosts
}

// runIdioms runs site.yaml in dir (one play on localhost) with runbook,
// then with ansible-playbook when it is installed, and checks both exit
// with the same status and print the same recap. It returns runbook's run;
// extra are more arguments for runbook.
func runIdioms(t *testing.T, dir string, extra ...string) result {
	t.Helper()
	return runOracle(t, dir, "localhost ansible_connection=local\n", extra...)
}

// runOracle is runIdioms with the inventory hosts (written to dir/hosts,
// given to both tools), comparing the recap of every host Ansible lists.
func runOracle(t *testing.T, dir, hosts string, extra ...string) result {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts"}, extra...)...)
	if strings.Contains(r.stdout+r.stderr, "interface conversion") || strings.Contains(r.stdout+r.stderr, "panic") {
		t.Errorf("a Go panic text reached the user:\n%s", r)
	}
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
			t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
		}
		t.Log("ansible-playbook not installed: runbook's recap not compared with Ansible's")
		return r
	}
	cmd := exec.Command(bin, "-i", "hosts", "site.yaml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
		"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent",
		"ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_DEPRECATION_WARNINGS=0")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAtMostAMinute(t, cmd)
	a := result{stdout: out.String(), code: cmd.ProcessState.ExitCode()}
	if (a.code == 0) != (r.code == 0) {
		t.Fatalf("runbook exit %d, ansible-playbook exit %d\n--- runbook\n%s\n--- ansible\n%s", r.code, a.code, r, a.stdout)
	}
	if a.code != 0 && a.code != 2 {
		t.Fatalf("ansible-playbook could not run the playbook:\n%s", a.stdout)
	}
	got, want := recap(t, r.stdout), recap(t, a.stdout)
	for host, counts := range want {
		if _, ok := got[host]; !ok {
			t.Errorf("runbook's recap lacks host %s\n--- runbook\n%s\n--- ansible\n%s", host, r, a.stdout)
		}
		for k, w := range counts {
			if g, ok := got[host][k]; ok && g != w {
				t.Errorf("recap %s %s: runbook %d, ansible %d\n--- runbook\n%s\n--- ansible\n%s", host, k, g, w, r, a.stdout)
			}
		}
	}
	return r
}
