package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnsibleCfg: an ansible.cfg next to where runbook runs gives the
// inventory and roles_path (relative to the file), as it does to
// ansible-playbook run in the same directory (same recap, same file
// written); -v names the file; a command-line -i wins; a bad value is an
// error naming the file and line.
func TestAnsibleCfg(t *testing.T) {
	dir := workdir(t, map[string]string{
		"ansible.cfg": `[defaults]
inventory = inv/hosts
roles_path = shared/roles
forks = 3
retry_files_enabled = False ; a key runbook has no use for

[privilege_escalation]
become = False
become_method = sudo
`,
		"inv/hosts":                         "cfghost ansible_connection=local\n",
		"other.ini":                         "otherhost ansible_connection=local\n",
		"shared/roles/greet/tasks/main.yml": "- copy: {dest: \"{{ playbook_dir }}/out-{{ runner_name | default('ansible') }}\", content: \"hi {{ inventory_hostname }}\\n\"}\n",
		"site.yaml":                         "- hosts: all\n  gather_facts: false\n  roles: [greet]\n",
	})
	r := runbook(t, dir, "play", "site.yaml", "-v", "-e", "runner_name=runbook")
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	mustContain(t, r, "Using "+filepath.Join(dir, "ansible.cfg")+" as config file")
	if got := recap(t, r.stdout); got["cfghost"]["changed"] != 1 {
		t.Errorf("the inventory of ansible.cfg was not used: %v\n%s", got, r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out-runbook"))
	if err != nil || string(data) != "hi cfghost\n" {
		t.Errorf("runbook wrote %q (%v)", data, err)
	}
	if ansible, err := exec.LookPath("ansible-playbook"); err == nil {
		cmd := exec.Command(ansible, "site.yaml")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_HOME="+filepath.Join(dir, ".ansible"), "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".tmp"), "ANSIBLE_PYTHON_INTERPRETER=auto_silent")
		out, _ := cmd.CombinedOutput()
		if got := recap(t, string(out)); got["cfghost"]["changed"] != 1 {
			t.Errorf("ansible-playbook did not run on cfghost:\n%s", out)
		}
		if ans, err := os.ReadFile(filepath.Join(dir, "out-ansible")); err != nil || string(ans) != string(data) {
			t.Errorf("runbook wrote %q, ansible-playbook %q (%v)", data, ans, err)
		}
	}

	// -i on the command line wins over the file's inventory.
	r = runbook(t, dir, "play", "site.yaml", "-i", "other.ini")
	if got := recap(t, r.stdout); r.code != 0 || got["otherhost"] == nil || got["cfghost"] != nil {
		t.Errorf("-i did not win over ansible.cfg:\n%s", r)
	}

	// A bad value names the file and line.
	if err := os.WriteFile(filepath.Join(dir, "ansible.cfg"), []byte("[defaults]\ninventory = inv/hosts\nforks = lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runbook(t, dir, "play", "site.yaml")
	if r.code != 3 || !strings.Contains(r.stderr, filepath.Join(dir, "ansible.cfg")+`:3: forks: expected a whole number of at least 1, got "lots"`) {
		t.Errorf("want exit 3 naming ansible.cfg:3:\n%s", r)
	}
}
