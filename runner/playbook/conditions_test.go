package playbook_test

import (
	"reflect"
	"testing"

	"github.com/runbook-dev/runbook/runner/playbook"
)

// TestYAML11BooleanWordsInConditions: an unquoted YAML 1.1 boolean word in
// when:/failed_when:/changed_when: is a boolean, as in Ansible; a quoted
// one stays an expression (a variable name).
func TestYAML11BooleanWordsInConditions(t *testing.T) {
	src := `
- hosts: all
  tasks:
    - debug: {}
      when: no
      changed_when: False
      failed_when: [True, "yes", On, OFF, x]
`
	pb, err := playbook.Parse("site.yaml", []byte(src), "/tmp/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	task := pb.Plays[0].Tasks[0]
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"when", task.When, []string{"false"}},
		{"changed_when", task.ChangedWhen, []string{"false"}},
		{"failed_when", task.FailedWhen, []string{"true", "yes", "true", "false", "x"}},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}
