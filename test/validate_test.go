package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The validate parameter of copy, template, lineinfile and blockinfile: the
// command checks a temporary file holding the new content, and a refusal
// leaves the destination untouched (issue 18).

// TestValidateWritesOnlyWhatPasses runs, with runbook and ansible-playbook
// alike (the same recap), a passing and a refused validate for each of the
// four modules; the playbook itself asserts what each file holds afterwards,
// so a file a refused validate replaced fails the run.
func TestValidateWritesOnlyWhatPasses(t *testing.T) {
	dir := workdir(t, map[string]string{
		"good.j2": "ok\n{{ word }}\n",
		"bad.j2":  "bad\n{{ word }}\n",
		"site.yaml": `
- hosts: all
  gather_facts: false
  vars:
    d: "$DIR/out"
    word: hello
    # passes only for a file whose first line is "ok"
    check: "sh -c 'test \"$(head -n1 \"$1\")\" = ok' check %s"
  tasks:
    - name: start from known files
      shell: rm -rf {{ d }} && mkdir {{ d }} && for f in c t l b; do printf 'ok\nold\n' > {{ d }}/$f; done && chmod 0600 {{ d }}/c

    - name: copy refused
      copy: {content: "bad\nnew\n", dest: "{{ d }}/c", validate: "{{ check }}"}
      ignore_errors: true
      register: r
    - assert: {that: ["r is failed", "'failed to validate' in r.msg"]}
    - name: copy passes
      copy: {content: "ok\nnew\n", dest: "{{ d }}/c", validate: "{{ check }}"}

    - name: template refused
      template: {src: bad.j2, dest: "{{ d }}/t", validate: "{{ check }}"}
      ignore_errors: true
    - name: template passes
      template: {src: good.j2, dest: "{{ d }}/t", validate: "{{ check }}"}

    - name: lineinfile refused
      lineinfile: {path: "{{ d }}/l", regexp: "^ok$", line: "bad", validate: "{{ check }}"}
      ignore_errors: true
    - name: lineinfile passes
      lineinfile: {path: "{{ d }}/l", line: "added", validate: "{{ check }}"}

    - name: blockinfile refused
      blockinfile: {path: "{{ d }}/b", block: "x", insertbefore: BOF, validate: "{{ check }}"}
      ignore_errors: true
    - name: blockinfile passes
      blockinfile: {path: "{{ d }}/b", block: "x", validate: "{{ check }}"}

    - name: unchanged content is not validated again
      copy: {content: "ok\nnew\n", dest: "{{ d }}/c", validate: "false %s"}

    - name: read the files back
      command: cat {{ d }}/c {{ d }}/t {{ d }}/l {{ d }}/b
      register: files
      changed_when: false
    - assert:
        that:
          - files.stdout_lines[0:2] == ['ok', 'new']
          - files.stdout_lines[2:4] == ['ok', 'hello']
          - files.stdout_lines[4:7] == ['ok', 'old', 'added']
          - files.stdout_lines[7:12] == ['ok', 'old', '# BEGIN ANSIBLE MANAGED BLOCK', 'x', '# END ANSIBLE MANAGED BLOCK']
`,
	})
	r := runIdioms(t, dir)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	got := recap(t, r.stdout)["localhost"]
	if got["changed"] != 5 || got["failed"] != 0 || got["ignored"] != 4 {
		t.Errorf("recap %v, want changed=5 ignored=4\n%s", got, r)
	}
	mustContain(t, r, "failed to validate", `exited 1, `+filepath.Join(dir, "out", "l")+" is untouched")
	out := filepath.Join(dir, "out")
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "b c l t" {
		t.Errorf("files left in %s: %v, want only b c l t (no temporary file may stay)", out, names)
	}
	if fi, err := os.Stat(filepath.Join(out, "c")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the validated file did not keep dest's mode 0600: %v %v", fi.Mode(), err)
	}
}

// TestValidateNotRunInCheckMode: --check predicts the change without running
// the command (it could have side effects), and a validate without %s is
// refused naming the parameter, as Ansible refuses it.
func TestValidateNotRunInCheckMode(t *testing.T) {
	dir := workdir(t, map[string]string{"site.yaml": `
- hosts: all
  gather_facts: false
  tasks:
    - copy: {content: "new\n", dest: "$DIR/f", validate: "touch $DIR/ran %s"}
`})
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte("localhost ansible_connection=local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runbook(t, dir, "play", "site.yaml", "-i", "hosts", "--check")
	if r.code != 0 || !strings.Contains(r.stdout, "changed=1") {
		t.Fatalf("want a predicted change:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Errorf("validate ran in check mode")
	}
	if _, err := os.Stat(filepath.Join(dir, "f")); err == nil {
		t.Errorf("check mode wrote the file")
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts")
	if _, err := os.Stat(filepath.Join(dir, "ran")); r.code != 0 || err != nil {
		t.Errorf("validate did not run for real: %v\n%s", err, r)
	}

	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(`
- hosts: all
  gather_facts: false
  tasks:
    - copy: {content: "other\n", dest: "`+dir+`/f", validate: "true"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runbook(t, dir, "play", "site.yaml", "-i", "hosts")
	if r.code == 0 {
		t.Fatalf("a validate without %%s was accepted:\n%s", r)
	}
	mustContain(t, r, "validate must contain %s")
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "new\n" {
		t.Errorf("the refused task changed the file: %q", b)
	}
}
