package runner

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/runbook-dev/runbook/runner/eval"
	"github.com/runbook-dev/runbook/runner/report"
)

// A variable whose value refers back to itself (s: "{{ s }}x", or a: "{{ b }}"
// with b: "{{ a }}") has no value. Rendering it anyway gave text that grew at
// every pass, silently; ansible-core fails the task that uses it ("recursive
// loop detected"). So, when a task's variables are merged, such a variable
// (and every variable computed from it) is replaced by a recursiveVar, and
// any template or condition of the task that refers to it fails, naming the
// variable; a recursive variable nobody uses is harmless, as in Ansible.

// recursiveVar stands for a variable whose value refers back to itself.
type recursiveVar struct {
	name  string   // the variable found in the loop
	value any      // its value as written
	chain []string // the loop: s → s, or b → a → b
}

func (r *recursiveVar) err() error {
	v := fmt.Sprintf("%q", r.value)
	if _, ok := r.value.(string); !ok {
		v = report.CompactJSON(r.value)
	}
	return fmt.Errorf("recursive loop detected: variable %q is %s, which refers back to itself (%s): rename one of them, or give it a value that does not use itself",
		r.name, v, strings.Join(r.chain, " -> "))
}

// String and MarshalJSON show the value as written wherever the variable
// is printed without being rendered (hostvars, debug of a whole map).
func (r *recursiveVar) String() string { return fmt.Sprint(r.value) }

func (r *recursiveVar) MarshalJSON() ([]byte, error) { return json.Marshal(r.value) }

// recursionOf returns the recursiveVar that variable k becomes, or nil:
// k refers to itself, to a variable still being resolved below it on the
// stack (a loop), or to a variable already found recursive.
func recursionOf(k string, vars map[string]any, visiting func(string) bool, stack []string) *recursiveVar {
	for _, dep := range eval.References(vars[k]) {
		switch {
		case dep == k:
			return &recursiveVar{name: k, value: vars[k], chain: []string{k, k}}
		case visiting(dep):
			// The loop is stack[dep:]; it is named after its smallest
			// member, so the message does not depend on map order.
			loop := stack[slices.Index(stack, dep):]
			first := slices.Index(loop, slices.Min(loop))
			chain := append(append(append([]string{}, loop[first:]...), loop[:first]...), loop[first])
			return &recursiveVar{name: chain[0], value: vars[chain[0]], chain: chain}
		}
		if r, ok := vars[dep].(*recursiveVar); ok {
			return r
		}
	}
	return nil
}

// checkRecursion fails when v (a value holding templates) refers to a
// recursive variable.
func checkRecursion(v any, vars map[string]any) error {
	if !holdsTemplate(v) {
		return nil
	}
	for _, name := range eval.References(v) {
		if r, ok := vars[name].(*recursiveVar); ok {
			return r.err()
		}
	}
	return nil
}

// condition is eval.Condition, failing first on a recursive variable.
func condition(exprs []string, vars map[string]any) (bool, error) {
	for _, x := range exprs {
		if err := checkRecursion("{{ "+x+" }}", vars); err != nil {
			return false, err
		}
	}
	return eval.Condition(exprs, vars)
}

// evalExpr is eval.Eval (a module's own expression: debug var=, assert
// that:), failing first on a recursive variable.
func evalExpr(expr string, vars map[string]any) (any, error) {
	if err := checkRecursion("{{ "+expr+" }}", vars); err != nil {
		return nil, err
	}
	return eval.Eval(expr, vars)
}
