package runner

import (
	"reflect"
	"testing"
)

// A templated variable is rendered after the templated variables it uses,
// whatever the order: computing it from another variable's unrendered text
// gave wrong values silently (a comparison with "{{ base }}/key" is false).
func TestTemplatedVarsRenderInDependencyOrder(t *testing.T) {
	for i := 0; i < 50; i++ { // map order varies from run to run
		vars := map[string]any{
			"base":  "/x",
			"key":   "{{ base }}/key",
			"files": []any{map[string]any{"p": "/x/key"}, map[string]any{"p": "/x/crt"}},
			"modes": "{{ map(files, #.p == key ? '0600' : '0644') }}",
			"chain": "{{ modes[0] }}-{{ key }}",
			"self":  "{{ self2 }}",
			"self2": "{{ self }}",
		}
		resolveTemplatedVars(vars, []string{"chain", "modes", "key", "self", "self2"})
		if got := vars["modes"]; !reflect.DeepEqual(got, []any{"0600", "0644"}) {
			t.Fatalf("modes = %#v", got)
		}
		if got := vars["chain"]; got != "0600-/x/key" {
			t.Fatalf("chain = %#v", got)
		}
	}
}
