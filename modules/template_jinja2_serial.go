package modules

// to_json, to_nice_json, to_yaml and to_nice_yaml in .j2 templates, written
// as Ansible writes them with Python's json.dumps and PyYAML's dump: the
// text lands in files, so spacing, key order and quoting must match.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/runbook-dev/runbook/internal/maporder"
	yaml2 "go.yaml.in/yaml/v2"
)

// serialFilters are the serialising filters, by name.
func serialFilters(rec *jinjaRecorder) map[string]exec.FilterFunction {
	return map[string]exec.FilterFunction{
		"to_json":      serialFilter(rec, "to_json", 0, false, pyJSON),
		"to_nice_json": serialFilter(rec, "to_nice_json", 4, true, pyJSON),
		"to_yaml":      serialFilter(rec, "to_yaml", 2, true, pyYAMLFlow),
		"to_nice_yaml": serialFilter(rec, "to_nice_yaml", 4, true, pyYAMLBlock),
	}
}

// serialFilter makes a filter taking indent and sort_keys (by keyword, or
// indent first by position) with the given defaults.
func serialFilter(rec *jinjaRecorder, name string, indent int, sortKeys bool, write func(v any, indent int, sortKeys bool) (string, error)) exec.FilterFunction {
	return func(_ *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		ind, sk := indent, sortKeys
		if len(p.Args) > 0 {
			ind = p.Args[0].Integer()
		}
		for k, v := range p.KwArgs {
			switch k {
			case "indent":
				ind = v.Integer()
			case "sort_keys":
				sk = v.IsTrue()
			default:
				// Other json.dumps/yaml.dump options change little in
				// config files; refusing them beats ignoring them.
				return rec.fail(fmt.Errorf("filter %s: keyword %s is not supported (indent and sort_keys are)", name, k))
			}
		}
		out, err := write(plainValue(in), ind, sk)
		if err != nil {
			return rec.fail(fmt.Errorf("filter %s: %w", name, err))
		}
		return exec.AsValue(out)
	}
}

// mapKeys returns m's keys sorted, or in their YAML order when sortKeys is
// off and the order is known.
func mapKeys(m map[string]any, sortKeys bool) []string {
	if !sortKeys {
		if keys, ok := maporder.Keys(m); ok {
			return keys
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pyJSON is json.dumps(v, indent=indent or None, sort_keys=sortKeys) with
// ensure_ascii, as Ansible's to_json and to_nice_json call it.
func pyJSON(v any, indent int, sortKeys bool) (string, error) {
	var b strings.Builder
	err := writePyJSON(&b, v, indent, sortKeys, 0)
	return b.String(), err
}

func writePyJSON(b *strings.Builder, v any, indent int, sortKeys bool, level int) error {
	itemSep, nl := ", ", func(int) {}
	if indent > 0 {
		itemSep = ","
		nl = func(l int) { b.WriteString("\n" + strings.Repeat(" ", indent*l)) }
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(b, x)
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloat(x))
		}
	case int, int64, int32, uint64, uint32, uint, float32:
		fmt.Fprint(b, x)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(level + 1)
			if err := writePyJSON(b, e, indent, sortKeys, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte(']')
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteByte('{')
		for i, k := range mapKeys(x, sortKeys) {
			if i > 0 {
				b.WriteString(itemSep)
			}
			nl(level + 1)
			writeJSONString(b, k)
			b.WriteString(": ")
			if err := writePyJSON(b, x[k], indent, sortKeys, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte('}')
	default:
		return fmt.Errorf("%s is not JSON serializable", pyStr(x))
	}
	return nil
}

// writeJSONString writes s as json.dumps does with ensure_ascii.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		esc, short := shortEscapes[r]
		switch {
		case short:
			b.WriteString(esc)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e && r < 0x10000:
			fmt.Fprintf(b, `\u%04x`, r)
		case r >= 0x10000:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// pyYAMLScalar writes a scalar as PyYAML does: plain when it reads back as
// the same string, else in single quotes.
func pyYAMLScalar(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case float64:
		s := pyFloat(x)
		if strings.Contains(s, "e") && !strings.Contains(s, ".") {
			m, e, _ := strings.Cut(s, "e")
			s = m + ".0e" + e
		}
		return s, nil
	case string:
		if !utf8.ValidString(x) {
			return "", fmt.Errorf("a string is not valid UTF-8")
		}
	}
	out, err := yaml2.Marshal(v)
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(string(out), "\n")
	// PyYAML single-quotes the strings yaml.v2 double-quotes for looking
	// like another type ("yes", "12", "").
	if len(s) >= 2 && s[0] == '"' && !strings.Contains(s, `\`) {
		s = "'" + strings.ReplaceAll(s[1:len(s)-1], "'", "''") + "'"
	}
	return s, nil
}

// pyYAMLBlock is yaml.dump(v, indent=indent, default_flow_style=False),
// as Ansible's to_nice_yaml calls it (keys sorted, sequences in mappings
// not indented).
func pyYAMLBlock(v any, indent int, sortKeys bool) (string, error) {
	return pyYAML(v, indent, sortKeys, false)
}

// pyYAMLFlow is yaml.dump(v, default_flow_style=None), as Ansible's
// to_yaml calls it: collections of scalars only are written inline.
func pyYAMLFlow(v any, indent int, sortKeys bool) (string, error) {
	return pyYAML(v, indent, sortKeys, true)
}

func pyYAML(v any, indent int, sortKeys, flowLeaves bool) (string, error) {
	if indent < 2 || indent > 9 {
		indent = 2 // PyYAML's own fallback
	}
	e := &yamlEmitter{indent: indent, sortKeys: sortKeys, flowLeaves: flowLeaves}
	switch x := v.(type) {
	case map[string]any, []any:
		if flow, ok, err := e.flow(x); err != nil {
			return "", err
		} else if ok {
			return flow + "\n", nil
		}
		var err error
		if m, ok := x.(map[string]any); ok {
			err = e.mapping(m, 0, false)
		} else {
			err = e.sequence(x.([]any), 0, false)
		}
		return e.b.String(), err
	}
	s, err := pyYAMLScalar(v)
	return s + "\n...\n", err
}

type yamlEmitter struct {
	b                    strings.Builder
	indent               int
	sortKeys, flowLeaves bool
}

// flow writes a collection inline: empty ones always, collections of
// scalars when flowLeaves.
func (e *yamlEmitter) flow(v any) (string, bool, error) {
	var parts []string
	switch x := v.(type) {
	case []any:
		if len(x) > 0 && !e.flowLeaves {
			return "", false, nil
		}
		for _, it := range x {
			if isCollection(it) {
				return "", false, nil
			}
			s, err := pyYAMLScalar(it)
			if err != nil {
				return "", false, err
			}
			parts = append(parts, s)
		}
		return "[" + strings.Join(parts, ", ") + "]", true, nil
	case map[string]any:
		if len(x) > 0 && !e.flowLeaves {
			return "", false, nil
		}
		for _, k := range mapKeys(x, e.sortKeys) {
			if isCollection(x[k]) {
				return "", false, nil
			}
			ks, err := pyYAMLScalar(k)
			if err != nil {
				return "", false, err
			}
			vs, err := pyYAMLScalar(x[k])
			if err != nil {
				return "", false, err
			}
			parts = append(parts, ks+": "+vs)
		}
		return "{" + strings.Join(parts, ", ") + "}", true, nil
	}
	return "", false, nil
}

func isCollection(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// value writes what follows "key:" or "-": inline, or on the next lines
// (a mapping at col, a sequence at seqCol).
func (e *yamlEmitter) value(v any, col, seqCol int) error {
	if isCollection(v) {
		if s, ok, err := e.flow(v); err != nil {
			return err
		} else if ok {
			e.b.WriteString(" " + s + "\n")
			return nil
		}
	} else {
		s, err := pyYAMLScalar(v)
		e.b.WriteString(" " + s + "\n")
		return err
	}
	e.b.WriteByte('\n')
	if m, ok := v.(map[string]any); ok {
		return e.mapping(m, col, false)
	}
	return e.sequence(v.([]any), seqCol, false)
}

// mapping writes m's keys at column col (the first one on the current
// line when inline).
func (e *yamlEmitter) mapping(m map[string]any, col int, inline bool) error {
	for i, k := range mapKeys(m, e.sortKeys) {
		if i > 0 || !inline {
			e.b.WriteString(strings.Repeat(" ", col))
		}
		ks, err := pyYAMLScalar(k)
		if err != nil {
			return err
		}
		e.b.WriteString(ks + ":")
		if err := e.value(m[k], col+e.indent, col); err != nil {
			return err
		}
	}
	return nil
}

// sequence writes l's items as "- item" at column col.
func (e *yamlEmitter) sequence(l []any, col int, inline bool) error {
	for i, it := range l {
		if i > 0 || !inline {
			e.b.WriteString(strings.Repeat(" ", col))
		}
		e.b.WriteByte('-')
		if isCollection(it) {
			if s, ok, err := e.flow(it); err != nil {
				return err
			} else if ok {
				e.b.WriteString(" " + s + "\n")
				continue
			}
			e.b.WriteString(strings.Repeat(" ", e.indent-1))
			var err error
			if m, ok := it.(map[string]any); ok {
				err = e.mapping(m, col+e.indent, true)
			} else {
				err = e.sequence(it.([]any), col+e.indent, true)
			}
			if err != nil {
				return err
			}
			continue
		}
		s, err := pyYAMLScalar(it)
		if err != nil {
			return err
		}
		e.b.WriteString(" " + s + "\n")
	}
	return nil
}
