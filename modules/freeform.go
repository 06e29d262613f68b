package modules

import (
	"errors"
	"fmt"
	"strings"
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
	words, err := shellWords(s, true)
	if err != nil {
		return nil, &ArgError{Module: spec.Name, Param: spec.FreeForm, Msg: err.Error()}
	}
	out := map[string]any{}
	var rest strings.Builder
	last := 0 // end of the text already copied to rest
	for _, w := range words {
		key, _, ok := strings.Cut(s[w.start:w.end], "=")
		if !ok || !freeFormKey(key) {
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
		out[key] = w.value[len(key)+1:]
		// Cut the word with the blanks after it, or before it at a line's end.
		before, end := s[last:w.start], w.end
		for end < len(s) && (s[end] == ' ' || s[end] == '\t') {
			end++
		}
		if end == len(s) || s[end] == '\n' || s[end] == '\r' {
			before, end = strings.TrimRight(before, " \t"), w.end
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

// freeFormKey reports whether k looks like a parameter name (an unquoted
// identifier), so `'creates=x'` or `a.b=c` are left in the command.
func freeFormKey(k string) bool {
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

// shellWord is one word of a command line: its span in the input and its
// value with the quoting removed.
type shellWord struct {
	start, end int
	value      string
}

// shellWords splits s into words the way a POSIX shell does, without any
// expansion: blanks separate words; single quotes keep everything literally;
// in double quotes a backslash escapes only \ " $ ` and newline; outside
// quotes a backslash escapes any character. With templates set, a {{ }}
// action outside single quotes is kept verbatim as part of the word.
func shellWords(s string, templates bool) ([]shellWord, error) {
	var words []shellWord
	var cur strings.Builder
	inWord, start := false, 0
	begin := func(i int) {
		if !inWord {
			inWord, start = true, i
			cur.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, shellWord{start, i, cur.String()})
				inWord = false
			}
			i++
		case templates && strings.HasPrefix(s[i:], "{{"):
			begin(i)
			n := freeFormActionEnd(s[i:])
			if n < 0 {
				return nil, fmt.Errorf("unterminated {{ at offset %d", i)
			}
			cur.WriteString(s[i : i+n])
			i += n
		case c == '\'':
			begin(i)
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote at offset %d", i)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			begin(i)
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if templates && strings.HasPrefix(s[j:], "{{") {
					n := freeFormActionEnd(s[j:])
					if n < 0 {
						return nil, fmt.Errorf("unterminated {{ at offset %d", j)
					}
					cur.WriteString(s[j : j+n])
					j += n - 1
					continue
				}
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\\\"$`\n", s[j+1]) >= 0 {
					j++
					if s[j] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated double quote at offset %d", i)
			}
			i = j + 1
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2 // line continuation
		case c == '\\':
			begin(i)
			if i+1 < len(s) {
				cur.WriteByte(s[i+1])
			} else {
				cur.WriteByte('\\') // a trailing backslash is literal
			}
			i += 2
		default:
			begin(i)
			cur.WriteByte(c)
			i++
		}
	}
	if inWord {
		words = append(words, shellWord{start, len(s), cur.String()})
	}
	return words, nil
}

// freeFormActionEnd returns the length of the {{ }} action at the start of s, or
// -1. Quoted strings inside the action may hold "}}".
func freeFormActionEnd(s string) int {
	for i := 2; i < len(s); i++ {
		switch s[i] {
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return -1
			}
			i += j + 1
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				return i + 2
			}
		}
	}
	return -1
}

// splitCommandLine splits a rendered command string into argv.
func splitCommandLine(s string) ([]string, error) {
	words, err := shellWords(s, false)
	if err != nil {
		return nil, err
	}
	argv := make([]string, len(words))
	for i, w := range words {
		argv[i] = w.value
	}
	return argv, nil
}
