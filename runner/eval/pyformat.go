package eval

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Python's printf-style formatting ('%s-%d' % (a, b), the format filter)
// and the number formatting str.format shares with it.

// fmtSpec is one conversion's flags, width and precision.
type fmtSpec struct {
	fill  rune
	align byte // '<', '>', '^' or '=' (padding after the sign)
	sign  byte // '+', ' ' or 0 ('-': only negative numbers)
	alt   bool // '#': 0x, 0o prefixes
	group byte // ',' or '_' thousands separator
	width int
	prec  int // -1: not given
	typ   byte
}

// pyPercent is Python's format % args: a tuple gives the arguments in
// order, a mapping feeds %(name)s, anything else is the one argument.
func pyPercent(format string, args any) (string, error) {
	var list []any
	tuple, isTuple := args.(pyTuple)
	mapping, isMap := args.(map[string]any)
	if isTuple {
		list = tuple
	} else {
		list = []any{args}
	}
	next := 0
	take := func() (any, error) {
		if next >= len(list) {
			return nil, fmt.Errorf("not enough arguments for format string")
		}
		next++
		return list[next-1], nil
	}
	usedMap := false
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		start := i
		i++
		if i >= len(format) {
			return "", fmt.Errorf("incomplete format")
		}
		var arg any
		haveArg := false
		if format[i] == '(' {
			j := closing(format, i, '(', ')')
			if j < 0 {
				return "", fmt.Errorf("incomplete format key")
			}
			if !isMap {
				return "", fmt.Errorf("format requires a mapping")
			}
			key := format[i+1 : j-1]
			v, ok := mapping[key]
			if !ok {
				return "", fmt.Errorf("key %s not found in the mapping", pyRepr(key))
			}
			arg, haveArg, usedMap, i = v, true, true, j
		}
		sp := fmtSpec{fill: ' ', align: '>', prec: -1}
		zero := false
	flags:
		for ; i < len(format); i++ {
			switch format[i] {
			case '-':
				sp.align = '<'
			case '+':
				sp.sign = '+'
			case ' ':
				if sp.sign == 0 {
					sp.sign = ' '
				}
			case '#':
				sp.alt = true
			case '0':
				zero = true
			default:
				break flags
			}
		}
		// num reads a width or precision: digits, or * taking the next
		// argument; 0 when there is neither.
		num := func() (n int, err error) {
			if i < len(format) && format[i] == '*' {
				i++
				v, err := take()
				if err != nil {
					return 0, err
				}
				n, ok := v.(int)
				if !ok {
					return 0, fmt.Errorf("* wants int, not %s", pyTypeName(v))
				}
				return n, nil
			}
			j := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			if j == i {
				return 0, nil
			}
			return strconv.Atoi(format[j:i])
		}
		w, err := num()
		if err != nil {
			return "", err
		}
		if w < 0 { // '%*d' % (-5, 1) is left-justified
			sp.align, w = '<', -w
		}
		sp.width = w
		if i < len(format) && format[i] == '.' {
			i++
			p, err := num()
			if err != nil {
				return "", err
			}
			sp.prec = max(p, 0)
		}
		for i < len(format) && (format[i] == 'l' || format[i] == 'h' || format[i] == 'L') {
			i++ // length modifiers are accepted and ignored, as in Python
		}
		if i >= len(format) {
			return "", fmt.Errorf("incomplete format")
		}
		sp.typ = format[i]
		if sp.typ == '%' {
			b.WriteByte('%')
			continue
		}
		if zero && sp.align != '<' {
			sp.fill, sp.align = '0', '='
		}
		if !haveArg {
			if arg, err = take(); err != nil {
				return "", err
			}
		}
		s, err := percentOne(arg, sp, start)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	if next < len(list) && !(isMap && (usedMap || next == 0)) {
		return "", fmt.Errorf("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// closing gives the index after the bracket closing the one at s[i],
// counting nested ones; -1 when it is not closed.
func closing(s string, i int, open, close byte) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case open:
			depth++
		case close:
			if depth--; depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

// percentOne formats one %-conversion of v.
func percentOne(v any, sp fmtSpec, at int) (string, error) {
	switch sp.typ {
	case 's', 'r', 'a':
		s := pyStr(v)
		if sp.typ != 's' {
			s = pyRepr(v)
		}
		if sp.fill == '0' { // the 0 flag pads numbers only
			sp.fill, sp.align = ' ', '>'
		}
		return padText(truncateRunes(s, sp.prec), sp), nil
	case 'd', 'i', 'u':
		n, err := percentNumber(v, sp.typ, true)
		if err != nil {
			return "", err
		}
		if f, ok := n.(float64); ok {
			n = int(f)
		}
		return formatInt(n.(int), sp), nil
	case 'x', 'X', 'o':
		n, err := percentNumber(v, sp.typ, false)
		if err != nil {
			return "", err
		}
		return formatInt(n.(int), sp), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		n, err := percentNumber(v, sp.typ, true)
		if err != nil {
			return "", err
		}
		f, _ := toFloat(n)
		if sp.prec < 0 {
			sp.prec = 6
		}
		return formatFloatSpec(f, sp), nil
	case 'c':
		switch t := v.(type) {
		case int:
			if t < 0 || t > utf8.MaxRune {
				return "", fmt.Errorf("%%c arg not in range(0x110000)")
			}
			return padText(string(rune(t)), sp), nil
		case string:
			if utf8.RuneCountInString(t) == 1 {
				return padText(t, sp), nil
			}
		}
		return "", fmt.Errorf("%%c requires int or char")
	}
	return "", fmt.Errorf("unsupported format character %q (0x%x) at index %d", sp.typ, sp.typ, at+1)
}

// percentNumber checks that v is a number for %d (floats allowed when
// real) or %x (integers only); a bool counts as 1 or 0.
func percentNumber(v any, typ byte, real bool) (any, error) {
	switch t := v.(type) {
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case int:
		return t, nil
	case float64:
		if real {
			if typ == 'd' || typ == 'i' || typ == 'u' {
				if math.IsInf(t, 0) || math.IsNaN(t) {
					return nil, fmt.Errorf("cannot convert float %s to integer", pyFloat(t))
				}
			}
			return t, nil
		}
	}
	if isNumber(v) {
		if i, err := toInt(v); err == nil {
			return i, nil
		}
	}
	need := "a real number"
	if !real {
		need = "an integer"
	}
	return nil, fmt.Errorf("%%%c format: %s is required, not %s", typ, need, pyTypeName(v))
}

// formatInt writes n by the spec: d, x, X, o, b (with # prefixes), c, n.
func formatInt(n int, sp fmtSpec) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	var digits, prefix string
	switch sp.typ {
	case 'x':
		digits, prefix = strconv.FormatUint(u, 16), "0x"
	case 'X':
		digits, prefix = strings.ToUpper(strconv.FormatUint(u, 16)), "0X"
	case 'o':
		digits, prefix = strconv.FormatUint(u, 8), "0o"
	case 'b':
		digits, prefix = strconv.FormatUint(u, 2), "0b"
	default:
		digits = strconv.FormatUint(u, 10)
	}
	if !sp.alt {
		prefix = ""
	}
	for len(digits) < sp.prec { // '%.3d' % 5 is 005
		digits = "0" + digits
	}
	if sp.group != 0 {
		digits = groupDigits(digits, sp.group)
	}
	return padNumber(signOf(neg, sp.sign)+prefix, digits, sp)
}

// formatFloatSpec writes f by the spec's type: e, f, g (and upper case),
// % and none (str.format's default: repr, or g-like with a precision).
func formatFloatSpec(f float64, sp fmtSpec) string {
	neg := math.Signbit(f) && !math.IsNaN(f)
	a := math.Abs(f)
	var body string
	switch {
	case math.IsInf(a, 0):
		body = "inf"
	case math.IsNaN(a):
		body = "nan"
	default:
		switch sp.typ {
		case 'e', 'E':
			body = strconv.FormatFloat(a, 'e', sp.prec, 64)
		case 'f', 'F':
			body = strconv.FormatFloat(a, 'f', sp.prec, 64)
		case '%':
			body = strconv.FormatFloat(a*100, 'f', sp.prec, 64) + "%"
		case 'g', 'G':
			body = strconv.FormatFloat(a, 'g', sp.prec, 64)
		default:
			if sp.prec < 0 {
				body = pyFloat(a)
			} else {
				body = strconv.FormatFloat(a, 'g', max(sp.prec, 1), 64)
			}
		}
		if sp.group != 0 {
			whole, frac, hasFrac := strings.Cut(body, ".")
			if !strings.ContainsAny(whole, "e") {
				body = groupDigits(whole, sp.group)
				if hasFrac {
					body += "." + frac
				}
			}
		}
	}
	if sp.typ >= 'A' && sp.typ <= 'Z' {
		body = strings.ToUpper(body)
	}
	return padNumber(signOf(neg, sp.sign), body, sp)
}

func signOf(neg bool, sign byte) string {
	switch {
	case neg:
		return "-"
	case sign != 0:
		return string(sign)
	}
	return ""
}

// groupDigits puts sep between groups of three digits.
func groupDigits(digits string, sep byte) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	for i, c := range []byte(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteByte(c)
	}
	return b.String()
}

// padNumber pads sign+body to the width; '=' alignment pads between them.
func padNumber(sign, body string, sp fmtSpec) string {
	if sp.align == '=' {
		n := sp.width - utf8.RuneCountInString(sign+body)
		if n > 0 {
			return sign + strings.Repeat(string(sp.fill), n) + body
		}
		return sign + body
	}
	return padText(sign+body, sp)
}

// padText pads s to the spec's width with its fill and alignment.
func padText(s string, sp fmtSpec) string {
	n := sp.width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	fill := string(sp.fill)
	switch sp.align {
	case '<':
		return s + strings.Repeat(fill, n)
	case '^':
		return strings.Repeat(fill, n/2) + s + strings.Repeat(fill, n-n/2)
	}
	return strings.Repeat(fill, n) + s
}

// truncateRunes keeps the first n characters of s (all when n < 0).
func truncateRunes(s string, n int) string {
	if n < 0 {
		return s
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
