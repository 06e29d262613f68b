package modules

// Values between gonja and the rest of runbook: gonja's own shapes
// (ValuesList, Dict, *Value inside lists) become plain Go values for
// runbook's expression helpers, and every printed value is written as
// Python's str() writes it, as Ansible's template module does.

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/runbook-dev/runbook/internal/maporder"
)

// plainValue returns v as runbook's plain values: nil, bool, numbers,
// strings, []any and map[string]any. Values that are plain already are
// returned as they are, without a copy.
func plainValue(v *exec.Value) any {
	if v == nil {
		return nil
	}
	return plainAny(v.Interface())
}

func plainAny(x any) any {
	p, _ := plainOf(x)
	return p
}

// plainOf is plainAny that also says whether the value had to change.
func plainOf(x any) (any, bool) {
	switch t := x.(type) {
	case *exec.Value:
		if t == nil {
			return nil, true
		}
		p, _ := plainOf(t.Interface())
		return p, true
	case exec.ValuesList:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainValue(e)
		}
		return out, true
	case *exec.Dict:
		return plainDict(t), true
	case exec.Dict:
		return plainDict(&t), true
	case pyTuple:
		p, _ := plainOf([]any(t))
		if l, ok := p.([]any); ok && len(l) > 0 && &l[0] == &t[0] {
			return append([]any(nil), l...), true
		}
		return p, true
	case []any:
		var out []any
		for i, e := range t {
			p, changed := plainOf(e)
			if changed && out == nil {
				out = append(make([]any, 0, len(t)), t[:i]...)
			}
			if out != nil {
				out = append(out, p)
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	case map[string]any:
		var out map[string]any
		for k, e := range t {
			p, changed := plainOf(e)
			if changed && out == nil {
				out = make(map[string]any, len(t))
				for k2, e2 := range t {
					out[k2] = e2
				}
				maporder.Inherit(out, t)
			}
			if out != nil {
				out[k] = p
			}
		}
		if out == nil {
			return t, false
		}
		return out, true
	}
	return plainReflect(x)
}

// plainReflect converts the other shapes gonja's methods return (named
// string and slice types such as str.split's).
func plainReflect(x any) (any, bool) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.String:
		if v.Type() != reflect.TypeFor[string]() {
			return v.String(), true
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return x, false
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plainAny(v.Index(i).Interface())
		}
		return out, true
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return x, false
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			out[it.Key().String()] = plainAny(it.Value().Interface())
		}
		return out, true
	}
	return x, false
}

func plainDict(d *exec.Dict) map[string]any {
	out := make(map[string]any, len(d.Pairs))
	keys := make([]string, 0, len(d.Pairs))
	for _, p := range d.Pairs {
		k := p.Key.String()
		if _, dup := out[k]; !dup {
			keys = append(keys, k)
		}
		out[k] = plainValue(p.Value)
	}
	maporder.Record(out, keys)
	return out
}

// pyStr writes v as Python's str(v).
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writePyRepr(&b, v)
	return b.String()
}

// writePyRepr writes v as Python's repr(v): what str() of a list or a
// dict shows for its items.
func writePyRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case *exec.Value:
		if x == nil {
			b.WriteString("None")
			return
		}
		writePyRepr(b, x.Interface())
	case pyTuple:
		b.WriteString(x.String())
	case exec.ValuesList:
		writePyList(b, len(x), func(i int) any { return x[i] })
	case []any:
		writePyList(b, len(x), func(i int) any { return x[i] })
	case *exec.Dict, exec.Dict:
		writePyRepr(b, plainAny(x))
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		b.WriteString(pyQuote(x))
	case float64:
		b.WriteString(pyFloat(x))
	case float32:
		b.WriteString(pyFloat(float64(x)))
	case map[string]any:
		keys, ok := maporder.Keys(x)
		if !ok {
			keys = make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyQuote(k))
			b.WriteString(": ")
			writePyRepr(b, x[k])
		}
		b.WriteByte('}')
	case fmt.Stringer:
		b.WriteString(x.String())
	default:
		if p, changed := plainReflect(x); changed {
			writePyRepr(b, p)
			return
		}
		fmt.Fprint(b, x)
	}
}

// writePyList writes n items in brackets.
func writePyList(b *strings.Builder, n int, item func(int) any) {
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		writePyRepr(b, item(i))
	}
	b.WriteByte(']')
}

// pyFloat writes a float as Python's repr does: the shortest digits that
// read back, always with a fraction or an exponent.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs >= 1e16 || abs < 1e-4) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[:1]
		exp = strings.TrimLeft(exp[1:], "0")
		if len(exp) < 2 {
			exp = strings.Repeat("0", 2-len(exp)) + exp
		}
		return mant + "e" + sign + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// shortEscapes are the escapes Python's repr and json.dumps both write.
var shortEscapes = map[rune]string{'\\': `\\`, '\n': `\n`, '\r': `\r`, '\t': `\t`}

// pyQuote writes s as Python's repr of a str: in single quotes unless it
// holds a single quote and no double quote.
func pyQuote(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		esc, short := shortEscapes[r]
		switch {
		case short:
			b.WriteString(esc)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r > 0x7f && !unicode.IsPrint(r):
			if r <= 0xff {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else if r <= 0xffff {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// printFilterFunc prints a value as Ansible's template module does:
// Python's str(), but None printed alone is empty.
func printFilterFunc(e *exec.Evaluator, in *exec.Value, p *exec.VarArgs) *exec.Value {
	if !in.IsError() && in.IsNil() {
		return exec.AsValue("")
	}
	return pystrFilterFunc(e, in, p)
}

// pystrFilterFunc is Jinja's string filter: Python's str().
func pystrFilterFunc(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if in.IsNil() {
		return exec.AsValue("None")
	}
	if in.IsString() {
		return in
	}
	return exec.AsValue(pyStr(in.Interface()))
}
