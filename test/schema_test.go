package test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/runner/playbook/schema"
)

// compileSchemaFile compiles a schema file written by `runbook schema`.
func compileSchemaFile(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("%s does not compile as a JSON Schema: %v", path, err)
	}
	return s
}

// validYAML validates YAML text against s as yaml-language-server would.
func validYAML(t *testing.T, s *jsonschema.Schema, text string) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

func TestSchemaCommand(t *testing.T) {
	dir := t.TempDir()
	r := runbook(t, dir, "schema", "-o", ".vscode/runbook.schema.json")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("schema -o: %s", r)
	}
	path := filepath.Join(dir, ".vscode", "runbook.schema.json")
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if printed := runbook(t, dir, "schema").stdout; printed != string(written) {
		t.Error("schema prints something else than schema -o writes")
	}
	if want, err := schema.Generate(schema.Playbook); err != nil || string(want) != string(written) {
		t.Errorf("the binary's schema differs from schema.Generate (err %v)", err)
	}

	s := compileSchemaFile(t, path)
	good := `
- hosts: web
  become: yes
  tasks:
    - name: install
      copy: {src: app.conf, dest: /etc/app.conf, mode: "0644"}
      notify: restart
    - command: /usr/bin/true creates=/x
  handlers:
    - name: restart
      systemd: {name: app, state: restarted}
`
	if err := validYAML(t, s, good); err != nil {
		t.Errorf("a valid playbook is rejected: %v", err)
	}
	for name, bad := range map[string]string{
		"misspelt module param": "- hosts: web\n  tasks:\n    - copy: {src: a, dets: /b}\n",
		"unknown task keyword":  "- hosts: web\n  tasks:\n    - debug: {msg: hi}\n      regsiter: out\n",
		"unknown play keyword":  "- hosts: web\n  taks: []\n",
	} {
		if err := validYAML(t, s, bad); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}

	r = runbook(t, dir, "schema", "--tasks", "-o", "tasks.schema.json")
	if r.code != 0 {
		t.Fatalf("schema --tasks: %s", r)
	}
	ts := compileSchemaFile(t, filepath.Join(dir, "tasks.schema.json"))
	if err := validYAML(t, ts, "- debug: {msg: hi}\n- include_tasks: more.yaml\n"); err != nil {
		t.Errorf("a valid task file is rejected: %v", err)
	}
	if err := validYAML(t, ts, "- hosts: web\n  tasks: []\n"); err == nil {
		t.Error("the task file schema accepts a playbook")
	}

	if r = runbook(t, dir, "schema", "extra"); r.code != 5 {
		t.Errorf("schema with an argument: want exit 5, got %s", r)
	}
	if r = runbook(t, dir, "schema", "-o", filepath.Join("tasks.schema.json", "x.json")); r.code != 1 || !bytes.Contains([]byte(r.stderr), []byte("writing the schema")) {
		t.Errorf("schema -o into a file: want exit 1 and a message, got %s", r)
	}
}
