package eval

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Python's str() and repr() of values: Ansible (non-native Jinja) turns
// every value it writes into text with str(), so "{{ flag }}" among other
// text is True, a list is ['a', 1], a float 7.0, and 'a' ~ none is aNone.

// pyTuple is a Python tuple, from a tuple literal ((1, 2)) or a method
// such as partition(): a list everywhere except where Python tells them
// apart (str() writes (1, 2); '%s-%s' % (a, b) takes its items as the
// arguments).
type pyTuple []any

// pyText is a value as it appears inside rendered text ("x={{ v }}"):
// Python's str(), except that None is empty (Ansible's finalize). A value
// that contains itself is an error.
func pyText(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	}
	w := pyWriter{}
	w.write(v, false)
	return w.b.String(), w.err
}

// PyStr is Python's str(v): True, None, 4.0, ['a', 1], {'k': 'v'}. The
// modules use it where Ansible's module code writes a value as text (a
// uri form body).
func PyStr(v any) string { return pyStr(v) }

// pyStr is Python's str(v) (a container inside itself is written [...],
// as Python does).
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	w := pyWriter{}
	w.write(v, false)
	return w.b.String()
}

// pyRepr is Python's repr(v).
func pyRepr(v any) string {
	w := pyWriter{}
	w.write(v, true)
	return w.b.String()
}

// pyWriter writes values as Python does; path holds the containers being
// written, to cut a value that contains itself.
type pyWriter struct {
	b    strings.Builder
	path []unsafe.Pointer
	err  error
}

// write writes str(v) (repr when repr is set; items of containers are
// always written with repr, as Python does).
func (w *pyWriter) write(v any, repr bool) {
	b := &w.b
	switch t := v.(type) {
	case nil:
		b.WriteString("None")
	case string:
		if repr {
			writePyQuoted(b, t)
		} else {
			b.WriteString(t)
		}
	case bool:
		if t {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		b.WriteString(pyFloat(t))
	case float32:
		b.WriteString(pyFloat(float64(t)))
	case []byte:
		b.WriteString(string(t))
	default:
		if isNumber(v) {
			s, _ := toString(v)
			b.WriteString(s)
			return
		}
		w.container(v)
	}
}

// container writes a tuple, list or dict (dicts in the order their YAML
// gave, as Python keeps insertion order).
func (w *pyWriter) container(v any) {
	rv := reflect.ValueOf(v)
	if k := rv.Kind(); k != reflect.Slice && k != reflect.Map && k != reflect.Array {
		w.b.WriteString(str(v))
		return
	}
	open, close := "[", "]"
	if _, ok := v.(pyTuple); ok {
		open, close = "(", ")"
	} else if rv.Kind() == reflect.Map {
		open, close = "{", "}"
	}
	if rv.Kind() != reflect.Array {
		p := rv.UnsafePointer()
		if slices.Contains(w.path, p) || len(w.path) > maxDepth {
			w.b.WriteString(open + "..." + close)
			if w.err == nil {
				w.err = fmt.Errorf("cannot render value: value contains itself")
			}
			return
		}
		w.path = append(w.path, p)
		defer func() { w.path = w.path[:len(w.path)-1] }()
	}
	w.b.WriteString(open)
	if m, ok := asMap(v); ok && rv.Kind() == reflect.Map {
		for i, k := range yamlOrderedKeys(m) {
			if i > 0 {
				w.b.WriteString(", ")
			}
			writePyQuoted(&w.b, k)
			w.b.WriteString(": ")
			w.write(m[k], true)
		}
	} else {
		l, _ := asList(v)
		for i, x := range l {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.write(x, true)
		}
		if _, ok := v.(pyTuple); ok && len(l) == 1 {
			w.b.WriteByte(',')
		}
	}
	w.b.WriteString(close)
}

// writePyQuoted writes a string literal as Python's repr does: in single
// quotes unless the string holds ' and no ", with \n, \t, \\ and
// unprintable characters escaped.
func writePyQuoted(b *strings.Builder, s string) {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == '\\' || r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == ' ' || (r < utf8.RuneSelf && unicode.IsPrint(r)) || (r >= 0xa0 && unicode.IsPrint(r)):
			b.WriteRune(r)
		case r < 0x100:
			b.WriteString(`\x` + strconv.FormatUint(uint64(r)|0x100, 16)[1:])
		case r < 0x10000:
			b.WriteString(`\u` + strconv.FormatUint(uint64(r)|0x10000, 16)[1:])
		default:
			b.WriteString(`\U` + strconv.FormatUint(uint64(r)|0x100000000, 16)[1:])
		}
		i += size
	}
	b.WriteByte(quote)
}

// pyFloat is Python's repr of a float: the shortest digits that read back
// the same, with ".0" on whole numbers and an exponent below 1e-4 and from
// 1e16 on (7.0, 0.1, 1e+20, 1e-05, inf).
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	if x < -4 || x >= 16 {
		return mant + "e" + exp // Go writes at least two digits, as Python does
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
