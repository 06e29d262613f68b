package playbook_test

import (
	"reflect"
	"strings"
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

// TestJinjaInPlaybook: Jinja tests and filters validate in conditions and
// values; an unknown filter is an error naming file:line:column.
func TestJinjaInPlaybook(t *testing.T) {
	ok := `
- hosts: all
  tasks:
    - debug: {msg: "{{ items | map(attribute='name') | join(',') }}"}
      when: r is changed and items | length > 1
`
	ok += "    - debug: {msg: \"{% if x %}y{% endif %}\"}\n"
	if _, err := playbook.Parse("site.yaml", []byte(ok), "/tmp/site.yaml"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ src, want string }{
		{"- hosts: all\n  tasks:\n    - debug: {}\n      when: x | lenght > 1\n", `site.yaml:4:13`},
		{"- hosts: all\n  tasks:\n    - debug: {msg: \"{{ x | lenght }}\"}\n", `site.yaml:3:20`},
		{"- hosts: all\n  tasks:\n    - debug: {msg: \"{% macro m() %}y{% endmacro %}\"}\n", `site.yaml:3:20: invalid template "{% macro m() %}y{% endmacro %}": Jinja statement {% macro %} is not supported in playbook values`},
		{"- hosts: all\n  tasks:\n    - debug: {msg: \"{% if x %}y\"}\n", `{% if %} without {% endif %}`},
	} {
		_, err := playbook.Parse("site.yaml", []byte(tc.src), "/tmp/site.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.src, err, tc.want)
		}
	}
}
