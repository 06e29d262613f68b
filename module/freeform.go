package module

import (
	"errors"
	"fmt"
	"strings"

	"github.com/runbook-dev/runbook/internal/shellwords"
)

// SplitFreeForm turns the plain-string form of a task (`command: touch /x
// creates=/x`, `copy: src=a dest=b`) into raw arguments for Spec.Bind.
//
// Words of the form key=value whose key names a declared parameter (or
// alias) other than spec.FreeForm are taken out; with AnyParams (set_fact)
// any identifier key is. What remains, with its original quoting and line
// breaks, becomes the value of the free-form parameter; a module without one
// (FreeForm == "") takes every key=value word (unknown keys are left for Bind
// to report) and rejects any other text. Quotes are honoured ('a b', "a b",
// \ ) and {{ }} template actions are never split, so `creates="{{ .dir }}/x"`
// and `echo {{ .a | printf "%s b" }}` stay whole. The values taken out have
// their shell quotes removed and stay strings.
func SplitFreeForm(spec *Spec, s string) (map[string]any, error) {
	if spec == nil {
		return nil, errors.New("no module spec")
	}
	words, err := shellwords.Words(s, true)
	if err != nil {
		return nil, &ArgError{Module: spec.Name, Param: spec.FreeForm, Msg: err.Error()}
	}
	out := map[string]any{}
	var rest strings.Builder
	last := 0 // end of the text already copied to rest
	for _, w := range words {
		key, _, ok := strings.Cut(s[w.Start:w.End], "=")
		if !ok || !FreeFormKey(key) {
			continue
		}
		p, known := spec.Param(key)
		switch {
		case known && p.Name == spec.FreeForm: // `echo cmd=x` stays in the command
			continue
		case !known && spec.FreeForm != "" && !spec.AnyParams: // so does `echo foo=bar`
			continue
		}
		if _, dup := out[key]; dup {
			return nil, &ArgError{Module: spec.Name, Param: key, Msg: "given twice in the free-form string"}
		}
		out[key] = w.Value[len(key)+1:]
		// Cut the word with the blanks after it, or before it at a line's end.
		before, end := s[last:w.Start], w.End
		for end < len(s) && (s[end] == ' ' || s[end] == '\t') {
			end++
		}
		if end == len(s) || s[end] == '\n' || s[end] == '\r' {
			before, end = strings.TrimRight(before, " \t"), w.End
		}
		rest.WriteString(before)
		last = end
	}
	rest.WriteString(s[last:])
	if text := strings.TrimSpace(rest.String()); text != "" {
		if spec.FreeForm == "" {
			return nil, &ArgError{Module: spec.Name, Msg: fmt.Sprintf("expected key=value arguments, got %q", text)}
		}
		out[spec.FreeForm] = text
	}
	return out, nil
}

// FreeFormKey reports whether k looks like a parameter name (an unquoted
// identifier), so `'creates=x'` or `a.b=c` are left in the command.
func FreeFormKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
