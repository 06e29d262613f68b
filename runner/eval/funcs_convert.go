package eval

import (
	"fmt"
	"strconv"
	"strings"
)

// Conversion helpers: int, float, string, bool.

// fnInt is int(x[, default[, base]]). As in Jinja, nil and "" are 0, and a
// value that does not convert gives the default when one is given.
func fnInt(args ...any) (any, error) {
	if blank(args[0]) {
		return 0, nil
	}
	var n int
	var err error
	if len(args) > 2 && args[2] != nil && !equal(args[2], 10) {
		n, err = intInBase(args[0], args[2])
	} else {
		n, err = toInt(args[0])
	}
	if err != nil && len(args) > 1 && args[1] != nil {
		return args[1], nil
	}
	return n, err
}

// intInBase parses a string in base 2 to 36 (a 0x, 0o or 0b prefix
// matching the base is allowed, as in Python).
func intInBase(v, baseArg any) (int, error) {
	base, err := toInt(baseArg)
	if err != nil || base < 2 || base > 36 {
		return 0, fmt.Errorf("base must be between 2 and 36, got %v", baseArg)
	}
	s := strings.ToLower(strings.TrimSpace(str(v)))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if prefix := map[int]string{16: "0x", 8: "0o", 2: "0b"}[base]; prefix != "" {
		s = strings.TrimPrefix(s, prefix)
	}
	i, err := strconv.ParseInt(s, base, 0)
	if err != nil {
		return 0, fmt.Errorf("cannot convert %q to int in base %d", str(v), base)
	}
	if neg {
		i = -i
	}
	return int(i), nil
}

// fnFloat is float(x[, default]); nil and "" are 0.
func fnFloat(args ...any) (any, error) {
	if blank(args[0]) {
		return 0.0, nil
	}
	f, err := toFloat(args[0])
	if err != nil && len(args) > 1 && args[1] != nil {
		return args[1], nil
	}
	return f, err
}

// blank reports whether v is nil or a string of spaces.
func blank(v any) bool {
	s, ok := v.(string)
	return v == nil || ok && strings.TrimSpace(s) == ""
}

func fnString(args ...any) (any, error) { return toString(args[0]) }

// fnBool: bools as is; true/yes/on/1 and false/no/off/0/empty strings (any case);
// numbers non-zero; nil false. Other strings are an error.
func fnBool(args ...any) (any, error) {
	switch t := args[0].(type) {
	case bool:
		return t, nil
	case nil:
		return false, nil
	case string:
		b, ok := parseBoolWord(t)
		if !ok {
			return nil, fmt.Errorf("cannot convert %q to bool", t)
		}
		return b, nil
	}
	if isNumber(args[0]) {
		return Truthy(args[0]), nil
	}
	return nil, fmt.Errorf("cannot convert %s to bool", typeName(args[0]))
}
