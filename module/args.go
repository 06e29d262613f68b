package module

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/internal/closest"
)

// Args are a task's arguments under their canonical names, with defaults
// filled in and values coerced to their declared types.
type Args map[string]any

// Has reports whether the argument was given (or has a default).
func (a Args) Has(name string) bool {
	v, ok := a[name]
	return ok && v != nil
}

// String returns a string argument ("" when absent).
func (a Args) String(name string) string {
	switch v := a[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// Bool returns a boolean argument (false when absent).
func (a Args) Bool(name string) bool {
	b, _ := a[name].(bool)
	return b
}

// Int returns an integer argument (0 when absent).
func (a Args) Int(name string) int {
	i, _ := a[name].(int)
	return i
}

// List returns a list argument (nil when absent).
func (a Args) List(name string) []any {
	l, _ := a[name].([]any)
	return l
}

// StringList returns a list argument as strings.
func (a Args) StringList(name string) []string {
	l := a.List(name)
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// Map returns a dict argument (nil when absent).
func (a Args) Map(name string) map[string]any {
	m, _ := a[name].(map[string]any)
	return m
}

// Bind checks raw task arguments against the spec and returns them under
// canonical names with defaults and coerced types. When rendered is false
// (validation before the run) values that still hold {{ }} are accepted
// as they are; their type is checked again after rendering.
func (s *Spec) Bind(raw map[string]any, rendered bool) (Args, error) {
	out := make(Args, len(s.Params))
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys) // stable error messages
	for _, k := range keys {
		p, ok := s.Param(k)
		if !ok && s.AnyParams {
			out[k] = raw[k]
			continue
		}
		if !ok {
			msg := "unsupported parameter"
			if c := closest.Name(k, s.allNames()); c != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", c)
			}
			if len(s.Params) > 0 {
				msg += "; supported: " + strings.Join(s.ParamNames(), ", ")
			}
			return nil, &ArgError{Module: s.Name, Param: k, Msg: msg}
		}
		if _, dup := out[p.Name]; dup {
			return nil, &ArgError{Module: s.Name, Param: k, Msg: fmt.Sprintf("given twice (as %q and an alias)", p.Name)}
		}
		v := raw[k]
		if !rendered && containsTemplate(v) {
			out[p.Name] = v
			continue
		}
		cv, err := Coerce(p, v)
		if err != nil {
			return nil, &ArgError{Module: s.Name, Param: p.Name, Err: err}
		}
		out[p.Name] = cv
	}
	for _, p := range s.Params {
		if _, ok := out[p.Name]; ok {
			continue
		}
		if p.Required {
			return nil, &ArgError{Module: s.Name, Param: p.Name,
				Msg: fmt.Sprintf("required parameter is missing ('runbook doc %s' lists the parameters)", s.Name)}
		}
		if p.Default != nil {
			out[p.Name] = p.Default
		}
	}
	if rendered && s.Validate != nil {
		if err := s.Validate(out); err != nil {
			return nil, &ArgError{Module: s.Name, Err: err}
		}
	}
	return out, nil
}

func (s *Spec) allNames() []string {
	var n []string
	for _, p := range s.Params {
		n = append(n, p.Name)
		n = append(n, p.Aliases...)
	}
	return n
}

func containsTemplate(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, "{{")
	case []any:
		for _, e := range x {
			if containsTemplate(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if containsTemplate(e) {
				return true
			}
		}
	}
	return false
}

// Coerce converts a raw value to p's type: the conversions Bind applies to
// each argument, for modules that accept the same shapes inside a dict.
func Coerce(p *Param, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	var out any
	switch p.Type {
	case TypeString, TypePath:
		switch x := v.(type) {
		case string:
			out = x
		case bool, int, int64, float64:
			out = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("must be a string, got %s", typeName(v))
		}
	case TypeBool:
		b, err := ParseBool(v)
		if err != nil {
			return nil, err
		}
		out = b
	case TypeInt:
		switch x := v.(type) {
		case int:
			out = x
		case int64:
			out = int(x)
		case float64:
			if x != float64(int(x)) {
				return nil, fmt.Errorf("must be a whole number, got %v", x)
			}
			out = int(x)
		case string:
			i, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("must be a whole number, got %q", x)
			}
			out = i
		default:
			return nil, fmt.Errorf("must be a whole number, got %s", typeName(v))
		}
	case TypeList:
		switch x := v.(type) {
		case []any:
			out = x
		case string, int, int64, float64, bool:
			out = []any{x} // a single value is a one-item list
		default:
			return nil, fmt.Errorf("must be a list, got %s", typeName(v))
		}
	case TypeMap:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("must be a mapping, got %s", typeName(v))
		}
		out = m
	case TypeMode:
		switch x := v.(type) {
		case string:
			out = x
		case int:
			// mode: 644 unquoted. Ansible reads it as decimal (0o1204), a
			// trap its docs warn about; nobody means that, so digits that
			// are all octal are taken as the octal mode they spell.
			digits := strconv.Itoa(x)
			if strings.Trim(digits, "01234567") != "" {
				return nil, fmt.Errorf("mode %d is not octal: quote it, e.g. \"0644\"", x)
			}
			out = digits
		default:
			return nil, fmt.Errorf("must be a mode such as \"0644\", got %s", typeName(v))
		}
	default:
		out = v
	}
	if len(p.Choices) > 0 {
		s := fmt.Sprint(out)
		for _, c := range p.Choices {
			if c == s {
				return out, nil
			}
		}
		msg := fmt.Sprintf("value %q is not one of: %s", s, strings.Join(p.Choices, ", "))
		if c := closest.Name(s, p.Choices); c != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", c)
		}
		return nil, errors.New(msg)
	}
	return out, nil
}

// ParseBool accepts YAML and Ansible booleans: true/false, yes/no, on/off, 1/0.
func ParseBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "on", "1", "y":
			return true, nil
		case "false", "no", "off", "0", "n", "":
			return false, nil
		}
		return false, fmt.Errorf("must be a boolean, got %q", x)
	}
	return false, fmt.Errorf("must be a boolean, got %s", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
