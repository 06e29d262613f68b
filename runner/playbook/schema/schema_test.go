package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/runbook-dev/runbook/module"
	_ "github.com/runbook-dev/runbook/modules" // registers the built-ins
	"github.com/runbook-dev/runbook/runner/playbook"
	"github.com/runbook-dev/runbook/runner/playbook/schema"
)

// compile generates the schema for root and compiles it with a real JSON
// Schema validator, which also checks it against the draft-07 meta-schema.
func compile(t *testing.T, root schema.Root) *jsonschema.Schema {
	t.Helper()
	data, err := schema.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	url := fmt.Sprintf("mem://runbook/schema-%d.json", root)
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// validate parses YAML as an editor's language server does and validates
// the result against s.
func validate(s *jsonschema.Schema, yamlText []byte) error {
	var v any
	if err := yaml.Unmarshal(yamlText, &v); err != nil {
		return fmt.Errorf("YAML: %w", err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("to JSON: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("to JSON: %w", err)
	}
	return s.Validate(inst)
}

func TestSchemaIsDraft07(t *testing.T) {
	for _, root := range []schema.Root{schema.Playbook, schema.Tasks} {
		compile(t, root)
		data, err := schema.Generate(root)
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]any
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatal(err)
		}
		if top["$schema"] != "http://json-schema.org/draft-07/schema#" {
			t.Errorf("$schema = %v, want draft-07", top["$schema"])
		}
	}
}

// TestSchemaAcceptsRepositoryPlaybooks validates every playbook and task
// file under test/ and playbooks/ that the parser accepts.
func TestSchemaAcceptsRepositoryPlaybooks(t *testing.T) {
	pbSchema, taskSchema := compile(t, schema.Playbook), compile(t, schema.Tasks)
	checked := 0
	for _, dir := range []string{"../../../test", "../../../playbooks"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var s *jsonschema.Schema
			if _, err := playbook.Load(path); err == nil {
				s = pbSchema
			} else if _, err := playbook.LoadTasks(path); err == nil {
				s = taskSchema
			} else {
				return nil // vars files, inventories, deliberately broken inputs
			}
			checked++
			if err := validate(s, data); err != nil {
				t.Errorf("%s: the parser accepts it but the schema does not:\n%v", path, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Fatal("no playbook or task file found under test/ and playbooks/")
	}
	t.Logf("%d files validated", checked)
}

// TestSchemaAcceptsModuleExamples validates the example of every module:
// they are what `runbook doc` shows and what people copy.
func TestSchemaAcceptsModuleExamples(t *testing.T) {
	s, pb := compile(t, schema.Tasks), compile(t, schema.Playbook)
	dir := t.TempDir()
	for _, name := range module.Names() {
		m, _ := module.Lookup(name)
		ex := m.Spec().Example
		if ex == "" {
			continue
		}
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(ex), 0o644); err != nil {
			t.Fatal(err)
		}
		// What the schema accepts and the parser rejects is still an
		// example an operator cannot use: both must accept it.
		if _, err := playbook.LoadTasks(path); err != nil {
			t.Errorf("the example of %s does not parse: %v", name, err)
		}
		if err := validate(s, []byte(ex)); err != nil {
			t.Errorf("the schema rejects the example of %s:\n%v", name, err)
		}
		play := "- hosts: all\n  tasks:\n    " + strings.ReplaceAll(strings.TrimRight(ex, "\n"), "\n", "\n    ") + "\n"
		if err := validate(pb, []byte(play)); err != nil {
			t.Errorf("the playbook schema rejects the example of %s in a play:\n%v", name, err)
		}
	}
}
