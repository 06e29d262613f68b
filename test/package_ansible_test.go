package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// aptOraclePlay walks the dummy package through install with a pin,
// upgrade, removal, a local .deb and removal again; cfg and root come from
// -e, so each tool works on its own private dpkg root.
const aptOraclePlay = `
- hosts: all
  gather_facts: false
  environment:
    APT_CONFIG: "{{ cfg }}"
    DPKG_ROOT: "{{ root }}"
  tasks:
    - name: pinned
      apt: {name: "` + dummyPkg + `=1.0", update_cache: true}
    - name: pinned again
      apt: {name: "` + dummyPkg + `=1.0"}
    - name: latest
      apt: {name: ` + dummyPkg + `, state: latest}
    - name: latest again
      package: {name: ` + dummyPkg + `, state: latest}
    - name: absent
      apt: {name: ` + dummyPkg + `, state: absent, purge: true}
    - name: absent again
      apt: {name: ` + dummyPkg + `, state: absent, purge: true}
    - name: deb
      apt: {deb: "{{ deb }}"}
    - name: deb again
      apt: {deb: "{{ deb }}"}
    - name: removed
      apt: {name: [` + dummyPkg + `], state: absent}
`

// taskStatuses lists "task=status" for each task of a run, in order.
func taskStatuses(out string) string {
	var got []string
	task := ""
	re := regexp.MustCompile(`^(ok|changed|fatal|skipping): \[`)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "TASK [") {
			task = line[len("TASK ["):strings.Index(line, "]")]
		}
		if m := re.FindStringSubmatch(line); m != nil {
			got = append(got, task+"="+m[1])
		}
	}
	return strings.Join(got, " ")
}

// The apt module and Ansible's, on the same playbook (update_cache alone is
// left out: Ansible reads /var/lib/apt/lists's age whatever APT_CONFIG says), each on its own
// private dpkg root (DPKG_ROOT and an APT_CONFIG naming that root's status
// file): every task reports the same status in a real run, a --check run
// and a second real run, and the same files end up installed.
func TestAptMatchesAnsible(t *testing.T) {
	ansible, err := exec.LookPath("ansible-playbook")
	if err != nil {
		if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
			t.Fatal("ansible-playbook not found (RUNBOOK_REQUIRE_ANSIBLE=1)")
		}
		t.Skip("ansible-playbook is not installed")
	}
	if exec.Command("/usr/bin/python3", "-c", "import apt").Run() != nil {
		if os.Getenv("RUNBOOK_REQUIRE_ANSIBLE") == "1" {
			t.Fatal("python3-apt is missing (RUNBOOK_REQUIRE_ANSIBLE=1): Ansible's apt module cannot run")
		}
		t.Skip("python3-apt is missing: Ansible's apt module cannot run here")
	}
	repo := dummyRepo(t)
	dir := workdir(t, map[string]string{"site.yaml": aptOraclePlay, "hosts": "localhost ansible_connection=local\n"})
	deb := filepath.Join(repo, dummyPkg+"_1.0_all.deb")
	runs := map[string][]string{}
	roots := map[string]string{}
	for _, tool := range []string{"runbook", "ansible"} {
		root := t.TempDir()
		roots[tool] = root
		extra := []string{"-e", "cfg=" + privateAptConfig(t, repo, root), "-e", "root=" + root, "-e", "deb=" + deb}
		for _, mode := range []string{"real", "check", "again"} {
			args := append([]string{"-i", "hosts", "site.yaml"}, extra...)
			if mode == "check" {
				args = append(args, "--check")
			}
			var r result
			if tool == "runbook" {
				r = runbook(t, dir, append([]string{"play"}, args...)...)
			} else {
				cmd := exec.Command(ansible, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"),
					"ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3",
					"ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_DEPRECATION_WARNINGS=0")
				var out strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &out
				must(t, cmd.Start())
				waitAtMostAMinute(t, cmd)
				r = result{stdout: out.String(), code: cmd.ProcessState.ExitCode()}
			}
			if r.code != 0 {
				t.Fatalf("%s %s run: %s", tool, mode, r)
			}
			runs[tool] = append(runs[tool], taskStatuses(r.stdout))
		}
	}
	for i, mode := range []string{"real", "check", "again"} {
		if g, w := runs["runbook"][i], runs["ansible"][i]; g != w {
			t.Errorf("%s run: runbook\n  %s\nansible\n  %s", mode, g, w)
		}
	}
	for _, f := range []string{"usr/share/doc/" + dummyPkg + "/version", "var/lib/dpkg/status"} {
		g, _ := os.ReadFile(filepath.Join(roots["runbook"], f))
		w, _ := os.ReadFile(filepath.Join(roots["ansible"], f))
		if string(g) != string(w) {
			t.Errorf("%s: runbook's root holds %q, ansible's %q", f, g, w)
		}
	}
}
