package eval

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's str.format: '{}:{}'.format(a, b), '{0}-{1}', '{name}',
// '{0[1]}', '{x.key}', conversions !s !r !a and the format spec
// mini-language ({:>5}, {:.2f}, {:02d}, {:,}, {:x}).

// pyBraceFormat formats format with positional args and keyword ones.
func pyBraceFormat(format string, args []any, kwargs map[string]any) (string, error) {
	return braceFormat(format, args, kwargs, 0)
}

func braceFormat(format string, args []any, kwargs map[string]any, depth int) (string, error) {
	var b strings.Builder
	auto := 0 // next automatic field number; -1 once a number was given
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '}':
			if i+1 < len(format) && format[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", fmt.Errorf("single '}' encountered in format string")
		case c != '{':
			b.WriteByte(c)
			continue
		case i+1 < len(format) && format[i+1] == '{':
			b.WriteByte('{')
			i++
			continue
		}
		// A field: find its closing brace (nested ones for the spec).
		j := closing(format, i, '{', '}')
		if j < 0 {
			return "", fmt.Errorf("expected '}' before end of string")
		}
		field := format[i+1 : j-1]
		i = j - 1
		name, spec, hasSpec := strings.Cut(field, ":")
		name, conv, hasConv := strings.Cut(name, "!")
		if hasSpec && strings.Contains(spec, "{") {
			if depth > 0 {
				return "", fmt.Errorf("max string recursion exceeded")
			}
			var err error
			if spec, err = braceFormat(spec, args, kwargs, depth+1); err != nil {
				return "", err
			}
		}
		v, err := braceField(name, args, kwargs, &auto)
		if err != nil {
			return "", err
		}
		if hasConv {
			switch conv {
			case "s":
				v = pyStr(v)
			case "r", "a":
				v = pyRepr(v)
			default:
				return "", fmt.Errorf("unknown conversion specifier %s", conv)
			}
		}
		s, err := formatSpec(v, spec)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// braceField looks up a field name: "" (the next argument), a number, a
// keyword, then .key and [index] steps.
func braceField(name string, args []any, kwargs map[string]any, auto *int) (any, error) {
	first := name
	if k := strings.IndexAny(name, ".["); k >= 0 {
		first = name[:k]
	}
	rest := name[len(first):]
	var v any
	switch n, err := strconv.Atoi(first); {
	case first == "":
		if *auto < 0 {
			return nil, fmt.Errorf("cannot switch from manual field specification to automatic field numbering")
		}
		if *auto >= len(args) {
			return nil, fmt.Errorf("replacement index %d out of range for positional args tuple", *auto)
		}
		v = args[*auto]
		*auto++
	case err == nil:
		if *auto > 0 {
			return nil, fmt.Errorf("cannot switch from automatic field numbering to manual field specification")
		}
		*auto = -1
		if n < 0 || n >= len(args) {
			return nil, fmt.Errorf("replacement index %d out of range for positional args tuple", n)
		}
		v = args[n]
	default:
		x, ok := kwargs[first]
		if !ok {
			return nil, fmt.Errorf("missing keyword argument %s", pyRepr(first))
		}
		v = x
	}
	for rest != "" {
		var key string
		index := rest[0] == '['
		if index {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("missing ']' in format string")
			}
			key, rest = rest[1:end], rest[end+1:]
		} else {
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			key, rest = rest[:end], rest[end:]
		}
		if l, ok := v.([]any); ok && index {
			n, err := strconv.Atoi(key)
			if err != nil || n < 0 || n >= len(l) {
				return nil, fmt.Errorf("list index out of range")
			}
			v = l[n]
			continue
		}
		m, ok := asMap(v)
		if !ok || m == nil {
			return nil, fmt.Errorf("%s has no item or attribute %s", pyTypeName(v), pyRepr(key))
		}
		x, found := m[key]
		if !found {
			return nil, fmt.Errorf("no key %s", pyRepr(key))
		}
		v = x
	}
	return v, nil
}

// formatSpec is Python's format(v, spec).
func formatSpec(v any, spec string) (string, error) {
	if spec == "" {
		return pyStr(v), nil
	}
	sp, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	switch t := v.(type) {
	case string:
		if sp.typ != 0 && sp.typ != 's' {
			return "", fmt.Errorf("unknown format code '%c' for object of type 'str'", sp.typ)
		}
		if sp.sign != 0 || sp.align == '=' {
			return "", fmt.Errorf("sign not allowed in string format specifier")
		}
		if sp.align == 0 {
			sp.align = '<'
		}
		return padText(truncateRunes(t, sp.prec), sp), nil
	case bool:
		if t {
			v = 1
		} else {
			v = 0
		}
		return formatSpec(v, spec)
	case int:
		defaultAlign(&sp)
		switch sp.typ {
		case 0, 'd', 'n', 'x', 'X', 'o', 'b':
			if sp.prec >= 0 {
				return "", fmt.Errorf("precision not allowed in integer format specifier")
			}
			return formatInt(t, sp), nil
		case 'c':
			if t < 0 || t > utf8.MaxRune {
				return "", fmt.Errorf("%%c arg not in range(0x110000)")
			}
			return padText(string(rune(t)), sp), nil
		case 'e', 'E', 'f', 'F', 'g', 'G', '%':
			return formatFloat64Spec(float64(t), sp), nil
		}
		return "", fmt.Errorf("unknown format code '%c' for object of type 'int'", sp.typ)
	case float64:
		defaultAlign(&sp)
		switch sp.typ {
		case 0, 'e', 'E', 'f', 'F', 'g', 'G', '%', 'n':
			return formatFloat64Spec(t, sp), nil
		}
		return "", fmt.Errorf("unknown format code '%c' for object of type 'float'", sp.typ)
	}
	if isNumber(v) {
		n, err := toInt(v)
		if err == nil {
			return formatSpec(n, spec)
		}
	}
	return "", fmt.Errorf("unsupported format string passed to %s.__format__", pyTypeName(v))
}

// formatFloat64Spec fills in the precision str.format's types default to.
func formatFloat64Spec(f float64, sp fmtSpec) string {
	switch sp.typ {
	case 'n':
		sp.typ = 'g'
	case 'e', 'E', 'f', 'F', 'g', 'G', '%':
		if sp.prec < 0 {
			sp.prec = 6
		}
	}
	return formatFloatSpec(f, sp)
}

func defaultAlign(sp *fmtSpec) {
	if sp.align == 0 {
		sp.align = '>'
	}
}

// parseSpec reads [[fill]align][sign][#][0][width][,|_][.precision][type].
func parseSpec(spec string) (fmtSpec, error) {
	sp := fmtSpec{fill: ' ', prec: -1}
	r := []rune(spec)
	i := 0
	isAlign := func(c rune) bool { return c == '<' || c == '>' || c == '^' || c == '=' }
	switch {
	case len(r) >= 2 && isAlign(r[1]):
		sp.fill, sp.align, i = r[0], byte(r[1]), 2
	case len(r) >= 1 && isAlign(r[0]):
		sp.align, i = byte(r[0]), 1
	}
	if i < len(r) && (r[i] == '+' || r[i] == '-' || r[i] == ' ') {
		if r[i] != '-' {
			sp.sign = byte(r[i])
		}
		i++
	}
	if i < len(r) && r[i] == '#' {
		sp.alt = true
		i++
	}
	if i < len(r) && r[i] == '0' {
		if sp.align == 0 {
			sp.fill, sp.align = '0', '='
		}
		i++
	}
	digits := func() int {
		n := -1
		for i < len(r) && r[i] >= '0' && r[i] <= '9' {
			n = max(n, 0)*10 + int(r[i]-'0')
			i++
		}
		return n
	}
	sp.width = max(digits(), 0)
	if i < len(r) && (r[i] == ',' || r[i] == '_') {
		sp.group = byte(r[i])
		i++
	}
	if i < len(r) && r[i] == '.' {
		i++
		if sp.prec = digits(); sp.prec < 0 {
			return sp, fmt.Errorf("format specifier missing precision")
		}
	}
	if i < len(r) {
		sp.typ = byte(r[i])
		if r[i] >= utf8.RuneSelf || !strings.ContainsRune("sdnxXobceEfFgG%", r[i]) {
			return sp, fmt.Errorf("invalid format specifier %s", pyRepr(spec))
		}
		i++
	}
	if i < len(r) {
		return sp, fmt.Errorf("invalid format specifier %s", pyRepr(spec))
	}
	return sp, nil
}
