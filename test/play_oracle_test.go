package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// playWithTool runs site.yaml in dir against the inventory "hosts" with
// runbook, or with the ansible-playbook at path tool, extra vars as JSON.
func playWithTool(t *testing.T, dir, tool, vars string, args ...string) result {
	t.Helper()
	if tool == "runbook" {
		return runbook(t, dir, append([]string{"play", "site.yaml", "-i", "hosts", "-e", vars}, args...)...)
	}
	cmd := exec.Command(tool, append([]string{"-i", "hosts", "site.yaml", "-e", vars}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
		"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent", "ANSIBLE_RETRY_FILES_ENABLED=0")
	var b strings.Builder
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitAtMostAMinute(t, cmd)
	return result{stdout: b.String(), code: cmd.ProcessState.ExitCode()}
}

// playTwiceLikeAnsible runs a playbook twice with runbook and, when it is
// installed, with ansible-playbook, each into its own out directory (run
// gets the tool and the directory): with check, runbook's --check -vvv
// --diff run first must write nothing; the first run (-vvv --diff) must
// not print secret; the second must change nothing; the recaps of the
// first runs and the trees written must match. It returns runbook's out
// directory.
func playTwiceLikeAnsible(t *testing.T, dir, secret string, check bool, run func(tool, out string, args ...string) result) string {
	t.Helper()
	tools := []string{"runbook"}
	if p, err := exec.LookPath("ansible-playbook"); err == nil {
		tools = append(tools, p)
	} else if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
		t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
	}
	out := map[string]string{}
	var recaps []map[string]int
	for _, tool := range tools {
		out[tool] = filepath.Join(dir, "out-"+filepath.Base(tool))
		os.Mkdir(out[tool], 0o755)
		if tool == "runbook" && check {
			r := run(tool, out[tool], "--check", "-vvv", "--diff")
			if entries, _ := os.ReadDir(out[tool]); r.code != 0 || len(entries) != 0 {
				t.Fatalf("--check: wrote %v\n%s", entries, r)
			}
		}
		first := run(tool, out[tool], "-vvv", "--diff")
		second := run(tool, out[tool])
		if first.code != 0 || second.code != 0 {
			t.Fatalf("%s: first %s\nsecond %s", tool, first, second)
		}
		if tool == "runbook" && strings.Contains(first.stdout+first.stderr, secret) {
			t.Fatalf("the password was printed:\n%s", first)
		}
		if c := recap(t, second.stdout)["localhost"]["changed"]; c != 0 {
			t.Fatalf("%s: second run changed=%d\n%s", tool, c, second)
		}
		recaps = append(recaps, recap(t, first.stdout)["localhost"])
	}
	if len(recaps) == 2 && !reflect.DeepEqual(recaps[0], recaps[1]) {
		t.Fatalf("recap: runbook %v, ansible %v", recaps[0], recaps[1])
	}
	var trees []string
	for _, tool := range tools {
		trees = append(trees, strings.ReplaceAll(snapshot(t, out[tool]), out[tool], ""))
	}
	if len(trees) == 2 && trees[0] != trees[1] {
		t.Fatalf("files: runbook\n%s\nansible\n%s", trees[0], trees[1])
	}
	return out["runbook"]
}
