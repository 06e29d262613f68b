package yamlerr

import (
	"testing"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

func TestLocate(t *testing.T) {
	cases := []struct {
		name, doc string
		line      int
	}{
		{"bad indent deep in a block", "- hosts: all\n  tasks:\n    - name: a\n      debug:\n        msg: hi\n       bad: indent\n", 6},
		{"unterminated quote", "a: 1\nb: \"open\nc: 3\n", 2},
		{"tab", "a:\n\t- b\n", 2},
		{"unknown anchor", "a: 1\nb: *nope\n", 2},
	}
	for _, tc := range cases {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tc.doc), &n)
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		if line, problem := Locate([]byte(tc.doc), err); line != tc.line || problem == "" {
			t.Errorf("%s: line %d (%q), want %d", tc.name, line, problem, tc.line)
		}
	}
}
